//! Proves that the engine and `docs/FORMAT.md` agree, byte for byte, in both
//! directions:
//!
//! - *reading*: segments built by hand from the document (the encoder in
//!   `common/format.rs`, not the engine's) read back as exactly the expected
//!   keys, values and seqs — both a scenario built in the test and the
//!   committed golden fixture `tests/fixtures/v1/`, whose bytes are checked
//!   against the hand encoder so the two cannot drift (regenerate with
//!   `UPDATE_FIXTURES=1 cargo test -p mini-kvstore --test format_golden`);
//! - *writing*: a fresh store writes the documented header and records that
//!   are byte-identical to the hand-encoded ones, and everything it leaves on
//!   disk after rotation, deletes and compaction decodes under the document's
//!   rules and replays to what the store reads.

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, ensure};
use common::format::{
    self, COMMIT, PUT, Record, SEAL, SEGMENT_COMPACTED, SEGMENT_LOG, TOMBSTONE, VERSION_1, commit,
    put, seal, segment, segment_of_version, tombstone,
};
use common::{copy_dir, segment_files, segment_name};
use mini_kvstore::{KvStore, Options, SyncPolicy};

const BINARY_KEY: &[u8] = &[0x00, 0xFF, 0x7F];
const BINARY_VALUE: &[u8] = &[0xDE, 0xAD, 0xBE, 0xEF];

fn fixture_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/v1")
}

/// The golden directory, segment by segment. Its story:
///
/// 1. log segment 1: seqs 1..=7 (puts, an overwrite, a binary key, an empty
///    value, a tombstone), sealed with next seq 8;
/// 2. log segment 2: a tombstone, a put, an overwrite of a segment-1 key,
///    sealed with next seq 11;
/// 3. compacted segment 3: compaction of segment 1 — its two still-live
///    records with their original seqs, a commit naming input 1, a seal.
///    The process "crashed" before removing segment 1, so it is still there
///    and recovery must remove it;
/// 4. log segment 4, unsealed (the active one): a put, a tombstone of a
///    segment-2 key, a put reviving a key deleted in segment 1.
fn fixture_segments() -> Vec<(u32, Vec<u8>)> {
    vec![
        (
            1,
            segment_of_version(
                VERSION_1,
                SEGMENT_LOG,
                &[
                    put(1, b"alpha", b"one"),
                    put(2, b"ghost", b"boo"),
                    put(3, b"beta", b"two"),
                    put(4, b"alpha", b"uno"),
                    put(5, BINARY_KEY, BINARY_VALUE),
                    put(6, b"empty", b""),
                    tombstone(7, b"beta"),
                    seal(8),
                ],
            ),
        ),
        (
            2,
            segment_of_version(
                VERSION_1,
                SEGMENT_LOG,
                &[
                    tombstone(8, b"ghost"),
                    put(9, b"gamma", b"three"),
                    put(10, b"alpha", b"eins"),
                    seal(11),
                ],
            ),
        ),
        (
            3,
            segment_of_version(
                VERSION_1,
                SEGMENT_COMPACTED,
                &[
                    put(5, BINARY_KEY, BINARY_VALUE),
                    put(6, b"empty", b""),
                    commit(11, &[1]),
                    seal(11),
                ],
            ),
        ),
        (
            4,
            segment_of_version(
                VERSION_1,
                SEGMENT_LOG,
                &[
                    put(11, b"delta", b"four"),
                    tombstone(12, b"gamma"),
                    put(13, b"beta", b"reborn"),
                ],
            ),
        ),
    ]
}

/// What a store opened on the fixture must hold: key -> (seq, value).
fn fixture_expected() -> BTreeMap<Vec<u8>, (u64, Vec<u8>)> {
    [
        (BINARY_KEY, 5, BINARY_VALUE),
        (&b"alpha"[..], 10, &b"eins"[..]),
        (b"beta", 13, b"reborn"),
        (b"delta", 11, b"four"),
        (b"empty", 6, b""),
    ]
    .into_iter()
    .map(|(k, seq, v)| (k.to_vec(), (seq, v.to_vec())))
    .collect()
}

#[test]
fn committed_fixture_matches_hand_encoder() -> Result<()> {
    let dir = fixture_dir();
    let segments = fixture_segments();
    if std::env::var("UPDATE_FIXTURES").as_deref() == Ok("1") {
        fs::create_dir_all(&dir)?;
        for (_, path) in segment_files(&dir)? {
            fs::remove_file(path)?;
        }
        for (id, bytes) in &segments {
            fs::write(dir.join(segment_name(*id)), bytes)?;
        }
        eprintln!(
            "wrote {} golden segments to {}",
            segments.len(),
            dir.display()
        );
    }
    let committed =
        segment_files(&dir).with_context(|| format!("no fixture at {}", dir.display()))?;
    let committed_ids: Vec<u32> = committed.iter().map(|(id, _)| *id).collect();
    let expected_ids: Vec<u32> = segments.iter().map(|(id, _)| *id).collect();
    assert_eq!(
        committed_ids, expected_ids,
        "fixture files; UPDATE_FIXTURES=1 regenerates them"
    );
    for ((id, bytes), (_, path)) in segments.iter().zip(&committed) {
        let on_disk = fs::read(path)?;
        assert!(
            on_disk == *bytes,
            "{} differs from the hand encoder's bytes: the format or the encoder changed \
             (UPDATE_FIXTURES=1 regenerates, but only do that for a deliberate format change)",
            segment_name(*id)
        );
    }
    Ok(())
}

#[test]
fn hand_encoder_matches_the_documented_layout() {
    // Spelled out from FORMAT.md, independently of `format::header`.
    let mut header = b"MKVSEG\r\n".to_vec();
    header.extend_from_slice(&[2, 0, 1, 0]);
    let crc = crc32fast::hash(&header);
    header.extend_from_slice(&crc.to_le_bytes());
    assert_eq!(format::header(SEGMENT_LOG), header);
    assert_eq!(
        &header[..8],
        &[0x4D, 0x4B, 0x56, 0x53, 0x45, 0x47, 0x0D, 0x0A]
    );

    let record = put(0x0102_0304_0506_0708, b"ab", b"xyz");
    assert_eq!(record.len(), 21 + 2 + 3);
    assert_eq!(record[4], 1, "kind");
    assert_eq!(
        &record[5..13],
        &[8, 7, 6, 5, 4, 3, 2, 1],
        "seq, little-endian"
    );
    assert_eq!(&record[13..17], &[2, 0, 0, 0], "key_len");
    assert_eq!(&record[17..21], &[3, 0, 0, 0], "value_len");
    assert_eq!(&record[21..], b"abxyz");
    assert_eq!(
        record[..4],
        crc32fast::hash(&record[4..]).to_le_bytes(),
        "crc covers kind..value"
    );
    // The CRC is the IEEE one: the check value of "123456789" is 0xCBF43926.
    assert_eq!(crc32fast::hash(b"123456789"), 0xCBF4_3926);

    let commit = commit(9, &[3, 4]);
    assert_eq!(commit.len(), 21 + 8 + 4 + 8);
    assert_eq!(commit[4], COMMIT);
    assert_eq!(&commit[21..29], &9u64.to_le_bytes());
    assert_eq!(&commit[29..33], &2u32.to_le_bytes());
    assert_eq!(&commit[33..], &[3, 0, 0, 0, 4, 0, 0, 0]);
    let seal = seal(9);
    assert_eq!(seal.len(), 21 + 8);
    assert_eq!(seal[4], SEAL);
    assert_eq!(tombstone(1, b"k")[4], TOMBSTONE);
}

fn check_fixture_contents(store: &KvStore, extra: Option<(&[u8], u64, &[u8])>) -> Result<()> {
    let mut expected = fixture_expected();
    if let Some((key, seq, value)) = extra {
        expected.insert(key.to_vec(), (seq, value.to_vec()));
    }
    assert_eq!(store.keys(), expected.keys().cloned().collect::<Vec<_>>());
    assert_eq!(store.len(), expected.len());
    for (key, (seq, value)) in &expected {
        let got = store
            .get_versioned(key)?
            .with_context(|| format!("{key:02x?} missing"))?;
        assert_eq!(
            (got.seq, &got.value),
            (*seq, value),
            "key {:?}",
            String::from_utf8_lossy(key)
        );
    }
    for gone in [&b"ghost"[..], b"gamma"] {
        assert_eq!(
            store.get(gone)?,
            None,
            "{} was deleted",
            String::from_utf8_lossy(gone)
        );
    }
    Ok(())
}

#[test]
fn engine_reads_the_committed_fixture() -> Result<()> {
    let copy = tempfile::tempdir()?;
    copy_dir(&fixture_dir(), copy.path())?;
    let sealed_2 = fs::read(copy.path().join(segment_name(2)))?;
    let sealed_3 = fs::read(copy.path().join(segment_name(3)))?;
    {
        let store = KvStore::open(copy.path())?;
        check_fixture_contents(&store, None)?;
        let report = store.recovery_report();
        assert!(report.truncated.is_empty(), "{:?}", report.truncated);
        assert!(report.corrupt.is_empty(), "{:?}", report.corrupt);
        let removed: Vec<u32> = report.removed_segments.iter().map(|s| s.0).collect();
        assert_eq!(
            removed,
            vec![1],
            "the committed compaction's input must be removed"
        );
        assert!(
            !copy.path().join(segment_name(1)).exists(),
            "segment 1 is still on disk"
        );
        assert_eq!(store.stats().next_seq, 14);
        assert!(store.verify()?.is_clean());
        // Opening never rewrites sealed segments.
        assert!(fs::read(copy.path().join(segment_name(2)))? == sealed_2);
        assert!(fs::read(copy.path().join(segment_name(3)))? == sealed_3);

        let outcome = store.set_versioned("epsilon", "five")?;
        assert_eq!((outcome.seq, outcome.replaced), (14, false));
    }
    let store = KvStore::open(copy.path())?;
    check_fixture_contents(&store, Some((b"epsilon", 14, b"five")))?;
    assert!(store.recovery_report().removed_segments.is_empty());
    Ok(())
}

#[test]
fn engine_reads_hand_built_segments() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let sealed = segment(
        SEGMENT_LOG,
        &[
            put(1, b"a", b"1"),
            put(2, b"b", b"2"),
            put(3, b"a", b"3"),
            put(4, b"c", b"4"),
            tombstone(5, b"b"),
            seal(6),
        ],
    );
    let active = segment(
        SEGMENT_LOG,
        &[put(6, b"d", b"6"), put(7, b"c", b"7"), tombstone(8, b"a")],
    );
    fs::write(dir.path().join(segment_name(1)), &sealed)?;
    fs::write(dir.path().join(segment_name(2)), &active)?;

    let store = KvStore::open(dir.path())?;
    assert_eq!(store.keys(), vec![b"c".to_vec(), b"d".to_vec()]);
    assert_eq!(store.get("a")?, None);
    assert_eq!(store.get("b")?, None);
    assert_eq!(store.get("c")?, Some(b"7".to_vec()));
    assert_eq!(store.get("d")?, Some(b"6".to_vec()));
    assert_eq!(store.get_versioned("c")?.map(|v| v.seq), Some(7));
    assert_eq!(store.stats().next_seq, 9);
    let report = store.recovery_report();
    assert!(report.truncated.is_empty() && report.corrupt.is_empty());
    assert!(
        report.records >= 8,
        "recovery read {} records",
        report.records
    );
    let stats = store.stats();
    assert!(stats.total_bytes >= (sealed.len() + active.len()) as u64);
    assert_eq!(
        stats.total_bytes,
        common::segment_bytes_on_disk(dir.path())?
    );
    assert!(stats.live_bytes >= (put(6, b"d", b"6").len() * 2) as u64);
    assert!(store.verify()?.is_clean());
    Ok(())
}

#[test]
fn engine_writes_the_documented_bytes() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let store = KvStore::open_with_options(
        dir.path(),
        Options::default().sync_policy(SyncPolicy::Never),
    )?;
    let first = store.set_versioned("alpha", "one")?;
    assert_eq!(first.seq, 1, "the first write of a fresh store has seq 1");
    store.set("beta", "two")?;
    assert!(store.delete("alpha")?);
    store.set("alpha", "uno")?;
    store.set(BINARY_KEY, b"")?;
    store.sync()?;

    let files = segment_files(dir.path())?;
    let (id, path) = files.first().context("no segment written")?;
    assert_eq!(*id, 1, "a fresh store's first segment is number 1");
    let bytes = fs::read(path)?;
    assert_eq!(
        &bytes[..16],
        &format::header(SEGMENT_LOG)[..],
        "log segment header"
    );
    let expected_first = put(1, b"alpha", b"one");
    assert_eq!(
        &bytes[16..16 + expected_first.len()],
        &expected_first[..],
        "first record"
    );
    let mut expected = format::header(SEGMENT_LOG);
    for record in [
        expected_first,
        put(2, b"beta", b"two"),
        tombstone(3, b"alpha"),
        put(4, b"alpha", b"uno"),
        put(5, BINARY_KEY, b""),
    ] {
        expected.extend_from_slice(&record);
    }
    // While the store is open its active segment is preallocated: zeros
    // follow the records. Closing gives the space back.
    assert_eq!(
        &bytes[..expected.len()],
        &expected[..],
        "the active segment"
    );
    assert!(
        bytes[expected.len()..].iter().all(|&b| b == 0),
        "only zeros after the last record"
    );
    drop(store);
    assert_eq!(fs::read(path)?, expected, "the whole segment, closed");
    Ok(())
}

/// Checks one engine-written segment against the document's rules and
/// returns its records.
fn check_segment(id: u32, bytes: &[u8]) -> Result<(u8, Vec<Record>)> {
    let (header, records) = format::decode_segment(bytes)
        .map_err(anyhow::Error::msg)
        .with_context(|| format!("segment {id}"))?;
    ensure!(
        header.version == format::VERSION,
        "segment {id}: version {}",
        header.version
    );
    ensure!(
        header.kind == SEGMENT_LOG || header.kind == SEGMENT_COMPACTED,
        "segment {id}: kind {}",
        header.kind
    );
    let seals: Vec<usize> = records
        .iter()
        .enumerate()
        .filter(|(_, r)| r.kind == SEAL)
        .map(|(i, _)| i)
        .collect();
    ensure!(seals.len() <= 1, "segment {id}: {} seals", seals.len());
    if let Some(&at) = seals.first() {
        ensure!(
            at == records.len() - 1,
            "segment {id}: records after the seal"
        );
        let next = records[at].next_seq().unwrap_or(0);
        for r in records
            .iter()
            .filter(|r| r.kind == PUT || r.kind == TOMBSTONE)
        {
            ensure!(
                r.seq < next,
                "segment {id}: seq {} not below the seal's next seq {next}",
                r.seq
            );
        }
    }
    for (i, r) in records.iter().enumerate() {
        if r.kind == COMMIT {
            ensure!(
                header.kind == SEGMENT_COMPACTED,
                "segment {id}: commit in a log segment"
            );
            ensure!(
                records.get(i + 1).is_some_and(|n| n.kind == SEAL),
                "segment {id}: a commit must come just before the seal"
            );
        }
    }
    if header.kind == SEGMENT_LOG {
        let seqs: Vec<u64> = records
            .iter()
            .filter(|r| r.kind == PUT || r.kind == TOMBSTONE)
            .map(|r| r.seq)
            .collect();
        ensure!(
            seqs.windows(2).all(|w| w[0] < w[1]),
            "segment {id}: seqs not increasing: {seqs:?}"
        );
    }
    Ok((header.kind, records))
}

#[test]
fn engine_output_conforms_to_the_format() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let options = || Options::default().max_segment_size(300);
    let (highest_seq, contents) = {
        let store = KvStore::open_with_options(dir.path(), options())?;
        for i in 0..40 {
            store.set(format!("key-{i:02}"), format!("first value {i}"))?;
        }
        for i in 0..20 {
            store.set(format!("key-{i:02}"), format!("second value {i}"))?;
        }
        for i in 30..40 {
            store.delete(format!("key-{i:02}"))?;
        }
        store.compact()?;
        for i in 40..50 {
            store.set(format!("key-{i:02}"), format!("after compaction {i}"))?;
        }
        store.delete("key-00")?;
        store.delete("key-45")?;
        store.sync()?;
        let contents = store.iter().collect::<Result<Vec<_>, _>>()?;
        (store.stats().next_seq - 1, contents)
    };

    let files = segment_files(dir.path())?;
    let mut latest: BTreeMap<Vec<u8>, (u64, Option<Vec<u8>>)> = BTreeMap::new();
    let mut unsealed = Vec::new();
    let mut compacted = 0;
    let mut max_seq_seen = 0;
    for (id, path) in &files {
        let (kind, records) = check_segment(*id, &fs::read(path)?)?;
        if kind == SEGMENT_COMPACTED {
            compacted += 1;
        }
        if records.last().is_none_or(|r| r.kind != SEAL) {
            ensure!(kind == SEGMENT_LOG, "compacted segment {id} is not sealed");
            unsealed.push(*id);
        }
        for r in records {
            match r.kind {
                PUT | TOMBSTONE => {
                    max_seq_seen = max_seq_seen.max(r.seq);
                    let value = (r.kind == PUT).then(|| r.value.clone());
                    if latest.get(&r.key).is_none_or(|(seq, _)| *seq < r.seq) {
                        latest.insert(r.key.clone(), (r.seq, value));
                    }
                }
                COMMIT => {
                    for input in r.commit_inputs() {
                        ensure!(
                            !dir.path().join(segment_name(input)).exists(),
                            "compaction input {input} is still on disk after the compaction finished"
                        );
                    }
                }
                _ => {}
            }
        }
    }
    ensure!(
        unsealed.len() <= 1,
        "only the active segment may be unsealed: {unsealed:?}"
    );
    ensure!(
        compacted >= 1,
        "compaction wrote no compacted (kind 2) segment"
    );
    assert_eq!(max_seq_seen, highest_seq, "the newest write is on disk");

    let replayed: Vec<(Vec<u8>, Vec<u8>)> = latest
        .into_iter()
        .filter_map(|(k, (_, v))| v.map(|v| (k, v)))
        .collect();
    assert_eq!(
        replayed, contents,
        "replaying the files by FORMAT.md gives the store's contents"
    );

    let store = KvStore::open_with_options(dir.path(), options())?;
    assert_eq!(store.iter().collect::<Result<Vec<_>, _>>()?, contents);
    Ok(())
}

/// Far in the future: the year 2100, in ms since the Unix epoch.
const YEAR_2100: u64 = 4_102_444_800_000;

fn fixture_v2_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/v2")
}

/// The version-2 golden directory: one sealed log segment with a plain put,
/// a put that expires in 2100, one that expired in 1970, and an expiring
/// put later replaced by a plain one (its expiry must not stick).
fn fixture_v2_segments() -> Vec<(u32, Vec<u8>)> {
    vec![(
        1,
        segment(
            SEGMENT_LOG,
            &[
                put(1, b"plain", b"stays"),
                format::expiring_put(2, b"later", b"until 2100", YEAR_2100),
                format::expiring_put(3, b"expired", b"long gone", 1_000),
                format::expiring_put(4, b"renewed", b"old", 1_000),
                put(5, b"renewed", b"forever"),
                seal(6),
            ],
        ),
    )]
}

#[test]
fn committed_v2_fixture_matches_hand_encoder_and_reads_back() -> Result<()> {
    let dir = fixture_v2_dir();
    let segments = fixture_v2_segments();
    if std::env::var("UPDATE_FIXTURES").as_deref() == Ok("1") {
        fs::create_dir_all(&dir)?;
        for (id, bytes) in &segments {
            fs::write(dir.join(segment_name(*id)), bytes)?;
        }
    }
    for (id, bytes) in &segments {
        let on_disk = fs::read(dir.join(segment_name(*id)))
            .with_context(|| format!("no v2 fixture at {}", dir.display()))?;
        assert!(
            on_disk == *bytes,
            "{} differs from the hand encoder's bytes (UPDATE_FIXTURES=1 regenerates, only for a deliberate format change)",
            segment_name(*id)
        );
    }
    let copy = tempfile::tempdir()?;
    copy_dir(&dir, copy.path())?;
    let store = KvStore::open(copy.path())?;
    assert_eq!(store.get("plain")?, Some(b"stays".to_vec()));
    assert_eq!(store.get("later")?, Some(b"until 2100".to_vec()));
    assert!(store.ttl("later").is_some());
    assert_eq!(store.get("expired")?, None);
    assert_eq!(store.get("renewed")?, Some(b"forever".to_vec()));
    assert_eq!(store.ttl("renewed"), None);
    assert_eq!(store.len(), 3);
    assert_eq!(store.stats().next_seq, 6);
    assert!(store.verify()?.is_clean());
    Ok(())
}

#[test]
fn engine_writes_expiring_puts_as_documented() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let options = Options::default()
        .sync_policy(SyncPolicy::Never)
        .clock(mini_kvstore::ManualClock::new(YEAR_2100 - 60_000));
    {
        let store = KvStore::open_with_options(dir.path(), options)?;
        store.set_with_ttl("k", "v", std::time::Duration::from_secs(60))?;
    }
    let (_, path) = common::last_segment(dir.path())?;
    let bytes = fs::read(path)?;
    let expected = format::expiring_put(1, b"k", b"v", YEAR_2100);
    assert_eq!(&bytes[16..16 + expected.len()], &expected[..]);
    Ok(())
}
