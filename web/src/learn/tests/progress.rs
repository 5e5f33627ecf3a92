//! Where a learner is: `#learn/L/S` addresses, and the progress the page
//! keeps as text in `localStorage`, which must survive a round trip and
//! garbage alike.

use crate::learn::lessons::LESSONS;
use crate::learn::progress::{Position, Progress, Route};

#[test]
fn addresses_parse_and_print() {
    let at = Position::new(6, 3).expect("lesson 6 has a step 3");
    assert_eq!(at.hash(), "#learn/6/3");
    assert_eq!(Route::parse("#learn/6/3"), Route::Step(at));
    assert_eq!(Route::parse(&at.hash()), Route::Step(at));
    assert_eq!(
        Route::parse("#learn/2"),
        Route::Step(Position::new(2, 1).expect("2/1"))
    );
    let last = LESSONS[0].steps.len();
    assert_eq!(
        Route::parse("#learn/1/99"),
        Route::Step(Position::new(1, last).expect("last")),
        "a step past the end is the last one"
    );
    assert_eq!(Route::parse("#learn/1/0").hash(), "#learn/1/1");
    for menu in ["#learn", "#learn/", "#learn/9/1", "#learn/0", "#learn/x/2"] {
        assert_eq!(Route::parse(menu), Route::Menu, "{menu}");
    }
    for away in ["", "#", "#learning", "#other"] {
        assert_eq!(Route::parse(away), Route::Away, "{away}");
    }
    assert_eq!(Route::Menu.hash(), "#learn");
    assert_eq!(Route::Away.hash(), "");
    assert_eq!(Position::new(9, 1), None);
    assert_eq!(Position::new(1, 0), None);
    assert_eq!(at.next().map(Position::hash).as_deref(), Some("#learn/6/4"));
    assert_eq!(Position::start(1).and_then(Position::previous), None);
}

#[test]
fn progress_survives_its_text() {
    let mut progress = Progress::new();
    for (lesson, step) in [(1, 1), (1, 2), (6, 3), (1, 3)] {
        assert!(progress.complete(Position::new(lesson, step).expect("a step")));
    }
    assert!(!progress.complete(Position::new(1, 1).expect("1/1")));
    let text = progress.to_text();
    assert_eq!(text, "1:1,2,3;6:3");
    assert_eq!(Progress::parse(&text), progress);
    assert_eq!(progress.steps_done(1), 3);
    assert!(!progress.lesson_done(1));
    assert_eq!(progress.resume(1), Position::new(1, 4));
    for step in 4..=LESSONS[0].steps.len() {
        progress.complete(Position::new(1, step).expect("a step"));
    }
    assert!(progress.lesson_done(1));
    assert_eq!(
        progress.resume(1),
        Position::start(1),
        "a done lesson starts over"
    );
    progress.forget(1);
    assert_eq!(progress.steps_done(1), 0);
    // Garbage and steps that do not exist are left out.
    let parsed = Progress::parse("1:1,x,99;zz;9:1;2:;:3;2:2");
    assert_eq!(parsed.to_text(), "1:1;2:2");
    assert_eq!(Progress::parse(""), Progress::new());
}
