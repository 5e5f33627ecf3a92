//! Damaged files, exhaustively: the last segment cut at every byte offset,
//! every single bit of a sealed segment flipped in turn, junk appended,
//! zero-length and header-only segment files. In every case `open` either
//! succeeds with the documented repair (torn tail cut, corrupt range skipped,
//! unfinished segment removed) or fails with a clear error naming the
//! segment; and no `get` ever returns bytes that were not written to that key.
//!
//! The loops run on `MemStorage` (same recovery code, thousands of reopens in
//! a second); the file-based cases at the end check the same on real files.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use mini_kvstore::{Error, KvStore, MemStorage, Options, SegmentId, Storage, SyncPolicy};

type History = BTreeMap<Vec<u8>, BTreeSet<Option<Vec<u8>>>>;
/// Each key's latest value (`None` once deleted).
type Latest = BTreeMap<Vec<u8>, Option<Vec<u8>>>;

fn options() -> Options {
    Options::default()
        .max_segment_size(200)
        .sync_policy(SyncPolicy::Never)
}

/// A store with a few sealed segments and an active one; returns the
/// storage and, per key, every value it ever held (and `None`).
fn build() -> (MemStorage, History, Latest) {
    let storage = MemStorage::new();
    let mut history: History = BTreeMap::new();
    let mut latest = BTreeMap::new();
    let store = KvStore::open_with(storage.clone(), options()).expect("open");
    let mut write = |k: &str, v: Option<&str>| {
        match v {
            Some(v) => store.set(k, v).expect("set"),
            None => {
                store.delete(k).expect("delete");
            }
        }
        let entry = history.entry(k.as_bytes().to_vec()).or_default();
        entry.insert(None);
        entry.insert(v.map(|v| v.as_bytes().to_vec()));
        latest.insert(k.as_bytes().to_vec(), v.map(|v| v.as_bytes().to_vec()));
    };
    for round in 0..3 {
        for k in ["alpha", "beta", "gamma", "delta"] {
            write(k, Some(&format!("{k} round {round}")));
        }
        write("beta", None);
    }
    write("epsilon", Some("the last write"));
    drop(store);
    (storage, history, latest)
}

fn copy(storage: &MemStorage) -> MemStorage {
    let copy = MemStorage::new();
    for id in storage.list().expect("list") {
        copy.put_segment_bytes(id, storage.segment_bytes(id).expect("bytes"));
    }
    copy
}

/// Every key reads as some value it once had (or absent); returns how many
/// read their latest value.
fn check_reads(store: &KvStore, history: &History, context: &str) -> usize {
    let mut exact = 0;
    for (key, allowed) in history {
        let got = store
            .get(key)
            .unwrap_or_else(|e| panic!("{context}: get after recovery failed: {e}"));
        assert!(
            allowed.contains(&got),
            "{context}: {} reads {:?}, which was never written",
            String::from_utf8_lossy(key),
            got.as_deref().map(String::from_utf8_lossy)
        );
        exact += usize::from(got.is_some());
    }
    // Only keys the store lists may read back, and all of them must.
    for key in store.keys() {
        assert!(history.contains_key(&key), "{context}: unknown key {key:?}");
    }
    exact
}

fn segments(storage: &MemStorage) -> Vec<SegmentId> {
    let mut ids = storage.list().expect("list");
    ids.sort();
    ids
}

#[test]
fn the_last_segment_cut_at_every_byte_offset() {
    let (storage, history, latest) = build();
    let ids = segments(&storage);
    let last = *ids.last().expect("segments");
    let bytes = storage.segment_bytes(last).expect("bytes");
    for cut in 0..=bytes.len() {
        let image = copy(&storage);
        image.put_segment_bytes(last, bytes[..cut].to_vec());
        let context = format!("segment {last} cut to {cut} bytes");
        let store = KvStore::open_with(image.clone(), options())
            .unwrap_or_else(|e| panic!("{context}: open failed: {e}"));
        check_reads(&store, &history, &context);
        let report = store.recovery_report();
        if cut < 16 {
            assert!(
                report.removed_segments.contains(&last),
                "{context}: {report:?}"
            );
        }
        assert!(
            report.corrupt.is_empty(),
            "{context}: a cut is never corruption: {report:?}"
        );
        // Keys last written in sealed segments are untouched by the cut.
        for key in [&b"alpha"[..], b"gamma", b"delta"] {
            let layout_key = latest[key].clone();
            let got = store.get(key).expect("get");
            if got != layout_key {
                // Allowed only if the key's latest record lives in the cut segment.
                let in_last = bytes.windows(key.len()).any(|w| w == key);
                assert!(
                    in_last,
                    "{context}: {key:?} lost although it is not in the cut segment"
                );
            }
        }
        if cut == bytes.len() {
            assert_eq!(
                check_reads(&store, &history, &context),
                latest.values().flatten().count()
            );
        }
        drop(store);
        // And the store keeps taking writes.
        let store = KvStore::open_with(image, options()).expect("reopen");
        store.set("after", "cut").expect("write after repair");
    }
}

#[test]
fn every_bit_of_a_sealed_segment_flipped_in_turn() {
    let (storage, history, _) = build();
    let ids = segments(&storage);
    let first = ids[0];
    let bytes = storage.segment_bytes(first).expect("bytes");
    assert!(bytes.len() > 100, "a segment with several records");
    let (mut repaired, mut refused) = (0, 0);
    for bit in 0..bytes.len() * 8 {
        let image = copy(&storage);
        let mut damaged = bytes.clone();
        damaged[bit / 8] ^= 1 << (bit % 8);
        image.put_segment_bytes(first, damaged);
        let context = format!("bit {bit} of segment {first}");
        match KvStore::open_with(image, options()) {
            Ok(store) => {
                assert!(bit >= 16 * 8, "{context}: a damaged header was accepted");
                let report = store.recovery_report();
                assert!(
                    !report.is_clean(),
                    "{context}: the flip went unnoticed: {report:?}"
                );
                check_reads(&store, &history, &context);
                let stats = store.stats();
                assert_eq!(
                    stats.corrupt_ranges,
                    report.corrupt.len(),
                    "{context}: stats count what recovery skipped"
                );
                let verify = store.verify().expect("verify");
                assert_eq!(verify.corrupt, report.corrupt, "{context}");
                repaired += 1;
            }
            Err(Error::ForeignFile { segment, .. } | Error::UnsupportedVersion { segment, .. }) => {
                assert!(
                    bit < 16 * 8,
                    "{context}: only header damage refuses to open"
                );
                assert_eq!(segment, first);
                refused += 1;
            }
            Err(other) => panic!("{context}: unexpected error {other}"),
        }
    }
    assert_eq!(refused, 16 * 8, "every header bit is checked");
    assert_eq!(repaired, (bytes.len() - 16) * 8);
}

#[test]
fn junk_appended_to_any_segment_is_cut_and_nothing_is_lost() {
    let (storage, history, latest) = build();
    for id in segments(&storage) {
        let image = copy(&storage);
        let mut bytes = image.segment_bytes(id).expect("bytes");
        bytes.extend_from_slice(b"\x01\x02 this is not a record, just junk \xff\xfe");
        image.put_segment_bytes(id, bytes);
        let store = KvStore::open_with(image, options()).expect("open");
        let report = store.recovery_report();
        assert_eq!(report.truncated.len(), 1, "segment {id}: {report:?}");
        assert_eq!(report.truncated[0].segment, id);
        let exact = check_reads(&store, &history, &format!("junk after segment {id}"));
        assert_eq!(exact, latest.values().flatten().count(), "nothing lost");
        for (key, value) in &latest {
            assert_eq!(&store.get(key).expect("get"), value);
        }
    }
}

#[test]
fn zero_length_and_header_only_segments() {
    let (storage, _, latest) = build();
    let ids = segments(&storage);
    let newest = ids.last().expect("segments").0;
    for (name, bytes) in [
        ("zero-length", Vec::new()),
        (
            "half a header",
            mini_kvstore::format::encode_segment_header(mini_kvstore::SegmentKind::Log)[..7]
                .to_vec(),
        ),
        (
            "header only",
            mini_kvstore::format::encode_segment_header(mini_kvstore::SegmentKind::Log).to_vec(),
        ),
    ] {
        for id in [SegmentId(newest + 1), SegmentId(newest + 40)] {
            let image = copy(&storage);
            image.put_segment_bytes(id, bytes.clone());
            let store = KvStore::open_with(image.clone(), options())
                .unwrap_or_else(|e| panic!("{name} segment {id}: {e}"));
            for (key, value) in &latest {
                assert_eq!(&store.get(key).expect("get"), value, "{name} segment {id}");
            }
            let exists = image.list().expect("list").contains(&id);
            assert_eq!(
                exists,
                name == "header only",
                "{name} segment {id}: unfinished segments are removed"
            );
            store.set("next", "write").expect("write");
        }
    }
}

#[test]
fn on_real_files_a_cut_and_a_flip_are_repaired() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    {
        let store = KvStore::open_with_options(dir.path(), options())?;
        for i in 0..30 {
            store.set(common::key(i), common::value(i, 1))?;
        }
    }
    let files = common::segment_files(dir.path())?;
    assert!(files.len() >= 3);
    // Flip a bit inside the first record's value in the first segment, and cut
    // the last segment in the middle of its last record.
    common::flip_bit(&files[0].1, 16 + 21 + 9 + 2, 4)?;
    let (_, last) = files.last().expect("files");
    let len = std::fs::metadata(last)?.len();
    common::truncate_file(last, len - 3)?;

    let store = KvStore::open_with_options(dir.path(), options())?;
    let report = store.recovery_report();
    assert_eq!(report.corrupt.len(), 1, "{report:?}");
    assert_eq!(report.corrupt[0].segment.0, files[0].0);
    assert_eq!(report.corrupt[0].offset, 16);
    assert_eq!(report.truncated.len(), 1, "{report:?}");
    assert_eq!(
        store.get(common::key(0))?,
        None,
        "the damaged record is skipped"
    );
    assert_eq!(store.get(common::key(29))?, None, "the torn record is cut");
    for i in 1..29 {
        assert_eq!(store.get(common::key(i))?, Some(common::value(i, 1)));
    }
    drop(store); // an open store's active segment has preallocated space
    assert!(
        std::fs::metadata(last)?.len() < len - 3,
        "the tail was cut on disk"
    );
    Ok(())
}
