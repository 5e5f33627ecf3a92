//! How the policy sees each segment, as the map draws it: a verdict per
//! sealed segment ([`SegmentVerdict`]), the part a segment plays in a
//! merge on show ([`MergeRole`]) and all of it for one drawing
//! ([`PolicyOnMap`]).
//!
//! The marks are worked out by the engine's own comparison
//! (`dead_bytes_at`), so a strip never shows a trigger a byte off where
//! the policy acts.

use std::collections::{BTreeMap, BTreeSet};

use mini_kvstore::{CompactionPolicy, MergeReason, PolicyPlan, SegmentLayout};

use crate::merge_replay::{CellRepoint, Place};

/// How the policy sees one sealed segment, for its strip.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SegmentVerdict {
    /// Its bytes.
    pub len: u64,
    /// Bytes a merge of it alone would give back.
    pub dead_bytes: u64,
    /// The dead bytes at which it starts a merge: the fragmentation
    /// trigger's share of it, or the dead-bytes trigger, whichever is less.
    pub trigger_at: u64,
    /// The dead bytes at which it joins a merge that starts.
    pub threshold_at: u64,
    /// The strongest trigger or threshold it met.
    pub reason: Option<MergeReason>,
    /// The next merge takes it.
    pub selected: bool,
}

impl SegmentVerdict {
    /// Its dead fraction in whole percent.
    pub fn dead_percent(&self) -> u64 {
        (self.dead_bytes * 100).checked_div(self.len).unwrap_or(0)
    }
}

/// The part a segment plays in a merge the page is showing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MergeRole {
    /// The policy chose it for the merge that runs in a moment.
    Input,
    /// The merge on show wrote it.
    Output,
    /// The merge on show read it: gone from the store already, drawn as it
    /// was until the index has left it.
    Merged,
}

/// What the map draws of the policy: a verdict per sealed segment, the
/// merge chosen to run next, and the merge on show (its outputs, its
/// inputs while they are still on show, the repointing on their records).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PolicyOnMap {
    /// By segment number.
    pub verdicts: BTreeMap<u32, SegmentVerdict>,
    /// The inputs of the merge chosen to run next.
    pub inputs: BTreeSet<u32>,
    /// Ms since they were chosen: a strip redrawn in the middle of its
    /// pulse picks it up where it was.
    pub inputs_age_ms: u64,
    /// The outputs of the merge on show.
    pub outputs: BTreeSet<u32>,
    /// Ms since that merge ran (the outputs' filling in picks up where it
    /// was).
    pub outputs_age_ms: u64,
    /// Its inputs as they were, while the index still points into them.
    pub merged: Vec<SegmentLayout>,
    /// The repointing on the record cells of its inputs and outputs.
    pub repoint: BTreeMap<Place, CellRepoint>,
}

impl PolicyOnMap {
    /// The verdicts of `plan` under `policy`, with no merge on show.
    pub fn of(plan: &PolicyPlan, policy: &CompactionPolicy) -> PolicyOnMap {
        let verdicts = plan
            .segments
            .iter()
            .map(|s| {
                let at = |fraction: f64, bytes: u64| dead_bytes_at(fraction, s.len).min(bytes);
                let verdict = SegmentVerdict {
                    len: s.len,
                    dead_bytes: s.dead_bytes,
                    trigger_at: at(
                        policy.get_fragmentation_trigger(),
                        policy.get_dead_bytes_trigger(),
                    ),
                    threshold_at: at(
                        policy.get_fragmentation_threshold(),
                        policy.get_dead_bytes_threshold(),
                    ),
                    reason: s.reason,
                    selected: s.selected,
                };
                (s.id.0, verdict)
            })
            .collect();
        PolicyOnMap {
            verdicts,
            ..PolicyOnMap::default()
        }
    }

    /// The part segment `id` plays in a merge on show, and ms since that
    /// part began (for its animation).
    pub fn role(&self, id: u32) -> Option<(MergeRole, u64)> {
        if self.inputs.contains(&id) {
            Some((MergeRole::Input, self.inputs_age_ms))
        } else if self.outputs.contains(&id) {
            Some((MergeRole::Output, self.outputs_age_ms))
        } else if self.merged.iter().any(|s| s.id.0 == id) {
            Some((MergeRole::Merged, self.outputs_age_ms))
        } else {
            None
        }
    }
}

/// The fewest dead bytes whose share of `len` reaches `fraction`, by the
/// engine's own comparison (`dead as f64 / len as f64 >= fraction`), so a
/// mark is never a byte off what the policy does.
fn dead_bytes_at(fraction: f64, len: u64) -> u64 {
    if len == 0 {
        return 0;
    }
    let reaches = |dead: u64| dead as f64 / len as f64 >= fraction;
    let mut dead = ((fraction * len as f64).floor() as u64).saturating_sub(1);
    while dead < len && !reaches(dead) {
        dead += 1;
    }
    dead
}

/// A reason's name, as the engine serialises it (`data-reason`).
pub fn reason_name(reason: MergeReason) -> &'static str {
    match reason {
        MergeReason::FragmentationTrigger => "fragmentation_trigger",
        MergeReason::DeadBytesTrigger => "dead_bytes_trigger",
        MergeReason::FragmentationThreshold => "fragmentation_threshold",
        MergeReason::DeadBytesThreshold => "dead_bytes_threshold",
        MergeReason::SmallSegment => "small_segment",
        _ => "other",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::merge_policy::PolicySettings;
    use mini_kvstore::{KvStore, MemStorage, Options};
    // In the browser build each `#[test]` is a `wasm_bindgen_test`, so the
    // same tests prove the model where the page runs it.
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    #[test]
    fn a_mark_is_the_first_byte_count_that_reaches_the_fraction() {
        for len in [1, 7, 100, 255, 256, 333, 4096] {
            for fraction in [0.05, 0.4, 0.6, 0.95] {
                let at = dead_bytes_at(fraction, len);
                assert!(at as f64 / len as f64 >= fraction, "{fraction} of {len}");
                assert!(at == 0 || ((at - 1) as f64 / len as f64) < fraction);
            }
        }
        assert_eq!(dead_bytes_at(0.6, 1000), 600);
        assert_eq!(dead_bytes_at(0.6, 0), 0);
    }

    #[test]
    fn verdicts_say_where_each_segment_triggers() -> TestResult {
        let settings = PolicySettings::default();
        let store = KvStore::open_with(
            MemStorage::new(),
            Options::default()
                .max_segment_size(256)
                .compaction_policy(settings.policy(256)),
        )?;
        // Overwrite two keys until several segments are sealed and the
        // oldest are mostly dead.
        for i in 0..40 {
            store.set(format!("k{}", i % 2), "a value of some length")?;
        }
        let plan = store.policy_plan();
        let map = PolicyOnMap::of(&plan, store.compaction_policy());
        assert_eq!(map.verdicts.len(), plan.segments.len());
        assert!(!map.verdicts.is_empty());
        for (id, verdict) in &map.verdicts {
            let assessed = plan
                .segments
                .iter()
                .find(|s| s.id.0 == *id)
                .ok_or("assessed")?;
            assert_eq!(verdict.dead_bytes, assessed.dead_bytes);
            // 60 % of the segment; the byte trigger (256 B) is never less.
            assert_eq!(verdict.trigger_at, dead_bytes_at(0.6, verdict.len));
            // 40 % of it, or the quarter segment (64 B) if that is less.
            assert_eq!(
                verdict.threshold_at,
                dead_bytes_at(0.4, verdict.len).min(64)
            );
            assert_eq!(
                verdict.reason.is_some_and(MergeReason::is_trigger),
                verdict.dead_bytes >= verdict.trigger_at
            );
        }
        assert!(
            map.verdicts.values().any(|v| v.selected),
            "the old segments are all dead: the next merge takes them"
        );
        let mut shown = map.clone();
        shown.inputs.insert(1);
        shown.inputs_age_ms = 5;
        shown.outputs.insert(9);
        shown.outputs_age_ms = 7;
        assert_eq!(shown.role(1), Some((MergeRole::Input, 5)));
        assert_eq!(shown.role(9), Some((MergeRole::Output, 7)));
        assert_eq!(shown.role(2), None);
        Ok(())
    }
}
