//! The segment map, the index beside it and the details panel under it: the
//! three views of a layout that show the [`Selection`].
//!
//! The map is drawn incrementally. Each strip's HTML is remembered, and when
//! the segments drawn last are still there in the same order only the
//! strips whose HTML changed are replaced (and new ones appended); anything
//! else redraws the whole map. That is what keeps a write responsive with
//! 10,000 records on the page. The cache is only valid for the store and
//! the width it was drawn for, so a new store or a resize calls
//! [`MapPanel::redraw_all`]. It compares HTML, not writes: a record that
//! expires changes its strip's HTML without any write, and that strip alone
//! is replaced the next time the page draws a fresh layout.
//!
//! The details panel shows the cell under the pointer, or else the picked
//! record ([`show_details`]); the page remembers which, so it can redraw a
//! countdown there every second without losing what the learner points at.
//!
//! Which cells exist and how they look is `view` and `render`; what is
//! selected and when that ends is [`Selection`]. This module puts the result
//! on the page.

use std::collections::BTreeMap;

use mini_kvstore::Layout;
use web_sys::Document;

use super::dom::{element, input};
use crate::expiry::Now;
use crate::merge_replay::RowRepoint;
use crate::render::map::{self as html, CellId};
use crate::render::panels::index_html;
use crate::selection::Selection;
use crate::view::{self, MapSettings};

/// Width of a strip's label column in CSS pixels (see `style.css`).
const LABEL_PX: i32 = 170;
/// Strip width before the map was first measured.
const DEFAULT_STRIP_PX: u32 = 600;
/// Index rows drawn at most; the filter finds the rest.
const INDEX_ROWS: usize = 200;

/// The map as drawn.
pub(super) struct MapPanel {
    /// Each strip's HTML as drawn, in order, by segment number.
    drawn: Vec<(u32, String)>,
    /// The strips' width in pixels when they were drawn.
    strip_px: u32,
}

impl Default for MapPanel {
    fn default() -> Self {
        MapPanel {
            drawn: Vec::new(),
            strip_px: DEFAULT_STRIP_PX,
        }
    }
}

impl MapPanel {
    /// The strips' width in pixels, as last measured.
    pub(super) fn strip_px(&self) -> u32 {
        self.strip_px
    }

    /// Forgets what was drawn, so the next [`draw`](Self::draw) redraws
    /// every strip.
    pub(super) fn redraw_all(&mut self) {
        self.drawn.clear();
    }

    /// Draws `layout`; `settings.strip_px` is measured here.
    pub(super) fn draw(&mut self, doc: &Document, layout: &Layout, settings: MapSettings) {
        let Ok(container) = element(doc, "map-strips") else {
            return;
        };
        let width = (container.client_width() - LABEL_PX - 8).max(120);
        let strip_px = u32::try_from(width).unwrap_or(DEFAULT_STRIP_PX);
        if strip_px != self.strip_px {
            self.strip_px = strip_px;
            self.drawn.clear();
        }
        let settings = MapSettings {
            strip_px,
            ..settings
        };
        let view = view::map_view(layout, &settings);
        let scale = html::StripScale {
            bytes: view.scale,
            segment_size: settings.segment_size,
            px: strip_px,
        };
        // The strips are the shown segments': the layout's, and a merge's
        // inputs while its replay still shows them.
        let fresh: Vec<(u32, String)> = view
            .strips
            .iter()
            .zip(view::shown_segments(layout, &settings))
            .map(|(strip, segment)| (strip.id, html::strip_html(strip, segment, scale)))
            .collect();
        let same_prefix = self.drawn.len() <= fresh.len()
            && self
                .drawn
                .iter()
                .zip(&fresh)
                .all(|((old, _), (new, _))| old == new);
        if !same_prefix || self.drawn.is_empty() {
            let html: String = fresh.iter().map(|(_, html)| html.as_str()).collect();
            container.set_inner_html(&html);
        } else {
            let children = container.children();
            for (i, ((_, old), (_, new))) in self.drawn.iter().zip(&fresh).enumerate() {
                if old != new
                    && let Some(child) = children.item(i as u32)
                {
                    child.set_outer_html(new);
                }
            }
            for (_, html) in &fresh[self.drawn.len()..] {
                let _ = container.insert_adjacent_html("beforeend", html);
            }
        }
        if fresh.is_empty() {
            container.set_inner_html(r#"<p class="empty">No segments.</p>"#);
        }
        self.drawn = fresh;
    }
}

/// Draws the index: the live keys whose text contains the filter's, and
/// where a merge being replayed has their entries (`repoint`).
pub(super) fn draw_index(
    doc: &Document,
    layout: &Layout,
    selection: &Selection,
    repoint: &BTreeMap<Vec<u8>, RowRepoint>,
) {
    let Ok(index) = element(doc, "index") else {
        return;
    };
    let filter = input(doc, "index-filter")
        .map(|f| f.value())
        .unwrap_or_default();
    let rows = view::index_rows(layout);
    index.set_inner_html(&index_html(
        &rows,
        &filter,
        selection.key(),
        INDEX_ROWS,
        repoint,
    ));
}

/// What the cell `id` is, for the details panel (`None` when the layout no
/// longer has it).
fn cell_details(layout: &Layout, id: CellId, now: Now) -> Option<String> {
    let segment_of = |wanted: u32| layout.segments.iter().find(|s| s.id.0 == wanted);
    match id {
        CellId::Header { segment } => segment_of(segment).map(html::header_details_html),
        CellId::Corrupt { segment, offset } => segment_of(segment)
            .filter(|s| s.corrupt.iter().any(|range| range.offset == offset))
            .map(|_| html::corrupt_details_html(segment, offset)),
        CellId::Record { segment, index } => view::record_at(layout, segment, index)
            .map(|record| html::record_details_html(layout, segment, record, now)),
    }
}

/// Fills the details panel: the cell `hovered` if the layout still has
/// it, else the picked record, else the hint.
pub(super) fn show_details(
    doc: &Document,
    layout: &Layout,
    now: Now,
    hovered: Option<CellId>,
    selection: &Selection,
) {
    let picked = || {
        let (segment, index) = selection.record()?;
        cell_details(layout, CellId::Record { segment, index }, now)
    };
    let html = hovered
        .and_then(|id| cell_details(layout, id, now))
        .or_else(picked);
    if let Ok(details) = element(doc, "details") {
        details.set_inner_html(html.as_deref().unwrap_or(html::DETAILS_HINT));
    }
}
