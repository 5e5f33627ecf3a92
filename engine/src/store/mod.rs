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
//! | `shared` | [`Shared`]: the state all handles share |
//! | `write` | the writer: appends, rotation, key and value checks, the seal encoder |
//! | `read` | locating and checking records, for `get` and [`Iter`] |
//! | `durability` | group commit, the poisoned state, and the waits a deferring handle puts off |
//! | `deferred` | the handle's deferring calls: putting durability waits off, taking them later |
//! | `ttl` | expiry on the handle: set with a time to live, `expire`, `persist`, `ttl` |
//! | `apply` | write batches, checked whole and appended at once |
//! | `ranges` | ranges, whole-store and prefix scans on the handle |
//! | `stall` | pacing writers while merges are behind, to keep the policy's space bound |
//! | `writeback` | syncing the active segment in steps as it fills, so its seal waits for one step |
//! | `sealed` | who is told when a segment is sealed: the hint writer and the compactor |
//! | `background` | the hint writer and periodic sync threads |
//! | `introspect` | `verify` and `layout`: the store read back as data |
//! | `iter` | [`Iter`]: ordered scans of a key range, from either end |
//! | `backup` | point-in-time copies while writes go on |
//! | `merge` | the mechanism of a merge — full or chosen by the policy — over the pure plans of `compaction` |

mod apply;
mod background;
mod backup;
mod deferred;
mod durability;
mod introspect;
mod iter;
mod merge;
mod ranges;
pub(crate) mod read;
mod sealed;
pub(crate) mod shared;
mod stall;
mod ttl;
pub(crate) mod write;
mod writeback;

use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex, RwLock};

use crate::compaction::history::CompactionHistory;
use crate::compaction::{self, CompactionPlan, CompactionPolicy, LayoutSnapshot, PolicyPlan};
use crate::error::Result;
use crate::expect::Expect;
use crate::format::{SEGMENT_HEADER_LEN, SegmentKind};
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
use stall::WriteStall;
use write::{Change, Writer, check_key, check_value, create_segment, fresh_segment, preallocate};
use writeback::Writeback;

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

        let policy = options.get_compaction_policy();
        let options_segment_size = options.get_max_segment_size();
        let stall = WriteStall::new(
            cfg!(not(target_arch = "wasm32")) && policy.get_background(),
            policy.get_max_space_amplification(),
            policy.space_room(options.get_max_segment_size()),
            policy.get_rate_limit(),
        );
        let shared = Arc::new(Shared {
            storage,
            policy,
            options,
            compaction: Mutex::new(()),
            writer: Mutex::new(Writer::new(active, active_len, next_seq, next_segment)),
            index: RwLock::new(index),
            commit: GroupCommit::new(next_seq - 1, active),
            recovery: report,
            sealed: SealNotices::default(),
            history: CompactionHistory::default(),
            stop_merges: AtomicBool::new(false),
            stall,
            writeback: Writeback::new(options_segment_size),
        });
        Ok(KvStore {
            _background: Arc::new(Background::start(&shared)),
            shared,
            deferred: None,
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
