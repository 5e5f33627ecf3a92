//! One segment's strip: its label (number, role, fill, the policy's words)
//! and a cell per record, placed and sized in percent of the strip.
//!
//! A strip holds nothing that changes with the time alone (see the map's
//! module docs), so its HTML is the same until its segment changes, and the
//! page's strip cache can compare strings.

use std::fmt::Write as _;

use mini_kvstore::{RecordKind, RecordState, SegmentLayout};
use mini_kvstore_commands::human_bytes;

use super::cell_id::CellId;
use super::meter::{meter_html, policy_label_html, verdict_data};
use super::scale::{LABEL_MIN_PX, StripScale, percent};
use crate::merge_policy::MergeRole;
use crate::merge_replay::CellRepoint;
use crate::render::escape;
use crate::view::{Cell, CellKind, StripView, show_bytes};

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
    if strip.verdict.is_some() {
        classes.push("assessed");
    }
    if strip.verdict.is_some_and(|v| v.selected) {
        classes.push("next-merge");
    }
    let merged = matches!(strip.merge_role, Some((MergeRole::Merged, _)));
    match strip.merge_role {
        Some((MergeRole::Input, _)) => classes.push("merging-input"),
        Some((MergeRole::Output, _)) => classes.push("merge-output"),
        Some((MergeRole::Merged, _)) => classes.push("merged"),
        None => {}
    }
    let role = match (merged, strip.active, strip.sealed, strip.compacted) {
        (true, ..) => "merged — goes once no key points here",
        (false, true, _, _) => "active — new writes go here",
        (false, false, true, true) => "sealed · written by compaction",
        (false, false, true, false) => "sealed — never written again",
        (false, false, false, _) => "unsealed",
    };
    // A merged input is no segment of the store any more: it is named by
    // `data-merged-segment`, so nothing that looks for the store's
    // segments (`data-segment`), their records or keys finds it.
    let name = if merged {
        "data-merged-segment"
    } else {
        "data-segment"
    };
    let mut html = String::with_capacity(128 + strip.cells.len() * 160);
    let _ = write!(
        html,
        r#"<div class="{}" {name}="{}" data-active="{}" data-sealed="{}"{}{}><div class="seg-label"><b>segment {}</b><span class="role">{}</span><span class="fill">{} / {} · {}% live</span>{}{}</div><div class="strip">"#,
        classes.join(" "),
        strip.id,
        strip.active,
        strip.sealed,
        strip.verdict.map(verdict_data).unwrap_or_default(),
        // A strip redrawn mid-animation resumes it (a negative delay).
        strip
            .merge_role
            .map(|(_, age)| format!(r#" style="--merge-age:-{age}ms""#))
            .unwrap_or_default(),
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
        policy_label_html(strip),
    );
    let px_per_byte = f64::from(scale.px) / scale.bytes.max(1) as f64;
    for cell in &strip.cells {
        cell_html(
            &mut html,
            strip.id,
            cell,
            segment,
            merged,
            scale.bytes,
            px_per_byte,
        );
    }
    if let Some(verdict) = strip.verdict {
        meter_html(&mut html, &verdict, scale.bytes);
    }
    html.push_str("</div></div>");
    html
}

/// One cell of a strip; `merged` for a merged input's, which names no
/// record of the store (no `data-i`, `data-record`, `data-key`: it cannot
/// be hovered, picked or selected) and says which key it held in
/// `data-was-key`.
fn cell_html(
    html: &mut String,
    segment_id: u32,
    cell: &Cell,
    segment: &SegmentLayout,
    merged: bool,
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
            let id = CellId::Header {
                segment: segment_id,
            };
            let _ = write!(
                html,
                r#"<div class="cell hdr"{} style="{style}"></div>"#,
                data_i(merged, id)
            );
        }
        CellKind::Corrupt => {
            let id = CellId::Corrupt {
                segment: segment_id,
                offset: cell.start,
            };
            let _ = write!(
                html,
                r#"<div class="cell corrupt"{} style="{style}">{}</div>"#,
                data_i(merged, id),
                if wide { "corrupt" } else { "" }
            );
        }
        CellKind::Aggregate { count, state } => {
            let _ = write!(
                html,
                r#"<div class="cell agg {}{}" data-aggregate="{count}" style="{style}"></div>"#,
                state.name(),
                if cell.marks.expiring { " expiring" } else { "" }
            );
        }
        CellKind::Record { index, state, kind } => {
            let Some(record) = segment.records.get(*index) else {
                return;
            };
            let id = CellId::Record {
                segment: segment_id,
                index: *index,
            };
            let marks = cell.marks;
            let mut classes = format!("cell rec {}", state.name());
            for (on, class) in [
                (marks.selected, "sel"),
                (marks.index_target, "target"),
                (marks.survives, "survives"),
                (marks.dropped, "dropped"),
                (marks.copied, "copied"),
                (marks.next, "next"),
                (marks.damaged, "damaged"),
                (marks.expiring, "expiring"),
            ] {
                if on {
                    classes.push(' ');
                    classes.push_str(class);
                }
            }
            let repoint = marks.repoint.map(|repoint| {
                classes.push_str(" repoint-");
                classes.push_str(repoint.name());
                if repoint.is_now() {
                    classes.push_str(" repoint-now");
                }
                format!(
                    r#" data-repoint="{}" title="{}""#,
                    repoint.name(),
                    repoint_words(repoint)
                )
            });
            let data = match kind {
                RecordKind::Put | RecordKind::Tombstone if merged => format!(
                    r#" data-was-key="{}" data-was-state="{}""#,
                    escape(&String::from_utf8_lossy(&record.key)),
                    state.name(),
                ),
                RecordKind::Seal | RecordKind::CompactionCommit if merged => String::new(),
                RecordKind::Put | RecordKind::Tombstone => {
                    let mut data = format!(
                        r#" data-record="{id}" data-key="{}" data-state="{}" data-seq="{}""#,
                        escape(&String::from_utf8_lossy(&record.key)),
                        state.name(),
                        record.seq
                    );
                    if let Some(at) = record.expires_at
                        && matches!(state, RecordState::Live | RecordState::Expired)
                    {
                        let _ = write!(data, r#" data-expires-at="{at}""#);
                    }
                    data
                }
                RecordKind::Seal | RecordKind::CompactionCommit => {
                    r#" data-meta="true""#.to_owned()
                }
            };
            let label = if !wide {
                String::new()
            } else {
                match kind {
                    RecordKind::Put | RecordKind::Tombstone => escape(&show_bytes(&record.key, 40)),
                    RecordKind::Seal | RecordKind::CompactionCommit => kind.name().to_owned(),
                }
            };
            let _ = write!(
                html,
                r#"<div class="{classes}"{}{data}{} style="{style}"><span>{label}</span></div>"#,
                data_i(merged, id),
                repoint.unwrap_or_default(),
            );
        }
    }
}

/// A cell's `data-i`, unless it is a merged input's.
fn data_i(merged: bool, id: CellId) -> String {
    if merged {
        String::new()
    } else {
        format!(r#" data-i="{id}""#)
    }
}

/// What a cell's part in the repointing means, in words (its tooltip).
fn repoint_words(repoint: CellRepoint) -> &'static str {
    match repoint {
        CellRepoint::IndexHere => {
            "the index still points here: the copy is written, the entry not moved yet"
        }
        CellRepoint::IndexLeft { .. } => "the index has left this record: it points at the copy",
        CellRepoint::AwaitsIndex => "a copy the index does not point at yet",
        CellRepoint::IndexArrived { .. } => "the index points at this copy now",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::map::fixtures::{T0, TestResult};
    use crate::view::{MapSettings, map_view, shown_segments};
    use mini_kvstore::{CompactionPolicy, KvStore, Layout, ManualClock, MemStorage, Options};
    use std::sync::Arc;
    use std::time::Duration;

    /// Every strip's HTML, drawn as the page draws it.
    fn strips(layout: &Layout, segment_size: u64) -> Vec<String> {
        let settings = MapSettings {
            segment_size,
            strip_px: 600,
            ..MapSettings::default()
        };
        drawn(layout, &settings)
    }

    /// Every strip's HTML under `settings`, drawn as the page draws it (a
    /// merge's inputs among them while its replay shows them).
    fn drawn(layout: &Layout, settings: &MapSettings) -> Vec<String> {
        let segment_size = settings.segment_size;
        let view = map_view(layout, settings);
        let scale = StripScale {
            bytes: view.scale,
            segment_size,
            px: 600,
        };
        view.strips
            .iter()
            .zip(shown_segments(layout, settings))
            .map(|(strip, segment)| strip_html(strip, segment, scale))
            .collect()
    }

    #[test]
    fn strips_carry_the_test_hooks() -> TestResult {
        let store = KvStore::open_with(MemStorage::new(), Options::default())?;
        store.set("a", "1")?;
        store.set("a", "2")?;
        store.set("<b>", "x")?;
        store.delete("<b>")?;
        let layout = store.layout()?;
        let html = &strips(&layout, 512)[0];
        assert!(html.contains(r#"data-segment="1""#), "{html}");
        assert!(html.contains(r#"data-key="a" data-state="overwritten""#));
        assert!(html.contains(r#"data-key="a" data-state="live""#));
        assert!(html.contains(r#"data-key="&lt;b&gt;" data-state="tombstone""#));
        assert!(!html.contains("<b>x"), "user data is escaped");
        Ok(())
    }

    #[test]
    fn a_strip_shows_the_policy_verdict_and_the_merge_on_show() -> TestResult {
        use crate::merge_policy::{PolicyOnMap, PolicySettings};
        let policy = PolicySettings::default().policy(256);
        let store = KvStore::open_with(
            MemStorage::new(),
            Options::default()
                .max_segment_size(256)
                .compaction_policy(policy.clone()),
        )?;
        for i in 0..40 {
            store.set(format!("k{}", i % 2), "a value of some length")?;
        }
        let layout = store.layout()?;
        let mut on_map = PolicyOnMap::of(&store.policy_plan(), &policy);
        let next = *on_map
            .verdicts
            .iter()
            .find(|(_, v)| v.selected)
            .ok_or("a segment the next merge takes")?
            .0;
        on_map.inputs.insert(next);
        let settings = MapSettings {
            segment_size: 256,
            strip_px: 600,
            policy: Some(on_map),
            ..MapSettings::default()
        };
        let view = map_view(&layout, &settings);
        let scale = StripScale {
            bytes: view.scale,
            segment_size: 256,
            px: 600,
        };
        let (strip, segment) = view
            .strips
            .iter()
            .zip(&layout.segments)
            .find(|(strip, _)| strip.id == next)
            .ok_or("the strip")?;
        let html = strip_html(strip, segment, scale);
        assert!(
            html.contains(r#"class="segment sealed assessed next-merge merging-input""#),
            "{html}"
        );
        assert!(html.contains(r#" data-reason="fragmentation_trigger" data-next-merge="true""#));
        assert!(html.contains("▶ next merge: dead fraction reached the trigger"));
        assert!(
            html.contains(r#"<span>threshold</span>"#) && html.contains(r#"<span>trigger</span>"#)
        );
        assert!(html.contains("merging: copying its live records out"));
        assert!(html.contains(r#" style="--merge-age:-0ms""#), "{html}");
        let active = view.strips.iter().find(|s| s.active).ok_or("active")?;
        assert_eq!(active.verdict, None, "the active segment never merges");
        let plain = strips(&layout, 256);
        assert!(
            plain.iter().all(|html| !html.contains("policy-meter")),
            "off by default"
        );
        Ok(())
    }

    #[test]
    fn every_cell_names_itself_with_its_id() -> TestResult {
        let store =
            KvStore::open_with(MemStorage::new(), Options::default().max_segment_size(256))?;
        for i in 0..8 {
            store.set(format!("key{i}"), "a value long enough to fill a segment")?;
        }
        let layout = store.layout()?;
        let html = &strips(&layout, 256)[0];
        assert!(html.contains(r#"data-i="1:h""#), "{html}");
        assert!(html.contains(r#"data-i="1:0" data-record="1:0" data-key="key0""#));
        let seal = layout.segments[0].records.len() - 1;
        assert_eq!(layout.segments[0].records[seal].kind, RecordKind::Seal);
        assert!(html.contains(&format!(r#"data-i="1:{seal}" data-meta="true""#)));
        Ok(())
    }

    #[test]
    fn an_expiring_record_is_marked_and_turns_dead_in_its_strip_alone() -> TestResult {
        let clock = Arc::new(ManualClock::new(T0));
        let store = KvStore::open_with(
            MemStorage::new(),
            Options::default()
                .max_segment_size(256)
                .compaction_policy(CompactionPolicy::default().background(false))
                .clock(Arc::clone(&clock)),
        )?;
        store.set_with_ttl("session", "token", Duration::from_secs(12))?;
        for i in 0..6 {
            store.set(format!("key{i}"), "a value long enough to fill a segment")?;
        }
        let before = strips(&store.layout()?, 256);
        assert!(before.len() >= 2, "the writes rotated");
        let expiring = format!(
            r#"class="cell rec live expiring" data-i="1:0" data-record="1:0" data-key="session" data-state="live" data-seq="1" data-expires-at="{}""#,
            T0 + 12_000
        );
        assert!(before[0].contains(&expiring), "{}", before[0]);
        assert_eq!(before[0].matches("expiring").count(), 1, "{}", before[0]);

        // Time alone changes no strip until the record expires: the
        // countdown is not in the map.
        clock.set(T0 + 11_999);
        assert_eq!(strips(&store.layout()?, 256), before);

        clock.set(T0 + 12_000);
        let after = strips(&store.layout()?, 256);
        assert_ne!(after[0], before[0], "the strip holding it is redrawn");
        assert_eq!(after[1..], before[1..], "the others are not");
        assert!(
            after[0].contains(&format!(
                r#"class="cell rec expired" data-i="1:0" data-record="1:0" data-key="session" data-state="expired" data-seq="1" data-expires-at="{}""#,
                T0 + 12_000
            )),
            "{}",
            after[0]
        );
        assert!(!after[0].contains("expiring"));
        Ok(())
    }

    #[test]
    fn a_merged_input_is_drawn_until_the_index_has_left_it() -> TestResult {
        use crate::merge_policy::{MergeStage, PolicyOnMap};
        use crate::merge_replay::MergeReplay;
        let (before, report, after) = crate::merge_policy::real_merge()?;
        let replay = MergeReplay::of(&before, &report, &after, 0);
        let input = replay.moves.first().ok_or("a move")?.from.0;
        let output = *replay.outputs.first().ok_or("an output")?;
        let mut stage = MergeStage::default();
        stage.ran(replay.clone());
        let map_at = |now: u64| {
            let mut policy = PolicyOnMap::default();
            stage.show_on(&mut policy, now, &after);
            let settings = MapSettings {
                segment_size: 256,
                strip_px: 600,
                policy: Some(policy),
                ..MapSettings::default()
            };
            drawn(&after, &settings)
        };
        let find = |html: &[String], hook: &str| html.iter().find(|h| h.contains(hook)).cloned();

        // Copying: the input is back on the map, in its place, as it was.
        let html = map_at(0);
        assert_eq!(html.len(), after.segments.len() + replay.inputs.len());
        let ghost = find(&html, &format!(r#"data-merged-segment="{input}""#)).ok_or("the input")?;
        assert!(
            ghost.starts_with(r#"<div class="segment sealed"#),
            "{ghost}"
        );
        assert!(ghost.contains(" merged\""), "{ghost}");
        assert!(!ghost.contains("data-segment=") && !ghost.contains("data-i="));
        assert!(!ghost.contains("data-key=") && !ghost.contains("data-record="));
        assert!(ghost.contains("data-was-key="), "{ghost}");
        assert!(ghost.contains(r#"data-repoint="here" title="the index still points here"#));
        let here = replay.moves.iter().filter(|m| m.from.0 == input).count();
        assert!(
            ghost.contains(&format!(
                r#"data-pointed="{here}">merged input · {here} key"#
            )),
            "{ghost}"
        );
        let out = find(&html, &format!(r#"data-segment="{output}""#)).ok_or("the output")?;
        assert!(out.contains("merge-output") && out.contains(r#"data-repoint="awaits""#));
        assert!(out.contains("· the index points at 0 of its "), "{out}");
        let mut ids: Vec<u32> = after.segments.iter().map(|s| s.id.0).collect();
        ids.extend(replay.inputs.iter().map(|s| s.id.0));
        ids.sort_unstable();
        assert_eq!(
            html.iter().position(|h| h == &ghost),
            ids.iter().position(|id| *id == input),
            "in its place by number"
        );

        // The first repointing step: the first keys leave the input for
        // their copies, the rest wait.
        let html = map_at(MergeReplay::COPY_MS);
        let ghost = find(&html, &format!(r#"data-merged-segment="{input}""#)).ok_or("the input")?;
        let out = find(&html, &format!(r#"data-segment="{output}""#)).ok_or("the output")?;
        assert!(
            html.iter().any(|h| h.contains("repoint-left repoint-now")),
            "{ghost}"
        );
        assert!(out.contains("repoint-arrived repoint-now"), "{out}");

        // Removed: the input is gone, the copies are pointed at.
        let removed = MergeReplay::COPY_MS + replay.steps() as u64 * MergeReplay::STEP_MS;
        let html = map_at(removed);
        assert_eq!(html.len(), after.segments.len());
        assert!(html.iter().all(|h| !h.contains("data-merged-segment")));
        let out = find(&html, &format!(r#"data-segment="{output}""#)).ok_or("the output")?;
        assert!(out.contains("· the index points at its copies"), "{out}");
        assert!(!out.contains(r#"data-repoint="awaits""#));
        Ok(())
    }
}
