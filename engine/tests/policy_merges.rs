//! Proves what `compact_by_policy` chooses and reports: nothing when no
//! segment reaches a trigger, the segments `policy_plan` names when one
//! does, and the numbers `stats` keeps about merges.

use anyhow::{Context, Result};
use mini_kvstore::{
    CompactionPolicy, CompactionTrigger, KvStore, MemStorage, MergeReason, Options, SyncPolicy,
};

fn options(policy: CompactionPolicy) -> Options {
    Options::default()
        .max_segment_size(2048)
        .sync_policy(SyncPolicy::Never)
        .compaction_policy(policy.background(false))
}

#[test]
fn nothing_merges_while_every_segment_is_mostly_live() -> Result<()> {
    let store = KvStore::open_with(MemStorage::new(), options(CompactionPolicy::default()))?;
    for i in 0..200 {
        store.set(format!("key{i:04}"), [b'v'; 50])?;
    }
    assert!(store.stats().segments > 3);
    let plan = store.policy_plan();
    assert_eq!(plan.merge, None);
    assert!(
        plan.segments
            .iter()
            .all(|s| s.reason.is_none() && !s.selected)
    );
    assert_eq!(store.compact_by_policy()?, None);
    assert_eq!(store.stats().compactions, 0);
    Ok(())
}

#[test]
fn overwrites_trigger_a_merge_of_the_segments_the_plan_names() -> Result<()> {
    let store = KvStore::open_with(MemStorage::new(), options(CompactionPolicy::default()))?;
    // Twenty keys, overwritten ten times over: the older segments are
    // almost all dead, the newest ones live.
    for round in 0..10 {
        for i in 0..20 {
            store.set(format!("key{i:02}"), format!("{round}:{:0>60}", i))?;
        }
    }
    let before = store.stats();
    let plan = store.policy_plan();
    let selected = plan.selected();
    assert!(!selected.is_empty());
    for segment in plan.segments.iter().filter(|s| s.selected) {
        assert!(segment.reason.is_some(), "{segment:?}");
    }
    assert!(
        plan.segments
            .iter()
            .any(|s| s.reason == Some(MergeReason::FragmentationTrigger)),
        "{plan:?}"
    );

    let report = store.compact_by_policy()?.context("a trigger was met")?;
    assert_eq!(report.inputs, selected);
    assert_eq!(report.trigger, CompactionTrigger::Policy);
    let reasons: Vec<_> = report.reasons.iter().map(|r| r.segment).collect();
    assert_eq!(reasons, selected, "every input has its reason");
    assert!(report.bytes_reclaimed() > 0);

    let after = store.stats();
    assert_eq!(after.compactions, 1);
    assert_eq!(after.compaction_failures, 0);
    assert_eq!(after.compaction_bytes_written, report.bytes_written);
    assert!(after.space_amplification() < before.space_amplification());
    let expected_write_amp = (after.user_bytes_written + after.compaction_bytes_written) as f64
        / after.user_bytes_written as f64;
    assert_eq!(after.write_amplification(), expected_write_amp);
    assert!(after.write_amplification() > 1.0);
    assert_eq!(store.recent_compactions(), vec![report]);

    for i in 0..20 {
        let value = store
            .get(format!("key{i:02}"))?
            .context("a key went missing")?;
        assert!(value.starts_with(b"9:"), "key{i:02} lost its last value");
    }
    Ok(())
}

#[test]
fn merges_repeat_until_no_segment_reaches_the_trigger() -> Result<()> {
    let policy = CompactionPolicy::default();
    let store = KvStore::open_with(MemStorage::new(), options(policy.clone()))?;
    for round in 0..30 {
        for i in 0..20 {
            store.set(format!("key{i:02}"), format!("{round}:{:0>60}", i))?;
        }
        while store.compact_by_policy()?.is_some() {}
    }
    let plan = store.policy_plan();
    assert_eq!(plan.merge, None);
    for segment in &plan.segments {
        assert!(
            segment.dead_fraction < policy.get_fragmentation_trigger(),
            "{segment:?}"
        );
    }
    // Sealed segments at most 60 % dead bound them to 2.5× the live bytes;
    // the active segment (at most one segment) comes on top.
    let stats = store.stats();
    let active = 2048 + 100;
    assert!(
        stats.total_bytes <= (2.5 * stats.live_bytes as f64) as u64 + active,
        "{stats:?}"
    );
    Ok(())
}

#[test]
fn a_policy_that_cannot_work_is_refused_at_open() {
    let bad = Options::default()
        .compaction_policy(CompactionPolicy::default().fragmentation_trigger(2.0));
    let error = KvStore::open_with(MemStorage::new(), bad).err();
    assert!(
        matches!(error, Some(mini_kvstore::Error::InvalidOptions(_))),
        "{error:?}"
    );
}
