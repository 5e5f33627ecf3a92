//! [`KvStore`]: the public handle — opening a store and the calls people
//! make on it. The work behind the calls lives in the modules below; this
//! one decides which locks each call takes, in what order.
//!
//! Locks, always taken in this order when nested:
//! - `compaction` — one compaction at a time;
//! - `writer` — appends, sequence numbers, segment rotation; held while the
//!   index is updated so the index changes in sequence order;
//! - `index` (read/write) — the index and segment accounting; readers hold
//!   it only to look up a location, never during I/O;
//! - the group commit's own lock (see `durability`).
//!
//! | module | what |
//! |---|---|
//! | `shared` | [`Shared`](shared::Shared): the state all handles share |
//! | `write` | the writer: appends, rotation, key and value checks, the seal encoder |
//! | `read` | locating and checking records, for `get` and [`Iter`] |
//! | `durability` | group commit, the poisoned state, and the waits a deferring handle puts off |
//! | `sealed` | who is told when a segment is sealed: the hint writer and the compactor |
//! | `background` | the hint writer and periodic sync threads |
//! | `introspect` | `verify` and `layout`: the store read back as data |
//! | `iter` | [`Iter`]: ordered scans of a key range, from either end |
//! | `backup` | point-in-time copies while writes go on |
//! | `merge` | the mechanism of a merge — full or chosen by the policy — over the pure plans of `compaction` |

mod background;
mod backup;
mod durability;
mod introspect;
mod iter;
mod merge;
pub(crate) mod read;
mod sealed;
pub(crate) mod shared;
pub(crate) mod write;

use std::collections::HashMap;
use std::ops::{Bound, RangeBounds};
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use crate::batch::{BatchOp, WriteBatch};
use crate::compaction::history::CompactionHistory;
use crate::compaction::{self, CompactionPlan, CompactionPolicy, LayoutSnapshot, PolicyPlan};
use crate::error::Result;
use crate::expect::Expect;
use crate::format::{RecordKind, SEGMENT_HEADER_LEN, SegmentKind};
use crate::location::TombstoneAt;
use crate::options::Options;
use crate::recovery::{self, Recovered};
use crate::report::{CompactionReport, RecoveryReport, Stats};
use crate::storage::Storage;

use background::Background;
use durability::{Deferred, GroupCommit};
pub use iter::Iter;
pub use read::Versioned;
use sealed::SealNotices;
use shared::Shared;
use write::{
    Change, Writer, check_key, check_value, create_segment, expiry, fresh_segment, preallocate,
};

/// A handle to an open store. Cheap to clone; clones share the store.
///
/// Every method takes `&self` and the handle is `Send + Sync`, so threads can
/// share one store. When the last clone is dropped, unsynced writes are synced
/// and the directory lock is released.
///
/// A handle either waits after each write for the sync policy (every handle
/// [`open`](Self::open) gives, and its clones) or puts those waits off until
/// asked ([`deferring_durability`](Self::deferring_durability)).
#[derive(Clone)]
pub struct KvStore {
    // Declared first so it is dropped first: the background threads are
    // stopped and joined before the store itself can close.
    _background: Arc<Background>,
    shared: Arc<Shared>,
    /// `Some` for a handle that defers its durability waits: its writes
    /// not yet waited for, shared with its clones.
    deferred: Option<Deferred>,
}

impl std::fmt::Debug for KvStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KvStore")
            .field("options", &self.shared.options)
            .field("keys", &self.len())
            .field("deferring_durability", &self.deferred.is_some())
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
            mut index,
            next_seq,
            active,
            mut next_segment,
            report,
        } = recovery::recover(storage.as_ref())?;

        let (active, active_len) = match active {
            Some(id) => (id, index.segments[&id].len),
            None => {
                let id = next_segment;
                next_segment = id.next();
                create_segment(storage.as_ref(), id, SegmentKind::Log)?;
                index.segments.insert(id, fresh_segment(SegmentKind::Log));
                (id, SEGMENT_HEADER_LEN)
            }
        };
        preallocate(storage.as_ref(), active, options.get_max_segment_size());

        let shared = Arc::new(Shared {
            storage,
            policy: options.get_compaction_policy(),
            options,
            compaction: Mutex::new(()),
            writer: Mutex::new(Writer::new(active, active_len, next_seq, next_segment)),
            index: RwLock::new(index),
            commit: GroupCommit::new(next_seq - 1, active),
            recovery: report,
            sealed: SealNotices::default(),
            history: CompactionHistory::default(),
            stop_merges: AtomicBool::new(false),
        });
        Ok(KvStore {
            _background: Arc::new(Background::start(&shared)),
            shared,
            deferred: None,
        })
    }

    /// A handle to the same store whose writes do not wait to be durable.
    /// Each write through it returns once it is applied — visible to every
    /// reader, as an ordinary write is just before its wait — and, under
    /// [`SyncPolicy::Always`](crate::SyncPolicy::Always), records its
    /// sequence number instead of waiting for its fsync;
    /// [`wait_durable`](Self::wait_durable) later waits for all of them at
    /// once, so one fsync can cover many writes (the Redis-protocol server
    /// answers a pipeline of requests this way). Every write method defers:
    /// the `set`s, `delete`s, [`apply`](Self::apply),
    /// [`expire`](Self::expire) and [`persist`](Self::persist).
    ///
    /// The contract: **a write through a deferring handle is not
    /// acknowledged when it returns `Ok`**, only once a later `wait_durable`
    /// on this handle (or a clone of it) returns `Ok`; from then on it
    /// survives a crash as a write through an ordinary handle that returned
    /// `Ok` does. Until then a crash may lose any of them. If `wait_durable`
    /// returns `Err`, none of the writes since the last `Ok` wait may be
    /// assumed durable (each write batch among them still survives whole or
    /// not at all), and the store is poisoned: it refuses further writes.
    ///
    /// Clones of the returned handle share its pending writes, and a wait on
    /// any of them waits for all of them. Calling this on a deferring handle
    /// gives a new one whose pending writes are its own. Everything else —
    /// reads, scans, [`sync`](Self::sync) (which makes pending writes
    /// durable too), compaction — works as on any handle. Under
    /// `SyncPolicy::EveryMillis` and `Never` no write waits anyway, so a
    /// deferring handle behaves as an ordinary one and `wait_durable`
    /// returns at once.
    ///
    /// ```
    /// # use mini_kvstore::{KvStore, MemStorage, Options};
    /// # fn main() -> Result<(), mini_kvstore::Error> {
    /// # let store = KvStore::open_with(MemStorage::new(), Options::default())?;
    /// let deferring = store.deferring_durability();
    /// deferring.set("a", "1")?;
    /// deferring.set("b", "2")?;
    /// assert_eq!(store.get("a")?, Some(b"1".to_vec())); // visible, maybe not durable
    /// deferring.wait_durable()?; // now both are acknowledged
    /// assert!(!deferring.durability_pending());
    /// # Ok(())
    /// # }
    /// ```
    pub fn deferring_durability(&self) -> KvStore {
        KvStore {
            _background: Arc::clone(&self._background),
            shared: Arc::clone(&self.shared),
            deferred: Some(Deferred::default()),
        }
    }

    /// Returns once every write made through this handle (and its clones)
    /// is durable as the store's sync policy promises: the wait each of them
    /// put off (see [`deferring_durability`](Self::deferring_durability)).
    /// Concurrent waits share fsyncs with each other and with ordinary
    /// writers (group commit). `Ok` at once when nothing is pending, under
    /// `SyncPolicy::EveryMillis` and `Never`, and for an ordinary handle,
    /// whose writes waited already.
    ///
    /// `Err` when the fsync failed or the store was poisoned before it:
    /// then none of the writes since the last `Ok` wait may be assumed
    /// durable.
    pub fn wait_durable(&self) -> Result<()> {
        match &self.deferred {
            Some(deferred) => self.shared.wait_deferred(deferred),
            None => Ok(()),
        }
    }

    /// Whether [`wait_durable`](Self::wait_durable) would have to wait: some
    /// write through this deferring handle is not known durable yet. Always
    /// `false` for an ordinary handle.
    pub fn durability_pending(&self) -> bool {
        self.durability_pending_through().is_some()
    }

    /// The sequence number to wait for to make this deferring handle's
    /// writes durable: `Some(seq)` — the highest seq written through it and
    /// its clones — exactly when [`durability_pending`](Self::durability_pending)
    /// is true. [`wait_durable_through`](Self::wait_durable_through)`(seq)`
    /// then acknowledges them as [`wait_durable`](Self::wait_durable) would,
    /// so one thread can wait for the writes of many handles with one call.
    /// Always `None` for an ordinary handle, and under
    /// `SyncPolicy::EveryMillis` and `Never`, whose writes wait for nothing.
    pub fn durability_pending_through(&self) -> Option<u64> {
        self.deferred
            .as_ref()
            .and_then(|deferred| self.shared.pending_through(deferred))
    }

    /// Returns once every write with a sequence number up to `seq` —
    /// through any handle of this store — is durable; a `seq` beyond the
    /// last write means the last write. Unlike [`sync`](Self::sync) it does
    /// not reach the storage when they are durable already, and under any
    /// sync policy it makes them durable when they are not.
    ///
    /// The contract: when it returns `Ok`, every write through a deferring
    /// handle whose [`durability_pending_through`](Self::durability_pending_through)
    /// was at most `seq` is acknowledged, exactly as after that handle's own
    /// [`wait_durable`](Self::wait_durable). The wait is the group commit's,
    /// shared with every other writer; when this thread does the fsync, it
    /// does one — covering every write appended when it starts — and
    /// returns, rather than sync again for writes that came meanwhile, so a
    /// caller that answers on behalf of others (the Redis-protocol server's
    /// durability waiter) answers them as soon as they are durable. `Err`
    /// as for `wait_durable`: the fsync failed, or the store was poisoned
    /// before it, and none of those writes may be assumed durable; if they
    /// were durable already, `Ok` even on a poisoned store.
    ///
    /// ```
    /// # use mini_kvstore::{KvStore, MemStorage, Options};
    /// # fn main() -> Result<(), mini_kvstore::Error> {
    /// # let store = KvStore::open_with(MemStorage::new(), Options::default())?;
    /// let (a, b) = (store.deferring_durability(), store.deferring_durability());
    /// a.set("a", "1")?;
    /// b.set("b", "2")?;
    /// let through = [a.durability_pending_through(), b.durability_pending_through()];
    /// let highest = through.into_iter().flatten().max().unwrap_or(0);
    /// store.wait_durable_through(highest)?; // one fsync acknowledges both
    /// assert!(!a.durability_pending() && !b.durability_pending());
    /// # Ok(())
    /// # }
    /// ```
    pub fn wait_durable_through(&self, seq: u64) -> Result<()> {
        self.shared.wait_durable_through(seq)
    }

    /// Applies the sync policy after a write: waits, or for a deferring
    /// handle records the write for [`wait_durable`](Self::wait_durable).
    /// Every write method ends here.
    fn after_write(&self, seq: u64) -> Result<()> {
        self.shared.after_write(seq, self.deferred.as_ref())
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
        self.set_if(key, value, Expect::Any)
    }

    /// Stores `value` under `key` only if the key is as `expect` says: absent,
    /// or at a given version (the seq [`get_versioned`](Self::get_versioned)
    /// and [`SetOutcome`] tell). Otherwise nothing is written and the answer
    /// is [`Error::Conflict`](crate::Error::Conflict) with the key's current
    /// version. The check and the write happen under the writer lock, so of
    /// two writers expecting the same version only one succeeds.
    ///
    /// ```
    /// # use mini_kvstore::{Error, Expect, KvStore, MemStorage, Options};
    /// # fn main() -> Result<(), Error> {
    /// # let store = KvStore::open_with(MemStorage::new(), Options::default())?;
    /// let first = store.set_if("k", "a", Expect::Absent)?;
    /// let second = store.set_if("k", "b", Expect::Version(first.seq))?;
    /// let stale = store.set_if("k", "c", Expect::Version(first.seq));
    /// assert!(matches!(stale, Err(Error::Conflict { current: Some(v) }) if v == second.seq));
    /// # Ok(())
    /// # }
    /// ```
    pub fn set_if(
        &self,
        key: impl AsRef<[u8]>,
        value: impl AsRef<[u8]>,
        expect: Expect,
    ) -> Result<SetOutcome> {
        self.put(key.as_ref(), value.as_ref(), expect, None)
    }

    /// Stores `value` under `key` for `ttl`: from then on the key reads as
    /// absent — to `get`, `contains_key`, ranges and counts — and its bytes
    /// count as dead, until a merge drops them. The expiry is an absolute
    /// time (by the store's [`Clock`](crate::Clock)) kept in the record, so
    /// it holds across a reopen.
    pub fn set_with_ttl(
        &self,
        key: impl AsRef<[u8]>,
        value: impl AsRef<[u8]>,
        ttl: Duration,
    ) -> Result<SetOutcome> {
        let expires_at = expiry(self.shared.now(), ttl);
        self.put(key.as_ref(), value.as_ref(), Expect::Any, Some(expires_at))
    }

    /// Gives `key` a new time to live, from now. `Ok(false)` when the key has
    /// no value. The expiry is part of the record, so this writes the value
    /// again with it (one read and one append of the whole value).
    pub fn expire(&self, key: impl AsRef<[u8]>, ttl: Duration) -> Result<bool> {
        let expires_at = expiry(self.shared.now(), ttl);
        self.rewrite(key.as_ref(), Some(expires_at), |_| true)
    }

    /// Takes `key`'s expiry away, so it lives until deleted. `Ok(false)` when
    /// the key has no value or no expiry. Like [`expire`](Self::expire), it
    /// writes the value again.
    pub fn persist(&self, key: impl AsRef<[u8]>) -> Result<bool> {
        self.rewrite(key.as_ref(), None, |expiring| expiring.is_some())
    }

    /// How long `key` has left: `None` when it has no value or no expiry.
    /// Answered from memory, like [`contains_key`](Self::contains_key).
    pub fn ttl(&self, key: impl AsRef<[u8]>) -> Option<Duration> {
        let key = key.as_ref();
        let now = self.shared.now();
        let index = self.shared.read_index();
        if !index.contains(key, now) {
            return None;
        }
        let at = index.expiry.get(key)?.at;
        Some(Duration::from_millis(at.saturating_sub(now)))
    }

    /// Writes `key`'s value again with expiry `expires_at`, if the key has a
    /// value and its current expiry passes `wanted`.
    fn rewrite(
        &self,
        key: &[u8],
        expires_at: Option<u64>,
        wanted: impl FnOnce(Option<crate::expiry::Expiring>) -> bool,
    ) -> Result<bool> {
        check_key(key)?;
        let seq = {
            let log = self.shared.log();
            let mut writer = self.shared.lock_writer();
            let now = self.shared.now();
            {
                let index = self.shared.read_index();
                if !index.contains(key, now) || !wanted(index.expiry.get(key)) {
                    return Ok(false);
                }
            }
            // Under the writer lock the value cannot change before it is
            // written again.
            let Some(found) = self.shared.reader().get_versioned(key)? else {
                return Ok(false);
            };
            self.append_put(&log, &mut writer, key, &found.value, expires_at, now)?
                .seq
        };
        self.after_write(seq)?;
        Ok(true)
    }

    /// Checks, appends and indexes one put.
    fn put(
        &self,
        key: &[u8],
        value: &[u8],
        expect: Expect,
        expires_at: Option<u64>,
    ) -> Result<SetOutcome> {
        check_key(key)?;
        check_value(value, self.shared.options.get_max_value_size())?;
        let outcome = {
            let log = self.shared.log();
            let mut writer = self.shared.lock_writer();
            self.check_expected(key, expect)?;
            let now = self.shared.now();
            self.append_put(&log, &mut writer, key, value, expires_at, now)?
        };
        self.after_write(outcome.seq)?;
        Ok(outcome)
    }

    /// Appends one put and points the index at it; the caller holds the
    /// writer lock (`writer`) and syncs as the policy says afterwards.
    fn append_put(
        &self,
        log: &write::Log<'_>,
        writer: &mut Writer,
        key: &[u8],
        value: &[u8],
        expires_at: Option<u64>,
        now: u64,
    ) -> Result<SetOutcome> {
        let mut location = None; // set once the record is placed
        let change = Change::put(key, value, expires_at);
        let seq = writer.append(log, &[change], |_, placed| location = Some(placed))?;
        let mut index = writer.index_after_append(log);
        let Some(location) = location else {
            return Ok(SetOutcome {
                seq,
                replaced: index.contains(key, now),
            });
        };
        // Whether a live value is replaced, from the insert's own answer:
        // one lookup of the key per write, not two. The old expiry is read
        // before the new one replaces it.
        let had_expired = index.expiry.is_expired(key, now);
        index.note_appended(location.segment, Some(seq), std::iter::empty());
        let previous = index.insert(key, location);
        let expiring = expires_at.map(|at| crate::expiry::Expiring { at, seq });
        index.expiry.set(key, expiring);
        Ok(SetOutcome {
            seq,
            replaced: previous.is_some() && !had_expired,
        })
    }

    /// Checks `expect` against `key`'s current version. The caller holds
    /// the writer lock, so nothing changes the key between this check and
    /// its write. Finding the version reads the key's record (one read, of a
    /// record recent writes leave in the page cache) unless the condition
    /// needs no version.
    fn check_expected(&self, key: &[u8], expect: Expect) -> Result<()> {
        let current = match expect {
            Expect::Any => return Ok(()),
            Expect::Absent if !self.shared.read_index().contains(key, self.shared.now()) => {
                return Ok(());
            }
            Expect::Absent | Expect::Version(_) => self
                .shared
                .reader()
                .get_versioned(key)?
                .map(|found| found.seq),
        };
        if expect.holds(current) {
            Ok(())
        } else {
            Err(crate::Error::Conflict { current })
        }
    }

    /// The value stored under `key`, if any. Reads exactly one record and
    /// checks its CRC: damaged bytes are an [`Error::Corruption`](crate::Error::Corruption),
    /// never a wrong value.
    pub fn get(&self, key: impl AsRef<[u8]>) -> Result<Option<Vec<u8>>> {
        Ok(self.get_versioned(key)?.map(|v| v.value))
    }

    /// Like [`get`](Self::get), with the value's version (the sequence number
    /// of the write that stored it).
    pub fn get_versioned(&self, key: impl AsRef<[u8]>) -> Result<Option<Versioned>> {
        self.shared.reader().get_versioned(key.as_ref())
    }

    /// Applies every change in `batch` together: readers see all of it at
    /// once, and a crash leaves all of it or none of it. The batch is one
    /// append and, under [`SyncPolicy::Always`](crate::SyncPolicy::Always), one fsync — the fast way to
    /// load many keys. Nothing is written if any key or value breaks a limit.
    pub fn apply(&self, batch: WriteBatch) -> Result<()> {
        let max = self.shared.options.get_max_value_size();
        for op in batch.ops() {
            match op {
                BatchOp::Set(key, value, _) => {
                    check_key(key)?;
                    check_value(value, max)?;
                }
                BatchOp::Delete(key) => check_key(key)?,
            }
        }
        let last_seq = {
            let log = self.shared.log();
            let mut writer = self.shared.lock_writer();
            // Every condition against the store as it is before the batch;
            // one that fails leaves everything unwritten.
            for (key, expect) in batch.expectations() {
                self.check_expected(key, expect)?;
            }
            // Under the writer lock no other write can change which deletes
            // find their key: those that do not write nothing.
            let now = self.shared.now();
            let changes: Vec<Change<'_>> = if !batch.has_deletes() {
                batch.ops().map(|op| op.change(now)).collect()
            } else {
                let index = self.shared.read_index();
                let mut present: HashMap<&[u8], bool> = HashMap::new();
                batch
                    .ops()
                    .filter(|op| match *op {
                        BatchOp::Set(key, _, _) => {
                            present.insert(key, true);
                            true
                        }
                        BatchOp::Delete(key) => {
                            // A delete writes a tombstone only if the key
                            // exists now or is set earlier in the batch.
                            present
                                .insert(key, false)
                                .unwrap_or_else(|| index.contains(key, now))
                        }
                    })
                    .map(|op| op.change(now))
                    .collect()
            };
            if changes.is_empty() {
                return Ok(());
            }
            let mut locations = Vec::with_capacity(changes.len());
            let last_seq = writer.append(&log, &changes, |_, location| locations.push(location))?;
            let mut index = writer.index_after_append(&log);
            let first_seq = last_seq + 1 - changes.len() as u64;
            let seqs = first_seq..=last_seq;
            let is_put = |change: &Change<'_>| change.kind != RecordKind::Tombstone;
            let first_put_seq = changes.iter().zip(seqs.clone()).find(|(c, _)| is_put(c));
            let tombstones = changes
                .iter()
                .zip(&locations)
                .zip(seqs)
                .filter(|((change, _), _)| !is_put(change))
                .map(|((_, at), seq)| TombstoneAt {
                    offset: at.offset,
                    len: at.len,
                    seq,
                });
            // A batch is one append: every record is in one segment.
            index.note_appended(writer.active, first_put_seq.map(|(_, seq)| seq), tombstones);
            index.apply_batch(
                changes
                    .iter()
                    .zip(&locations)
                    .map(|(change, location)| (change.key, is_put(change).then_some(*location))),
            );
            for (change, seq) in changes.iter().zip(first_seq..) {
                if is_put(change) {
                    let expiring = change
                        .expires_at
                        .map(|at| crate::expiry::Expiring { at, seq });
                    index.expiry.set(change.key, expiring);
                }
            }
            last_seq
        };
        self.after_write(last_seq)
    }

    /// Deletes `key`. Returns whether it existed; when it did not, nothing is
    /// written.
    pub fn delete(&self, key: impl AsRef<[u8]>) -> Result<bool> {
        self.delete_if(key, Expect::Any)
    }

    /// Deletes `key` only if it is as `expect` says (see
    /// [`set_if`](Self::set_if)); `Ok(false)` when it had no value (and
    /// `expect` allowed that), [`Error::Conflict`](crate::Error::Conflict)
    /// when the condition fails.
    pub fn delete_if(&self, key: impl AsRef<[u8]>, expect: Expect) -> Result<bool> {
        let key = key.as_ref();
        check_key(key)?;
        let seq = {
            let log = self.shared.log();
            let mut writer = self.shared.lock_writer();
            self.check_expected(key, expect)?;
            // Under the writer lock no other write can change the answer. An
            // expired key has no value to delete: its record stays dead
            // until a merge drops it.
            if !self.shared.read_index().contains(key, self.shared.now()) {
                return Ok(false);
            }
            let mut at = None;
            let seq = writer.append(&log, &[Change::tombstone(key)], |_, placed| {
                at = Some(placed)
            })?;
            let mut index = writer.index_after_append(&log);
            if let Some(at) = at {
                let tombstone = TombstoneAt {
                    offset: at.offset,
                    len: at.len,
                    seq,
                };
                index.note_appended(at.segment, None, std::iter::once(tombstone));
            }
            index.remove(key);
            seq
        };
        self.after_write(seq)?;
        Ok(true)
    }

    /// Whether `key` has a value (one that has not expired).
    pub fn contains_key(&self, key: impl AsRef<[u8]>) -> bool {
        self.shared
            .read_index()
            .contains(key.as_ref(), self.shared.now())
    }

    /// The length in bytes of the record that holds `key`'s value (header,
    /// key and value), if it has one that has not expired: from the index,
    /// with no I/O. How much a `get` of it will read — for a caller that
    /// decides where to run the read (a server runs short ones on its event
    /// loop and long ones on a thread of their own).
    pub fn record_len(&self, key: impl AsRef<[u8]>) -> Option<u32> {
        self.shared
            .read_index()
            .get_live(key.as_ref(), self.shared.now())
            .map(|location| location.len)
    }

    /// Number of live keys (expired ones do not count).
    pub fn len(&self) -> usize {
        self.shared.read_index().live_len(self.shared.now())
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
        self.shared
            .read_index()
            .keys_page(prefix, after, limit, self.shared.now())
    }

    /// Every `(key, value)` whose key is in `range`, in key order; `.rev()`
    /// on the iterator walks it from the end. Any `RangeBounds` of byte
    /// strings works:
    ///
    /// ```
    /// # use mini_kvstore::{KvStore, MemStorage, Options};
    /// # fn main() -> Result<(), mini_kvstore::Error> {
    /// # let store = KvStore::open_with(MemStorage::new(), Options::default())?;
    /// for key in ["a", "b", "c", "d"] {
    ///     store.set(key, key.to_uppercase())?;
    /// }
    /// fn keys(
    ///     iter: impl Iterator<Item = mini_kvstore::Result<(Vec<u8>, Vec<u8>)>>,
    /// ) -> mini_kvstore::Result<Vec<Vec<u8>>> {
    ///     iter.map(|item| item.map(|(key, _)| key)).collect()
    /// }
    /// assert_eq!(keys(store.range("b".."d"))?, [b"b".to_vec(), b"c".to_vec()]);
    /// assert_eq!(keys(store.range("c"..))?, [b"c".to_vec(), b"d".to_vec()]);
    /// assert_eq!(keys(store.range(..="b").rev())?, [b"b".to_vec(), b"a".to_vec()]);
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// The keys are not copied up front: the scan walks the index a chunk at
    /// a time (see [`Iter`] for what it sees of writes made meanwhile).
    pub fn range<K: AsRef<[u8]>, R: RangeBounds<K>>(&self, range: R) -> Iter {
        let owned = |bound: Bound<&K>| match bound {
            Bound::Included(key) => Bound::Included(key.as_ref().to_vec()),
            Bound::Excluded(key) => Bound::Excluded(key.as_ref().to_vec()),
            Bound::Unbounded => Bound::Unbounded,
        };
        Iter::new(
            Arc::clone(&self.shared),
            owned(range.start_bound()),
            owned(range.end_bound()),
        )
    }

    /// Every `(key, value)`, in key order.
    pub fn iter(&self) -> Iter {
        self.range::<&[u8], _>(..)
    }

    /// Every `(key, value)` whose key starts with `prefix`, in key order.
    pub fn scan_prefix(&self, prefix: impl AsRef<[u8]>) -> Iter {
        let prefix = prefix.as_ref();
        match prefix_end(prefix) {
            Some(end) => self.range(prefix..end.as_slice()),
            None => self.range(prefix..),
        }
    }

    /// Makes every write so far durable. Always reaches the storage (even
    /// when every write is already durable), so the active segment's own
    /// bookkeeping — a fresh segment's header — is flushed too.
    pub fn sync(&self) -> Result<()> {
        self.shared.sync_all(true)
    }

    /// Numbers about the store right now.
    pub fn stats(&self) -> Stats {
        self.shared.stats()
    }

    /// Whether the store refuses writes because an fsync failed
    /// ([`Error::Poisoned`](crate::Error::Poisoned)): reads go on, writes
    /// are refused until the store is reopened. One atomic load, cheap
    /// enough to ask before every write.
    pub fn is_poisoned(&self) -> bool {
        self.shared.commit.is_poisoned()
    }

    /// What `open` found and repaired.
    pub fn recovery_report(&self) -> RecoveryReport {
        self.shared.recovery.clone()
    }

    /// The options the store was opened with.
    pub fn options(&self) -> &Options {
        &self.shared.options
    }

    /// What [`compact`](Self::compact) would do now, without doing it.
    pub fn compaction_plan(&self) -> CompactionPlan {
        let active = self.shared.lock_writer().active;
        let snapshot =
            LayoutSnapshot::of(&self.shared.read_index(), Some(active), self.shared.now());
        compaction::plan(&snapshot, self.shared.options.get_max_segment_size())
    }

    /// What [`compact_by_policy`](Self::compact_by_policy) would merge now:
    /// how the policy sees every sealed segment (its dead bytes, and which
    /// trigger or threshold it met) and the merge it would run, if any.
    pub fn policy_plan(&self) -> PolicyPlan {
        merge::policy_plan(&self.shared)
    }

    /// The compaction policy in force (byte defaults scaled to the segment
    /// size).
    pub fn compaction_policy(&self) -> &CompactionPolicy {
        &self.shared.policy
    }

    /// Rewrites the live records of every segment (the active one included)
    /// into new segments and removes the old ones. Reads and writes go on
    /// meanwhile. Safe to crash at any point: see the `compaction` module.
    pub fn compact(&self) -> Result<CompactionReport> {
        merge::compact_all(&self.shared)
    }

    /// Runs the merge the compaction policy chooses, now: `None` when no
    /// segment meets a trigger. The background thread does the same on its
    /// own; this is the way in for tests and for stores with background
    /// merging off. A merge that fails changes nothing and leaves the store
    /// serving.
    pub fn compact_by_policy(&self) -> Result<Option<CompactionReport>> {
        merge::compact_by_policy(&self.shared)
    }

    /// The last few merges' reports (at most 16), oldest first, since open.
    pub fn recent_compactions(&self) -> Vec<CompactionReport> {
        self.shared.history.recent()
    }
}

/// The smallest key greater than every key starting with `prefix`, or
/// `None` when there is none (the prefix is empty or all `0xff`): the
/// exclusive end of the range a prefix covers, for callers that combine a
/// prefix with other bounds.
pub fn prefix_end(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < u8::MAX {
            end.push(last + 1);
            return Some(end);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn group_commit_acknowledges_every_writer()
    -> std::result::Result<(), Box<dyn std::error::Error>> {
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
        let commit = &store.shared.commit;
        assert_eq!(commit.synced(), commit.appended());
        assert_eq!(store.len(), 400);
        Ok(())
    }
}

#[cfg(test)]
mod prefix_tests {
    use super::prefix_end;

    #[test]
    fn the_end_of_a_prefix_is_its_last_byte_raised_past_any_0xff() {
        assert_eq!(prefix_end(b"ab"), Some(b"ac".to_vec()));
        assert_eq!(prefix_end(b"a\xff\xff"), Some(b"b".to_vec()));
        assert_eq!(prefix_end(b"\xff"), None);
        assert_eq!(prefix_end(b""), None);
    }
}
