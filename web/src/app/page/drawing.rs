//! After a change: the layout read again, every panel redrawn, a flush
//! scheduled. Every handler that may have changed the store ends here, so
//! what is on show is always what the engine answers now.

use mini_kvstore_commands::Tone;

use super::state::Page;
use crate::app::map;
use crate::app::panels::{self, FlushStatus};
use crate::view::MapSettings;

impl Page {
    /// After anything that may have changed the store: read the layout
    /// again, redraw every panel, schedule a flush.
    pub(crate) fn after_change(&mut self) {
        self.redraw();
        self.flusher.schedule(&self.open.storage);
    }

    /// Reads the layout again and redraws every panel: after a change, or
    /// when the time alone changed what the engine answers (a record
    /// expired, which writes nothing, so it must not push a pending
    /// flush's debounce back).
    pub(super) fn redraw(&mut self) {
        if let Err(error) = self.open.reread_layout() {
            self.print_line(format!("could not read the layout: {error}"), Tone::Bad);
        }
        // Auto compaction: the policy may choose a merge now, which the
        // map then shows.
        self.policy.check(&self.open, self.is_stopped());
        self.draw_map();
        self.draw_index();
        panels::draw_stats(
            &self.doc,
            &self.open.store.stats(),
            self.open.storage.unflushed_bytes(),
        );
        self.draw_compaction();
        panels::draw_faults(
            &self.doc,
            self.open.crash.as_ref().map(|c| c.description.as_str()),
            self.open.recovery.as_ref(),
        );
        self.draw_details();
        self.draw_flush_status();
        self.policy.draw(&self.open);
        self.keep_time();
    }

    pub(super) fn draw_map(&mut self) {
        let settings = MapSettings {
            segment_size: self.segment_size.bytes(),
            strip_px: self.map.strip_px(),
            selected_key: self.open.selection.key().map(<[u8]>::to_vec),
            overlay: self.open.overlay,
            damaged: self.open.crash.as_ref().map(|c| c.damaged),
            policy: self.policy.on_map(&self.open, self.is_stopped()),
        };
        self.map.draw(&self.doc, &self.open.layout, settings);
        self.drew();
    }

    /// Redraws the index (the filter changed).
    pub(crate) fn draw_index(&self) {
        map::draw_index(
            &self.doc,
            &self.open.layout,
            &self.open.selection,
            &self.policy.index_repoint(&self.open),
        );
        self.drew();
    }

    /// Redraws every strip (the window's width changed).
    pub(crate) fn redraw_map(&mut self) {
        self.map.redraw_all();
        self.draw_map();
    }

    pub(super) fn draw_compaction(&self) {
        panels::draw_compaction(
            &self.doc,
            &self.open.layout,
            self.open.overlay,
            self.segment_size.bytes(),
            self.map.strip_px(),
        );
    }

    /// Redraws the unflushed bytes and the status line.
    pub(crate) fn draw_flush_status(&self) {
        let last_error = self.flusher.last_error();
        panels::draw_flush_status(
            &self.doc,
            &FlushStatus {
                unflushed: self.open.storage.unflushed_bytes(),
                pending: self.open.storage.needs_flush(),
                last_error: last_error.as_deref(),
            },
        );
    }
}
