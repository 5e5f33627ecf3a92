//! [`KvStore`]: the public handle, and how reads, writes, durability and
//! compaction share it.
//!
//! Locks, always taken in this order when nested:
//! - `compaction` — one compaction at a time;
//! - `writer` — appends, sequence numbers, segment rotation; held while the
//!   index is updated so the index changes in sequence order;
//! - `state` (read/write) — the index and segment accounting; readers hold it
//!   only to look up a location, never during I/O;
//! - `durability` — group commit bookkeeping.
//!
//! Reads take no lock during I/O: a reader copies a key's location, reads the
//! record, and if compaction removed the segment meanwhile, looks the key up
//! again (it has moved) and retries.

use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};

use tracing::{debug, warn};

use crate::batch::{BatchOp, WriteBatch};
use crate::compaction::{self, CompactionPlan, LayoutSnapshot, OutputPacker, SEAL_LEN};
use crate::error::{Error, Result};
use crate::format::{
    self, BatchPart, CommitPayload, MAX_KEY_LEN, RecordKind, SEGMENT_HEADER_LEN, SegmentKind,
    encode_record, encode_segment_header,
};
use crate::hint;
use crate::index::{Location, SegmentInfo, State};
use crate::iter::Iter;
use crate::layout::{Layout, RecordLayout, SegmentLayout};
use crate::options::{Options, SyncPolicy};
use crate::recovery::{self, Recovered};
use crate::report::{CompactionReport, CorruptRange, RecoveryReport, Stats, VerifyReport};
use crate::scan::scan_segment;
use crate::storage::{SegmentId, Storage};

/// A handle to an open store. Cheap to clone; clones share the store.
///
/// Every method takes `&self` and the handle is `Send + Sync`, so threads can
/// share one store. When the last clone is dropped, unsynced writes are synced
/// and the directory lock is released.
#[derive(Clone)]
pub struct KvStore {
    // Declared first so it is dropped first: the background threads are
    // stopped and joined before the store itself can close.
    _background: Arc<Background>,
    inner: Arc<Inner>,
}

/// The store's background threads (native builds): the hint writer and,
/// under `SyncPolicy::EveryMillis`, the periodic sync. Shared by every
/// handle; when the last handle goes, they are stopped and joined, so that
/// closing the store — and releasing its directory lock — happens right
/// there, never later on one of these threads.
struct Background {
    inner: Arc<Inner>,
    /// Dropping it wakes the sync thread, which then ends.
    stop: Mutex<Option<std::sync::mpsc::Sender<()>>>,
    threads: Mutex<Vec<std::thread::JoinHandle<()>>>,
}

impl Drop for Background {
    fn drop(&mut self) {
        // Closing the hint queue ends the hint writer's loop.
        self.inner
            .hint_queue
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take();
        self.stop.lock().unwrap_or_else(|p| p.into_inner()).take();
        let threads = std::mem::take(&mut *self.threads.lock().unwrap_or_else(|p| p.into_inner()));
        for thread in threads {
            let _ = thread.join();
        }
    }
}

impl std::fmt::Debug for KvStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KvStore")
            .field("options", &self.inner.options)
            .field("keys", &self.len())
            .finish_non_exhaustive()
    }
}

/// The outcome of [`KvStore::set_versioned`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SetOutcome {
    /// The write's sequence number: the value's version.
    pub seq: u64,
    /// Whether the key had a value before.
    pub replaced: bool,
}

/// A value and its version, from [`KvStore::get_versioned`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Versioned {
    /// The sequence number of the write that stored the value.
    pub seq: u64,
    /// The value.
    pub value: Vec<u8>,
}

struct Inner {
    storage: Box<dyn Storage>,
    options: Options,
    compaction: Mutex<()>,
    writer: Mutex<Writer>,
    state: RwLock<State>,
    durability: Mutex<Durability>,
    /// Every record with `seq <= synced` is durable. Only raised, and only
    /// under the `durability` lock; read without it by waking writers.
    synced: AtomicU64,
    /// The highest seq appended so far (0 when none this session). Written
    /// under the writer lock, after the append.
    appended: AtomicU64,
    /// The writer's active segment, published for the group-commit leader
    /// so it never waits for the writer lock (whose holder may be a
    /// preempted thread). Published after a rotation synced the old one: see
    /// [`Inner::lead_syncs`].
    active: std::sync::atomic::AtomicU32,
    /// Signalled when a group-commit leader stops syncing.
    durability_changed: Condvar,
    /// Set after a failed sync or an append that could not be undone.
    poisoned: AtomicBool,
    recovery: RecoveryReport,
    /// Sealed segments waiting for their hint file, for the background
    /// hint writer (native builds; `None` where there are no threads).
    hint_queue: Mutex<Option<std::sync::mpsc::Sender<SegmentId>>>,
}

struct Writer {
    active: SegmentId,
    active_len: u64,
    next_seq: u64,
    next_segment: SegmentId,
    scratch: Vec<u8>,
    /// Segments a committed compaction made obsolete but failed to remove;
    /// the next compaction names them again so recovery never reads them.
    leftovers: BTreeSet<SegmentId>,
}

/// One record to append: a put or a tombstone, borrowed from the caller.
#[derive(Debug, Clone, Copy)]
struct Change<'a> {
    kind: RecordKind,
    key: &'a [u8],
    value: &'a [u8],
}

impl<'a> Change<'a> {
    fn put(key: &'a [u8], value: &'a [u8]) -> Self {
        Change {
            kind: RecordKind::Put,
            key,
            value,
        }
    }

    fn tombstone(key: &'a [u8]) -> Self {
        Change {
            kind: RecordKind::Tombstone,
            key,
            value: b"",
        }
    }

    fn record_len(&self) -> u64 {
        format::record_len(self.key.len(), self.value.len()) as u64
    }
}

impl<'a> BatchOp<'a> {
    fn change(self) -> Change<'a> {
        match self {
            BatchOp::Set(key, value) => Change::put(key, value),
            BatchOp::Delete(key) => Change::tombstone(key),
        }
    }
}

struct Durability {
    /// A thread (the group-commit leader) is syncing on behalf of everyone.
    syncing: bool,
    /// Writers asleep until their record is durable: `(seq, thread)`. Each
    /// is woken on its own once a sync covers it, rather than all of them
    /// at every sync to fight over this lock.
    waiters: Vec<(u64, std::thread::Thread)>,
}

impl Durability {
    /// Records that everything up to `seq` is durable and returns the
    /// writers that were waiting for it, for the caller to wake once it has
    /// let go of the lock: each wake-up is a system call, and writers that
    /// arrive meanwhile need the lock to go to sleep.
    #[must_use]
    fn advance(&mut self, seq: u64, synced: &AtomicU64) -> Vec<std::thread::Thread> {
        let done = synced.load(Ordering::Acquire).max(seq);
        synced.store(done, Ordering::Release);
        let mut covered = Vec::new();
        self.waiters.retain(|(seq, thread)| {
            if *seq <= done {
                covered.push(thread.clone());
                false
            } else {
                true
            }
        });
        covered
    }

    /// Wakes every waiting writer to look again: one of them takes over
    /// syncing, or they learn that the store is poisoned.
    fn wake_all(&mut self) {
        for (_, thread) in self.waiters.drain(..) {
            thread.unpark();
        }
    }
}

#[cfg(not(target_arch = "wasm32"))]
impl KvStore {
    /// Opens the store in directory `dir` (created if missing) with default
    /// [`Options`].
    pub fn open(dir: impl AsRef<std::path::Path>) -> Result<KvStore> {
        Self::open_with_options(dir, Options::default())
    }

    /// Opens the store in directory `dir` with `options`.
    pub fn open_with_options(
        dir: impl AsRef<std::path::Path>,
        options: Options,
    ) -> Result<KvStore> {
        options.validate()?;
        let storage = crate::storage::FileStorage::open(dir)?;
        Self::open_with(storage, options)
    }
}

impl KvStore {
    /// Opens a store over any [`Storage`]: recovers what is there (cutting
    /// torn tails, skipping and reporting corrupt ranges, finishing an
    /// interrupted compaction) and rebuilds the index.
    pub fn open_with(storage: impl Storage, options: Options) -> Result<KvStore> {
        options.validate()?;
        let storage: Box<dyn Storage> = Box::new(storage);
        let Recovered {
            mut state,
            next_seq,
            active,
            mut next_segment,
            report,
        } = recovery::recover(storage.as_ref())?;

        let (active, active_len) = match active {
            Some(id) => (id, state.segments[&id].len),
            None => {
                let id = next_segment;
                next_segment = id.next();
                create_segment(storage.as_ref(), id, SegmentKind::Log)?;
                state.segments.insert(id, fresh_segment(SegmentKind::Log));
                (id, SEGMENT_HEADER_LEN)
            }
        };
        preallocate(storage.as_ref(), active, options.get_max_segment_size());

        let inner = Arc::new(Inner {
            storage,
            options,
            compaction: Mutex::new(()),
            writer: Mutex::new(Writer {
                active,
                active_len,
                next_seq,
                next_segment,
                scratch: Vec::new(),
                leftovers: BTreeSet::new(),
            }),
            state: RwLock::new(state),
            // Nothing is known durable: records recovered from the active
            // segment may sit in the OS cache only, so the first sync covers them.
            durability: Mutex::new(Durability {
                syncing: false,
                waiters: Vec::new(),
            }),
            synced: AtomicU64::new(0),
            appended: AtomicU64::new(next_seq - 1),
            active: std::sync::atomic::AtomicU32::new(active.0),
            durability_changed: Condvar::new(),
            poisoned: AtomicBool::new(false),
            recovery: report,
            hint_queue: Mutex::new(None),
        });
        let background = Background {
            inner: Arc::clone(&inner),
            stop: Mutex::new(None),
            threads: Mutex::new(Vec::new()),
        };
        #[cfg(not(target_arch = "wasm32"))]
        {
            let mut threads = Vec::new();
            if inner.options.get_background_hints() {
                threads.extend(background_hints(&inner));
            }
            if let SyncPolicy::EveryMillis(period) = inner.options.get_sync_policy() {
                let (stop, stopped) = std::sync::mpsc::channel();
                threads.extend(background_sync(Arc::downgrade(&inner), stopped, period));
                *background.stop.lock().unwrap_or_else(|p| p.into_inner()) = Some(stop);
            }
            *background.threads.lock().unwrap_or_else(|p| p.into_inner()) = threads;
        }
        Ok(KvStore {
            _background: Arc::new(background),
            inner,
        })
    }

    /// Stores `value` under `key`, replacing any previous value.
    pub fn set(&self, key: impl AsRef<[u8]>, value: impl AsRef<[u8]>) -> Result<()> {
        self.set_versioned(key, value).map(|_| ())
    }

    /// Like [`set`](Self::set), and tells the new version and whether a value
    /// was replaced.
    pub fn set_versioned(
        &self,
        key: impl AsRef<[u8]>,
        value: impl AsRef<[u8]>,
    ) -> Result<SetOutcome> {
        let (key, value) = (key.as_ref(), value.as_ref());
        check_key(key)?;
        let max = self.inner.options.get_max_value_size();
        if value.len() as u64 > max {
            return Err(Error::ValueTooLarge {
                len: value.len() as u64,
                max,
            });
        }
        let (seq, replaced) = {
            let mut writer = self.inner.lock_writer();
            let mut location = None; // set once the record is placed
            let seq = self
                .inner
                .append(&mut writer, &[Change::put(key, value)], |_, placed| {
                    location = Some(placed)
                })?;
            let mut state = self.inner.state_after_append(&writer);
            let replaced = location.is_some_and(|location| state.insert(key, location).is_some());
            (seq, replaced)
        };
        self.inner.after_write(seq)?;
        Ok(SetOutcome { seq, replaced })
    }

    /// The value stored under `key`, if any. Reads exactly one record and
    /// checks its CRC: damaged bytes are an [`Error::Corruption`], never a
    /// wrong value.
    pub fn get(&self, key: impl AsRef<[u8]>) -> Result<Option<Vec<u8>>> {
        Ok(self.get_versioned(key)?.map(|v| v.value))
    }

    /// Like [`get`](Self::get), with the value's version (the sequence number
    /// of the write that stored it).
    pub fn get_versioned(&self, key: impl AsRef<[u8]>) -> Result<Option<Versioned>> {
        let key = key.as_ref();
        let mut attempts = 0;
        loop {
            let Some(location) = self.inner.read_state().get(key) else {
                return Ok(None);
            };
            match self.inner.read_record(key, location) {
                Ok((seq, value)) => return Ok(Some(Versioned { seq, value })),
                // Compaction may have moved the record and removed its old
                // segment between the lookup and the read.
                Err(e) => {
                    attempts += 1;
                    let moved = self.inner.read_state().get(key) != Some(location);
                    if !moved || attempts >= 8 {
                        return Err(e);
                    }
                }
            }
        }
    }

    /// Applies every change in `batch` together: readers see all of it at
    /// once, and a crash leaves all of it or none of it. The batch is one
    /// append and, under [`SyncPolicy::Always`], one fsync — the fast way to
    /// load many keys. Nothing is written if any key or value breaks a limit.
    pub fn apply(&self, batch: WriteBatch) -> Result<()> {
        let max = self.inner.options.get_max_value_size();
        for op in batch.ops() {
            match op {
                BatchOp::Set(key, value) => {
                    check_key(key)?;
                    if value.len() as u64 > max {
                        return Err(Error::ValueTooLarge {
                            len: value.len() as u64,
                            max,
                        });
                    }
                }
                BatchOp::Delete(key) => check_key(key)?,
            }
        }
        let last_seq = {
            let mut writer = self.inner.lock_writer();
            // Under the writer lock no other write can change which deletes
            // find their key: those that do not write nothing.
            let changes: Vec<Change<'_>> = if !batch.has_deletes() {
                batch.ops().map(BatchOp::change).collect()
            } else {
                let state = self.inner.read_state();
                let mut present: HashMap<&[u8], bool> = HashMap::new();
                batch
                    .ops()
                    .filter(|op| match *op {
                        BatchOp::Set(key, _) => {
                            present.insert(key, true);
                            true
                        }
                        BatchOp::Delete(key) => {
                            // A delete writes a tombstone only if the key
                            // exists now or is set earlier in the batch.
                            present
                                .insert(key, false)
                                .unwrap_or_else(|| state.contains(key))
                        }
                    })
                    .map(BatchOp::change)
                    .collect()
            };
            if changes.is_empty() {
                return Ok(());
            }
            let mut locations = Vec::with_capacity(changes.len());
            let last_seq = self.inner.append(&mut writer, &changes, |_, location| {
                locations.push(location)
            })?;
            let mut state = self.inner.state_after_append(&writer);
            state.apply_batch(changes.iter().zip(&locations).map(|(change, location)| {
                let put = change.kind != RecordKind::Tombstone;
                (change.key, put.then_some(*location))
            }));
            last_seq
        };
        self.inner.after_write(last_seq)
    }

    /// Deletes `key`. Returns whether it existed; when it did not, nothing is
    /// written.
    pub fn delete(&self, key: impl AsRef<[u8]>) -> Result<bool> {
        let key = key.as_ref();
        check_key(key)?;
        let seq = {
            let mut writer = self.inner.lock_writer();
            // Under the writer lock no other write can change the answer.
            if !self.inner.read_state().contains(key) {
                return Ok(false);
            }
            let seq = self
                .inner
                .append(&mut writer, &[Change::tombstone(key)], |_, _| {})?;
            self.inner.state_after_append(&writer).remove(key);
            seq
        };
        self.inner.after_write(seq)?;
        Ok(true)
    }

    /// Whether `key` has a value.
    pub fn contains_key(&self, key: impl AsRef<[u8]>) -> bool {
        self.inner.read_state().contains(key.as_ref())
    }

    /// Number of live keys.
    pub fn len(&self) -> usize {
        self.inner.read_state().index.len()
    }

    /// True when the store holds no keys.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Every key, in byte order.
    pub fn keys(&self) -> Vec<Vec<u8>> {
        self.keys_page(b"", None, usize::MAX)
    }

    /// Keys starting with `prefix`, in byte order.
    pub fn keys_with_prefix(&self, prefix: impl AsRef<[u8]>) -> Vec<Vec<u8>> {
        self.keys_page(prefix.as_ref(), None, usize::MAX)
    }

    /// One page of keys starting with `prefix`: at most `limit` of them, all
    /// greater than `after` when given (pass the last key of the previous page).
    pub fn keys_page(&self, prefix: &[u8], after: Option<&[u8]>, limit: usize) -> Vec<Vec<u8>> {
        self.inner.read_state().keys_page(prefix, after, limit)
    }

    /// Every `(key, value)`, in key order.
    pub fn iter(&self) -> Iter {
        Iter::new(self.clone(), self.keys())
    }

    /// Every `(key, value)` whose key starts with `prefix`, in key order.
    pub fn scan_prefix(&self, prefix: impl AsRef<[u8]>) -> Iter {
        Iter::new(self.clone(), self.keys_with_prefix(prefix))
    }

    /// Where each of `keys` (in increasing order) has its record now,
    /// looked up together.
    pub(crate) fn locate(&self, keys: &[Vec<u8>]) -> Vec<Option<Location>> {
        self.inner.read_state().locate_sorted(keys)
    }

    /// Reads `buf.len()` bytes of segment `id` from `offset`, as they are.
    pub(crate) fn read_raw(
        &self,
        id: SegmentId,
        offset: u64,
        buf: &mut [u8],
    ) -> std::io::Result<()> {
        self.inner.storage.read_at(id, offset, buf)
    }

    /// Makes every write so far durable. Always reaches the storage (even
    /// when every write is already durable), so the active segment's own
    /// bookkeeping — a fresh segment's header — is flushed too.
    pub fn sync(&self) -> Result<()> {
        let target = self.inner.appended.load(Ordering::Acquire);
        self.inner.wait_durable(target, true)
    }

    /// Numbers about the store right now.
    pub fn stats(&self) -> Stats {
        let (next_seq, active) = {
            let writer = self.inner.lock_writer();
            (writer.next_seq, writer.active)
        };
        let state = self.inner.read_state();
        let total_bytes = state.total_bytes();
        let live_bytes = state.live_bytes();
        Stats {
            keys: state.index.len(),
            segments: state.segments.len(),
            total_bytes,
            live_bytes,
            dead_bytes: total_bytes.saturating_sub(live_bytes),
            corrupt_ranges: state.corrupt.len(),
            corrupt_bytes: state.corrupt.iter().map(|r| r.len).sum(),
            next_seq,
            active_segment: active,
        }
    }

    /// What `open` found and repaired.
    pub fn recovery_report(&self) -> RecoveryReport {
        self.inner.recovery.clone()
    }

    /// The options the store was opened with.
    pub fn options(&self) -> &Options {
        &self.inner.options
    }

    /// What [`compact`](Self::compact) would do now, without doing it.
    pub fn compaction_plan(&self) -> CompactionPlan {
        compaction::plan(
            &self.layout_snapshot(),
            self.inner.options.get_max_segment_size(),
        )
    }

    fn layout_snapshot(&self) -> LayoutSnapshot {
        let active = self.inner.lock_writer().active;
        self.inner.read_state().snapshot(Some(active), |_| true)
    }

    /// Rewrites the live records of every segment (the active one included)
    /// into new segments and removes the old ones. Reads and writes go on
    /// meanwhile. Safe to crash at any point: see the `compaction` module.
    pub fn compact(&self) -> Result<CompactionReport> {
        let inner = &self.inner;
        let _one_at_a_time = inner.compaction.lock().unwrap_or_else(|p| p.into_inner());
        inner.check_poisoned()?;
        let before = self.stats();

        // 1. Freeze the inputs: everything up to now, then a fresh active segment.
        let (mut inputs, next_seq_at_start) = {
            let mut writer = inner.lock_writer();
            inner.rotate(&mut writer)?;
            let active = writer.active;
            let inputs: Vec<SegmentId> = inner
                .read_state()
                .segments
                .keys()
                .copied()
                .filter(|id| *id != active)
                .collect();
            let leftovers: Vec<SegmentId> = writer.leftovers.iter().copied().collect();
            (
                inputs.into_iter().chain(leftovers).collect::<Vec<_>>(),
                writer.next_seq,
            )
        };
        inputs.sort_unstable();
        inputs.dedup();
        let snapshot = {
            let inputs: BTreeSet<SegmentId> = inputs.iter().copied().collect();
            inner.read_state().snapshot(None, |id| inputs.contains(&id))
        };
        let plan = compaction::plan(&snapshot, inner.options.get_max_segment_size());

        // 2 + 3. Copy, seal, commit. On failure, discard the outputs: the
        // inputs are untouched, so nothing is lost.
        let mut outputs = Vec::new();
        let copied = inner.write_outputs(&plan, &inputs, next_seq_at_start, &mut outputs);
        let moved = match copied {
            Ok(moved) => moved,
            Err(e) => {
                for id in &outputs {
                    if let Err(remove_error) = inner.storage.remove(*id) {
                        warn!(segment = %id, error = %remove_error, "could not remove a discarded compaction output");
                    }
                }
                return Err(e);
            }
        };

        // 4. Publish: repoint, swap the segment sets, then remove the inputs.
        {
            let mut state = inner.write_state();
            for (id, len, meta_bytes) in &moved.output_lens {
                state.segments.insert(
                    *id,
                    SegmentInfo {
                        kind: SegmentKind::Compacted,
                        len: *len,
                        live_bytes: 0,
                        meta_bytes: *meta_bytes,
                        sealed: true,
                    },
                );
            }
            for (survivor, to) in plan.survivors.iter().zip(&moved.to) {
                state.repoint(&survivor.key, survivor.from, *to);
            }
            for id in &inputs {
                state.segments.remove(id);
            }
            state
                .corrupt
                .retain(|range| !inputs.contains(&range.segment));
        }
        inner.remove_segments(&inputs);
        for id in &outputs {
            inner.write_hint_for(*id);
        }

        let after = self.stats();
        Ok(CompactionReport {
            segments_before: before.segments,
            segments_after: after.segments,
            bytes_before: before.total_bytes,
            bytes_after: after.total_bytes,
            records_copied: moved.to.len() as u64,
            inputs,
            outputs,
        })
    }

    /// Reads every record of every segment and reports the ranges that hold
    /// no valid record. Changes nothing.
    pub fn verify(&self) -> Result<VerifyReport> {
        let mut report = VerifyReport::default();
        for (id, len) in self.segment_lengths() {
            let Some(bytes) = self.inner.read_segment(id, len)? else {
                continue; // removed by a concurrent compaction
            };
            let scan = scan_segment(&bytes, |_, _| {});
            report.segments_checked += 1;
            report.records_checked += scan.records;
            report.bytes_checked += len;
            let ranges = scan
                .corrupt
                .iter()
                .copied()
                .chain(scan.torn_tail.map(|offset| (offset, len - offset)));
            report
                .corrupt
                .extend(ranges.map(|(offset, len)| CorruptRange {
                    segment: id,
                    offset,
                    len,
                }));
        }
        Ok(report)
    }

    /// Every segment and record with its state (live, overwritten,
    /// tombstone): the picture the CLI's `inspect`, the server's `/segments`
    /// and the playground draw.
    pub fn layout(&self) -> Result<Layout> {
        let active = self.inner.lock_writer().active;
        let mut segments = Vec::new();
        for (id, len) in self.segment_lengths() {
            let Some(bytes) = self.inner.read_segment(id, len)? else {
                continue;
            };
            let kind = format::decode_segment_header(&bytes[..bytes.len().min(16)]).ok();
            let mut records = Vec::new();
            let scan = {
                let state = self.inner.read_state();
                scan_segment(&bytes, |offset, record| {
                    let indexed = record.kind == RecordKind::Put
                        && state.index.get(record.key).is_some_and(|location| {
                            location.segment == id && location.offset == offset
                        });
                    records.push(RecordLayout::new(offset, record, indexed));
                })
            };
            segments.push(SegmentLayout {
                id,
                kind: kind.unwrap_or(SegmentKind::Log),
                len,
                active: id == active,
                sealed: scan.sealed,
                records,
                corrupt: scan
                    .corrupt
                    .iter()
                    .map(|&(offset, len)| CorruptRange {
                        segment: id,
                        offset,
                        len,
                    })
                    .collect(),
            });
        }
        Ok(Layout {
            segments,
            plan: self.compaction_plan(),
        })
    }

    fn segment_lengths(&self) -> Vec<(SegmentId, u64)> {
        // The writer lock makes the active segment's length a record boundary.
        let _writer = self.inner.lock_writer();
        let state = self.inner.read_state();
        state
            .segments
            .iter()
            .map(|(id, info)| (*id, info.len))
            .collect()
    }
}

/// What a compaction copied: where each of the plan's survivors went (in the
/// plan's order), and each output's total and bookkeeping (header, commit,
/// seal) lengths.
struct Moved {
    to: Vec<Location>,
    output_lens: Vec<(SegmentId, u64, u64)>,
}

/// Bytes buffered before an append during compaction.
const COPY_CHUNK: usize = 1 << 20;

/// The most syncs a group-commit leader runs in a row (see
/// [`Inner::wait_durable`]).
const LEADER_ROUNDS: usize = 8;

impl Inner {
    fn lock_writer(&self) -> MutexGuard<'_, Writer> {
        // A panic while writing leaves at worst an unfinished record on
        // storage, which recovery handles; the struct itself stays coherent.
        self.writer.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn read_state(&self) -> RwLockReadGuard<'_, State> {
        self.state.read().unwrap_or_else(|p| p.into_inner())
    }

    fn write_state(&self) -> RwLockWriteGuard<'_, State> {
        self.state.write().unwrap_or_else(|p| p.into_inner())
    }

    fn lock_durability(&self) -> MutexGuard<'_, Durability> {
        self.durability.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn check_poisoned(&self) -> Result<()> {
        if self.poisoned.load(Ordering::Acquire) {
            Err(Error::Poisoned)
        } else {
            Ok(())
        }
    }

    fn poison(&self) {
        self.poisoned.store(true, Ordering::Release);
        self.lock_durability().wake_all();
        self.durability_changed.notify_all();
    }

    /// Appends `changes` as one write: a single plain record, or a batch
    /// whose records are flagged first / middle / last. Rotates first if they
    /// would overflow the active segment, so a batch never spans segments.
    /// Tells `placed` where each record went, in order, once the write
    /// succeeded, and returns the last record's seq.
    fn append(
        &self,
        writer: &mut Writer,
        changes: &[Change<'_>],
        mut placed: impl FnMut(usize, Location),
    ) -> Result<u64> {
        self.check_poisoned()?;
        let total: u64 = changes.iter().map(Change::record_len).sum();
        if writer.active_len > SEGMENT_HEADER_LEN
            && writer.active_len + total > self.options.get_max_segment_size()
        {
            self.rotate(writer)?;
        }
        let first_seq = writer.next_seq;
        let mut scratch = std::mem::take(&mut writer.scratch);
        scratch.clear();
        for (i, change) in changes.iter().enumerate() {
            let part = match i {
                _ if changes.len() == 1 => None,
                0 => Some(BatchPart::First),
                i if i + 1 == changes.len() => Some(BatchPart::Last),
                _ => Some(BatchPart::Middle),
            };
            let seq = first_seq + i as u64;
            format::encode_batch_record(
                &mut scratch,
                change.kind,
                part,
                seq,
                change.key,
                change.value,
            );
        }
        let result = self.append_raw(writer, &scratch);
        // Keep a small buffer around, but do not pin a 64 MiB one.
        if scratch.capacity() <= 1 << 20 {
            writer.scratch = scratch;
        }
        let mut offset = result?;
        for (i, change) in changes.iter().enumerate() {
            let len = change.record_len();
            placed(
                i,
                Location {
                    offset,
                    segment: writer.active,
                    len: len as u32,
                },
            );
            offset += len;
        }
        let last_seq = first_seq + changes.len() as u64 - 1;
        writer.next_seq = last_seq + 1;
        self.appended.store(last_seq, Ordering::Release);
        Ok(last_seq)
    }

    /// The state, locked for writing, with the active segment's length
    /// brought up to date after an append.
    fn state_after_append(&self, writer: &Writer) -> RwLockWriteGuard<'_, State> {
        let mut state = self.write_state();
        if let Some(info) = state.segments.get_mut(&writer.active) {
            info.len = writer.active_len;
        }
        state
    }

    /// Appends bytes to the active segment. If the append fails, cuts the
    /// segment back so no partial record is left before the next one; if
    /// even that fails, poisons the store.
    fn append_raw(&self, writer: &mut Writer, bytes: &[u8]) -> Result<u64> {
        let id = writer.active;
        match self.storage.append(id, bytes) {
            Ok(offset) => {
                writer.active_len = offset + bytes.len() as u64;
                Ok(offset)
            }
            Err(e) => {
                if let Err(undo) = self.storage.truncate(id, writer.active_len) {
                    warn!(segment = %id, error = %undo, "could not undo a failed append; refusing further writes");
                    self.poison();
                }
                Err(Error::io(format!("append to segment {id}"), e))
            }
        }
    }

    /// Seals the active segment (seal record + sync) and starts a new one.
    fn rotate(&self, writer: &mut Writer) -> Result<()> {
        self.check_poisoned()?;
        let old = writer.active;
        let mut seal = Vec::with_capacity(SEAL_LEN as usize);
        encode_record(
            &mut seal,
            RecordKind::Seal,
            0,
            b"",
            &writer.next_seq.to_le_bytes(),
        );
        self.append_raw(writer, &seal)?;
        if let Err(e) = self.storage.sync(old) {
            self.poison();
            return Err(Error::io(format!("sync segment {old} while sealing it"), e));
        }
        {
            // Everything written so far is in this segment or an older, already
            // sealed one: all of it is durable now.
            let covered = self
                .lock_durability()
                .advance(self.appended.load(Ordering::Acquire), &self.synced);
            covered.iter().for_each(std::thread::Thread::unpark);
        }
        // Give back the space the segment did not fill. Not synced, and a
        // failure changes nothing: recovery knows zeros after a seal for
        // unused space.
        if let Err(e) = self.storage.truncate(old, writer.active_len) {
            debug!(segment = %old, error = %e, "could not give back preallocated space");
        }
        let new = writer.next_segment;
        create_segment(self.storage.as_ref(), new, SegmentKind::Log)?;
        preallocate(
            self.storage.as_ref(),
            new,
            self.options.get_max_segment_size(),
        );
        writer.next_segment = new.next();
        writer.active = new;
        self.active.store(new.0, Ordering::Release);
        writer.active_len = SEGMENT_HEADER_LEN;
        let mut state = self.write_state();
        if let Some(info) = state.segments.get_mut(&old) {
            info.len += SEAL_LEN;
            info.meta_bytes += SEAL_LEN;
            info.sealed = true;
        }
        state.segments.insert(new, fresh_segment(SegmentKind::Log));
        drop(state);
        self.queue_hint(old);
        Ok(())
    }

    /// Asks the background hint writer for `id`'s hint. Without one (no
    /// threads), hints come from compaction and from the next `open`.
    fn queue_hint(&self, id: SegmentId) {
        let queue = self.hint_queue.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(sender) = queue.as_ref() {
            let _ = sender.send(id);
        }
    }

    /// Writes the hint file of sealed segment `id`, read back from storage. A
    /// hint is a cache: failing to write one is not an error.
    fn write_hint_for(&self, id: SegmentId) {
        let len = match self.read_state().segments.get(&id) {
            Some(info) if info.sealed => info.len,
            _ => return,
        };
        if let Ok(Some(bytes)) = self.read_segment(id, len)
            && let Some(hint) = hint::build(&bytes)
            && let Err(e) = self.storage.write_hint(id, &hint)
            && e.kind() != std::io::ErrorKind::Unsupported
        {
            debug!(segment = %id, error = %e, "could not write a hint file");
        }
    }

    /// Applies the sync policy after a write with sequence number `seq`.
    fn after_write(&self, seq: u64) -> Result<()> {
        match self.options.get_sync_policy() {
            SyncPolicy::Always => self.wait_durable(seq, false),
            SyncPolicy::EveryMillis(_) | SyncPolicy::Never => Ok(()),
        }
    }

    /// Returns once every record up to `seq` is durable. Group commit: one
    /// thread (the leader) syncs for everyone waiting; the others sleep until
    /// it is done. With `force`, this thread syncs the storage itself even if
    /// nothing is pending.
    ///
    /// A leader whose own record is durable keeps syncing, for up to
    /// [`LEADER_ROUNDS`] syncs, while writers appended meanwhile: the next
    /// sync starts the moment the last one ends. Handing over instead would
    /// leave the disk idle until a woken writer is scheduled — on a busy
    /// machine, a good part of a sync's time. The cap bounds how long one
    /// writer serves the others.
    fn wait_durable(&self, seq: u64, force: bool) -> Result<()> {
        loop {
            self.check_poisoned()?;
            if !force && self.synced.load(Ordering::Acquire) >= seq {
                return Ok(());
            }
            let mut durability = self.lock_durability();
            // Looked at again under the lock: a leader may have finished
            // since, and would not wake a writer not yet registered.
            if !force && self.synced.load(Ordering::Acquire) >= seq {
                return Ok(());
            }
            if durability.syncing {
                durability.waiters.push((seq, std::thread::current()));
                drop(durability);
                // Woken when a sync covers `seq`, when the leader stops, or
                // on poisoning; a spurious wake-up just looks again.
                std::thread::park();
                continue;
            }
            durability.syncing = true;
            drop(durability);
            let result = self.lead_syncs();
            let mut durability = self.lock_durability();
            durability.syncing = false;
            durability.wake_all();
            drop(durability);
            self.durability_changed.notify_all();
            result?;
            if force {
                return Ok(());
            }
        }
    }

    /// The group-commit leader's work: syncs, then syncs again while other
    /// writers appended meanwhile, up to [`LEADER_ROUNDS`] in all.
    fn lead_syncs(&self) -> Result<()> {
        for round in 0..LEADER_ROUNDS {
            // The target first: if the active segment read after it is a
            // newer one, rotation sealed and synced the target's segment
            // before publishing it, so syncing the newer one is still enough.
            let target = self.appended.load(Ordering::Acquire);
            let segment = SegmentId(self.active.load(Ordering::Acquire));
            if round > 0 && target <= self.synced.load(Ordering::Acquire) {
                break; // nobody is waiting
            }
            if let Err(e) = self.storage.sync(segment) {
                self.poison();
                return Err(Error::io(format!("sync segment {segment}"), e));
            }
            let covered = self.lock_durability().advance(target, &self.synced);
            covered.iter().for_each(std::thread::Thread::unpark);
        }
        Ok(())
    }

    /// Reads the record at `location` and returns its seq and value after
    /// checking that it is the record the index expects.
    fn read_record(&self, key: &[u8], location: Location) -> Result<(u64, Vec<u8>)> {
        let mut buf = vec![0u8; location.len as usize];
        self.storage
            .read_at(location.segment, location.offset, &mut buf)
            .map_err(|e| {
                if e.kind() == std::io::ErrorKind::UnexpectedEof {
                    corrupt_at(location, "the segment is shorter than the index expects")
                } else {
                    Error::io(
                        format!("read segment {} at {}", location.segment, location.offset),
                        e,
                    )
                }
            })?;
        let (seq, value) = check_record(key, location, &buf)?;
        buf.truncate(value.end);
        buf.drain(..value.start);
        Ok((seq, buf))
    }

    /// A whole segment's bytes up to `len`, or `None` if it no longer exists.
    fn read_segment(&self, id: SegmentId, len: u64) -> Result<Option<Vec<u8>>> {
        let len = usize::try_from(len).map_err(|_| Error::Corruption {
            segment: id,
            offset: 0,
            detail: "segment too large for this platform".into(),
        })?;
        let mut bytes = vec![0u8; len];
        match self.storage.read_at(id, 0, &mut bytes) {
            Ok(()) => Ok(Some(bytes)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(Error::io(format!("read segment {id}"), e)),
        }
    }

    /// Copies the plan's survivors into new compacted segments, then makes
    /// them durable and commits. Output ids are pushed to `outputs` as they
    /// are created, so the caller can discard them on failure.
    fn write_outputs(
        &self,
        plan: &CompactionPlan,
        inputs: &[SegmentId],
        next_seq: u64,
        outputs: &mut Vec<SegmentId>,
    ) -> Result<Moved> {
        let mut packer = OutputPacker::new(self.options.get_max_segment_size());
        let mut moved = Moved {
            to: Vec::with_capacity(plan.survivors.len()),
            output_lens: Vec::new(),
        };
        let mut pending: Vec<u8> = Vec::new();
        let mut current: Option<(SegmentId, u64)> = None;
        let mut loaded: Option<(SegmentId, Vec<u8>)> = None;

        for survivor in &plan.survivors {
            let from = survivor.from;
            if loaded.as_ref().map(|(id, _)| *id) != Some(from.segment) {
                let len = self
                    .read_state()
                    .segments
                    .get(&from.segment)
                    .map_or(0, |s| s.len);
                let bytes = self.read_segment(from.segment, len)?.unwrap_or_default();
                loaded = Some((from.segment, bytes));
            }
            let bytes = loaded
                .as_ref()
                .map(|(_, b)| b.as_slice())
                .unwrap_or_default();
            let record_bytes = usize::try_from(from.offset)
                .ok()
                .and_then(|start| bytes.get(start..start + from.len as usize))
                .ok_or_else(|| Error::Corruption {
                    segment: from.segment,
                    offset: from.offset,
                    detail: "record lies beyond the end of its segment".into(),
                })?;
            match format::decode_record(record_bytes) {
                Ok(r) if r.key == survivor.key.as_slice() && r.kind == RecordKind::Put => {}
                _ => {
                    return Err(Error::Corruption {
                        segment: from.segment,
                        offset: from.offset,
                        detail: "a live record failed its check during compaction".into(),
                    });
                }
            }

            let placement = packer.place(u64::from(from.len));
            if placement.new_segment {
                if let Some((id, len)) = current.take() {
                    self.flush_output(id, &mut pending)?;
                    let len = self.seal_output(id, len, next_seq)?;
                    moved
                        .output_lens
                        .push((id, len, SEGMENT_HEADER_LEN + SEAL_LEN));
                }
                let id = self.new_output(outputs)?;
                current = Some((id, SEGMENT_HEADER_LEN));
            }
            let Some((id, len)) = current.as_mut() else {
                unreachable!("a placement always has an output segment");
            };
            debug_assert_eq!(*len, placement.offset);
            let copied = pending.len();
            pending.extend_from_slice(record_bytes);
            // Its batch is committed; alone in the output it must not wait
            // for the rest of it.
            format::clear_batch_flags(&mut pending[copied..]);
            moved.to.push(Location {
                offset: placement.offset,
                segment: *id,
                len: from.len,
            });
            *len += u64::from(from.len);
            if pending.len() >= COPY_CHUNK {
                self.flush_output(*id, &mut pending)?;
            }
        }

        // The last output (made now if nothing survived) carries the commit.
        let (id, len) = match current {
            Some(current) => current,
            None => (self.new_output(outputs)?, SEGMENT_HEADER_LEN),
        };
        self.flush_output(id, &mut pending)?;
        // Records first, durably; only then the commit that makes the inputs
        // obsolete. A crash can persist a later write without an earlier one,
        // so one sync for both would not do.
        self.sync_output(id)?;
        let commit = CommitPayload {
            next_seq,
            inputs: inputs.to_vec(),
        };
        encode_record(
            &mut pending,
            RecordKind::CompactionCommit,
            0,
            b"",
            &commit.encode(),
        );
        let commit_len = pending.len() as u64;
        self.flush_output(id, &mut pending)?;
        let len = self.seal_output(id, len + commit_len, next_seq)?;
        moved
            .output_lens
            .push((id, len, SEGMENT_HEADER_LEN + commit_len + SEAL_LEN));
        Ok(moved)
    }

    fn new_output(&self, outputs: &mut Vec<SegmentId>) -> Result<SegmentId> {
        let id = {
            let mut writer = self.lock_writer();
            let id = writer.next_segment;
            writer.next_segment = id.next();
            id
        };
        create_segment(self.storage.as_ref(), id, SegmentKind::Compacted)?;
        outputs.push(id);
        Ok(id)
    }

    fn flush_output(&self, id: SegmentId, pending: &mut Vec<u8>) -> Result<()> {
        if !pending.is_empty() {
            self.storage
                .append(id, pending)
                .map_err(|e| Error::io(format!("append to compaction output {id}"), e))?;
            pending.clear();
        }
        Ok(())
    }

    fn sync_output(&self, id: SegmentId) -> Result<()> {
        self.storage
            .sync(id)
            .map_err(|e| Error::io(format!("sync compaction output {id}"), e))
    }

    /// Appends the seal and syncs; returns the output's final length.
    fn seal_output(&self, id: SegmentId, len: u64, next_seq: u64) -> Result<u64> {
        let mut seal = Vec::with_capacity(SEAL_LEN as usize);
        encode_record(&mut seal, RecordKind::Seal, 0, b"", &next_seq.to_le_bytes());
        self.flush_output(id, &mut seal)?;
        self.sync_output(id)?;
        Ok(len + SEAL_LEN)
    }

    /// Removes obsolete segments. A failure is not fatal — the commit already
    /// makes them obsolete, and recovery removes what is left — but they are
    /// remembered so the next compaction names them again.
    fn remove_segments(&self, ids: &[SegmentId]) {
        // A group-commit leader may be about to sync a segment it read as
        // active just before the rotation; wait for it so it never syncs a
        // removed segment.
        let mut durability = self.lock_durability();
        while durability.syncing {
            durability = self
                .durability_changed
                .wait(durability)
                .unwrap_or_else(|p| p.into_inner());
        }
        let mut failed = Vec::new();
        for id in ids {
            match self.storage.remove(*id) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => {
                    warn!(segment = %id, error = %e, "could not remove a compacted segment; it will be removed later");
                    failed.push(*id);
                }
            }
        }
        drop(durability);
        let mut writer = self.lock_writer();
        for id in ids {
            writer.leftovers.remove(id);
        }
        writer.leftovers.extend(failed);
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        if self.poisoned.load(Ordering::Acquire) {
            return;
        }
        let target = self.appended.load(Ordering::Acquire);
        if let Err(e) = self.wait_durable(target, true) {
            warn!(error = %e, "could not sync the store while closing it");
        }
    }
}

/// Checks that `bytes`, read at `location`, are the put record of `key` the
/// index expects there; returns its seq and where in `bytes` its value is.
pub(crate) fn check_record(
    key: &[u8],
    location: Location,
    bytes: &[u8],
) -> Result<(u64, std::ops::Range<usize>)> {
    let record = format::decode_record(bytes).map_err(|e| match e {
        format::RecordError::Incomplete => corrupt_at(location, "record is cut short"),
        format::RecordError::Invalid(why) => corrupt_at(location, why),
    })?;
    if record.kind != RecordKind::Put || record.key != key || record.len != bytes.len() {
        return Err(corrupt_at(
            location,
            "the record there is not the one the index points at",
        ));
    }
    Ok((record.seq, bytes.len() - record.value.len()..bytes.len()))
}

fn corrupt_at(location: Location, detail: &str) -> Error {
    Error::Corruption {
        segment: location.segment,
        offset: location.offset,
        detail: detail.to_string(),
    }
}

fn check_key(key: &[u8]) -> Result<()> {
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

fn fresh_segment(kind: SegmentKind) -> SegmentInfo {
    SegmentInfo {
        kind,
        len: SEGMENT_HEADER_LEN,
        live_bytes: 0,
        meta_bytes: SEGMENT_HEADER_LEN,
        sealed: false,
    }
}

/// Creates a segment and writes its header. Not synced: until its first sync
/// a crash may leave it empty or with part of the header, which recovery
/// recognises and removes.
fn create_segment(storage: &dyn Storage, id: SegmentId, kind: SegmentKind) -> Result<()> {
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
fn preallocate(storage: &dyn Storage, id: SegmentId, max_segment_size: u64) {
    if let Err(e) = storage.preallocate(id, max_segment_size) {
        debug!(segment = %id, error = %e, "could not preallocate the active segment");
    }
}

/// Starts the thread that writes hint files for segments sealed by rotation,
/// off the writers' path. It holds only a weak reference, and ends when the
/// queue is closed (see [`Background`]).
#[cfg(not(target_arch = "wasm32"))]
fn background_hints(inner: &Arc<Inner>) -> Option<std::thread::JoinHandle<()>> {
    let (sender, receiver) = std::sync::mpsc::channel::<SegmentId>();
    let store = Arc::downgrade(inner);
    let spawned = std::thread::Builder::new()
        .name("kvstore-hints".into())
        .spawn(move || {
            for id in receiver {
                let Some(inner) = store.upgrade() else { break };
                inner.write_hint_for(id);
            }
        });
    match spawned {
        Ok(thread) => {
            *inner.hint_queue.lock().unwrap_or_else(|p| p.into_inner()) = Some(sender);
            Some(thread)
        }
        Err(e) => {
            warn!(error = %e, "could not start the hint writer; hints come from compaction and reopening");
            None
        }
    }
}

/// Syncs every `period` ms until `stopped` is closed. Holds only a weak
/// reference between syncs.
#[cfg(not(target_arch = "wasm32"))]
fn background_sync(
    store: std::sync::Weak<Inner>,
    stopped: std::sync::mpsc::Receiver<()>,
    period: u64,
) -> Option<std::thread::JoinHandle<()>> {
    let spawned = std::thread::Builder::new()
        .name("kvstore-sync".into())
        .spawn(move || {
            let period = std::time::Duration::from_millis(period);
            while let Err(std::sync::mpsc::RecvTimeoutError::Timeout) = stopped.recv_timeout(period)
            {
                let Some(inner) = store.upgrade() else { break };
                if inner.poisoned.load(Ordering::Acquire) {
                    break;
                }
                let target = inner.appended.load(Ordering::Acquire);
                if let Err(e) = inner.wait_durable(target, false) {
                    warn!(error = %e, "background sync failed; the store refuses further writes");
                }
            }
        });
    match spawned {
        Ok(thread) => Some(thread),
        Err(e) => {
            warn!(error = %e, "could not start the background sync thread; writes are synced on sync() and close only");
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::MemStorage;

    type TestResult = std::result::Result<(), Box<dyn std::error::Error>>;

    fn small() -> Options {
        Options::default()
            .max_segment_size(256)
            .sync_policy(SyncPolicy::Never)
    }

    fn snapshot(storage: &MemStorage) -> Vec<(SegmentId, Vec<u8>)> {
        storage
            .list()
            .unwrap_or_default()
            .into_iter()
            .filter_map(|id| storage.segment_bytes(id).map(|b| (id, b)))
            .collect()
    }

    /// A store where `gone` was deleted after being written several times,
    /// and `kept` holds its last value; returns the storage after closing.
    fn store_with_a_deleted_key() -> std::result::Result<MemStorage, Error> {
        let storage = MemStorage::new();
        let store = KvStore::open_with(storage.clone(), small())?;
        for i in 0..20 {
            store.set("gone", format!("old value {i}"))?;
            store.set("kept", format!("value {i}"))?;
        }
        store.delete("gone")?;
        Ok(storage)
    }

    #[test]
    fn a_crash_before_the_inputs_are_removed_never_resurrects_a_key() -> TestResult {
        let storage = store_with_a_deleted_key()?;
        let before = snapshot(&storage);
        {
            let store = KvStore::open_with(storage.clone(), small())?;
            let report = store.compact()?;
            assert!(!report.inputs.is_empty());
        }
        // Put every input back, as if the crash came right after the commit
        // was durable and before any input was removed.
        for (id, bytes) in &before {
            storage.put_segment_bytes(*id, bytes.clone());
        }
        let store = KvStore::open_with(storage.clone(), small())?;
        assert_eq!(store.get("gone")?, None);
        assert_eq!(store.get("kept")?, Some(b"value 19".to_vec()));
        let report = store.recovery_report();
        assert_eq!(report.removed_segments.len(), before.len());
        for (id, _) in &before {
            assert!(
                storage.segment_bytes(*id).is_none(),
                "segment {id} should be gone"
            );
        }
        Ok(())
    }

    #[test]
    fn a_crash_before_the_commit_keeps_the_inputs_and_loses_nothing() -> TestResult {
        let storage = store_with_a_deleted_key()?;
        let before = snapshot(&storage);
        let outputs = {
            let store = KvStore::open_with(storage.clone(), small())?;
            store.compact()?.outputs
        };
        // Cut the commit and seal off the last output and restore the inputs:
        // the compaction never committed.
        let last = *outputs.last().ok_or("no outputs")?;
        let mut bytes = storage.segment_bytes(last).ok_or("output missing")?;
        let commit_at =
            crate::layout::tests_support::offset_of_kind(&bytes, RecordKind::CompactionCommit)
                .ok_or("no commit record")?;
        bytes.truncate(commit_at as usize + 7); // and tear the commit itself
        storage.put_segment_bytes(last, bytes);
        for (id, bytes) in &before {
            storage.put_segment_bytes(*id, bytes.clone());
        }
        let store = KvStore::open_with(storage.clone(), small())?;
        assert_eq!(store.get("gone")?, None);
        assert_eq!(store.get("kept")?, Some(b"value 19".to_vec()));
        assert!(store.recovery_report().removed_segments.is_empty());
        assert!(store.verify()?.is_clean());
        // A later compaction cleans up the duplicates.
        store.compact()?;
        assert_eq!(store.keys(), vec![b"kept".to_vec()]);
        Ok(())
    }

    #[test]
    fn writes_during_compaction_win_over_the_copies() -> TestResult {
        let storage = MemStorage::new();
        let store = KvStore::open_with(storage.clone(), small())?;
        for i in 0..200 {
            store.set(format!("k{}", i % 20), format!("v{i}"))?;
        }
        let writer = {
            let store = store.clone();
            std::thread::spawn(move || -> Result<()> {
                for i in 0..500 {
                    store.set(format!("k{}", i % 20), format!("late{i}"))?;
                    if i % 7 == 0 {
                        store.delete(format!("k{}", (i + 3) % 20))?;
                    }
                }
                Ok(())
            })
        };
        for _ in 0..5 {
            store.compact()?;
        }
        writer.join().map_err(|_| "writer panicked")??;
        let expected: Vec<(Vec<u8>, Vec<u8>)> = store.iter().collect::<Result<_>>()?;
        store.compact()?;
        drop(store);
        let store = KvStore::open_with(storage, small())?;
        let reopened: Vec<(Vec<u8>, Vec<u8>)> = store.iter().collect::<Result<_>>()?;
        assert_eq!(expected, reopened);
        assert!(reopened.iter().all(|(_, v)| v.starts_with(b"late")));
        Ok(())
    }

    #[test]
    fn group_commit_acknowledges_every_writer() -> TestResult {
        let dir = tempfile::tempdir()?;
        let store = KvStore::open(dir.path())?;
        let threads: Vec<_> = (0..8)
            .map(|t| {
                let store = store.clone();
                std::thread::spawn(move || -> Result<()> {
                    for i in 0..50 {
                        store.set(format!("t{t}-{i}"), [t as u8; 10])?;
                    }
                    Ok(())
                })
            })
            .collect();
        for thread in threads {
            thread.join().map_err(|_| "writer panicked")??;
        }
        let durable = store.inner.synced.load(Ordering::Acquire);
        assert_eq!(durable, store.inner.appended.load(Ordering::Acquire));
        assert_eq!(store.len(), 400);
        Ok(())
    }

    #[test]
    fn the_sequence_never_goes_back_after_compaction_drops_records() -> TestResult {
        let storage = MemStorage::new();
        let seq = {
            let store = KvStore::open_with(storage.clone(), small())?;
            store.set("a", "1")?;
            let outcome = store.set_versioned("b", "2")?;
            store.delete("b")?;
            store.delete("a")?;
            store.compact()?;
            outcome.seq
        };
        let store = KvStore::open_with(storage, small())?;
        assert!(store.set_versioned("b", "3")?.seq > seq + 2);
        Ok(())
    }

    #[test]
    fn an_empty_store_compacts_to_almost_nothing() -> TestResult {
        let store = KvStore::open_with(MemStorage::new(), small())?;
        let report = store.compact()?;
        assert_eq!(report.records_copied, 0);
        assert_eq!(report.outputs.len(), 1);
        let again = store.compact()?;
        assert_eq!(again.segments_after, 2, "one output and the active segment");
        Ok(())
    }
}
