//! The write path: [`Writer`] (the active segment and the next sequence
//! number, behind the writer lock), appends, rotation, and the checks every
//! key and value passes before anything is written.
//!
//! A write is one append of one or more records (a batch is flagged first /
//! middle / last so recovery takes it whole or not at all). An append that
//! would overflow the active segment rotates first: the segment gets a seal
//! record and a sync, and a fresh segment takes its place — so a batch never
//! spans segments, and a sealed segment never changes again.

use std::collections::BTreeSet;
use std::sync::RwLock;

use tracing::{debug, warn};

use crate::batch::BatchOp;
use crate::compaction::SEAL_LEN;
use crate::error::{Error, Result};
use crate::format::{
    self, BatchPart, MAX_KEY_LEN, RecordKind, SEGMENT_HEADER_LEN, SegmentKind, encode_record,
    encode_segment_header,
};
use crate::index::{self, Index, SegmentInfo};
use crate::location::Location;
use crate::options::Options;
use crate::storage::{SegmentId, Storage};

use super::durability::GroupCommit;
use super::sealed::SealNotices;
use super::stall::WriteStall;
use super::writeback::Writeback;

/// What the writer lock guards.
pub(crate) struct Writer {
    pub(crate) active: SegmentId,
    /// Bytes in the active segment; always a record boundary.
    pub(crate) active_len: u64,
    pub(crate) next_seq: u64,
    pub(crate) next_segment: SegmentId,
    /// Reused encode buffer.
    scratch: Vec<u8>,
    /// The active segment was sealed and no new one could be made yet.
    active_sealed: bool,
    /// Bytes appended since open (records and seals): the user's side of
    /// write amplification.
    pub(crate) bytes_written: u64,
    /// Segments a committed compaction made obsolete but failed to remove;
    /// the next compaction names them again so recovery never reads them.
    pub(crate) leftovers: BTreeSet<SegmentId>,
}

/// What the writer works on besides its own state: the parts of the store
/// an append or a rotation touches.
pub(crate) struct Log<'a> {
    pub(crate) storage: &'a dyn Storage,
    pub(crate) options: &'a Options,
    pub(crate) commit: &'a GroupCommit,
    pub(crate) index: &'a RwLock<Index>,
    pub(crate) sealed: &'a SealNotices,
    pub(crate) stall: &'a WriteStall,
    pub(crate) writeback: &'a Writeback,
}

/// One record to append: a put or a tombstone, borrowed from the caller.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Change<'a> {
    pub(crate) kind: RecordKind,
    pub(crate) key: &'a [u8],
    pub(crate) value: &'a [u8],
    /// For a put that expires: when, in ms since the Unix epoch.
    pub(crate) expires_at: Option<u64>,
}

impl<'a> Change<'a> {
    pub(crate) fn put(key: &'a [u8], value: &'a [u8], expires_at: Option<u64>) -> Self {
        Change {
            kind: RecordKind::Put,
            key,
            value,
            expires_at,
        }
    }

    pub(crate) fn tombstone(key: &'a [u8]) -> Self {
        Change {
            kind: RecordKind::Tombstone,
            key,
            value: b"",
            expires_at: None,
        }
    }

    fn record_len(&self) -> u64 {
        format::put_len(self.key.len(), self.value.len(), self.expires_at.is_some()) as u64
    }
}

impl<'a> BatchOp<'a> {
    /// The record this change appends, when applied at `now` (ms since the
    /// Unix epoch).
    pub(crate) fn change(self, now: u64) -> Change<'a> {
        match self {
            BatchOp::Set(key, value, ttl) => {
                Change::put(key, value, ttl.map(|ttl| expiry(now, ttl)))
            }
            BatchOp::Delete(key) => Change::tombstone(key),
        }
    }
}

impl Writer {
    /// The writer of a store whose active segment `active` holds
    /// `active_len` bytes.
    pub(crate) fn new(
        active: SegmentId,
        active_len: u64,
        next_seq: u64,
        next_segment: SegmentId,
    ) -> Self {
        Writer {
            active,
            active_len,
            next_seq,
            next_segment,
            scratch: Vec::new(),
            active_sealed: false,
            bytes_written: 0,
            leftovers: BTreeSet::new(),
        }
    }

    /// Takes the next segment number.
    pub(crate) fn take_segment_id(&mut self) -> SegmentId {
        let id = self.next_segment;
        self.next_segment = id.next();
        id
    }

    /// Appends `changes` as one write: a single plain record, or a batch
    /// whose records are flagged first / middle / last. Rotates first if they
    /// would overflow the active segment. Tells `placed` where each record
    /// went, in order, once the write succeeded, and returns the last
    /// record's seq.
    pub(crate) fn append(
        &mut self,
        log: &Log<'_>,
        changes: &[Change<'_>],
        mut placed: impl FnMut(usize, Location),
    ) -> Result<u64> {
        log.commit.check_poisoned()?;
        self.ensure_open(log)?;
        let total: u64 = changes.iter().map(Change::record_len).sum();
        if self.active_len > SEGMENT_HEADER_LEN
            && self.active_len + total > log.options.get_max_segment_size()
        {
            self.rotate(log)?;
        }
        let first_seq = self.next_seq;
        let mut scratch = std::mem::take(&mut self.scratch);
        scratch.clear();
        for (i, change) in changes.iter().enumerate() {
            let part = match i {
                _ if changes.len() == 1 => None,
                0 => Some(BatchPart::First),
                i if i + 1 == changes.len() => Some(BatchPart::Last),
                _ => Some(BatchPart::Middle),
            };
            let seq = first_seq + i as u64;
            match change.kind {
                RecordKind::Put => format::encode_put(
                    &mut scratch,
                    part,
                    seq,
                    change.key,
                    change.value,
                    change.expires_at,
                ),
                kind => format::encode_batch_record(
                    &mut scratch,
                    kind,
                    part,
                    seq,
                    change.key,
                    change.value,
                ),
            }
        }
        let result = self.append_raw(log, &scratch);
        // Keep a small buffer around, but do not pin a 64 MiB one.
        if scratch.capacity() <= 1 << 20 {
            self.scratch = scratch;
        }
        let mut offset = result?;
        for (i, change) in changes.iter().enumerate() {
            let len = change.record_len();
            placed(
                i,
                Location {
                    offset,
                    segment: self.active,
                    len: len as u32,
                },
            );
            offset += len;
        }
        let last_seq = first_seq + changes.len() as u64 - 1;
        self.next_seq = last_seq + 1;
        log.commit.record_appended(last_seq);
        Ok(last_seq)
    }

    /// The index, locked for writing, with the active segment's length
    /// brought up to date after an append.
    pub(crate) fn index_after_append<'l>(
        &self,
        log: &Log<'l>,
    ) -> std::sync::RwLockWriteGuard<'l, Index> {
        let mut index = index::write(log.index);
        if let Some(info) = index.segments.get_mut(&self.active) {
            info.len = self.active_len;
        }
        index
    }

    /// Appends bytes to the active segment. If the append fails, cuts the
    /// segment back so no partial record is left before the next one; if
    /// even that fails, poisons the store.
    fn append_raw(&mut self, log: &Log<'_>, bytes: &[u8]) -> Result<u64> {
        let id = self.active;
        match log.storage.append(id, bytes) {
            Ok(offset) => {
                self.active_len = offset + bytes.len() as u64;
                self.bytes_written += bytes.len() as u64;
                log.stall.wrote(bytes.len() as u64);
                log.writeback.grew(id, offset, self.active_len);
                Ok(offset)
            }
            Err(e) => {
                if let Err(undo) = log.storage.truncate(id, self.active_len) {
                    warn!(segment = %id, error = %undo, "could not undo a failed append; refusing further writes");
                    log.commit.poison();
                }
                Err(Error::io(format!("append to segment {id}"), e))
            }
        }
    }

    /// Seals the active segment (seal record + sync) and starts a new one.
    ///
    /// If the disk has no room for the new segment, the old one stays
    /// sealed and the writer has no segment to append to: the write that
    /// wanted it fails, and the next one tries again (see
    /// [`ensure_open`](Self::ensure_open)). A sealed segment never takes
    /// another append.
    pub(crate) fn rotate(&mut self, log: &Log<'_>) -> Result<()> {
        log.commit.check_poisoned()?;
        self.ensure_open(log)?;
        let old = self.active;
        self.append_raw(log, &encode_seal(self.next_seq))?;
        if let Err(e) = log.storage.sync(old) {
            log.commit.poison();
            return Err(Error::io(format!("sync segment {old} while sealing it"), e));
        }
        // Everything written so far is in this segment or an older, already
        // sealed one: all of it is durable now.
        log.commit.all_appended_are_durable();
        // Give back the space the segment did not fill. Not synced, and a
        // failure changes nothing: recovery knows zeros after a seal for
        // unused space.
        if let Err(e) = log.storage.truncate(old, self.active_len) {
            debug!(segment = %old, error = %e, "could not give back preallocated space");
        }
        {
            let mut index = index::write(log.index);
            if let Some(info) = index.segments.get_mut(&old) {
                info.len += SEAL_LEN;
                info.meta_bytes += SEAL_LEN;
                info.sealed = true;
            }
            log.stall
                .note_space(index.space_bytes(), index.live_bytes());
        }
        log.sealed.sealed(old);
        self.active_sealed = true;
        self.ensure_open(log)
    }

    /// Starts a new active segment if the last one was sealed without one
    /// taking its place.
    pub(crate) fn ensure_open(&mut self, log: &Log<'_>) -> Result<()> {
        if !self.active_sealed {
            return Ok(());
        }
        let new = self.next_segment;
        if let Err(e) = create_segment(log.storage, new, SegmentKind::Log) {
            discard_segment(log.storage, new);
            return Err(e);
        }
        self.next_segment = new.next();
        preallocate(log.storage, new, log.options.get_max_segment_size());
        self.active = new;
        self.active_sealed = false;
        log.commit.publish_active(new);
        self.active_len = SEGMENT_HEADER_LEN;
        index::write(log.index)
            .segments
            .insert(new, fresh_segment(SegmentKind::Log));
        Ok(())
    }
}

/// Removes a segment whose creation failed part way. A failure leaves an
/// empty or partial-header segment, which recovery removes.
fn discard_segment(storage: &dyn Storage, id: SegmentId) {
    if let Err(e) = storage.remove(id)
        && e.kind() != std::io::ErrorKind::NotFound
    {
        debug!(segment = %id, error = %e, "could not remove an unused new segment");
    }
}

/// The expiry time of a value written at `now` (ms since the Unix epoch)
/// to live `ttl`.
pub(crate) fn expiry(now: u64, ttl: std::time::Duration) -> u64 {
    now.saturating_add(u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX))
}

/// The seal record that ends a segment; its value is the store's next seq.
pub(crate) fn encode_seal(next_seq: u64) -> Vec<u8> {
    let mut seal = Vec::with_capacity(SEAL_LEN as usize);
    encode_record(&mut seal, RecordKind::Seal, 0, b"", &next_seq.to_le_bytes());
    seal
}

/// A key must be non-empty and at most [`MAX_KEY_LEN`] bytes.
pub(crate) fn check_key(key: &[u8]) -> Result<()> {
    if key.is_empty() {
        return Err(Error::EmptyKey);
    }
    if key.len() > MAX_KEY_LEN {
        return Err(Error::KeyTooLarge {
            len: key.len(),
            max: MAX_KEY_LEN,
        });
    }
    Ok(())
}

/// A value must be at most `max` bytes (the store's `max_value_size`).
pub(crate) fn check_value(value: &[u8], max: u64) -> Result<()> {
    if value.len() as u64 > max {
        return Err(Error::ValueTooLarge {
            len: value.len() as u64,
            max,
        });
    }
    Ok(())
}

/// The accounting of a segment that holds only its header.
pub(crate) fn fresh_segment(kind: SegmentKind) -> SegmentInfo {
    SegmentInfo::new(kind, SEGMENT_HEADER_LEN, SEGMENT_HEADER_LEN, false)
}

/// Creates a segment and writes its header. Not synced: until its first sync
/// a crash may leave it empty or with part of the header, which recovery
/// recognises and removes.
pub(crate) fn create_segment(
    storage: &dyn Storage,
    id: SegmentId,
    kind: SegmentKind,
) -> Result<()> {
    storage
        .create(id)
        .and_then(|()| storage.append(id, &encode_segment_header(kind)))
        .map(|_| ())
        .map_err(|e| Error::io(format!("create segment {id}"), e))
}

/// Reserves room for the active segment to grow to its full size, so that
/// syncing an append need not also commit a new file size (see
/// [`Storage::preallocate`]). Only an optimisation: a failure is logged and
/// otherwise ignored.
pub(crate) fn preallocate(storage: &dyn Storage, id: SegmentId, max_segment_size: u64) {
    if let Err(e) = storage.preallocate(id, max_segment_size) {
        debug!(segment = %id, error = %e, "could not preallocate the active segment");
    }
}
