//! [`CompactionPolicy`]: which segments are worth merging, and why — a pure
//! function of a [`LayoutSnapshot`](crate::compaction::plan::LayoutSnapshot),
//! Bitcask's merge policy in our words.
//!
//! Two stages, per sealed segment (the active one never merges):
//! - **triggers** decide *whether* to merge: a segment whose dead fraction
//!   reaches `fragmentation_trigger`, or whose dead bytes reach
//!   `dead_bytes_trigger`;
//! - **thresholds** decide *what* joins once something triggered: every
//!   segment whose dead fraction reaches `fragmentation_threshold` or whose
//!   dead bytes reach `dead_bytes_threshold`, and every segment smaller than
//!   `small_segment_threshold`, so small leftovers are packed together.
//!
//! Triggered segments go first, then the rest by how much they give back,
//! until `max_merge_bytes` of input is chosen (the first always is).
//!
//! Dead bytes here are the bytes a merge of the segment *alone* would give
//! back: overwritten values, and the tombstones the tombstone rule lets it
//! drop (see [`tombstone_cutoff`](crate::compaction::plan::tombstone_cutoff)). A tombstone that must be kept is not
//! counted, so a segment of nothing but kept tombstones never triggers a
//! merge that would only copy it again. Merging more segments at once can
//! only drop more tombstones, never fewer.
//!
//! ## The space this bounds
//!
//! Once the policy has run, no sealed segment has a dead fraction of
//! `fragmentation_trigger` or more: otherwise it would have triggered. So at
//! least `1 - fragmentation_trigger` of every sealed segment is live, and the
//! sealed segments take at most `1 / (1 - fragmentation_trigger)` times the
//! live bytes: 2.5× with the default 0.6. On top of that come the active
//! segment (at most `max_segment_size`) and, while a merge runs, its outputs
//! beside its inputs (at most the live part of `max_merge_bytes`). Kept
//! tombstones are not live bytes and are outside the bound.
//!
//! "Once the policy has run" is the catch: a writer that overwrites faster
//! than merges copy (one thread with no fsync can) keeps sealing segments
//! while the compactor is busy, and the triggers alone let the store grow
//! without limit — 3.5× and more under the sustained-overwrite benchmark.
//! So the bound is also kept as a limit, `max_space_amplification` (2.5 by
//! default): when the bytes on storage, hint files counted, plus that room
//! for a merge and the active segment pass the limit times the live bytes,
//!
//! - segments at a *threshold* start a merge, not only those at a trigger
//!   (there is less dead space per segment to go after, so more must be
//!   merged), and
//! - where a background compactor runs, writers are paced while merges
//!   are at work, to a share of the rate recent merges gave space back —
//!   the store's write stall (`store::stall`), as LSM stores slow writers
//!   when compaction falls behind.
//!
//! A store whose room alone passes the limit (a few segments, as in the
//! playground) is left to the triggers: the limit could not be kept there
//! without merging all the time.
//!
//! ## Space against write amplification
//!
//! Merging a segment that is a fraction `d` dead rewrites `1 - d` of it to
//! give back `d`: under steady overwrites each byte written by a user costs
//! about `(1 - d) / d` bytes of merge writes, so write amplification is about
//! `1 / d`. A lower trigger keeps less dead space and writes more; the
//! default 0.6 writes about 1.7× and keeps at most 2.5× (Riak's defaults).
//!
//! | file | what lives there |
//! |---|---|
//! | `settings` | [`CompactionPolicy`]: the triggers, thresholds and limits, their defaults and checks |
//! | `choose` | [`choose()`]: how the policy sees each sealed segment and the merge it picks |

mod choose;
mod settings;

pub(crate) use choose::over_space_bound;
pub use choose::{PolicyPlan, SegmentAssessment, choose};
pub use settings::CompactionPolicy;
