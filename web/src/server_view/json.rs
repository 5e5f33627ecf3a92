//! The server's answers as types: `/events`' `stats`, `segments` and
//! `compaction` events, `/segments/{id}/records` pages and `/health`.
//!
//! The engine's types only serialize, so these mirror their shapes
//! (`server/README.md`, "Segments in numbers, a page at a time, and
//! live"); the words in them are read back into the engine's enums
//! through [`Word`]. What the tab says of them is `panels`' and
//! `records`', what it draws of a summary `strip`'s.

use std::fmt;

use mini_kvstore::{CompactionTrigger, MergeReason, RecordKind, RecordState, SegmentKind};
use serde::Deserialize;
use serde::de::DeserializeOwned;

use super::word::Word;

/// JSON from the server that does not have the shape this page expects.
#[derive(Debug, thiserror::Error)]
#[error("the server sent {what} this page cannot read: {source}")]
#[non_exhaustive]
pub struct ParseError {
    /// What was being read (`"a segments event"`).
    pub what: &'static str,
    /// Why it could not be.
    #[source]
    pub source: serde_json::Error,
}

/// Reads `text` as a `T`; `what` names it in the error.
pub fn parse<T: DeserializeOwned>(what: &'static str, text: &str) -> Result<T, ParseError> {
    serde_json::from_str(text).map_err(|source| ParseError { what, source })
}

/// `GET /health`: how the tab knows the page is served by `kvstore`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Health {
    /// `"healthy"`, or `"unavailable"` (with a 503) and a `reason`.
    pub status: String,
    /// Why the store should get no traffic, when it should not.
    #[serde(default)]
    pub reason: Option<String>,
    /// The volume's name (`--id`).
    pub volume_id: String,
}

impl Health {
    /// The health answer in `text`, if it is `kvstore`'s: a JSON object
    /// with `status` and `volume_id`, whatever the HTTP status (an
    /// unavailable store answers 503, and is a server all the same).
    /// Under `trunk serve` or a static server `/health` is a 404 page, or
    /// the playground's own `index.html`, and this is `None`.
    pub fn of_kvstore(text: &str) -> Option<Health> {
        serde_json::from_str::<Health>(text)
            .ok()
            .filter(|health| !health.status.is_empty())
    }

    /// Whether the server says it is fit for traffic.
    pub fn is_healthy(&self) -> bool {
        self.status == "healthy"
    }
}

/// `/stats`' JSON, which `/events` sends as `stats`: every number the
/// engine keeps. Fields a server does not send read as zero.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct ServerStats {
    /// The volume's name.
    pub volume_id: String,
    /// Live keys.
    pub keys: u64,
    /// Segment files.
    pub segments: u64,
    /// Bytes in all segments.
    pub total_bytes: u64,
    /// Bytes compaction keeps.
    pub live_bytes: u64,
    /// Bytes compaction reclaims.
    pub dead_bytes: u64,
    /// Corrupt ranges found since the store opened.
    pub corrupt_ranges: u64,
    /// Bytes in them.
    pub corrupt_bytes: u64,
    /// The segment new writes go to.
    pub active_segment: u32,
    /// Merges since the store opened.
    pub compactions: u64,
    /// Merges that failed since the store opened.
    pub compaction_failures: u64,
    /// The last failure's message.
    pub last_compaction_failure: Option<String>,
    /// Bytes appended by writes since the store opened.
    pub user_bytes_written: u64,
    /// Bytes appended by merges since the store opened.
    pub compaction_bytes_written: u64,
    /// Dead share of the bytes, 0 to 1.
    pub dead_ratio: f64,
    /// Bytes on disk per live byte.
    pub space_amplification: f64,
    /// Bytes written per byte writes asked for.
    pub write_amplification: f64,
}

/// `/segments?summary=true`' JSON, which `/events` sends as `segments`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Summary {
    /// Every segment, in the server's order (by id).
    pub segments: Vec<SegmentSummary>,
    /// The segments the policy's next merge would take; empty when nothing
    /// is due.
    #[serde(default)]
    pub next_merge: Vec<u32>,
}

/// One segment in numbers: its bytes by what holds them.
/// `live + overwritten + tombstone + expired + meta + corrupt == len`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct SegmentSummary {
    /// Its number.
    pub id: u32,
    /// Written by writes (`log`) or by compaction (`compacted`).
    pub kind: Word<SegmentKind>,
    /// New writes go here.
    pub active: bool,
    /// Finished: never written again.
    pub sealed: bool,
    /// Its bytes.
    pub len: u64,
    /// Bytes of records the index points at.
    pub live_bytes: u64,
    /// Records the index points at.
    #[serde(default)]
    pub live_records: u64,
    /// Bytes of records a newer write replaced.
    pub overwritten_bytes: u64,
    /// Bytes of tombstones.
    pub tombstone_bytes: u64,
    /// Tombstones.
    #[serde(default)]
    pub tombstones: u64,
    /// Bytes of puts whose time to live ran out.
    pub expired_bytes: u64,
    /// Those puts.
    #[serde(default)]
    pub expired_records: u64,
    /// Header, seals and compaction commits.
    pub meta_bytes: u64,
    /// Bytes holding no valid record.
    #[serde(default)]
    pub corrupt_bytes: u64,
    /// How the compaction policy sees it (`None` for the active segment).
    #[serde(default)]
    pub policy: Option<Assessment>,
}

/// How the compaction policy sees one sealed segment.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Assessment {
    /// Bytes a merge of it alone would give back.
    pub dead_bytes: u64,
    /// `dead_bytes / len`.
    pub dead_fraction: f64,
    /// The strongest trigger or threshold it met.
    #[serde(default)]
    pub reason: Option<Word<MergeReason>>,
    /// Whether the next merge takes it.
    #[serde(default)]
    pub selected: bool,
}

/// A `compaction` event: one merge's report, as `/compactions` lists it.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct CompactionEvent {
    /// Bytes on storage before.
    pub bytes_before: u64,
    /// Bytes on storage after.
    pub bytes_after: u64,
    /// Live records rewritten.
    pub records_copied: u64,
    /// Segments rewritten and removed.
    pub inputs: Vec<u32>,
    /// Segments written.
    pub outputs: Vec<u32>,
    /// Why it ran: a full compaction or the policy.
    pub trigger: Option<Word<CompactionTrigger>>,
    /// For a merge the policy chose, why each input joined it.
    pub reasons: Vec<InputReason>,
    /// Tombstones copied.
    pub tombstones_kept: u64,
    /// Tombstones dropped.
    pub tombstones_dropped: u64,
    /// Bytes written to the outputs.
    pub bytes_written: u64,
    /// When it started, ms since the epoch.
    pub started_at_ms: u64,
    /// How long it took, ms.
    pub duration_ms: u64,
}

impl CompactionEvent {
    /// Bytes the merge gave back (none when the outputs and the fresh
    /// active segment's header outweigh what it dropped).
    pub fn bytes_reclaimed(&self) -> u64 {
        self.bytes_before.saturating_sub(self.bytes_after)
    }
}

/// Why one input joined a policy merge.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct InputReason {
    /// The input.
    pub segment: u32,
    /// The trigger or threshold it met.
    pub reason: Word<MergeReason>,
}

/// `GET /segments/{id}/records`: a page of one segment's records.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct RecordPage {
    /// The segment.
    pub segment: u32,
    /// Its length when it was read.
    pub len: u64,
    /// Its records after the cursor, in offset order.
    pub records: Vec<Record>,
    /// The last record's offset when more follow.
    pub next: Option<u64>,
}

/// One record, as `/segments` shows it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Record {
    /// Byte offset in the segment.
    pub offset: u64,
    /// Bytes, header included.
    pub len: u64,
    /// Put, tombstone, seal or commit.
    pub kind: Word<RecordKind>,
    /// Sequence number (0 for bookkeeping).
    pub seq: u64,
    /// The key.
    pub key: Bytes,
    /// The value's length.
    pub value_len: u64,
    /// The value's first bytes.
    pub value_preview: Bytes,
    /// Live, overwritten, tombstone, meta or expired.
    pub state: Word<RecordState>,
}

/// Bytes as the server writes them: text, or `{"hex": "…"}` when they are
/// not text.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum Bytes {
    /// UTF-8 text without control characters.
    Text(String),
    /// Anything else, in hex.
    Hex {
        /// The bytes in hex.
        hex: String,
    },
}

impl fmt::Display for Bytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Bytes::Text(text) => f.write_str(text),
            Bytes::Hex { hex } => write!(f, "0x{hex}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server_view::fixtures::{COMPACTION, RECORDS, STATS, SUMMARY, summary};
    use mini_kvstore::{CompactionTrigger, MergeReason, RecordKind, RecordState, SegmentKind};

    #[test]
    fn the_servers_json_reads_into_the_engines_words() {
        let summary = summary();
        assert_eq!(summary.segments.len(), 2);
        assert_eq!(summary.next_merge, vec![3]);
        let sealed = &summary.segments[0];
        assert_eq!(sealed.kind.known(), Some(SegmentKind::Compacted));
        let policy = sealed.policy.as_ref().expect("assessed");
        assert_eq!(
            policy.reason.as_ref().and_then(Word::known),
            Some(MergeReason::FragmentationTrigger)
        );
        assert!(summary.segments[1].policy.is_none());

        let stats: ServerStats = parse("stats", STATS).expect("stats parse");
        assert_eq!(stats.keys, 3);
        assert_eq!(stats.active_segment, 4);
        assert_eq!(stats.compactions, 2);
        assert!((stats.write_amplification - 2.0696).abs() < 1e-3);

        let merge: CompactionEvent = parse("a compaction", COMPACTION).expect("report parses");
        assert_eq!(merge.inputs, vec![2, 3]);
        assert_eq!(merge.bytes_reclaimed(), 41);
        assert_eq!(
            merge.trigger.as_ref().and_then(Word::known),
            Some(CompactionTrigger::Policy)
        );
        assert_eq!(
            merge.reasons[1].reason.known(),
            Some(MergeReason::SmallSegment)
        );

        let page: RecordPage = parse("records", RECORDS).expect("records parse");
        assert_eq!(
            page.records[1].kind.known(),
            Some(RecordKind::CompactionCommit)
        );
        assert_eq!(page.records[1].value_preview.to_string(), "0x0600");
        assert_eq!(page.records[0].state.known(), Some(RecordState::Live));
        assert_eq!(page.next, Some(84));
    }

    #[test]
    fn a_word_this_build_does_not_know_is_kept_not_fatal() {
        let text = SUMMARY
            .replace("\"compacted\"", "\"frozen\"")
            .replace("\"fragmentation_trigger\"", "\"moon_phase\"");
        let summary: Summary = parse("a summary", &text).expect("still parses");
        assert_eq!(summary.segments[0].kind, Word::Unknown("frozen".into()));
        let reason = summary.segments[0]
            .policy
            .as_ref()
            .and_then(|p| p.reason.clone());
        assert_eq!(reason, Some(Word::Unknown("moon_phase".into())));
        let error = parse::<Summary>("a segments event", "{\"segments\": 3}").unwrap_err();
        assert!(
            error
                .to_string()
                .starts_with("the server sent a segments event")
        );
    }

    #[test]
    fn only_kvstores_health_answer_counts() {
        let health = Health::of_kvstore(r#"{"status":"healthy","volume_id":"vol1","keys":0}"#)
            .expect("kvstore's");
        assert_eq!(health.volume_id, "vol1");
        assert!(health.is_healthy());
        // `trunk serve` answers unknown paths with the page itself; a
        // static server with a 404 text; some other JSON service with its own.
        assert!(Health::of_kvstore("<!doctype html><html></html>").is_none());
        assert!(Health::of_kvstore("not found").is_none());
        assert!(Health::of_kvstore(r#"{"ok":true}"#).is_none());
        assert!(Health::of_kvstore(r#"{"status":"","volume_id":"x"}"#).is_none());
        // A store that should get no traffic answers 503, and is a server.
        let sick = Health::of_kvstore(
            r#"{"status":"unavailable","reason":"3 merges <failed>","volume_id":"vol1","keys":0}"#,
        )
        .expect("still kvstore's");
        assert!(!sick.is_healthy());
        assert_eq!(sick.reason.as_deref(), Some("3 merges <failed>"));
    }
}
