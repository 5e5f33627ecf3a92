//! [`GroupCommit`]: when a write is durable, who syncs, and the poisoned
//! state.
//!
//! Writers append under the writer lock and then wait here, outside it, for
//! their sequence number to be covered by a sync. One of them — the leader —
//! syncs on behalf of everyone waiting; the others sleep until a sync covers
//! them. The type owns the two positions that decide it (`appended`, the
//! highest seq written; `synced`, the highest seq known durable), the
//! wake-ups, and the poisoned flag: after a failed sync nothing can tell
//! which appends reached the disk, so the store refuses further writes
//! instead of retrying (the same rule as fjall's poison signal).
//!
//! Invariants: `synced <= appended`; both only rise; `synced` rises only
//! under the `waiters` lock; every record with `seq <= synced` is durable.
//!
//! A handle that defers its waits ([`KvStore::deferring_durability`](crate::KvStore::deferring_durability))
//! does not wait here after each write: it notes the write's seq in its
//! [`Deferred`] and waits once, for the highest, when asked to — or tells
//! that seq to a caller that waits for many handles at once
//! ([`KvStore::wait_durable_through`](crate::KvStore::wait_durable_through)),
//! which leads one sync at a time so it can answer in between.

use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::Thread;

use crate::error::{Error, Result};
use crate::storage::{SegmentId, Storage};
use crate::telemetry::{self, Stopwatch, SyncBy};

/// The most syncs a group-commit leader runs in a row (see
/// [`GroupCommit::wait_durable`]).
const LEADER_ROUNDS: usize = 8;

/// Group commit and the poisoned state of one store.
pub(crate) struct GroupCommit {
    waiters: Mutex<Waiters>,
    /// Signalled when a leader stops syncing.
    leader_done: Condvar,
    /// Every record with `seq <= synced` is durable.
    synced: AtomicU64,
    /// The highest seq appended so far (0 when nothing was appended since open). Written
    /// under the writer lock, after the append.
    appended: AtomicU64,
    /// The writer's active segment, published for the leader so it never
    /// waits for the writer lock (whose holder may be a preempted thread).
    /// Published only after a rotation synced the old one: see
    /// [`GroupCommit::lead_syncs`].
    active: AtomicU32,
    /// Set after a failed sync or an append that could not be undone.
    poisoned: AtomicBool,
}

/// Who is syncing and who waits, under one lock.
pub(crate) struct Waiters {
    /// A thread (the leader) is syncing on behalf of everyone.
    syncing: bool,
    /// Writers asleep until their record is durable: `(seq, thread)`. Each
    /// is woken on its own once a sync covers it, rather than all of them
    /// at every sync to fight over this lock.
    asleep: Vec<(u64, Thread)>,
}

impl Waiters {
    /// Records that everything up to `seq` is durable and returns the
    /// writers that were waiting for it, for the caller to wake once it has
    /// let go of the lock: each wake-up is a system call, and writers that
    /// arrive meanwhile need the lock to go to sleep.
    #[must_use]
    fn advance(&mut self, seq: u64, synced: &AtomicU64) -> Vec<Thread> {
        let done = synced.load(Ordering::Acquire).max(seq);
        synced.store(done, Ordering::Release);
        let mut covered = Vec::new();
        self.asleep.retain(|(seq, thread)| {
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
        for (_, thread) in self.asleep.drain(..) {
            thread.unpark();
        }
    }
}

/// The writes a deferring handle made and has not seen made durable: the
/// highest seq written through it (0 for none), which only rises. Clones
/// share it, so every clone of one deferring handle waits for all of their
/// writes.
#[derive(Debug, Clone, Default)]
pub(crate) struct Deferred(Arc<AtomicU64>);

impl Deferred {
    /// Records a write with sequence number `seq` (writes through clones on
    /// other threads may finish in any order: the highest one counts).
    pub(crate) fn note(&self, seq: u64) {
        self.0.fetch_max(seq, Ordering::AcqRel);
    }

    /// The highest seq written through the handle, 0 when none.
    pub(crate) fn highest(&self) -> u64 {
        self.0.load(Ordering::Acquire)
    }
}

impl GroupCommit {
    /// Nothing known durable yet: records recovered from the active segment
    /// may sit in the OS cache only, so the first sync covers them.
    pub(crate) fn new(appended: u64, active: SegmentId) -> Self {
        GroupCommit {
            waiters: Mutex::new(Waiters {
                syncing: false,
                asleep: Vec::new(),
            }),
            leader_done: Condvar::new(),
            synced: AtomicU64::new(0),
            appended: AtomicU64::new(appended),
            active: AtomicU32::new(active.0),
            poisoned: AtomicBool::new(false),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Waiters> {
        // The bookkeeping is a flag and a list; a panic cannot leave it
        // half-changed in a way that matters.
        self.waiters.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// `Err(Error::Poisoned)` once the store refuses writes.
    pub(crate) fn check_poisoned(&self) -> Result<()> {
        if self.is_poisoned() {
            Err(Error::Poisoned)
        } else {
            Ok(())
        }
    }

    pub(crate) fn is_poisoned(&self) -> bool {
        self.poisoned.load(Ordering::Acquire)
    }

    /// Refuses every later write, and wakes the waiting writers to say so.
    pub(crate) fn poison(&self) {
        self.poisoned.store(true, Ordering::Release);
        self.lock().wake_all();
        self.leader_done.notify_all();
    }

    /// The highest seq appended so far.
    pub(crate) fn appended(&self) -> u64 {
        self.appended.load(Ordering::Acquire)
    }

    /// The highest seq known durable.
    #[cfg(test)]
    pub(crate) fn synced(&self) -> u64 {
        self.synced.load(Ordering::Acquire)
    }

    /// Whether every record up to `seq` is known durable.
    pub(crate) fn covers(&self, seq: u64) -> bool {
        self.synced.load(Ordering::Acquire) >= seq
    }

    /// Called by the writer, under its lock, after an append.
    pub(crate) fn record_appended(&self, seq: u64) {
        self.appended.store(seq, Ordering::Release);
    }

    /// Called by the writer after a rotation synced the old segment: from
    /// now on the leader syncs `id`.
    pub(crate) fn publish_active(&self, id: SegmentId) {
        self.active.store(id.0, Ordering::Release);
    }

    /// Everything appended so far is durable (a rotation just synced it):
    /// wakes the writers that waited for it.
    pub(crate) fn all_appended_are_durable(&self) {
        let covered = self.lock().advance(self.appended(), &self.synced);
        covered.iter().for_each(Thread::unpark);
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
    pub(crate) fn wait_durable(&self, storage: &dyn Storage, seq: u64, force: bool) -> Result<()> {
        self.wait(storage, seq, force, LEADER_ROUNDS)
    }

    /// Like [`wait_durable`](Self::wait_durable) (not forced), but as leader
    /// this thread runs one sync only — which covers every record appended
    /// when it starts — and returns: for a caller that answers others once
    /// it returns, so a sync that covers them is not followed by more while
    /// they wait to be told.
    pub(crate) fn wait_durable_once(&self, storage: &dyn Storage, seq: u64) -> Result<()> {
        self.wait(storage, seq, false, 1)
    }

    /// The wait of [`wait_durable`](Self::wait_durable), leading at most
    /// `rounds` syncs in a row.
    fn wait(&self, storage: &dyn Storage, seq: u64, force: bool, rounds: usize) -> Result<()> {
        loop {
            self.check_poisoned()?;
            if !force && self.synced.load(Ordering::Acquire) >= seq {
                return Ok(());
            }
            let mut waiters = self.lock();
            // Looked at again under the lock: a leader may have finished
            // since, and would not wake a writer not yet registered.
            if !force && self.synced.load(Ordering::Acquire) >= seq {
                return Ok(());
            }
            if waiters.syncing {
                waiters.asleep.push((seq, std::thread::current()));
                drop(waiters);
                // Woken when a sync covers `seq`, when the leader stops, or
                // on poisoning; a spurious wake-up just looks again.
                std::thread::park();
                continue;
            }
            waiters.syncing = true;
            drop(waiters);
            let result = self.lead_syncs(storage, rounds);
            let mut waiters = self.lock();
            waiters.syncing = false;
            waiters.wake_all();
            drop(waiters);
            self.leader_done.notify_all();
            result?;
            if force {
                return Ok(());
            }
        }
    }

    /// The leader's work: syncs, then syncs again while other writers
    /// appended meanwhile, up to `rounds` in all.
    fn lead_syncs(&self, storage: &dyn Storage, rounds: usize) -> Result<()> {
        for round in 0..rounds {
            // The target first: if the active segment read after it is a
            // newer one, rotation sealed and synced the target's segment
            // before publishing it, so syncing the newer one is still enough.
            let target = self.appended();
            let segment = SegmentId(self.active.load(Ordering::Acquire));
            let synced_before = self.synced.load(Ordering::Acquire);
            if round > 0 && target <= synced_before {
                break; // nobody is waiting
            }
            let took = Stopwatch::start();
            if let Err(e) = storage.sync(segment) {
                self.poison();
                return Err(Error::io(format!("sync segment {segment}"), e));
            }
            telemetry::synced(SyncBy::GroupCommit, took);
            telemetry::group_commit(target.saturating_sub(synced_before));
            let covered = self.lock().advance(target, &self.synced);
            covered.iter().for_each(Thread::unpark);
        }
        Ok(())
    }

    /// Waits until no leader is syncing and holds it so until the guard is
    /// dropped: a leader may be about to sync a segment it read as active
    /// just before a rotation, and that segment must not be removed under it.
    pub(crate) fn hold_off_syncs(&self) -> MutexGuard<'_, Waiters> {
        let mut waiters = self.lock();
        while waiters.syncing {
            waiters = self
                .leader_done
                .wait(waiters)
                .unwrap_or_else(|p| p.into_inner());
        }
        waiters
    }
}
