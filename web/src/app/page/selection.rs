//! The map's details panel and the selection: the cell under the pointer
//! is shown, a click selects its record and key (or deselects them).
//!
//! What a selection is lives in `crate::selection`; this only applies it
//! and redraws what it changes.

use super::state::Page;
use crate::app::map;
use crate::render::map::CellId;

impl Page {
    /// The pointer is over the cell named `id`: show what it is.
    pub(crate) fn hover_cell(&mut self, id: &str) {
        if let Some(id) = CellId::parse(id) {
            self.hovered = Some(id);
            self.draw_details();
            self.keep_time();
        }
    }

    /// The pointer left the map: back to the picked record.
    pub(crate) fn unhover(&mut self) {
        self.hovered = None;
        self.draw_details();
        self.keep_time();
    }

    /// A click on the cell named `id`: select (or deselect) its record and key.
    pub(crate) fn click_cell(&mut self, id: &str) {
        let Some(CellId::Record { segment, index }) = CellId::parse(id) else {
            return;
        };
        if self
            .open
            .selection
            .toggle_record(&self.open.layout, segment, index)
        {
            // The click decides what the panel shows (the record, or the
            // hint when it deselected) until the pointer moves on.
            self.hovered = None;
            self.draw_selection();
        }
    }

    /// A click on `key` in the index: select (or deselect) it.
    pub(crate) fn click_index_key(&mut self, key: Vec<u8>) {
        self.open.selection.toggle_key(&self.open.layout, key);
        self.draw_selection();
    }

    fn draw_selection(&mut self) {
        self.draw_map();
        self.draw_index();
        self.draw_details();
        self.keep_time();
    }

    /// The details panel: the hovered cell, else the picked record.
    pub(super) fn draw_details(&self) {
        map::show_details(
            &self.doc,
            &self.open.layout,
            self.now(),
            self.hovered,
            &self.open.selection,
        );
    }
}
