//! A [`Storage`] wrapper that fails on purpose: the tool the crash tests use
//! to prove the durability promise (see `docs/DURABILITY.md`).
//!
//! It passes every call through to the storage it wraps, numbers the calls,
//! and remembers for each segment what the [`Storage`] contract says a crash
//! cannot take away: the bytes as of its last `sync`, and whether its
//! existence is durable yet. From that it can
//! - fail the n-th operation (of any kind, or of one kind) once, or
//! - "crash" at the n-th operation: that call and every later one fail, as if
//!   the machine had stopped, and
//! - build the disk a crash would leave behind ([`FaultyStorage::crash_image`]):
//!   only what was synced, everything that was written, or a torn last write,
//!   followed by zeros where space was preallocated (the wrapped storage need
//!   not preallocate anything: the images do it for it);
//! - flip a chosen bit, as bit rot would.
//!
//! Built only for tests (`cfg(test)`) or with the `test-support` feature.

use std::collections::BTreeMap;
use std::io;
use std::sync::{Arc, Mutex, MutexGuard};

use super::contract::Storage;
use super::mem::MemStorage;
use crate::segment_id::SegmentId;

/// The kinds of [`Storage`] call, for targeting a fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OpKind {
    /// [`Storage::list`]
    List,
    /// [`Storage::create`]
    Create,
    /// [`Storage::append`]
    Append,
    /// [`Storage::read_at`]
    ReadAt,
    /// [`Storage::len`]
    Len,
    /// [`Storage::truncate`]
    Truncate,
    /// [`Storage::preallocate`]
    Preallocate,
    /// [`Storage::sync`]
    Sync,
    /// [`Storage::remove`]
    Remove,
}

/// A planned failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// The `nth` operation (counting from 0, only those of `kind` if given)
    /// fails with an I/O error without taking effect; everything before and
    /// after it works.
    FailOnce {
        /// Which one.
        nth: u64,
        /// Count only this kind of operation.
        kind: Option<OpKind>,
    },
    /// The `nth` operation (counting every kind from 0) and all later ones
    /// fail: the machine went down there. Build what it left behind with
    /// [`FaultyStorage::crash_image`].
    CrashAt {
        /// Which one.
        nth: u64,
    },
    /// The disk is full for segments numbered `from` and up: appending to
    /// one fails with [`io::ErrorKind::StorageFull`] (ENOSPC) — creating an
    /// empty file still works, as it does on a full file system — until the
    /// fault is cleared. Older segments work on, so a test can
    /// fill the disk under a merge's outputs while the store keeps writing
    /// to its active segment.
    FullFrom {
        /// The first segment the disk has no room for.
        from: SegmentId,
    },
}

/// What survives a crash, within what the [`Storage`] contract allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CrashMode {
    /// Only synced data: every unsynced byte is lost, and segments never
    /// synced since creation vanish.
    DropUnsynced,
    /// Everything written survives, as if the OS wrote it all back in time.
    KeepUnsynced,
    /// The process died and the machine did not: every segment that exists
    /// now is still there, at its preallocated size, but of its bytes only
    /// the synced ones survive and the rest read as zeros (a storage that
    /// buffers appends in the process loses them; preallocation, a file
    /// size, is already the kernel's).
    KillProcess,
    /// Like `DropUnsynced`, except the segment of the last append (the one
    /// the crash interrupted, or the latest before it) keeps everything
    /// written before that append plus its first `keep` bytes: a torn write.
    /// Synced bytes are never torn: if that leaves less than was synced, the
    /// synced bytes survive.
    TearLastAppend {
        /// Bytes of the last append that reached the disk.
        keep: usize,
    },
}

#[derive(Debug, Default)]
struct Segment {
    /// Bytes as of the last sync; `None` while the segment's existence is
    /// not durable (created and never synced).
    durable: Option<Vec<u8>>,
    /// The size preallocated now (0 for none, or once a truncate gave it
    /// back), and as of the last sync: a crash image pads the segment with
    /// zeros up to it.
    preallocated: u64,
    durable_preallocated: u64,
}

#[derive(Debug, Default)]
struct Faults {
    ops: u64,
    ops_of_kind: BTreeMap<&'static str, u64>,
    planned: Vec<Fault>,
    crashed: bool,
    segments: BTreeMap<SegmentId, Segment>,
    /// The last append attempted: `(segment, offset, bytes)`.
    last_append: Option<(SegmentId, u64, Vec<u8>)>,
}

/// The fault-injecting wrapper. `Clone` shares the wrapped storage and the
/// fault state, so a test keeps a handle while the store owns another.
#[derive(Debug, Clone)]
pub struct FaultyStorage<S: Storage = MemStorage> {
    inner: Arc<S>,
    faults: Arc<Mutex<Faults>>,
}

impl<S: Storage> FaultyStorage<S> {
    /// Wraps `inner`. Segments already in it count as durable.
    pub fn new(inner: S) -> io::Result<Self> {
        let mut faults = Faults::default();
        for id in inner.list()? {
            let bytes = read_all(&inner, id)?;
            faults.segments.insert(
                id,
                Segment {
                    durable: Some(bytes),
                    ..Segment::default()
                },
            );
        }
        Ok(FaultyStorage {
            inner: Arc::new(inner),
            faults: Arc::new(Mutex::new(faults)),
        })
    }

    /// Plans a fault; several may be planned at once.
    pub fn inject(&self, fault: Fault) {
        self.lock().planned.push(fault);
    }

    /// Forgets planned faults (a crash that already happened stays).
    pub fn clear_faults(&self) {
        self.lock().planned.clear();
    }

    /// Operations seen so far, failed ones included.
    pub fn ops(&self) -> u64 {
        self.lock().ops
    }

    /// Whether a [`Fault::CrashAt`] has struck.
    pub fn has_crashed(&self) -> bool {
        self.lock().crashed
    }

    /// Length of the last append attempted, to aim a torn write at its middle.
    pub fn last_append_len(&self) -> Option<usize> {
        self.lock()
            .last_append
            .as_ref()
            .map(|(_, _, bytes)| bytes.len())
    }

    /// The wrapped storage.
    pub fn inner(&self) -> &S {
        &self.inner
    }

    /// The disk a crash now would leave behind, as a fresh [`MemStorage`].
    pub fn crash_image(&self, mode: CrashMode) -> io::Result<MemStorage> {
        let faults = self.lock();
        let image = MemStorage::new();
        let torn = match mode {
            CrashMode::TearLastAppend { keep } => faults
                .last_append
                .as_ref()
                .map(|(id, offset, bytes)| (*id, *offset, &bytes[..keep.min(bytes.len())])),
            _ => None,
        };
        let current: Vec<SegmentId> = self.inner.list()?;
        for (id, segment) in &faults.segments {
            let exists_now = current.contains(id);
            let bytes = match (mode, torn) {
                (CrashMode::KeepUnsynced, _) if exists_now => Some(read_all(&*self.inner, *id)?),
                (CrashMode::KeepUnsynced | CrashMode::KillProcess, _) if !exists_now => None,
                (CrashMode::KillProcess, _) => Some(segment.durable.clone().unwrap_or_default()),
                (CrashMode::KeepUnsynced, _) => None,
                (_, Some((torn_id, offset, kept))) if torn_id == *id && exists_now => {
                    let mut bytes = read_all(&*self.inner, *id)?;
                    bytes.truncate(offset as usize);
                    let synced_len = segment.durable.as_ref().map_or(0, Vec::len);
                    if bytes.len() == offset as usize && offset as usize + kept.len() > synced_len {
                        bytes.extend_from_slice(kept);
                        Some(bytes)
                    } else {
                        // The append was synced (a crash cannot tear it any
                        // more), or its place is gone (the segment was cut
                        // since): the synced bytes are what survives.
                        segment.durable.clone()
                    }
                }
                _ => segment.durable.clone(),
            };
            let preallocated = match mode {
                CrashMode::KeepUnsynced | CrashMode::KillProcess => segment.preallocated,
                _ => segment.durable_preallocated,
            };
            if let Some(mut bytes) = bytes {
                if (bytes.len() as u64) < preallocated {
                    bytes.resize(preallocated as usize, 0);
                }
                image.put_segment_bytes(*id, bytes);
            }
            // A hint survives as it is, even when its segment lost its tail:
            // recovery must notice that it no longer fits.
            if let Ok(Some(hint)) = self.inner.read_hint(*id) {
                image.put_hint_bytes(*id, Some(hint));
            }
        }
        Ok(image)
    }

    /// Flips one bit of a segment, in what reads see and in what survives a
    /// crash alike.
    pub fn flip_bit(&self, id: SegmentId, offset: u64, bit: u8) -> io::Result<()> {
        let mut bytes = read_all(&*self.inner, id)?;
        let byte = bytes.get_mut(offset as usize).ok_or_else(|| {
            io::Error::new(io::ErrorKind::InvalidInput, "offset beyond the segment")
        })?;
        *byte ^= 1 << (bit % 8);
        self.inner.remove(id)?;
        self.inner.create(id)?;
        self.inner.append(id, &bytes)?;
        self.inner.sync(id)?;
        let mut faults = self.lock();
        let segment = faults.segments.entry(id).or_default();
        if let Some(b) = segment
            .durable
            .as_mut()
            .and_then(|durable| durable.get_mut(offset as usize))
        {
            *b ^= 1 << (bit % 8);
        }
        Ok(())
    }

    fn lock(&self) -> MutexGuard<'_, Faults> {
        // Test support: a panic elsewhere must not hide the fault state.
        self.faults.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Counts the operation and decides whether it fails.
    fn enter(&self, kind: OpKind) -> io::Result<()> {
        let mut faults = self.lock();
        let nth = faults.ops;
        faults.ops += 1;
        let kind_name = kind_name(kind);
        let nth_of_kind = *faults.ops_of_kind.get(kind_name).unwrap_or(&0);
        faults.ops_of_kind.insert(kind_name, nth_of_kind + 1);
        if faults.crashed {
            return Err(io::Error::other("injected crash: the storage is gone"));
        }
        for fault in &faults.planned {
            match *fault {
                Fault::CrashAt { nth: at } if at == nth => {
                    faults.crashed = true;
                    return Err(io::Error::other(format!(
                        "injected crash at operation {nth} ({kind_name})"
                    )));
                }
                Fault::FailOnce {
                    nth: at,
                    kind: None,
                } if at == nth => {
                    return Err(io::Error::other(format!(
                        "injected failure of operation {nth} ({kind_name})"
                    )));
                }
                Fault::FailOnce {
                    nth: at,
                    kind: Some(k),
                } if k == kind && at == nth_of_kind => {
                    return Err(io::Error::other(format!(
                        "injected failure of {kind_name} number {nth_of_kind}"
                    )));
                }
                _ => {}
            }
        }
        Ok(())
    }
}

impl<S: Storage> FaultyStorage<S> {
    /// [`enter`](Self::enter) for an operation that writes to segment `id`.
    fn enter_writing(&self, kind: OpKind, id: SegmentId) -> io::Result<()> {
        self.enter(kind)?;
        let faults = self.lock();
        let full = faults
            .planned
            .iter()
            .any(|fault| matches!(*fault, Fault::FullFrom { from } if id >= from));
        if full {
            return Err(io::Error::new(
                io::ErrorKind::StorageFull,
                format!("injected full disk: no space for segment {id}"),
            ));
        }
        Ok(())
    }
}

fn kind_name(kind: OpKind) -> &'static str {
    match kind {
        OpKind::List => "list",
        OpKind::Create => "create",
        OpKind::Append => "append",
        OpKind::ReadAt => "read_at",
        OpKind::Len => "len",
        OpKind::Truncate => "truncate",
        OpKind::Preallocate => "preallocate",
        OpKind::Sync => "sync",
        OpKind::Remove => "remove",
    }
}

fn read_all(storage: &dyn Storage, id: SegmentId) -> io::Result<Vec<u8>> {
    let len = storage.len(id)?;
    let mut bytes = vec![0u8; len as usize];
    storage.read_at(id, 0, &mut bytes)?;
    Ok(bytes)
}

impl<S: Storage> Storage for FaultyStorage<S> {
    fn list(&self) -> io::Result<Vec<SegmentId>> {
        self.enter(OpKind::List)?;
        self.inner.list()
    }

    fn create(&self, id: SegmentId) -> io::Result<()> {
        self.enter(OpKind::Create)?;
        self.inner.create(id)?;
        self.lock().segments.insert(id, Segment::default());
        Ok(())
    }

    fn append(&self, id: SegmentId, bytes: &[u8]) -> io::Result<u64> {
        // Remember the attempt even if it fails: a crash "during" this append
        // may leave part of it on disk.
        let offset = self.inner.len(id)?;
        self.lock().last_append = Some((id, offset, bytes.to_vec()));
        self.enter_writing(OpKind::Append, id)?;
        self.inner.append(id, bytes)
    }

    fn read_at(&self, id: SegmentId, offset: u64, buf: &mut [u8]) -> io::Result<()> {
        self.enter(OpKind::ReadAt)?;
        self.inner.read_at(id, offset, buf)
    }

    fn len(&self, id: SegmentId) -> io::Result<u64> {
        self.enter(OpKind::Len)?;
        self.inner.len(id)
    }

    fn truncate(&self, id: SegmentId, len: u64) -> io::Result<()> {
        self.enter(OpKind::Truncate)?;
        self.inner.truncate(id, len)?;
        self.lock().segments.entry(id).or_default().preallocated = 0;
        Ok(())
    }

    fn preallocate(&self, id: SegmentId, len: u64) -> io::Result<()> {
        self.enter(OpKind::Preallocate)?;
        self.inner.preallocate(id, len)?;
        let mut faults = self.lock();
        let segment = faults.segments.entry(id).or_default();
        segment.preallocated = segment.preallocated.max(len);
        Ok(())
    }

    fn sync(&self, id: SegmentId) -> io::Result<()> {
        self.enter(OpKind::Sync)?;
        self.inner.sync(id)?;
        let bytes = read_all(&*self.inner, id)?;
        let mut faults = self.lock();
        let segment = faults.segments.entry(id).or_default();
        segment.durable = Some(bytes);
        segment.durable_preallocated = segment.preallocated;
        Ok(())
    }

    fn write_hint(&self, id: SegmentId, bytes: &[u8]) -> io::Result<()> {
        // Hints are a cache outside the durability contract: not counted as
        // operations, and kept as they are by every crash image.
        self.inner.write_hint(id, bytes)
    }

    fn read_hint(&self, id: SegmentId) -> io::Result<Option<Vec<u8>>> {
        self.inner.read_hint(id)
    }

    fn remove(&self, id: SegmentId) -> io::Result<()> {
        self.enter(OpKind::Remove)?;
        self.inner.remove(id)?;
        // Removal is durable on return (the contract), so the segment is
        // gone from every crash image too.
        self.lock().segments.remove(&id);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type TestResult = std::result::Result<(), Box<dyn std::error::Error>>;

    #[test]
    fn crash_images_follow_the_contract() -> TestResult {
        let storage = FaultyStorage::new(MemStorage::new())?;
        let (a, b) = (SegmentId(1), SegmentId(2));
        storage.create(a)?;
        storage.append(a, b"synced")?;
        storage.sync(a)?;
        storage.append(a, b"+later")?;
        storage.create(b)?;
        storage.append(b, b"never synced")?;
        storage.append(a, b"+torn")?;

        let dropped = storage.crash_image(CrashMode::DropUnsynced)?;
        assert_eq!(dropped.list()?, vec![a]);
        assert_eq!(dropped.segment_bytes(a), Some(b"synced".to_vec()));

        let kept = storage.crash_image(CrashMode::KeepUnsynced)?;
        assert_eq!(kept.segment_bytes(a), Some(b"synced+later+torn".to_vec()));
        assert_eq!(kept.segment_bytes(b), Some(b"never synced".to_vec()));

        let torn = storage.crash_image(CrashMode::TearLastAppend { keep: 2 })?;
        assert_eq!(torn.segment_bytes(a), Some(b"synced+later+t".to_vec()));
        assert_eq!(torn.list()?, vec![a]);
        Ok(())
    }

    #[test]
    fn preallocated_space_shows_as_zeros_after_a_crash() -> TestResult {
        let storage = FaultyStorage::new(MemStorage::new())?;
        let id = SegmentId(1);
        storage.create(id)?;
        storage.append(id, b"ab")?;
        storage.preallocate(id, 6)?;
        let unsynced = storage.crash_image(CrashMode::KeepUnsynced)?;
        assert_eq!(unsynced.segment_bytes(id), Some(b"ab\0\0\0\0".to_vec()));
        // A killed process keeps the file and its size, not its unsynced bytes.
        let killed = storage.crash_image(CrashMode::KillProcess)?;
        assert_eq!(killed.segment_bytes(id), Some(vec![0; 6]));
        storage.sync(id)?;
        storage.append(id, b"cd")?;
        let torn = storage.crash_image(CrashMode::TearLastAppend { keep: 1 })?;
        assert_eq!(torn.segment_bytes(id), Some(b"abc\0\0\0".to_vec()));
        // Giving the space back is durable only once synced.
        storage.truncate(id, 4)?;
        let dropped = storage.crash_image(CrashMode::DropUnsynced)?;
        assert_eq!(dropped.segment_bytes(id), Some(b"ab\0\0\0\0".to_vec()));
        let kept = storage.crash_image(CrashMode::KeepUnsynced)?;
        assert_eq!(kept.segment_bytes(id), Some(b"abcd".to_vec()));
        Ok(())
    }

    #[test]
    fn a_synced_append_is_never_torn() -> TestResult {
        let storage = FaultyStorage::new(MemStorage::new())?;
        storage.create(SegmentId(1))?;
        storage.append(SegmentId(1), b"header")?;
        storage.append(SegmentId(1), b"record")?;
        storage.sync(SegmentId(1))?;
        let torn = storage.crash_image(CrashMode::TearLastAppend { keep: 2 })?;
        assert_eq!(
            torn.segment_bytes(SegmentId(1)),
            Some(b"headerrecord".to_vec())
        );
        Ok(())
    }

    #[test]
    fn crash_at_stops_everything_after_it() -> TestResult {
        let storage = FaultyStorage::new(MemStorage::new())?;
        storage.inject(Fault::CrashAt { nth: 2 });
        storage.create(SegmentId(1))?;
        storage.append(SegmentId(1), b"x")?;
        assert!(storage.sync(SegmentId(1)).is_err());
        assert!(storage.has_crashed());
        assert!(storage.list().is_err());
        assert_eq!(storage.ops(), 4);
        Ok(())
    }

    #[test]
    fn fail_once_by_kind() -> TestResult {
        let storage = FaultyStorage::new(MemStorage::new())?;
        storage.inject(Fault::FailOnce {
            nth: 1,
            kind: Some(OpKind::Append),
        });
        storage.create(SegmentId(1))?;
        storage.append(SegmentId(1), b"a")?;
        assert!(storage.append(SegmentId(1), b"b").is_err());
        storage.append(SegmentId(1), b"c")?;
        assert_eq!(
            storage.inner().segment_bytes(SegmentId(1)),
            Some(b"ac".to_vec())
        );
        Ok(())
    }

    #[test]
    fn flipped_bits_survive_crashes() -> TestResult {
        let storage = FaultyStorage::new(MemStorage::new())?;
        storage.create(SegmentId(1))?;
        storage.append(SegmentId(1), &[0u8; 4])?;
        storage.sync(SegmentId(1))?;
        storage.flip_bit(SegmentId(1), 2, 3)?;
        let image = storage.crash_image(CrashMode::DropUnsynced)?;
        assert_eq!(image.segment_bytes(SegmentId(1)), Some(vec![0, 0, 8, 0]));
        Ok(())
    }
}
