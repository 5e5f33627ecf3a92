//! [`RespConfig`]: what the Redis-protocol listener accepts — the token, how
//! many clients, the size limits a request is checked against before
//! any of it is buffered, and the budget large requests are read under.
//!
//! A leaf: the listener, the connection loop and the commands all read it.

use crate::connection_limit::ConnectionLimit;
pub use crate::connection_limit::DEFAULT_MAX_CONNECTIONS;
use crate::inflight::InflightBudget;

/// Longest inline command (a line not starting with `*`), as Redis's
/// `PROTO_INLINE_MAX_SIZE`.
pub const DEFAULT_MAX_INLINE_LEN: usize = 64 * 1024;
/// Most arguments in one command (Redis accepts up to 1024 × 1024 before
/// authentication too).
pub const DEFAULT_MAX_ARRAY_LEN: usize = 1024 * 1024;

/// How the RESP server behaves; built with chained setters.
///
/// ```
/// use mini_kvstore_server::resp::RespConfig;
/// let config = RespConfig::new().token("s3cret").max_connections(64);
/// # let _ = config;
/// ```
#[derive(Debug, Clone)]
pub struct RespConfig {
    pub(crate) token: Option<String>,
    /// The cap's size, as `CONFIG GET maxclients` and `INFO` report it.
    pub(crate) max_connections: usize,
    /// A cap shared with other listeners; `None`: one of
    /// `max_connections` of this server's own.
    pub(crate) connection_limit: Option<ConnectionLimit>,
    /// What large requests reserve before they are read.
    pub(crate) inflight_budget: InflightBudget,
    pub(crate) max_inline_len: usize,
    pub(crate) max_array_len: usize,
    /// `None`: the store's `max_value_size` (or the key limit, if larger).
    pub(crate) max_bulk_len: Option<usize>,
}

impl Default for RespConfig {
    fn default() -> Self {
        RespConfig {
            token: None,
            max_connections: DEFAULT_MAX_CONNECTIONS,
            connection_limit: None,
            inflight_budget: InflightBudget::default(),
            max_inline_len: DEFAULT_MAX_INLINE_LEN,
            max_array_len: DEFAULT_MAX_ARRAY_LEN,
            max_bulk_len: None,
        }
    }
}

impl RespConfig {
    /// No token, [`DEFAULT_MAX_CONNECTIONS`] clients, the default limits.
    pub fn new() -> Self {
        Self::default()
    }

    /// Requires `AUTH token` (or `HELLO 3 AUTH default token`) before any
    /// command but `AUTH`, `HELLO`, `PING` and `QUIT`.
    pub fn token(mut self, t: impl Into<String>) -> Self {
        self.token = Some(t.into());
        self
    }

    /// Clients connected at once, a cap of this server's own; one more is
    /// told `-ERR max number of clients reached` and closed. Replaces a
    /// [`connection_limit`](Self::connection_limit) given before.
    pub fn max_connections(mut self, n: usize) -> Self {
        self.max_connections = n;
        self.connection_limit = None;
        self
    }

    /// Counts clients under `limit`, a cap shared with every listener given
    /// a clone of it (the HTTP API's, through
    /// [`Config::connection_limit`](crate::Config::connection_limit)); one
    /// past it is told `-ERR max number of clients reached` and closed.
    pub fn connection_limit(mut self, limit: ConnectionLimit) -> Self {
        self.max_connections = limit.max();
        self.connection_limit = Some(limit);
        self
    }

    /// Reads large requests under `budget`, shared with every listener
    /// given a clone of it (the HTTP API's, through
    /// [`Config::inflight_budget`](crate::Config::inflight_budget)). A
    /// request whose buffer would grow past 64 KiB reserves the length its
    /// headers announce before more of it is read; one that finds no room
    /// within the budget's wait is answered `-ERR` and passed over unread,
    /// and the connection goes on with the next request. Without this, a
    /// budget of [`DEFAULT_MAX_INFLIGHT_BYTES`](crate::DEFAULT_MAX_INFLIGHT_BYTES)
    /// of this server's own.
    pub fn inflight_budget(mut self, budget: InflightBudget) -> Self {
        self.inflight_budget = budget;
        self
    }

    /// Longest inline command line, in bytes.
    pub fn max_inline_len(mut self, n: usize) -> Self {
        self.max_inline_len = n;
        self
    }

    /// Most arguments in one command.
    pub fn max_array_len(mut self, n: usize) -> Self {
        self.max_array_len = n;
        self
    }

    /// Longest single argument, in bytes (default: the store's
    /// `max_value_size`).
    pub fn max_bulk_len(mut self, n: usize) -> Self {
        self.max_bulk_len = Some(n);
        self
    }
}
