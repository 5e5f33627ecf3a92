//! Every metric `GET /metrics` shows: its name, its kind and the help line
//! Prometheus prints above it, in one table, so that recording, describing
//! and documenting (`server/README.md`, checked by a test below) cannot
//! drift apart.
//!
//! A leaf: the recorder describes these families, the middleware, the
//! command timer and the store gauges record under these names.

use mini_kvstore::telemetry;

/// `kvstore_http_requests_total{method, route, status}`.
pub(crate) const HTTP_REQUESTS: &str = "kvstore_http_requests_total";
/// `kvstore_http_request_duration_seconds{method, route, status}`.
pub(crate) const HTTP_REQUEST_DURATION: &str = "kvstore_http_request_duration_seconds";
/// `kvstore_open_connections{protocol}`.
pub(crate) const OPEN_CONNECTIONS: &str = "kvstore_open_connections";
/// `kvstore_resp_commands_total{command, result}`.
pub(crate) const RESP_COMMANDS: &str = "kvstore_resp_commands_total";
/// `kvstore_resp_command_duration_seconds{command}`.
pub(crate) const RESP_COMMAND_DURATION: &str = "kvstore_resp_command_duration_seconds";

pub(crate) const KEYS: &str = "kvstore_keys";
pub(crate) const SEGMENTS: &str = "kvstore_segments";
pub(crate) const STORAGE_BYTES: &str = "kvstore_storage_bytes";
pub(crate) const LIVE_BYTES: &str = "kvstore_live_bytes";
pub(crate) const DEAD_BYTES: &str = "kvstore_dead_bytes";
pub(crate) const SPACE_AMPLIFICATION: &str = "kvstore_space_amplification";
pub(crate) const WRITE_AMPLIFICATION: &str = "kvstore_write_amplification";
pub(crate) const CORRUPT_RANGES: &str = "kvstore_corrupt_ranges";
pub(crate) const CORRUPT_BYTES: &str = "kvstore_corrupt_bytes";
pub(crate) const POISONED: &str = "kvstore_poisoned";
pub(crate) const WRITE_BYTES: &str = "kvstore_write_bytes_total";
pub(crate) const COMPACTIONS: &str = "kvstore_compactions_total";
pub(crate) const COMPACTION_FAILURES: &str = "kvstore_compaction_failures_total";
pub(crate) const COMPACTION_WRITE_BYTES: &str = "kvstore_compaction_write_bytes_total";

/// How Prometheus treats a family.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Counter,
    Gauge,
    Histogram,
}

/// One metric family.
#[derive(Debug)]
pub(crate) struct Family {
    pub(crate) name: &'static str,
    pub(crate) kind: Kind,
    pub(crate) help: &'static str,
}

const fn family(name: &'static str, kind: Kind, help: &'static str) -> Family {
    Family { name, kind, help }
}

/// Every family, in the order the README lists them.
pub(crate) const FAMILIES: &[Family] = &[
    family(
        HTTP_REQUESTS,
        Kind::Counter,
        "HTTP requests answered, by method, matched route template and status",
    ),
    family(
        HTTP_REQUEST_DURATION,
        Kind::Histogram,
        "Seconds from a request's arrival to its response head, by method, route and status",
    ),
    family(
        OPEN_CONNECTIONS,
        Kind::Gauge,
        "Client connections open now, by protocol",
    ),
    family(
        RESP_COMMANDS,
        Kind::Counter,
        "Redis-protocol commands run, by command name (unknown for names the server lacks) and result (ok or error)",
    ),
    family(
        RESP_COMMAND_DURATION,
        Kind::Histogram,
        "Seconds a Redis-protocol command took to run, its wait for durability excluded, by command",
    ),
    family(KEYS, Kind::Gauge, "Live keys in the store"),
    family(SEGMENTS, Kind::Gauge, "Segment files in the store"),
    family(
        STORAGE_BYTES,
        Kind::Gauge,
        "Bytes the store's segments take on storage",
    ),
    family(
        LIVE_BYTES,
        Kind::Gauge,
        "Bytes of the records the index points at, plus bookkeeping: what a compaction keeps",
    ),
    family(
        DEAD_BYTES,
        Kind::Gauge,
        "Bytes of overwritten, deleted, expired and corrupt records: what compaction reclaims",
    ),
    family(
        SPACE_AMPLIFICATION,
        Kind::Gauge,
        "Bytes on storage per live byte",
    ),
    family(
        WRITE_AMPLIFICATION,
        Kind::Gauge,
        "Bytes written by writes and merges per byte written by writes, since the store opened",
    ),
    family(
        CORRUPT_RANGES,
        Kind::Gauge,
        "Corrupt byte ranges found at open and skipped, in segments no merge has removed since",
    ),
    family(CORRUPT_BYTES, Kind::Gauge, "Bytes in those corrupt ranges"),
    family(
        POISONED,
        Kind::Gauge,
        "1 when the store refuses writes after a failed fsync, else 0",
    ),
    family(
        WRITE_BYTES,
        Kind::Counter,
        "Bytes appended by writes since the store opened",
    ),
    family(
        COMPACTIONS,
        Kind::Counter,
        "Merges that committed since the store opened, full compactions included",
    ),
    family(
        COMPACTION_FAILURES,
        Kind::Counter,
        "Merges that failed since the store opened (each changed nothing)",
    ),
    family(
        COMPACTION_WRITE_BYTES,
        Kind::Counter,
        "Bytes appended by merges since the store opened, failed ones included",
    ),
    family(
        telemetry::COMPACTION_DURATION_SECONDS,
        Kind::Histogram,
        "Seconds each committed merge took",
    ),
    family(
        telemetry::FSYNC_DURATION_SECONDS,
        Kind::Histogram,
        "Seconds each fsync took, by who ran it (group_commit or compaction)",
    ),
    family(
        telemetry::GROUP_COMMIT_WRITES,
        Kind::Histogram,
        "Writes (records) one group-commit fsync made durable",
    ),
    family(
        telemetry::RECOVERY_DURATION_SECONDS,
        Kind::Gauge,
        "Seconds the store took to recover (read, repair, index) when it opened",
    ),
];

/// Gives the installed recorder every family's help line.
pub(crate) fn describe() {
    for family in FAMILIES {
        match family.kind {
            Kind::Counter => metrics::describe_counter!(family.name, family.help),
            Kind::Gauge => metrics::describe_gauge!(family.name, family.help),
            Kind::Histogram => metrics::describe_histogram!(family.name, family.help),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_prometheus_conventions() {
        let mut seen = std::collections::HashSet::new();
        for family in FAMILIES {
            assert!(seen.insert(family.name), "{} twice", family.name);
            assert!(family.name.starts_with("kvstore_"), "{}", family.name);
            assert_eq!(
                family.kind == Kind::Counter,
                family.name.ends_with("_total"),
                "{}: counters, and only counters, end in _total",
                family.name
            );
        }
    }

    #[test]
    fn the_readme_documents_every_family() {
        let readme = include_str!("../../README.md");
        for family in FAMILIES {
            assert!(
                readme.contains(&format!("`{}`", family.name)),
                "server/README.md does not list {}",
                family.name
            );
        }
    }
}
