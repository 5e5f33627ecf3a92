//! [`IdbStorage`]: the engine's [`Storage`] over an in-memory working set
//! that is copied to IndexedDB.
//!
//! The engine calls this synchronously; nothing here waits for IndexedDB.
//! Loading happens before the store opens (`idb::load`), and flushing
//! happens after the engine's calls return (`idb::flush`, driven by the page:
//! debounced after writes, at once after a sync, a removal or a compaction,
//! and when the page is hidden). The type itself has no browser handles, so it
//! is `Send + Sync` as the trait demands and its behaviour is tested natively.
//!
//! ## Durability, honestly
//! The [`Storage`] contract says `sync` returns once the bytes are durable.
//! IndexedDB cannot be waited on synchronously, so here `sync` (and `remove`)
//! return once the change is *scheduled*: it is committed by the flush that
//! starts on the next turn of the event loop. A tab killed in between loses
//! it. That gap is why the page always shows the unflushed byte count. What
//! IndexedDB holds is always a state the engine's recovery accepts: a flush
//! is one transaction, so it commits whole or not at all, and the bytes it
//! commits are a prefix-consistent copy of memory at the time it started.

use std::io;
use std::sync::{Arc, Mutex, MutexGuard};

use mini_kvstore::storage::{not_found, read_from_bytes};
use mini_kvstore::{SegmentId, Storage};

use crate::working_set::{FlushPlan, LoadReport, StoredChunk, WorkingSet};

/// The browser's [`Storage`]: segments in memory, flushed to IndexedDB.
/// `Clone` shares the segments, so the page keeps a handle while the store
/// owns another.
#[derive(Debug, Clone, Default)]
pub struct IdbStorage {
    set: Arc<Mutex<WorkingSet>>,
}

impl IdbStorage {
    /// An empty storage over an empty database.
    pub fn new() -> Self {
        Self::default()
    }

    /// The storage as loaded from the database's stores (see
    /// [`WorkingSet::from_stored`]), and what was wrong with them.
    pub fn from_stored(
        segments: impl IntoIterator<Item = SegmentId>,
        chunks: impl IntoIterator<Item = StoredChunk>,
    ) -> (IdbStorage, LoadReport) {
        let (set, report) = WorkingSet::from_stored(segments, chunks);
        let storage = IdbStorage {
            set: Arc::new(Mutex::new(set)),
        };
        (storage, report)
    }

    /// A copy of one segment's bytes.
    pub fn segment_bytes(&self, id: SegmentId) -> Option<Vec<u8>> {
        self.lock().bytes(id).map(<[u8]>::to_vec)
    }

    /// Replaces one segment's bytes behind the engine's back — how the page
    /// injects faults. The change reaches IndexedDB with the next flush.
    pub fn put_segment_bytes(&self, id: SegmentId, bytes: Vec<u8>) {
        let mut set = self.lock();
        set.replace(id, bytes);
        set.request_flush();
    }

    /// Bytes not yet committed to IndexedDB.
    pub fn unflushed_bytes(&self) -> u64 {
        self.lock().unflushed_bytes()
    }

    /// Whether anything differs from IndexedDB.
    pub fn needs_flush(&self) -> bool {
        self.lock().needs_flush()
    }

    /// Whether a sync or removal asked for a flush without waiting.
    pub fn flush_is_urgent(&self) -> bool {
        self.lock().flush_is_urgent()
    }

    /// Starts a flush: the requests to issue, or `None` if nothing changed.
    /// Call [`finish_flush`](Self::finish_flush) with the outcome.
    pub fn begin_flush(&self) -> Option<FlushPlan> {
        self.lock().begin_flush()
    }

    /// Ends a flush started by [`begin_flush`](Self::begin_flush).
    pub fn finish_flush(&self, plan: &FlushPlan, committed: bool) {
        self.lock().finish_flush(plan, committed);
    }

    fn lock(&self) -> MutexGuard<'_, WorkingSet> {
        // Every WorkingSet method leaves it consistent before it can panic
        // (they only grow or cut vectors and maps), so a poisoned lock still
        // guards a usable value.
        self.set.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Storage for IdbStorage {
    fn list(&self) -> io::Result<Vec<SegmentId>> {
        Ok(self.lock().ids())
    }

    fn create(&self, id: SegmentId) -> io::Result<()> {
        if self.lock().create(id) {
            Ok(())
        } else {
            Err(io::Error::new(
                io::ErrorKind::AlreadyExists,
                format!("segment {id} already exists"),
            ))
        }
    }

    fn append(&self, id: SegmentId, bytes: &[u8]) -> io::Result<u64> {
        self.lock().append(id, bytes).ok_or_else(|| not_found(id))
    }

    fn read_at(&self, id: SegmentId, offset: u64, buf: &mut [u8]) -> io::Result<()> {
        let set = self.lock();
        let bytes = set.bytes(id).ok_or_else(|| not_found(id))?;
        read_from_bytes(bytes, id, offset, buf)
    }

    fn len(&self, id: SegmentId) -> io::Result<u64> {
        let set = self.lock();
        let bytes = set.bytes(id).ok_or_else(|| not_found(id))?;
        Ok(bytes.len() as u64)
    }

    fn truncate(&self, id: SegmentId, len: u64) -> io::Result<()> {
        if self.lock().truncate(id, len) {
            Ok(())
        } else {
            Err(not_found(id))
        }
    }

    /// Schedules an immediate flush (see the module docs for why this is
    /// weaker than the trait's promise).
    fn sync(&self, id: SegmentId) -> io::Result<()> {
        let mut set = self.lock();
        if !set.contains(id) {
            return Err(not_found(id));
        }
        set.request_flush();
        Ok(())
    }

    fn remove(&self, id: SegmentId) -> io::Result<()> {
        if self.lock().remove(id) {
            Ok(())
        } else {
            Err(not_found(id))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::working_set::FlushOp;
    use mini_kvstore::{KvStore, Options, SyncPolicy};
    use std::collections::BTreeMap;

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    /// Applies a plan to a map of chunks and loads storage back from it.
    fn round_trip(
        storage: &IdbStorage,
        db: &mut BTreeMap<(SegmentId, u64), Vec<u8>>,
    ) -> IdbStorage {
        if let Some(plan) = storage.begin_flush() {
            for op in &plan.ops {
                match op {
                    FlushOp::DeleteSegment { segment } => db.retain(|(s, _), _| s != segment),
                    FlushOp::DeleteChunksFrom { segment, from } => {
                        db.retain(|(s, o), _| s != segment || o < from);
                    }
                    FlushOp::PutSegment { .. } => {}
                    FlushOp::PutChunk {
                        segment,
                        offset,
                        bytes,
                    } => {
                        db.insert((*segment, *offset), bytes.clone());
                    }
                }
            }
            storage.finish_flush(&plan, true);
        }
        let chunks = db.iter().map(|((segment, offset), bytes)| StoredChunk {
            segment: *segment,
            offset: *offset,
            bytes: Some(bytes.clone()),
        });
        IdbStorage::from_stored([], chunks).0
    }

    fn options() -> Options {
        Options::default()
            .max_segment_size(256)
            .sync_policy(SyncPolicy::Never)
    }

    #[test]
    fn the_engine_round_trips_through_flushes() -> TestResult {
        let storage = IdbStorage::new();
        let mut db = BTreeMap::new();
        {
            let store = KvStore::open_with(storage.clone(), options())?;
            for i in 0..50 {
                store.set(format!("k{}", i % 7), format!("value {i}"))?;
            }
            store.delete("k3")?;
            store.compact()?;
            store.set("after", "compaction")?;
            store.sync()?;
            assert!(storage.flush_is_urgent());
        }
        let reloaded = round_trip(&storage, &mut db);
        let store = KvStore::open_with(reloaded, options())?;
        assert!(store.recovery_report().is_clean());
        assert_eq!(store.get("k3")?, None);
        assert_eq!(store.get("k6")?, Some(b"value 48".to_vec()));
        assert_eq!(store.get("after")?, Some(b"compaction".to_vec()));
        Ok(())
    }

    #[test]
    fn unflushed_writes_are_lost_and_the_rest_recovers() -> TestResult {
        let storage = IdbStorage::new();
        let mut db = BTreeMap::new();
        let store = KvStore::open_with(storage.clone(), options())?;
        store.set("kept", "1")?;
        round_trip(&storage, &mut db);
        store.set("lost", "2")?;
        assert!(storage.unflushed_bytes() > 0);
        // The tab dies here: only what was flushed is in the database.
        let chunks = db.iter().map(|((segment, offset), bytes)| StoredChunk {
            segment: *segment,
            offset: *offset,
            bytes: Some(bytes.clone()),
        });
        let (reloaded, _) = IdbStorage::from_stored([], chunks);
        let store = KvStore::open_with(reloaded, options())?;
        assert_eq!(store.get("kept")?, Some(b"1".to_vec()));
        assert_eq!(store.get("lost")?, None);
        Ok(())
    }

    #[test]
    fn missing_segments_are_io_errors() {
        let storage = IdbStorage::new();
        let id = SegmentId(9);
        let kind = |result: io::Result<()>| result.map_err(|e| e.kind());
        assert_eq!(
            kind(storage.append(id, b"x").map(drop)),
            Err(io::ErrorKind::NotFound)
        );
        assert_eq!(kind(storage.sync(id)), Err(io::ErrorKind::NotFound));
        assert_eq!(kind(storage.truncate(id, 0)), Err(io::ErrorKind::NotFound));
        assert_eq!(kind(storage.remove(id)), Err(io::ErrorKind::NotFound));
        assert_eq!(
            storage.len(id).map_err(|e| e.kind()),
            Err(io::ErrorKind::NotFound)
        );
        assert_eq!(kind(storage.create(id)), Ok(()));
        assert_eq!(kind(storage.create(id)), Err(io::ErrorKind::AlreadyExists));
        let mut buf = [0u8; 2];
        assert_eq!(
            storage.read_at(id, 0, &mut buf).map_err(|e| e.kind()),
            Err(io::ErrorKind::UnexpectedEof)
        );
    }
}
