//! The policy panel, "The policy at work": auto compaction and the policy's
//! sliders, the workload runner, the merge on show, the chart over time,
//! and the side-by-side demo's second store (through `side_by_side`).
//!
//! There are no threads in the browser, so "auto compaction" is this
//! panel calling `KvStore::compact_by_policy` itself: after anything that
//! changed the store ([`PolicyPanel::check`], which the page calls on every
//! redraw), when the policy's plan has a merge, the panel marks its inputs
//! on the map for a moment ([`MergeStage`]) while the workload goes on
//! writing to the active segment, then runs it. A merge therefore runs a
//! little after the policy chose it; the chosen inputs stay chosen (no
//! second merge is chosen meanwhile).
//!
//! Every merge the page runs — this panel's, and the console's `compact`
//! (which the lessons and Apply use), handed over by the page
//! ([`PolicyPanel::replay_merge`]) — is then replayed on the map
//! ([`MergeReplay`]): its outputs fill in while its inputs are still drawn
//! and the index still points into them, the index rows move to the
//! copies a few keys a step, and the inputs go. The engine did all of it
//! in one call; the replay is drawn from the layouts before and after, so
//! writes go on landing in the active segment meanwhile. A line over the
//! map (`#merge-status`) says which step is on show.
//!
//! The workload runs on a second [`Ticker`] (the type is a plain one-shot
//! timer; the page's own one keeps the time for expiring records): every
//! [`TICK_MS`] while it runs, and at a merge's next stage. Each tick runs
//! what the [`Pace`] says is due on the page's store and on the second
//! store, lets the second store merge by its own policy, and samples both
//! into their [`Series`]. The chart's clock is the time the workload has
//! run (a pause stops it), so a pause leaves no gap in the lines.
//!
//! The policy is an option a store is opened with, and the engine has no
//! setter for it: a slider that is let go reopens the store over the same
//! in-memory segments with the new policy (the page does it, through
//! `Page::replace_store`, as for a new segment size). The engine's
//! since-open counters start again then; the series carries them over.
//!
//! Like `flusher` and `ticker`, this module never reaches the page: the
//! page calls it and acts on the [`Outcome`] it returns.
//!
//! ## Where things live
//!
//! | module | what |
//! |---|---|
//! | `merges` | the policy's merges: chosen, run, and replayed on the map (also the console's) |
//! | `runner` | the workload and the panel's timer: each tick's operations, the merge's next stage, the samples |
//! | `knobs` | the auto compaction switch and the policy's sliders |
//! | `compare` | the chart started again, and the side-by-side demo's second store |
//! | `drawing` | what the panel shows: the next merge in words, the numbers, the chart, the controls, the line over the map |
//! | `panel` | [`PolicyPanel`]'s state, the [`Outcome`] it hands back, the options a store opens with |
//!
//! Every file but `panel` is one part of [`PolicyPanel`]'s `impl`, split
//! by what the panel is doing. They call each other's methods, but of
//! this folder they import only `panel`, and `panel` imports none of
//! them: no two files import each other. This file only re-exports.
//!
//! [`MergeStage`]: crate::merge_policy::MergeStage
//! [`MergeReplay`]: crate::merge_replay::MergeReplay
//! [`Ticker`]: crate::app::ticker::Ticker
//! [`Pace`]: crate::workload::Pace
//! [`Series`]: crate::series::Series
//! [`TICK_MS`]: runner::TICK_MS

mod compare;
mod drawing;
mod knobs;
mod merges;
mod panel;
mod runner;

pub(super) use panel::{Outcome, PolicyPanel, options_for};
