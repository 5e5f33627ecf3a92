//! [`Shared`]: the state every handle of one store shares, and the locks
//! around it.
//!
//! The handle (`store/mod.rs`) holds it in an `Arc`; the background threads
//! hold it weakly; the compaction mechanism and [`Iter`](crate::Iter) work on
//! it directly. It is made of parts that each keep their own rules — the
//! [`Writer`] behind the writer lock, the [`Index`] behind a read/write
//! lock, [`GroupCommit`] for durability — and lends them out together
//! (as a [`Log`] to write, a [`Reader`] to read). The lock order is written
//! at the top of `store/mod.rs`.

use std::sync::atomic::AtomicBool;
use std::sync::{Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};

use tracing::{debug, warn};

use crate::compaction::history::CompactionHistory;
use crate::compaction::{CompactionPolicy, SegmentSize};
use crate::hint;
use crate::index::{self, Index};
use crate::options::{Options, SyncPolicy};
use crate::report::{RecoveryReport, Stats};
use crate::storage::{SegmentId, Storage};

use super::durability::{Deferred, GroupCommit};
use super::read::{self, Reader};
use super::sealed::SealNotices;
use super::stall::WriteStall;
use super::write::{Log, Writer};
use super::writeback::Writeback;

/// One open store's state.
pub(crate) struct Shared {
    pub(crate) storage: Box<dyn Storage>,
    pub(crate) options: Options,
    /// One compaction at a time.
    pub(crate) compaction: Mutex<()>,
    pub(crate) writer: Mutex<Writer>,
    pub(crate) index: RwLock<Index>,
    pub(crate) commit: GroupCommit,
    pub(crate) recovery: RecoveryReport,
    pub(crate) sealed: SealNotices,
    /// The compaction policy, its byte defaults scaled to the segment size.
    pub(crate) policy: CompactionPolicy,
    /// What merges have done since open.
    pub(crate) history: CompactionHistory,
    /// Set when the store closes: a merge in progress stops at its next
    /// chunk and changes nothing.
    pub(crate) stop_merges: AtomicBool,
    /// Paces writers while merges are behind.
    pub(crate) stall: WriteStall,
    /// Who syncs the active segment in steps as it fills.
    pub(crate) writeback: Writeback,
}

impl Shared {
    pub(crate) fn lock_writer(&self) -> MutexGuard<'_, Writer> {
        // A panic while writing leaves at worst an unfinished record on
        // storage, which recovery handles; the struct itself stays coherent.
        self.writer.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub(crate) fn lock_compaction(&self) -> MutexGuard<'_, ()> {
        self.compaction.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub(crate) fn read_index(&self) -> RwLockReadGuard<'_, Index> {
        index::read(&self.index)
    }

    pub(crate) fn write_index(&self) -> RwLockWriteGuard<'_, Index> {
        index::write(&self.index)
    }

    /// The time now by the store's clock, in ms since the Unix epoch.
    pub(crate) fn now(&self) -> u64 {
        self.options.get_clock().now_millis()
    }

    /// The parts an append or a rotation works on.
    pub(crate) fn log(&self) -> Log<'_> {
        Log {
            storage: self.storage.as_ref(),
            options: &self.options,
            commit: &self.commit,
            index: &self.index,
            sealed: &self.sealed,
            stall: &self.stall,
            writeback: &self.writeback,
        }
    }

    /// The parts a read works on.
    pub(crate) fn reader(&self) -> Reader<'_> {
        Reader {
            index: &self.index,
            storage: self.storage.as_ref(),
            clock: self.options.get_clock(),
        }
    }

    /// Applies the sync policy after a write with sequence number `seq`:
    /// under [`SyncPolicy::Always`], waits until it is durable — or, for a
    /// handle that defers its waits (`deferred`), notes it there for
    /// [`wait_deferred`](Self::wait_deferred). The other policies never
    /// wait, so they note nothing either.
    pub(crate) fn after_write(&self, seq: u64, deferred: Option<&Deferred>) -> crate::Result<()> {
        self.stall.pace();
        match (self.options.get_sync_policy(), deferred) {
            (SyncPolicy::Always, None) => {
                self.commit.wait_durable(self.storage.as_ref(), seq, false)
            }
            (SyncPolicy::Always, Some(deferred)) => {
                deferred.note(seq);
                Ok(())
            }
            (SyncPolicy::EveryMillis(_) | SyncPolicy::Never, _) => Ok(()),
        }
    }

    /// The highest seq noted in `deferred`, while it is not known durable
    /// yet.
    pub(crate) fn pending_through(&self, deferred: &Deferred) -> Option<u64> {
        let seq = deferred.highest();
        (!self.commit.covers(seq)).then_some(seq)
    }

    /// Returns once every record up to `seq` (at most the last appended) is
    /// durable, leading at most one sync if one is not. Nothing pending
    /// returns `Ok` at once, even on a poisoned store, as
    /// [`wait_deferred`](Self::wait_deferred) does.
    pub(crate) fn wait_durable_through(&self, seq: u64) -> crate::Result<()> {
        // A seq not written yet would never be covered by a sync.
        let seq = seq.min(self.commit.appended());
        if self.commit.covers(seq) {
            return Ok(());
        }
        self.commit.wait_durable_once(self.storage.as_ref(), seq)
    }

    /// Returns once every write noted in `deferred` is durable: what
    /// [`after_write`](Self::after_write) would have waited for, for all of
    /// them at once. Nothing pending returns `Ok` at once, even on a
    /// poisoned store: those writes were synced before it failed.
    pub(crate) fn wait_deferred(&self, deferred: &Deferred) -> crate::Result<()> {
        let seq = deferred.highest();
        if self.commit.covers(seq) {
            return Ok(());
        }
        self.commit.wait_durable(self.storage.as_ref(), seq, false)
    }

    /// Makes every write so far durable, reaching the storage even when
    /// nothing is pending (`force`) or only when something is.
    pub(crate) fn sync_all(&self, force: bool) -> crate::Result<()> {
        let target = self.commit.appended();
        self.commit
            .wait_durable(self.storage.as_ref(), target, force)
    }

    /// Writes the hint file of sealed segment `id`, read back from storage. A
    /// hint is a cache: failing to write one is not an error.
    pub(crate) fn write_hint_for(&self, id: SegmentId) {
        let len = match self.read_index().segments.get(&id) {
            Some(info) if info.sealed => info.len,
            _ => return,
        };
        let Ok(Some(bytes)) = read::read_segment(self.storage.as_ref(), id, len) else {
            return;
        };
        let Some(hint) = hint::build(&bytes) else {
            return;
        };
        match self.storage.write_hint(id, &hint) {
            Ok(()) => {
                if let Some(info) = self.write_index().segments.get_mut(&id) {
                    info.hint_bytes = hint.len() as u64;
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::Unsupported => {}
            Err(e) => debug!(segment = %id, error = %e, "could not write a hint file"),
        }
    }

    /// Numbers about the store right now.
    pub(crate) fn stats(&self) -> Stats {
        let (next_seq, active, user_bytes_written) = {
            let writer = self.lock_writer();
            (writer.next_seq, writer.active, writer.bytes_written)
        };
        let now = self.now();
        let index = self.read_index();
        let total_bytes = index.total_bytes();
        // An expired record is dead to everyone but the index, which keeps
        // it until a merge drops it.
        let live_bytes = index.live_bytes() - index.expired_bytes(now);
        Stats {
            keys: index.live_len(now),
            segments: index.segments.len(),
            total_bytes,
            live_bytes,
            dead_bytes: total_bytes.saturating_sub(live_bytes),
            corrupt_ranges: index.corrupt.len(),
            corrupt_bytes: index.corrupt.iter().map(|r| r.len).sum(),
            next_seq,
            active_segment: active,
            compactions: self.history.runs(),
            compaction_failures: self.history.failures(),
            last_compaction_failure: self.history.last_failure(),
            user_bytes_written,
            compaction_bytes_written: self.history.bytes_written(),
        }
    }

    /// Every segment and its length, read where the lengths are record
    /// boundaries.
    pub(crate) fn segment_lengths(&self) -> Vec<SegmentSize> {
        // The writer lock makes the active segment's length a record boundary.
        let _writer = self.lock_writer();
        self.read_index()
            .segments
            .iter()
            .map(|(id, info)| SegmentSize {
                id: *id,
                len: info.len,
            })
            .collect()
    }
}

impl Drop for Shared {
    /// Closing syncs what is not yet durable (unless the store is poisoned:
    /// then nothing can be trusted to reach the disk).
    fn drop(&mut self) {
        if self.commit.is_poisoned() {
            return;
        }
        if let Err(e) = self.sync_all(true) {
            warn!(error = %e, "could not sync the store while closing it");
        }
    }
}
