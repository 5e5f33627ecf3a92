//! [`SealNotices`]: who is told when a segment is sealed.
//!
//! Rotation seals a segment under the writer lock; building its hint means
//! reading the whole segment back, and a seal is also the moment a merge may
//! have become worth running — neither must happen there. So rotation only
//! sends the segment's id to the background hint writer and wakes the
//! background compactor (see `background`). Where there are no threads
//! (wasm), nobody listens: hints come from compaction and from the next
//! `open`, and merges run when the host asks.

use std::sync::mpsc::Sender;
use std::sync::{Mutex, MutexGuard};

use crate::storage::SegmentId;

/// The listeners, each present while its thread runs.
#[derive(Default)]
pub(crate) struct SealNotices {
    hints: Mutex<Option<Sender<SegmentId>>>,
    merges: Mutex<Option<Sender<()>>>,
}

impl SealNotices {
    /// Sealed segments go to `sender` from now on, for their hints.
    #[cfg(not(target_arch = "wasm32"))]
    pub(crate) fn watch_hints(&self, sender: Sender<SegmentId>) {
        *lock(&self.hints) = Some(sender);
    }

    /// Each seal wakes `sender`'s receiver, the compactor, from now on.
    #[cfg(not(target_arch = "wasm32"))]
    pub(crate) fn watch_merges(&self, sender: Sender<()>) {
        *lock(&self.merges) = Some(sender);
    }

    /// Stops telling anyone, which ends the listeners' loops.
    pub(crate) fn close(&self) {
        lock(&self.hints).take();
        lock(&self.merges).take();
    }

    /// Segment `id` was sealed.
    pub(crate) fn sealed(&self, id: SegmentId) {
        // A send fails only when the listener has ended: nothing to do.
        if let Some(sender) = lock(&self.hints).as_ref() {
            let _ = sender.send(id);
        }
        if let Some(sender) = lock(&self.merges).as_ref() {
            let _ = sender.send(());
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}
