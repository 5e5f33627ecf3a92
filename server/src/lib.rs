//! The REST server for mini-kvstore — not built yet.
//!
//! This crate will hold the Axum 0.8 server that `kvstore --volume DIR --id ID`
//! starts: the `/health`, `/blobs/{*key}`, `/stats`, `/segments` and
//! `/compact` routes, one `IntoResponse` for errors, engine calls kept off the
//! async runtime, and graceful shutdown that syncs the store. Its entry point
//! will take the listener and a shutdown future as parameters so tests can bind
//! port 0. The REST server issue builds it; until then the crate exists only so
//! the workspace layout is complete.
//!
//! ```
//! assert!(mini_kvstore_server::STATUS.starts_with("placeholder"));
//! ```

/// What this crate provides today: nothing yet, and where that will change.
pub const STATUS: &str = "placeholder: the REST server issue builds this crate";
