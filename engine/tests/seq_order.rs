//! Proves that recovery decides by sequence number, not by segment order:
//! in hand-built segments where a *lower-numbered* segment holds the *newer*
//! record (as compaction output can), the record with the highest seq wins,
//! a tombstone beats an older put wherever it lies, and the next seq after
//! open is past every seq on disk, including those in seal records.

mod common;

use std::fs;

use anyhow::Result;
use common::format::{self, SEGMENT_COMPACTED, SEGMENT_LOG};
use common::segment_name;
use mini_kvstore::KvStore;

#[test]
fn highest_seq_wins_whatever_the_segment_order() -> Result<()> {
    let dir = tempfile::tempdir()?;
    // Segment 1 (compacted) holds the newer versions; segment 2 (log) the
    // older ones, as if segment 2 were replayed from an older log.
    let newer = format::segment(
        SEGMENT_COMPACTED,
        &[
            format::put(50, b"k", b"new"),
            format::tombstone(51, b"dead"),
            format::put(40, b"only-in-1", b"one"),
            format::seal(60),
        ],
    );
    let older = format::segment(
        SEGMENT_LOG,
        &[
            format::put(10, b"k", b"old"),
            format::put(11, b"dead", b"should stay dead"),
            format::put(12, b"only-in-2", b"two"),
        ],
    );
    fs::write(dir.path().join(segment_name(1)), newer)?;
    fs::write(dir.path().join(segment_name(2)), older)?;

    let store = KvStore::open(dir.path())?;
    assert_eq!(store.get("k")?, Some(b"new".to_vec()));
    assert_eq!(store.get_versioned("k")?.map(|v| v.seq), Some(50));
    assert_eq!(
        store.get("dead")?,
        None,
        "a tombstone beats an older put in a later segment"
    );
    assert_eq!(store.get("only-in-1")?, Some(b"one".to_vec()));
    assert_eq!(store.get("only-in-2")?, Some(b"two".to_vec()));
    assert_eq!(store.len(), 3);
    assert!(
        store.stats().next_seq >= 60,
        "the seal says seq 60 is next; next_seq is {}",
        store.stats().next_seq
    );
    let outcome = store.set_versioned("k", "newest")?;
    assert!(outcome.seq >= 60 && outcome.replaced);
    drop(store);

    let store = KvStore::open(dir.path())?;
    assert_eq!(store.get("k")?, Some(b"newest".to_vec()));
    assert_eq!(store.get("dead")?, None);
    Ok(())
}

#[test]
fn put_newer_than_a_tombstone_in_an_older_segment_wins() -> Result<()> {
    let dir = tempfile::tempdir()?;
    fs::write(
        dir.path().join(segment_name(1)),
        format::segment(
            SEGMENT_LOG,
            &[format::put(5, b"k", b"reborn"), format::seal(6)],
        ),
    )?;
    fs::write(
        dir.path().join(segment_name(2)),
        format::segment(
            SEGMENT_COMPACTED,
            &[format::tombstone(3, b"k"), format::seal(6)],
        ),
    )?;
    let store = KvStore::open(dir.path())?;
    assert_eq!(store.get("k")?, Some(b"reborn".to_vec()));
    assert_eq!(store.get_versioned("k")?.map(|v| v.seq), Some(5));
    Ok(())
}
