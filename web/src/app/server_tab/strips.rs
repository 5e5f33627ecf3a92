//! The strips, one element per segment, changed only where the summary
//! changed (`DrawnStrips` says which to insert, remove or change), and the
//! one strip that is the Tab stop, which the arrow keys, Page Up and
//! Down, Home and End move.

use wasm_bindgen::JsCast;
use web_sys::{Element, HtmlElement};

use super::state::ServerTab;
use crate::server_view::{self as view, StripChange};

/// Strips Page Up and Page Down move by.
const PAGE_STRIPS: usize = 10;

impl ServerTab {
    /// Draws the summary's strips: only what changed.
    pub(super) fn draw_strips(&mut self) {
        let (Some(summary), Some(container)) = (&self.summary, self.el("server-strips")) else {
            return;
        };
        let strips = view::strips(summary, self.open_segment);
        let changes = self.strips.show(&strips);
        let focused = self
            .doc
            .active_element()
            .filter(|el| container.contains(Some(el)))
            .and_then(|el| el.get_attribute("data-segment"));
        let children = container.children();
        for change in changes {
            match change {
                StripChange::Redraw(html) => container.set_inner_html(&html),
                StripChange::Remove(at) => {
                    if let Some(strip) = children.item(at as u32) {
                        strip.remove();
                    }
                }
                StripChange::Insert(at, html) => {
                    let _ = match children.item(at as u32) {
                        Some(before) => before.insert_adjacent_html("beforebegin", &html),
                        None => container.insert_adjacent_html("beforeend", &html),
                    };
                }
                StripChange::Update(at, attributes) => {
                    if let Some(strip) = children.item(at as u32) {
                        for (name, value) in attributes {
                            let _ = strip.set_attribute(name, &value);
                        }
                    }
                }
                StripChange::Relabel(at, label) => {
                    if let Some(strip) = children.item(at as u32) {
                        strip.set_text_content(Some(&label));
                    }
                }
            }
        }
        let count = view::grouped(self.strips.len() as u64);
        if let Some(shown) = self.el("server-strip-count")
            && shown.text_content().as_deref() != Some(count.as_str())
        {
            shown.set_text_content(Some(&count));
        }
        self.fix_tab_stop(focused.and_then(|id| id.parse().ok()));
    }

    /// One strip is the Tab stop (`tabindex="0"`): the one chosen, else
    /// the first. `refocus` is a strip that had the focus before a redraw.
    fn fix_tab_stop(&mut self, refocus: Option<u32>) {
        let Some(container) = self.el("server-strips") else {
            return;
        };
        let drawn: Vec<u32> = self.strips.ids().collect();
        let stop = self
            .tab_stop
            .filter(|id| drawn.contains(id))
            .or_else(|| drawn.first().copied());
        self.tab_stop = stop;
        if let Ok(Some(old)) = container.query_selector(r#"[tabindex="0"]"#)
            && old.get_attribute("data-segment") != stop.map(|id| id.to_string())
        {
            let _ = old.set_attribute("tabindex", "-1");
        }
        let Some(stop) = stop else {
            return;
        };
        if let Some(strip) = strip_element(&container, stop) {
            let _ = strip.set_attribute("tabindex", "0");
            let lost_focus = self
                .doc
                .active_element()
                .is_none_or(|el| !container.contains(Some(&el)));
            if refocus.is_some()
                && lost_focus
                && let Ok(strip) = strip.dyn_into::<HtmlElement>()
            {
                let _ = strip.focus();
            }
        }
    }

    /// A key on strip `id`.
    pub(super) fn key(&mut self, id: u32, key: &str) -> bool {
        if key == "Enter" || key == " " {
            self.open(id);
            return true;
        }
        let drawn: Vec<u32> = self.strips.ids().collect();
        let Some(at) = drawn.iter().position(|drawn| *drawn == id) else {
            return false;
        };
        let Some(to) = view::moved(at, drawn.len(), key, PAGE_STRIPS) else {
            return false;
        };
        self.tab_stop = Some(drawn[to]);
        self.fix_tab_stop(None);
        if let Some(strip) = self
            .el("server-strips")
            .and_then(|c| strip_element(&c, drawn[to]))
            .and_then(|s| s.dyn_into::<HtmlElement>().ok())
        {
            let _ = strip.focus();
        }
        true
    }
}

/// The strip of segment `id` in `container`.
fn strip_element(container: &Element, id: u32) -> Option<Element> {
    container
        .query_selector(&format!(r#"[data-segment="{id}"]"#))
        .ok()
        .flatten()
}
