//! Unit tests of `learn`, beside it so the modules themselves read as one
//! concern each. The heart of them is a [`Rehearsal`]: every lesson run on
//! a real store, natively, the way the page runs it — console lines through
//! the commands crate, faults through `faults`, a reload as a reopen over
//! the same segments, waits on a manual clock — with every question
//! answered right and wrong against the answer worked out from the facts.

use std::collections::BTreeSet;
use std::sync::Arc;

use mini_kvstore::{
    CompactionPolicy, KvStore, Layout, ManualClock, Options, RecordKind, RecordState, SyncPolicy,
};
use mini_kvstore_commands::{Sandbox, execute, parse_line};

use super::action::{Action, Target, arrow_head};
use super::facts::Facts;
use super::lessons::{LESSONS, SEGMENT_SIZE};
use super::panel::{StepContext, inline_html, menu_html, step_html};
use super::progress::{Position, Progress, Route};
use super::question::{Ask, Guess};
use super::tour::{Phase, Tour, Way, way_to};
use crate::faults;
use crate::storage::IdbStorage;

type TestResult = Result<(), Box<dyn std::error::Error>>;

/// A lesson store, as the page opens one (see `app::settings`), with a
/// clock the test moves.
struct Rehearsal {
    storage: IdbStorage,
    store: KvStore,
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

    fn facts(&self) -> Facts {
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

    fn reply_to(&self, line: &str) -> Option<&str> {
        self.replies
            .iter()
            .rev()
            .find(|(l, _)| l == line)
            .map(|(_, reply)| reply.as_str())
    }
}

/// What one question saw, for the lesson-specific checks.
struct Asked {
    at: Position,
    before: Facts,
    after: Facts,
    /// The right guess.
    right: Guess,
}

/// Runs `lesson` (counted from 1) to its end, answering every question
/// both right and wrong; returns the rehearsal and what each question saw.
fn walk(lesson: usize) -> Result<(Rehearsal, Vec<Asked>), Box<dyn std::error::Error>> {
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

fn asked(asked: &[Asked], step: usize) -> Result<&Asked, String> {
    asked
        .iter()
        .find(|a| a.at.step == step)
        .ok_or_else(|| format!("step {step} asks nothing"))
}

#[test]
fn every_lesson_walks_to_its_end_on_a_real_store() -> TestResult {
    for lesson in 1..=LESSONS.len() {
        walk(lesson)?;
    }
    Ok(())
}

#[test]
fn every_step_teaches_and_shows_something() {
    for (l, lesson) in LESSONS.iter().enumerate() {
        assert!((3..=6).contains(&lesson.steps.len()), "lesson {}", l + 1);
        for (s, step) in lesson.steps.iter().enumerate() {
            let at = format!("lesson {}, step {}", l + 1, s + 1);
            assert!(!step.text.is_empty() && !step.title.is_empty(), "{at}");
            assert!(!step.highlight.is_empty(), "{at} points at nothing");
            let sentences = step.text.matches(". ").count() + 1;
            assert!(sentences <= 4, "{at} has {sentences} sentences");
            let ran =
                !step.actions.is_empty() || step.question.is_some_and(|q| !q.reveal.is_empty());
            assert!(ran, "{at} runs nothing on the store");
        }
    }
}

#[test]
fn the_log_appends_an_overwrite() -> TestResult {
    let (rehearsal, asked_) = walk(1)?;
    let q = asked(&asked_, 3)?;
    assert_eq!(q.right, Guess::Count(4));
    let fruit: Vec<_> = q
        .after
        .records_of("fruit")
        .map(|(at, r)| (at, r.state))
        .collect();
    assert_eq!(fruit.len(), 2);
    assert_eq!(fruit[0].1, RecordState::Overwritten);
    assert!(
        fruit[0].0 < fruit[1].0,
        "the new record is after the old one"
    );
    assert_eq!(rehearsal.reply_to("get fruit"), Some("banana"));
    Ok(())
}

#[test]
fn a_get_reads_the_record_the_index_names() -> TestResult {
    let (rehearsal, asked_) = walk(2)?;
    let q = asked(&asked_, 2)?;
    let Guess::Records(picked) = &q.right else {
        return Err("records".into());
    };
    let at = *picked.iter().next().ok_or("one")?;
    let record = q.before.record(at).ok_or("record")?;
    assert_eq!(
        (record.key.as_slice(), record.state),
        (&b"city"[..], RecordState::Live)
    );
    assert_eq!(record.value_preview, b"Lisbon");
    assert_eq!(rehearsal.reply_to("get city"), Some("Lisbon"));
    assert_eq!(rehearsal.store.len(), 2, "the reload kept every key");
    Ok(())
}

#[test]
fn a_delete_writes_a_tombstone_that_survives_a_reload() -> TestResult {
    let (rehearsal, asked_) = walk(3)?;
    assert_eq!(asked(&asked_, 2)?.right, Guess::Choice(1));
    assert_eq!(rehearsal.reply_to("get color"), Some("Key not found"));
    let dead = asked(&asked_, 4)?;
    let Guess::Records(picked) = &dead.right else {
        return Err("records".into());
    };
    assert_eq!(picked.len(), 4, "three values of color and its tombstone");
    Ok(())
}

#[test]
fn five_writes_rotate_the_active_segment_once() -> TestResult {
    let (rehearsal, asked_) = walk(4)?;
    let q = asked(&asked_, 2)?;
    assert_eq!(q.before.layout.segments.len(), 1);
    assert_eq!(q.right, Guess::Count(2));
    let facts = rehearsal.facts();
    let user_1 = facts.indexed("user:1").ok_or("user:1")?;
    let segment = facts.segment(user_1.0).ok_or("segment")?;
    assert!(segment.sealed, "user:1 is read from a sealed segment");
    Ok(())
}

#[test]
fn compaction_keeps_the_live_records_and_fewer_segments() -> TestResult {
    let (rehearsal, asked_) = walk(5)?;
    let q = asked(&asked_, 2)?;
    assert_eq!(
        q.before.layout.segments.len(),
        3,
        "the text says three segments"
    );
    let Guess::Records(kept) = &q.right else {
        return Err("records".into());
    };
    let live: BTreeSet<_> = q
        .before
        .records()
        .filter(|(_, r)| r.state == RecordState::Live)
        .map(|(at, _)| at)
        .collect();
    assert_eq!(kept, &live);
    // The text steps four survivors.
    assert!(q.before.layout.plan.survivors.len() >= 4);
    let apply = asked(&asked_, 5)?;
    let Guess::Count(segments) = apply.right else {
        return Err("count".into());
    };
    assert!(segments < apply.before.layout.segments.len() as u64);
    assert_eq!(rehearsal.facts().stats.dead_bytes, 0);
    Ok(())
}

#[test]
fn a_wrong_pick_is_explained() -> TestResult {
    let (_, asked_) = walk(5)?;
    let q = asked(&asked_, 2)?;
    let question = LESSONS[4].steps[1].question.ok_or("question")?;
    let overwritten = q
        .before
        .records()
        .find(|(_, r)| r.state == RecordState::Overwritten)
        .map(|(at, _)| at)
        .ok_or("an overwritten record")?;
    let verdict = question.check(
        &Guess::Records(BTreeSet::from([overwritten])),
        &q.before,
        &q.after,
    );
    assert!(!verdict.right);
    assert!(
        verdict
            .headline
            .starts_with("Not quite: 1 pick not in the answer, and")
    );
    assert!(
        verdict.details[0].starts_with("Not this one — segment")
            && verdict.details[0].contains("a newer record of"),
        "{verdict:?}"
    );
    assert!(
        verdict
            .details
            .iter()
            .skip(1)
            .all(|d| d.starts_with("Missed — "))
    );
    Ok(())
}

#[test]
fn the_policy_merges_part_and_keeps_the_tombstone() -> TestResult {
    let (rehearsal, asked_) = walk(6)?;
    let partial = asked(&asked_, 2)?;
    let Guess::Segments(chosen) = &partial.right else {
        return Err("segments".into());
    };
    let sealed = partial.before.policy.segments.len();
    assert!(
        !chosen.is_empty() && chosen.len() < sealed,
        "a partial merge: {chosen:?} of {sealed}"
    );

    let tomb = asked(&asked_, 3)?;
    let merge = tomb
        .before
        .policy
        .merge
        .as_ref()
        .ok_or("the policy merges")?;
    let of_ghost = |kind| {
        tomb.before
            .records_of("ghost")
            .find(|(_, r)| r.kind == kind)
            .map(|(at, _)| at.0)
            .ok_or("a record of ghost")
    };
    let tombstone_in = of_ghost(RecordKind::Tombstone)?;
    let put_in = of_ghost(RecordKind::Put)?;
    assert!(
        merge.inputs.iter().any(|s| s.0 == tombstone_in),
        "the merge takes the tombstone's segment"
    );
    assert!(
        !merge.inputs.iter().any(|s| s.0 == put_in),
        "and not the put's"
    );
    assert_eq!(tomb.right, Guess::Choice(0), "the tombstone is kept");
    assert!(
        tomb.after
            .records_of("ghost")
            .any(|(_, r)| r.state == RecordState::Tombstone)
    );
    assert_eq!(rehearsal.reply_to("get ghost"), Some("Key not found"));
    Ok(())
}

#[test]
fn recovery_cuts_the_torn_tail_and_skips_the_flipped_record() -> TestResult {
    let (rehearsal, asked_) = walk(7)?;
    let torn = asked(&asked_, 2)?;
    let Guess::Records(cut) = &torn.right else {
        return Err("records".into());
    };
    let record = torn
        .before
        .record(*cut.iter().next().ok_or("one")?)
        .ok_or("record")?;
    assert_eq!(record.key, b"note");
    assert_eq!(rehearsal.reply_to("get note"), Some("Key not found"));

    let flip = asked(&asked_, 4)?;
    let live = flip.before.indexed("city").ok_or("city")?;
    assert!(
        flip.before.segment(live.0).ok_or("segment")?.sealed,
        "the text says city's live record is in a sealed segment"
    );
    assert_eq!(flip.right, Guess::Choice(1), "its previous value");
    assert_eq!(rehearsal.reply_to("get city"), Some("Paris"));
    let report = rehearsal.store.recovery_report();
    assert_eq!(report.corrupt.len(), 1, "{report:?}");
    assert!(
        rehearsal
            .reply_to("verify")
            .ok_or("verify")?
            .ends_with("no corruption"),
        "compaction left the damaged bytes behind"
    );
    Ok(())
}

#[test]
fn expired_records_read_absent_and_compaction_drops_them() -> TestResult {
    let (rehearsal, asked_) = walk(8)?;
    assert_eq!(asked(&asked_, 2)?.right, Guess::Choice(1));
    assert_eq!(rehearsal.reply_to("get session"), Some("Key not found"));
    let plan = asked(&asked_, 4)?;
    let Guess::Records(kept) = &plan.right else {
        return Err("records".into());
    };
    for key in ["otp", "session"] {
        assert!(
            plan.before
                .records_of(key)
                .all(|(at, _)| !kept.contains(&at)),
            "{key} expired and is dropped"
        );
    }
    assert!(
        plan.before
            .records_of("otp")
            .any(|(_, r)| r.state == RecordState::Expired)
    );
    Ok(())
}

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
    let verdict = super::question::Verdict {
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
