//! [`HintQueue`]: sealed segments waiting for their hint file.
//!
//! Rotation seals a segment under the writer lock; building its hint means
//! reading the whole segment back, which must not happen there. So rotation
//! only queues the segment's id, and the background hint writer (see
//! `background`) does the rest. Where there are no threads (wasm), the queue
//! is closed and hints come from compaction and from the next `open`.

use std::sync::Mutex;
use std::sync::mpsc::Sender;

use crate::storage::SegmentId;

/// The sending end of the hint writer's queue, or nothing when it is closed.
#[derive(Default)]
pub(crate) struct HintQueue {
    sender: Mutex<Option<Sender<SegmentId>>>,
}

impl HintQueue {
    /// Opens the queue: segments sent from now on go to `sender`.
    #[cfg(not(target_arch = "wasm32"))]
    pub(crate) fn open(&self, sender: Sender<SegmentId>) {
        *self.lock() = Some(sender);
    }

    /// Closes the queue, which ends the hint writer's loop.
    pub(crate) fn close(&self) {
        self.lock().take();
    }

    /// Asks for `id`'s hint; a closed queue drops the request.
    pub(crate) fn push(&self, id: SegmentId) {
        if let Some(sender) = self.lock().as_ref() {
            // A send fails only when the writer has ended: nothing to do.
            let _ = sender.send(id);
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<Sender<SegmentId>>> {
        self.sender.lock().unwrap_or_else(|p| p.into_inner())
    }
}
