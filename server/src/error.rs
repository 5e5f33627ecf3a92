//! Errors: [`ApiError`], the one place a failure becomes an HTTP answer, and
//! [`ServerError`] for the server as a whole.
//!
//! Every failed request gets a JSON body `{"error": "…"}`. For client errors
//! (4xx) the message says what to fix. For server errors (5xx) it is a fixed
//! sentence: the engine's message (segment numbers, offsets, file paths, OS
//! errors) goes to the log through `tracing`, never to the client.

use axum::Json;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::preconditions::{BadPrecondition, etag};

/// Why a request failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ApiError {
    /// No value under the key.
    #[error("key not found")]
    KeyNotFound,

    /// No route matches the path.
    #[error("no route for {method} {path}")]
    NoRoute {
        /// The request's method.
        method: Method,
        /// The request's path.
        path: String,
    },

    /// The path exists, the method does not.
    #[error("{method} is not allowed on {path}")]
    MethodNotAllowed {
        /// The request's method.
        method: Method,
        /// The request's path.
        path: String,
    },

    /// `/segments/{id}/…` names a segment the store does not have (or no
    /// longer has: a merge removes the segments it rewrote).
    #[error("no segment {segment}; GET /segments?summary=true lists the segments there are")]
    SegmentNotFound {
        /// The number asked for.
        segment: u32,
    },

    /// A `GET /events` while the most subscribers the server takes are
    /// watching already.
    #[error(
        "{max} clients are watching /events already, the most this server takes; try again later"
    )]
    TooManySubscribers {
        /// The limit.
        max: usize,
    },

    /// A connection past the cap the HTTP and RESP listeners share
    /// ([`ConnectionLimit`](crate::ConnectionLimit)); answered on that
    /// connection, which then closes.
    #[error("the server holds {max} connections already, the most it takes; try again shortly")]
    TooManyConnections {
        /// The cap.
        max: usize,
    },

    /// A body that found no room in the in-flight budget
    /// ([`InflightBudget`](crate::InflightBudget)) within its wait.
    #[error(
        "the server is already reading {max_bytes} bytes of requests, the most it buffers at once; try again shortly"
    )]
    OverInflightBudget {
        /// The budget, in bytes.
        max_bytes: u64,
    },

    /// A `GET /events` once the server has begun to shut down.
    #[error("the server is shutting down")]
    ShuttingDown,

    /// The request is malformed: an empty or non-UTF-8 key, a bad query.
    #[error("{0}")]
    BadRequest(String),

    /// The key in the URL is longer than [`MAX_URL_KEY_LEN`](crate::MAX_URL_KEY_LEN).
    #[error("key is {len} bytes; a key in a URL may have at most {max}")]
    KeyTooLong {
        /// The decoded key's length.
        len: usize,
        /// The limit.
        max: usize,
    },

    /// The request took longer than the configured time limit.
    #[error("the request took longer than {} s", after.as_secs_f64())]
    Timeout {
        /// The limit.
        after: std::time::Duration,
    },

    /// The body is longer than the configured limit (or the store's value limit).
    #[error("request body is larger than the limit of {max} bytes")]
    BodyTooLarge {
        /// The limit.
        max: u64,
    },

    /// A mutating request without the right bearer token.
    #[error(
        "this request needs the header 'Authorization: Bearer <token>' with the server's token"
    )]
    Unauthorized,

    /// A write with both `?ttl` and `If-Match` or `If-None-Match`: the
    /// engine has no conditional write with an expiry, and a conditional
    /// write followed by an `expire` would let another write in between.
    #[error(
        "?ttl cannot be combined with If-Match or If-None-Match: the store has no conditional write with an expiry"
    )]
    ConditionalTtl,

    /// A conditional write's key changed between every read of its version
    /// and the write that expected it.
    #[error(
        "the key changed during each of {attempts} attempts to check the request's conditions; send it again"
    )]
    KeyContended {
        /// How many times the conditions were checked.
        attempts: usize,
    },

    /// The engine failed, or refused: among others a conditional write
    /// whose key is not as expected (`Error::Conflict`, answered 412).
    #[error(transparent)]
    Store(#[from] mini_kvstore::Error),

    /// An engine call on the blocking pool panicked or was cancelled.
    #[error("a store task did not finish")]
    TaskFailed(#[source] tokio::task::JoinError),
}

impl From<BadPrecondition> for ApiError {
    fn from(error: BadPrecondition) -> Self {
        ApiError::BadRequest(error.to_string())
    }
}

/// What a failed request's body holds.
#[derive(Serialize)]
struct ErrorBody<'a> {
    error: &'a str,
}

/// The 5xx messages; fixed, so they cannot carry internals.
const INTERNAL: &str = "internal error; the server log has the details";
const REFUSING_WRITES: &str =
    "the store refuses writes after a storage failure; restart the server once storage is healthy";

impl ApiError {
    /// Whether this is a 5xx that says only what the client may know: the
    /// server refusing work it could do later, not a failure inside it.
    fn is_refusal(&self) -> bool {
        matches!(
            self,
            ApiError::TooManySubscribers { .. }
                | ApiError::TooManyConnections { .. }
                | ApiError::OverInflightBudget { .. }
                | ApiError::ShuttingDown
        )
    }

    /// The status this error is answered with.
    pub fn status(&self) -> StatusCode {
        use mini_kvstore::Error as E;
        match self {
            ApiError::KeyNotFound | ApiError::NoRoute { .. } | ApiError::SegmentNotFound { .. } => {
                StatusCode::NOT_FOUND
            }
            ApiError::TooManySubscribers { .. }
            | ApiError::TooManyConnections { .. }
            | ApiError::OverInflightBudget { .. }
            | ApiError::ShuttingDown => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            // 400, not 501: the client must change the request, and a 5xx
            // would both hide this message and invite a retry.
            ApiError::BadRequest(_) | ApiError::ConditionalTtl => StatusCode::BAD_REQUEST,
            ApiError::KeyTooLong { .. } => StatusCode::URI_TOO_LONG,
            ApiError::BodyTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::Unauthorized => StatusCode::UNAUTHORIZED,
            ApiError::Timeout { .. } => StatusCode::REQUEST_TIMEOUT,
            ApiError::KeyContended { .. } => StatusCode::CONFLICT,
            ApiError::Store(error) => match error {
                E::EmptyKey => StatusCode::BAD_REQUEST,
                // RFC 9110 §13.1.1, §13.1.2: a failed If-Match or
                // If-None-Match on a write.
                E::Conflict { .. } => StatusCode::PRECONDITION_FAILED,
                // Only reachable if the engine's key limit drops below the
                // URL limit; the same answer as a long URL key either way.
                E::KeyTooLarge { .. } => StatusCode::URI_TOO_LONG,
                E::ValueTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
                // The store is fine for reads and will be again for writes
                // after a restart: "unavailable", not "broken".
                E::Poisoned => StatusCode::SERVICE_UNAVAILABLE,
                _ => StatusCode::INTERNAL_SERVER_ERROR,
            },
            ApiError::TaskFailed(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        let public;
        let message = if status.is_server_error() && !self.is_refusal() {
            tracing::error!(error = %DisplayChain(&self), "request failed");
            if matches!(self, ApiError::Store(mini_kvstore::Error::Poisoned)) {
                REFUSING_WRITES
            } else {
                INTERNAL
            }
        } else {
            public = self.to_string();
            &public
        };
        let mut response = (status, Json(ErrorBody { error: message })).into_response();
        match self {
            ApiError::Unauthorized => {
                response.headers_mut().insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static("Bearer realm=\"kvstore\""),
                );
            }
            ApiError::TooManySubscribers { .. } => {
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from_static("10"));
            }
            // Connections and bodies come and go quickly; a second is a
            // fair wait.
            ApiError::TooManyConnections { .. } | ApiError::OverInflightBudget { .. } => {
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
            }
            // A 412 tells the version the client should have expected.
            ApiError::Store(mini_kvstore::Error::Conflict {
                current: Some(version),
            }) => {
                if let Ok(value) = HeaderValue::try_from(etag(version)) {
                    response.headers_mut().insert(header::ETAG, value);
                }
            }
            _ => {}
        }
        response
    }
}

/// An error with its `source()` chain, `: `-separated, for the log. A cause
/// whose text the message already holds (the engine's I/O errors quote
/// theirs) is not repeated.
struct DisplayChain<'a>(&'a (dyn std::error::Error + 'static));

impl std::fmt::Display for DisplayChain<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut text = self.0.to_string();
        let mut source = self.0.source();
        while let Some(cause) = source {
            let cause_text = cause.to_string();
            if !text.contains(&cause_text) {
                text.push_str(": ");
                text.push_str(&cause_text);
            }
            source = cause.source();
        }
        f.write_str(&text)
    }
}

/// Why [`run`](crate::run) failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServerError {
    /// Serving connections failed.
    #[error("serving failed: {0}")]
    Serve(#[source] std::io::Error),

    /// The final sync after shutdown failed: writes acknowledged under a
    /// weaker sync policy than `Always` may not be durable.
    #[error("syncing the store at shutdown failed: {0}")]
    Sync(#[source] mini_kvstore::Error),

    /// The final sync could not run.
    #[error("the shutdown sync did not finish: {0}")]
    SyncTask(#[source] tokio::task::JoinError),
}
