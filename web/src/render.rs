//! The view model as HTML: strings for the page's panels.
//!
//! Building markup as strings (rather than element by element through
//! web-sys) keeps one `innerHTML` assignment per changed panel or strip, which
//! is what keeps a 10,000-record map fast, and keeps this code native and
//! testable: the tests check the hooks the end-to-end suite relies on
//! (`data-segment`, `data-record`, `data-key`, `data-state`). Every piece of
//! user data goes through [`escape`].

use std::fmt::Write as _;

use mini_kvstore::{CompactionPlan, Layout, RecordKind, RecordLayout, RecordState, SegmentLayout};
use mini_kvstore_commands::{Text, Tone, human_bytes};

use crate::recovery::{KeyDiff, Recovery};
use crate::view::{Cell, CellKind, IndexRow, PreviewSegment, StripView, newer_seq, show_bytes};

/// Cells narrower than this many pixels get no key label.
const LABEL_MIN_PX: f64 = 26.0;

/// Text made safe for HTML text and double-quoted attributes.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The state's name as used in `data-state` and CSS classes.
pub fn state_name(state: RecordState) -> &'static str {
    match state {
        RecordState::Live => "live",
        RecordState::Overwritten => "overwritten",
        RecordState::Tombstone => "tombstone",
        RecordState::Meta => "meta",
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
    let role = match (strip.active, strip.sealed, strip.compacted) {
        (true, _, _) => "active — new writes go here",
        (false, true, true) => "sealed · written by compaction",
        (false, true, false) => "sealed — never written again",
        (false, false, _) => "unsealed",
    };
    let mut html = String::with_capacity(128 + strip.cells.len() * 160);
    let _ = write!(
        html,
        r#"<div class="{}" data-segment="{}" data-active="{}" data-sealed="{}"><div class="seg-label"><b>segment {}</b><span class="role">{}</span><span class="fill">{} / {} · {}% live</span>{}</div><div class="strip">"#,
        classes.join(" "),
        strip.id,
        strip.active,
        strip.sealed,
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
    );
    let px_per_byte = f64::from(scale.px) / scale.bytes.max(1) as f64;
    for cell in &strip.cells {
        cell_html(&mut html, strip.id, cell, segment, scale.bytes, px_per_byte);
    }
    html.push_str("</div></div>");
    html
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
            let _ = write!(
                html,
                r#"<div class="cell hdr" data-i="{segment_id}:h" style="{style}"></div>"#
            );
        }
        CellKind::Corrupt => {
            let _ = write!(
                html,
                r#"<div class="cell corrupt" data-i="{segment_id}:c{}" style="{style}">{}</div>"#,
                cell.start,
                if wide { "corrupt" } else { "" }
            );
        }
        CellKind::Aggregate { count, state } => {
            let _ = write!(
                html,
                r#"<div class="cell agg {}" data-aggregate="{count}" style="{style}"></div>"#,
                state_name(*state)
            );
        }
        CellKind::Record { index, state, kind } => {
            let Some(record) = segment.records.get(*index) else {
                return;
            };
            let marks = cell.marks;
            let mut classes = format!("cell rec {}", state_name(*state));
            for (on, class) in [
                (marks.selected, "sel"),
                (marks.index_target, "target"),
                (marks.survives, "survives"),
                (marks.dropped, "dropped"),
                (marks.copied, "copied"),
                (marks.next, "next"),
                (marks.damaged, "damaged"),
            ] {
                if on {
                    classes.push(' ');
                    classes.push_str(class);
                }
            }
            let data = match kind {
                RecordKind::Put | RecordKind::Tombstone => format!(
                    r#" data-record="{segment_id}:{index}" data-key="{}" data-state="{}" data-seq="{}""#,
                    escape(&String::from_utf8_lossy(&record.key)),
                    state_name(*state),
                    record.seq
                ),
                RecordKind::Seal | RecordKind::CompactionCommit => {
                    r#" data-meta="true""#.to_owned()
                }
            };
            let label = if !wide {
                String::new()
            } else {
                match kind {
                    RecordKind::Put | RecordKind::Tombstone => escape(&show_bytes(&record.key, 40)),
                    RecordKind::Seal => "seal".to_owned(),
                    RecordKind::CompactionCommit => "commit".to_owned(),
                }
            };
            let _ = write!(
                html,
                r#"<div class="{classes}" data-i="{segment_id}:{index}"{data} style="{style}"><span>{label}</span></div>"#
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

/// What a state means, in a sentence for a learner.
fn explain_state(layout: &Layout, record: &RecordLayout) -> String {
    match record.state {
        RecordState::Live => {
            "live — the index points here: this is the key's current value.".to_owned()
        }
        RecordState::Overwritten => match newer_seq(layout, &record.key) {
            Some(seq) if seq > record.seq => format!(
                "overwritten — a newer record for this key (seq {seq}) exists, so these bytes are dead: compaction will drop them."
            ),
            _ => "overwritten — this key was deleted later, so these bytes are dead.".to_owned(),
        },
        RecordState::Tombstone => "tombstone — a deletion marker. It tells recovery that older values of the key are dead; compaction drops it along with them.".to_owned(),
        RecordState::Meta => "bookkeeping — not data. A seal closes a full segment (it may run a few bytes past the size limit); a commit record tells recovery that a compaction finished.".to_owned(),
    }
}

/// The details panel for one record.
pub fn record_details_html(layout: &Layout, segment: u32, record: &RecordLayout) -> String {
    let kind = match record.kind {
        RecordKind::Put => "put (a value)",
        RecordKind::Tombstone => "tombstone (a delete)",
        RecordKind::Seal => "seal",
        RecordKind::CompactionCommit => "compaction commit",
    };
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
        r#"<p class="state-line"><span class="swatch {}"></span>{}</p><dl>{key}{value}<dt>kind</dt><dd>{kind}</dd><dt>seq</dt><dd>{}</dd><dt>segment</dt><dd>{segment}</dd><dt>offset</dt><dd>{} <small>(bytes from the segment's start)</small></dd><dt>length</dt><dd>{} bytes <small>(21-byte header + key + value)</small></dd><dt>CRC32</dt><dd><code>{:08x}</code> <small>(checked on every read)</small></dd></dl>"#,
        state_name(record.state),
        escape(&explain_state(layout, record)),
        record.seq,
        record.offset,
        record.len,
        record.crc,
    )
}

/// The index panel: at most `limit` rows whose key contains `filter`.
pub fn index_html(
    rows: &[IndexRow],
    filter: &str,
    selected: Option<&[u8]>,
    limit: usize,
) -> String {
    let matching: Vec<&IndexRow> = rows
        .iter()
        .filter(|row| filter.is_empty() || String::from_utf8_lossy(&row.key).contains(filter))
        .collect();
    if rows.is_empty() {
        return r#"<p class="empty">The index is empty: no key has a value. Try <code>set hello world</code>.</p>"#.to_owned();
    }
    let mut html = String::from(
        "<table><thead><tr><th>key</th><th>→ segment</th><th>offset</th><th>bytes</th><th>seq</th></tr></thead><tbody>",
    );
    for row in matching.iter().take(limit) {
        let key = String::from_utf8_lossy(&row.key);
        let class = if selected == Some(row.key.as_slice()) {
            r#" class="sel""#
        } else {
            ""
        };
        let _ = write!(
            html,
            r#"<tr{class} data-index-key="{}"><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>"#,
            escape(&key),
            escape(&show_bytes(&row.key, 40)),
            row.segment,
            row.offset,
            row.len,
            row.seq
        );
    }
    html.push_str("</tbody></table>");
    if matching.len() > limit {
        let _ = write!(
            html,
            r#"<p class="more">… and {} more; type in the filter to narrow the list.</p>"#,
            matching.len() - limit
        );
    } else if matching.is_empty() {
        html.push_str(r#"<p class="empty">No key contains that text.</p>"#);
    }
    html
}

/// A rendered console reply, one `div` per line, tones as CSS classes.
pub fn text_html(text: &Text) -> String {
    let mut html = String::new();
    for line in &text.lines {
        html.push_str(r#"<div class="line">"#);
        for span in &line.spans {
            let class = match span.tone {
                Tone::Plain => "",
                Tone::Heading => "t-heading",
                Tone::Muted => "t-muted",
                Tone::Good => "t-good",
                Tone::Warning => "t-warning",
                Tone::Bad => "t-bad",
                Tone::Live => "t-live",
                Tone::Overwritten => "t-overwritten",
                Tone::Tombstone => "t-tombstone",
                Tone::Meta => "t-meta",
                Tone::Corrupt => "t-corrupt",
                _ => "",
            };
            if class.is_empty() {
                html.push_str(&escape(&span.text));
            } else {
                let _ = write!(
                    html,
                    r#"<span class="{class}">{}</span>"#,
                    escape(&span.text)
                );
            }
        }
        html.push_str("</div>");
    }
    html
}

/// The compaction plan in words.
pub fn plan_html(plan: &CompactionPlan) -> String {
    let copied: u64 = plan.survivors.iter().map(|s| u64::from(s.from.len)).sum();
    let reclaimed = plan.bytes_reclaimed();
    let share = (reclaimed * 100)
        .checked_div(plan.bytes_before)
        .unwrap_or(0);
    format!(
        r#"<p><b>The plan:</b> copy the <b>{}</b> live record{} (<span class="t-live">green</span>, {}) into <b>{}</b> new segment{}, then remove all <b>{}</b> current segment{}. Overwritten values, tombstones and seals (faded) are simply not copied.</p><p>Storage goes from <b>{}</b> to <b>{}</b>: <b data-reclaimed="{reclaimed}">{} reclaimed</b> ({share}%).</p>"#,
        plan.survivors.len(),
        if plan.survivors.len() == 1 { "" } else { "s" },
        human_bytes(copied),
        plan.output_segments,
        if plan.output_segments == 1 { "" } else { "s" },
        plan.inputs.len(),
        if plan.inputs.len() == 1 { "" } else { "s" },
        human_bytes(plan.bytes_before),
        human_bytes(plan.bytes_after),
        human_bytes(reclaimed),
    )
}

/// Where the compaction walk is.
pub fn walk_html(plan: &CompactionPlan, step: usize, outputs: &[PreviewSegment]) -> String {
    let total = plan.survivors.len();
    if step >= total {
        return format!(
            r#"<p><b>All {total} live record{} copied</b> into {} new segment{}. The real compaction now syncs them, appends a <i>commit</i> record naming the old segments (so a crash from here on can never bring them back), seals the outputs and deletes the old segments. Press <b>Apply</b> to do it for real.</p>"#,
            if total == 1 { "" } else { "s" },
            outputs.len().max(1),
            if outputs.len() > 1 { "s" } else { "" },
        );
    }
    let Some(survivor) = plan.survivors.get(step) else {
        return String::new();
    };
    format!(
        r#"<p><b>Step {} of {total}:</b> next, copy <code>{}</code> ({} bytes) from segment {} at offset {}. Its bytes are copied unchanged — same seq, same CRC — and the index will point at the copy. Records in between are dead and skipped.</p>"#,
        step + 1,
        escape(&show_bytes(&survivor.key, 40)),
        survivor.from.len,
        survivor.from.segment,
        survivor.from.offset,
    )
}

/// The recovery panel after a reload.
pub fn recovery_html(recovery: &Recovery) -> String {
    let report = &recovery.report;
    let mut html = String::new();
    let verdict = if report.is_clean() && recovery.load_problems.is_empty() {
        r#"<p class="verdict good">Recovery found nothing to repair.</p>"#
    } else {
        r#"<p class="verdict bad">Recovery found damage and repaired what it could.</p>"#
    };
    html.push_str(verdict);
    let _ = write!(
        html,
        "<p>It read <b>{}</b> segment{} and <b>{}</b> valid record{}, checking each record's CRC, and rebuilt the index from them (for every key, the record with the highest seq wins).</p><ul>",
        report.segments,
        if report.segments == 1 { "" } else { "s" },
        report.records,
        if report.records == 1 { "" } else { "s" },
    );
    for problem in &recovery.load_problems {
        let _ = write!(
            html,
            r#"<li class="bad">IndexedDB: {}</li>"#,
            escape(problem)
        );
    }
    for tail in &report.truncated {
        let _ = write!(
            html,
            r#"<li class="bad" data-recovery="truncated">Torn tail: the CRC check stopped at offset <b>{}</b> of segment <b>{}</b>; the {} byte{} after it (an unfinished write) were cut off, so new writes start on clean ground.</li>"#,
            tail.offset,
            tail.segment,
            tail.bytes_cut,
            if tail.bytes_cut == 1 { "" } else { "s" },
        );
    }
    for range in &report.corrupt {
        let _ = write!(
            html,
            r#"<li class="bad" data-recovery="corrupt">Corrupt bytes: segment <b>{}</b>, offset <b>{}</b>, {} byte{} failed the CRC check. They were skipped and every valid record after them kept.</li>"#,
            range.segment,
            range.offset,
            range.len,
            if range.len == 1 { "" } else { "s" },
        );
    }
    if !report.removed_segments.is_empty() {
        let ids: Vec<String> = report
            .removed_segments
            .iter()
            .map(ToString::to_string)
            .collect();
        let _ = write!(
            html,
            "<li>Removed leftover segment{} {} (an interrupted compaction or segment creation).</li>",
            if ids.len() == 1 { "" } else { "s" },
            ids.join(", ")
        );
    }
    html.push_str("</ul>");
    html.push_str(&diff_html(&recovery.diff));
    html
}

fn diff_html(diff: &KeyDiff) -> String {
    if diff.is_empty() {
        return "<p>Every key has the same value as before the reload.</p>".to_owned();
    }
    let keys = |keys: &[Vec<u8>]| {
        keys.iter()
            .map(|k| format!("<code>{}</code>", escape(&show_bytes(k, 30))))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut html = String::from("<p>Compared with before the reload:</p><ul>");
    if !diff.lost.is_empty() {
        let _ = write!(
            html,
            r#"<li class="bad">lost: {} — no valid record of the key is left.</li>"#,
            keys(&diff.lost)
        );
    }
    if !diff.rolled_back.is_empty() {
        let _ = write!(
            html,
            r#"<li class="bad">rolled back: {} — the newest record was damaged, so an older, overwritten record is the newest valid one again.</li>"#,
            keys(&diff.rolled_back)
        );
    }
    if !diff.resurrected.is_empty() {
        let _ = write!(
            html,
            r#"<li class="bad">back from the dead: {} — its tombstone was damaged, so an older value counts again.</li>"#,
            keys(&diff.resurrected)
        );
    }
    html.push_str("</ul>");
    html
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::view::{MapSettings, map_view};
    use mini_kvstore::{KvStore, MemStorage, Options};
    use mini_kvstore_commands::Line;

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    #[test]
    fn escape_covers_markup_and_quotes() {
        assert_eq!(
            escape(r#"<a href="x">'&'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
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
    fn tones_become_classes() {
        let text = Text::from(
            Line::toned("OK", Tone::Good)
                .plain_then(" <plain>")
                .push("!", Tone::Bad),
        );
        assert_eq!(
            text_html(&text),
            r#"<div class="line"><span class="t-good">OK</span> &lt;plain&gt;<span class="t-bad">!</span></div>"#
        );
    }

    #[test]
    fn the_index_is_cut_and_filtered() {
        let rows: Vec<IndexRow> = (0..10)
            .map(|i| IndexRow {
                key: format!("k{i}").into_bytes(),
                segment: 1,
                offset: 16 + i * 30,
                len: 30,
                seq: i + 1,
            })
            .collect();
        let html = index_html(&rows, "", Some(b"k2"), 3);
        assert_eq!(
            html.matches("<tr ").count() + html.matches("<tr>").count(),
            4
        );
        assert!(html.contains("7 more"));
        assert!(html.contains(r#"<tr class="sel" data-index-key="k2">"#));
        let html = index_html(&rows, "k9", None, 3);
        assert!(html.contains(r#"data-index-key="k9""#) && !html.contains("k1<"));
    }
}
