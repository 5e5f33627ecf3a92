//! Compaction's decisions, all pure: what is worth merging (the policy),
//! what a merge copies and drops (the plan), and how the index changes once
//! it commits (publish). The mechanism that runs them over storage is
//! `store::merge`; nothing here does I/O or imports the store.
//!
//! | module | what |
//! |---|---|
//! | `policy` | [`CompactionPolicy`]: which sealed segments are worth a merge, and why — a pure function of a [`LayoutSnapshot`] |
//! | `plan` | [`CompactionPlan`]: what a merge copies and drops (the tombstone rule, [`tombstone_cutoff`]), and the output packing plan and mechanism share |
//! | `publish` | the index change a committed compaction makes, as a pure function of the index and what was copied |
//! | `history` | the counters and recent reports of the merges run since open |
//!
//! A merge — of every segment (`compact`) or of the few the policy chose —
//! is one mechanism: copy the inputs' live records and the tombstones that
//! must stay into new segments, commit, publish, remove the inputs. A
//! tombstone leaves only when no put older than it survives outside the
//! merge ([`tombstone_cutoff`]); a full compaction leaves nothing outside
//! but the fresh active segment, so it drops them all. A crash between
//! removals cannot bring a key back either, since recovery skips every
//! input named by a durable commit.

pub(crate) mod history;
pub(crate) mod plan;
pub(crate) mod policy;
pub(crate) mod publish;

pub use crate::report::MergeReason;
pub(crate) use plan::SEAL_LEN;
pub use plan::{
    CompactionPlan, ExpiredPut, KeptTombstone, LayoutSnapshot, SegmentFacts, SegmentSize, Survivor,
    plan, plan_merge, tombstone_cutoff,
};
pub use policy::{CompactionPolicy, PolicyPlan, SegmentAssessment, choose};
