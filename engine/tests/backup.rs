//! `KvStore::backup` and `backup_to`: a point-in-time copy taken while
//! writes go on, which opens as a store holding exactly the writes through
//! its point — never half a batch — and which never exists half made.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Barrier};
use std::time::Duration;

use mini_kvstore::storage::{Fault, FaultyStorage};
use mini_kvstore::{CompactionPolicy, KvStore, MemStorage, Options, Storage, WriteBatch};

type TestResult = Result<(), Box<dyn std::error::Error>>;

fn options() -> Options {
    Options::default()
        .max_segment_size(4096)
        .compaction_policy(CompactionPolicy::default().background(false))
}

/// Every key and value, in order.
fn contents(store: &KvStore) -> Result<BTreeMap<Vec<u8>, Vec<u8>>, mini_kvstore::Error> {
    store.iter().collect()
}

#[test]
fn a_backup_opens_as_the_same_store_and_is_small() -> TestResult {
    let dir = tempfile::tempdir()?;
    let store = KvStore::open_with_options(dir.path().join("data"), options())?;
    for i in 0..300 {
        store.set(format!("key{i:03}"), format!("value {i}").repeat(3))?;
    }
    for i in (0..300).step_by(7) {
        store.delete(format!("key{i:03}"))?;
    }
    store.set("key010", "overwritten")?;
    store.set_with_ttl("lasting", "an hour", Duration::from_secs(3600))?;
    store.compact_by_policy()?;
    assert!(store.stats().segments > 3, "the test wants sealed segments");

    let backup_dir = dir.path().join("backup");
    let mut seen = Vec::new();
    let report = store.backup(&backup_dir, |copied, total| seen.push((copied, total)))?;
    assert!(report.segments > 3);
    assert!(report.through_seq > 300);
    let last = seen.last().copied().ok_or("no progress reported")?;
    assert_eq!(last, (report.bytes, report.bytes));

    // The copy holds the data, not the active segment's preallocation.
    let on_disk: u64 = std::fs::read_dir(&backup_dir)?
        .map(|entry| entry.and_then(|e| e.metadata()).map(|m| m.len()))
        .sum::<Result<u64, _>>()?;
    assert!(
        on_disk < report.bytes + 64 * 1024,
        "{on_disk} bytes for {report:?}"
    );

    let expected = contents(&store)?;
    drop(store);
    let copy = KvStore::open_with_options(&backup_dir, options())?;
    assert!(copy.recovery_report().is_clean());
    assert_eq!(contents(&copy)?, expected);
    assert_eq!(copy.get("key010")?.as_deref(), Some(&b"overwritten"[..]));
    assert!(copy.ttl("lasting").is_some(), "the expiry came along");
    assert!(copy.verify()?.is_clean());
    Ok(())
}

#[test]
fn a_backup_taken_during_writes_holds_exactly_the_writes_through_its_point() -> TestResult {
    let store = KvStore::open_with(MemStorage::new(), options())?;
    let writers = 4;
    let stop = Arc::new(AtomicBool::new(false));
    let started = Arc::new(Barrier::new(writers + 1));
    let mut handles = Vec::new();
    for w in 0..writers {
        let (store, stop, started) = (store.clone(), Arc::clone(&stop), Arc::clone(&started));
        handles.push(std::thread::spawn(move || {
            // Every write this thread made and its seq, in order; batches of
            // three keys that must come as a whole or not at all.
            let mut written = Vec::new();
            started.wait();
            let mut i = 0u32;
            while !stop.load(Ordering::Relaxed) && i < 20_000 {
                let key = format!("w{w}-{}", i % 50);
                let value = format!("{w}:{i}");
                if i.is_multiple_of(5) {
                    let mut batch = WriteBatch::new();
                    for part in 0..3 {
                        batch.set(format!("batch{w}-{part}"), &value);
                    }
                    store.apply(batch).map_err(|e| e.to_string())?;
                } else {
                    let outcome = store
                        .set_versioned(&key, &value)
                        .map_err(|e| e.to_string())?;
                    written.push((key, value, outcome.seq));
                }
                i += 1;
            }
            Ok::<_, String>(written)
        }));
    }
    started.wait();
    std::thread::sleep(Duration::from_millis(20));
    let copy = MemStorage::new();
    let report = store.backup_to(&copy, |_, _| {})?;
    std::thread::sleep(Duration::from_millis(20));
    stop.store(true, Ordering::Relaxed);
    let mut all = Vec::new();
    for handle in handles {
        all.extend(handle.join().map_err(|_| "a writer panicked")??);
    }
    assert!(
        all.iter().any(|(_, _, seq)| *seq > report.through_seq),
        "writes went on after the point"
    );

    let backup = KvStore::open_with(copy, options())?;
    // Per key, the last write through the point is what the backup holds.
    let mut expected: BTreeMap<&str, &str> = BTreeMap::new();
    for (key, value, seq) in &all {
        if *seq <= report.through_seq {
            expected.insert(key, value);
        }
    }
    for (key, value, _) in &all {
        let actual = backup.get_versioned(key)?;
        match expected.get(key.as_str()) {
            Some(want) => {
                let found = actual.ok_or_else(|| format!("{key} is missing"))?;
                assert_eq!(found.value, want.as_bytes(), "{key}");
                assert!(
                    found.seq <= report.through_seq,
                    "{key} is from after the point"
                );
            }
            None => assert!(actual.is_none(), "{key} = {value} is from after the point"),
        }
    }
    // A batch's three keys hold one value: never half a batch.
    for w in 0..writers {
        let parts: Vec<_> = (0..3)
            .map(|part| backup.get(format!("batch{w}-{part}")))
            .collect::<Result<_, _>>()?;
        assert!(parts.windows(2).all(|pair| pair[0] == pair[1]), "{parts:?}");
        assert!(
            parts[0].is_some(),
            "writer {w}'s first batch came before the point"
        );
    }
    // And nothing newer than the point at all.
    for (key, _) in contents(&backup)? {
        let found = backup.get_versioned(&key)?.ok_or("listed but absent")?;
        assert!(found.seq <= report.through_seq);
    }
    Ok(())
}

#[test]
fn a_destination_that_holds_anything_is_refused() -> TestResult {
    let dir = tempfile::tempdir()?;
    let store = KvStore::open_with_options(dir.path().join("data"), options())?;
    store.set("k", "v")?;
    let taken = dir.path().join("taken");
    std::fs::create_dir(&taken)?;
    std::fs::write(taken.join("notes.txt"), "mine")?;
    let err = store
        .backup(&taken, |_, _| {})
        .err()
        .ok_or("backed up over a file")?;
    assert!(err.to_string().contains("not empty"), "{err}");
    assert_eq!(std::fs::read(taken.join("notes.txt"))?, b"mine");

    // An empty directory is fine: the backup takes its place.
    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty)?;
    store.backup(&empty, |_, _| {})?;
    assert_eq!(KvStore::open(&empty)?.get("k")?.as_deref(), Some(&b"v"[..]));

    let storage = MemStorage::new();
    storage.create(mini_kvstore::SegmentId(7))?;
    assert!(store.backup_to(&storage, |_, _| {}).is_err());
    Ok(())
}

#[test]
fn a_failed_backup_leaves_no_destination() -> TestResult {
    let dir = tempfile::tempdir()?;
    let store = KvStore::open_with_options(dir.path().join("data"), options())?;
    store.set("k", "v")?;
    // The destination's parent is a file: the copy cannot be made.
    let file = dir.path().join("a-file");
    std::fs::write(&file, "not a directory")?;
    let dest = file.join("backup");
    assert!(store.backup(&dest, |_, _| {}).is_err());
    assert!(!dest.exists());
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())?
        .filter_map(|entry| entry.ok())
        .filter(|entry| entry.file_name().to_string_lossy().contains("partial"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    Ok(())
}

/// A failure at any step of writing the copy is reported, and the source
/// goes on as if nothing happened.
#[test]
fn a_failure_anywhere_in_the_copy_is_reported_and_harms_nothing() -> TestResult {
    let store = KvStore::open_with(MemStorage::new(), options())?;
    for i in 0..120 {
        store.set(format!("key{i:03}"), vec![b'x'; 60])?;
    }
    let expected = contents(&store)?;
    // How many operations a whole copy takes.
    let counting = FaultyStorage::new(MemStorage::new())?;
    store.backup_to(&counting, |_, _| {})?;
    let ops = counting.ops();
    assert!(
        ops > 3,
        "{ops} operations: a list, then a create, appends and a sync per segment"
    );
    for nth in 0..ops {
        let dest = FaultyStorage::new(MemStorage::new())?;
        dest.inject(Fault::FailOnce { nth, kind: None });
        assert!(
            store.backup_to(&dest, |_, _| {}).is_err(),
            "a failure at operation {nth} went unnoticed"
        );
        assert_eq!(contents(&store)?, expected, "after a failure at {nth}");
    }
    store.set("after", "the failures")?;
    assert_eq!(store.get("after")?.as_deref(), Some(&b"the failures"[..]));
    Ok(())
}
