//! The segment size the learner picked, the page's one setting.
//!
//! Only a few small sizes are offered, so rotation happens within a few
//! writes; the choice is remembered in `localStorage` across visits, and it
//! decides the engine [`Options`] every store of the page opens with. A type
//! of its own so that a size that is not on offer (a stale or edited
//! `localStorage` entry, a forged `<option>`) cannot reach the engine.

use mini_kvstore::{Options, SyncPolicy};
use web_sys::Document;

use super::dom::select;
use crate::clock::BrowserClock;

/// The sizes offered, in bytes, as in `index.html`'s `<select>`.
const OFFERED: [u64; 5] = [256, 512, 1024, 2048, 4096];
const DEFAULT: u64 = 512;
/// The `localStorage` key.
const SETTING: &str = "mini-kvstore.segment-size";
/// The `<select>` that shows it.
const CONTROL: &str = "segment-size";

/// One of the offered segment sizes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct SegmentSize(u64);

impl SegmentSize {
    /// The size written as `text` (bytes, as in the `<option>` values), if
    /// it is one of those offered.
    pub(super) fn parse(text: &str) -> Option<SegmentSize> {
        let bytes = text.parse().ok()?;
        OFFERED.contains(&bytes).then_some(SegmentSize(bytes))
    }

    /// The size saved by an earlier visit, or the default.
    pub(super) fn saved() -> SegmentSize {
        web_sys::window()
            .and_then(|w| w.local_storage().ok().flatten())
            .and_then(|s| s.get_item(SETTING).ok().flatten())
            .and_then(|v| SegmentSize::parse(&v))
            .unwrap_or(SegmentSize(DEFAULT))
    }

    /// Remembers this size for the next visit.
    pub(super) fn save(self) {
        if let Some(storage) = web_sys::window().and_then(|w| w.local_storage().ok().flatten()) {
            let _ = storage.set_item(SETTING, &self.0.to_string());
        }
    }

    /// Makes the `<select>` show this size.
    pub(super) fn show(self, doc: &Document) {
        if let Ok(control) = select(doc, CONTROL) {
            control.set_value(&self.0.to_string());
        }
    }

    /// In bytes.
    pub(super) fn bytes(self) -> u64 {
        self.0
    }

    /// The options a store of this segment size opens with.
    pub(super) fn options(self) -> Options {
        Options::default()
            .max_segment_size(self.0)
            // No threads in the browser (`EveryMillis` needs a timer
            // thread): the page's flusher decides when bytes reach IndexedDB,
            // and merges run when the page runs them.
            .sync_policy(SyncPolicy::Never)
            .compaction_policy(mini_kvstore::CompactionPolicy::default().background(false))
            // No system clock either: TTLs are timed by `Date.now()`.
            .clock(BrowserClock)
    }
}
