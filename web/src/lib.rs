//! # mini-kvstore-web — the browser playground
//!
//! The same engine as the CLI and the server, compiled to wasm and running
//! over IndexedDB, with a page that shows what a log-structured store does:
//! a console that speaks the REPL's grammar (through `mini-kvstore-commands`),
//! a segment map where every record is a cell coloured live / overwritten /
//! tombstone / expired (and marked while it counts down to its expiry), the
//! index, stats, compaction as a plan and a step-by-step walk,
//! and fault buttons followed by a recovery report; and the compaction
//! policy at work — auto compaction under a chosen workload, the policy's
//! verdict on every segment, a chart over time, two policies side by side;
//! a Learn panel that walks through all of it in guided lessons
//! ([`learn`]); and, when a `kvstore` server serves the page, a Server tab
//! that draws that server's real store live from its `/events` stream
//! ([`server_view`]).
//! Trunk builds it from `index.html` at the repository root into `dist/`.
//!
//! ## Where things live
//!
//! | module | what | runs |
//! |---|---|---|
//! | [`working_set`] | segment bytes in memory and what IndexedDB holds: the flush plan | native + wasm |
//! | [`storage`] | [`IdbStorage`], the engine's `Storage` over the working set | native + wasm |
//! | [`view`] | the segment map as data: cells, states, aggregation, plan overlay, walk | native + wasm |
//! | [`expiry`] | records with a TTL: countdowns in words, clock times, when to look at the clock again | native + wasm |
//! | [`clock`] | [`BrowserClock`], `Date.now()` for the engine (wasm32 has no system clock) | native + wasm |
//! | [`render`] | the view model as HTML strings, with the test hooks | native + wasm |
//! | [`selection`] | the selected key and record, and when a selection ends | native + wasm |
//! | [`history`] | the console's command history | native + wasm |
//! | [`turns`] | one writer to IndexedDB at a time, the rest in order | native + wasm |
//! | [`faults`] | "tear the last write" and "flip a bit" as bytes → bytes | native + wasm |
//! | [`recovery`] | what a reload repaired and which keys it changed | native + wasm |
//! | [`sample`] | sample data and the random write generator | native + wasm |
//! | [`workload`] | the policy panel's workloads (uniform, zipf hot set, delete-heavy, append-only) and their pace | native + wasm |
//! | [`merge_policy`] | the policy sliders as a `CompactionPolicy`, and the policy's verdict on each segment for the map | native + wasm |
//! | [`merge_replay`] | a merge replayed step by step: outputs filling, the index's entries repointed from the inputs to the copies, the inputs removed | native + wasm |
//! | [`series`] | a store's bytes and amplification over time, and its merges, for the chart | native + wasm |
//! | [`comparison`] | the side-by-side demo's second store: in memory, same workload, another policy | native + wasm |
//! | [`learn`] | the Learn panel's lessons: steps, predictions checked against the real layout, progress and `#learn/L/S` addresses | native + wasm |
//! | [`server_view`] | the Server tab: the `kvstore` server's JSON (`/events`, records pages) as types, a strip per segment in proportions, incremental strip changes, the log of merges | native + wasm |
//! | `idb` | IndexedDB: open, load, flush (one transaction), wipe | wasm only |
//! | `app` | the page: start-up, console, map, flushing, reload, events | wasm only |
//!
//! Everything but `idb` and `app` is plain Rust, so `cargo test -p
//! mini-kvstore-web` runs its tests natively. The page's rules that are not
//! about the DOM (what a selection is, how history walks, whose turn it is
//! to flush) live in those plain modules for that reason, and `app` only
//! applies them; the IndexedDB code is tested in headless Chromium
//! (`tests/idb.rs`, and the flusher's lesson database switch beside it in
//! `app`), where the policy and workload models' tests run a second time
//! too, and the page end to end by the Playwright suite in `tests/e2e/` at
//! the repository root.
//!
//! ## Why an in-memory working set
//! The engine's storage trait is synchronous and IndexedDB is not. Rather than
//! spread `async` through the engine, `IdbStorage` keeps every segment in
//! memory, loaded before the store opens, and the page flushes the changes to
//! IndexedDB in one transaction per flush. The price is a window in which
//! acknowledged writes are only in memory; the page shows it as the
//! *unflushed bytes* count.
//!
//! ```
//! use mini_kvstore::{KvStore, Options, SyncPolicy};
//! use mini_kvstore_web::{BrowserClock, IdbStorage};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let storage = IdbStorage::new();
//! // No threads in the browser: the page flushes on its own schedule. And
//! // no system clock: TTLs are timed by `Date.now()`.
//! let options = Options::default()
//!     .max_segment_size(256)
//!     .sync_policy(SyncPolicy::Never)
//!     .clock(BrowserClock);
//! let store = KvStore::open_with(storage.clone(), options)?;
//! store.set("hello", "world")?;
//! assert!(storage.unflushed_bytes() > 0);
//!
//! // What the page does after a write: take the plan, write it in one
//! // IndexedDB transaction, report the outcome.
//! let plan = storage.begin_flush().expect("something to flush");
//! assert!(!plan.ops.is_empty());
//! storage.finish_flush(&plan, true);
//! assert_eq!(storage.unflushed_bytes(), 0);
//! # Ok(())
//! # }
//! ```

pub mod clock;
pub mod comparison;
pub mod expiry;
pub mod faults;
pub mod history;
pub mod learn;
pub mod merge_policy;
pub mod merge_replay;
pub mod recovery;
pub mod render;
pub mod sample;
pub mod selection;
pub mod series;
pub mod server_view;
pub mod storage;
pub mod turns;
pub mod view;
pub mod working_set;
pub mod workload;

// The crate's own browser tests — the page's flusher, and the model's
// tests run again as `wasm_bindgen_test`s — run in headless Chromium, as
// `tests/idb.rs` does (`web/webdriver.json`).
#[cfg(all(test, target_arch = "wasm32"))]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

#[cfg(target_arch = "wasm32")]
mod app;
#[cfg(target_arch = "wasm32")]
pub mod idb;

/// The page's entry point (run when the module loads) and a state snapshot
/// for the browser's developer console.
#[cfg(target_arch = "wasm32")]
pub use app::{playground_state, start};

pub use clock::BrowserClock;
pub use storage::IdbStorage;
pub use working_set::{FlushOp, FlushPlan, LoadReport, StoredChunk};
