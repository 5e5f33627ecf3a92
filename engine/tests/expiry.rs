//! Proves expiry: a value set with a TTL is there until its time and
//! absent from then on — to `get`, `contains_key`, `len`, key lists and
//! ranges — without anything being written; `ttl`, `expire` and `persist`
//! read and change it; the expiry is kept in the record, so it holds across
//! a reopen (from the records and from hint files); expired bytes count as
//! dead and compaction drops them; and a merge never lets an expired record
//! uncover an older value of its key.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Result;
use mini_kvstore::{
    CompactionPolicy, Expect, KvStore, ManualClock, MemStorage, Options, SyncPolicy, WriteBatch,
};

const START: u64 = 1_700_000_000_000;

fn options(clock: &Arc<ManualClock>) -> Options {
    Options::default()
        .sync_policy(SyncPolicy::Never)
        .max_segment_size(1024)
        .clock(Arc::clone(clock))
        .compaction_policy(CompactionPolicy::default().background(false))
}

fn setup() -> Result<(KvStore, MemStorage, Arc<ManualClock>)> {
    let clock = Arc::new(ManualClock::new(START));
    let storage = MemStorage::new();
    let store = KvStore::open_with(storage.clone(), options(&clock))?;
    Ok((store, storage, clock))
}

#[test]
fn a_value_is_there_until_its_time_and_then_gone_everywhere() -> Result<()> {
    let (store, _, clock) = setup()?;
    store.set("plain", "stays")?;
    let outcome = store.set_with_ttl("brief", "soon gone", Duration::from_secs(30))?;
    assert!(!outcome.replaced);
    assert_eq!(store.get("brief")?, Some(b"soon gone".to_vec()));
    assert_eq!(store.ttl("brief"), Some(Duration::from_secs(30)));
    assert_eq!(store.ttl("plain"), None);
    assert_eq!(store.len(), 2);

    clock.advance(29_999);
    assert_eq!(store.ttl("brief"), Some(Duration::from_millis(1)));
    assert!(store.contains_key("brief"));
    let written = store.stats().user_bytes_written;
    clock.advance(1);
    assert_eq!(store.get("brief")?, None);
    assert!(!store.contains_key("brief"));
    assert_eq!(store.ttl("brief"), None);
    assert_eq!(store.len(), 1);
    assert_eq!(store.keys(), vec![b"plain".to_vec()]);
    let all: Vec<Vec<u8>> = store
        .iter()
        .map(|r| r.map(|(k, _)| k))
        .collect::<mini_kvstore::Result<_>>()?;
    assert_eq!(all, vec![b"plain".to_vec()]);
    let back: Vec<Vec<u8>> = store
        .iter()
        .rev()
        .map(|r| r.map(|(k, _)| k))
        .collect::<mini_kvstore::Result<_>>()?;
    assert_eq!(back, vec![b"plain".to_vec()]);
    assert_eq!(
        store.stats().user_bytes_written,
        written,
        "expiring wrote nothing"
    );
    // Expired is absent: deleting writes nothing, a write expecting absence goes in.
    assert!(!store.delete("brief")?);
    assert!(!store.expire("brief", Duration::from_secs(5))?);
    store.set_if("brief", "back", Expect::Absent)?;
    assert_eq!(store.get("brief")?, Some(b"back".to_vec()));
    assert_eq!(
        store.ttl("brief"),
        None,
        "a plain write clears the old expiry"
    );
    Ok(())
}

#[test]
fn expire_and_persist_change_the_time_to_live() -> Result<()> {
    let (store, _, clock) = setup()?;
    store.set("k", "value")?;
    assert!(!store.persist("k")?, "nothing to persist");
    assert!(store.expire("k", Duration::from_secs(10))?);
    assert_eq!(store.ttl("k"), Some(Duration::from_secs(10)));
    assert_eq!(store.get("k")?, Some(b"value".to_vec()));
    clock.advance(5_000);
    assert!(store.persist("k")?);
    assert_eq!(store.ttl("k"), None);
    clock.advance(60_000);
    assert_eq!(store.get("k")?, Some(b"value".to_vec()));
    assert!(!store.expire("missing", Duration::from_secs(1))?);
    Ok(())
}

#[test]
fn the_expiry_holds_across_a_reopen_from_records_and_from_hints() -> Result<()> {
    let clock = Arc::new(ManualClock::new(START));
    let dir = tempfile::tempdir()?;
    {
        let store = KvStore::open_with_options(dir.path(), options(&clock))?;
        store.set_with_ttl("early", "a", Duration::from_secs(10))?;
        store.set_with_ttl("late", "b", Duration::from_secs(100))?;
        // Enough writes to seal the first segment, so its hint is written.
        for i in 0..40 {
            store.set(format!("filler{i:02}"), [b'f'; 40])?;
        }
        let mut batch = WriteBatch::new();
        batch.set_with_ttl("batched", "c", Duration::from_secs(50));
        store.apply(batch)?;
    }
    for reopen in 0..2 {
        let store = KvStore::open_with_options(dir.path(), options(&clock))?;
        if reopen == 1 {
            assert!(
                store.recovery_report().hinted_segments > 0,
                "the hints were used"
            );
        }
        clock.set(START + 20_000);
        assert_eq!(store.get("early")?, None, "reopen {reopen}");
        assert_eq!(store.get("late")?, Some(b"b".to_vec()));
        assert_eq!(store.ttl("late"), Some(Duration::from_secs(80)));
        assert_eq!(store.ttl("batched"), Some(Duration::from_secs(30)));
        clock.set(START);
    }
    Ok(())
}

#[test]
fn expired_bytes_are_dead_and_compaction_drops_them() -> Result<()> {
    let (store, _, clock) = setup()?;
    store.set_with_ttl("gone", [b'x'; 200], Duration::from_secs(1))?;
    store.set("kept", "v")?;
    let before = store.stats();
    clock.advance(1_000);
    let expired = store.stats();
    assert_eq!(expired.keys, 1);
    assert_eq!(expired.live_bytes + 21 + 4 + 8 + 200, before.live_bytes);
    let report = store.compact()?;
    assert_eq!(report.records_copied, 1, "only the live record is copied");
    assert_eq!(store.get("gone")?, None);
    assert_eq!(store.len(), 1);
    Ok(())
}

#[test]
fn a_merge_keeps_an_expired_record_that_hides_an_older_value() -> Result<()> {
    let (store, storage, clock) = setup()?;
    // Segment A: the old value of `k`, among live neighbours.
    store.set("k", "the old value")?;
    let a = store.stats().active_segment;
    let mut i = 0;
    while store.stats().active_segment == a {
        store.set(format!("n{i:03}"), [b'n'; 60])?;
        i += 1;
    }
    // Segment B: `k` again, expiring, then overwrites that make B dead.
    store.set_with_ttl("k", "short-lived", Duration::from_secs(1))?;
    let b = store.stats().active_segment;
    while store.stats().active_segment == b {
        store.set("hot", [b'h'; 60])?;
    }
    clock.advance(1_000);
    let report = store
        .compact_by_policy()?
        .ok_or_else(|| anyhow::anyhow!("B should merge"))?;
    assert!(report.inputs.contains(&b), "{report:?}");
    assert!(!report.inputs.contains(&a), "{report:?}");
    assert_eq!(store.get("k")?, None);
    drop(store);
    let store = KvStore::open_with(storage, options(&clock))?;
    assert_eq!(store.get("k")?, None, "the old value came back");
    Ok(())
}
