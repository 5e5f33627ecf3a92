//! The page's state and what each control does to it.
//!
//! [`Page`] holds the parts of the page — the console, the map, the
//! flusher, the setting — and the [`OpenStore`]. It lives in a thread-local
//! because the browser has one thread and event handlers need a way back to
//! it ([`with_page`]). Every handler that may have changed the store ends in
//! [`Page::after_change`]: read the layout again, redraw, schedule a flush.
//! Replacing the store goes through [`Page::replace_store`] alone.
//!
//! Time changes the store too: a record whose TTL runs out turns dead with
//! no write. While one is counting down, the [`Ticker`] wakes the page
//! (`Page::tick`); when a record is due to expire the tick redraws the way
//! a write does (`after_change` without its flush: nothing was written),
//! and in between it only moves the details panel's countdown on.
//! Whatever changes what is on show ends in `keep_time`, which asks for
//! the next wake-up or for none.
//!
//! The policy panel (`policy`) runs a workload and auto compaction on its
//! own timer; each of its steps hands back an `Outcome` that ends here as
//! any other change does (`settle_policy`), and every redraw lets it
//! choose a merge (`PolicyPanel::check`) before the map is drawn.
//!
//! This module decides; the parts it imports draw and remember. Only the
//! modules above it — `events`, `reopen`, `startup` — import it.
//!
//! ## Where things live
//!
//! | module | what |
//! |---|---|
//! | `commands` | the console: a line run through the REPL's grammar, the sample session, random writes |
//! | `policy_controls` | the policy panel's controls and timer, and what its `Outcome`s do to the page |
//! | `segment_size` | the segment size `<select>`: the store reopened at the new size |
//! | `faults` | the fault buttons: the stored bytes damaged, the store stopped |
//! | `compaction` | the plan and the walk over the map |
//! | `selection` | the map's details panel: hover, click, the selected key |
//! | `time` | the clock: records counting down, the ticker's wake-ups |
//! | `drawing` | after a change: the layout read again, every panel redrawn, a flush scheduled |
//! | `state` | [`Page`] itself, the thread-local it lives in, the store's replacement |
//! | `snapshot` | `playground_state()`, for the browser's developer console |
//!
//! Every file from `commands` to `state` is one part of [`Page`]'s
//! `impl`, split by the control it answers. They call each other's
//! methods, but of this folder they import only `state` (as `snapshot`
//! does), and `state` imports none of them: no two files import each
//! other. This file only re-exports.
//!
//! [`OpenStore`]: crate::app::store::OpenStore
//! [`Ticker`]: crate::app::ticker::Ticker

mod commands;
mod compaction;
mod drawing;
mod faults;
mod policy_controls;
mod segment_size;
mod selection;
mod snapshot;
mod state;
mod time;

pub use snapshot::playground_state;
pub(super) use state::{Page, install, with_page};
