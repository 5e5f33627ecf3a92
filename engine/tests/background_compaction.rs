//! Proves the background compactor: it merges by itself once a segment is
//! worth it, paces its copying to the policy's rate limit, and stops at
//! close — a merge in progress is abandoned without harm, the threads are
//! joined, and reopening right after succeeds with every value intact.

use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use mini_kvstore::{CompactionPolicy, KvStore, Options, SyncPolicy};

fn options(policy: CompactionPolicy) -> Options {
    Options::default()
        .max_segment_size(4096)
        .sync_policy(SyncPolicy::Never)
        .compaction_policy(policy)
}

/// Overwrites twenty keys `rounds` times with 100-byte values.
fn overwrite(store: &KvStore, rounds: u32) -> Result<()> {
    for round in 0..rounds {
        for i in 0..20 {
            store.set(format!("key{i:02}"), format!("{round}:{i:0>96}"))?;
        }
    }
    Ok(())
}

fn check(store: &KvStore, round: u32) -> Result<()> {
    for i in 0..20 {
        let value = store
            .get(format!("key{i:02}"))?
            .context("a key went missing")?;
        assert_eq!(value, format!("{round}:{i:0>96}").into_bytes(), "key{i:02}");
    }
    Ok(())
}

#[test]
fn the_compactor_merges_by_itself() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let policy = CompactionPolicy::default().check_interval(Duration::from_millis(10));
    let store = KvStore::open_with_options(dir.path(), options(policy))?;
    overwrite(&store, 30)?;
    let deadline = Instant::now() + Duration::from_secs(20);
    while store.stats().compactions == 0 {
        assert!(Instant::now() < deadline, "no background merge within 20 s");
        std::thread::sleep(Duration::from_millis(10));
    }
    let report = store
        .recent_compactions()
        .into_iter()
        .next()
        .context("the merge is reported")?;
    assert!(!report.inputs.is_empty());
    assert!(!report.reasons.is_empty(), "a policy merge says why");
    check(&store, 29)?;
    drop(store);
    let store = KvStore::open_with_options(dir.path(), options(CompactionPolicy::default()))?;
    check(&store, 29)?;
    Ok(())
}

#[test]
fn a_rate_limit_paces_the_copy() -> Result<()> {
    let dir = tempfile::tempdir()?;
    // About 12 KiB of live records to copy at 16 KiB/s: at least half a second.
    let paced = CompactionPolicy::default()
        .background(false)
        .rate_limit(Some(16 * 1024));
    let store = KvStore::open_with_options(dir.path(), options(paced))?;
    overwrite(&store, 20)?;
    store.set("big", vec![b'b'; 12 * 1024])?;
    for i in 0..3 {
        store.set(format!("pad{i}"), vec![b'p'; 3000])?; // seal the segment holding `big`
    }
    let started = Instant::now();
    let report = store.compact()?;
    let took = started.elapsed();
    let written = report.bytes_written as f64;
    assert!(
        took.as_secs_f64() >= 0.9 * written / (16.0 * 1024.0),
        "{written} bytes copied in {took:?}: faster than the limit allows"
    );
    assert_eq!(store.get("big")?, Some(vec![b'b'; 12 * 1024]));
    Ok(())
}

#[test]
fn closing_abandons_a_paced_merge_and_reopening_finds_everything() -> Result<()> {
    let dir = tempfile::tempdir()?;
    // So slow that the merge cannot finish: closing must not wait for it.
    let crawling = CompactionPolicy::default()
        .check_interval(Duration::from_millis(5))
        .rate_limit(Some(1));
    let store = KvStore::open_with_options(dir.path(), options(crawling))?;
    overwrite(&store, 30)?;
    // Wait until the compactor has started a merge and written to it.
    let deadline = Instant::now() + Duration::from_secs(20);
    while store.stats().compaction_bytes_written == 0 {
        assert!(Instant::now() < deadline, "no merge started within 20 s");
        std::thread::sleep(Duration::from_millis(5));
    }
    assert_eq!(
        store.stats().compactions,
        0,
        "the pace holds the merge back"
    );
    let closing = Instant::now();
    drop(store);
    assert!(
        closing.elapsed() < Duration::from_secs(10),
        "closing waited {:?} for the merge",
        closing.elapsed()
    );
    let store = KvStore::open_with_options(
        dir.path(),
        options(CompactionPolicy::default().background(false)),
    )?;
    check(&store, 29)?;
    assert!(store.verify()?.is_clean());
    Ok(())
}
