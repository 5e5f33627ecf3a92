//! This store's own commands: `KVSTORE.STATS`, `KVSTORE.SEGMENTS`,
//! `KVSTORE.COMPACT` — the engine's views the HTTP API has as `/stats`,
//! `/segments` and `POST /compact`. `KVSTORE.SEGMENTS` answers the very
//! value `/segments` sends as JSON (the server's `LayoutJson`), so the two
//! cannot drift apart.

use mini_kvstore::Stats;

use crate::introspection::LayoutJson;
use crate::resp::commands::spec::{
    ADMIN, Call, CommandSpec, Family, READONLY, WRITE, or_store_error,
};
use crate::resp::reply::Reply;
use crate::resp::serde_reply::to_reply;

/// Redis's `server` group: these are about the server, not the data.
const SERVER: Family = Family("server");

pub(crate) static SPECS: &[CommandSpec] = &[
    SERVER.spec(
        "kvstore.stats",
        1,
        READONLY,
        (0, 0, 0),
        "The engine's statistics: keys, segments, live and dead bytes, compactions.",
        kvstore_stats,
    ),
    SERVER.spec(
        "kvstore.segments",
        1,
        READONLY,
        (0, 0, 0),
        "Every segment and record with its state, and the compaction plan: what GET /segments answers.",
        kvstore_segments,
    ),
    SERVER.spec(
        "kvstore.compact",
        1,
        WRITE | ADMIN,
        (0, 0, 0),
        "Merges every sealed segment now, dropping dead records.",
        kvstore_compact,
    ),
];

/// The engine's numbers as `INFO`'s `kvstore` section and `KVSTORE.STATS`
/// give them.
pub(crate) fn stats_fields(stats: &Stats) -> Vec<(&'static str, String)> {
    vec![
        ("keys", stats.keys.to_string()),
        ("segments", stats.segments.to_string()),
        ("total_bytes", stats.total_bytes.to_string()),
        ("live_bytes", stats.live_bytes.to_string()),
        ("dead_bytes", stats.dead_bytes.to_string()),
        ("dead_ratio", format!("{:.4}", stats.dead_ratio())),
        ("corrupt_ranges", stats.corrupt_ranges.to_string()),
        ("corrupt_bytes", stats.corrupt_bytes.to_string()),
        ("next_seq", stats.next_seq.to_string()),
        ("active_segment", stats.active_segment.to_string()),
        ("compactions", stats.compactions.to_string()),
        ("compaction_failures", stats.compaction_failures.to_string()),
        ("user_bytes_written", stats.user_bytes_written.to_string()),
        (
            "compaction_bytes_written",
            stats.compaction_bytes_written.to_string(),
        ),
        (
            "space_amplification",
            format!("{:.4}", stats.space_amplification()),
        ),
        (
            "write_amplification",
            format!("{:.4}", stats.write_amplification()),
        ),
    ]
}

fn kvstore_stats(call: &mut Call<'_>) -> Reply {
    let stats = call.store().stats();
    let mut fields: Vec<(&str, Reply)> = stats_fields(&stats)
        .into_iter()
        .map(|(name, value)| (name, Reply::bulk(value)))
        .collect();
    fields.push((
        "last_compaction_failure",
        Reply::bulk_or_null(stats.last_compaction_failure.map(String::into_bytes)),
    ));
    Reply::map(fields)
}

/// Reads every segment, as `/segments` does: for looking, not for polling
/// a big store.
fn kvstore_segments(call: &mut Call<'_>) -> Reply {
    or_store_error(
        call.store()
            .layout()
            .map(|layout| to_reply(&LayoutJson::from(&layout))),
    )
}

fn kvstore_compact(call: &mut Call<'_>) -> Reply {
    or_store_error(call.store().compact().map(|report| {
        Reply::map([
            (
                "segments_before",
                Reply::Integer(report.segments_before as i64),
            ),
            (
                "segments_after",
                Reply::Integer(report.segments_after as i64),
            ),
            ("bytes_before", Reply::Integer(report.bytes_before as i64)),
            ("bytes_after", Reply::Integer(report.bytes_after as i64)),
        ])
    }))
}
