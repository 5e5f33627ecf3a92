//! The compaction policy as the playground sets and shows it: the panel's
//! sliders ([`PolicySettings`], one [`Knob`] each), how the policy sees
//! each segment on the map ([`SegmentVerdict`]), and where the merges the
//! page shows are ([`MergeStage`]: the chosen inputs marked for a moment
//! before they are merged, then the merge replayed step by step through
//! [`crate::merge_replay`]).
//!
//! The engine owns the rule ([`mini_kvstore::CompactionPolicy`] and its
//! pure `choose`, read through `KvStore::policy_plan`); this module only
//! turns slider positions into a policy and the engine's plan into what a
//! strip draws. Slider positions are whole numbers — percents, and
//! sixteenths of the segment size for the byte settings — so a setting is
//! exact, comparable and cannot be a value the engine would refuse: every
//! position maps into the range the engine accepts, and the threshold is
//! kept at or under the trigger (a threshold above it would never matter:
//! a segment that dead has triggered already).
//!
//! The defaults are the engine's own (its fractions, and byte defaults
//! that are shares of the segment size), so a store opened with
//! [`PolicySettings::default`] is the store the page opens at start-up.
//!
//! ## Where things live
//!
//! | module | what |
//! |---|---|
//! | `settings` | the sliders: [`Knob`], [`PolicySettings`] and the [`CompactionPolicy`](mini_kvstore::CompactionPolicy) they make |
//! | `on_map` | the policy's view of each segment for its strip ([`SegmentVerdict`], [`PolicyOnMap`], [`MergeRole`]) |
//! | `stage` | the merges on show over time: chosen, then replayed ([`MergeStage`]) |
//! | `fixtures` | for tests: one real merge by the page's policy |
//!
//! Each concern is a file of its own because the page reads them at
//! different moments: the settings when a store opens, the verdicts on
//! every drawing of the map, the stage on every tick. Imports run down
//! that table (`stage` marks its merges on `on_map`'s [`PolicyOnMap`],
//! `fixtures` opens a store with `settings`), and this file only
//! re-exports.

mod on_map;
mod settings;
mod stage;

#[cfg(test)]
mod fixtures;

#[cfg(test)]
pub(crate) use fixtures::real_merge;
pub use on_map::{MergeRole, PolicyOnMap, SegmentVerdict, reason_name};
pub use settings::{Knob, PolicySettings};
pub use stage::MergeStage;
