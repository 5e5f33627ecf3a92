//! The compaction policy on a strip: a sealed segment the policy has
//! assessed gets a meter under its strip — its dead bytes as a bar, the
//! threshold and trigger as labelled marks where those bytes would have to
//! reach — hooks for the tests (`data-dead-pct`, `data-reason`,
//! `data-next-merge`), and in its label how dead it is, why the next merge
//! takes it, and its part in a merge on show (for a merge being replayed,
//! how many keys the index has moved to the copies). All of it in words as well as
//! marks, so no colour is needed to read it.

use std::fmt::Write as _;

use mini_kvstore::MergeReason;
use mini_kvstore_commands::human_bytes;

use super::scale::percent;
use crate::merge_policy::{MergeRole, SegmentVerdict, reason_name};
use crate::merge_replay::CellRepoint;
use crate::render::escape;
use crate::view::StripView;

/// A strip's policy hooks: `data-dead-pct`, and `data-reason` and
/// `data-next-merge` when they apply.
pub(super) fn verdict_data(verdict: SegmentVerdict) -> String {
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
pub(super) fn policy_label_html(strip: &StripView) -> String {
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
    let count = |wanted: fn(CellRepoint) -> bool| {
        strip
            .cells
            .iter()
            .filter(|c| c.marks.repoint.is_some_and(wanted))
            .count()
    };
    match strip.merge_role.map(|(role, _)| role) {
        Some(MergeRole::Input) => {
            html.push_str(
                r#"<span class="merge-role">merging: copying its live records out</span>"#,
            );
        }
        Some(MergeRole::Output) => {
            let waiting = count(|r| r == CellRepoint::AwaitsIndex);
            let arrived = count(|r| matches!(r, CellRepoint::IndexArrived { .. }));
            html.push_str(r#"<span class="merge-role">written by the merge just now"#);
            if waiting > 0 {
                let _ = write!(
                    html,
                    " · the index points at {arrived} of its {} copies",
                    arrived + waiting
                );
            } else if arrived > 0 {
                html.push_str(" · the index points at its copies");
            }
            html.push_str("</span>");
        }
        Some(MergeRole::Merged) => {
            let here = count(|r| r == CellRepoint::IndexHere);
            let _ = write!(
                html,
                r#"<span class="merge-role" data-pointed="{here}">merged input · {}</span>"#,
                match here {
                    0 => "no key points here".to_owned(),
                    1 => "1 key still points here".to_owned(),
                    n => format!("{n} keys still point here"),
                }
            );
        }
        None => {}
    }
    html
}

/// The dead-bytes meter under a sealed segment's strip: a bar as long as
/// the bytes a merge would give back, and the trigger and threshold marked
/// where those bytes would have to reach, each with its word.
pub(super) fn meter_html(html: &mut String, verdict: &SegmentVerdict, scale: u64) {
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
