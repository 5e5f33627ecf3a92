//! The Learn panel as HTML: the lesson list, and a step with its question,
//! its verdict and the buttons to go on.
//!
//! The buttons carry `data-learn` (what they do) and `data-arg` (which
//! record, segment, answer or lesson), the contract with `app::learn` and
//! with the end-to-end suite; the panel's own state is in `data-phase`,
//! `data-lesson` and `data-step` on `#learn-panel`, set by the page. Every
//! mark that colour shows is also a word or a symbol (✓, ✗, “missed”,
//! `aria-pressed`).

use std::fmt::Write as _;

use super::facts::{Facts, describe};
use super::lessons::LESSONS;
use super::progress::{Position, Progress};
use super::question::{Ask, Guess, Question, Verdict};
use super::tour::{Phase, Tour};
use crate::render::escape;

/// `text` with its light markup: `code` and **bold**, everything else
/// escaped.
pub fn inline_html(text: &str) -> String {
    let escaped = escape(text);
    let mut html = String::with_capacity(escaped.len() + 16);
    let (mut code, mut bold) = (false, false);
    let mut rest = escaped.as_str();
    while let Some(i) = rest.find(['`', '*']) {
        html.push_str(&rest[..i]);
        if rest[i..].starts_with('`') {
            html.push_str(if code { "</code>" } else { "<code>" });
            code = !code;
            rest = &rest[i + 1..];
        } else if rest[i..].starts_with("**") {
            html.push_str(if bold { "</b>" } else { "<b>" });
            bold = !bold;
            rest = &rest[i + 2..];
        } else {
            html.push('*');
            rest = &rest[i + 1..];
        }
    }
    html.push_str(rest);
    if code {
        html.push_str("</code>");
    }
    if bold {
        html.push_str("</b>");
    }
    html
}

/// The list of lessons, with what is done.
pub fn menu_html(progress: &Progress) -> String {
    let mut html = String::from(
        r#"<div class="learn-head"><h2 id="learn-title" tabindex="-1">Learn</h2><button data-learn="leave" title="Back to your own store (Esc)">Close ✕</button></div><p class="explain">Short guided lessons on a store of their own: each step runs real commands, shows where to look and sometimes asks you to predict what happens. Your own keys are kept aside and come back when you leave. New here? Start with lesson 1.</p><ol class="learn-lessons">"#,
    );
    for (i, lesson) in LESSONS.iter().enumerate() {
        let number = i + 1;
        let done = progress.steps_done(number);
        let steps = lesson.steps.len();
        let finished = progress.lesson_done(number);
        let status = if finished {
            r#"<span class="learn-done">✓ done</span>"#.to_owned()
        } else if done > 0 {
            format!(r#"<span class="learn-partly">{done} of {steps} steps done</span>"#)
        } else {
            format!(r#"<span class="learn-todo">{steps} steps</span>"#)
        };
        let start = progress
            .resume(number)
            .filter(|_| done > 0 && !finished)
            .map(|at| {
                format!(
                    r##"<a class="learn-go" href="{}" data-learn-link="continue">Continue at step {}</a>"##,
                    at.hash(),
                    at.step
                )
            })
            .unwrap_or_default();
        let _ = write!(
            html,
            r##"<li data-lesson-item="{number}" class="{}"><a class="learn-go primary" href="#learn/{number}/1" data-learn-link="start">{number} · {}</a>{}{status}{start}<p>{}</p></li>"##,
            if finished { "done" } else { "" },
            escape(lesson.title),
            if number == 1 {
                r#" <span class="learn-start-here">start here</span>"#
            } else {
                ""
            },
            inline_html(lesson.summary),
        );
    }
    html.push_str("</ol>");
    html
}

/// Everything the step view shows besides the tour.
#[derive(Debug, Clone, Copy)]
pub struct StepContext<'a> {
    /// The store now: for the records and segments to pick from, and the
    /// step's note.
    pub facts: Option<&'a Facts>,
    /// What is done.
    pub progress: &'a Progress,
    /// Something is running (a reveal, a replay, a store swap).
    pub busy: bool,
}

/// One step: where it is in the lesson, its text, its question or verdict,
/// and the buttons.
pub fn step_html(tour: &Tour, context: StepContext<'_>) -> String {
    let at = tour.at;
    let lesson = at.lesson();
    let step = tour.step();
    let mut html = String::new();
    let _ = write!(
        html,
        r#"<div class="learn-head"><p class="learn-where">Lesson {} of {} · <b>{}</b></p><button data-learn="leave" title="Back to your own store (Esc)">Leave ✕</button></div>"#,
        at.lesson,
        LESSONS.len(),
        escape(lesson.title),
    );
    html.push_str(r#"<ol class="learn-steps" aria-label="steps">"#);
    for n in 1..=lesson.steps.len() {
        let Some(pos) = Position::new(at.lesson, n) else {
            continue;
        };
        let (class, mark, words) = if pos == at {
            ("current", "●", "this step")
        } else if context.progress.is_done(pos) {
            ("done", "✓", "done")
        } else {
            ("", "○", "not done yet")
        };
        let _ = write!(
            html,
            r#"<li class="{class}"><a href="{}"{} title="step {n}: {}"><span aria-hidden="true">{mark}</span> {n}<span class="visually-hidden"> — {words}</span></a></li>"#,
            pos.hash(),
            if pos == at {
                r#" aria-current="step""#
            } else {
                ""
            },
            escape(lesson.steps[n - 1].title),
        );
    }
    html.push_str("</ol>");
    let _ = write!(
        html,
        r#"<h3 id="learn-step-title" tabindex="-1">Step {} of {}: {}</h3><p class="learn-text">{}</p>"#,
        at.step,
        lesson.steps.len(),
        escape(step.title),
        inline_html(step.text),
    );
    if let (Some(note), Some(facts)) = (step.note, context.facts) {
        let _ = write!(
            html,
            r#"<p class="learn-note">{}</p>"#,
            escape(&note(facts))
        );
    }
    if let Some(question) = &step.question {
        question_html(&mut html, question, &tour.phase, context.facts);
    }
    if tour.phase == Phase::Running {
        html.push_str(
            r#"<p class="learn-running" role="status">Running the step on the lesson's store…</p>"#,
        );
    }
    nav_html(&mut html, tour, context.busy);
    html
}

fn question_html(html: &mut String, question: &Question, phase: &Phase, facts: Option<&Facts>) {
    let _ = write!(
        html,
        r#"<div class="learn-question" role="group" aria-labelledby="learn-prompt"><p id="learn-prompt" class="learn-prompt"><span aria-hidden="true">?</span> {}</p>"#,
        inline_html(question.prompt)
    );
    match phase {
        Phase::Running => {}
        Phase::Asking(picks) => answer_controls(html, question, picks.as_ref(), facts, true),
        Phase::Revealing(guess) => {
            answer_controls(html, question, Some(guess), facts, false);
            html.push_str(r#"<p class="learn-running" role="status">Revealing…</p>"#);
        }
        Phase::Answered(verdict) => verdict_html(html, question, verdict),
        Phase::Reading => {}
    }
    html.push_str("</div>");
}

fn answer_controls(
    html: &mut String,
    question: &Question,
    picks: Option<&Guess>,
    facts: Option<&Facts>,
    open: bool,
) {
    let disabled = if open { "" } else { " disabled" };
    match question.ask {
        Ask::Records { one, .. } => {
            let picked = match picks {
                Some(Guess::Records(picked)) => Some(picked),
                _ => None,
            };
            let _ = write!(
                html,
                r#"<p class="learn-how">{} on the map, or here:</p><div class="learn-picks">"#,
                if one {
                    "Click the record"
                } else {
                    "Click the records"
                }
            );
            for (at, record) in facts.into_iter().flat_map(Facts::records) {
                let on = picked.is_some_and(|p| p.contains(&at));
                let _ = write!(
                    html,
                    r#"<button data-learn="pick" data-arg="{}:{}" aria-pressed="{on}"{disabled}><span aria-hidden="true">{}</span> {}</button>"#,
                    at.0,
                    at.1,
                    if on { "☑" } else { "☐" },
                    escape(&describe(at, record)),
                );
            }
            let empty = picked.is_none_or(|p| p.is_empty());
            let _ = write!(
                html,
                r#"</div><button data-learn="check" class="primary"{}>Check</button>"#,
                if empty || !open { " disabled" } else { "" }
            );
        }
        Ask::Segments { .. } => {
            let picked = match picks {
                Some(Guess::Segments(picked)) => Some(picked),
                _ => None,
            };
            html.push_str(r#"<div class="learn-picks">"#);
            for segment in facts.into_iter().flat_map(|f| f.layout.segments.iter()) {
                let on = picked.is_some_and(|p| p.contains(&segment.id.0));
                let _ = write!(
                    html,
                    r#"<button data-learn="pick-segment" data-arg="{}" aria-pressed="{on}"{disabled}><span aria-hidden="true">{}</span> segment {}{}</button>"#,
                    segment.id,
                    if on { "☑" } else { "☐" },
                    segment.id,
                    if segment.active { " (active)" } else { "" },
                );
            }
            let empty = picked.is_none_or(|p| p.is_empty());
            let _ = write!(
                html,
                r#"</div><button data-learn="check" class="primary"{}>Check</button>"#,
                if empty || !open { " disabled" } else { "" }
            );
        }
        Ask::Choice { options, .. } => {
            html.push_str(r#"<div class="learn-choices">"#);
            for (i, option) in options.iter().enumerate() {
                let _ = write!(
                    html,
                    r#"<button data-learn="choose" data-arg="{i}"{disabled}>{}</button>"#,
                    inline_html(option)
                );
            }
            html.push_str("</div>");
        }
        Ask::Count { max, .. } => {
            html.push_str(r#"<div class="learn-choices learn-count">"#);
            for n in 1..=max {
                let _ = write!(
                    html,
                    r#"<button data-learn="count" data-arg="{n}"{disabled}>{n}</button>"#
                );
            }
            html.push_str("</div>");
        }
    }
}

fn verdict_html(html: &mut String, question: &Question, verdict: &Verdict) {
    let (class, mark) = if verdict.right {
        ("right", "✓")
    } else {
        ("wrong", "✗")
    };
    let _ = write!(
        html,
        r#"<div class="learn-verdict {class}" data-verdict="{class}" role="status"><p><span aria-hidden="true">{mark}</span> {}</p>"#,
        escape(&verdict.headline)
    );
    if !verdict.details.is_empty() {
        html.push_str("<ul>");
        for detail in &verdict.details {
            let _ = write!(html, "<li>{}</li>", escape(detail));
        }
        html.push_str("</ul>");
    }
    let _ = write!(
        html,
        r#"<p class="learn-why">{}</p></div>"#,
        inline_html(question.why)
    );
}

fn nav_html(html: &mut String, tour: &Tour, busy: bool) {
    let at = tour.at;
    html.push_str(r#"<div class="learn-nav">"#);
    let _ = write!(
        html,
        r#"<button data-learn="back"{}>◂ Back</button>"#,
        if at.previous().is_none() || busy {
            " disabled"
        } else {
            ""
        }
    );
    let ready = tour.can_go_on() && !busy;
    let _ = write!(
        html,
        r#"<button data-learn="next" class="primary"{}>{}</button>"#,
        if ready { "" } else { " disabled" },
        if at.is_last() {
            "Finish ✓"
        } else {
            "Next ▸"
        }
    );
    let _ = write!(
        html,
        r#"<button data-learn="restart"{}>↺ Restart lesson</button><button data-learn="menu">All lessons</button>"#,
        if busy { " disabled" } else { "" }
    );
    html.push_str("</div>");
}
