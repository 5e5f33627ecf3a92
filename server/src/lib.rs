//! # mini-kvstore-server
//!
//! The REST server over a [`KvStore`](mini_kvstore::KvStore): the original
//! project's API (`/health`, `/blobs/{key}`) done with proper HTTP — status
//! codes, `ETag`s, conditional reads and writes, ranges and paging, expiry,
//! limits, an optional bearer token — plus the engine's own views (`/stats`,
//! `/segments`, `/compact`), their changes as server-sent events (`/events`),
//! Prometheus metrics (`/metrics`) and the browser playground's files at `/`.
//!
//! The crate is a library so that tests drive the very router the binary
//! serves. [`router`] builds it (tests send it requests with
//! `tower::ServiceExt::oneshot`, no socket needed); [`run`] serves it on a
//! listener the caller bound — port 0 in tests — until a shutdown future
//! resolves, then syncs the store. The `kvstore` binary is a thin shell that
//! opens the store, binds, prints the URL and calls [`run`] with
//! [`shutdown_signal`].
//!
//! ```
//! use axum::body::Body;
//! use axum::http::{Request, StatusCode};
//! use mini_kvstore::KvStore;
//! use mini_kvstore_server::{Config, router};
//! use tower::ServiceExt;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let dir = tempfile::tempdir()?;
//! let store = KvStore::open(dir.path())?;
//! let app = router(store, Config::new("vol-1"));
//!
//! let put = Request::put("/blobs/user").body(Body::from("Alice"))?;
//! let response = app.clone().oneshot(put).await?;
//! assert_eq!(response.status(), StatusCode::CREATED);
//! assert_eq!(response.headers()["location"], "/blobs/user");
//!
//! let get = Request::get("/blobs/user").body(Body::empty())?;
//! let response = app.oneshot(get).await?;
//! assert_eq!(response.status(), StatusCode::OK);
//! let body = axum::body::to_bytes(response.into_body(), usize::MAX).await?;
//! assert_eq!(&body[..], b"Alice");
//! # Ok(())
//! # }
//! ```
//!
//! ## Where things live
//!
//! | module | what |
//! |---|---|
//! | `config` | [`Config`]: volume id, token, body limit, playground directory, connection bounds |
//! | `server` | [`router`], [`run`], [`shutdown_signal`] |
//! | `transport` | accepting HTTP connections and serving them with hyper: the header-read timeout, the connection cap, graceful shutdown |
//! | `connection_limit` | [`ConnectionLimit`]: the cap on open connections the HTTP and RESP listeners share |
//! | `inflight` | [`InflightBudget`]: the bytes of request bodies and large RESP requests buffered at once, shared by both |
//! | `uploads` | request bodies read under the body limit and the in-flight budget |
//! | `request_id` | `x-request-id`: a client's kept when fit, a new one otherwise, on the response and the request's log span |
//! | `state` | the state every handler shares (store, config, `/events` feed) and the blocking-call bridge |
//! | `blobs` | `/blobs/{*key}`: store, read, delete, conditionally or not |
//! | `listing` | `GET /blobs`: pages of keys, or keys and values, over a key range, either way |
//! | `preconditions` | `ETag`s, `If-Match` and `If-None-Match`: parsing and checking against a version |
//! | `expiry` | `?ttl=SECONDS` on writes, `Expires` on reads |
//! | `introspection` | `/health`, `/stats`, `/segments`, `/compactions`, `/compact` |
//! | `summary` | `/segments?summary=true`: each segment in numbers, from the index alone |
//! | `records` | `/segments/{id}/records`: one segment's records, a page at a time |
//! | `events` | `GET /events`: the store's changes as server-sent events, from one watcher |
//! | `feed` | what `/events` subscribers share: the latest picture, their limit, shutdown |
//! | `keys` | keys in URLs (percent-decoding, limits) and in JSON (UTF-8 or hex) |
//! | `auth` | the bearer-token check on mutating routes |
//! | `availability` | whether the store is fit for traffic: poisoned, merges failing; what `/health` and RESP writes answer |
//! | `playground` | `/` and static files: the built playground, or how to build it |
//! | [`metrics`] | `GET /metrics` in Prometheus's text format: the recorder, the HTTP and RESP instruments, the store's gauges, [`metrics::serve`] for a port of its own |
//! | [`backup`] | `GET /backup`: the store as a tar archive, streamed while it is made; [`backup::archive`], the format `kvstore restore` unpacks |
//! | `error` | [`ApiError`], the one place errors become HTTP answers; [`ServerError`] |
//! | [`resp`] | the Redis protocol over the same store: [`resp::serve`], [`resp::RespConfig`] |
//!
//! ## Choices worth knowing
//!
//! - Every engine call runs on tokio's blocking pool: with
//!   [`SyncPolicy::Always`](mini_kvstore::SyncPolicy::Always) a write waits
//!   for an fsync, and even a read may wait on the writer's lock, so none of
//!   them may run on a runtime worker.
//! - A 2xx answer to a write is sent only after the engine returned, that is
//!   after the write is as durable as the store's sync policy makes it. The
//!   binary opens stores with the default policy, so an acknowledged write
//!   survives `kill -9` (`cli/tests/server_kill9.rs` proves it).
//! - Keys arrive percent-encoded in the path and are decoded once, by this
//!   crate, to bytes that must be UTF-8: `a%2Fb` and `a/b` name the same key.

mod auth;
mod availability;
pub mod backup;
mod blobs;
mod config;
mod connection_limit;
mod error;
mod events;
mod expiry;
mod feed;
mod inflight;
mod introspection;
mod keys;
mod listing;
pub mod metrics;
mod playground;
mod preconditions;
mod records;
mod request_id;
pub mod resp;
mod server;
mod state;
mod summary;
mod transport;
mod uploads;

pub use config::{
    Config, DEFAULT_HEADER_TIMEOUT, DEFAULT_LIST_LIMIT, DEFAULT_MAX_BODY_BYTES,
    DEFAULT_MAX_EVENT_SUBSCRIBERS, DEFAULT_PLAYGROUND_DIR, DEFAULT_RECORDS_LIMIT,
    DEFAULT_REQUEST_TIMEOUT, MAX_LIST_LIMIT, MAX_RECORDS_LIMIT, MAX_URL_KEY_LEN,
    MAX_VALUES_PAGE_BYTES,
};
pub use connection_limit::{ConnectionLimit, DEFAULT_MAX_CONNECTIONS};
pub use error::{ApiError, ServerError};
pub use inflight::{DEFAULT_INFLIGHT_WAIT, DEFAULT_MAX_INFLIGHT_BYTES, InflightBudget};
pub use request_id::MAX_REQUEST_ID_LEN;
pub use server::{router, run, shutdown_signal};
