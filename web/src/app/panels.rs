//! The panels around the map: stats with the dead-bytes gauge, the flush
//! status, the compaction plan and walk, and the fault note with the
//! recovery report.
//!
//! Each is drawn whole from what it shows, passed in, so this module holds
//! no state and imports nothing of the page's; the markup comes from
//! `render`. The `data-stat` cells, the status classes and the `hidden`
//! attributes are hooks the end-to-end suite reads.

use mini_kvstore::{Layout, Stats};
use mini_kvstore_commands::human_bytes;
use web_sys::Document;

use super::dom::{element, set_body_flag, set_flag};
use crate::recovery::Recovery;
use crate::render::map::preview_html;
use crate::render::panels as html;
use crate::view::{self, PlanOverlay};

/// Sets the stat cell `name` (`#stats [data-stat=name]`).
fn set_stat(doc: &Document, name: &str, value: &str) {
    if let Ok(Some(cell)) = doc.query_selector(&format!("#stats [data-stat=\"{name}\"]")) {
        cell.set_text_content(Some(value));
    }
}

/// The stats panel and the dead-bytes gauge.
pub(super) fn draw_stats(doc: &Document, stats: &Stats, unflushed: u64) {
    let ratio = stats.dead_ratio();
    let values: [(&str, String); 8] = [
        ("keys", stats.keys.to_string()),
        ("segments", stats.segments.to_string()),
        ("live_bytes", stats.live_bytes.to_string()),
        ("dead_bytes", stats.dead_bytes.to_string()),
        ("total_bytes", stats.total_bytes.to_string()),
        ("unflushed_bytes", unflushed.to_string()),
        ("next_seq", stats.next_seq.to_string()),
        ("dead_ratio", format!("{:.0}", ratio * 100.0)),
    ];
    for (name, value) in values {
        set_stat(doc, name, &value);
    }
    if let Ok(gauge) = element(doc, "dead-gauge") {
        let _ = gauge.set_attribute(
            "style",
            &format!("width:{:.1}%", (ratio * 100.0).clamp(0.0, 100.0)),
        );
        let class = if ratio >= 0.5 {
            "gauge-fill high"
        } else if ratio >= 0.25 {
            "gauge-fill mid"
        } else {
            "gauge-fill"
        };
        let _ = gauge.set_attribute("class", class);
    }
}

/// What the flush status line says.
pub(super) struct FlushStatus<'a> {
    /// Bytes not yet in IndexedDB.
    pub(super) unflushed: u64,
    /// Anything differs from IndexedDB (a removal writes no bytes).
    pub(super) pending: bool,
    /// Why the last flush failed, if it did.
    pub(super) last_error: Option<&'a str>,
}

/// The unflushed-bytes stat and the status line in the header.
pub(super) fn draw_flush_status(doc: &Document, status: &FlushStatus<'_>) {
    set_stat(doc, "unflushed_bytes", &status.unflushed.to_string());
    let Ok(line) = element(doc, "flush-status") else {
        return;
    };
    let (class, text) = if let Some(error) = status.last_error {
        ("status bad", format!("IndexedDB write failed: {error}"))
    } else if status.unflushed > 0 || status.pending {
        (
            "status pending",
            format!(
                "{} in memory only — saving to IndexedDB…",
                human_bytes(status.unflushed)
            ),
        )
    } else {
        ("status good", "Everything is saved in IndexedDB".to_owned())
    };
    let _ = line.set_attribute("class", class);
    line.set_text_content(Some(&text));
}

/// The compaction panel: a hint, the plan, or the plan and the walk with its
/// preview of the output segments (`strip_px` wide, like the map's strips).
pub(super) fn draw_compaction(
    doc: &Document,
    layout: &Layout,
    overlay: PlanOverlay,
    segment_size: u64,
    strip_px: u32,
) {
    let (Ok(text), Ok(preview)) = (
        element(doc, "compact-text"),
        element(doc, "compact-preview"),
    ) else {
        return;
    };
    let plan = &layout.plan;
    match overlay {
        PlanOverlay::Off => {
            text.set_inner_html(html::COMPACTION_HINT);
            preview.set_inner_html("");
        }
        PlanOverlay::Plan => {
            text.set_inner_html(&html::plan_html(plan));
            preview.set_inner_html("");
        }
        PlanOverlay::Walk { step } => {
            let outputs = view::walk_outputs(plan, step, segment_size);
            let scale = layout
                .segments
                .iter()
                .map(|s| s.len)
                .chain([segment_size])
                .max()
                .unwrap_or(segment_size);
            text.set_inner_html(&format!(
                "{}{}",
                html::plan_html(plan),
                html::walk_html(plan, step, &outputs)
            ));
            preview.set_inner_html(&preview_html(&outputs, plan, scale, strip_px));
        }
    }
    let walking_done =
        matches!(overlay, PlanOverlay::Walk { step } if step >= plan.survivors.len());
    for (id, disabled) in [
        ("compact-step", walking_done),
        ("compact-cancel", overlay == PlanOverlay::Off),
    ] {
        if let Ok(button) = element(doc, id) {
            set_flag(&button, "disabled", disabled);
        }
    }
}

/// The fault note (while a fault has stopped the store: `crash` says what
/// it did) and the recovery report, and `<body data-stopped>`.
pub(super) fn draw_faults(doc: &Document, crash: Option<&str>, recovery: Option<&Recovery>) {
    if let Ok(note) = element(doc, "fault-note") {
        note.set_inner_html(&crash.map(html::fault_note_html).unwrap_or_default());
        set_flag(&note, "hidden", crash.is_none());
    }
    if let Ok(panel) = element(doc, "recovery") {
        panel.set_inner_html(&recovery.map(html::recovery_html).unwrap_or_default());
        set_flag(&panel, "hidden", recovery.is_none());
    }
    set_body_flag(doc, "stopped", crash.map(|_| "true"));
}
