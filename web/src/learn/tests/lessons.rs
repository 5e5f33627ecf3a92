//! Every lesson on a real store: each walks to its end with every question
//! answered both ways, each step teaches and runs something, and each
//! lesson shows what its text says it shows.

use std::collections::BTreeSet;

use mini_kvstore::{RecordKind, RecordState};

use super::rehearsal::{TestResult, asked, walk};
use crate::learn::lessons::LESSONS;
use crate::learn::question::Guess;

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
