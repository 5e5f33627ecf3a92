//! Predictions: a [`Question`] asks the learner what is about to happen,
//! takes a [`Guess`], runs its reveal, and answers with a [`Verdict`] —
//! right or wrong, and why.
//!
//! The right answer is never data: each kind of question carries a
//! function of the [`Facts`] read before the reveal (what the map shows
//! while the learner decides) and after it (what the reveal did). Record
//! and segment picks are answered from the facts before, because the
//! learner picked cells of that map; counts and choices may look at what
//! the reveal left behind.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use mini_kvstore_commands::count;

use super::action::Action;
use super::facts::{Facts, RecordAt, describe, why_state};

/// A prediction a step asks for before it reveals what happens.
#[derive(Debug, Clone, Copy)]
pub struct Question {
    /// What the learner is asked.
    pub prompt: &'static str,
    /// What kind of answer it takes, and how the right one is found.
    pub ask: Ask,
    /// What runs once the learner has answered: the reveal.
    pub reveal: &'static [Action],
    /// Why the answer is what it is, shown with the verdict.
    pub why: &'static str,
}

/// The kinds of answer, each with the function that finds the right one.
#[derive(Debug, Clone, Copy)]
pub enum Ask {
    /// Click records on the map: the right set, from the facts before.
    /// `one` asks for a single record.
    Records {
        /// A single record is asked for.
        one: bool,
        /// The records that are the answer.
        answer: fn(&Facts) -> BTreeSet<RecordAt>,
    },
    /// Pick segments: the right set, from the facts before.
    Segments {
        /// The segments that are the answer.
        answer: fn(&Facts) -> BTreeSet<u32>,
    },
    /// One of a few answers in words: the index of the right one, from the
    /// facts before and after the reveal.
    Choice {
        /// The answers offered.
        options: &'static [&'static str],
        /// Which one is right.
        answer: fn(&Facts, &Facts) -> usize,
    },
    /// A number from 1 to `max`: the right one, from the facts before and
    /// after the reveal.
    Count {
        /// The largest number offered.
        max: u64,
        /// The right number.
        answer: fn(&Facts, &Facts) -> u64,
    },
}

/// What the learner answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Guess {
    /// Records picked on the map.
    Records(BTreeSet<RecordAt>),
    /// Segments picked.
    Segments(BTreeSet<u32>),
    /// The index of the answer chosen.
    Choice(usize),
    /// The number chosen.
    Count(u64),
}

impl Guess {
    /// The empty guess for a question of kind `ask`: nothing picked yet.
    pub fn empty(ask: &Ask) -> Option<Guess> {
        match ask {
            Ask::Records { .. } => Some(Guess::Records(BTreeSet::new())),
            Ask::Segments { .. } => Some(Guess::Segments(BTreeSet::new())),
            Ask::Choice { .. } | Ask::Count { .. } => None,
        }
    }

    /// Whether there is anything to check.
    pub fn is_empty(&self) -> bool {
        match self {
            Guess::Records(picks) => picks.is_empty(),
            Guess::Segments(picks) => picks.is_empty(),
            Guess::Choice(_) | Guess::Count(_) => false,
        }
    }
}

/// Right or wrong, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    /// The guess was the answer.
    pub right: bool,
    /// One line: right or not, and the answer.
    pub headline: String,
    /// The picks that were wrong and the ones missed, each with its reason.
    pub details: Vec<String>,
}

impl Question {
    /// Checks `guess` against the answer found in the facts `before` and
    /// `after` the reveal. A guess of the wrong kind is simply wrong.
    pub fn check(&self, guess: &Guess, before: &Facts, after: &Facts) -> Verdict {
        match (&self.ask, guess) {
            (Ask::Records { one, answer }, Guess::Records(picked)) => {
                records_verdict(*one, &answer(before), picked, before)
            }
            (Ask::Segments { answer }, Guess::Segments(picked)) => {
                segments_verdict(&answer(before), picked, before)
            }
            (Ask::Choice { options, answer }, Guess::Choice(chosen)) => {
                let right = answer(before, after);
                let word = |i: usize| options.get(i).copied().unwrap_or("?");
                Verdict {
                    right: right == *chosen,
                    headline: if right == *chosen {
                        format!("Right: {}.", word(right))
                    } else {
                        format!(
                            "Not quite: you said “{}”; the answer is “{}”.",
                            word(*chosen),
                            word(right)
                        )
                    },
                    details: Vec::new(),
                }
            }
            (Ask::Count { answer, .. }, Guess::Count(said)) => {
                let right = answer(before, after);
                Verdict {
                    right: right == *said,
                    headline: if right == *said {
                        format!("Right: {right}.")
                    } else {
                        format!("Not quite: you said {said}; the answer is {right}.")
                    },
                    details: Vec::new(),
                }
            }
            _ => Verdict {
                right: false,
                headline: "That is not an answer to this question.".to_owned(),
                details: Vec::new(),
            },
        }
    }
}

fn records_verdict(
    one: bool,
    answer: &BTreeSet<RecordAt>,
    picked: &BTreeSet<RecordAt>,
    facts: &Facts,
) -> Verdict {
    let wrong: Vec<RecordAt> = picked.difference(answer).copied().collect();
    let missed: Vec<RecordAt> = answer.difference(picked).copied().collect();
    let right = wrong.is_empty() && missed.is_empty();
    let line = |at: RecordAt| match facts.record(at) {
        Some(record) => format!("{}: {}.", describe(at, record), why_state(record)),
        None => format!("segment {} · record {}.", at.0, at.1 + 1),
    };
    let answer_words = answer
        .iter()
        .filter_map(|at| Some(describe(*at, facts.record(*at)?)))
        .collect::<Vec<_>>()
        .join(", ");
    let headline = if right {
        if one {
            format!("Right: {answer_words}.")
        } else {
            format!(
                "Right: exactly those {}.",
                count(answer.len() as u64, "record")
            )
        }
    } else if one {
        format!("Not quite: the answer is {answer_words}.")
    } else {
        let mut text = String::from("Not quite:");
        if !wrong.is_empty() {
            let _ = write!(
                text,
                " {} not in the answer",
                count(wrong.len() as u64, "pick")
            );
        }
        if !missed.is_empty() {
            let _ = write!(
                text,
                "{} {} missed",
                if wrong.is_empty() { "" } else { ", and" },
                count(missed.len() as u64, "record")
            );
        }
        let _ = write!(
            text,
            ". The answer is {}.",
            count(answer.len() as u64, "record")
        );
        text
    };
    let mut details = Vec::new();
    details.extend(
        wrong
            .into_iter()
            .map(|at| format!("Not this one — {}", line(at))),
    );
    details.extend(
        missed
            .into_iter()
            .map(|at| format!("Missed — {}", line(at))),
    );
    Verdict {
        right,
        headline,
        details,
    }
}

fn segments_verdict(answer: &BTreeSet<u32>, picked: &BTreeSet<u32>, facts: &Facts) -> Verdict {
    let right = answer == picked;
    let list = |set: &BTreeSet<u32>| {
        if set.is_empty() {
            "none".to_owned()
        } else {
            set.iter()
                .map(|id| format!("segment {id}"))
                .collect::<Vec<_>>()
                .join(", ")
        }
    };
    let headline = if right {
        format!("Right: {}.", list(answer))
    } else {
        format!(
            "Not quite: you picked {}; the answer is {}.",
            list(picked),
            list(answer)
        )
    };
    // How the policy saw each segment the learner got wrong.
    let details = picked
        .symmetric_difference(answer)
        .filter_map(|id| {
            let seen = facts.policy.segments.iter().find(|s| s.id.0 == *id);
            Some(match seen {
                Some(seen) => format!(
                    "Segment {id}: {}% dead{} — {}.",
                    (seen.dead_fraction * 100.0).round(),
                    match seen.reason {
                        Some(reason) => format!(", {}", reason.describe()),
                        None => String::new(),
                    },
                    if seen.selected {
                        "the merge takes it"
                    } else {
                        "the merge leaves it alone"
                    }
                ),
                None => format!(
                    "Segment {id}: {}.",
                    if facts.segment(*id)?.active {
                        "the active segment never merges"
                    } else {
                        "not a sealed segment the policy looks at"
                    }
                ),
            })
        })
        .collect();
    Verdict {
        right,
        headline,
        details,
    }
}
