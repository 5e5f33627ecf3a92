//! Proves crash recovery of a torn tail: a store whose newest record was cut
//! short at *every* byte offset inside it (a fresh copy of the directory per
//! offset) reopens, keeps every earlier record, forgets the torn one (an
//! overwrite falls back to the previous value), reports the cut in
//! `recovery_report().truncated`, really truncates the file so a later write
//! survives the next reopen; and a segment file whose creation was
//! interrupted (a prefix of a header, or empty) is removed.

mod common;

use std::fs;
use std::path::Path;

use anyhow::{Context, Result, ensure};
use common::format::{self, PUT, Record};
use common::{copy_dir, key, segment_files, segment_name, truncate_file, value};
use mini_kvstore::{KvStore, Options};

const EARLIER: usize = 6;

/// Finds the put of `key` with the highest offset in the newest segment that
/// holds one, and drops segment files after it that hold no record (a store
/// that rotates eagerly may have created one); a crash while appending that
/// put could not have left anything after it.
fn locate_last_put(dir: &Path, key: &[u8]) -> Result<(u32, Record)> {
    let segments = segment_files(dir)?;
    for (index, (id, path)) in segments.iter().enumerate().rev() {
        let bytes = fs::read(path)?;
        let (_, records) = format::decode_segment(&bytes)
            .map_err(anyhow::Error::msg)
            .with_context(|| format!("engine wrote an undecodable {}", path.display()))?;
        if let Some(record) = records.iter().rev().find(|r| r.kind == PUT && r.key == key) {
            for (_, later) in &segments[index + 1..] {
                let later_bytes = fs::read(later)?;
                ensure!(
                    later_bytes.len() <= format::HEADER_LEN,
                    "{} holds records after the last write",
                    later.display()
                );
                fs::remove_file(later)?;
            }
            return Ok((*id, record.clone()));
        }
    }
    anyhow::bail!("no put of {key:?} found")
}

/// Writes `EARLIER` keys, then `last_key = last_value` as the newest record;
/// tears that record at every offset inside it and checks recovery each time.
/// `expected_after_tear` is what `get(last_key)` must return once the newest
/// record is gone.
fn tear_every_offset(
    options: impl Fn() -> Options,
    last_key: &[u8],
    last_value: &[u8],
    expected_after_tear: Option<&[u8]>,
    setup: impl Fn(&KvStore) -> Result<()>,
) -> Result<()> {
    let original = tempfile::tempdir()?;
    {
        let store = KvStore::open_with_options(original.path(), options())?;
        setup(&store)?;
        for i in 0..EARLIER {
            store.set(key(i), value(i, 0))?;
        }
        store.set(last_key, last_value)?;
    }
    let (segment, record) = locate_last_put(original.path(), last_key)?;
    let file = segment_name(segment);
    let untouched = fs::read(original.path().join(&file))?[..record.offset].to_vec();

    for cut in record.offset + 1..record.end() {
        let copy = tempfile::tempdir()?;
        copy_dir(original.path(), copy.path())?;
        truncate_file(&copy.path().join(&file), cut as u64)?;

        {
            let store = KvStore::open_with_options(copy.path(), options())
                .with_context(|| format!("reopening after a cut at {cut}"))?;
            for i in 0..EARLIER {
                assert_eq!(store.get(key(i))?, Some(value(i, 0)), "cut {cut}: key {i}");
            }
            assert_eq!(
                store.get(last_key)?.as_deref(),
                expected_after_tear,
                "cut {cut}: the torn record must not be read"
            );

            let report = store.recovery_report();
            assert!(
                report.corrupt.is_empty(),
                "cut {cut}: a torn tail is not corruption: {:?}",
                report.corrupt
            );
            let tail = report
                .truncated
                .iter()
                .find(|t| t.segment.0 == segment)
                .with_context(|| {
                    format!(
                        "cut {cut}: no truncated tail reported: {:?}",
                        report.truncated
                    )
                })?;
            assert_eq!(tail.offset, record.offset as u64, "cut {cut}: tail offset");
            assert_eq!(
                tail.bytes_cut,
                (cut - record.offset) as u64,
                "cut {cut}: bytes cut"
            );

            let on_disk = fs::read(copy.path().join(&file))?;
            assert!(
                on_disk.len() >= record.offset && on_disk[..record.offset] == untouched[..],
                "cut {cut}: recovery changed bytes before the torn record"
            );

            store.set("after-recovery", "new write")?;
        }

        let store = KvStore::open_with_options(copy.path(), options())
            .with_context(|| format!("second reopen after a cut at {cut}"))?;
        assert_eq!(
            store.get("after-recovery")?,
            Some(b"new write".to_vec()),
            "cut {cut}: a write after recovery was stranded behind the torn bytes"
        );
        for i in 0..EARLIER {
            assert_eq!(
                store.get(key(i))?,
                Some(value(i, 0)),
                "cut {cut}: key {i} after second reopen"
            );
        }
        assert_eq!(
            store.get(last_key)?.as_deref(),
            expected_after_tear,
            "cut {cut}"
        );
        let report = store.recovery_report();
        assert!(
            report.truncated.is_empty() && report.corrupt.is_empty(),
            "cut {cut}: the torn bytes were not cut off for good: {:?} {:?}",
            report.truncated,
            report.corrupt
        );
    }
    Ok(())
}

#[test]
fn torn_new_key_is_absent_at_every_offset() -> Result<()> {
    tear_every_offset(
        Options::default,
        b"torn",
        b"half-written value",
        None,
        |_| Ok(()),
    )
}

#[test]
fn torn_overwrite_falls_back_to_previous_value_at_every_offset() -> Result<()> {
    tear_every_offset(
        Options::default,
        b"k",
        b"new value that never made it",
        Some(b"old value"),
        |store| Ok(store.set("k", "old value")?),
    )
}

#[test]
fn torn_tail_of_a_rotated_store_at_every_offset() -> Result<()> {
    tear_every_offset(
        || Options::default().max_segment_size(256),
        b"torn",
        b"0123456789",
        None,
        |store| {
            for i in 100..130 {
                store.set(key(i), value(i, 0))?;
            }
            ensure!(store.stats().segments > 3, "expected several segments");
            Ok(())
        },
    )
}

#[test]
fn interrupted_segment_creation_is_removed() -> Result<()> {
    let header = format::header(format::SEGMENT_LOG);
    for prefix_len in [0, 1, 8, 12, 15] {
        let dir = tempfile::tempdir()?;
        {
            let store = KvStore::open(dir.path())?;
            for i in 0..EARLIER {
                store.set(key(i), value(i, 0))?;
            }
        }
        let (last, _) = common::last_segment(dir.path())?;
        let stub_id = last + 1;
        let stub = dir.path().join(segment_name(stub_id));
        fs::write(&stub, &header[..prefix_len])?;

        {
            let store = KvStore::open(dir.path())
                .with_context(|| format!("open with a {prefix_len}-byte stub segment"))?;
            for i in 0..EARLIER {
                assert_eq!(
                    store.get(key(i))?,
                    Some(value(i, 0)),
                    "stub {prefix_len}: key {i}"
                );
            }
            let removed: Vec<u32> = store
                .recovery_report()
                .removed_segments
                .iter()
                .map(|s| s.0)
                .collect();
            assert!(
                removed.contains(&stub_id),
                "stub {prefix_len}: removed {removed:?}"
            );
            // The id may have been reused for a fresh segment; then it must
            // start with a whole, valid header.
            if stub.exists() {
                let bytes = fs::read(&stub)?;
                assert!(
                    format::decode_header(&bytes).is_ok(),
                    "stub {prefix_len}: {bytes:02x?}"
                );
            }
            store.set("after", "x")?;
        }
        let store = KvStore::open(dir.path())?;
        assert_eq!(
            store.get("after")?,
            Some(b"x".to_vec()),
            "stub {prefix_len}"
        );
        assert_eq!(store.len(), EARLIER + 1);
    }
    Ok(())
}
