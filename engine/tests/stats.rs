//! Proves that `stats()` describes the store truthfully: `total_bytes` is
//! `live_bytes + dead_bytes` and, after a sync, equals the sum of the segment
//! files' sizes on disk; `segments` counts those files and `active_segment` is one of them;
//! `keys` is `len()`; `dead_ratio` is `dead / total` (0.0 when empty); and
//! segments rotate at `max_segment_size` into `segment-XXXXXXXX.dat` files.

mod common;

use std::fs;

use anyhow::Result;
use common::{key, segment_bytes_on_disk, segment_files, value};
use mini_kvstore::{KvStore, Options, Stats};

fn check_invariants(stats: &Stats, dir: &std::path::Path, store: &KvStore) -> Result<()> {
    assert_eq!(
        stats.live_bytes + stats.dead_bytes,
        stats.total_bytes,
        "{stats:?}"
    );
    // Appends may wait in the storage's write buffer until a sync; after
    // one, the files hold exactly what the stats count.
    store.sync()?;
    assert_eq!(
        stats.total_bytes,
        segment_bytes_on_disk(dir)?,
        "total_bytes vs files: {stats:?}"
    );
    let files = segment_files(dir)?;
    assert_eq!(stats.segments, files.len(), "{stats:?}");
    assert_eq!(stats.keys, store.len());
    // After a compaction the outputs have higher numbers than the active
    // segment (it was opened first, so writes could go on meanwhile): the
    // active segment is one of the files, not necessarily the newest.
    assert!(
        files.iter().any(|(id, _)| *id == stats.active_segment.0),
        "the active segment is one of the files: {stats:?}"
    );
    let ratio = stats.dead_ratio();
    assert!((0.0..=1.0).contains(&ratio));
    if stats.total_bytes == 0 {
        assert_eq!(ratio, 0.0);
    } else {
        let expected = stats.dead_bytes as f64 / stats.total_bytes as f64;
        assert!(
            (ratio - expected).abs() < 1e-9,
            "dead_ratio {ratio}, expected {expected}"
        );
    }
    assert_eq!(stats.corrupt_ranges, 0);
    assert_eq!(stats.corrupt_bytes, 0);
    Ok(())
}

#[test]
fn fresh_store_stats() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let store = KvStore::open(dir.path())?;
    let stats = store.stats();
    assert_eq!(stats.keys, 0);
    // Nothing is dead: the only bytes are a segment header, bookkeeping that
    // compaction cannot reclaim and that the engine counts as live.
    assert_eq!(stats.dead_bytes, 0);
    assert_eq!(stats.live_bytes, stats.total_bytes);
    assert_eq!(stats.dead_ratio(), 0.0);
    assert!(
        stats.total_bytes <= 16,
        "a fresh store holds at most one header: {stats:?}"
    );
    assert_eq!(stats.next_seq, 1);
    check_invariants(&stats, dir.path(), &store)
}

#[test]
fn stats_track_writes_overwrites_and_deletes() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let store = KvStore::open(dir.path())?;
    for i in 0..10 {
        store.set(key(i), value(i, 0))?;
    }
    let written = store.stats();
    check_invariants(&written, dir.path(), &store)?;
    assert_eq!(written.keys, 10);
    // Ten records of 21 + 9 + 17 bytes are live.
    let record_len = 21 + key(0).len() + value(0, 0).len();
    assert!(written.live_bytes >= 10 * record_len as u64, "{written:?}");

    for i in 0..10 {
        store.set(key(i), value(i, 1))?;
    }
    let overwritten = store.stats();
    check_invariants(&overwritten, dir.path(), &store)?;
    assert!(
        overwritten.dead_bytes >= written.dead_bytes + 10 * record_len as u64,
        "ten overwritten records are dead: {overwritten:?}"
    );
    assert!(overwritten.dead_ratio() > written.dead_ratio());

    for i in 0..5 {
        assert!(store.delete(key(i))?);
    }
    let deleted = store.stats();
    check_invariants(&deleted, dir.path(), &store)?;
    assert_eq!(deleted.keys, 5);
    assert!(deleted.dead_bytes >= overwritten.dead_bytes + 5 * record_len as u64);
    assert!(deleted.live_bytes < overwritten.live_bytes);

    drop(store);
    let store = KvStore::open(dir.path())?;
    let reopened = store.stats();
    check_invariants(&reopened, dir.path(), &store)?;
    assert_eq!(reopened.keys, 5);
    assert_eq!(reopened.next_seq, deleted.next_seq);
    Ok(())
}

#[test]
fn small_segments_rotate_into_numbered_files() -> Result<()> {
    const MAX: u64 = 256;
    let dir = tempfile::tempdir()?;
    let store = KvStore::open_with_options(dir.path(), Options::default().max_segment_size(MAX))?;
    for i in 0..100 {
        store.set(key(i), value(i, 0))?;
    }
    let stats = store.stats();
    check_invariants(&stats, dir.path(), &store)?;

    let files = segment_files(dir.path())?;
    let record_len = (21 + key(0).len() + value(0, 0).len()) as u64;
    // 100 records of 47 bytes is 4,700 bytes; 256-byte segments hold a few each.
    assert!(files.len() >= 15, "only {} segment files", files.len());
    let ids: Vec<u32> = files.iter().map(|(id, _)| *id).collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]));
    assert_eq!(ids[0], 1, "the first segment is number 1");
    for (id, path) in &files {
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        assert_eq!(name, format!("segment-{id:08}.dat"));
        let len = fs::metadata(path)?.len();
        // A segment may pass the limit by the record that crossed it plus
        // its seal, never by more.
        assert!(len <= MAX + record_len + 29, "{name} is {len} bytes");
    }
    for i in 0..100 {
        assert_eq!(store.get(key(i))?, Some(value(i, 0)));
    }
    Ok(())
}

#[test]
fn compaction_leaves_no_dead_bytes_and_reopen_agrees() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let options = Options::default().max_segment_size(512);
    let before_close = {
        let store = KvStore::open_with_options(dir.path(), options.clone())?;
        for round in 0..5 {
            for i in 0..30 {
                store.set(key(i), value(i, round))?;
            }
        }
        for i in 0..10 {
            store.delete(key(i))?;
        }
        assert!(store.stats().dead_bytes > 0);
        store.compact()?;
        let stats = store.stats();
        assert_eq!(stats.dead_bytes, 0, "{stats:?}");
        check_invariants(&stats, dir.path(), &store)?;
        // Writes after compaction, so the reopened store has dead and live
        // bytes in sealed, compacted and active segments alike.
        for i in 10..20 {
            store.set(key(i), value(i, 9))?;
        }
        store.stats()
    };
    let store = KvStore::open_with_options(dir.path(), options)?;
    let after_open = store.stats();
    assert_eq!(
        (
            before_close.total_bytes,
            before_close.live_bytes,
            before_close.dead_bytes
        ),
        (
            after_open.total_bytes,
            after_open.live_bytes,
            after_open.dead_bytes
        ),
        "recovery must account for bytes exactly as the running store did"
    );
    check_invariants(&after_open, dir.path(), &store)
}
