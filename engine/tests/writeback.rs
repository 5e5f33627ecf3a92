//! Proves writeback: under `SyncPolicy::Never` the active segment is synced
//! in steps as it fills, so a crash that loses every unsynced byte keeps
//! the writes up to the last step passed — a prefix of them — where with
//! writeback off it keeps none of a segment that was never sealed.

use std::time::{Duration, Instant};

use anyhow::Result;
use mini_kvstore::storage::{CrashMode, FaultyStorage};
use mini_kvstore::{CompactionPolicy, KvStore, MemStorage, Options, SyncPolicy};

/// Steps of a quarter: 16 KiB.
const SEGMENT: u64 = 64 * 1024;
/// About 40 KiB of records: past two steps, short of a seal.
const KEYS: usize = 300;

fn options(writeback: bool) -> Options {
    Options::default()
        .max_segment_size(SEGMENT)
        .sync_policy(SyncPolicy::Never)
        .background_hints(false)
        .background_writeback(writeback)
        .compaction_policy(CompactionPolicy::default().background(false))
}

fn key(i: usize) -> String {
    format!("key{i:05}")
}

/// How many of the keys a crash that dropped every unsynced byte keeps now,
/// checking they are the first ones written.
fn kept_by_a_crash(storage: &FaultyStorage) -> Result<usize> {
    let image = storage.crash_image(CrashMode::DropUnsynced)?;
    let store = KvStore::open_with(image, options(false))?;
    let mut kept = 0;
    for i in 0..KEYS {
        if let Some(value) = store.get(key(i))? {
            anyhow::ensure!(kept == i, "{} kept after {} was lost", key(i), key(kept));
            anyhow::ensure!(value == vec![b'v'; 100], "{} changed", key(i));
            kept += 1;
        }
    }
    Ok(kept)
}

/// Writes the keys with writeback on or off, then waits (at most 10 s) for
/// a crash to keep at least `wanted` of them; returns how many it keeps.
fn write_and_crash(writeback: bool, wanted: usize) -> Result<usize> {
    let storage = FaultyStorage::new(MemStorage::new())?;
    let store = KvStore::open_with(storage.clone(), options(writeback))?;
    for i in 0..KEYS {
        store.set(key(i), vec![b'v'; 100])?;
    }
    assert_eq!(store.stats().segments, 1, "nothing was sealed");
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let kept = kept_by_a_crash(&storage)?;
        if kept >= wanted || Instant::now() > deadline {
            // The store is dropped without a crash only after the image.
            drop(store);
            return Ok(kept);
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn under_never_a_crash_keeps_the_active_segment_up_to_its_last_step() -> Result<()> {
    // A record is 100 bytes of value, 8 of key and its header: 32 KiB, the
    // second step, holds well over 200 of them.
    let kept = write_and_crash(true, 200)?;
    assert!(kept >= 200, "with writeback a crash kept {kept} of {KEYS}");
    let kept = write_and_crash(false, 0)?;
    assert_eq!(kept, 0, "with writeback off a crash kept {kept}");
    Ok(())
}
