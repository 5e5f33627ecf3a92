//! Every environment variable `kvstore` reads, so each test helper that
//! starts the binary can clear them all: a developer's shell must not
//! change what a test sees.

/// The variables to remove before running `kvstore`.
pub(crate) const KVSTORE_ENV: &[&str] = &[
    "KVSTORE_DATA_DIR",
    "DATA_DIR",
    "VOLUME_ID",
    "PORT",
    "KVSTORE_TOKEN",
    "KVSTORE_MAX_BODY",
    "KVSTORE_PLAYGROUND",
    "KVSTORE_COMPACTION",
    "KVSTORE_RESP_PORT",
    "KVSTORE_METRICS_PORT",
    "KVSTORE_MAX_CONNECTIONS",
    "KVSTORE_HEADER_TIMEOUT",
    "KVSTORE_MAX_INFLIGHT_BYTES",
    "KVSTORE_LOG_FORMAT",
    "NO_COLOR",
    "RUST_LOG",
];
