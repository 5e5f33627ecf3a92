//! The server's JSON as the tests read it: the answers `server/README.md`
//! documents, and summaries of many segments made to order.

use mini_kvstore::SegmentKind;

use super::json::{SegmentSummary, Summary, parse};
use super::word::Word;

/// The summary of `server/README.md`'s example, with a sealed segment
/// the policy would merge added.
pub(super) const SUMMARY: &str = r#"{"segments":[
    {"id":3,"kind":"compacted","active":false,"sealed":true,"len":400,"live_bytes":100,"live_records":3,"overwritten_bytes":200,"tombstone_bytes":50,"tombstones":2,"expired_bytes":0,"expired_records":0,"meta_bytes":50,"corrupt_bytes":0,"dead_bytes":250,
     "policy":{"id":3,"len":400,"dead_bytes":250,"dead_fraction":0.625,"reason":"fragmentation_trigger","selected":true}},
    {"id":4,"kind":"log","active":true,"sealed":false,"len":169,"live_bytes":31,"live_records":1,"overwritten_bytes":56,"tombstone_bytes":25,"tombstones":1,"expired_bytes":41,"expired_records":1,"meta_bytes":16,"corrupt_bytes":0,"dead_bytes":122,"policy":null}
  ],
  "totals":{"segments":2,"len":569,"live_bytes":131,"live_records":4,"overwritten_bytes":256,"tombstone_bytes":75,"tombstones":3,"expired_bytes":41,"expired_records":1,"meta_bytes":66,"corrupt_bytes":0,"dead_bytes":372},
  "next_merge":[3]}"#;

pub(super) const STATS: &str = r#"{"volume_id":"my-vol","keys":3,"segments":2,"total_bytes":195,"live_bytes":195,"dead_bytes":0,"corrupt_ranges":0,"corrupt_bytes":0,"next_seq":8,"active_segment":4,"compactions":2,"compaction_failures":0,"last_compaction_failure":null,"user_bytes_written":273,"compaction_bytes_written":292,"dead_ratio":0.0,"space_amplification":1.0,"write_amplification":2.06959706959707}"#;

pub(super) const COMPACTION: &str = r#"{"segments_before":2,"segments_after":2,"bytes_before":191,"bytes_after":150,"records_copied":3,"inputs":[2,3],"outputs":[5],"trigger":"policy","reasons":[{"segment":2,"reason":"fragmentation_trigger"},{"segment":3,"reason":"small_segment"}],"tombstones_kept":1,"tombstones_dropped":2,"bytes_written":134,"started_at_ms":1796174252316,"duration_ms":3}"#;

pub(super) const RECORDS: &str = r#"{"segment":3,"len":113,"records":[
    {"offset":16,"len":31,"kind":"put","seq":2,"key":"user","value_len":6,"value_preview":"Alicia","crc":2996260713,"state":"live","meta":null},
    {"offset":47,"len":37,"kind":"compaction_commit","seq":0,"key":"","value_len":16,"value_preview":{"hex":"0600"},"crc":1727519867,"state":"meta","meta":{"commit":{"next_seq":6,"inputs":[1]}}},
    {"offset":84,"len":25,"kind":"tombstone","seq":5,"key":"<b>gone</b>","value_len":0,"value_preview":"","crc":1,"state":"tombstone","meta":null}
  ],"next":84}"#;

pub(super) fn summary() -> Summary {
    parse("a summary", SUMMARY).expect("the summary parses")
}

pub(super) fn numbered(ids: &[u32], active: u32) -> Summary {
    let segments = ids
        .iter()
        .map(|id| SegmentSummary {
            id: *id,
            kind: Word::Known(SegmentKind::Log),
            active: *id == active,
            sealed: *id != active,
            len: 1000,
            live_bytes: 984,
            live_records: 10,
            overwritten_bytes: 0,
            tombstone_bytes: 0,
            tombstones: 0,
            expired_bytes: 0,
            expired_records: 0,
            meta_bytes: 16,
            corrupt_bytes: 0,
            policy: None,
        })
        .collect();
    Summary {
        segments,
        next_merge: Vec::new(),
    }
}
