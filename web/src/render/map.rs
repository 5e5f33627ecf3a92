//! The segment map as HTML: one strip per segment with a cell per record,
//! the compaction walk's preview strips, and the details panel for whatever
//! cell the pointer is on.
//!
//! A sealed segment the policy has assessed also gets a meter under its
//! strip: its dead bytes as a bar, the policy's threshold and trigger as
//! labelled marks where those bytes would have to reach, and in its label
//! how dead it is and, for the next merge's inputs, why the policy takes
//! them; a merge on show marks its inputs and outputs (`merging-input`,
//! `merge-output`).
//!
//! The one shape this module owns is [`CellId`], the `data-i` name of a map
//! cell: written here, parsed back by the page on hover and click.
//!
//! Strips hold nothing that changes with the time alone: an expiring record
//! is marked (`expiring`, with its `data-expires-at`) but its countdown is
//! only in the details panel. So a strip's HTML changes when a record of it
//! expires — the page reads the layout again then — and not every second,
//! and the page's strip cache replaces just that strip.

use std::fmt::{self, Write as _};

use mini_kvstore::{
    CompactionPlan, Layout, MergeReason, MetaPayload, RecordKind, RecordLayout, RecordState,
    SegmentLayout,
};
use mini_kvstore_commands::{count, human_bytes};

use super::escape;
use crate::expiry::{Countdown, Now, clock_time};
use crate::merge_policy::{MergeRole, SegmentVerdict, reason_name};
use crate::view::{Cell, CellKind, PreviewSegment, StripView, newer_seq, show_bytes};

/// Cells narrower than this many pixels get no key label.
const LABEL_MIN_PX: f64 = 26.0;

/// Which map cell a `data-i` attribute names: `3:h` (segment 3's header),
/// `3:c120` (corrupt bytes at offset 120), `3:7` (its eighth record). Record
/// cells carry the same text in `data-record`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CellId {
    /// A segment's header.
    Header {
        /// The segment.
        segment: u32,
    },
    /// Bytes holding no valid record.
    Corrupt {
        /// The segment.
        segment: u32,
        /// Where the bytes start.
        offset: u64,
    },
    /// A record.
    Record {
        /// The segment.
        segment: u32,
        /// Its position in [`SegmentLayout::records`].
        index: usize,
    },
}

impl CellId {
    /// The cell named by `text`, if it names one.
    pub fn parse(text: &str) -> Option<CellId> {
        let (segment, what) = text.split_once(':')?;
        let segment = segment.parse().ok()?;
        if what == "h" {
            Some(CellId::Header { segment })
        } else if let Some(offset) = what.strip_prefix('c') {
            let offset = offset.parse().ok()?;
            Some(CellId::Corrupt { segment, offset })
        } else {
            let index = what.parse().ok()?;
            Some(CellId::Record { segment, index })
        }
    }
}

impl fmt::Display for CellId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CellId::Header { segment } => write!(f, "{segment}:h"),
            CellId::Corrupt { segment, offset } => write!(f, "{segment}:c{offset}"),
            CellId::Record { segment, index } => write!(f, "{segment}:{index}"),
        }
    }
}

fn percent(bytes: u64, scale: u64) -> f64 {
    bytes as f64 * 100.0 / scale.max(1) as f64
}

/// How a strip is drawn: bytes per full strip, the store's segment size (for
/// the label; a seal may take a segment a little past it) and the strip's
/// width in pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StripScale {
    /// Bytes a full strip stands for.
    pub bytes: u64,
    /// The store's segment size.
    pub segment_size: u64,
    /// The strip's width in CSS pixels.
    pub px: u32,
}

/// One segment: its label and its strip of cells. `segment` is the layout
/// the strip was built from (for keys).
pub fn strip_html(strip: &StripView, segment: &SegmentLayout, scale: StripScale) -> String {
    let mut classes = vec!["segment"];
    if strip.active {
        classes.push("active");
    }
    if strip.sealed {
        classes.push("sealed");
    }
    if strip.compacted {
        classes.push("compacted");
    }
    if strip.doomed {
        classes.push("doomed");
    }
    if strip.verdict.is_some() {
        classes.push("assessed");
    }
    if strip.verdict.is_some_and(|v| v.selected) {
        classes.push("next-merge");
    }
    match strip.merge_role {
        Some((MergeRole::Input, _)) => classes.push("merging-input"),
        Some((MergeRole::Output, _)) => classes.push("merge-output"),
        None => {}
    }
    let role = match (strip.active, strip.sealed, strip.compacted) {
        (true, _, _) => "active — new writes go here",
        (false, true, true) => "sealed · written by compaction",
        (false, true, false) => "sealed — never written again",
        (false, false, _) => "unsealed",
    };
    let mut html = String::with_capacity(128 + strip.cells.len() * 160);
    let _ = write!(
        html,
        r#"<div class="{}" data-segment="{}" data-active="{}" data-sealed="{}"{}{}><div class="seg-label"><b>segment {}</b><span class="role">{}</span><span class="fill">{} / {} · {}% live</span>{}{}</div><div class="strip">"#,
        classes.join(" "),
        strip.id,
        strip.active,
        strip.sealed,
        strip.verdict.map(verdict_data).unwrap_or_default(),
        // A strip redrawn mid-animation resumes it (a negative delay).
        strip
            .merge_role
            .map(|(_, age)| format!(r#" style="--merge-age:-{age}ms""#))
            .unwrap_or_default(),
        strip.id,
        role,
        human_bytes(strip.len),
        human_bytes(scale.segment_size),
        (strip.live_bytes * 100).checked_div(strip.len).unwrap_or(0),
        if strip.doomed {
            r#"<span class="doom">will be removed</span>"#
        } else {
            ""
        },
        policy_label_html(strip),
    );
    let px_per_byte = f64::from(scale.px) / scale.bytes.max(1) as f64;
    for cell in &strip.cells {
        cell_html(&mut html, strip.id, cell, segment, scale.bytes, px_per_byte);
    }
    if let Some(verdict) = strip.verdict {
        meter_html(&mut html, &verdict, scale.bytes);
    }
    html.push_str("</div></div>");
    html
}

/// A strip's policy hooks: `data-dead-pct`, and `data-reason` and
/// `data-next-merge` when they apply.
fn verdict_data(verdict: SegmentVerdict) -> String {
    let mut data = format!(r#" data-dead-pct="{}""#, verdict.dead_percent());
    if let Some(reason) = verdict.reason {
        let _ = write!(data, r#" data-reason="{}""#, reason_name(reason));
    }
    if verdict.selected {
        data.push_str(r#" data-next-merge="true""#);
    }
    data
}

/// What the label says of the policy: how dead, what that means, and the
/// part in a merge on show. Words, so no colour is needed to read it.
fn policy_label_html(strip: &StripView) -> String {
    let mut html = String::new();
    if let Some(verdict) = strip.verdict {
        let standing = match verdict.reason {
            Some(reason) if reason.is_trigger() => "past the trigger",
            Some(MergeReason::SmallSegment) => "small: joins a merge",
            Some(_) => "past the threshold: joins a merge",
            None => "under the threshold",
        };
        let _ = write!(
            html,
            r#"<span class="verdict-text">{}% dead · {standing}</span>"#,
            verdict.dead_percent()
        );
        if verdict.selected
            && let Some(reason) = verdict.reason
        {
            let _ = write!(
                html,
                r#"<span class="next-merge-text">▶ next merge: {}</span>"#,
                escape(reason.describe())
            );
        }
    }
    match strip.merge_role.map(|(role, _)| role) {
        Some(MergeRole::Input) => {
            html.push_str(
                r#"<span class="merge-role">merging: copying its live records out</span>"#,
            );
        }
        Some(MergeRole::Output) => {
            html.push_str(r#"<span class="merge-role">written by the merge just now</span>"#);
        }
        None => {}
    }
    html
}

/// The dead-bytes meter under a sealed segment's strip: a bar as long as
/// the bytes a merge would give back, and the trigger and threshold marked
/// where those bytes would have to reach, each with its word.
fn meter_html(html: &mut String, verdict: &SegmentVerdict, scale: u64) {
    let _ = write!(
        html,
        r#"<div class="policy-meter" role="img" aria-label="{}% dead: {} of {}; a merge starts at {} dead, it joins one at {}"><div class="dead-bar" style="width:{:.4}%"></div><i class="mark threshold" style="left:{:.4}%"><span>threshold</span></i><i class="mark trigger" style="left:{:.4}%"><span>trigger</span></i></div>"#,
        verdict.dead_percent(),
        human_bytes(verdict.dead_bytes),
        human_bytes(verdict.len),
        human_bytes(verdict.trigger_at),
        human_bytes(verdict.threshold_at),
        percent(verdict.dead_bytes, scale),
        percent(verdict.threshold_at, scale),
        percent(verdict.trigger_at, scale),
    );
}

fn cell_html(
    html: &mut String,
    segment_id: u32,
    cell: &Cell,
    segment: &SegmentLayout,
    scale: u64,
    px_per_byte: f64,
) {
    let style = format!(
        "left:{:.4}%;width:{:.4}%",
        percent(cell.start, scale),
        percent(cell.len, scale)
    );
    let wide = cell.len as f64 * px_per_byte >= LABEL_MIN_PX;
    match &cell.kind {
        CellKind::Header => {
            let id = CellId::Header {
                segment: segment_id,
            };
            let _ = write!(
                html,
                r#"<div class="cell hdr" data-i="{id}" style="{style}"></div>"#
            );
        }
        CellKind::Corrupt => {
            let id = CellId::Corrupt {
                segment: segment_id,
                offset: cell.start,
            };
            let _ = write!(
                html,
                r#"<div class="cell corrupt" data-i="{id}" style="{style}">{}</div>"#,
                if wide { "corrupt" } else { "" }
            );
        }
        CellKind::Aggregate { count, state } => {
            let _ = write!(
                html,
                r#"<div class="cell agg {}{}" data-aggregate="{count}" style="{style}"></div>"#,
                state.name(),
                if cell.marks.expiring { " expiring" } else { "" }
            );
        }
        CellKind::Record { index, state, kind } => {
            let Some(record) = segment.records.get(*index) else {
                return;
            };
            let id = CellId::Record {
                segment: segment_id,
                index: *index,
            };
            let marks = cell.marks;
            let mut classes = format!("cell rec {}", state.name());
            for (on, class) in [
                (marks.selected, "sel"),
                (marks.index_target, "target"),
                (marks.survives, "survives"),
                (marks.dropped, "dropped"),
                (marks.copied, "copied"),
                (marks.next, "next"),
                (marks.damaged, "damaged"),
                (marks.expiring, "expiring"),
            ] {
                if on {
                    classes.push(' ');
                    classes.push_str(class);
                }
            }
            let data = match kind {
                RecordKind::Put | RecordKind::Tombstone => {
                    let mut data = format!(
                        r#" data-record="{id}" data-key="{}" data-state="{}" data-seq="{}""#,
                        escape(&String::from_utf8_lossy(&record.key)),
                        state.name(),
                        record.seq
                    );
                    if let Some(at) = record.expires_at
                        && matches!(state, RecordState::Live | RecordState::Expired)
                    {
                        let _ = write!(data, r#" data-expires-at="{at}""#);
                    }
                    data
                }
                RecordKind::Seal | RecordKind::CompactionCommit => {
                    r#" data-meta="true""#.to_owned()
                }
            };
            let label = if !wide {
                String::new()
            } else {
                match kind {
                    RecordKind::Put | RecordKind::Tombstone => escape(&show_bytes(&record.key, 40)),
                    RecordKind::Seal | RecordKind::CompactionCommit => kind.name().to_owned(),
                }
            };
            let _ = write!(
                html,
                r#"<div class="{classes}" data-i="{id}"{data} style="{style}"><span>{label}</span></div>"#
            );
        }
    }
}

/// The output segments the compaction walk has filled so far.
pub fn preview_html(
    outputs: &[PreviewSegment],
    plan: &CompactionPlan,
    scale: u64,
    strip_px: u32,
) -> String {
    let px_per_byte = f64::from(strip_px) / scale.max(1) as f64;
    let mut html = String::new();
    for (n, output) in outputs.iter().enumerate() {
        let _ = write!(
            html,
            r#"<div class="segment preview"><div class="seg-label"><b>new segment {}</b><span class="role">compaction output (not written yet)</span><span class="fill">{} so far</span></div><div class="strip">"#,
            n + 1,
            human_bytes(output.len),
        );
        let _ = write!(
            html,
            r#"<div class="cell hdr" style="left:0%;width:{:.4}%"></div>"#,
            percent(mini_kvstore::SEGMENT_HEADER_LEN, scale)
        );
        for &(survivor, offset, len) in &output.records {
            let key = plan
                .survivors
                .get(survivor)
                .map(|s| show_bytes(&s.key, 40))
                .unwrap_or_default();
            let label = if len as f64 * px_per_byte >= LABEL_MIN_PX {
                escape(&key)
            } else {
                String::new()
            };
            let _ = write!(
                html,
                r#"<div class="cell rec live" style="left:{:.4}%;width:{:.4}%"><span>{label}</span></div>"#,
                percent(offset, scale),
                percent(len, scale)
            );
        }
        html.push_str("</div></div>");
    }
    html
}

/// What a state means, in a sentence for a learner that starts with the
/// state's word.
fn explain_state(layout: &Layout, record: &RecordLayout) -> String {
    let meaning = match record.state {
        RecordState::Live if record.expires_at.is_some() => "the index points here: this is the key's current value until its time to live runs out. Then the key reads as absent and these bytes are dead, without any write.".to_owned(),
        RecordState::Live => "the index points here: this is the key's current value.".to_owned(),
        RecordState::Overwritten => match newer_seq(layout, &record.key) {
            Some(seq) if seq > record.seq => format!(
                "a newer record for this key (seq {seq}) exists, so these bytes are dead: compaction will drop them."
            ),
            _ => "this key was deleted later, so these bytes are dead.".to_owned(),
        },
        RecordState::Tombstone => "a deletion marker. It tells recovery that older values of the key are dead; compaction drops it along with them.".to_owned(),
        RecordState::Meta => "bookkeeping, not data. A seal closes a full segment (it may run a few bytes past the size limit); a commit record tells recovery that a compaction finished.".to_owned(),
        RecordState::Expired => "the key's latest value, but its time to live ran out: the key reads as absent and these bytes are dead. Compaction drops them — unless an older value of the key sits in a segment it leaves alone, which this record must keep hidden.".to_owned(),
    };
    format!("{} — {meaning}", record.state.name())
}

/// A record's kind in the engine's word, with what it does.
fn kind_html(kind: RecordKind) -> String {
    let gloss = match kind {
        RecordKind::Put => "a value",
        RecordKind::Tombstone => "a delete",
        RecordKind::Seal => "the segment is full",
        RecordKind::CompactionCommit => "a compaction finished",
    };
    format!("{} <small>({gloss})</small>", kind.name())
}

/// What a seal or commit record says, as the engine decoded it.
fn meta_html(meta: &MetaPayload) -> String {
    match meta {
        MetaPayload::Seal { next_seq } => format!(
            "<dt>says</dt><dd>next seq {next_seq} <small>(recovery starts counting from here)</small></dd>"
        ),
        MetaPayload::Commit(commit) => {
            let inputs: Vec<String> = commit.inputs.iter().map(ToString::to_string).collect();
            format!(
                "<dt>says</dt><dd>{} replaced: {} <small>(recovery deletes any of them still there)</small>; next seq {}</dd>",
                count(commit.inputs.len() as u64, "segment"),
                inputs.join(", "),
                commit.next_seq
            )
        }
    }
}

/// The details panel when no record is picked.
pub const DETAILS_HINT: &str = r#"<p class="hint">Hover over a record to see its bytes: key, value, sequence number, offset, length and CRC. Click one to select its key: every record of that key is outlined, and the one the index points at is marked.</p>"#;

/// The details panel for a segment's header.
pub fn header_details_html(segment: &SegmentLayout) -> String {
    let writer = if segment.is_compacted() {
        "compaction wrote it"
    } else {
        "set and delete append to it"
    };
    format!(
        "<p><b>Segment {}'s header</b> — {} bytes: the magic bytes <code>MKVSEG</code>, the format version and the segment's kind, <code>{}</code> ({writer}). A file without them is refused rather than misread.</p>",
        segment.id,
        mini_kvstore::SEGMENT_HEADER_LEN,
        segment.kind.name(),
    )
}

/// The details panel for bytes at `offset` of `segment` that hold no valid
/// record.
pub fn corrupt_details_html(segment: u32, offset: u64) -> String {
    format!(
        "<p><b>Corrupt bytes</b> at offset {offset} of segment {segment}: no valid record starts here (the CRC check failed). Reads skip them; compaction drops them.</p>"
    )
}

/// When a record with a time to live expires or expired, at `now`: the
/// countdown (`data-countdown`, which the page redraws every second) and
/// the clock time. What it means is the state line's to say.
fn expiry_html(record: &RecordLayout, now: Now) -> String {
    let (Some(at), Some(countdown)) = (record.expires_at, Countdown::of(record, now.millis)) else {
        return String::new();
    };
    format!(
        r#"<dt>expiry</dt><dd><b class="countdown" data-countdown>{}</b> <small>(at {})</small></dd>"#,
        countdown.words(),
        clock_time(at, now)
    )
}

/// The details panel for one record; `now` for the countdown of one that
/// expires.
pub fn record_details_html(
    layout: &Layout,
    segment: u32,
    record: &RecordLayout,
    now: Now,
) -> String {
    let kind = kind_html(record.kind);
    let expiry = expiry_html(record, now);
    let says = record.meta.as_ref().map(meta_html).unwrap_or_default();
    let value = if record.kind == RecordKind::Put {
        let mut shown = show_bytes(&record.value_preview, 40);
        if record.value_len > record.value_preview.len() as u64 && !shown.ends_with('…') {
            shown.push('…');
        }
        format!(
            "<dt>value</dt><dd><code>{}</code> <small>({})</small></dd>",
            escape(&shown),
            human_bytes(record.value_len)
        )
    } else {
        String::new()
    };
    let key = if matches!(record.kind, RecordKind::Put | RecordKind::Tombstone) {
        format!(
            "<dt>key</dt><dd><code>{}</code></dd>",
            escape(&show_bytes(&record.key, 60))
        )
    } else {
        String::new()
    };
    format!(
        r#"<p class="state-line"><span class="swatch {}"></span>{}</p><dl>{key}{value}{expiry}<dt>kind</dt><dd>{kind}</dd>{says}<dt>seq</dt><dd>{}</dd><dt>segment</dt><dd>{segment}</dd><dt>offset</dt><dd>{} <small>(bytes from the segment's start)</small></dd><dt>length</dt><dd>{} bytes <small>(21-byte header + key + value)</small></dd><dt>CRC32</dt><dd><code>{:08x}</code> <small>(checked on every read)</small></dd></dl>"#,
        record.state.name(),
        escape(&explain_state(layout, record)),
        record.seq,
        record.offset,
        record.len,
        record.crc,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::view::{MapSettings, map_view};
    use mini_kvstore::{CompactionPolicy, KvStore, ManualClock, MemStorage, Options};
    use std::sync::Arc;
    use std::time::Duration;

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    /// 2025-03-04 14:03:00 UTC.
    const T0: u64 = 1_741_096_980_000;

    /// Every strip's HTML, drawn as the page draws it.
    fn strips(layout: &Layout, segment_size: u64) -> Vec<String> {
        let settings = MapSettings {
            segment_size,
            strip_px: 600,
            ..MapSettings::default()
        };
        let view = map_view(layout, &settings);
        let scale = StripScale {
            bytes: view.scale,
            segment_size,
            px: 600,
        };
        view.strips
            .iter()
            .zip(&layout.segments)
            .map(|(strip, segment)| strip_html(strip, segment, scale))
            .collect()
    }

    #[test]
    fn strips_carry_the_test_hooks() -> TestResult {
        let store = KvStore::open_with(MemStorage::new(), Options::default())?;
        store.set("a", "1")?;
        store.set("a", "2")?;
        store.set("<b>", "x")?;
        store.delete("<b>")?;
        let layout = store.layout()?;
        let settings = MapSettings {
            segment_size: 512,
            strip_px: 600,
            ..MapSettings::default()
        };
        let view = map_view(&layout, &settings);
        let scale = StripScale {
            bytes: view.scale,
            segment_size: 512,
            px: 600,
        };
        let html = strip_html(&view.strips[0], &layout.segments[0], scale);
        assert!(html.contains(r#"data-segment="1""#), "{html}");
        assert!(html.contains(r#"data-key="a" data-state="overwritten""#));
        assert!(html.contains(r#"data-key="a" data-state="live""#));
        assert!(html.contains(r#"data-key="&lt;b&gt;" data-state="tombstone""#));
        assert!(!html.contains("<b>x"), "user data is escaped");
        Ok(())
    }

    #[test]
    fn a_strip_shows_the_policy_verdict_and_the_merge_on_show() -> TestResult {
        use crate::merge_policy::{PolicyOnMap, PolicySettings};
        let policy = PolicySettings::default().policy(256);
        let store = KvStore::open_with(
            MemStorage::new(),
            Options::default()
                .max_segment_size(256)
                .compaction_policy(policy.clone()),
        )?;
        for i in 0..40 {
            store.set(format!("k{}", i % 2), "a value of some length")?;
        }
        let layout = store.layout()?;
        let mut on_map = PolicyOnMap::of(&store.policy_plan(), &policy);
        let next = *on_map
            .verdicts
            .iter()
            .find(|(_, v)| v.selected)
            .ok_or("a segment the next merge takes")?
            .0;
        on_map.inputs.insert(next);
        let settings = MapSettings {
            segment_size: 256,
            strip_px: 600,
            policy: Some(on_map),
            ..MapSettings::default()
        };
        let view = map_view(&layout, &settings);
        let scale = StripScale {
            bytes: view.scale,
            segment_size: 256,
            px: 600,
        };
        let (strip, segment) = view
            .strips
            .iter()
            .zip(&layout.segments)
            .find(|(strip, _)| strip.id == next)
            .ok_or("the strip")?;
        let html = strip_html(strip, segment, scale);
        assert!(
            html.contains(r#"class="segment sealed assessed next-merge merging-input""#),
            "{html}"
        );
        assert!(html.contains(r#" data-reason="fragmentation_trigger" data-next-merge="true""#));
        assert!(html.contains("▶ next merge: dead fraction reached the trigger"));
        assert!(
            html.contains(r#"<span>threshold</span>"#) && html.contains(r#"<span>trigger</span>"#)
        );
        assert!(html.contains("merging: copying its live records out"));
        assert!(html.contains(r#" style="--merge-age:-0ms""#), "{html}");
        let active = view.strips.iter().find(|s| s.active).ok_or("active")?;
        assert_eq!(active.verdict, None, "the active segment never merges");
        let plain = strips(&layout, 256);
        assert!(
            plain.iter().all(|html| !html.contains("policy-meter")),
            "off by default"
        );
        Ok(())
    }

    #[test]
    fn cell_ids_read_back_as_written() {
        for id in [
            CellId::Header { segment: 3 },
            CellId::Corrupt {
                segment: 3,
                offset: 120,
            },
            CellId::Record {
                segment: 12,
                index: 7,
            },
        ] {
            assert_eq!(CellId::parse(&id.to_string()), Some(id), "{id}");
        }
        assert_eq!(CellId::Header { segment: 3 }.to_string(), "3:h");
        assert_eq!(
            CellId::parse("3:c120").map(|id| id.to_string()).as_deref(),
            Some("3:c120")
        );
        for text in ["", "3", "x:1", "3:", "3:cx", "3:-1", "3:hh"] {
            assert_eq!(CellId::parse(text), None, "{text:?}");
        }
    }

    #[test]
    fn every_cell_names_itself_with_its_id() -> TestResult {
        let store =
            KvStore::open_with(MemStorage::new(), Options::default().max_segment_size(256))?;
        for i in 0..8 {
            store.set(format!("key{i}"), "a value long enough to fill a segment")?;
        }
        let layout = store.layout()?;
        let settings = MapSettings {
            segment_size: 256,
            strip_px: 600,
            ..MapSettings::default()
        };
        let view = map_view(&layout, &settings);
        let scale = StripScale {
            bytes: view.scale,
            segment_size: 256,
            px: 600,
        };
        let html = strip_html(&view.strips[0], &layout.segments[0], scale);
        assert!(html.contains(r#"data-i="1:h""#), "{html}");
        assert!(html.contains(r#"data-i="1:0" data-record="1:0" data-key="key0""#));
        let seal = layout.segments[0].records.len() - 1;
        assert_eq!(layout.segments[0].records[seal].kind, RecordKind::Seal);
        assert!(html.contains(&format!(r#"data-i="1:{seal}" data-meta="true""#)));
        Ok(())
    }

    #[test]
    fn details_use_the_engine_words_and_decoded_payloads() -> TestResult {
        let store =
            KvStore::open_with(MemStorage::new(), Options::default().max_segment_size(256))?;
        for i in 0..8 {
            store.set(
                format!("key{}", i % 2),
                "a value long enough to fill a segment",
            )?;
        }
        store.compact()?;
        let layout = store.layout()?;
        let records = || {
            layout
                .segments
                .iter()
                .flat_map(|s| s.records.iter().map(move |r| (s.id.0, r)))
        };
        let (segment, put) = records()
            .find(|(_, r)| r.kind == RecordKind::Put)
            .ok_or("a put")?;
        let html = record_details_html(&layout, segment, put, Now::default());
        assert!(
            html.contains(r#"<span class="swatch live"></span>live — the index points here"#),
            "{html}"
        );
        assert!(
            html.contains("<dd>put <small>(a value)</small></dd>"),
            "{html}"
        );

        let (segment, commit) = records()
            .find(|(_, r)| r.kind == RecordKind::CompactionCommit)
            .ok_or("a commit record")?;
        let Some(MetaPayload::Commit(payload)) = &commit.meta else {
            return Err(format!("undecoded commit: {commit:?}").into());
        };
        let html = record_details_html(&layout, segment, commit, Now::default());
        assert!(html.contains("meta — bookkeeping, not data."), "{html}");
        assert!(html.contains("<dd>commit <small>(a compaction finished)</small></dd>"));
        let inputs: Vec<String> = payload.inputs.iter().map(ToString::to_string).collect();
        assert!(
            html.contains(&format!(
                "{} replaced: {} <small>",
                count(payload.inputs.len() as u64, "segment"),
                inputs.join(", ")
            )),
            "{html}"
        );

        let compacted = layout
            .segments
            .iter()
            .find(|s| s.is_compacted())
            .ok_or("a compacted segment")?;
        let html = header_details_html(compacted);
        assert!(
            html.contains("<code>compacted</code> (compaction wrote it)"),
            "{html}"
        );
        Ok(())
    }

    #[test]
    fn an_expiring_record_is_marked_and_turns_dead_in_its_strip_alone() -> TestResult {
        let clock = Arc::new(ManualClock::new(T0));
        let store = KvStore::open_with(
            MemStorage::new(),
            Options::default()
                .max_segment_size(256)
                .compaction_policy(CompactionPolicy::default().background(false))
                .clock(Arc::clone(&clock)),
        )?;
        store.set_with_ttl("session", "token", Duration::from_secs(12))?;
        for i in 0..6 {
            store.set(format!("key{i}"), "a value long enough to fill a segment")?;
        }
        let before = strips(&store.layout()?, 256);
        assert!(before.len() >= 2, "the writes rotated");
        let expiring = format!(
            r#"class="cell rec live expiring" data-i="1:0" data-record="1:0" data-key="session" data-state="live" data-seq="1" data-expires-at="{}""#,
            T0 + 12_000
        );
        assert!(before[0].contains(&expiring), "{}", before[0]);
        assert_eq!(before[0].matches("expiring").count(), 1, "{}", before[0]);

        // Time alone changes no strip until the record expires: the
        // countdown is not in the map.
        clock.set(T0 + 11_999);
        assert_eq!(strips(&store.layout()?, 256), before);

        clock.set(T0 + 12_000);
        let after = strips(&store.layout()?, 256);
        assert_ne!(after[0], before[0], "the strip holding it is redrawn");
        assert_eq!(after[1..], before[1..], "the others are not");
        assert!(
            after[0].contains(&format!(
                r#"class="cell rec expired" data-i="1:0" data-record="1:0" data-key="session" data-state="expired" data-seq="1" data-expires-at="{}""#,
                T0 + 12_000
            )),
            "{}",
            after[0]
        );
        assert!(!after[0].contains("expiring"));
        Ok(())
    }

    #[test]
    fn details_show_the_countdown_and_then_how_long_it_has_been_dead() -> TestResult {
        let clock = Arc::new(ManualClock::new(T0));
        let store = KvStore::open_with(
            MemStorage::new(),
            Options::default()
                .compaction_policy(CompactionPolicy::default().background(false))
                .clock(Arc::clone(&clock)),
        )?;
        store.set_with_ttl("session", "token", Duration::from_secs(27))?;
        let layout = store.layout()?;
        let put = &layout.segments[0].records[0];
        let html = record_details_html(&layout, 1, put, Now::utc(T0 + 15_000));
        assert!(
            html.contains(r#"<dt>expiry</dt><dd><b class="countdown" data-countdown>expires in 12 s</b> <small>(at 14:03:27)</small></dd>"#),
            "{html}"
        );
        assert!(
            html.contains("live — the index points here: this is the key&#39;s current value until its time to live runs out."),
            "{html}"
        );
        let html = record_details_html(&layout, 1, put, Now::utc(T0 + 26_500));
        assert!(html.contains(">expires in 1 s<"), "{html}");

        clock.set(T0 + 30_000);
        let layout = store.layout()?;
        let put = &layout.segments[0].records[0];
        let html = record_details_html(&layout, 1, put, Now::utc(T0 + 30_000));
        assert!(html.contains(">expired 3 s ago<"), "{html}");
        assert!(
            html.contains(r#"<span class="swatch expired"></span>expired — the key&#39;s latest value, but its time to live ran out"#),
            "{html}"
        );
        assert!(html.contains("unless an older value of the key"), "{html}");

        store.set("plain", "1")?;
        let layout = store.layout()?;
        let plain = layout.segments[0].records.last().ok_or("a record")?;
        let html = record_details_html(&layout, 1, plain, Now::utc(T0));
        assert!(!html.contains("expiry"), "{html}");
        Ok(())
    }
}
