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
//!
//! ## Where things live
//!
//! | module | what |
//! |---|---|
//! | `svg` | the whole chart: legend, the three plots stacked, the time axis, the merge marks ([`chart_svg`]) |
//! | `plot` | one plot, drawn the same way for all three: its frame and title, a line per store and measure, labels at the lines' ends kept apart |
//! | `merge` | a merge on the chart: its mark's name, its `data-merge` id, its report ([`merge_report_html`]) |
//! | `table` | the side-by-side table ([`comparison_html`]) |
//! | `text` | text in the drawing, wrapped to its width |
//! | `run` | one store on the chart ([`ChartRun`]) and how its lines look ([`LineStyle`]) |
//!
//! Imports run down that table, and this file only re-exports.

mod merge;
mod plot;
mod run;
mod svg;
mod table;
mod text;

#[cfg(test)]
mod fixtures;

pub use merge::{MERGE_HINT, merge_label, merge_report_html, parse_merge_id};
pub use run::{ChartRun, LineStyle};
pub use svg::{MIN_WIDTH, chart_svg};
pub use table::comparison_html;
