//! The store's background threads (native builds): the hint writer, the
//! compactor and, under [`SyncPolicy::EveryMillis`], the periodic sync.
//!
//! Each holds only a weak reference to the store between pieces of work, so
//! none keeps it open. [`Background`] is shared by every handle; when the
//! last handle goes it stops and joins them — a merge in progress stops at
//! its next chunk and changes nothing — so that closing the store, and
//! releasing its directory lock, happens right there, never later on one of
//! these threads.

use std::sync::atomic::Ordering;
use std::sync::mpsc::Sender;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
#[cfg(not(target_arch = "wasm32"))]
use std::{
    sync::Weak,
    sync::mpsc::{Receiver, RecvTimeoutError},
    time::Duration,
};

#[cfg(not(target_arch = "wasm32"))]
use tracing::{debug, warn};

#[cfg(not(target_arch = "wasm32"))]
use super::merge;
#[cfg(not(target_arch = "wasm32"))]
use crate::error::Error;
#[cfg(not(target_arch = "wasm32"))]
use crate::options::SyncPolicy;
#[cfg(not(target_arch = "wasm32"))]
use crate::storage::SegmentId;

use super::shared::Shared;

/// The longest a failing compactor waits before it tries again.
#[cfg(not(target_arch = "wasm32"))]
const MAX_BACKOFF: Duration = Duration::from_secs(300);

/// The running background threads and how to stop them.
pub(crate) struct Background {
    shared: Arc<Shared>,
    /// Dropping it wakes the sync thread, which then ends.
    stop: Mutex<Option<Sender<()>>>,
    threads: Mutex<Vec<JoinHandle<()>>>,
}

impl Background {
    /// Starts the threads `shared`'s options ask for (none on wasm).
    pub(crate) fn start(shared: &Arc<Shared>) -> Background {
        let background = Background {
            shared: Arc::clone(shared),
            stop: Mutex::new(None),
            threads: Mutex::new(Vec::new()),
        };
        #[cfg(not(target_arch = "wasm32"))]
        {
            let mut threads = Vec::new();
            if shared.options.get_background_hints() {
                threads.extend(hint_writer(shared));
            }
            if shared.policy.get_background() {
                threads.extend(compactor(shared));
            }
            if shared.options.get_background_writeback()
                && shared.options.get_sync_policy() != SyncPolicy::Always
            {
                threads.extend(writeback(shared));
            }
            if let SyncPolicy::EveryMillis(period) = shared.options.get_sync_policy() {
                let (stop, stopped) = std::sync::mpsc::channel();
                threads.extend(periodic_sync(Arc::downgrade(shared), stopped, period));
                *lock(&background.stop) = Some(stop);
            }
            *lock(&background.threads) = threads;
        }
        background
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        // A merge in progress gives up; closing the seal notices ends the
        // hint writer's and the compactor's loops; dropping the stop sender
        // ends the sync thread's wait.
        self.shared.stop_merges.store(true, Ordering::Release);
        self.shared.sealed.close();
        self.shared.writeback.close();
        lock(&self.stop).take();
        let threads = std::mem::take(&mut *lock(&self.threads));
        for thread in threads {
            // A thread that panicked has nothing left to clean up.
            let _ = thread.join();
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}

/// Starts the thread that writes hint files for segments sealed by rotation,
/// off the writers' path. It ends when the seal notices close.
#[cfg(not(target_arch = "wasm32"))]
fn hint_writer(shared: &Arc<Shared>) -> Option<JoinHandle<()>> {
    let (sender, receiver) = std::sync::mpsc::channel::<SegmentId>();
    let store = Arc::downgrade(shared);
    let spawned = std::thread::Builder::new()
        .name("kvstore-hints".into())
        .spawn(move || {
            lower_priority();
            for id in receiver {
                let Some(shared) = store.upgrade() else { break };
                shared.write_hint_for(id);
            }
        });
    match spawned {
        Ok(thread) => {
            shared.sealed.watch_hints(sender);
            Some(thread)
        }
        Err(e) => {
            warn!(error = %e, "could not start the hint writer; hints come from compaction and reopening");
            None
        }
    }
}

/// Starts the thread that syncs the active segment as it fills (see
/// `writeback`). It ends when the writeback notices close, or the store is
/// poisoned.
#[cfg(not(target_arch = "wasm32"))]
fn writeback(shared: &Arc<Shared>) -> Option<JoinHandle<()>> {
    let (sender, receiver) = std::sync::mpsc::channel::<SegmentId>();
    let store = Arc::downgrade(shared);
    let spawned = std::thread::Builder::new()
        .name("kvstore-writeback".into())
        .spawn(move || {
            while let Ok(mut id) = receiver.recv() {
                // Steps passed while a sync ran are one more sync, of the
                // newest segment: an older one was synced when it was sealed.
                while let Ok(newer) = receiver.try_recv() {
                    id = newer;
                }
                let Some(shared) = store.upgrade() else { break };
                if shared.commit.is_poisoned() {
                    break;
                }
                match shared.storage.sync(id) {
                    Ok(()) => {}
                    // Sealed, merged and removed since: nothing to sync.
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => {
                        warn!(segment = %id, error = %e, "writeback sync failed; the store refuses further writes");
                        shared.commit.poison();
                        break;
                    }
                }
            }
        });
    match spawned {
        Ok(thread) => {
            shared.writeback.watch(sender);
            Some(thread)
        }
        Err(e) => {
            warn!(error = %e, "could not start the writeback thread; segments are synced when sealed");
            None
        }
    }
}

/// Starts the thread that runs the policy's merges: it looks every
/// `check_interval` and whenever a segment is sealed, and right again after
/// a merge (another may be due). A failed merge changed nothing; the thread
/// waits twice as long after each failure in a row, up to [`MAX_BACKOFF`],
/// and the store goes on serving meanwhile.
#[cfg(not(target_arch = "wasm32"))]
fn compactor(shared: &Arc<Shared>) -> Option<JoinHandle<()>> {
    let (sender, receiver) = std::sync::mpsc::channel::<()>();
    let store = Arc::downgrade(shared);
    let interval = shared.policy.get_check_interval();
    let spawned = std::thread::Builder::new()
        .name("kvstore-compactor".into())
        .spawn(move || {
            lower_priority();
            compact_until_closed(&store, &receiver, interval)
        });
    match spawned {
        Ok(thread) => {
            shared.sealed.watch_merges(sender);
            Some(thread)
        }
        Err(e) => {
            warn!(error = %e, "could not start the compactor; only explicit calls compact");
            None
        }
    }
}

#[cfg(not(target_arch = "wasm32"))]
fn compact_until_closed(store: &Weak<Shared>, woken: &Receiver<()>, interval: Duration) {
    let mut wait = interval;
    let mut failures = 0u32;
    // Woken by a seal or by the timeout; a closed channel means closing.
    while let Ok(()) | Err(RecvTimeoutError::Timeout) = woken.recv_timeout(wait) {
        // Several seals while a merge ran are one reason to look.
        while woken.try_recv().is_ok() {}
        let Some(shared) = store.upgrade() else { break };
        if shared.commit.is_poisoned() || shared.stop_merges.load(Ordering::Acquire) {
            break;
        }
        match merge::compact_by_policy(&shared) {
            Ok(Some(_)) => {
                failures = 0;
                wait = Duration::ZERO;
            }
            Ok(None) => {
                failures = 0;
                wait = interval;
            }
            Err(Error::Closing) => break,
            Err(e) => {
                failures = failures.saturating_add(1);
                wait = interval
                    .saturating_mul(1 << failures.min(16))
                    .min(MAX_BACKOFF.max(interval));
                debug!(error = %e, failures, ?wait, "background merge failed; backing off");
            }
        }
    }
}

/// Syncs every `period` ms until `stopped` is closed.
#[cfg(not(target_arch = "wasm32"))]
fn periodic_sync(
    store: Weak<Shared>,
    stopped: Receiver<()>,
    period: u64,
) -> Option<JoinHandle<()>> {
    let spawned = std::thread::Builder::new()
        .name("kvstore-sync".into())
        .spawn(move || {
            let period = Duration::from_millis(period);
            while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(period) {
                let Some(shared) = store.upgrade() else { break };
                if shared.commit.is_poisoned() {
                    break;
                }
                if let Err(e) = shared.sync_all(false) {
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

/// The priority the hint writer and the compactor take, on the crate's
/// scale of 0 (lowest) to 99: niceness 10, where a thread wanting a core
/// gets about a tenth of the share of one at the default priority.
#[cfg(target_os = "linux")]
const BACKGROUND_PRIORITY: u8 = 22;

/// Lowers the calling thread's CPU priority, for threads whose work can
/// wait. On a machine with few cores, a thread the writer wakes (a seal
/// wakes the hint writer and the compactor) would otherwise take the
/// writer's core at once, and the write waits out the woken thread's whole
/// time slice. So these threads run under `SCHED_BATCH`, which the
/// scheduler never lets preempt another thread on waking, at a higher
/// niceness (RocksDB lowers its compaction threads' priority likewise).
/// Falling behind is bounded: when merges fall behind, the write stall
/// slows writers, which frees the core. Linux only — there a thread has
/// its own policy and niceness, not the whole process — and best effort.
#[cfg(not(target_arch = "wasm32"))]
fn lower_priority() {
    #[cfg(target_os = "linux")]
    {
        use thread_priority::{
            NormalThreadSchedulePolicy, ThreadPriority, ThreadPriorityValue, ThreadSchedulePolicy,
        };
        let Ok(value) = ThreadPriorityValue::try_from(BACKGROUND_PRIORITY) else {
            return;
        };
        if let Err(e) = thread_priority::unix::set_thread_priority_and_policy(
            thread_priority::unix::thread_native_id(),
            ThreadPriority::Crossplatform(value),
            ThreadSchedulePolicy::Normal(NormalThreadSchedulePolicy::Batch),
        ) {
            debug!(error = ?e, "could not lower a background thread's priority");
        }
    }
}
