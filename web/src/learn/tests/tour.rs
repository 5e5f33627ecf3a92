//! A step's phases: what a learner may do while the actions run, while a
//! question asks and after it is answered, and whether an address is
//! reached by staying, going on or starting afresh.

use std::collections::BTreeSet;

use crate::learn::progress::Position;
use crate::learn::question::Guess;
use crate::learn::tour::{Phase, Tour, Way, way_to};

#[test]
fn the_tour_only_moves_as_its_phase_allows() {
    // Lesson 5, step 2 asks for records; step 3 only reads.
    let at = Position::new(5, 2).expect("5/2");
    let mut tour = Tour::arrive(at);
    assert!(!tour.can_go_on());
    assert!(
        !tour.toggle_record((0, 1)),
        "no picks while the actions run"
    );
    assert_eq!(tour.answer(None), None);
    assert!(tour.actions_done());
    assert!(!tour.actions_done(), "only once");
    assert_eq!(tour.phase.name(), "asking");
    assert_eq!(tour.answer(None), None, "nothing picked yet");
    assert_eq!(tour.answer(Some(Guess::Choice(0))), None, "not a choice");
    assert!(tour.toggle_record((0, 1)));
    assert!(tour.toggle_record((1, 0)));
    assert!(tour.toggle_record((0, 1)), "a second click unpicks");
    assert!(!tour.toggle_segment(1));
    let guess = tour.answer(None).expect("picks to check");
    assert_eq!(guess, Guess::Records(BTreeSet::from([(1, 0)])));
    assert_eq!(tour.phase.name(), "revealing");
    assert!(!tour.toggle_record((0, 2)), "no picks after the answer");
    assert!(!tour.can_go_on());
    let verdict = crate::learn::question::Verdict {
        right: true,
        headline: "Right.".into(),
        details: Vec::new(),
    };
    assert!(tour.revealed(verdict.clone()));
    assert!(!tour.revealed(verdict), "only once");
    assert!(tour.can_go_on());
    assert_eq!(way_to(Some(&tour), at), Way::Stay);
    let next = at.next().expect("5/3");
    assert_eq!(way_to(Some(&tour), next), Way::Onward);
    assert_eq!(way_to(Some(&tour), next.next().expect("5/4")), Way::Fresh);
    assert_eq!(
        way_to(Some(&tour), Position::start(5).expect("5/1")),
        Way::Fresh
    );
    assert_eq!(way_to(None, next), Way::Fresh);

    let mut reading = Tour::arrive(next);
    assert_eq!(
        way_to(Some(&reading), next.next().expect("5/4")),
        Way::Fresh,
        "not read yet"
    );
    assert!(reading.actions_done());
    assert_eq!(reading.phase, Phase::Reading);
    assert!(reading.can_go_on());
    assert_eq!(reading.answer(Some(Guess::Count(1))), None);

    // A question asking for one record keeps the latest pick.
    let mut one = Tour::arrive(Position::new(2, 2).expect("2/2"));
    one.actions_done();
    one.toggle_record((0, 0));
    one.toggle_record((0, 2));
    assert_eq!(one.picks(), Some(&Guess::Records(BTreeSet::from([(0, 2)]))));

    // Counts and choices must be among those offered.
    let mut count = Tour::arrive(Position::new(1, 3).expect("1/3"));
    count.actions_done();
    assert_eq!(count.answer(Some(Guess::Count(0))), None);
    assert_eq!(count.answer(Some(Guess::Count(99))), None);
    assert_eq!(count.answer(Some(Guess::Count(4))), Some(Guess::Count(4)));
}
