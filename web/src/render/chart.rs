//! The policy panel's chart as an SVG string: for one store, or two side
//! by side on one time axis, three plots stacked — bytes on storage
//! against live bytes, space amplification, write amplification — with a
//! mark for every merge, and the words that go with it (a merge's report,
//! the side-by-side table).
//!
//! Nothing here depends on colour alone: the two stores differ by line
//! style (solid, dashed) and marker shape (triangle, diamond) and are named
//! in the legend; within a plot the lines differ by width and carry a label
//! at their end. Every merge mark is a focusable `[data-merge="a:3"]` group
//! with a `<title>`, so a pointer *and* the keyboard can bring up its
//! report (the page fills `#policy-merge` on hover and on focus).
//!
//! The SVG is sized in CSS pixels for the width it is given (the page
//! measures its container), so text stays its size from a 360 px phone to
//! a wide screen instead of being scaled with the drawing.

use std::fmt::Write as _;

use mini_kvstore::CompactionReport;
use mini_kvstore_commands::{count, human_bytes};

use super::escape;
use crate::merge_policy::reason_name;
use crate::series::{MergeEvent, Sample, Series};

/// The narrowest chart drawn, in CSS pixels.
pub const MIN_WIDTH: u32 = 280;
const LEFT: f64 = 48.0;
const RIGHT: f64 = 74.0;
const PLOT_H: f64 = 84.0;
/// Height of a line of text.
const LINE_H: f64 = 13.0;
const GAP: f64 = 14.0;
/// About how wide a character of the chart's 11 px text is: enough to
/// wrap a title or legend before it runs out of the drawing.
const CHAR_PX: f64 = 6.3;
const MARK_ROW: f64 = 16.0;
const AXIS_H: f64 = 18.0;
/// Closest two end labels may sit, in px.
const LABEL_GAP: f64 = 11.0;

/// How a store's lines are drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineStyle {
    /// Solid lines, triangle merge marks.
    Solid,
    /// Dashed lines, diamond merge marks.
    Dashed,
}

impl LineStyle {
    fn dash(self) -> &'static str {
        match self {
            LineStyle::Solid => "",
            LineStyle::Dashed => r#" stroke-dasharray="7 4""#,
        }
    }

    /// The merge marker, centred on `(x, y)`.
    fn marker(self, x: f64, y: f64) -> String {
        match self {
            LineStyle::Solid => format!(
                "M{:.1} {:.1}L{:.1} {:.1}L{:.1} {:.1}Z",
                x,
                y - 6.0,
                x + 6.0,
                y + 5.0,
                x - 6.0,
                y + 5.0
            ),
            LineStyle::Dashed => format!(
                "M{:.1} {:.1}L{:.1} {:.1}L{:.1} {:.1}L{:.1} {:.1}Z",
                x,
                y - 6.5,
                x + 6.0,
                y,
                x,
                y + 6.5,
                x - 6.0,
                y
            ),
        }
    }

    /// How the legend says the marker looks.
    fn marker_name(self) -> &'static str {
        match self {
            LineStyle::Solid => "▲",
            LineStyle::Dashed => "◆",
        }
    }
}

/// One store on the chart.
#[derive(Debug, Clone, Copy)]
pub struct ChartRun<'a> {
    /// Its short id: `a` or `b` (`data-run`, and the first half of a merge
    /// mark's `data-merge`).
    pub id: &'a str,
    /// What the legend calls it.
    pub name: &'a str,
    /// Its numbers.
    pub series: &'a Series,
    /// How its lines look.
    pub style: LineStyle,
}

/// The colours of the three kinds of line (the meaning is also in the
/// labels and widths).
const STORED: &str = "#2457c5";
const LIVE: &str = "#2f9e63";
const SPACE: &str = "#7b3fb8";
const WRITE: &str = "#b8560f";

/// The chart for `runs`, `width` px wide; `space_bound`, if given, is drawn
/// as a reference line on the space plot (the bound the first run's
/// policy implies for its sealed segments).
pub fn chart_svg(runs: &[ChartRun<'_>], width: u32, space_bound: Option<f64>) -> String {
    let width = f64::from(width.max(MIN_WIDTH));
    let span = runs
        .iter()
        .map(|r| r.series.span_ms())
        .max()
        .unwrap_or(0)
        .max(10_000);
    let x = |t_ms: u64| LEFT + (width - LEFT - RIGHT) * t_ms as f64 / span as f64;
    // Text wraps to the width: the legend beside its sample line and
    // marker, the titles across the whole drawing.
    let legend: Vec<Vec<String>> = runs
        .iter()
        .map(|run| {
            let text = format!(
                "{} — {} lines, {} merges",
                run.name,
                match run.style {
                    LineStyle::Solid => "solid",
                    LineStyle::Dashed => "dashed",
                },
                run.style.marker_name()
            );
            wrap(&text, width - 64.0)
        })
        .collect();
    let titles: Vec<Vec<String>> = TITLES.iter().map(|t| wrap(t, width - 8.0)).collect();
    let legend_h: f64 = legend
        .iter()
        .map(|lines| lines.len() as f64 * LINE_H + 5.0)
        .sum::<f64>()
        + 4.0;
    let mut tops = Vec::with_capacity(3);
    let mut y = legend_h;
    for lines in &titles {
        y += lines.len() as f64 * LINE_H + 5.0;
        tops.push(y);
        y += PLOT_H + GAP;
    }
    let plot_top = |i: usize| tops[i];
    let plots_bottom = plot_top(2) + PLOT_H;
    let marks_top = plots_bottom + AXIS_H;
    let height = marks_top + runs.len() as f64 * MARK_ROW + 6.0;

    let mut svg = String::with_capacity(8192);
    let _ = write!(
        svg,
        r#"<svg class="chart-svg" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w:.0} {h:.0}" width="{w:.0}" height="{h:.0}" role="group" aria-label="{label}" font-size="11" font-family="system-ui, sans-serif">"#,
        w = width,
        h = height,
        label = escape(&summary(runs)),
    );

    // The legend: one row per store.
    let mut row_top = 4.0;
    for (run, lines) in runs.iter().zip(&legend) {
        let y = row_top + LINE_H / 2.0;
        let _ = write!(
            svg,
            r##"<g class="legend-row" data-run="{id}"><line x1="4" y1="{y:.1}" x2="30" y2="{y:.1}" stroke="#1d2530" stroke-width="2.5"{dash}/><path d="{marker}" fill="#1d2530"/>{text}</g>"##,
            id = escape(run.id),
            dash = run.style.dash(),
            marker = run.style.marker(44.0, y),
            text = text_lines(lines, 58.0, y + 4.0, ""),
        );
        row_top += lines.len() as f64 * LINE_H + 5.0;
    }

    let no_samples = runs.iter().all(|r| r.series.samples().is_empty());

    // Plot 1: bytes.
    let top = plot_top(0);
    let max_bytes = runs
        .iter()
        .flat_map(|r| r.series.samples())
        .map(|s| s.total_bytes)
        .max()
        .unwrap_or(0)
        .max(1);
    let bytes_y = |b: u64| top + PLOT_H - PLOT_H * b as f64 / max_bytes as f64;
    plot_frame(
        &mut svg,
        top,
        width,
        &titles[0],
        &human_bytes(max_bytes),
        "0",
    );
    let mut labels = Vec::new();
    for run in runs {
        let samples = run.series.samples();
        let prefix = label_prefix(runs, run);
        line(
            &mut svg,
            samples,
            &x,
            |s| bytes_y(s.total_bytes),
            STORED,
            2.5,
            run.style,
        );
        line(
            &mut svg,
            samples,
            &x,
            |s| bytes_y(s.live_bytes),
            LIVE,
            1.5,
            run.style,
        );
        if let Some(last) = samples.last() {
            labels.push((bytes_y(last.total_bytes), format!("{prefix}stored")));
            labels.push((bytes_y(last.live_bytes), format!("{prefix}live")));
        }
    }
    end_labels(&mut svg, &mut labels, width, top, top + PLOT_H);

    // Plot 2: space amplification.
    let top = plot_top(1);
    let max_space = runs
        .iter()
        .flat_map(|r| r.series.samples())
        .map(|s| s.space_amplification)
        .chain(space_bound)
        .fold(1.0_f64, f64::max);
    let amp_top = |max: f64| (max * 1.1).max(1.5);
    let space_top = amp_top(max_space);
    let space_y = |v: f64| top + PLOT_H - PLOT_H * (v - 1.0) / (space_top - 1.0);
    plot_frame(
        &mut svg,
        top,
        width,
        &titles[1],
        &format!("{space_top:.1}×"),
        "1×",
    );
    if let Some(bound) = space_bound {
        let y = space_y(bound);
        let _ = write!(
            svg,
            r##"<g class="bound" data-bound="{bound:.2}"><line x1="{LEFT:.0}" y1="{y:.1}" x2="{x2:.1}" y2="{y:.1}" stroke="#5d6978" stroke-width="1" stroke-dasharray="2 3"/><text x="{tx:.1}" y="{ty:.1}" fill="#5d6978">bound {bound:.1}× + active</text></g>"##,
            x2 = width - RIGHT,
            tx = LEFT + 4.0,
            ty = y - 3.0,
        );
    }
    let mut labels = Vec::new();
    for run in runs {
        let samples = run.series.samples();
        line(
            &mut svg,
            samples,
            &x,
            |s| space_y(s.space_amplification),
            SPACE,
            2.0,
            run.style,
        );
        if let Some(last) = samples.last() {
            labels.push((
                space_y(last.space_amplification),
                format!(
                    "{}{:.2}×",
                    label_prefix(runs, run),
                    last.space_amplification
                ),
            ));
        }
    }
    end_labels(&mut svg, &mut labels, width, top, top + PLOT_H);

    // Plot 3: write amplification.
    let top = plot_top(2);
    let max_write = runs
        .iter()
        .flat_map(|r| r.series.samples())
        .map(|s| s.write_amplification)
        .fold(1.0_f64, f64::max);
    let write_top = amp_top(max_write);
    let write_y = |v: f64| top + PLOT_H - PLOT_H * (v - 1.0) / (write_top - 1.0);
    plot_frame(
        &mut svg,
        top,
        width,
        &titles[2],
        &format!("{write_top:.1}×"),
        "1×",
    );
    let mut labels = Vec::new();
    for run in runs {
        let samples = run.series.samples();
        line(
            &mut svg,
            samples,
            &x,
            |s| write_y(s.write_amplification),
            WRITE,
            2.0,
            run.style,
        );
        if let Some(last) = samples.last() {
            labels.push((
                write_y(last.write_amplification),
                format!(
                    "{}{:.2}×",
                    label_prefix(runs, run),
                    last.write_amplification
                ),
            ));
        }
    }
    end_labels(&mut svg, &mut labels, width, top, top + PLOT_H);

    // The time axis.
    let step = tick_step(span);
    let mut t = 0;
    while t <= span {
        let _ = write!(
            svg,
            r##"<text x="{:.1}" y="{:.1}" text-anchor="middle" fill="#5d6978">{} s</text>"##,
            x(t),
            plots_bottom + 13.0,
            t / 1000
        );
        t += step;
    }

    if no_samples {
        let _ = write!(
            svg,
            r##"<text class="chart-empty" x="{:.1}" y="{:.1}" text-anchor="middle" fill="#5d6978">Start a workload to draw the chart.</text>"##,
            (LEFT + width - RIGHT) / 2.0,
            plot_top(0) + PLOT_H / 2.0
        );
    }

    // Merge marks: a line through the plots, a focusable marker below.
    for (row, run) in runs.iter().enumerate() {
        let y = marks_top + row as f64 * MARK_ROW + MARK_ROW / 2.0;
        let _ = write!(
            svg,
            r##"<text x="{:.1}" y="{:.1}" text-anchor="end" fill="#5d6978">{}</text>"##,
            LEFT - 6.0,
            y + 4.0,
            escape(&run.id.to_uppercase())
        );
        for (n, event) in run.series.merges().iter().enumerate() {
            let mx = x(event.t_ms);
            let label = merge_label(run.name, n, event);
            let _ = write!(
                svg,
                r##"<g class="merge-mark" data-merge="{id}:{n}" data-run="{id}" tabindex="0" role="button" aria-label="{label}"><title>{label}</title><line x1="{mx:.1}" y1="{top:.1}" x2="{mx:.1}" y2="{bottom:.1}" stroke="#5d6978" stroke-width="1" stroke-dasharray="1 2"/><path d="{marker}" fill="#1d2530" stroke="#fff" stroke-width="1"/></g>"##,
                id = escape(run.id),
                label = escape(&label),
                top = plot_top(0),
                bottom = y - 6.0,
                marker = run.style.marker(mx, y),
            );
        }
    }
    svg.push_str("</svg>");
    svg
}

/// "A " before a label when two stores share the plot.
fn label_prefix(runs: &[ChartRun<'_>], run: &ChartRun<'_>) -> String {
    if runs.len() > 1 {
        format!("{} ", run.id.to_uppercase())
    } else {
        String::new()
    }
}

/// The three plots' titles.
const TITLES: [&str; 3] = [
    "bytes on storage (thick) against live bytes (thin)",
    "space amplification: bytes stored per live byte",
    "write amplification: bytes written per byte the workload wrote",
];

/// `text` in lines of at most about `max_px` (never fewer than one word).
fn wrap(text: &str, max_px: f64) -> Vec<String> {
    let max_chars = ((max_px / CHAR_PX).floor() as usize).max(8);
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    for word in text.split(' ') {
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > max_chars {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    lines.push(line);
    lines
}

/// `<text>` lines from `(x, y)` (the first line's baseline) down.
fn text_lines(lines: &[String], x: f64, y: f64, attributes: &str) -> String {
    let mut html = String::new();
    for (i, line) in lines.iter().enumerate() {
        let _ = write!(
            html,
            r#"<text x="{x:.0}" y="{:.1}"{attributes}>{}</text>"#,
            y + i as f64 * LINE_H,
            escape(line)
        );
    }
    html
}

/// A plot's box, title (`title`, wrapped, ending just above the box) and
/// y-axis ends.
fn plot_frame(svg: &mut String, top: f64, width: f64, title: &[String], max: &str, min: &str) {
    let right = width - RIGHT;
    let first = top - 5.0 - (title.len().saturating_sub(1)) as f64 * LINE_H;
    svg.push_str(&text_lines(
        title,
        4.0,
        first,
        r##" font-weight="600" fill="#1d2530""##,
    ));
    let _ = write!(
        svg,
        r##"<rect x="{LEFT:.0}" y="{top:.1}" width="{pw:.1}" height="{PLOT_H:.0}" fill="#f7f9fb" stroke="#d8dee6"/><text x="{lx:.0}" y="{maxy:.1}" text-anchor="end" fill="#5d6978">{max}</text><text x="{lx:.0}" y="{miny:.1}" text-anchor="end" fill="#5d6978">{min}</text>"##,
        pw = right - LEFT,
        lx = LEFT - 4.0,
        maxy = top + 9.0,
        miny = top + PLOT_H,
        max = escape(max),
        min = escape(min),
    );
}

/// One line through `samples`.
fn line(
    svg: &mut String,
    samples: &[Sample],
    x: &impl Fn(u64) -> f64,
    y: impl Fn(&Sample) -> f64,
    colour: &str,
    width: f64,
    style: LineStyle,
) {
    if samples.is_empty() {
        return;
    }
    let mut points = String::with_capacity(samples.len() * 12);
    for s in samples {
        let _ = write!(points, "{:.1},{:.1} ", x(s.t_ms), y(s));
    }
    let _ = write!(
        svg,
        r#"<polyline points="{}" fill="none" stroke="{colour}" stroke-width="{width}" stroke-linejoin="round"{}/>"#,
        points.trim_end(),
        style.dash()
    );
}

/// Writes the labels at the right end of a plot, moved apart so none
/// overlaps (and kept inside `top..=bottom`).
fn end_labels(svg: &mut String, labels: &mut [(f64, String)], width: f64, top: f64, bottom: f64) {
    let ys = spread(labels.iter().map(|(y, _)| *y).collect(), top + 8.0, bottom);
    for ((_, text), y) in labels.iter().zip(ys) {
        let _ = write!(
            svg,
            r##"<text class="end-label" x="{:.1}" y="{:.1}" fill="#1d2530">{}</text>"##,
            width - RIGHT + 4.0,
            y + 4.0,
            escape(text)
        );
    }
}

/// `ys` moved apart by at least [`LABEL_GAP`], each as near its own place
/// as it can be, within `lo..=hi` (when they fit): returned in the order
/// given.
fn spread(ys: Vec<f64>, lo: f64, hi: f64) -> Vec<f64> {
    let mut order: Vec<usize> = (0..ys.len()).collect();
    order.sort_by(|&a, &b| ys[a].total_cmp(&ys[b]));
    let mut placed = vec![0.0; ys.len()];
    let mut previous: Option<f64> = None;
    for &i in &order {
        let y = ys[i].clamp(lo, hi);
        let y = previous.map_or(y, |p| y.max(p + LABEL_GAP));
        placed[i] = y;
        previous = Some(y);
    }
    // Pushed past the bottom: shift the whole run back up.
    if let Some(&last) = order.last() {
        let over = placed[last] - hi;
        if over > 0.0 {
            for &i in order.iter().rev() {
                placed[i] = (placed[i] - over).max(lo);
            }
        }
    }
    placed
}

/// Seconds between time ticks for a span: a round number giving at most
/// about six ticks.
fn tick_step(span_ms: u64) -> u64 {
    const STEPS_S: [u64; 10] = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600];
    let span_s = span_ms.div_ceil(1000);
    let step = STEPS_S
        .into_iter()
        .find(|s| span_s / s <= 6)
        .unwrap_or(1200);
    step * 1000
}

/// The chart in one sentence, for screen readers.
fn summary(runs: &[ChartRun<'_>]) -> String {
    let parts: Vec<String> = runs
        .iter()
        .map(|run| match run.series.latest() {
            Some(s) => format!(
                "{}: {} stored, {} live, space ×{:.2}, write ×{:.2}, {}",
                run.name,
                human_bytes(s.total_bytes),
                human_bytes(s.live_bytes),
                s.space_amplification,
                s.write_amplification,
                count(run.series.merge_count() as u64, "merge")
            ),
            None => format!("{}: no samples yet", run.name),
        })
        .collect();
    format!("Chart over time. {}", parts.join("; "))
}

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

/// The side-by-side table: one column per store, the newest numbers, each
/// cell `[data-store][data-field]` for the end-to-end suite.
pub fn comparison_html(runs: &[ChartRun<'_>]) -> String {
    type Field = (&'static str, &'static str, fn(&Sample, &Series) -> String);
    const FIELDS: [Field; 5] = [
        ("total_bytes", "bytes on storage", |s, _| {
            s.total_bytes.to_string()
        }),
        ("live_bytes", "live bytes", |s, _| s.live_bytes.to_string()),
        ("space_amplification", "space amplification", |s, _| {
            format!("{:.2}", s.space_amplification)
        }),
        ("write_amplification", "write amplification", |s, _| {
            format!("{:.2}", s.write_amplification)
        }),
        ("merges", "merges", |_, series| {
            series.merge_count().to_string()
        }),
    ];
    let mut html = String::from(r#"<table class="compare"><thead><tr><th></th>"#);
    for run in runs {
        let _ = write!(
            html,
            r#"<th scope="col" data-store="{}">{} <small>({})</small></th>"#,
            escape(run.id),
            escape(run.name),
            match run.style {
                LineStyle::Solid => "solid ▲",
                LineStyle::Dashed => "dashed ◆",
            }
        );
    }
    html.push_str("</tr></thead><tbody>");
    for (field, label, value) in FIELDS {
        let _ = write!(html, r#"<tr><th scope="row">{label}</th>"#);
        for run in runs {
            let shown = run
                .series
                .latest()
                .map(|s| value(s, run.series))
                .unwrap_or_else(|| "–".to_owned());
            let _ = write!(
                html,
                r#"<td data-store="{}" data-field="{field}">{shown}</td>"#,
                escape(run.id)
            );
        }
        html.push_str("</tr>");
    }
    html.push_str("</tbody></table>");
    html
}

#[cfg(test)]
mod tests {
    use super::*;
    use mini_kvstore::{CompactionPolicy, KvStore, MemStorage, Options};

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    /// A series of a store overwritten `rounds` times, merged by policy
    /// as it goes (`auto`) or never.
    fn run(auto: bool, rounds: usize) -> Result<Series, mini_kvstore::Error> {
        let store = KvStore::open_with(
            MemStorage::new(),
            Options::default()
                .max_segment_size(256)
                .compaction_policy(CompactionPolicy::default().background(false)),
        )?;
        let mut series = Series::new();
        for round in 0..rounds {
            for i in 0..4 {
                store.set(format!("k{i}"), "a value of some length")?;
            }
            let t = round as u64 * 500;
            if auto && let Some(report) = store.compact_by_policy()? {
                series.merge(t, report);
            }
            series.record(t, &store.stats());
        }
        Ok(series)
    }

    #[test]
    fn one_store_draws_three_plots_and_its_merges() -> TestResult {
        let series = run(true, 30)?;
        assert!(series.merge_count() >= 1);
        let runs = [ChartRun {
            id: "a",
            name: "this page's store",
            series: &series,
            style: LineStyle::Solid,
        }];
        let svg = chart_svg(&runs, 600, Some(2.5));
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert_eq!(
            svg.matches("<polyline").count(),
            4,
            "stored, live, space, write"
        );
        assert_eq!(
            svg.matches(r#"class="merge-mark""#).count(),
            series.merge_count()
        );
        assert!(svg.contains(r#"data-merge="a:0" data-run="a" tabindex="0" role="button""#));
        assert!(svg.contains("<title>this page&#39;s store, merge 1 at "));
        assert!(svg.contains(r#"data-bound="2.50""#));
        for label in [
            "stored",
            "live",
            "space amplification",
            "write amplification",
        ] {
            assert!(svg.contains(label), "{label}");
        }
        assert!(!svg.contains("dasharray=\"7 4\""), "one store: solid lines");
        assert!(!svg.contains("chart-empty"));
        Ok(())
    }

    #[test]
    fn two_stores_share_the_axes_and_differ_by_more_than_colour() -> TestResult {
        let auto = run(true, 30)?;
        let manual = run(false, 30)?;
        assert_eq!(manual.merge_count(), 0);
        let runs = [
            ChartRun {
                id: "a",
                name: "auto",
                series: &auto,
                style: LineStyle::Solid,
            },
            ChartRun {
                id: "b",
                name: "manual",
                series: &manual,
                style: LineStyle::Dashed,
            },
        ];
        let svg = chart_svg(&runs, 360, None);
        assert_eq!(svg.matches("<polyline").count(), 8);
        assert_eq!(
            svg.matches(r#"stroke-dasharray="7 4""#).count(),
            4 + 1,
            "B's lines and its legend"
        );
        assert!(svg.contains(r#"<g class="legend-row" data-run="a">"#));
        assert!(svg.contains(r#"<g class="legend-row" data-run="b">"#));
        assert!(svg.contains("manual — dashed lines, ◆ merges"));
        assert!(svg.contains(">A stored<") && svg.contains(">B stored<"));
        assert!(svg.contains(r#"width="360""#));

        let table = comparison_html(&runs);
        let cell = |store: &str| {
            let hook = format!(r#"data-store="{store}" data-field="total_bytes">"#);
            table
                .split(&hook)
                .nth(1)
                .and_then(|rest| rest.split('<').next())
                .and_then(|n| n.parse::<u64>().ok())
        };
        let (a, b) = (cell("a").ok_or("a")?, cell("b").ok_or("b")?);
        assert!(b > a, "manual keeps more: {b} against {a}");
        assert!(table.contains(r#"data-store="b" data-field="merges">0<"#));
        Ok(())
    }

    #[test]
    fn an_empty_chart_says_what_to_do() {
        let series = Series::new();
        let runs = [ChartRun {
            id: "a",
            name: "a",
            series: &series,
            style: LineStyle::Solid,
        }];
        let svg = chart_svg(&runs, 100, None);
        assert!(svg.contains("Start a workload"));
        assert!(
            svg.contains(&format!(r#"width="{MIN_WIDTH}""#)),
            "never narrower"
        );
        assert!(comparison_html(&runs).contains(r#"data-field="total_bytes">–<"#));
    }

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

    #[test]
    fn end_labels_keep_apart_and_inside() {
        let ys = spread(vec![50.0, 52.0, 10.0, 51.0], 0.0, 100.0);
        let mut sorted = ys.clone();
        sorted.sort_by(f64::total_cmp);
        assert!(
            sorted.windows(2).all(|w| w[1] - w[0] >= LABEL_GAP - 1e-9),
            "{ys:?}"
        );
        assert_eq!(ys[2], 10.0, "a label with room stays put");
        let crowded = spread(vec![99.0, 99.0, 99.0], 0.0, 100.0);
        assert!(
            crowded.iter().all(|y| (0.0..=100.0).contains(y)),
            "{crowded:?}"
        );
    }

    #[test]
    fn text_wraps_to_the_width() {
        let lines = wrap("bytes on storage (thick) against live bytes (thin)", 200.0);
        assert!(lines.len() >= 2, "{lines:?}");
        assert!(
            lines
                .iter()
                .all(|l| l.chars().count() as f64 * CHAR_PX <= 200.0)
        );
        assert_eq!(
            lines.join(" "),
            "bytes on storage (thick) against live bytes (thin)"
        );
        assert_eq!(wrap("short", 500.0), vec!["short"]);
        let narrow = chart_svg(
            &[ChartRun {
                id: "a",
                name: "A · this page's store, auto, trigger 60 %",
                series: &Series::new(),
                style: LineStyle::Solid,
            }],
            MIN_WIDTH,
            None,
        );
        let wide = chart_svg(
            &[ChartRun {
                id: "a",
                name: "A · this page's store, auto, trigger 60 %",
                series: &Series::new(),
                style: LineStyle::Solid,
            }],
            1200,
            None,
        );
        assert!(narrow.matches("<text").count() > wide.matches("<text").count());
    }

    #[test]
    fn time_ticks_are_round() {
        assert_eq!(tick_step(10_000), 2_000);
        assert_eq!(tick_step(60_000), 10_000);
        assert_eq!(tick_step(3_600_000), 600_000);
    }
}
