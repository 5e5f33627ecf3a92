//! The whole chart: the legend, the three plots stacked on one time axis,
//! and a row of merge marks per store under them.
//!
//! The plots share everything but what they measure, so each is a
//! [`Plot`] drawn by [`plot::draw`]; this file lays them out (titles wrap
//! to the width, so the plots move down as the drawing narrows) and draws
//! what only the whole chart has.

use std::fmt::Write as _;

use mini_kvstore_commands::{count, human_bytes};

use super::merge::merge_label;
use super::plot::{self, LEFT, Measure, PLOT_H, Plot, RIGHT, Scale};
use super::run::{ChartRun, LineStyle};
use super::text::{LINE_H, text_lines, wrap};
use crate::render::escape;

/// The narrowest chart drawn, in CSS pixels.
pub const MIN_WIDTH: u32 = 280;
const GAP: f64 = 14.0;
const MARK_ROW: f64 = 16.0;
const AXIS_H: f64 = 18.0;

/// The colours of the three kinds of line (the meaning is also in the
/// labels and widths).
const STORED: &str = "#2457c5";
const LIVE: &str = "#2f9e63";
const SPACE: &str = "#7b3fb8";
const WRITE: &str = "#b8560f";

/// The three plots' titles.
const TITLES: [&str; 3] = [
    "bytes on storage (thick) against live bytes (thin)",
    "space amplification: bytes stored per live byte",
    "write amplification: bytes written per byte the workload wrote",
];

/// What the bytes plot draws: bytes on storage, thick, and live bytes.
const BYTES: [Measure; 2] = [
    Measure {
        value: |s| s.total_bytes as f64,
        colour: STORED,
        width: 2.5,
        label: |_| "stored".to_owned(),
    },
    Measure {
        value: |s| s.live_bytes as f64,
        colour: LIVE,
        width: 1.5,
        label: |_| "live".to_owned(),
    },
];

/// What the space amplification plot draws.
const SPACE_AMPLIFICATION: [Measure; 1] = [Measure {
    value: |s| s.space_amplification,
    colour: SPACE,
    width: 2.0,
    label: |s| format!("{:.2}×", s.space_amplification),
}];

/// What the write amplification plot draws.
const WRITE_AMPLIFICATION: [Measure; 1] = [Measure {
    value: |s| s.write_amplification,
    colour: WRITE,
    width: 2.0,
    label: |s| format!("{:.2}×", s.write_amplification),
}];

/// The top of an amplification plot whose highest value is `max`: a
/// little above it, and never so close to 1× that noise fills the plot.
fn ratio_top(max: f64) -> f64 {
    (max * 1.1).max(1.5)
}

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

    // The three plots: their scales from every store's samples, so the
    // stores share the axes.
    let samples = || runs.iter().flat_map(|r| r.series.samples());
    let bytes = Scale::Bytes {
        max: samples().map(|s| s.total_bytes).max().unwrap_or(0).max(1),
    };
    let space = Scale::Ratio {
        top: ratio_top(
            samples()
                .map(|s| s.space_amplification)
                .chain(space_bound)
                .fold(1.0_f64, f64::max),
        ),
    };
    let write = Scale::Ratio {
        top: ratio_top(
            samples()
                .map(|s| s.write_amplification)
                .fold(1.0_f64, f64::max),
        ),
    };
    let bound = space_bound.map(|bound| {
        let y = space.y(plot_top(1), bound);
        format!(
            r##"<g class="bound" data-bound="{bound:.2}"><line x1="{LEFT:.0}" y1="{y:.1}" x2="{x2:.1}" y2="{y:.1}" stroke="#5d6978" stroke-width="1" stroke-dasharray="2 3"/><text x="{tx:.1}" y="{ty:.1}" fill="#5d6978">bound {bound:.1}× + active</text></g>"##,
            x2 = width - RIGHT,
            tx = LEFT + 4.0,
            ty = y - 3.0,
        )
    });
    let plots = [
        Plot {
            top: plot_top(0),
            title: &titles[0],
            scale: bytes,
            measures: &BYTES,
            under: None,
        },
        Plot {
            top: plot_top(1),
            title: &titles[1],
            scale: space,
            measures: &SPACE_AMPLIFICATION,
            under: bound,
        },
        Plot {
            top: plot_top(2),
            title: &titles[2],
            scale: write,
            measures: &WRITE_AMPLIFICATION,
            under: None,
        },
    ];
    for plot in &plots {
        plot::draw(&mut svg, plot, runs, width, &x);
    }

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::chart::fixtures::{TestResult, run};
    use crate::render::chart::table::comparison_html;
    use crate::series::Series;

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
    fn a_narrow_chart_wraps_its_words_onto_more_lines() {
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
