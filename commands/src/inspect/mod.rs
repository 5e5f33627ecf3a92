//! `inspect`: the segments drawn as text.
//!
//! One row per segment with its kind, state, size and live bytes, then a
//! strip of cells: each cell stands for the same number of bytes in every
//! row (a power of two, chosen so the largest segment fits in
//! [`MAP_WIDTH`] cells), and shows the state that owns most of those bytes
//! as a letter — `L` live, `o` overwritten, `T` tombstone, `M` seal or
//! commit, `X` corrupt. Letters, not colour, carry the meaning, so the map
//! reads the same in a pipe; hosts colour the letters by their [`Tone`].
//! Segments are drawn to one scale so that their lengths compare at a glance
//! (the playground draws the same model, sized by bytes). A record much
//! smaller than a cell can vanish from the strip; the counts line and
//! `--verbose` list every record exactly.
//!
//! What state a record is in, the word for that state and for each record
//! and segment kind, and what a seal or commit record says are the engine's
//! (`mini_kvstore::layout`); this module only chooses letters, tones and
//! columns for them.

use mini_kvstore::{
    CommitPayload, CorruptRange, MergeReason, MetaPayload, RecordKind, RecordLayout, RecordState,
    SEGMENT_HEADER_LEN, SegmentLayout,
};

use crate::reply::LayoutView;
use crate::text::{Line, Text, Tone, count, display_bytes, human_bytes};

/// The most cells a segment's strip takes.
pub const MAP_WIDTH: u64 = 40;

/// How many characters of a key or value `--verbose` shows.
const PREVIEW_CHARS: usize = 24;

/// What a cell of the map, or a row of `--verbose`, shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cell {
    Record(RecordState),
    Corrupt,
}

impl Cell {
    fn letter(self) -> char {
        match self {
            Cell::Record(RecordState::Live) => 'L',
            Cell::Record(RecordState::Overwritten) => 'o',
            Cell::Record(RecordState::Tombstone) => 'T',
            Cell::Record(RecordState::Meta) => 'M',
            Cell::Record(RecordState::Expired) => 'e',
            Cell::Corrupt => 'X',
        }
    }

    /// The state's own word; corrupt bytes are no record, so no state, and
    /// their word is this module's.
    fn word(self) -> &'static str {
        match self {
            Cell::Record(state) => state.name(),
            Cell::Corrupt => "corrupt",
        }
    }

    fn tone(self) -> Tone {
        match self {
            Cell::Record(RecordState::Live) => Tone::Live,
            Cell::Record(RecordState::Overwritten) => Tone::Overwritten,
            Cell::Record(RecordState::Tombstone) => Tone::Tombstone,
            Cell::Record(RecordState::Meta) => Tone::Meta,
            // Dead like an overwritten value, and drawn so.
            Cell::Record(RecordState::Expired) => Tone::Overwritten,
            Cell::Corrupt => Tone::Corrupt,
        }
    }

    /// Order of the legend and the counts, and the winner of a tie for a cell.
    const ALL: [Cell; 6] = [
        Cell::Record(RecordState::Live),
        Cell::Record(RecordState::Overwritten),
        Cell::Record(RecordState::Tombstone),
        Cell::Record(RecordState::Meta),
        Cell::Record(RecordState::Expired),
        Cell::Corrupt,
    ];

    fn index(self) -> usize {
        Cell::ALL.iter().position(|c| *c == self).unwrap_or(0)
    }
}

/// Bytes of a segment after its header: what the strip draws.
fn body_len(segment: &SegmentLayout) -> u64 {
    segment.len.saturating_sub(SEGMENT_HEADER_LEN)
}

/// Bytes per cell: the smallest power of two that fits the largest segment
/// into [`MAP_WIDTH`] cells.
fn scale(segments: &[SegmentLayout]) -> u64 {
    let longest = segments.iter().map(body_len).max().unwrap_or(0);
    longest.div_ceil(MAP_WIDTH).max(1).next_power_of_two()
}

/// Every byte range of a segment's body with what it holds, in offset order.
fn pieces(segment: &SegmentLayout) -> Vec<(u64, u64, Cell)> {
    let records = segment
        .records
        .iter()
        .map(|r| (r.offset, r.len, Cell::Record(r.state)));
    let corrupt = segment
        .corrupt
        .iter()
        .map(|c: &CorruptRange| (c.offset, c.len, Cell::Corrupt));
    let mut pieces: Vec<_> = records.chain(corrupt).collect();
    pieces.sort_by_key(|(offset, _, _)| *offset);
    pieces
}

/// The strip of one segment: per cell, the state owning most of its bytes.
fn strip(segment: &SegmentLayout, scale: u64) -> Vec<Cell> {
    let cells = body_len(segment).div_ceil(scale) as usize;
    let mut owned = vec![[0u64; Cell::ALL.len()]; cells];
    for (offset, len, cell) in pieces(segment) {
        let start = offset.saturating_sub(SEGMENT_HEADER_LEN);
        let end = start + len;
        let mut at = start;
        while at < end {
            let index = (at / scale) as usize;
            let cell_end = (index as u64 + 1) * scale;
            let piece_end = end.min(cell_end);
            if let Some(counts) = owned.get_mut(index) {
                counts[cell.index()] += piece_end - at;
            }
            at = piece_end;
        }
    }
    owned
        .iter()
        .map(|counts| {
            // `max_by_key` keeps the last of equals; reversing makes the
            // earlier state in `Cell::ALL` win a tie.
            let (winner, _) = counts
                .iter()
                .enumerate()
                .rev()
                .max_by_key(|(_, bytes)| **bytes)
                .unwrap_or((0, &0));
            Cell::ALL[winner]
        })
        .collect()
}

/// `inspect`'s text.
pub(crate) fn render_layout(view: &LayoutView) -> Text {
    let segments = &view.layout.segments;
    let scale = scale(segments);
    let mut text = Text::new();

    let total: u64 = segments.iter().map(|s| s.len).sum();
    let live: u64 = segments.iter().map(SegmentLayout::live_bytes).sum();
    let what = match view.segment {
        Some(id) => format!("Segment {id}"),
        None => count(segments.len() as u64, "segment"),
    };
    text.line(Line::toned(
        format!(
            "{what}: {} on disk, {} in live records ({})",
            human_bytes(total),
            human_bytes(live),
            percent(live, total)
        ),
        Tone::Heading,
    ));

    let rows: Vec<[String; 5]> = segments
        .iter()
        .map(|s| {
            [
                s.id.to_string(),
                s.kind.name().to_owned(),
                if s.active {
                    "active"
                } else if s.sealed {
                    "sealed"
                } else {
                    "unsealed"
                }
                .to_owned(),
                human_bytes(s.len),
                human_bytes(s.live_bytes()),
            ]
        })
        .collect();
    let header = ["seg", "kind", "state", "size", "live"];
    let mut widths = header.map(str::len);
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let columns = |row: &[String; 5]| {
        format!(
            "  {:>w0$}  {:<w1$}  {:<w2$}  {:>w3$}  {:>w4$}  ",
            row[0],
            row[1],
            row[2],
            row[3],
            row[4],
            w0 = widths[0],
            w1 = widths[1],
            w2 = widths[2],
            w3 = widths[3],
            w4 = widths[4],
        )
    };
    text.line(
        Line::toned(columns(&header.map(str::to_owned)), Tone::Heading)
            .push("records ", Tone::Heading)
            .push(format!("(1 cell = {})", human_bytes(scale)), Tone::Muted),
    );

    let mut counts = [0u64; Cell::ALL.len()];
    let verbose_widths = VerboseWidths::of(segments);
    for (segment, row) in segments.iter().zip(&rows) {
        let mut line = Line::plain(columns(row));
        let cells = strip(segment, scale);
        if cells.is_empty() {
            line = line.push("(empty)", Tone::Muted);
        }
        for cell in cells {
            line = line.push(cell.letter(), cell.tone());
        }
        text.line(line);
        if let Some(note) = policy_note(view, segment) {
            text.line(note);
        }
        for (_, _, cell) in pieces(segment) {
            counts[cell.index()] += 1;
        }
        if view.verbose {
            render_records(&mut text, segment, &verbose_widths);
        }
    }

    let mut tally = Line::toned("records: ", Tone::Heading);
    let mut first = true;
    for cell in Cell::ALL {
        let n = counts[cell.index()];
        if n == 0 && cell != Cell::Record(RecordState::Live) {
            continue;
        }
        if !first {
            tally = tally.plain_then(", ");
        }
        first = false;
        tally = tally
            .plain_then(format!("{n} "))
            .push(cell.word(), cell.tone());
    }
    text.line(tally);

    let mut legend = Line::toned("legend: ", Tone::Muted);
    for cell in Cell::ALL {
        // Expired records are named only where there are some.
        if cell == Cell::Record(RecordState::Expired) && counts[cell.index()] == 0 {
            continue;
        }
        legend = legend
            .push(cell.letter(), cell.tone())
            .push(format!(" {}  ", legend_word(cell)), Tone::Muted);
    }
    text.line(Line {
        spans: trim_end(legend).spans,
    });

    let plan = &view.layout.plan;
    text.line(
        Line::toned("compaction plan: ", Tone::Heading).plain_then(format!(
            "rewrite {} ({}) into {} and a fresh active one ({} in all), keeping {}: {}",
            count(plan.inputs.len() as u64, "segment"),
            human_bytes(plan.bytes_before),
            count(plan.output_segments as u64, "segment"),
            human_bytes(plan.bytes_after),
            count(plan.survivors.len() as u64, "record"),
            if plan.bytes_after > plan.bytes_before {
                // Seals, the commit and the new header outweigh the dead bytes.
                format!(
                    "{} more than now, nothing to gain yet",
                    human_bytes(plan.bytes_after - plan.bytes_before)
                )
            } else {
                format!("{} reclaimed", human_bytes(plan.bytes_reclaimed()))
            },
        )),
    );
    text.line(policy_line(view));
    text
}

/// Under a sealed segment's row, how the policy sees it: its dead share
/// against the trigger and threshold it met, and whether the next merge
/// takes it. Nothing for a segment the policy has no reason to merge, nor
/// for a small one that no merge takes.
fn policy_note(view: &LayoutView, segment: &SegmentLayout) -> Option<Line> {
    let seen = view.policy.segments.iter().find(|s| s.id == segment.id)?;
    let reason = seen.reason?;
    if reason == MergeReason::SmallSegment && !seen.selected {
        return None;
    }
    let note = format!(
        "        ↳ {} dead: {}{}",
        percent(seen.dead_bytes, seen.len),
        reason.describe(),
        if seen.selected {
            "; the next merge takes it"
        } else {
            ""
        }
    );
    let tone = if seen.selected {
        Tone::Warning
    } else {
        Tone::Muted
    };
    Some(Line::toned(note, tone))
}

/// What the compaction policy would merge next, against its trigger and
/// threshold.
fn policy_line(view: &LayoutView) -> Line {
    let settings = &view.settings;
    let rule = format!(
        "a sealed segment {:.0}% dead starts a merge; those {:.0}% dead and the small ones join",
        settings.get_fragmentation_trigger() * 100.0,
        settings.get_fragmentation_threshold() * 100.0
    );
    let next = match &view.policy.merge {
        None => "nothing is due".to_owned(),
        Some(merge) => {
            let ids: Vec<String> = merge.inputs.iter().map(ToString::to_string).collect();
            let kept = if merge.kept_tombstones.is_empty() {
                String::new()
            } else {
                format!(
                    ", keeping {} that older puts elsewhere still need",
                    count(merge.kept_tombstones.len() as u64, "tombstone")
                )
            };
            format!(
                "next it merges {} {} ({} into {}){kept}",
                if ids.len() == 1 {
                    "segment"
                } else {
                    "segments"
                },
                ids.join(", "),
                human_bytes(merge.bytes_before),
                human_bytes(merge.bytes_after),
            )
        }
    };
    Line::toned("merge policy: ", Tone::Heading).plain_then(format!("{rule}; {next}"))
}

fn legend_word(cell: Cell) -> &'static str {
    match cell {
        Cell::Record(RecordState::Meta) => "seal/commit",
        other => other.word(),
    }
}

fn percent(part: u64, whole: u64) -> String {
    if whole == 0 {
        "0%".to_owned()
    } else {
        format!("{:.0}%", part as f64 * 100.0 / whole as f64)
    }
}

/// `line` without trailing spaces.
fn trim_end(mut line: Line) -> Line {
    while let Some(last) = line.spans.last_mut() {
        let trimmed = last.text.trim_end().len();
        last.text.truncate(trimmed);
        if last.text.is_empty() {
            line.spans.pop();
        } else {
            break;
        }
    }
    line
}

/// Column widths of the `--verbose` rows, shared by every segment so the
/// columns line up down the whole listing.
struct VerboseWidths {
    offset: usize,
    size: usize,
    seq: usize,
}

impl VerboseWidths {
    fn of(segments: &[SegmentLayout]) -> Self {
        let digits = |n: u64| n.to_string().len();
        let records = segments.iter().flat_map(|s| &s.records);
        let ranges = segments.iter().flat_map(|s| &s.corrupt);
        VerboseWidths {
            offset: records
                .clone()
                .map(|r| digits(r.offset))
                .chain(ranges.clone().map(|c| digits(c.offset)))
                .max()
                .unwrap_or(1),
            size: records
                .clone()
                .map(|r| human_bytes(r.len).len())
                .chain(ranges.map(|c| human_bytes(c.len).len()))
                .max()
                .unwrap_or(1),
            seq: records.map(|r| digits(r.seq)).max().unwrap_or(1),
        }
    }
}

/// One row per record (and per corrupt range) of `segment`, in offset order.
fn render_records(text: &mut Text, segment: &SegmentLayout, widths: &VerboseWidths) {
    let mut corrupt = segment.corrupt.iter().peekable();
    for record in &segment.records {
        while let Some(range) = corrupt.next_if(|c| c.offset < record.offset) {
            text.line(corrupt_row(range, widths));
        }
        text.line(record_row(record, widths));
    }
    for range in corrupt {
        text.line(corrupt_row(range, widths));
    }
}

fn record_row(record: &RecordLayout, w: &VerboseWidths) -> Line {
    let cell = Cell::Record(record.state);
    let kind = record.kind.name();
    let detail = match (&record.meta, record.kind) {
        (Some(MetaPayload::Seal { next_seq }), _) => format!("next seq {next_seq}"),
        (Some(MetaPayload::Commit(commit)), _) => commit_inputs(commit),
        (None, RecordKind::Put) => format!(
            "key {}  value {}{}",
            display_bytes(&record.key, PREVIEW_CHARS, false),
            value_preview(record),
            if record.value_len > record.value_preview.len() as u64 {
                format!("… ({})", human_bytes(record.value_len))
            } else {
                String::new()
            }
        ),
        (None, RecordKind::Tombstone) => {
            format!("key {}", display_bytes(&record.key, PREVIEW_CHARS, false))
        }
        // A seal or commit whose payload the engine could not decode: the
        // kind column says what it is, and there is nothing more to tell.
        (None, RecordKind::Seal | RecordKind::CompactionCommit) => String::new(),
    };
    Line::plain(format!(
        "      @{:>wo$}  {:>ws$}  seq {:<wq$}  ",
        record.offset,
        human_bytes(record.len),
        record.seq,
        wo = w.offset,
        ws = w.size,
        wq = w.seq,
    ))
    .push(
        format!("{} {:<11}", cell.letter(), cell.word()),
        cell.tone(),
    )
    .plain_then(format!("  {kind:<9}  "))
    .push(format!("crc {:08x} ok", record.crc), Tone::Muted)
    .plain_then(if detail.is_empty() {
        String::new()
    } else {
        format!("  {detail}")
    })
}

fn corrupt_row(range: &CorruptRange, w: &VerboseWidths) -> Line {
    Line::plain(format!(
        "      @{:>wo$}  {:>ws$}  {:wq$}      ",
        range.offset,
        human_bytes(range.len),
        "",
        wo = w.offset,
        ws = w.size,
        wq = w.seq,
    ))
    .push(format!("X {:<11}", Cell::Corrupt.word()), Tone::Corrupt)
    .push("  no valid record here", Tone::Bad)
}

/// The start of a value, quoted so that spaces and emptiness show. A
/// preview can end inside a UTF-8 character; that partial character is left
/// out rather than making the whole preview look like binary.
fn value_preview(record: &RecordLayout) -> String {
    let preview = record.value_preview.as_slice();
    let cut = record.value_len > preview.len() as u64;
    let preview = match std::str::from_utf8(preview) {
        Err(e) if cut && e.error_len().is_none() => &preview[..e.valid_up_to()],
        _ => preview,
    };
    display_bytes(preview, PREVIEW_CHARS, true)
}

/// What a commit record says: the segments the compaction replaced, every
/// one of them (the engine decoded the whole payload, not just the preview).
fn commit_inputs(commit: &CommitPayload) -> String {
    let ids: Vec<String> = commit.inputs.iter().map(ToString::to_string).collect();
    format!("removes segments {}", ids.join(", "))
}

#[cfg(test)]
mod tests;
