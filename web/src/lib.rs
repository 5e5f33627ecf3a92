//! The browser playground for mini-kvstore — not built yet.
//!
//! This crate will compile the engine to wasm over an IndexedDB-backed
//! storage (`IdbStorage`) and drive the playground page that trunk builds from
//! `index.html`: a console speaking the REPL's grammar, a segment map drawn
//! from a plain-Rust layout model (testable natively), compaction shown as a
//! plan and then applied, and fault buttons followed by a recovery report. The
//! playground issue builds it (and adds wasm-bindgen then); until then it is a
//! plain library so the workspace layout is complete.
//!
//! ```
//! assert!(mini_kvstore_web::STATUS.starts_with("placeholder"));
//! ```

/// What this crate provides today: nothing yet, and where that will change.
pub const STATUS: &str = "placeholder: the playground issue builds this crate";
