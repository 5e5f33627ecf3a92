//! [`Writeback`]: sending the active segment toward the disk while it
//! fills, so that sealing it does not wait for all of it at once.
//!
//! Under [`SyncPolicy::Never`](crate::SyncPolicy::Never) nothing syncs the
//! active segment until rotation seals it, and the seal's `fdatasync` —
//! under the writer lock, so every write waits for it — then has a whole
//! segment of dirty pages (16 MiB by default) to write out: the store's
//! longest write by far (tens of milliseconds, docs/BENCHMARKS.md). So each
//! time the active segment grows by a step (a quarter of a segment, at
//! most [`MAX_STEP`]), a background thread syncs it, off the writers'
//! path; the seal is left with the last step only. RocksDB's
//! `bytes_per_sync` does the same for the same reason.
//!
//! Syncing more than a policy asks weakens none of its guarantees, and the
//! store's durability bookkeeping is not told: a write is durable when the
//! policy says it is, and these syncs only make that cheaper. A writeback
//! sync that fails poisons the store, as a failed periodic sync does —
//! after a failed `fsync` the kernel may have dropped the dirty pages, and
//! a later sync that succeeds would not mean they are on the disk.

use std::sync::mpsc::Sender;
use std::sync::{Mutex, MutexGuard};

use crate::storage::SegmentId;

/// The largest step between two writeback syncs.
pub(crate) const MAX_STEP: u64 = 2 << 20;

/// Who is told when the active segment has grown by a step.
pub(crate) struct Writeback {
    /// Bytes between two syncs; 0 when nobody is told (the step would be
    /// below a record's worth, or no thread runs).
    step: u64,
    listener: Mutex<Option<Sender<SegmentId>>>,
}

impl Writeback {
    /// Steps of a quarter of `max_segment_size`, at most [`MAX_STEP`].
    pub(crate) fn new(max_segment_size: u64) -> Self {
        Writeback {
            step: (max_segment_size / 4).min(MAX_STEP),
            listener: Mutex::new(None),
        }
    }

    /// Segments that grew go to `sender` from now on.
    #[cfg(not(target_arch = "wasm32"))]
    pub(crate) fn watch(&self, sender: Sender<SegmentId>) {
        *lock(&self.listener) = Some(sender);
    }

    /// Stops telling anyone, which ends the listener's loop.
    pub(crate) fn close(&self) {
        lock(&self.listener).take();
    }

    /// Segment `id` grew from `from` bytes to `to` (called under the
    /// writer lock: a division unless a step was passed).
    pub(crate) fn grew(&self, id: SegmentId, from: u64, to: u64) {
        if self.step == 0 || from / self.step == to / self.step {
            return;
        }
        // A send fails only when the listener has ended: nothing to do.
        if let Some(sender) = lock(&self.listener).as_ref() {
            let _ = sender.send(id);
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_step_passed_is_told_once() {
        let writeback = Writeback::new(4096);
        let (sender, told) = std::sync::mpsc::channel();
        writeback.watch(sender);
        let id = SegmentId(7);
        for (from, to) in [
            (0, 500),
            (500, 1023),
            (1023, 1024),
            (1024, 2000),
            (2000, 4000),
        ] {
            writeback.grew(id, from, to);
        }
        // Steps of 1,024 bytes: passed at 1,024, then at 2,048 and 3,072
        // by one append, which is told once.
        assert_eq!(told.try_iter().count(), 2);
        writeback.close();
        writeback.grew(id, 0, 4096);
        assert_eq!(told.try_iter().count(), 0, "nobody listens once closed");
        assert_eq!(Writeback::new(16 << 20).step, MAX_STEP);
    }
}
