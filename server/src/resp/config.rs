//! [`RespConfig`]: what the Redis-protocol listener accepts — the token, how
//! many clients, and the size limits a request is checked against before
//! any of it is buffered.
//!
//! A leaf: the listener, the connection loop and the commands all read it.

/// Longest inline command (a line not starting with `*`), as Redis's
/// `PROTO_INLINE_MAX_SIZE`.
pub const DEFAULT_MAX_INLINE_LEN: usize = 64 * 1024;
/// Most arguments in one command (Redis accepts up to 1024 × 1024 before
/// authentication too).
pub const DEFAULT_MAX_ARRAY_LEN: usize = 1024 * 1024;
/// Default for [`RespConfig::max_connections`], Redis's `maxclients`.
pub const DEFAULT_MAX_CONNECTIONS: usize = 10_000;

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
    pub(crate) max_connections: usize,
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

    /// Clients connected at once; one more is told
    /// `-ERR max number of clients reached` and closed.
    pub fn max_connections(mut self, n: usize) -> Self {
        self.max_connections = n;
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
