//! What the panel shows: the next merge in words, the numbers under them
//! and the side-by-side table, the chart, the switches and buttons, and
//! the line over the map about a merge being replayed.
//!
//! Drawing is apart from deciding: nothing here changes what the panel
//! does next, so a redraw at any time is safe.

use wasm_bindgen::{JsCast, JsValue};
use web_sys::Element;

use super::panel::{Outcome, PolicyPanel};
use crate::app::dom::{element, input, select, set_flag};
use crate::app::store::OpenStore;
use crate::comparison::ComparePolicy;
use crate::merge_policy::PolicySettings;
use crate::render::chart::{self, ChartRun, LineStyle};
use crate::render::policy as words;

/// The line over the map about a merge being replayed.
const MERGE_STATUS: &str = "merge-status";

impl PolicyPanel {
    /// The window's width changed: the chart follows.
    pub(crate) fn resized(&self) -> Outcome {
        self.draw_chart();
        Outcome::default()
    }

    /// A merge mark is hovered or focused: show its report.
    pub(crate) fn show_merge(&self, id: &str) {
        let Some((run, n)) = chart::parse_merge_id(id) else {
            return;
        };
        let (name, series) = match run {
            "a" => (self.name_a(), &self.series),
            "b" => match self.side.comparison() {
                Some(second) => (self.name_b(second.settings()), second.series()),
                None => return,
            },
            _ => return,
        };
        if let (Some(event), Ok(details)) =
            (series.merges().get(n), element(&self.doc, "policy-merge"))
        {
            details.set_inner_html(&chart::merge_report_html(&name, n, event));
        }
    }

    fn name_a(&self) -> String {
        let policy = ComparePolicy::describe(self.auto.then_some(self.settings));
        format!("A · this page's store, {policy}")
    }

    fn name_b(&self, settings: Option<PolicySettings>) -> String {
        format!("B · in memory, {}", ComparePolicy::describe(settings))
    }

    /// Everything the panel shows, after the page redrew the map (which
    /// read the policy's plan).
    pub(crate) fn draw(&mut self, open: &OpenStore) {
        self.notice_other_merges(open);
        if let Ok(next) = element(&self.doc, "policy-next") {
            let html = match &self.plan {
                Some(plan) => words::next_choice_html(plan, &self.settings, self.auto),
                None => r#"<p data-next="stopped">The store is stopped: no merge until it is reloaded.</p>"#.to_owned(),
            };
            next.set_inner_html(&html);
        }
        self.draw_numbers(open);
        self.draw_chart();
        self.draw_controls();
        self.draw_merge_status(open);
    }

    /// The line over the map that says which step of a merge's replay is
    /// on show (hidden when none is). It is the page's own element, made
    /// the first time it is needed: only the replay writes in it.
    fn draw_merge_status(&self, open: &OpenStore) {
        let html = self
            .stage
            .replay()
            .and_then(|replay| words::merge_status_html(replay, self.map_drawn_at, &open.layout));
        let status = match self.doc.get_element_by_id(MERGE_STATUS) {
            Some(status) => status,
            None if html.is_none() => return,
            None => {
                let (Ok(status), Ok(strips)) = (
                    self.doc.create_element("div"),
                    element(&self.doc, "map-strips"),
                ) else {
                    return;
                };
                status.set_id(MERGE_STATUS);
                let _ = status.set_attribute("role", "status");
                let _ = status.set_attribute("aria-live", "polite");
                let _ = strips.before_with_node_1(&status);
                status
            }
        };
        set_flag(&status, "hidden", html.is_none());
        status.set_inner_html(html.as_deref().unwrap_or_default());
    }

    /// A merge the panel did not run (the console's `compact`, Apply)
    /// goes on the chart too.
    fn notice_other_merges(&mut self, open: &OpenStore) {
        let merges = open.store.stats().compactions;
        if merges > self.seen_merges {
            let new = usize::try_from(merges - self.seen_merges).unwrap_or(usize::MAX);
            let recent = open.store.recent_compactions();
            for report in recent.iter().skip(recent.len().saturating_sub(new)) {
                self.series.merge(self.run_ms, report.clone());
            }
            self.series.record(self.run_ms, &open.store.stats());
        }
        self.seen_merges = merges;
    }

    fn set_stat(&self, name: &str, value: &str) {
        if let Ok(Some(cell)) = self
            .doc
            .query_selector(&format!(r#"#policy-stats [data-policy-stat="{name}"]"#))
        {
            cell.set_text_content(Some(value));
        }
    }

    /// The numbers under the words, and the side-by-side table.
    pub(super) fn draw_numbers(&self, open: &OpenStore) {
        let stats = open.store.stats();
        let max_space = self
            .series
            .samples()
            .iter()
            .map(|s| s.space_amplification)
            .fold(stats.space_amplification(), f64::max);
        let write = self.series.latest().map_or(1.0, |s| s.write_amplification);
        for (name, value) in [
            ("merges", self.series.merge_count().to_string()),
            (
                "space_amplification",
                format!("{:.2}", stats.space_amplification()),
            ),
            ("max_space_amplification", format!("{max_space:.2}")),
            ("write_amplification", format!("{write:.2}")),
            (
                "bound",
                format!("{:.2}", self.settings.sealed_space_bound()),
            ),
            ("ops", self.ops.to_string()),
        ] {
            self.set_stat(name, &value);
        }
        if let Ok(table) = element(&self.doc, "compare-table") {
            let html = match self.side.comparison() {
                Some(second) => {
                    let (a, b) = (self.name_a(), self.name_b(second.settings()));
                    chart::comparison_html(&[
                        self.run_a(&a),
                        ChartRun {
                            id: "b",
                            name: &b,
                            series: second.series(),
                            style: LineStyle::Dashed,
                        },
                    ])
                }
                None => String::new(),
            };
            table.set_inner_html(&html);
        }
    }

    fn run_a<'a>(&'a self, name: &'a str) -> ChartRun<'a> {
        ChartRun {
            id: "a",
            name,
            series: &self.series,
            style: LineStyle::Solid,
        }
    }

    /// The chart, as wide as its box; a merge mark that had the focus
    /// keeps it.
    pub(super) fn draw_chart(&self) {
        let Ok(container) = element(&self.doc, "policy-chart") else {
            return;
        };
        let width = u32::try_from(container.client_width()).unwrap_or(0);
        let a = self.name_a();
        let b = self
            .side
            .comparison()
            .map(|second| (self.name_b(second.settings()), second));
        let mut runs = vec![self.run_a(&a)];
        if let Some((name, second)) = &b {
            runs.push(ChartRun {
                id: "b",
                name,
                series: second.series(),
                style: LineStyle::Dashed,
            });
        }
        let focused = self
            .doc
            .active_element()
            .filter(|e| container.contains(Some(e.as_ref())))
            .and_then(|e| e.get_attribute("data-merge"));
        container.set_inner_html(&chart::chart_svg(
            &runs,
            width,
            Some(self.settings.sealed_space_bound()),
        ));
        if let Some(id) = focused
            && let Ok(Some(mark)) = container.query_selector(&format!(r#"[data-merge="{id}"]"#))
        {
            focus(&mark);
        }
        if self.series.merges().is_empty()
            && let Ok(details) = element(&self.doc, "policy-merge")
            && details.inner_html().is_empty()
        {
            details.set_inner_html(chart::MERGE_HINT);
        }
    }

    /// The switches, buttons and status line.
    pub(super) fn draw_controls(&self) {
        let doc = &self.doc;
        if let Ok(auto) = input(doc, "policy-auto") {
            auto.set_checked(self.auto);
        }
        if let Ok(expiring) = input(doc, "workload-expiring") {
            expiring.set_checked(self.workload.expiring);
        }
        if let Ok(kind) = select(doc, "workload-kind") {
            kind.set_value(self.workload.kind.name());
        }
        if let Ok(rate) = element(doc, "workload-rate-value") {
            rate.set_text_content(Some(&format!("{} ops/s", self.pace.rate())));
        }
        for (id, disabled) in [
            ("workload-start", self.running),
            ("workload-pause", !self.running),
        ] {
            if let Ok(button) = element(doc, id) {
                set_flag(&button, "disabled", disabled);
            }
        }
        if let Ok(status) = element(doc, "workload-status") {
            status.set_text_content(Some(&words::runner_status(
                self.workload,
                self.pace.rate(),
                self.running,
                self.ops,
            )));
        }
        if let Ok(panel) = element(doc, "policy-panel") {
            let _ =
                panel.set_attribute("data-running", if self.running { "true" } else { "false" });
            let _ = panel.set_attribute("data-auto", if self.auto { "true" } else { "false" });
        }
        self.side.draw_controls(doc);
    }
}

/// Gives `element` the keyboard focus (SVG elements have `focus()` too,
/// which web-sys only binds on `HtmlElement`).
fn focus(element: &Element) {
    if let Ok(focus) = js_sys::Reflect::get(element, &JsValue::from_str("focus"))
        && let Some(focus) = focus.dyn_ref::<js_sys::Function>()
    {
        // The chart is redrawn while the learner may have scrolled away
        // from it: keeping the focus must not scroll back.
        let options = js_sys::Object::new();
        let _ = js_sys::Reflect::set(
            &options,
            &JsValue::from_str("preventScroll"),
            &JsValue::TRUE,
        );
        let _ = focus.call1(element, &options);
    }
}
