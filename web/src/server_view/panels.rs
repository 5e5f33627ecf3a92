//! What the tab says in words beside the strips: the server's health and
//! stats, the policy's next merge and why, each merge in the log as it
//! arrives, and the message for a page no `kvstore` served.
//!
//! Reasons are the engine's own descriptions (`MergeReason::describe`);
//! a reason this build does not know is shown as its word.

use std::fmt::Write as _;

use mini_kvstore::{CompactionTrigger, MergeReason};
use mini_kvstore_commands::{count, human_bytes};

use super::json::{CompactionEvent, Health, ServerStats, Summary};
use super::word::Word;
use crate::expiry::{Now, clock_time};
use crate::render::escape;

// `Health` is one of the server's answers (`json`); what the tab says of
// it is words, so it is written here with the rest of them.
impl Health {
    /// What the tab says of the server: its volume, and why it is
    /// unavailable if it says so.
    pub fn words_html(&self) -> String {
        let mut html = format!("volume <code>{}</code>", escape(&self.volume_id));
        if !self.is_healthy() {
            let _ = write!(
                html,
                r#" · <b class="srv-unhealthy">{}: {}</b>"#,
                escape(&self.status),
                escape(self.reason.as_deref().unwrap_or("no reason given"))
            );
        }
        html
    }
}

/// The stats the tab shows: `(data-server-stat, value)`.
pub fn stat_values(stats: &ServerStats) -> Vec<(&'static str, String)> {
    vec![
        ("keys", grouped(stats.keys)),
        ("segments", grouped(stats.segments)),
        ("total_bytes", human_bytes(stats.total_bytes)),
        ("live_bytes", human_bytes(stats.live_bytes)),
        ("dead_bytes", human_bytes(stats.dead_bytes)),
        (
            "space_amplification",
            format!("{:.2}", stats.space_amplification),
        ),
        (
            "write_amplification",
            format!("{:.2}", stats.write_amplification),
        ),
        ("compactions", grouped(stats.compactions)),
    ]
}

/// `1,000,000`.
pub fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn ids(ids: &[u32]) -> String {
    ids.iter()
        .map(u32::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

fn reason_words(reason: &Word<MergeReason>) -> String {
    match reason.known() {
        Some(reason) => reason.describe().to_owned(),
        None => reason.as_str().replace('_', " "),
    }
}

/// The policy's next merge, in words.
pub fn next_merge_html(summary: &Summary) -> String {
    if summary.next_merge.is_empty() {
        let deadest = summary
            .segments
            .iter()
            .filter_map(|s| Some((s.id, s.policy.as_ref()?.dead_fraction)))
            .max_by(|a, b| a.1.total_cmp(&b.1));
        let why = match deadest {
            None => "there is no sealed segment (the active one never merges)".to_owned(),
            Some((id, dead)) => format!(
                "no sealed segment meets a trigger; the deadest, segment {id}, is {:.0}% dead",
                dead * 100.0
            ),
        };
        return format!(r#"<p data-next="none"><b>Next merge: none.</b> {why}.</p>"#);
    }
    let mut html = format!(
        r#"<p data-next="{}"><b>Next merge: {} {}.</b> Marked “next merge” on the strips.</p><ul class="reasons">"#,
        summary
            .next_merge
            .iter()
            .map(u32::to_string)
            .collect::<Vec<_>>()
            .join(" "),
        if summary.next_merge.len() == 1 {
            "segment"
        } else {
            "segments"
        },
        ids(&summary.next_merge),
    );
    for id in &summary.next_merge {
        let segment = summary.segments.iter().find(|s| s.id == *id);
        let policy = segment.and_then(|s| s.policy.as_ref());
        let why = policy
            .and_then(|p| p.reason.as_ref())
            .map_or_else(|| "chosen by the policy".to_owned(), reason_words);
        let dead = policy.map_or(0.0, |p| p.dead_fraction);
        let _ = write!(
            html,
            "<li>segment {id}: {}, {:.0}% dead</li>",
            escape(&why),
            dead * 100.0
        );
    }
    html.push_str("</ul>");
    html
}

/// One merge in the log: inputs → outputs, bytes reclaimed, why; `number`
/// counts the merges this tab saw.
pub fn compaction_html(event: &CompactionEvent, number: u64, now: Now) -> String {
    let trigger = event.trigger.as_ref().and_then(Word::known);
    let (kind, why) = match trigger {
        Some(CompactionTrigger::Full) => (
            "full compaction",
            "asked for (POST /compact, or compact in a client)".to_owned(),
        ),
        Some(CompactionTrigger::Policy) => {
            let reasons: Vec<String> = event
                .reasons
                .iter()
                .map(|r| format!("segment {}: {}", r.segment, reason_words(&r.reason)))
                .collect();
            (
                "policy merge",
                if reasons.is_empty() {
                    "chosen by the policy".to_owned()
                } else {
                    reasons.join("; ")
                },
            )
        }
        _ => (
            "merge",
            event
                .trigger
                .as_ref()
                .map_or("unknown", Word::as_str)
                .to_owned(),
        ),
    };
    let outputs = if event.outputs.is_empty() {
        "nothing".to_owned()
    } else {
        ids(&event.outputs)
    };
    format!(
        r#"<li data-compaction="{number}" data-trigger="{trigger}" data-inputs="{inputs}" data-outputs="{outputs_attr}"><b>#{number} {kind}</b> at {time} · segments <b>{inputs_text}</b> → <b>{outputs}</b> · <span data-reclaimed="{reclaimed_bytes}">{reclaimed} reclaimed</span> ({before} → {after}) · {copied} copied, {written} written · tombstones {kept} kept, {dropped} dropped · {duration} ms<br><small>why: {why}</small></li>"#,
        trigger = escape(event.trigger.as_ref().map_or("", Word::as_str)),
        inputs = event
            .inputs
            .iter()
            .map(u32::to_string)
            .collect::<Vec<_>>()
            .join(" "),
        outputs_attr = event
            .outputs
            .iter()
            .map(u32::to_string)
            .collect::<Vec<_>>()
            .join(" "),
        time = clock_time(event.started_at_ms, now),
        inputs_text = ids(&event.inputs),
        reclaimed_bytes = event.bytes_reclaimed(),
        reclaimed = human_bytes(event.bytes_reclaimed()),
        before = human_bytes(event.bytes_before),
        after = human_bytes(event.bytes_after),
        copied = count(event.records_copied, "record"),
        written = human_bytes(event.bytes_written),
        kept = event.tombstones_kept,
        dropped = event.tombstones_dropped,
        duration = event.duration_ms,
        why = escape(&why),
    )
}

/// The log before any merge arrived; `before` is how many the server had
/// run when the tab connected.
pub fn empty_log_html(before: u64) -> String {
    let earlier = match before {
        0 => String::new(),
        n => format!(
            " The server ran {} before this tab connected; their results are in the strips.",
            count(n, "merge")
        ),
    };
    format!(
        r#"<li class="empty" data-compaction="none">No merge since this tab connected: each one appears here as it finishes.{earlier}</li>"#
    )
}

/// What the tab says when the page is not served by `kvstore`.
pub const ABSENT_HTML: &str = r#"<p><b>No kvstore server here.</b> This page was not served by <code>kvstore</code> (there is no <code>/health</code> answer from it on this address: <code>trunk serve</code> or a static file server sent the page), so there is no server store to show. The rest of the playground runs in your browser and needs no server.</p><p>To see a real server's store here, start one in front of the built page — <code>cargo xtask start</code> — and open <a href="http://127.0.0.1:8000/#server">http://127.0.0.1:8000/#server</a>.</p>"#;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server_view::fixtures::{COMPACTION, STATS, SUMMARY, numbered, summary};
    use crate::server_view::json::parse;

    #[test]
    fn stats_are_grouped_for_reading() {
        assert_eq!(grouped(0), "0");
        assert_eq!(grouped(999), "999");
        assert_eq!(grouped(1000), "1,000");
        assert_eq!(grouped(1_000_000), "1,000,000");
        let stats: ServerStats = parse("stats", STATS).expect("parses");
        let values = stat_values(&stats);
        assert!(values.contains(&("keys", "3".to_owned())));
        assert!(values.contains(&("write_amplification", "2.07".to_owned())));
        assert!(values.contains(&("compactions", "2".to_owned())));
    }

    #[test]
    fn the_next_merge_names_its_segments_and_why() {
        let html = next_merge_html(&summary());
        assert!(
            html.starts_with(r#"<p data-next="3"><b>Next merge: segment 3.</b>"#),
            "{html}"
        );
        assert!(html.contains("segment 3: dead fraction reached the trigger, 62% dead"));
        let mut none = summary();
        none.next_merge.clear();
        let html = next_merge_html(&none);
        assert!(html.contains(r#"data-next="none""#));
        assert!(html.contains("the deadest, segment 3, is 62% dead"));
        let html = next_merge_html(&numbered(&[1], 1));
        assert!(html.contains("there is no sealed segment"));
    }

    #[test]
    fn a_merge_in_the_log_says_what_went_in_and_out_and_why() {
        let merge: CompactionEvent = parse("a compaction", COMPACTION).expect("parses");
        let html = compaction_html(&merge, 1, Now::utc(1_796_174_252_316));
        assert!(html.starts_with(r#"<li data-compaction="1" data-trigger="policy" data-inputs="2 3" data-outputs="5">"#), "{html}");
        assert!(html.contains("segments <b>2, 3</b> → <b>5</b>"));
        assert!(
            html.contains(r#"<span data-reclaimed="41">41 B reclaimed</span> (191 B → 150 B)"#)
        );
        assert!(html.contains("why: segment 2: dead fraction reached the trigger; segment 3: small segment, packed with the others"));
        let full = CompactionEvent {
            trigger: Some(Word::Known(CompactionTrigger::Full)),
            ..merge
        };
        assert!(compaction_html(&full, 2, Now::utc(0)).contains("full compaction"));
        assert!(empty_log_html(0).contains("No merge since this tab connected"));
        assert!(empty_log_html(3).contains("ran 3 merges before"));
    }

    #[test]
    fn a_reason_this_build_does_not_know_is_shown_as_its_word() {
        let text = SUMMARY.replace("\"fragmentation_trigger\"", "\"moon_phase\"");
        let summary: Summary = parse("a summary", &text).expect("still parses");
        assert!(next_merge_html(&summary).contains("moon phase"));
    }

    #[test]
    fn the_servers_health_in_words() {
        let health = Health::of_kvstore(r#"{"status":"healthy","volume_id":"vol1","keys":0}"#)
            .expect("kvstore's");
        assert_eq!(health.words_html(), "volume <code>vol1</code>");
        let sick = Health::of_kvstore(
            r#"{"status":"unavailable","reason":"3 merges <failed>","volume_id":"vol1","keys":0}"#,
        )
        .expect("still kvstore's");
        assert!(
            sick.words_html()
                .contains("unavailable: 3 merges &lt;failed&gt;")
        );
    }
}
