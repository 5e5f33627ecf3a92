//! One store on the chart, and how its lines and merge marks look: the
//! two stores of the side-by-side demo differ by dash and marker shape,
//! not by colour alone.

use crate::series::Series;

/// How a store's lines are drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineStyle {
    /// Solid lines, triangle merge marks.
    Solid,
    /// Dashed lines, diamond merge marks.
    Dashed,
}

impl LineStyle {
    /// The dash attribute its lines carry (none when solid).
    pub(super) fn dash(self) -> &'static str {
        match self {
            LineStyle::Solid => "",
            LineStyle::Dashed => r#" stroke-dasharray="7 4""#,
        }
    }

    /// The merge marker, centred on `(x, y)`.
    pub(super) fn marker(self, x: f64, y: f64) -> String {
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
    pub(super) fn marker_name(self) -> &'static str {
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

/// "A " before a label when two stores share the plot.
pub(super) fn label_prefix(runs: &[ChartRun<'_>], run: &ChartRun<'_>) -> String {
    if runs.len() > 1 {
        format!("{} ", run.id.to_uppercase())
    } else {
        String::new()
    }
}
