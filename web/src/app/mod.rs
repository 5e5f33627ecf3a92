//! The playground page: the only code that touches the DOM.
//!
//! It keeps one `Page` in a thread-local, asks the engine for its
//! [`Layout`](mini_kvstore::Layout) after every change, and hands that to
//! the pure `view` and `render` modules; the rules that need no browser
//! (selection, history, whose turn it is to flush) are plain modules of the
//! crate, tested natively. The parts, each with one concern:
//!
//! | module | what |
//! |---|---|
//! | `startup` | the entry point: tab lock, database, first store, wiring; the fatal banner |
//! | `events` | which control calls which handler |
//! | `learn` | the Learn panel: lessons on a store of their own, their highlights, predictions and `#learn/L/S` addresses (the rules are `crate::learn`'s) |
//! | `server_tab` | the Server tab (`#server`): the `kvstore` server's own store, live from `/events`, and its records a page at a time (the model is `crate::server_view`'s) |
//! | `reopen` | Reload and Reset: a new store from IndexedDB, holding the flusher's turn |
//! | `page` | `Page`: the state and what each control does; `replace_store` |
//! | `policy` | "The policy at work": auto compaction, the policy's sliders, the workload runner, the merge on show, the chart |
//! | `side_by_side` | the side-by-side demo's second store (in memory) and its controls |
//! | `store` | `OpenStore`: the store and the state that dies with it (selection, overlay, fault, report) |
//! | `flusher` | the one writer to IndexedDB: scheduling, the turn, the status |
//! | `ticker` | the one timer for the time itself: wakes the page while a record counts down to its expiry |
//! | `console` | the output log, the command field, its history |
//! | `map` | the segment map (drawn incrementally), the index, the details panel |
//! | `panels` | stats, flush status, compaction plan and walk, fault note and recovery report |
//! | `settings` | `SegmentSize`: the offered sizes, remembered in `localStorage` |
//! | `dom` | element lookup, listeners, body flags, `PageError` |
//!
//! Imports run one way, down that table: a module imports only modules
//! listed below it (`events` calls `learn`, `server_tab`, `reopen` and
//! `page`, `learn` drives `reopen` and `page` as a learner would,
//! `server_tab` needs nothing of the page's store and uses `dom` alone,
//! `page` uses `store`,
//! `flusher`, `ticker` and the drawing parts, `store` uses `settings`,
//! everything uses `dom`), so no two modules import each other. The parts
//! below `page` never reach the page: `flusher` gets what it needs from it
//! through the hooks `startup` gives it, `ticker` through the callback
//! `page` gives it; `policy` (which drives `side_by_side`) is called by
//! the page and answers with an `Outcome` for it to act on, and its timer
//! calls back through the callback `page` gives it. This file holds
//! nothing but the list.
//!
//! ## Faults
//! The fault buttons damage the stored bytes behind the engine's back, the
//! way a crash or bit rot would. A store whose bytes changed underneath it
//! is a machine that crashed, so the page stops the store (commands are
//! refused) until the learner presses Reload, which reopens it from
//! IndexedDB and shows what recovery did.

mod console;
mod dom;
mod events;
mod flusher;
mod learn;
mod map;
mod page;
mod panels;
mod policy;
mod reopen;
mod server_tab;
mod settings;
mod side_by_side;
mod startup;
mod store;
mod ticker;

pub use page::playground_state;
pub use startup::start;
