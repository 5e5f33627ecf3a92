//! What a server is told at start-up, and the limits it enforces.
//!
//! Built by value like the engine's `Options`, so new settings can be added
//! without breaking callers.

use std::fmt;
use std::path::{Path, PathBuf};

use mini_kvstore::DEFAULT_MAX_VALUE_SIZE;

use crate::connection_limit::ConnectionLimit;
use crate::inflight::InflightBudget;
use crate::metrics::Metrics;
pub use crate::transport::DEFAULT_HEADER_TIMEOUT;

/// The largest request body accepted by default: the engine's default value
/// limit, so that a body the server takes is one the store takes.
pub const DEFAULT_MAX_BODY_BYTES: usize = DEFAULT_MAX_VALUE_SIZE as usize;

/// The longest key, in bytes after percent-decoding, that a URL may carry.
///
/// Far below the engine's own key limit: keys travel in request lines, which
/// proxies and clients cap at a few KiB, and a key this long is a mistake
/// more often than a name.
pub const MAX_URL_KEY_LEN: usize = 1024;

/// Keys per `GET /blobs` page when `limit` is not given.
pub const DEFAULT_LIST_LIMIT: usize = 1000;

/// The largest `limit` a `GET /blobs` page may ask for.
pub const MAX_LIST_LIMIT: usize = 10_000;

/// The value bytes after which a `GET /blobs?values=true` page ends (its
/// `next` cursor then leads on), whatever its `limit`: a page is built in
/// memory, base64 and all, so it is kept to a few MiB. A page always holds
/// at least one item, so a larger value comes on a page of its own.
pub const MAX_VALUES_PAGE_BYTES: usize = 8 << 20;

/// Records per `GET /segments/{id}/records` page when `limit` is not given.
pub const DEFAULT_RECORDS_LIMIT: usize = 256;

/// The largest `limit` a `GET /segments/{id}/records` page may ask for.
pub const MAX_RECORDS_LIMIT: usize = 4096;

/// How many `GET /events` streams may be open at once unless told
/// otherwise; past it a subscriber gets 503. Each holds a connection open
/// for as long as it watches.
pub const DEFAULT_MAX_EVENT_SUBSCRIBERS: usize = 64;

/// How long one request may take, receiving its body included, unless told
/// otherwise: generous for a 64 MiB upload, but a client that stalls cannot
/// hold a connection — or a graceful shutdown — forever.
pub const DEFAULT_REQUEST_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(300);

/// Where the built playground is looked for unless told otherwise (what
/// `trunk build` writes, relative to the working directory).
pub const DEFAULT_PLAYGROUND_DIR: &str = "dist";

/// Server settings.
///
/// ```
/// use mini_kvstore_server::Config;
/// let config = Config::new("vol-1").token("s3cret").max_body_bytes(1 << 20);
/// assert_eq!(config.volume_id(), "vol-1");
/// assert_eq!(config.get_max_body_bytes(), 1 << 20);
/// ```
#[derive(Clone)]
pub struct Config {
    volume_id: String,
    token: Option<String>,
    max_body_bytes: usize,
    playground_dir: PathBuf,
    request_timeout: std::time::Duration,
    header_timeout: std::time::Duration,
    connection_limit: ConnectionLimit,
    inflight_budget: InflightBudget,
    max_event_subscribers: usize,
    metrics: Option<Metrics>,
}

// By hand, so that the token never reaches a log line.
impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("volume_id", &self.volume_id)
            .field("token", &self.token.as_ref().map(|_| "<hidden>"))
            .field("max_body_bytes", &self.max_body_bytes)
            .field("playground_dir", &self.playground_dir)
            .field("request_timeout", &self.request_timeout)
            .field("header_timeout", &self.header_timeout)
            .field("max_connections", &self.connection_limit.max())
            .field("max_inflight_bytes", &self.inflight_budget.max_bytes())
            .field("max_event_subscribers", &self.max_event_subscribers)
            .field("metrics", &self.metrics.is_some())
            .finish()
    }
}

impl Config {
    /// Defaults for volume `volume_id`: no token, a 64 MiB body limit, the
    /// playground in `./dist`, 64 `/events` subscribers, no `/metrics`, a
    /// [`DEFAULT_HEADER_TIMEOUT`], and of its own a cap of
    /// [`DEFAULT_MAX_CONNECTIONS`](crate::DEFAULT_MAX_CONNECTIONS)
    /// connections and an in-flight budget of
    /// [`DEFAULT_MAX_INFLIGHT_BYTES`](crate::DEFAULT_MAX_INFLIGHT_BYTES).
    pub fn new(volume_id: impl Into<String>) -> Self {
        Config {
            volume_id: volume_id.into(),
            token: None,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            playground_dir: PathBuf::from(DEFAULT_PLAYGROUND_DIR),
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
            header_timeout: DEFAULT_HEADER_TIMEOUT,
            connection_limit: ConnectionLimit::default(),
            inflight_budget: InflightBudget::default(),
            max_event_subscribers: DEFAULT_MAX_EVENT_SUBSCRIBERS,
            metrics: None,
        }
    }

    /// Requires `Authorization: Bearer <token>` on every request that
    /// changes the store (PUT, POST, DELETE, `/compact`). Reads stay open.
    pub fn token(mut self, token: impl Into<String>) -> Self {
        self.token = Some(token.into());
        self
    }

    /// Refuses request bodies longer than `bytes` with 413.
    pub fn max_body_bytes(mut self, bytes: usize) -> Self {
        self.max_body_bytes = bytes;
        self
    }

    /// Answers 408 to a request not finished within `timeout`, receiving its
    /// body included.
    pub fn request_timeout(mut self, timeout: std::time::Duration) -> Self {
        self.request_timeout = timeout;
        self
    }

    /// The request time limit.
    pub fn get_request_timeout(&self) -> std::time::Duration {
        self.request_timeout
    }

    /// Closes, without an answer, a connection that has not sent a whole
    /// request head within `timeout` of the server starting to wait for one
    /// (see [`DEFAULT_HEADER_TIMEOUT`]). [`run`](crate::run) applies it;
    /// [`router`](crate::router) alone has no connections.
    pub fn header_timeout(mut self, timeout: std::time::Duration) -> Self {
        self.header_timeout = timeout;
        self
    }

    /// The header-read timeout.
    pub fn get_header_timeout(&self) -> std::time::Duration {
        self.header_timeout
    }

    /// Holds at most `limit`'s cap of connections open, sharing it with
    /// every other listener given a clone of `limit` (the RESP server's,
    /// through [`RespConfig::connection_limit`](crate::resp::RespConfig::connection_limit)).
    /// A connection past it is answered 503 with `Retry-After` and closed.
    pub fn connection_limit(mut self, limit: ConnectionLimit) -> Self {
        self.connection_limit = limit;
        self
    }

    /// The connection cap.
    pub fn get_connection_limit(&self) -> &ConnectionLimit {
        &self.connection_limit
    }

    /// Reads request bodies under `budget`, shared with every listener
    /// given a clone of it (the RESP server's, through
    /// [`RespConfig::inflight_budget`](crate::resp::RespConfig::inflight_budget)):
    /// a body that finds no room within the budget's wait is answered 503
    /// with `Retry-After`, unread.
    pub fn inflight_budget(mut self, budget: InflightBudget) -> Self {
        self.inflight_budget = budget;
        self
    }

    /// The in-flight budget.
    pub fn get_inflight_budget(&self) -> &InflightBudget {
        &self.inflight_budget
    }

    /// Answers 503 to a `GET /events` while `subscribers` streams are open.
    pub fn max_event_subscribers(mut self, subscribers: usize) -> Self {
        self.max_event_subscribers = subscribers;
        self
    }

    /// The limit on open `GET /events` streams.
    pub fn get_max_event_subscribers(&self) -> usize {
        self.max_event_subscribers
    }

    /// Serves `GET /metrics` from `metrics` (without, `/metrics` is not a
    /// route).
    pub fn metrics(mut self, metrics: Metrics) -> Self {
        self.metrics = Some(metrics);
        self
    }

    /// The recorder `GET /metrics` renders, if any.
    pub fn get_metrics(&self) -> Option<&Metrics> {
        self.metrics.as_ref()
    }

    /// Serves the built playground from `dir`.
    pub fn playground_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.playground_dir = dir.into();
        self
    }

    /// The volume's name, as `/health` reports it.
    pub fn volume_id(&self) -> &str {
        &self.volume_id
    }

    /// Whether writes need a bearer token.
    pub fn has_token(&self) -> bool {
        self.token.is_some()
    }

    pub(crate) fn get_token(&self) -> Option<&str> {
        self.token.as_deref()
    }

    /// The body limit.
    pub fn get_max_body_bytes(&self) -> usize {
        self.max_body_bytes
    }

    /// Where the playground is looked for.
    pub fn get_playground_dir(&self) -> &Path {
        &self.playground_dir
    }
}
