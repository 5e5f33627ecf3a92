//! One plot of the chart: a framed box with its title and the ends of its
//! y axis, a line per store for each measure it shows, and a label at the
//! end of every line. The three plots (bytes, space amplification, write
//! amplification) are drawn by the one [`draw`]; they differ only in
//! their [`Plot`].

use std::fmt::Write as _;

use super::run::{ChartRun, LineStyle, label_prefix};
use super::text::{LINE_H, text_lines};
use crate::render::escape;
use crate::series::Sample;

/// Left margin, for the y axis's numbers.
pub(super) const LEFT: f64 = 48.0;
/// Right margin, for the labels at the lines' ends.
pub(super) const RIGHT: f64 = 74.0;
/// Height of a plot's box.
pub(super) const PLOT_H: f64 = 84.0;
/// Closest two end labels may sit, in px.
const LABEL_GAP: f64 = 11.0;

/// How a plot's values map to heights.
#[derive(Debug, Clone, Copy)]
pub(super) enum Scale {
    /// Bytes, from 0 at the bottom to `max` at the top.
    Bytes {
        /// The most bytes any sample has.
        max: u64,
    },
    /// A ratio, from 1× at the bottom to `top` at the top.
    Ratio {
        /// The ratio at the top.
        top: f64,
    },
}

impl Scale {
    /// The height of `value` in a plot whose box starts at `top`.
    pub(super) fn y(self, top: f64, value: f64) -> f64 {
        match self {
            Scale::Bytes { max } => top + PLOT_H - PLOT_H * value / max as f64,
            Scale::Ratio { top: ratio } => top + PLOT_H - PLOT_H * (value - 1.0) / (ratio - 1.0),
        }
    }

    /// What the axis says at the top and at the bottom.
    fn ends(self) -> (String, &'static str) {
        match self {
            Scale::Bytes { max } => (mini_kvstore_commands::human_bytes(max), "0"),
            Scale::Ratio { top } => (format!("{top:.1}×"), "1×"),
        }
    }
}

/// One measure a plot draws a line of, for every store.
pub(super) struct Measure {
    /// Its value in a sample.
    pub(super) value: fn(&Sample) -> f64,
    /// The line's colour (the meaning is also in its width and label).
    pub(super) colour: &'static str,
    /// The line's width.
    pub(super) width: f64,
    /// The label at the line's end, from the last sample (the store's
    /// letter goes before it when two share the plot).
    pub(super) label: fn(&Sample) -> String,
}

/// What one plot shows.
pub(super) struct Plot<'a> {
    /// Where its box starts.
    pub(super) top: f64,
    /// Its title, wrapped.
    pub(super) title: &'a [String],
    /// How its values map to heights.
    pub(super) scale: Scale,
    /// Its lines, in the order they are drawn.
    pub(super) measures: &'a [Measure],
    /// Drawn over the box and under the lines (a reference line).
    pub(super) under: Option<String>,
}

/// Draws `plot` for `runs` into `svg`, `width` px wide; `x` places a time.
pub(super) fn draw(
    svg: &mut String,
    plot: &Plot<'_>,
    runs: &[ChartRun<'_>],
    width: f64,
    x: &impl Fn(u64) -> f64,
) {
    let (max, min) = plot.scale.ends();
    frame(svg, plot.top, width, plot.title, &max, min);
    if let Some(under) = &plot.under {
        svg.push_str(under);
    }
    let y = |value: f64| plot.scale.y(plot.top, value);
    let mut labels = Vec::new();
    for run in runs {
        let samples = run.series.samples();
        for measure in plot.measures {
            line(
                svg,
                samples,
                x,
                |s| y((measure.value)(s)),
                measure.colour,
                measure.width,
                run.style,
            );
        }
        if let Some(last) = samples.last() {
            let prefix = label_prefix(runs, run);
            for measure in plot.measures {
                labels.push((
                    y((measure.value)(last)),
                    format!("{prefix}{}", (measure.label)(last)),
                ));
            }
        }
    }
    end_labels(svg, &mut labels, width, plot.top, plot.top + PLOT_H);
}

/// A plot's box, title (`title`, wrapped, ending just above the box) and
/// y-axis ends.
fn frame(svg: &mut String, top: f64, width: f64, title: &[String], max: &str, min: &str) {
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
