//! The segment map as data: which cell goes where, how wide, in which state,
//! and what the compaction plan or its step-by-step walk adds to the picture.
//!
//! Each strip can also carry the compaction policy's verdict on its segment
//! and its part in a merge on show ([`MapSettings::policy`], from
//! [`crate::merge_policy`]); the renderer draws the dead fraction against
//! the trigger and threshold from it. While a merge is replayed, its
//! inputs — gone from the store already — are drawn as they were, in
//! their place among the others ([`shown_segments`]), until the index has
//! left them.
//!
//! Everything here is a pure function of the engine's [`Layout`] and a few
//! view settings, so it is tested natively and the DOM code (`app`) only turns
//! the result into elements (through `render`). Widths are in bytes; the
//! renderer turns them into percentages of the strip, and the one place pixels
//! matter — aggregating cells narrower than a pixel, so 10,000 records stay
//! cheap to draw — takes the strip's width as an input.

use std::collections::{BTreeMap, BTreeSet};

use mini_kvstore::{
    CompactionPlan, Layout, RecordKind, RecordLayout, RecordState, SEGMENT_HEADER_LEN,
    SegmentLayout,
};

use crate::merge_policy::{MergeRole, PolicyOnMap, SegmentVerdict};
use crate::merge_replay::CellRepoint;

/// Cells narrower than this many pixels are merged with their neighbours.
pub const MIN_CELL_PX: f64 = 1.0;

/// What the compaction panel is showing on top of the map.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PlanOverlay {
    /// Nothing: the map as it is.
    #[default]
    Off,
    /// The plan: survivors and doomed segments marked.
    Plan,
    /// The walk-through: the first `step` survivors have been copied.
    Walk {
        /// Survivors copied so far.
        step: usize,
    },
}

/// How to draw the map.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MapSettings {
    /// Bytes a full strip stands for (the store's segment size).
    pub segment_size: u64,
    /// Width of a strip in pixels (for aggregation only).
    pub strip_px: u32,
    /// The key whose records are highlighted.
    pub selected_key: Option<Vec<u8>>,
    /// The compaction overlay.
    pub overlay: PlanOverlay,
    /// A record damaged by a fault button: `(segment, offset)`.
    pub damaged: Option<(u32, u64)>,
    /// The compaction policy's verdict on each sealed segment, and the
    /// merge on show (the policy panel's).
    pub policy: Option<PolicyOnMap>,
}

/// Extra marks on a record cell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Marks {
    /// Its key is the selected one.
    pub selected: bool,
    /// The index entry of the selected key points here.
    pub index_target: bool,
    /// The plan copies it.
    pub survives: bool,
    /// The plan drops it (overwritten, tombstone, bookkeeping).
    pub dropped: bool,
    /// The walk has copied it.
    pub copied: bool,
    /// The walk copies it next.
    pub next: bool,
    /// A fault button damaged it.
    pub damaged: bool,
    /// The key's current value, with a time to live: it turns expired
    /// (dead) when that runs out, without a write. Unlike the others this
    /// mark does not keep a cell out of an aggregate (every record of a
    /// store can have a TTL); an aggregate holding one carries it too.
    pub expiring: bool,
    /// Where a merge on show has its index entry: still on this input
    /// record, moved to its copy, or not yet on this copy.
    pub repoint: Option<CellRepoint>,
}

impl Marks {
    /// Whether a highlight is on that needs the cell drawn alone: anything
    /// but [`expiring`](Self::expiring), which is part of how a record
    /// looks, like its state.
    fn highlighted(self) -> bool {
        self != Marks {
            expiring: self.expiring,
            ..Marks::default()
        }
    }
}

/// What a cell shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CellKind {
    /// The segment header (magic, version, kind).
    Header,
    /// One record; `index` is its position in the segment's record list.
    Record {
        /// Position in [`SegmentLayout::records`].
        index: usize,
        /// Its state.
        state: RecordState,
        /// Its kind.
        kind: RecordKind,
    },
    /// Consecutive records too narrow to draw one by one.
    Aggregate {
        /// How many.
        count: usize,
        /// The state holding most of their bytes.
        state: RecordState,
    },
    /// Bytes holding no valid record.
    Corrupt,
}

/// One cell of a strip.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cell {
    /// What it shows.
    pub kind: CellKind,
    /// Byte offset in the segment.
    pub start: u64,
    /// Bytes it covers.
    pub len: u64,
    /// Highlights.
    pub marks: Marks,
}

/// One segment's strip.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StripView {
    /// The segment's number.
    pub id: u32,
    /// New writes go here.
    pub active: bool,
    /// Ends with a seal record.
    pub sealed: bool,
    /// Written by compaction.
    pub compacted: bool,
    /// Bytes in the segment.
    pub len: u64,
    /// Live bytes (records the index points at).
    pub live_bytes: u64,
    /// The compaction overlay says this segment will be removed.
    pub doomed: bool,
    /// How the compaction policy sees it (sealed segments, when the map
    /// shows the policy).
    pub verdict: Option<SegmentVerdict>,
    /// The part it plays in the merge on show, and ms since that part
    /// began (for its animation).
    pub merge_role: Option<(MergeRole, u64)>,
    /// The cells, left to right.
    pub cells: Vec<Cell>,
}

/// The whole map.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MapView {
    /// Bytes a full strip stands for: the segment size, or the largest
    /// segment if one is bigger (a record larger than a segment).
    pub scale: u64,
    /// One strip per segment, oldest first.
    pub strips: Vec<StripView>,
}

/// The segments the map draws, in order: the layout's, and the inputs of a
/// merge on show while they are still on show (they keep their place by
/// number).
pub fn shown_segments<'a>(layout: &'a Layout, settings: &'a MapSettings) -> Vec<&'a SegmentLayout> {
    let mut segments: Vec<&SegmentLayout> = layout.segments.iter().collect();
    if let Some(policy) = &settings.policy {
        segments.extend(&policy.merged);
        segments.sort_by_key(|s| s.id);
    }
    segments
}

/// Builds the map for `layout`: a strip for each of its
/// [`shown_segments`].
pub fn map_view(layout: &Layout, settings: &MapSettings) -> MapView {
    let shown = shown_segments(layout, settings);
    let scale = shown
        .iter()
        .map(|s| s.len)
        .chain([settings.segment_size, 1])
        .max()
        .unwrap_or(1);
    let px_per_byte = f64::from(settings.strip_px) / scale as f64;
    let survivors: BTreeSet<(u32, u64)> = layout
        .plan
        .survivors
        .iter()
        .map(|s| (s.from.segment.0, s.from.offset))
        .collect();
    let walk_order: BTreeMap<(u32, u64), usize> = layout
        .plan
        .survivors
        .iter()
        .enumerate()
        .map(|(i, s)| ((s.from.segment.0, s.from.offset), i))
        .collect();
    let strips = shown
        .into_iter()
        .map(|segment| {
            let merge_role = settings.policy.as_ref().and_then(|p| p.role(segment.id.0));
            let merged = matches!(merge_role, Some((MergeRole::Merged, _)));
            let cells = segment_cells(segment, settings, merged, &survivors, &walk_order);
            StripView {
                id: segment.id.0,
                active: segment.active,
                sealed: segment.sealed,
                compacted: segment.is_compacted(),
                len: segment.len,
                live_bytes: segment.live_bytes(),
                doomed: !merged
                    && settings.overlay != PlanOverlay::Off
                    && layout.plan.inputs.contains(&segment.id),
                verdict: settings
                    .policy
                    .as_ref()
                    .and_then(|p| p.verdicts.get(&segment.id.0).copied())
                    .filter(|_| !merged),
                merge_role,
                cells: aggregate(cells, px_per_byte),
            }
        })
        .collect();
    MapView { scale, strips }
}

/// The cells of `segment`; `merged` when it is a merge's input on show
/// after the merge (it takes only the repointing's marks: the selection,
/// the plan and a fault are about the store as it is).
fn segment_cells(
    segment: &SegmentLayout,
    settings: &MapSettings,
    merged: bool,
    survivors: &BTreeSet<(u32, u64)>,
    walk_order: &BTreeMap<(u32, u64), usize>,
) -> Vec<Cell> {
    let id = segment.id.0;
    let mut cells = vec![Cell {
        kind: CellKind::Header,
        start: 0,
        len: SEGMENT_HEADER_LEN.min(segment.len),
        marks: Marks::default(),
    }];
    for (index, record) in segment.records.iter().enumerate() {
        let place = (id, record.offset);
        let repoint = settings
            .policy
            .as_ref()
            .and_then(|p| p.repoint.get(&place).copied());
        if merged {
            cells.push(Cell {
                kind: CellKind::Record {
                    index,
                    state: record.state,
                    kind: record.kind,
                },
                start: record.offset,
                len: record.len,
                marks: Marks {
                    repoint,
                    ..Marks::default()
                },
            });
            continue;
        }
        let selected = is_data(record)
            && settings
                .selected_key
                .as_deref()
                .is_some_and(|key| key == record.key.as_slice());
        let mut marks = Marks {
            selected,
            index_target: selected && record.state == RecordState::Live,
            damaged: settings.damaged == Some(place),
            expiring: is_expiring(record),
            repoint,
            ..Marks::default()
        };
        match settings.overlay {
            PlanOverlay::Off => {}
            PlanOverlay::Plan => {
                marks.survives = survivors.contains(&place);
                marks.dropped = !marks.survives;
            }
            PlanOverlay::Walk { step } => {
                marks.survives = survivors.contains(&place);
                marks.dropped = !marks.survives;
                if let Some(&order) = walk_order.get(&place) {
                    marks.copied = order < step;
                    marks.next = order == step;
                }
            }
        }
        cells.push(Cell {
            kind: CellKind::Record {
                index,
                state: record.state,
                kind: record.kind,
            },
            start: record.offset,
            len: record.len,
            marks,
        });
    }
    for range in &segment.corrupt {
        cells.push(Cell {
            kind: CellKind::Corrupt,
            start: range.offset,
            len: range.len,
            marks: Marks::default(),
        });
    }
    cells.sort_by_key(|c| c.start);
    cells
}

/// Whether a record is the key's current value and has a time to live: it
/// will turn [`RecordState::Expired`] when that runs out.
pub fn is_expiring(record: &RecordLayout) -> bool {
    record.state == RecordState::Live && record.expires_at.is_some()
}

/// Whether a record holds a key (a put or a tombstone), as opposed to a seal
/// or compaction commit. The engine decides which records are bookkeeping
/// ([`RecordState::of`] makes them [`RecordState::Meta`]); this only asks.
pub fn is_data(record: &RecordLayout) -> bool {
    record.state != RecordState::Meta
}

/// Merges runs of unmarked record cells narrower than [`MIN_CELL_PX`] into
/// aggregates at least that wide, coloured by the state holding most of
/// their bytes. A strip then never has many more cells than pixels, however
/// many records it holds. Highlighted cells (selected, planned, damaged) are
/// always drawn alone so highlights stay exact.
fn aggregate(cells: Vec<Cell>, px_per_byte: f64) -> Vec<Cell> {
    let narrow = |cell: &Cell| (cell.len as f64) * px_per_byte < MIN_CELL_PX;
    if !cells.iter().any(narrow) {
        return cells;
    }
    let mut out: Vec<Cell> = Vec::with_capacity(cells.len());
    let mut run: Vec<Cell> = Vec::new();
    for cell in cells {
        let mergeable = matches!(cell.kind, CellKind::Record { .. })
            && !cell.marks.highlighted()
            && narrow(&cell);
        if mergeable {
            run.push(cell);
            let run_len: u64 = run.iter().map(|c| c.len).sum();
            if run_len as f64 * px_per_byte >= MIN_CELL_PX {
                close_run(&mut run, &mut out);
            }
        } else {
            close_run(&mut run, &mut out);
            out.push(cell);
        }
    }
    close_run(&mut run, &mut out);
    out
}

/// Emits `run` as one aggregate cell (or as is, when it is a single cell).
fn close_run(run: &mut Vec<Cell>, out: &mut Vec<Cell>) {
    if run.len() < 2 {
        out.append(run);
        return;
    }
    let mut bytes_by_state: Vec<(RecordState, u64)> = Vec::new();
    for cell in run.iter() {
        if let CellKind::Record { state, .. } = cell.kind {
            match bytes_by_state.iter_mut().find(|(s, _)| *s == state) {
                Some((_, bytes)) => *bytes += cell.len,
                None => bytes_by_state.push((state, cell.len)),
            }
        }
    }
    let state = bytes_by_state
        .iter()
        .max_by_key(|(_, bytes)| *bytes)
        .map_or(RecordState::Meta, |(state, _)| *state);
    let start = run[0].start;
    let end = run.iter().map(|c| c.start + c.len).max().unwrap_or(start);
    let expiring = run.iter().any(|c| c.marks.expiring);
    out.push(Cell {
        kind: CellKind::Aggregate {
            count: run.len(),
            state,
        },
        start,
        len: end - start,
        marks: Marks {
            expiring,
            ..Marks::default()
        },
    });
    run.clear();
}

/// A segment the compaction walk is filling.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreviewSegment {
    /// Bytes so far (header included).
    pub len: u64,
    /// `(survivor index, offset, length)` of each record copied into it.
    pub records: Vec<(usize, u64, u64)>,
}

/// The output segments after the walk has copied `step` survivors, packed
/// the way compaction packs them: a new segment when the next record would
/// pass the segment size (a record bigger than that gets its own).
pub fn walk_outputs(plan: &CompactionPlan, step: usize, segment_size: u64) -> Vec<PreviewSegment> {
    let mut outputs: Vec<PreviewSegment> = Vec::new();
    for (i, survivor) in plan.survivors.iter().take(step).enumerate() {
        let len = u64::from(survivor.from.len);
        let start_new = match outputs.last() {
            None => true,
            Some(last) => last.len > SEGMENT_HEADER_LEN && last.len + len > segment_size,
        };
        if start_new {
            outputs.push(PreviewSegment {
                len: SEGMENT_HEADER_LEN,
                records: Vec::new(),
            });
        }
        if let Some(current) = outputs.last_mut() {
            current.records.push((i, current.len, len));
            current.len += len;
        }
    }
    outputs
}

/// A key or value for display on one line: text as is when it is printable
/// UTF-8, escaped otherwise, cut to `max` characters with `…`.
///
/// Not [`mini_kvstore_commands::display_bytes`]`(bytes, max, false)`, which
/// wraps anything it escapes (and the empty string) in double quotes: a
/// terminal line needs them to show where a key ends, but on the page every
/// key already sits in a `<code>` element or a map cell of its own, and in a
/// cell a few pixels wide the quotes would take the room of the key. The
/// cutting is shared ([`mini_kvstore_commands::ellipsize`]).
pub fn show_bytes(bytes: &[u8], max: usize) -> String {
    let shown = match std::str::from_utf8(bytes) {
        Ok(text) if !text.chars().any(char::is_control) => text.to_owned(),
        Ok(text) => text.escape_debug().to_string(),
        Err(_) => bytes.escape_ascii().to_string(),
    };
    mini_kvstore_commands::ellipsize(shown, max)
}

/// One row of the index panel: a live key and where its record is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexRow {
    /// The key.
    pub key: Vec<u8>,
    /// The segment holding its live record.
    pub segment: u32,
    /// The record's offset.
    pub offset: u64,
    /// The record's length.
    pub len: u64,
    /// The record's sequence number.
    pub seq: u64,
    /// When its value expires (ms since the epoch), if it has a TTL.
    pub expires_at: Option<u64>,
}

/// Every live key in key order, with where the index points, read from the
/// layout (whose live records are exactly the index's targets).
pub fn index_rows(layout: &Layout) -> Vec<IndexRow> {
    let mut rows: Vec<IndexRow> = layout
        .segments
        .iter()
        .flat_map(|segment| {
            segment
                .records
                .iter()
                .filter(|r| r.state == RecordState::Live)
                .map(move |r| IndexRow {
                    key: r.key.clone(),
                    segment: segment.id.0,
                    offset: r.offset,
                    len: r.len,
                    seq: r.seq,
                    expires_at: r.expires_at,
                })
        })
        .collect();
    rows.sort_by(|a, b| a.key.cmp(&b.key));
    rows
}

/// The record at `(segment, index)` of the layout.
pub fn record_at(layout: &Layout, segment: u32, index: usize) -> Option<&RecordLayout> {
    layout
        .segments
        .iter()
        .find(|s| s.id.0 == segment)
        .and_then(|s| s.records.get(index))
}

/// For an overwritten record: the seq of the key's live record, if any.
pub fn newer_seq(layout: &Layout, key: &[u8]) -> Option<u64> {
    layout
        .segments
        .iter()
        .flat_map(|s| &s.records)
        .filter(|r| is_data(r) && r.key == key)
        .map(|r| r.seq)
        .max()
}

#[cfg(test)]
mod tests;
