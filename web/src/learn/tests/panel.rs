//! What the page is given to draw: the selectors a step points at on the
//! page's test hooks, and the panel's HTML, which must say with words and
//! not only colour what is picked, right and wrong.

use super::rehearsal::{TestResult, walk};
use crate::learn::action::{Target, arrow_head};
use crate::learn::lessons::LESSONS;
use crate::learn::panel::{StepContext, inline_html, menu_html, step_html};
use crate::learn::progress::{Position, Progress};
use crate::learn::tour::Tour;

#[test]
fn targets_are_selectors_on_the_page_hooks() {
    assert_eq!(Target::Id("map-panel").selector(), "#map-panel");
    assert_eq!(
        Target::Records {
            key: "fruit",
            state: Some("live")
        }
        .selector(),
        r#"#map-strips [data-record][data-key="fruit"][data-state="live"]"#
    );
    assert_eq!(
        Target::IndexRow(r#"a"b"#).selector(),
        r#"#index [data-index-key="a\"b"]"#
    );
    assert!(
        Target::Arrow("city")
            .selector()
            .ends_with(&arrow_head("city"))
    );
    assert!(
        Target::ActiveSegment
            .selector()
            .contains(r#"[data-active="true"]"#)
    );
}

#[test]
fn the_panel_marks_with_words_not_only_colour() -> TestResult {
    assert_eq!(
        inline_html("run `set a <b>` and **look**"),
        "run <code>set a &lt;b&gt;</code> and <b>look</b>"
    );
    assert_eq!(inline_html("2 * 3"), "2 * 3");
    let mut progress = Progress::new();
    progress.complete(Position::new(1, 1).ok_or("1/1")?);
    let menu = menu_html(&progress);
    for lesson in 1..=LESSONS.len() {
        assert!(
            menu.contains(&format!(r##"href="#learn/{lesson}/1""##)),
            "lesson {lesson}"
        );
    }
    assert!(menu.contains("start here"));
    assert!(menu.contains("Continue at step 2"));

    let (rehearsal, _) = walk(5)?;
    let facts = rehearsal.facts();
    let mut tour = Tour::arrive(Position::new(5, 2).ok_or("5/2")?);
    let context = StepContext {
        facts: Some(&facts),
        progress: &progress,
        busy: false,
    };
    let running = step_html(&tour, context);
    assert!(running.contains(r#"data-learn="next" class="primary" disabled"#));
    tour.actions_done();
    let (first, _) = facts.records().next().ok_or("a record")?;
    tour.toggle_record(first);
    let asking = step_html(&tour, context);
    assert!(asking.contains(&format!(
        r#"data-learn="pick" data-arg="{}:{}" aria-pressed="true""#,
        first.0, first.1
    )));
    assert!(asking.contains("☑"));
    assert!(asking.contains(r#"<button data-learn="check" class="primary">"#));
    let guess = tour.answer(None).ok_or("a guess")?;
    let question = tour.step().question.ok_or("question")?;
    tour.revealed(question.check(&guess, &facts, &facts));
    let answered = step_html(&tour, context);
    assert!(answered.contains(r#"data-verdict="wrong""#) && answered.contains("✗"));
    assert!(answered.contains(r#"<button data-learn="next" class="primary">Next ▸</button>"#));
    assert!(answered.contains(r#"aria-current="step""#));
    Ok(())
}
