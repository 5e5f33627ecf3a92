//! Segments in memory: for tests, for tools that want a scratch store, and as
//! the working set of the browser backend.
//!
//! Everything is "durable" at once, because there is nothing to crash to.
//! Clones share the same segments, so dropping a store and opening a new one
//! over a clone is a reopen.

use std::collections::BTreeMap;
use std::io;
use std::sync::{Arc, Mutex, MutexGuard};

use super::contract::{Storage, not_found, read_from_bytes};
use crate::segment_id::SegmentId;

/// In-memory [`Storage`]. `Clone` shares the segments.
#[derive(Debug, Clone, Default)]
pub struct MemStorage {
    segments: Arc<Mutex<BTreeMap<SegmentId, Vec<u8>>>>,
    hints: Arc<Mutex<BTreeMap<SegmentId, Vec<u8>>>>,
}

impl MemStorage {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// A copy of one segment's bytes (for tests and visualisations).
    pub fn segment_bytes(&self, id: SegmentId) -> Option<Vec<u8>> {
        self.lock().get(&id).cloned()
    }

    /// Replaces one segment's bytes, creating it if needed — how tests and the
    /// playground inject corruption.
    pub fn put_segment_bytes(&self, id: SegmentId, bytes: Vec<u8>) {
        self.lock().insert(id, bytes);
    }

    /// A copy of one segment's hint, if it has one.
    pub fn hint_bytes(&self, id: SegmentId) -> Option<Vec<u8>> {
        self.hints().get(&id).cloned()
    }

    /// Replaces (or, with `None`, removes) one segment's hint — for tests
    /// that check a bad hint is refused.
    pub fn put_hint_bytes(&self, id: SegmentId, bytes: Option<Vec<u8>>) {
        match bytes {
            Some(bytes) => self.hints().insert(id, bytes),
            None => self.hints().remove(&id),
        };
    }

    fn hints(&self) -> MutexGuard<'_, BTreeMap<SegmentId, Vec<u8>>> {
        self.hints
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn lock(&self) -> MutexGuard<'_, BTreeMap<SegmentId, Vec<u8>>> {
        // A panic while holding this lock cannot leave the map half-updated
        // (every operation is a single map or Vec call), so a poisoned lock is
        // still consistent.
        self.segments
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl Storage for MemStorage {
    fn list(&self) -> io::Result<Vec<SegmentId>> {
        Ok(self.lock().keys().copied().collect())
    }

    fn create(&self, id: SegmentId) -> io::Result<()> {
        let mut segments = self.lock();
        if segments.contains_key(&id) {
            return Err(io::Error::new(
                io::ErrorKind::AlreadyExists,
                format!("segment {id} already exists"),
            ));
        }
        segments.insert(id, Vec::new());
        Ok(())
    }

    fn append(&self, id: SegmentId, bytes: &[u8]) -> io::Result<u64> {
        let mut segments = self.lock();
        let segment = segments.get_mut(&id).ok_or_else(|| not_found(id))?;
        let offset = segment.len() as u64;
        segment.extend_from_slice(bytes);
        Ok(offset)
    }

    fn read_at(&self, id: SegmentId, offset: u64, buf: &mut [u8]) -> io::Result<()> {
        let segments = self.lock();
        let segment = segments.get(&id).ok_or_else(|| not_found(id))?;
        read_from_bytes(segment, id, offset, buf)
    }

    fn len(&self, id: SegmentId) -> io::Result<u64> {
        let segments = self.lock();
        let segment = segments.get(&id).ok_or_else(|| not_found(id))?;
        Ok(segment.len() as u64)
    }

    fn truncate(&self, id: SegmentId, len: u64) -> io::Result<()> {
        let mut segments = self.lock();
        let segment = segments.get_mut(&id).ok_or_else(|| not_found(id))?;
        segment.truncate(usize::try_from(len).unwrap_or(usize::MAX));
        Ok(())
    }

    fn sync(&self, id: SegmentId) -> io::Result<()> {
        if self.lock().contains_key(&id) {
            Ok(())
        } else {
            Err(not_found(id))
        }
    }

    fn remove(&self, id: SegmentId) -> io::Result<()> {
        self.hints().remove(&id);
        match self.lock().remove(&id) {
            Some(_) => Ok(()),
            None => Err(not_found(id)),
        }
    }

    fn write_hint(&self, id: SegmentId, bytes: &[u8]) -> io::Result<()> {
        self.hints().insert(id, bytes.to_vec());
        Ok(())
    }

    fn read_hint(&self, id: SegmentId) -> io::Result<Option<Vec<u8>>> {
        Ok(self.hints().get(&id).cloned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn append_read_truncate_remove() -> io::Result<()> {
        let storage = MemStorage::new();
        let id = SegmentId(1);
        storage.create(id)?;
        assert_eq!(storage.append(id, b"hello")?, 0);
        assert_eq!(storage.append(id, b" world")?, 5);
        let mut buf = [0u8; 5];
        storage.read_at(id, 6, &mut buf)?;
        assert_eq!(&buf, b"world");
        assert_eq!(
            storage.read_at(id, 8, &mut buf).map_err(|e| e.kind()),
            Err(io::ErrorKind::UnexpectedEof)
        );
        storage.truncate(id, 5)?;
        assert_eq!(storage.len(id)?, 5);
        storage.remove(id)?;
        assert!(storage.list()?.is_empty());
        assert!(storage.sync(id).is_err());
        Ok(())
    }

    #[test]
    fn clones_share_segments() -> io::Result<()> {
        let a = MemStorage::new();
        let b = a.clone();
        a.create(SegmentId(7))?;
        a.append(SegmentId(7), b"x")?;
        assert_eq!(b.segment_bytes(SegmentId(7)), Some(b"x".to_vec()));
        assert!(b.create(SegmentId(7)).is_err());
        Ok(())
    }
}
