//! Proves that flipped bits are caught, never returned as data. On open,
//! recovery skips a damaged record that valid records follow (in a sealed or
//! in the active segment) as a corrupt range (reported by `recovery_report`,
//! `stats` and `verify`) and keeps every valid record after it; a damaged
//! *last* record of the active segment is a torn tail. While the store is
//! open, a bit flipped on disk under any byte of a record makes `get` fail
//! with `Error::Corruption`, and `verify`/`iter` report it.

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use anyhow::{Context, Result, ensure};
use common::format::{self, PUT, Record, SEAL};
use common::{flip_bit, key, segment_files, segment_name, value};
use mini_kvstore::{Error, KvStore, Options};

/// Writes `count` keys once each and returns what the store must hold.
fn fill(store: &KvStore, count: usize) -> Result<BTreeMap<Vec<u8>, Vec<u8>>> {
    let mut expected = BTreeMap::new();
    for i in 0..count {
        store.set(key(i), value(i, 0))?;
        expected.insert(key(i), value(i, 0));
    }
    Ok(expected)
}

fn records_of(dir: &Path, segment: u32) -> Result<Vec<Record>> {
    let bytes = fs::read(dir.join(segment_name(segment)))?;
    let (_, records) = format::decode_segment(&bytes)
        .map_err(anyhow::Error::msg)
        .with_context(|| format!("engine wrote an undecodable segment {segment}"))?;
    Ok(records)
}

/// Checks every key except `damaged` reads back exactly, and `damaged` does
/// not read back as any value.
fn check_survivors(
    store: &KvStore,
    expected: &BTreeMap<Vec<u8>, Vec<u8>>,
    damaged: &[u8],
) -> Result<()> {
    for (k, v) in expected {
        if k == damaged {
            match store.get(k) {
                Ok(None) | Err(Error::Corruption { .. }) => {}
                Ok(Some(bytes)) => panic!("damaged record read back as {bytes:?}"),
                Err(other) => panic!("damaged record: unexpected error {other}"),
            }
        } else {
            assert_eq!(
                store.get(k)?.as_ref(),
                Some(v),
                "key {:?}",
                String::from_utf8_lossy(k)
            );
        }
    }
    Ok(())
}

/// Flips a value bit of `victim` (stored in `segment`), reopens, and checks
/// the damage is skipped as exactly one corrupt range.
fn check_skipped_as_corrupt(
    dir: &Path,
    options: impl Fn() -> Options,
    segment: u32,
    victim: &Record,
    expected: &BTreeMap<Vec<u8>, Vec<u8>>,
) -> Result<()> {
    flip_bit(
        &dir.join(segment_name(segment)),
        victim.value_offset() as u64 + 1,
        4,
    )?;
    let store = KvStore::open_with_options(dir, options())?;

    let report = store.recovery_report();
    assert!(
        report.truncated.is_empty(),
        "valid records follow the damage: {:?}",
        report.truncated
    );
    assert_eq!(report.corrupt.len(), 1, "{:?}", report.corrupt);
    let range = &report.corrupt[0];
    assert_eq!(range.segment.0, segment);
    assert_eq!(
        range.offset, victim.offset as u64,
        "range starts at the damaged record"
    );
    assert_eq!(
        range.len,
        victim.len() as u64,
        "range ends where the next valid record starts"
    );

    let stats = store.stats();
    assert!(stats.corrupt_ranges >= 1);
    assert!(stats.corrupt_bytes >= victim.len() as u64);

    let verify = store.verify()?;
    assert!(!verify.is_clean());
    assert!(
        verify
            .corrupt
            .iter()
            .any(|r| r.segment.0 == segment && r.offset == victim.offset as u64),
        "verify did not list the damage: {:?}",
        verify.corrupt
    );

    check_survivors(&store, expected, &victim.key)?;
    assert!(!store.contains_key(&victim.key) || store.get(&victim.key).is_err());
    Ok(())
}

#[test]
fn flip_in_sealed_segment_is_skipped_and_reported() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let options = || Options::default().max_segment_size(256);
    let expected = {
        let store = KvStore::open_with_options(dir.path(), options())?;
        fill(&store, 30)?
    };
    let segments = segment_files(dir.path())?;
    ensure!(
        segments.len() > 2,
        "expected several segments, got {}",
        segments.len()
    );
    let (first, _) = segments[0];
    let records = records_of(dir.path(), first)?;
    ensure!(
        records.last().is_some_and(|r| r.kind == SEAL),
        "the first segment should be sealed: {records:?}"
    );
    let puts: Vec<&Record> = records.iter().filter(|r| r.kind == PUT).collect();
    ensure!(
        puts.len() >= 2,
        "expected at least two puts in segment {first}"
    );
    let victim = puts[puts.len() - 2].clone();
    check_skipped_as_corrupt(dir.path(), options, first, &victim, &expected)
}

#[test]
fn flip_in_active_segment_is_skipped_when_valid_records_follow() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let expected = {
        let store = KvStore::open(dir.path())?;
        fill(&store, 8)?
    };
    let (last, _) = common::last_segment(dir.path())?;
    let records = records_of(dir.path(), last)?;
    let victim = records
        .iter()
        .find(|r| r.kind == PUT && r.key == key(3))
        .context("no record for key 3")?
        .clone();
    ensure!(records.last() != Some(&victim));
    check_skipped_as_corrupt(dir.path(), Options::default, last, &victim, &expected)?;

    // The store goes on: a new write lands and survives a reopen.
    {
        let store = KvStore::open(dir.path())?;
        store.set("after", "x")?;
    }
    let store = KvStore::open(dir.path())?;
    assert_eq!(store.get("after")?, Some(b"x".to_vec()));
    check_survivors(&store, &expected, &key(3))
}

#[test]
fn flip_in_last_record_of_active_segment_is_a_torn_tail() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let mut expected = {
        let store = KvStore::open(dir.path())?;
        fill(&store, 8)?
    };
    let (last, path) = common::last_segment(dir.path())?;
    let records = records_of(dir.path(), last)?;
    let victim = records.last().context("empty active segment")?.clone();
    // Whatever the engine left last (the newest put, or a seal if it seals on
    // close), damaging it must read as a torn tail.
    flip_bit(&path, victim.value_offset() as u64, 0)?;
    if victim.kind == PUT {
        expected.remove(&victim.key);
    }

    let store = KvStore::open(dir.path())?;
    let report = store.recovery_report();
    assert!(report.corrupt.is_empty(), "{:?}", report.corrupt);
    let tail = report
        .truncated
        .iter()
        .find(|t| t.segment.0 == last)
        .with_context(|| format!("no truncation reported: {:?}", report.truncated))?;
    assert_eq!(tail.offset, victim.offset as u64);
    assert_eq!(tail.bytes_cut, victim.len() as u64);
    for (k, v) in &expected {
        assert_eq!(store.get(k)?.as_ref(), Some(v));
    }
    if victim.kind == PUT {
        assert_eq!(store.get(&victim.key)?, None);
    }
    assert_eq!(store.len(), expected.len());
    Ok(())
}

/// Flips each bit position `bit` of every byte of `victim`'s record in
/// `path` while `store` is open and checks `get` refuses it, then restores it.
fn check_every_byte_guarded(
    store: &KvStore,
    path: &Path,
    victim: &Record,
    segment: u32,
    bit: u8,
) -> Result<()> {
    let expected = victim.value.clone();
    for offset in victim.offset..victim.end() {
        flip_bit(path, offset as u64, bit)?;
        match store.get(&victim.key) {
            Err(Error::Corruption { segment: s, .. }) => {
                assert_eq!(
                    s.0, segment,
                    "byte {offset}: corruption blamed on the wrong segment"
                );
            }
            Ok(got) => panic!(
                "byte {offset} (record at {}) bit {bit} flipped, get returned Ok({got:?})",
                victim.offset
            ),
            Err(other) => {
                panic!("byte {offset} bit {bit} flipped: expected Corruption, got {other}")
            }
        }
        flip_bit(path, offset as u64, bit)?;
        assert_eq!(
            store.get(&victim.key)?,
            Some(expected.clone()),
            "byte {offset} restored"
        );
    }
    Ok(())
}

#[test]
fn flip_while_open_in_active_segment_fails_get() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let store = KvStore::open(dir.path())?;
    let expected = fill(&store, 8)?;
    store.sync()?;
    let (last, path) = common::last_segment(dir.path())?;
    let victim = records_of(dir.path(), last)?
        .into_iter()
        .find(|r| r.kind == PUT && r.key == key(5))
        .context("no record for key 5")?;
    check_every_byte_guarded(&store, &path, &victim, last, 0)?;
    check_every_byte_guarded(&store, &path, &victim, last, 7)?;
    check_survivors(&store, &expected, &[])?;
    Ok(())
}

#[test]
fn flip_while_open_in_sealed_segment_fails_get_verify_and_iter() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let store = KvStore::open_with_options(dir.path(), Options::default().max_segment_size(256))?;
    let expected = fill(&store, 30)?;
    store.sync()?;
    let (first, path) = segment_files(dir.path())?[0].clone();
    let records = records_of(dir.path(), first)?;
    ensure!(
        records.last().is_some_and(|r| r.kind == SEAL),
        "segment {first} is not sealed"
    );
    let victim = records
        .iter()
        .find(|r| r.kind == PUT)
        .context("no put")?
        .clone();
    check_every_byte_guarded(&store, &path, &victim, first, 3)?;

    // Leave one value bit flipped and look at the whole store.
    flip_bit(&path, victim.value_offset() as u64, 6)?;
    assert!(matches!(
        store.get(&victim.key),
        Err(Error::Corruption { .. })
    ));
    check_survivors(&store, &expected, &victim.key)?;

    let verify = store.verify()?;
    assert!(!verify.is_clean(), "verify missed a flipped bit");
    assert!(
        verify.corrupt.iter().any(|r| r.segment.0 == first
            && r.offset <= victim.offset as u64
            && victim.offset as u64 <= r.offset + r.len),
        "{:?}",
        verify.corrupt
    );
    assert!(verify.records_checked > 0);

    let mut errors = 0;
    for item in store.iter() {
        match item {
            Ok((k, v)) => assert_eq!(expected.get(&k), Some(&v), "iter returned wrong bytes"),
            Err(Error::Corruption { .. }) => errors += 1,
            Err(other) => panic!("iter: unexpected error {other}"),
        }
    }
    assert_eq!(errors, 1, "iter should surface the one damaged record");

    // Damage is not a reason to stop writing.
    store.set("after", "x")?;
    assert_eq!(store.get("after")?, Some(b"x".to_vec()));
    Ok(())
}
