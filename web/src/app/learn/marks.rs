//! What the panel lays over the page's elements: highlights
//! (`learn-highlight`), picks (`learn-pick`), judged picks
//! (`learn-right`, `learn-wrong`, `learn-missed`) and the arrow from an
//! index row to its record.
//!
//! The page redraws those elements whenever the store changes, so the marks
//! are kept here and laid again after every drawing of the map or the
//! index ([`mark_again`], the hook the page calls). That hook runs while the
//! page is borrowed, so it touches only the DOM and the marks.

use std::cell::RefCell;
use std::collections::BTreeSet;

use wasm_bindgen::JsCast;
use web_sys::{Document, Element, ScrollBehavior, ScrollIntoViewOptions};

use super::arrow::draw_arrow;
use super::state::Learn;
use crate::app::dom::document;
use crate::learn::action::Target;
use crate::learn::question::{Ask, Guess};
use crate::learn::tour::Phase;

/// Every class this module lays over the page's elements.
const MARK_CLASSES: [&str; 5] = [
    "learn-highlight",
    "learn-pick",
    "learn-right",
    "learn-wrong",
    "learn-missed",
];

/// What is laid over the page's elements.
#[derive(Debug, Clone, Default)]
pub(super) struct Marks {
    /// Selectors of the elements to highlight, the first to scroll to first.
    highlight: Vec<String>,
    /// The key whose index row gets an arrow to its record.
    arrow: Option<&'static str>,
    /// Selectors with the class each gets.
    picks: Vec<(String, &'static str)>,
}

thread_local! {
    static MARKS: RefCell<Marks> = RefCell::new(Marks::default());
}

/// The marks for the tour on show.
pub(super) fn marks_for(l: &Learn) -> Marks {
    let Some(tour) = &l.tour else {
        return Marks::default();
    };
    let step = tour.step();
    let targets = match tour.phase {
        Phase::Running => return Marks::default(),
        Phase::Answered(_) if !step.highlight_after.is_empty() => step.highlight_after,
        _ => step.highlight,
    };
    let mut marks = Marks {
        highlight: targets.iter().map(|t| t.selector()).collect(),
        arrow: targets.iter().find_map(|t| match t {
            Target::Arrow(key) => Some(*key),
            _ => None,
        }),
        picks: Vec::new(),
    };
    let record = |at: (u32, usize)| format!(r#"#map-strips [data-i="{}:{}"]"#, at.0, at.1);
    match (&tour.phase, tour.picks()) {
        (_, Some(Guess::Records(picked))) => {
            marks
                .picks
                .extend(picked.iter().map(|at| (record(*at), "learn-pick")));
        }
        (_, Some(Guess::Segments(picked))) => {
            marks.picks.extend(picked.iter().map(|id| {
                (
                    format!(r#"#map-strips [data-segment="{id}"]"#),
                    "learn-pick",
                )
            }));
        }
        (Phase::Answered(_), _) => {
            // Judged picks, for record questions: the reveals of those
            // leave the map's records where they were.
            if let (Some((before, Guess::Records(picked))), Some(question)) =
                (&l.asked, step.question)
                && let Ask::Records { answer, .. } = question.ask
            {
                let answer: BTreeSet<_> = answer(before);
                for at in picked.union(&answer) {
                    let class = match (picked.contains(at), answer.contains(at)) {
                        (true, true) => "learn-right",
                        (true, false) => "learn-wrong",
                        _ => "learn-missed",
                    };
                    marks.picks.push((record(*at), class));
                }
            }
        }
        _ => {}
    }
    marks
}

pub(super) fn set_marks(marks: Marks) {
    MARKS.with(|m| *m.borrow_mut() = marks);
    mark_again();
}

/// Lays the marks again: after the panel changed them, and after every
/// drawing of the map or the index (the page's hook, so no page access).
pub(super) fn mark_again() {
    let Some(doc) = document() else {
        return;
    };
    MARKS.with(|marks| {
        let Ok(marks) = marks.try_borrow() else {
            return;
        };
        for class in MARK_CLASSES {
            for element in all(&doc, &format!(".{class}")) {
                let _ = element.class_list().remove_1(class);
            }
        }
        for selector in &marks.highlight {
            for element in all(&doc, selector) {
                let _ = element.class_list().add_1("learn-highlight");
            }
        }
        for (selector, class) in &marks.picks {
            for element in all(&doc, selector) {
                let _ = element.class_list().add_1(class);
            }
        }
        draw_arrow(&doc, marks.arrow);
    });
}

/// The elements `selector` matches.
fn all(doc: &Document, selector: &str) -> Vec<Element> {
    let Ok(list) = doc.query_selector_all(selector) else {
        return Vec::new();
    };
    (0..list.length())
        .filter_map(|i| list.item(i)?.dyn_into::<Element>().ok())
        .collect()
}

/// Brings the first highlighted element into view.
pub(super) fn scroll_to_marks() {
    let Some(doc) = document() else {
        return;
    };
    // A panel's explanation is already on show beside the lesson: scroll
    // to the part of it that changes (the strips, the index rows).
    let part = |selector: &str| match selector {
        "#map-panel" => "#map-strips".to_owned(),
        "#index-panel" => "#index".to_owned(),
        other => other.to_owned(),
    };
    let first = MARKS.with(|m| {
        m.borrow()
            .highlight
            .iter()
            .find_map(|selector| doc.query_selector(&part(selector)).ok().flatten())
    });
    let Some(first) = first else {
        return;
    };
    let options = ScrollIntoViewOptions::new();
    options.set_block(web_sys::ScrollLogicalPosition::Nearest);
    options.set_behavior(if reduced_motion() {
        ScrollBehavior::Auto
    } else {
        ScrollBehavior::Smooth
    });
    first.scroll_into_view_with_scroll_into_view_options(&options);
}

fn reduced_motion() -> bool {
    web_sys::window()
        .and_then(|w| {
            w.match_media("(prefers-reduced-motion: reduce)")
                .ok()
                .flatten()
        })
        .is_some_and(|query| query.matches())
}
