//! Compaction: what to rewrite (a pure plan) beside how (the mechanism).
//!
//! | module | what |
//! |---|---|
//! | `plan` | [`CompactionPlan`]: a pure function of a [`LayoutSnapshot`], and the output packing plan and mechanism share |
//! | `publish` | the index change a committed compaction makes, as a pure function of the index and what was copied |
//! | `execute` | the mechanism: copy, seal, commit, publish, remove — crash-safe at every step |
//!
//! A full compaction drops tombstones, which is only safe because every
//! segment older than the new active one is an input: no older value for
//! the key survives anywhere. A crash between removals cannot bring a key
//! back either, since recovery skips every input named by a durable commit.

pub(crate) mod execute;
mod plan;
mod publish;

pub(crate) use plan::SEAL_LEN;
pub use plan::{CompactionPlan, LayoutSnapshot, SegmentSize, Survivor, plan};
