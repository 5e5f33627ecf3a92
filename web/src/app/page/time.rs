//! Time changes the store too: a record whose TTL runs out turns dead
//! with no write. While one counts down, the ticker wakes the page; a
//! record due to expire is redrawn as a write would be, and in between
//! only the details panel's countdown moves on.

use super::state::Page;
use crate::clock::utc_offset_minutes;
use crate::expiry::{self, Now};
use crate::render::map::CellId;
use crate::view;

/// The longest the page waits between looks at the clock while a record
/// counts down: its countdown shows seconds.
const TICK_MS: u64 = 1000;
/// The shortest: a record due already is read again after this, not in a
/// tight loop (the layout read just before may predate its expiry).
const MIN_TICK_MS: u64 = 20;

impl Page {
    /// The time the page shows the store at.
    pub(super) fn now(&self) -> Now {
        Now {
            millis: self.open.now(),
            utc_offset_minutes: utc_offset_minutes(),
        }
    }

    /// The record the details panel shows, if it shows one.
    fn shown_record(&self) -> Option<&mini_kvstore::RecordLayout> {
        let layout = &self.open.layout;
        let hovered = match self.hovered {
            Some(CellId::Record { segment, index }) => view::record_at(layout, segment, index),
            _ => None,
        };
        hovered.or_else(|| {
            let (segment, index) = self.open.selection.record()?;
            view::record_at(layout, segment, index)
        })
    }

    /// Asks the ticker for the next look at the clock, or for none when
    /// nothing on show depends on the time. A stopped store keeps its map
    /// as the fault left it, and a reopening one is about to be replaced
    /// (`replace_store` asks again).
    pub(super) fn keep_time(&self) {
        let next = if self.busy || self.open.crash.is_some() {
            None
        } else {
            expiry::next_change(&self.open.layout, self.shown_record(), self.open.now())
        };
        match next {
            // Lossless: clamped to at most a second.
            Some(ms) => self.ticker.wake_in(ms.clamp(MIN_TICK_MS, TICK_MS) as u32),
            None => self.ticker.stop(),
        }
    }

    /// The ticker fired: when a record is due to expire, read the layout
    /// again and redraw as after a write (it turns dead on the map, leaves
    /// the index, and the stats count its bytes dead; the strip cache
    /// replaces its strip); otherwise move the countdown on.
    pub(super) fn tick(&mut self) {
        if self.busy || self.open.crash.is_some() {
            return;
        }
        let due = expiry::next_expiry(&self.open.layout).is_some_and(|at| at <= self.open.now());
        if due {
            self.redraw();
        } else {
            self.draw_details();
            self.keep_time();
        }
    }
}
