//! The store the page has open, and everything the page knows that is about
//! that store and no other.
//!
//! A selection names records of one layout, a compaction overlay shows one
//! store's plan, a fault damaged one store's bytes, a recovery report tells
//! how one store was opened. When the store is replaced (Reload, Reset, a new
//! segment size, a new compaction policy) all of that must go with it, so
//! it lives in [`OpenStore`] and [`OpenStore::open`] (or
//! [`open_with`](OpenStore::open_with), given the options) is the only way
//! to make one: the page swaps the whole value (`Page::replace_store`) and
//! cannot forget a piece.

use mini_kvstore::{KvStore, Layout, Options};

use super::settings::SegmentSize;
use crate::faults::Fault;
use crate::recovery::{KeyDiff, Recovery};
use crate::selection::Selection;
use crate::storage::IdbStorage;
use crate::view::PlanOverlay;

/// What a fault button did. While there is one, the store is stopped: its
/// bytes changed underneath it, as a crash would leave them, and only a
/// reload (which runs recovery) may touch it again.
#[derive(Debug, Clone)]
pub(super) struct Crash {
    /// What was damaged, for the learner.
    pub(super) description: String,
    /// The damaged record: `(segment, offset)`.
    pub(super) damaged: (u32, u64),
}

/// An opened store and the page's state about it.
pub(super) struct OpenStore {
    /// Its segments, shared with the engine.
    pub(super) storage: IdbStorage,
    /// The engine.
    pub(super) store: KvStore,
    /// The layout as last drawn.
    pub(super) layout: Layout,
    /// When it was read, by the store's clock.
    read_at: u64,
    /// What is selected on the map.
    pub(super) selection: Selection,
    /// What the compaction panel lays over the map.
    pub(super) overlay: PlanOverlay,
    /// The fault that stopped the store, if one did.
    pub(super) crash: Option<Crash>,
    /// What opening it found, while the recovery panel shows it.
    pub(super) recovery: Option<Recovery>,
}

impl OpenStore {
    /// Opens a store over `storage` (the engine's recovery runs here), with
    /// nothing selected, no overlay, no fault and no recovery panel.
    pub(super) fn open(
        storage: IdbStorage,
        size: SegmentSize,
    ) -> Result<OpenStore, mini_kvstore::Error> {
        OpenStore::open_with(storage, size.options())
    }

    /// Like [`open`](Self::open), with `options` (the segment size's, and
    /// the policy panel's compaction policy: see `Page::store_options`).
    pub(super) fn open_with(
        storage: IdbStorage,
        options: Options,
    ) -> Result<OpenStore, mini_kvstore::Error> {
        let store = KvStore::open_with(storage.clone(), options)?;
        let layout = store.layout()?;
        let read_at = store.options().get_clock().now_millis();
        Ok(OpenStore {
            storage,
            store,
            layout,
            read_at,
            selection: Selection::new(),
            overlay: PlanOverlay::Off,
            crash: None,
            recovery: None,
        })
    }

    /// What opening it found: the engine's report, the problems loading
    /// from IndexedDB found, and which keys differ from `diff`'s snapshot.
    pub(super) fn recovery_found(&self, load_problems: Vec<String>, diff: KeyDiff) -> Recovery {
        Recovery {
            report: self.store.recovery_report(),
            load_problems,
            diff,
        }
    }

    /// Reads the layout again after the store changed, and forgets a picked
    /// record that moved. A stopped store keeps the layout drawn when the
    /// fault hit: the engine's view of bytes changed behind its back is what
    /// recovery is for, so the page shows the damage on the map as it was.
    pub(super) fn reread_layout(&mut self) -> Result<(), mini_kvstore::Error> {
        let read = match self.crash {
            None => self.store.layout().map(|layout| {
                self.layout = layout;
                self.read_at = self.store.options().get_clock().now_millis();
            }),
            Some(_) => Ok(()),
        };
        self.selection.follow(&self.layout);
        read
    }

    /// The time the page shows this store at (ms since the epoch): its
    /// clock's, or for a stopped store the time its layout was read — the
    /// map stays as the fault left it (see [`reread_layout`](Self::reread_layout)),
    /// and so do its countdowns.
    pub(super) fn now(&self) -> u64 {
        match self.crash {
            None => self.store.options().get_clock().now_millis(),
            Some(_) => self.read_at,
        }
    }

    /// Writes a fault's bytes behind the engine's back (they reach
    /// IndexedDB with the next flush) and stops the store.
    pub(super) fn suffer(&mut self, fault: Fault) {
        self.storage.put_segment_bytes(fault.segment, fault.bytes);
        self.crash = Some(Crash {
            description: fault.description,
            damaged: (fault.segment.0, fault.record_offset),
        });
        self.overlay = PlanOverlay::Off;
    }
}
