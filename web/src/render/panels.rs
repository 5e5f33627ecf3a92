//! The words of the panels around the map: the index, the compaction plan
//! and its step-by-step walk, the note under the fault buttons and the
//! recovery report after a reload. Counts are worded by the shared
//! [`count`], as the CLI words them.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use mini_kvstore::CompactionPlan;
use mini_kvstore_commands::{count, human_bytes};

use super::escape;
use crate::merge_replay::RowRepoint;
use crate::recovery::{KeyDiff, Recovery};
use crate::view::{IndexRow, PreviewSegment, show_bytes};

/// The index panel: at most `limit` rows whose key contains `filter`.
/// `repoint` is a merge being replayed: a key it moved shows where its
/// entry is in the replay — still on the input record, repointed in this
/// step, or repointed — in words as well as in its row's look.
pub fn index_html(
    rows: &[IndexRow],
    filter: &str,
    selected: Option<&[u8]>,
    limit: usize,
    repoint: &BTreeMap<Vec<u8>, RowRepoint>,
) -> String {
    let matching: Vec<&IndexRow> = rows
        .iter()
        .filter(|row| filter.is_empty() || String::from_utf8_lossy(&row.key).contains(filter))
        .collect();
    if rows.is_empty() {
        return r#"<p class="empty">The index is empty: no key has a value. Try <code>set hello world</code>.</p>"#.to_owned();
    }
    let mut html = String::from(
        "<table><thead><tr><th>key</th><th>→ segment</th><th>offset</th><th>bytes</th><th>seq</th></tr></thead><tbody>",
    );
    for row in matching.iter().take(limit) {
        let key = String::from_utf8_lossy(&row.key);
        let moving = repoint.get(&row.key).copied();
        let mut classes: Vec<&str> = Vec::new();
        if selected == Some(row.key.as_slice()) {
            classes.push("sel");
        }
        if let Some(moving) = moving {
            classes.push(match moving {
                RowRepoint::Waiting { .. } => "repoint-waiting",
                RowRepoint::Moving { .. } => "repoint-moving",
                RowRepoint::Moved { .. } => "repoint-moved",
            });
        }
        let class = if classes.is_empty() {
            String::new()
        } else {
            format!(r#" class="{}""#, classes.join(" "))
        };
        // Only a mark: the countdown is in the details panel, so the index
        // is redrawn when a key expires, not every second.
        let ttl = if row.expires_at.is_some() {
            r#" <span class="ttl-mark" title="has a time to live: hover its record for the countdown">TTL</span>"#
        } else {
            ""
        };
        // While the entry waits, the replay shows it where it was: on the
        // merged input's record.
        let (segment, offset) = match moving {
            Some(RowRepoint::Waiting { from }) => from,
            _ => (row.segment, row.offset),
        };
        let (data, words, was) = match moving {
            None => (String::new(), String::new(), String::new()),
            Some(moving) => {
                let from = moving.from().0;
                let words = match moving {
                    RowRepoint::Waiting { .. } => format!("waits: still on merged {from}"),
                    RowRepoint::Moving { .. } => format!("repointed now: {from} → {}", row.segment),
                    RowRepoint::Moved { .. } => format!("repointed: {from} → {}", row.segment),
                };
                (
                    format!(
                        r#" data-repoint="{}" data-was-segment="{from}""#,
                        moving.name()
                    ),
                    format!(r#" <span class="repoint-word">{words}</span>"#),
                    match moving {
                        RowRepoint::Waiting { .. } => String::new(),
                        _ => format!(r#"<s class="was">{from}</s> "#),
                    },
                )
            }
        };
        let _ = write!(
            html,
            r#"<tr{class} data-index-key="{}"{data}><td><code>{}</code>{ttl}{words}</td><td class="seg">{was}{segment}</td><td>{offset}</td><td>{}</td><td>{}</td></tr>"#,
            escape(&key),
            escape(&show_bytes(&row.key, 40)),
            row.len,
            row.seq
        );
    }
    html.push_str("</tbody></table>");
    if matching.len() > limit {
        let _ = write!(
            html,
            r#"<p class="more">… and {} more; type in the filter to narrow the list.</p>"#,
            matching.len() - limit
        );
    } else if matching.is_empty() {
        html.push_str(r#"<p class="empty">No key contains that text.</p>"#);
    }
    html
}

/// The compaction panel before Plan is pressed.
pub const COMPACTION_HINT: &str = r#"<p class="hint">Press <b>Plan</b> to see what compaction would keep before anything happens.</p>"#;

/// The compaction plan in words.
pub fn plan_html(plan: &CompactionPlan) -> String {
    let copied: u64 = plan.survivors.iter().map(|s| u64::from(s.from.len)).sum();
    let reclaimed = plan.bytes_reclaimed();
    let share = (reclaimed * 100)
        .checked_div(plan.bytes_before)
        .unwrap_or(0);
    format!(
        r#"<p><b>The plan:</b> copy the <b>{}</b> (<span class="t-live">green</span>, {}) into <b>{}</b>, then remove all <b>{}</b>. Overwritten values, tombstones and seals (faded) are simply not copied.</p><p>Storage goes from <b>{}</b> to <b>{}</b>: <b data-reclaimed="{reclaimed}">{} reclaimed</b> ({share}%).</p>"#,
        count(plan.survivors.len() as u64, "live record"),
        human_bytes(copied),
        count(plan.output_segments as u64, "new segment"),
        count(plan.inputs.len() as u64, "current segment"),
        human_bytes(plan.bytes_before),
        human_bytes(plan.bytes_after),
        human_bytes(reclaimed),
    )
}

/// Where the compaction walk is.
pub fn walk_html(plan: &CompactionPlan, step: usize, outputs: &[PreviewSegment]) -> String {
    let total = plan.survivors.len();
    if step >= total {
        return format!(
            r#"<p><b>All {} copied</b> into {}. The real compaction now syncs them, appends a <i>commit</i> record naming the old segments (so a crash from here on can never bring them back), seals the outputs and deletes the old segments. Press <b>Apply</b> to do it for real.</p>"#,
            count(total as u64, "live record"),
            count(outputs.len().max(1) as u64, "new segment"),
        );
    }
    let Some(survivor) = plan.survivors.get(step) else {
        return String::new();
    };
    format!(
        r#"<p><b>Step {} of {total}:</b> next, copy <code>{}</code> ({} bytes) from segment {} at offset {}. Its bytes are copied unchanged — same seq, same CRC — and the index will point at the copy. Records in between are dead and skipped.</p>"#,
        step + 1,
        escape(&show_bytes(&survivor.key, 40)),
        survivor.from.len,
        survivor.from.segment,
        survivor.from.offset,
    )
}

/// The note under the fault buttons while a fault has stopped the store.
pub fn fault_note_html(description: &str) -> String {
    format!(
        r#"<p class="verdict bad">{}</p><p>The store is stopped, as if the machine had crashed right now. Press <b>Reload</b>: the page reopens the store from IndexedDB, and recovery reads every record, checking each CRC.</p>"#,
        escape(description)
    )
}

/// The recovery panel after a reload.
pub fn recovery_html(recovery: &Recovery) -> String {
    let report = &recovery.report;
    let mut html = String::from("<h3>Recovery report</h3>");
    let verdict = if recovery.found_no_damage() {
        r#"<p class="verdict good">Recovery found nothing to repair.</p>"#
    } else {
        r#"<p class="verdict bad">Recovery found damage and repaired what it could.</p>"#
    };
    html.push_str(verdict);
    let _ = write!(
        html,
        "<p>It read <b>{}</b> and <b>{}</b>, checking each record's CRC, and rebuilt the index from them (for every key, the record with the highest seq wins).</p><ul>",
        count(report.segments as u64, "segment"),
        count(report.records, "valid record"),
    );
    for problem in &recovery.load_problems {
        let _ = write!(
            html,
            r#"<li class="bad">IndexedDB: {}</li>"#,
            escape(problem)
        );
    }
    for tail in &report.truncated {
        let _ = write!(
            html,
            r#"<li class="bad" data-recovery="truncated">Torn tail: the CRC check stopped at offset <b>{}</b> of segment <b>{}</b>; the {} after it (an unfinished write) were cut off, so new writes start on clean ground.</li>"#,
            tail.offset,
            tail.segment,
            count(tail.bytes_cut, "byte"),
        );
    }
    for range in &report.corrupt {
        let _ = write!(
            html,
            r#"<li class="bad" data-recovery="corrupt">Corrupt bytes: segment <b>{}</b>, offset <b>{}</b>, {} failed the CRC check. They were skipped and every valid record after them kept.</li>"#,
            range.segment,
            range.offset,
            count(range.len, "byte"),
        );
    }
    if !report.removed_segments.is_empty() {
        let ids: Vec<String> = report
            .removed_segments
            .iter()
            .map(ToString::to_string)
            .collect();
        let _ = write!(
            html,
            "<li>Removed {}: {} (an interrupted compaction or segment creation).</li>",
            count(ids.len() as u64, "leftover segment"),
            ids.join(", ")
        );
    }
    html.push_str("</ul>");
    html.push_str(&diff_html(&recovery.diff));
    html
}

fn diff_html(diff: &KeyDiff) -> String {
    if diff.is_empty() {
        return "<p>Every key has the same value as before the reload.</p>".to_owned();
    }
    let keys = |keys: &[Vec<u8>]| {
        keys.iter()
            .map(|k| format!("<code>{}</code>", escape(&show_bytes(k, 30))))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut html = String::from("<p>Compared with before the reload:</p><ul>");
    if !diff.lost.is_empty() {
        let _ = write!(
            html,
            r#"<li class="bad">lost: {} — no valid record of the key is left.</li>"#,
            keys(&diff.lost)
        );
    }
    if !diff.rolled_back.is_empty() {
        let _ = write!(
            html,
            r#"<li class="bad">rolled back: {} — the newest record was damaged, so an older, overwritten record is the newest valid one again.</li>"#,
            keys(&diff.rolled_back)
        );
    }
    if !diff.resurrected.is_empty() {
        let _ = write!(
            html,
            r#"<li class="bad">back from the dead: {} — its tombstone was damaged, so an older value counts again.</li>"#,
            keys(&diff.resurrected)
        );
    }
    html.push_str("</ul>");
    html
}

#[cfg(test)]
mod tests {
    use super::*;
    use mini_kvstore::{KvStore, MemStorage, Options};

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    /// Index rows of keys `k0`, `k1`, … in `segment`, 30 bytes each from
    /// the first record's offset on, with no TTL.
    fn index_rows(count: u64, segment: u32) -> Vec<IndexRow> {
        (0..count)
            .map(|i| IndexRow {
                key: format!("k{i}").into_bytes(),
                segment,
                offset: 16 + i * 30,
                len: 30,
                seq: i + 1,
                expires_at: None,
            })
            .collect()
    }

    #[test]
    fn counts_are_worded_by_the_shared_helper() -> TestResult {
        let store = KvStore::open_with(MemStorage::new(), Options::default())?;
        store.set("only", "1")?;
        let plan = store.layout()?.plan;
        let html = plan_html(&plan);
        assert!(html.contains("copy the <b>1 live record</b>"), "{html}");
        assert!(html.contains("into <b>1 new segment</b>"), "{html}");
        assert!(
            html.contains("remove all <b>1 current segment</b>"),
            "{html}"
        );
        Ok(())
    }

    #[test]
    fn the_index_is_cut_and_filtered() {
        let rows = index_rows(10, 1);
        let html = index_html(&rows, "", Some(b"k2"), 3, &BTreeMap::new());
        assert_eq!(
            html.matches("<tr ").count() + html.matches("<tr>").count(),
            4
        );
        assert!(html.contains("7 more"));
        assert!(html.contains(r#"<tr class="sel" data-index-key="k2">"#));
        let html = index_html(&rows, "k9", None, 3, &BTreeMap::new());
        assert_eq!(html.matches("data-index-key=").count(), 1, "{html}");
        assert!(html.contains(r#"<tr data-index-key="k9">"#), "{html}");
        assert!(!html.contains("ttl-mark"));

        let mut rows = rows;
        rows[9].expires_at = Some(1);
        let html = index_html(&rows, "k9", None, 3, &BTreeMap::new());
        assert!(
            html.contains(r#"<code>k9</code> <span class="ttl-mark""#),
            "{html}"
        );
    }

    #[test]
    fn an_entry_being_repointed_says_where_it_is_in_words() {
        let rows = index_rows(3, 9);
        let repoint = BTreeMap::from([
            (b"k0".to_vec(), RowRepoint::Moved { from: (3, 40) }),
            (b"k1".to_vec(), RowRepoint::Moving { from: (3, 70) }),
            (b"k2".to_vec(), RowRepoint::Waiting { from: (4, 16) }),
        ]);
        let html = index_html(&rows, "", Some(b"k1"), 10, &repoint);
        assert!(
            html.contains(r#"<tr class="repoint-moved" data-index-key="k0" data-repoint="moved" data-was-segment="3"><td><code>k0</code> <span class="repoint-word">repointed: 3 → 9</span></td><td class="seg"><s class="was">3</s> 9</td><td>16</td>"#),
            "{html}"
        );
        assert!(
            html.contains(
                r#"<tr class="sel repoint-moving" data-index-key="k1" data-repoint="moving""#
            ),
            "{html}"
        );
        assert!(html.contains("repointed now: 3 → 9"), "{html}");
        // A waiting entry is shown where it still points: the input.
        assert!(
            html.contains(r#"<span class="repoint-word">waits: still on merged 4</span></td><td class="seg">4</td><td>16</td>"#),
            "{html}"
        );
        let plain = index_html(&rows, "", None, 10, &BTreeMap::new());
        assert!(!plain.contains("repoint"), "{plain}");
    }
}
