//! The step state machine: a [`Tour`] is the learner on one step, in one
//! [`Phase`], and [`way_to`] says how the page gets from where it is to a
//! step it was sent to.
//!
//! A step opens `Running` (its actions run), then waits for an answer
//! (`Asking`, with the picks so far) if it has a question, else lets the
//! learner read (`Reading`). An answer starts the reveal (`Revealing`);
//! the verdict ends it (`Answered`). Only `Reading` and `Answered` let the
//! learner go on. Every method that does not fit the phase it is called in
//! changes nothing and says so, so a stray click (a button pressed twice,
//! a pick after the answer) can never put the tour in a state of its own.

use std::collections::BTreeSet;

use super::facts::RecordAt;
use super::lessons::Step;
use super::progress::Position;
use super::question::{Ask, Guess, Verdict};

/// Where in its step the tour is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Phase {
    /// The step's actions are running (on the way to it, the steps before).
    Running,
    /// The question waits for an answer; the picks so far, for a question
    /// answered by picking.
    Asking(Option<Guess>),
    /// The learner answered; the reveal is running.
    Revealing(Guess),
    /// The reveal ran; the verdict.
    Answered(Verdict),
    /// A step without a question, ready to be read.
    Reading,
}

impl Phase {
    /// The word for the phase, as the page's `data-phase` says it.
    pub fn name(&self) -> &'static str {
        match self {
            Phase::Running => "running",
            Phase::Asking(_) => "asking",
            Phase::Revealing(_) => "revealing",
            Phase::Answered(_) => "answered",
            Phase::Reading => "reading",
        }
    }
}

/// The learner on one step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tour {
    /// The step.
    pub at: Position,
    /// Where in it.
    pub phase: Phase,
}

impl Tour {
    /// The tour arriving at `at`: its actions are about to run.
    pub fn arrive(at: Position) -> Tour {
        Tour {
            at,
            phase: Phase::Running,
        }
    }

    /// The step's content.
    pub fn step(&self) -> &'static Step {
        let steps = self.at.lesson().steps;
        &steps[(self.at.step - 1).min(steps.len().saturating_sub(1))]
    }

    /// The step's actions have run: ask its question, or let the learner
    /// read. `false` when they were not running.
    pub fn actions_done(&mut self) -> bool {
        if self.phase != Phase::Running {
            return false;
        }
        self.phase = match &self.step().question {
            Some(question) => Phase::Asking(Guess::empty(&question.ask)),
            None => Phase::Reading,
        };
        true
    }

    /// A click on the record `at` while the question asks for records:
    /// picks it, or unpicks it if it was picked (a question asking for one
    /// record keeps only the latest pick). `false` when no records are
    /// asked for now.
    pub fn toggle_record(&mut self, at: RecordAt) -> bool {
        let one = match self.step().question.map(|q| q.ask) {
            Some(Ask::Records { one, .. }) => one,
            _ => return false,
        };
        let Phase::Asking(Some(Guess::Records(picks))) = &mut self.phase else {
            return false;
        };
        toggle(picks, at, one);
        true
    }

    /// A click on segment `id` while the question asks for segments.
    pub fn toggle_segment(&mut self, id: u32) -> bool {
        let Phase::Asking(Some(Guess::Segments(picks))) = &mut self.phase else {
            return false;
        };
        toggle(picks, id, false);
        true
    }

    /// The picks so far, if the question is waiting for picks.
    pub fn picks(&self) -> Option<&Guess> {
        match &self.phase {
            Phase::Asking(Some(guess)) => Some(guess),
            Phase::Revealing(guess) => Some(guess),
            _ => None,
        }
    }

    /// The learner answers: `chosen` for a choice or a count, `None` to
    /// check the picks. Returns the guess to check once the reveal has run,
    /// or `None` (and nothing changes) when there is no question waiting,
    /// nothing picked, or an answer of the wrong kind.
    pub fn answer(&mut self, chosen: Option<Guess>) -> Option<Guess> {
        let ask = self.step().question?.ask;
        let Phase::Asking(picks) = &self.phase else {
            return None;
        };
        let guess = match (chosen, picks) {
            (None, Some(picks)) if !picks.is_empty() => picks.clone(),
            (Some(guess @ Guess::Choice(i)), None) => match ask {
                Ask::Choice { options, .. } if i < options.len() => guess,
                _ => return None,
            },
            (Some(guess @ Guess::Count(n)), None) => match ask {
                Ask::Count { max, .. } if (1..=max).contains(&n) => guess,
                _ => return None,
            },
            _ => return None,
        };
        self.phase = Phase::Revealing(guess.clone());
        Some(guess)
    }

    /// The reveal ran and the guess was judged. `false` when no reveal was
    /// running.
    pub fn revealed(&mut self, verdict: Verdict) -> bool {
        if !matches!(self.phase, Phase::Revealing(_)) {
            return false;
        }
        self.phase = Phase::Answered(verdict);
        true
    }

    /// Whether the learner may go on to the next step (or finish).
    pub fn can_go_on(&self) -> bool {
        matches!(self.phase, Phase::Reading | Phase::Answered(_))
    }

    /// The verdict, once there is one.
    pub fn verdict(&self) -> Option<&Verdict> {
        match &self.phase {
            Phase::Answered(verdict) => Some(verdict),
            _ => None,
        }
    }
}

fn toggle<T: Ord>(set: &mut BTreeSet<T>, item: T, one: bool) {
    if set.remove(&item) {
        return;
    }
    if one {
        set.clear();
    }
    set.insert(item);
}

/// How the page gets to a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Way {
    /// It is there already.
    Stay,
    /// The next step of the lesson on show, whose step is finished: run
    /// the new step's actions on the store as it is.
    Onward,
    /// Anything else — another lesson, a step back, a jump ahead, a
    /// restart, a step left half-way: a fresh store, the steps before the
    /// target replayed (actions and reveals), then the target's actions.
    Fresh,
}

/// How to get from `current` (the tour on show, if one is) to `target`.
pub fn way_to(current: Option<&Tour>, target: Position) -> Way {
    match current {
        Some(tour) if tour.at == target => Way::Stay,
        Some(tour) if tour.at.next() == Some(target) && tour.can_go_on() => Way::Onward,
        _ => Way::Fresh,
    }
}
