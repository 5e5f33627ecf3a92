//! # Learn: guided lessons on the playground's own engine
//!
//! Eight short lessons — the log, the index, overwrites and deletes,
//! segments, compaction, the merge policy, crashes, expiry — each a few
//! steps. A step runs real commands on the page's store (through the
//! console, as if typed, or through the page's own buttons), points at the
//! part of the page it talks about, explains it in two or three sentences
//! and, where it fits, asks the learner to predict what is about to happen
//! before it happens: which record a `get` reads, which records compaction
//! keeps, which segments the policy merges, what a reload leaves of a
//! damaged record.
//!
//! Lessons run on a store of their own, so what they show never depends on
//! what the learner did before, and the learner's own keys are untouched:
//! the page sets them aside while a lesson runs and brings them back after.
//! Every step has an address (`#learn/6/3`); opening one directly replays
//! the steps before it on a fresh store, so any step can be linked to,
//! reloaded or restarted.
//!
//! Everything here is plain data and pure functions, tested natively
//! (`tests/` walks every lesson on a real store); `app::learn` puts it on
//! the page.
//!
//! | module | what |
//! |---|---|
//! | [`lessons`] | the lessons: titles, texts, actions, highlights, questions |
//! | [`action`] | what a step does ([`action::Action`]: a console line, a button) and points at ([`action::Target`]) |
//! | [`question`] | predictions: the learner's guess, the answer worked out from the facts, the verdict |
//! | [`facts`] | what answers are worked out from: the layout, the policy's plan, the stats, the time |
//! | [`tour`] | the step state machine, and how to get from one step to another |
//! | [`progress`] | the steps done (kept in `localStorage`) and the `#learn/L/S` addresses |
//! | [`panel`] | the Learn panel as HTML |
//!
//! This file re-exports nothing, so its children import one another by
//! their own paths without an import cycle through here.

pub mod action;
pub mod facts;
pub mod lessons;
pub mod panel;
pub mod progress;
pub mod question;
pub mod tour;

#[cfg(test)]
mod tests;
