//! A rehearsal: a lesson store as the page opens one, every lesson's
//! actions run on it the way the page runs them, and every question
//! answered right and wrong. It holds no tests of its own; the test files
//! beside it run it and check what each lesson showed.

use std::collections::BTreeSet;
use std::sync::Arc;

use mini_kvstore::{CompactionPolicy, KvStore, Layout, ManualClock, Options, SyncPolicy};
use mini_kvstore_commands::{Sandbox, execute, parse_line};

use crate::faults;
use crate::learn::action::Action;
use crate::learn::facts::Facts;
use crate::learn::lessons::{LESSONS, SEGMENT_SIZE};
use crate::learn::progress::Position;
use crate::learn::question::{Ask, Guess};
use crate::storage::IdbStorage;

pub(super) type TestResult = Result<(), Box<dyn std::error::Error>>;

/// A lesson store, as the page opens one (see `app::settings`), with a
/// clock the test moves.
pub(super) struct Rehearsal {
    storage: IdbStorage,
    pub(super) store: KvStore,
    clock: Arc<ManualClock>,
    /// The layout as the page draws it: kept as it was while a fault has
    /// stopped the store.
    layout: Layout,
    stopped: bool,
    selected: Option<&'static str>,
    /// What each console line answered.
    replies: Vec<(String, String)>,
}

fn options(clock: Arc<ManualClock>) -> Options {
    Options::default()
        .max_segment_size(SEGMENT_SIZE)
        .sync_policy(SyncPolicy::Never)
        .compaction_policy(CompactionPolicy::default().background(false))
        .clock(clock)
}

impl Rehearsal {
    fn new() -> Result<Rehearsal, mini_kvstore::Error> {
        let storage = IdbStorage::new();
        let clock = Arc::new(ManualClock::new(1_700_000_000_000));
        let store = KvStore::open_with(storage.clone(), options(clock.clone()))?;
        let layout = store.layout()?;
        Ok(Rehearsal {
            storage,
            store,
            clock,
            layout,
            stopped: false,
            selected: None,
            replies: Vec::new(),
        })
    }

    pub(super) fn facts(&self) -> Facts {
        Facts::read(&self.store, self.layout.clone())
    }

    fn reread(&mut self) -> Result<(), mini_kvstore::Error> {
        if !self.stopped {
            self.layout = self.store.layout()?;
        }
        Ok(())
    }

    fn run(&mut self, action: Action) -> Result<(), Box<dyn std::error::Error>> {
        match action {
            Action::Run(line) => {
                if self.stopped {
                    return Err(format!("`{line}` runs on a stopped store").into());
                }
                let command = parse_line(line)?.ok_or("a blank line")?;
                let reply = execute(&self.store, &command, &mut Sandbox)
                    .map_err(|e| format!("`{line}`: {e}"))?;
                self.replies
                    .push((line.to_owned(), reply.to_text().to_string()));
            }
            Action::Plan | Action::Step => {
                if self.layout.plan.survivors.is_empty() {
                    return Err("Plan or Step with nothing to copy".into());
                }
            }
            Action::Select(key) => {
                if !self.store.contains_key(key) {
                    return Err(format!("selecting `{key}`, which has no value").into());
                }
                self.selected = Some(key);
            }
            Action::Tear => {
                let active = self
                    .layout
                    .segments
                    .iter()
                    .find(|s| s.active)
                    .ok_or("active")?;
                let bytes = self.storage.segment_bytes(active.id).ok_or("bytes")?;
                let fault = faults::tear_last_write(&self.layout, &bytes)?;
                self.storage.put_segment_bytes(fault.segment, fault.bytes);
                self.stopped = true;
            }
            Action::Flip => {
                let facts = self.facts();
                let target = self.selected.and_then(|key| facts.indexed(key));
                let target = target.ok_or("Flip with no record selected")?;
                let storage = &self.storage;
                let fault =
                    faults::flip_a_bit(&self.layout, Some(target), |id| storage.segment_bytes(id))?;
                self.storage.put_segment_bytes(fault.segment, fault.bytes);
                self.stopped = true;
            }
            Action::Reload => {
                self.store = KvStore::open_with(self.storage.clone(), options(self.clock.clone()))?;
                self.stopped = false;
                self.selected = None;
            }
            Action::Wait(ms) => self.clock.advance(u64::from(ms)),
        }
        self.reread()?;
        Ok(())
    }

    pub(super) fn reply_to(&self, line: &str) -> Option<&str> {
        self.replies
            .iter()
            .rev()
            .find(|(l, _)| l == line)
            .map(|(_, reply)| reply.as_str())
    }
}

/// What one question saw, for the lesson-specific checks.
pub(super) struct Asked {
    at: Position,
    pub(super) before: Facts,
    pub(super) after: Facts,
    /// The right guess.
    pub(super) right: Guess,
}

/// Runs `lesson` (counted from 1) to its end, answering every question
/// both right and wrong; returns the rehearsal and what each question saw.
pub(super) fn walk(lesson: usize) -> Result<(Rehearsal, Vec<Asked>), Box<dyn std::error::Error>> {
    let mut rehearsal = Rehearsal::new()?;
    let mut asked = Vec::new();
    for (i, step) in LESSONS[lesson - 1].steps.iter().enumerate() {
        let at = Position::new(lesson, i + 1).ok_or("position")?;
        for action in step.actions {
            rehearsal.run(*action).map_err(|e| format!("{at}: {e}"))?;
        }
        if let Some(note) = step.note {
            assert!(!note(&rehearsal.facts()).is_empty());
        }
        let Some(question) = step.question else {
            continue;
        };
        let before = rehearsal.facts();
        for action in question.reveal {
            rehearsal.run(*action).map_err(|e| format!("{at}: {e}"))?;
        }
        let after = rehearsal.facts();
        let (right, wrong) = match question.ask {
            Ask::Records { one, answer } => {
                let answer = answer(&before);
                assert!(!answer.is_empty(), "{at}: no record is the answer");
                if one {
                    assert_eq!(answer.len(), 1, "{at}: one record is asked for");
                }
                for record in &answer {
                    assert!(
                        before.record(*record).is_some(),
                        "{at}: {record:?} is no record"
                    );
                }
                let other = before
                    .records()
                    .map(|(at, _)| at)
                    .find(|r| !answer.contains(r))
                    .ok_or("a record that is not the answer")?;
                let wrong = if one {
                    BTreeSet::from([other])
                } else {
                    answer.iter().copied().chain([other]).collect()
                };
                (Guess::Records(answer), Guess::Records(wrong))
            }
            Ask::Segments { answer } => {
                let answer = answer(&before);
                assert!(!answer.is_empty(), "{at}: no segment is the answer");
                let mut wrong = answer.clone();
                let first = *answer.iter().next().ok_or("a segment")?;
                wrong.remove(&first);
                if wrong.is_empty() {
                    wrong.insert(first + 1_000);
                }
                (Guess::Segments(answer), Guess::Segments(wrong))
            }
            Ask::Choice { options, answer } => {
                let right = answer(&before, &after);
                assert!(right < options.len(), "{at}: answer {right} is not offered");
                (
                    Guess::Choice(right),
                    Guess::Choice((right + 1) % options.len()),
                )
            }
            Ask::Count { max, answer } => {
                let right = answer(&before, &after);
                assert!(
                    (1..=max).contains(&right),
                    "{at}: answer {right} is not offered"
                );
                (Guess::Count(right), Guess::Count(right % max + 1))
            }
        };
        let verdict = question.check(&right, &before, &after);
        assert!(
            verdict.right,
            "{at}: the right answer was judged wrong: {verdict:?}"
        );
        assert!(verdict.details.is_empty(), "{at}: {verdict:?}");
        let verdict = question.check(&wrong, &before, &after);
        assert!(
            !verdict.right,
            "{at}: a wrong answer was judged right: {verdict:?}"
        );
        asked.push(Asked {
            at,
            before,
            after,
            right,
        });
    }
    Ok((rehearsal, asked))
}

pub(super) fn asked(asked: &[Asked], step: usize) -> Result<&Asked, String> {
    asked
        .iter()
        .find(|a| a.at.step == step)
        .ok_or_else(|| format!("step {step} asks nothing"))
}
