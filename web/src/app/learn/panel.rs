//! Drawing the panel: hidden, the lesson list, or a step; and where the
//! keyboard focus goes after it is drawn (back to the control that had
//! it, to the heading of a new step, to Next once a verdict is in).

use wasm_bindgen::JsCast;
use web_sys::HtmlElement;

use super::state::{Focus, learn};
use super::stores::read_facts;
use crate::app::dom::{document, set_body_flag, set_flag};
use crate::app::page::{Page, with_page};
use crate::learn::panel::{StepContext, menu_html, step_html};
use crate::learn::progress::Route;
use crate::learn::tour::Phase;

/// The panel and the part of it this module fills.
const PANEL: &str = "learn-panel";
const BODY: &str = "learn-body";
/// The link in the header that opens the panel.
const OPENER: &str = "learn-open";

/// Draws the panel as the state says: hidden, the lesson list, or a step.
pub(super) fn render() {
    let Some(doc) = document() else {
        return;
    };
    let Some(panel) = doc.get_element_by_id(PANEL) else {
        return;
    };
    let needs_facts = learn(|l| l.tour.is_some());
    let facts = if needs_facts { read_facts() } else { None };
    let (html, phase, at, focus) = learn(|l| {
        let focus = std::mem::replace(&mut l.focus, Focus::Keep);
        match (&l.tour, l.route) {
            (_, Route::Away) => (None, "closed", None, focus),
            (None, _) => (Some(menu_html(&l.progress)), "menu", None, focus),
            (Some(tour), _) => {
                let busy = matches!(tour.phase, Phase::Running | Phase::Revealing(_));
                let html = step_html(
                    tour,
                    StepContext {
                        facts: facts.as_ref(),
                        progress: &l.progress,
                        busy,
                    },
                );
                (Some(html), tour.phase.name(), Some(tour.at), focus)
            }
        }
    });
    let was_open = doc.body().is_some_and(|b| b.has_attribute("data-learn"));
    let _ = panel.set_attribute("data-phase", phase);
    set_flag(&panel, "hidden", html.is_none());
    set_body_flag(
        &doc,
        "learn",
        match (html.is_some(), at.is_some()) {
            (false, _) => None,
            (true, false) => Some("menu"),
            (true, true) => Some("lesson"),
        },
    );
    if was_open != html.is_some() {
        // The page made room for the panel, or took it back: the map's
        // strips changed width.
        with_page(Page::redraw_map);
    }
    match at {
        Some(at) => {
            let _ = panel.set_attribute("data-lesson", &at.lesson.to_string());
            let _ = panel.set_attribute("data-step", &at.step.to_string());
        }
        None => {
            let _ = panel.remove_attribute("data-lesson");
            let _ = panel.remove_attribute("data-step");
        }
    }
    let Some(html) = html else {
        return;
    };
    let Some(body) = doc.get_element_by_id(BODY) else {
        return;
    };
    let kept = doc
        .active_element()
        .filter(|e| body.contains(Some(e)))
        .and_then(|e| {
            if !e.id().is_empty() {
                return Some(format!("#{}", e.id()));
            }
            let what = e.get_attribute("data-learn")?;
            Some(match e.get_attribute("data-arg") {
                Some(arg) => format!(r#"[data-learn="{what}"][data-arg="{arg}"]"#),
                None => format!(r#"[data-learn="{what}"]"#),
            })
        });
    body.set_inner_html(&html);
    let target = match focus {
        Focus::Title => body
            .query_selector("#learn-step-title, #learn-title")
            .ok()
            .flatten(),
        Focus::Next => body.query_selector(r#"[data-learn="next"]"#).ok().flatten(),
        Focus::Keep => kept.and_then(|selector| {
            body.query_selector(&selector)
                .ok()
                .flatten()
                .filter(|e| !e.has_attribute("disabled"))
        }),
    };
    if let Some(element) = target.and_then(|e| e.dyn_into::<HtmlElement>().ok()) {
        let _ = element.focus();
    }
}

pub(super) fn focus_opener() {
    if let Some(opener) = document()
        .and_then(|doc| doc.get_element_by_id(OPENER))
        .and_then(|e| e.dyn_into::<HtmlElement>().ok())
    {
        let _ = opener.focus();
    }
}
