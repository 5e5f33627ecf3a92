//! Proves the durability contract of each `SyncPolicy` against a simulated
//! power cut. The test backend wraps `MemStorage` through the public
//! `Storage` trait and remembers how much of each segment was synced; a
//! "crash" keeps exactly that (optionally plus a torn piece of the unsynced
//! tail) and drops segments that were never synced. With `Always`, every
//! acknowledged write (and compaction) survives a crash at any point; with
//! `Never`, `sync()` is the point after which writes survive, and what is lost
//! is always a suffix of the history; a failed fsync poisons the store
//! (`Error::Poisoned`) instead of being retried; `EveryMillis` syncs in the
//! background without being asked; and a crash after any single storage
//! operation of a compaction neither loses a key nor brings a deleted one back.

use std::collections::HashMap;
use std::io;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Result;
use mini_kvstore::{
    CompactionPolicy, Error, KvStore, MemStorage, Options, SegmentId, Storage, SyncPolicy,
};

/// The options every test here opens with: no background merges, whose
/// storage operations would race with the crash images this file takes from
/// the outside (the merges' own crash safety is proved in `crash_points`,
/// `crash_model` and `kill9_background_merges`).
fn options() -> Options {
    Options::default().compaction_policy(CompactionPolicy::default().background(false))
}

/// `MemStorage` plus a record of what a power cut would keep.
#[derive(Clone, Default)]
struct CrashableStorage {
    inner: MemStorage,
    /// Segment -> bytes known durable. Absent: never synced.
    synced: Arc<Mutex<HashMap<SegmentId, u64>>>,
    fail_syncs: Arc<AtomicBool>,
    syncs: Arc<AtomicUsize>,
    /// When recording, the crash image after every mutating operation.
    snapshots: Arc<Mutex<Option<Vec<CrashableStorage>>>>,
}

impl CrashableStorage {
    fn synced(&self) -> std::sync::MutexGuard<'_, HashMap<SegmentId, u64>> {
        self.synced
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn start_recording(&self) {
        *self.snapshots.lock().unwrap_or_else(|p| p.into_inner()) = Some(Vec::new());
    }

    fn stop_recording(&self) -> Vec<CrashableStorage> {
        self.snapshots
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take()
            .unwrap_or_default()
    }

    /// Called after every mutating operation: while recording, keeps what a
    /// power cut at this instant would leave.
    fn record(&self) -> io::Result<()> {
        if self
            .snapshots
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .is_none()
        {
            return Ok(());
        }
        let image = self.crash(0)?;
        if let Some(list) = self
            .snapshots
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .as_mut()
        {
            list.push(image);
        }
        Ok(())
    }

    /// The storage as a power cut right now would leave it: each synced
    /// segment cut to its synced length plus up to `torn_extra` bytes of its
    /// unsynced tail; never-synced segments gone.
    fn crash(&self, torn_extra: u64) -> io::Result<CrashableStorage> {
        let after = CrashableStorage::default();
        let synced = self.synced().clone();
        for id in self.inner.list()? {
            let Some(&durable) = synced.get(&id) else {
                continue;
            };
            let len = self.inner.len(id)?.min(durable + torn_extra);
            let mut bytes = vec![0u8; len as usize];
            self.inner.read_at(id, 0, &mut bytes)?;
            after.inner.create(id)?;
            after.inner.append(id, &bytes)?;
            after.synced().insert(id, len);
        }
        Ok(after)
    }
}

impl Storage for CrashableStorage {
    fn list(&self) -> io::Result<Vec<SegmentId>> {
        self.inner.list()
    }
    fn create(&self, id: SegmentId) -> io::Result<()> {
        self.inner.create(id)?;
        self.record()
    }
    fn append(&self, id: SegmentId, bytes: &[u8]) -> io::Result<u64> {
        let offset = self.inner.append(id, bytes)?;
        self.record()?;
        Ok(offset)
    }
    fn read_at(&self, id: SegmentId, offset: u64, buf: &mut [u8]) -> io::Result<()> {
        self.inner.read_at(id, offset, buf)
    }
    fn len(&self, id: SegmentId) -> io::Result<u64> {
        self.inner.len(id)
    }
    fn truncate(&self, id: SegmentId, len: u64) -> io::Result<()> {
        self.inner.truncate(id, len)?;
        if let Some(durable) = self.synced().get_mut(&id) {
            *durable = (*durable).min(len);
        }
        self.record()
    }
    fn sync(&self, id: SegmentId) -> io::Result<()> {
        if self.fail_syncs.load(Ordering::SeqCst) {
            return Err(io::Error::other("injected fsync failure"));
        }
        self.inner.sync(id)?;
        let len = self.inner.len(id)?;
        self.synced().insert(id, len);
        self.syncs.fetch_add(1, Ordering::SeqCst);
        self.record()
    }
    fn remove(&self, id: SegmentId) -> io::Result<()> {
        self.inner.remove(id)?;
        self.synced().remove(&id);
        self.record()
    }
}

fn k(i: usize) -> Vec<u8> {
    format!("key-{i:03}").into_bytes()
}

fn v(i: usize, round: usize) -> Vec<u8> {
    format!("value {i} round {round}").into_bytes()
}

#[test]
fn always_survives_a_crash_after_every_acknowledged_write() -> Result<()> {
    let storage = CrashableStorage::default();
    let small = || options().max_segment_size(256);
    let store = KvStore::open_with(storage.clone(), small())?;
    let mut model: HashMap<Vec<u8>, Vec<u8>> = HashMap::new();
    for step in 0..60 {
        let i = step % 15;
        if step % 7 == 6 {
            store.delete(k(i))?;
            model.remove(&k(i));
        } else {
            store.set(k(i), v(i, step))?;
            model.insert(k(i), v(i, step));
        }
        if step % 20 == 19 {
            store.compact()?;
        }
        let crashed = KvStore::open_with(storage.crash(0)?, small())?;
        for i in 0..15 {
            assert_eq!(
                crashed.get(k(i))?.as_ref(),
                model.get(&k(i)),
                "step {step}, key {i}"
            );
        }
    }
    Ok(())
}

#[test]
fn a_crash_at_any_step_of_compaction_loses_and_resurrects_nothing() -> Result<()> {
    let storage = CrashableStorage::default();
    let small = || options().max_segment_size(256);
    let store = KvStore::open_with(storage.clone(), small())?;
    let mut model: HashMap<Vec<u8>, Vec<u8>> = HashMap::new();
    for i in 0..30 {
        store.set(k(i), v(i, 0))?;
        model.insert(k(i), v(i, 0));
    }
    for i in 0..10 {
        store.set(k(i), v(i, 1))?;
        model.insert(k(i), v(i, 1));
    }
    // Deleted keys whose puts sit in the oldest segments: the classic way
    // for a compaction to bring a key back is dropping the tombstone before
    // the put is gone.
    for i in (10..30).step_by(3) {
        assert!(store.delete(k(i))?);
        model.remove(&k(i));
    }

    storage.start_recording();
    store.compact()?;
    let images = storage.stop_recording();
    assert!(
        images.len() > 3,
        "compaction did only {} storage operations",
        images.len()
    );

    for (step, image) in images.into_iter().enumerate() {
        let recovered = KvStore::open_with(image.clone(), small())?;
        for i in 0..30 {
            assert_eq!(
                recovered.get(k(i))?.as_ref(),
                model.get(&k(i)),
                "crash after storage op {step} of compaction: key {i}"
            );
        }
        // The recovered store takes writes and recovers again.
        recovered.set("after", "x")?;
        drop(recovered);
        let again = KvStore::open_with(image.crash(0)?, small())?;
        assert_eq!(again.get("after")?, Some(b"x".to_vec()), "op {step}");
        assert_eq!(again.len(), model.len() + 1, "op {step}");
    }
    Ok(())
}

#[test]
fn never_keeps_what_sync_made_durable_and_loses_only_a_suffix() -> Result<()> {
    let storage = CrashableStorage::default();
    let options = || {
        options()
            .sync_policy(SyncPolicy::Never)
            .max_segment_size(512)
    };
    let store = KvStore::open_with(storage.clone(), options())?;
    for i in 0..30 {
        store.set(k(i), v(i, 0))?;
    }
    store.sync()?;
    for i in 30..60 {
        store.set(k(i), v(i, 0))?;
    }
    for torn_extra in [0, 1, 7, 30, 1000] {
        let crashed = KvStore::open_with(storage.crash(torn_extra)?, options())?;
        for i in 0..30 {
            assert_eq!(
                crashed.get(k(i))?,
                Some(v(i, 0)),
                "torn {torn_extra}: synced key {i} lost"
            );
        }
        // Unsynced writes may be lost, but only from the end: if write n
        // survived, every write before it did too, and no value is garbage.
        let survivors: Vec<bool> = (30..60)
            .map(|i| crashed.get(k(i)).map(|got| got == Some(v(i, 0))))
            .collect::<Result<_, _>>()?;
        let kept = survivors.iter().take_while(|s| **s).count();
        assert!(
            survivors[kept..].iter().all(|s| !*s),
            "torn {torn_extra}: a hole in the surviving history: {survivors:?}"
        );
        assert!(
            crashed.verify()?.is_clean(),
            "torn {torn_extra}: recovery left damage behind"
        );
    }
    Ok(())
}

#[test]
fn a_failed_fsync_poisons_the_store() -> Result<()> {
    let storage = CrashableStorage::default();
    let store = KvStore::open_with(storage.clone(), options())?;
    store.set("before", "ok")?;

    storage.fail_syncs.store(true, Ordering::SeqCst);
    assert!(
        store.set("during", "fsync fails").is_err(),
        "a write whose fsync failed was acknowledged"
    );
    storage.fail_syncs.store(false, Ordering::SeqCst);

    // The disk "works" again, but the store must not pretend nothing happened.
    match store.set("after", "x") {
        Err(Error::Poisoned) => {}
        other => panic!("expected Poisoned after a failed fsync, got {other:?}"),
    }
    assert!(matches!(store.delete("before"), Err(Error::Poisoned)));
    assert!(store.sync().is_err());
    // Reads of acknowledged data still work.
    assert_eq!(store.get("before")?, Some(b"ok".to_vec()));
    drop(store);

    // A fresh open (the way out of poisoning) sees every acknowledged write.
    let reopened = KvStore::open_with(storage.crash(0)?, options())?;
    assert_eq!(reopened.get("before")?, Some(b"ok".to_vec()));
    assert_eq!(reopened.get("after")?, None);
    reopened.set("after", "x")?;
    Ok(())
}

#[test]
fn every_millis_syncs_in_the_background() -> Result<()> {
    let storage = CrashableStorage::default();
    let store = KvStore::open_with(
        storage.clone(),
        options().sync_policy(SyncPolicy::EveryMillis(1)),
    )?;
    store.set("k", "v")?;
    let syncs_at_write = storage.syncs.load(Ordering::SeqCst);
    // No sleeping: wait (bounded) for the background syncer to make the write
    // durable, judged by what a crash would keep.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let crashed = KvStore::open_with(storage.crash(0)?, options())?;
        if crashed.get("k")? == Some(b"v".to_vec()) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "EveryMillis(1) has not synced a write within 10 s ({syncs_at_write} syncs at write time)"
        );
        std::thread::yield_now();
    }
    Ok(())
}
