//! Proves, on real files, what preallocating the active segment promises:
//! while a store is open its active segment file is already full-size, a
//! sealed segment and a closed store give the spare space back, and a store
//! that stopped without closing (its directory copied while open, zeros and
//! all) reopens with every key, no torn tail and no corruption reported — and
//! still cuts a torn write that sits before the zeros.

mod common;

use std::fs;
use std::path::PathBuf;

use anyhow::{Context, Result};
use common::format;
use common::{copy_dir, key, segment_files, value};
use mini_kvstore::{KvStore, Options, SyncPolicy};
use tempfile::TempDir;

const SEGMENT: u64 = 64 * 1024;
const KEYS: usize = 2000; // about 90 KiB of records: one rotation

fn options() -> Options {
    Options::default()
        .max_segment_size(SEGMENT)
        .sync_policy(SyncPolicy::Never)
}

/// Where the records of a segment file end (zeros after them not counted).
fn records_end(bytes: &[u8]) -> Result<usize> {
    let (_, records) = format::decode_segment(bytes).map_err(anyhow::Error::msg)?;
    Ok(records.last().map_or(format::HEADER_LEN, |r| r.end()))
}

#[test]
fn the_active_segment_is_full_size_and_sealed_ones_are_not() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let store = KvStore::open_with_options(dir.path(), options())?;
    for i in 0..KEYS {
        store.set(key(i), value(i, 0))?;
    }
    store.sync()?;
    let files = segment_files(dir.path())?;
    let (sealed, active) = match files.as_slice() {
        [.., sealed, active] => (sealed.1.clone(), active.1.clone()),
        _ => anyhow::bail!("expected a rotation, found {files:?}"),
    };
    assert_eq!(
        fs::metadata(&active)?.len(),
        SEGMENT,
        "active: preallocated"
    );
    let sealed_bytes = fs::read(&sealed)?;
    assert_eq!(
        records_end(&sealed_bytes)?,
        sealed_bytes.len(),
        "a sealed segment ends with its seal"
    );
    drop(store);
    let active_bytes = fs::read(&active)?;
    assert_eq!(
        records_end(&active_bytes)?,
        active_bytes.len(),
        "closing gives the space back"
    );
    Ok(())
}

/// What a kill -9 after `write` leaves: every byte written, and the
/// preallocated zeros — a copy of the directory taken while the store was
/// open. Returns the copy and the path of its active segment.
fn never_closed(write: impl FnOnce(&KvStore) -> Result<()>) -> Result<(TempDir, PathBuf)> {
    let dir = tempfile::tempdir()?;
    let crashed = tempfile::tempdir()?;
    let store = KvStore::open_with_options(dir.path(), options())?;
    write(&store)?;
    store.sync()?;
    copy_dir(dir.path(), crashed.path())?;
    drop(store);
    let (_, active) = segment_files(crashed.path())?
        .pop()
        .context("no segments")?;
    Ok((crashed, active))
}

#[test]
fn a_store_that_was_never_closed_reopens_whole_and_quietly() -> Result<()> {
    let (crashed, active) = never_closed(|store| {
        for i in 0..KEYS {
            store.set(key(i), value(i, 0))?;
        }
        Ok(())
    })?;
    let before = fs::read(&active)?;
    assert_eq!(before.len() as u64, SEGMENT, "the copy has the zeros");
    let end = records_end(&before)?;

    let store = KvStore::open_with_options(crashed.path(), options())?;
    let report = store.recovery_report();
    assert!(
        report.truncated.is_empty(),
        "unused space is not a torn tail: {report:?}"
    );
    assert!(report.corrupt.is_empty(), "{report:?}");
    for i in 0..KEYS {
        assert_eq!(store.get(key(i))?, Some(value(i, 0)), "key {i}");
    }
    // New writes go right after the old records, not after the zeros.
    store.set(b"after", b"reopen")?;
    drop(store);
    let after = fs::read(&active)?;
    assert_eq!(after[..end], before[..end]);
    assert_eq!(records_end(&after)?, after.len());
    let store = KvStore::open_with_options(crashed.path(), options())?;
    assert_eq!(store.get(b"after")?.as_deref(), Some(&b"reopen"[..]));
    Ok(())
}

#[test]
fn a_torn_write_before_the_zeros_is_cut_and_reported() -> Result<()> {
    let (crashed, active) = never_closed(|store| Ok(store.set(b"kept", b"value")?))?;
    let mut bytes = fs::read(&active)?;
    let end = records_end(&bytes)?;
    // The first half of a record that was being written when the power went.
    let torn = format::put(2, b"lost", b"a value that never fully arrived");
    bytes[end..end + torn.len() / 2].copy_from_slice(&torn[..torn.len() / 2]);
    fs::write(&active, &bytes)?;

    let store = KvStore::open_with_options(crashed.path(), options())?;
    let report = store.recovery_report();
    let tail = report.truncated.first().context("no torn tail reported")?;
    assert_eq!(tail.offset, end as u64);
    assert_eq!(store.get(b"kept")?.as_deref(), Some(&b"value"[..]));
    assert_eq!(store.get(b"lost")?, None);
    assert!(store.verify()?.is_clean());
    Ok(())
}
