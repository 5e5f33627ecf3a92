//! The side-by-side table: one column per store, its newest numbers, each
//! cell `[data-store][data-field]` for the end-to-end suite.

use std::fmt::Write as _;

use super::run::{ChartRun, LineStyle};
use crate::render::escape;
use crate::series::{Sample, Series};

/// The side-by-side table for `runs`.
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
