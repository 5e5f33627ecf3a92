//! A merge on the chart: the name its mark carries (its `<title>` and
//! accessible name), the `data-merge` id the page reads back on hover and
//! focus, and the report shown under the chart.

use mini_kvstore::CompactionReport;
use mini_kvstore_commands::{count, human_bytes};

use crate::merge_policy::reason_name;
use crate::render::escape;
use crate::series::MergeEvent;

/// A merge mark's `<title>` and accessible name.
pub fn merge_label(run_name: &str, n: usize, event: &MergeEvent) -> String {
    let report = &event.report;
    format!(
        "{run_name}, merge {} at {:.1} s: {} into {}, {} reclaimed",
        n + 1,
        event.t_ms as f64 / 1000.0,
        count(report.inputs.len() as u64, "segment"),
        count(report.outputs.len() as u64, "segment"),
        human_bytes(report.bytes_reclaimed()),
    )
}

/// Which merge a `data-merge` value names: `("a", 3)`.
pub fn parse_merge_id(text: &str) -> Option<(&str, usize)> {
    let (run, n) = text.split_once(':')?;
    Some((run, n.parse().ok()?))
}

/// The merge details before a mark is hovered or focused.
pub const MERGE_HINT: &str = r#"<p class="hint">Each ▲ below the chart is a merge. Hover over one, or move to it with Tab, to read its report: which segments went in and why, what came out, how many bytes it wrote and gave back.</p>"#;

fn segment_list(ids: &[mini_kvstore::SegmentId]) -> String {
    if ids.is_empty() {
        return "none".to_owned();
    }
    let ids: Vec<String> = ids.iter().map(ToString::to_string).collect();
    ids.join(", ")
}

/// A merge's report, for the details box under the chart.
pub fn merge_report_html(run_name: &str, n: usize, event: &MergeEvent) -> String {
    let r: &CompactionReport = &event.report;
    let why = if r.reasons.is_empty() {
        "<li>every segment: a full compaction (<code>compact</code> or Apply)</li>".to_owned()
    } else {
        r.reasons
            .iter()
            .map(|reason| {
                format!(
                    r#"<li data-reason="{}">segment {}: {}</li>"#,
                    reason_name(reason.reason),
                    reason.segment,
                    escape(reason.reason.describe())
                )
            })
            .collect()
    };
    format!(
        r#"<div data-merge-report="{n}"><p><b>{}, merge {}</b> at {:.1} s, {} ms</p><dl><dt>inputs</dt><dd>{} <small>(removed)</small><ul>{why}</ul></dd><dt>outputs</dt><dd>{}</dd><dt>records copied</dt><dd>{} <small>(the index now points at the copies)</small></dd><dt>bytes</dt><dd>{} → {}: <b>{} reclaimed</b>; {} written by the merge</dd><dt>tombstones</dt><dd>{} dropped, {} kept <small>(a put they hide lives outside the inputs)</small></dd></dl></div>"#,
        escape(run_name),
        n + 1,
        event.t_ms as f64 / 1000.0,
        r.duration_ms,
        escape(&segment_list(&r.inputs)),
        escape(&segment_list(&r.outputs)),
        r.records_copied,
        human_bytes(r.bytes_before),
        human_bytes(r.bytes_after),
        human_bytes(r.bytes_reclaimed()),
        human_bytes(r.bytes_written),
        r.tombstones_dropped,
        r.tombstones_kept,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::chart::fixtures::{TestResult, run};

    #[test]
    fn a_merge_report_says_what_went_in_and_why() -> TestResult {
        let series = run(true, 30)?;
        let event = series.merges().first().ok_or("a merge")?;
        let html = merge_report_html("auto", 0, event);
        assert!(html.contains(r#"<div data-merge-report="0">"#), "{html}");
        assert!(html.contains("reclaimed"));
        assert!(
            html.contains(r#"data-reason="fragmentation_trigger""#),
            "{html}"
        );
        assert!(html.contains("dead fraction reached the trigger"));
        assert_eq!(parse_merge_id("a:12"), Some(("a", 12)));
        assert_eq!(parse_merge_id("a"), None);
        assert_eq!(parse_merge_id("a:x"), None);
        Ok(())
    }
}
