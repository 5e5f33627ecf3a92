//! [`choose`]: the policy at work on a [`LayoutSnapshot`] — each sealed
//! segment assessed against the triggers and thresholds (its dead bytes
//! counted as a merge of it alone would give them back), whether the store
//! is past its space limit, and the merge that follows.

use std::collections::BTreeSet;

use serde::Serialize;

use crate::compaction::plan::{
    CompactionPlan, LayoutSnapshot, SegmentFacts, plan_merge, tombstone_cutoff,
};
use crate::report::MergeReason;
use crate::storage::SegmentId;

use super::settings::CompactionPolicy;

/// How the policy sees one sealed segment.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct SegmentAssessment {
    /// The segment.
    pub id: SegmentId,
    /// Its bytes.
    pub len: u64,
    /// Bytes a merge of it alone would give back.
    pub dead_bytes: u64,
    /// `dead_bytes / len`.
    pub dead_fraction: f64,
    /// The strongest trigger or threshold it met, if any.
    pub reason: Option<MergeReason>,
    /// Whether the next merge takes it.
    pub selected: bool,
}

/// What the policy would merge next, and how it sees every sealed segment.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct PolicyPlan {
    /// Every sealed segment, in id order.
    pub segments: Vec<SegmentAssessment>,
    /// The merge it would run, or `None` when nothing triggers.
    pub merge: Option<CompactionPlan>,
    /// Whether the store is past `max_space_amplification` (its bytes on
    /// storage, with room for a merge and the active segment, against its
    /// live bytes): then segments at a threshold start a merge by
    /// themselves.
    pub over_space_limit: bool,
}

impl PolicyPlan {
    /// The segments the next merge takes, in the order chosen.
    pub fn selected(&self) -> Vec<SegmentId> {
        self.merge
            .as_ref()
            .map(|merge| merge.inputs.clone())
            .unwrap_or_default()
    }
}

/// The policy's choice over `snapshot`.
pub fn choose(
    snapshot: &LayoutSnapshot,
    policy: &CompactionPolicy,
    max_segment_size: u64,
) -> PolicyPlan {
    let sealed: Vec<&SegmentFacts> = snapshot
        .segments
        .iter()
        .filter(|s| s.sealed && Some(s.id) != snapshot.active)
        .collect();
    let mut segments: Vec<SegmentAssessment> = sealed
        .iter()
        .map(|segment| assess(snapshot, segment, policy))
        .collect();

    let total: u64 = snapshot.segments.iter().map(|s| s.len + s.hint_bytes).sum();
    let live: u64 = snapshot
        .segments
        .iter()
        .map(|s| s.live_bytes + s.meta_bytes)
        .sum();
    let over_space_limit = policy.max_space_amplification.is_some_and(|limit| {
        over_space_bound(total, live, policy.space_room(max_segment_size), limit)
    });
    let starts = |reason: MergeReason| {
        reason.is_trigger() || (over_space_limit && reason != MergeReason::SmallSegment)
    };
    let triggered = segments.iter().any(|s| s.reason.is_some_and(starts));
    if !triggered {
        return PolicyPlan {
            segments,
            merge: None,
            over_space_limit,
        };
    }
    // Triggered first, then by bytes given back, then the small ones.
    let mut candidates: Vec<&SegmentAssessment> =
        segments.iter().filter(|s| s.reason.is_some()).collect();
    candidates.sort_by(|a, b| {
        let rank = |s: &SegmentAssessment| match s.reason {
            Some(reason) if reason.is_trigger() => 0,
            Some(MergeReason::SmallSegment) => 2,
            _ => 1,
        };
        rank(a)
            .cmp(&rank(b))
            .then(b.dead_bytes.cmp(&a.dead_bytes))
            .then(a.id.cmp(&b.id))
    });
    let mut inputs = BTreeSet::new();
    let mut bytes = 0u64;
    for candidate in candidates {
        if !inputs.is_empty() && bytes + candidate.len > policy.max_merge_bytes {
            continue;
        }
        bytes += candidate.len;
        inputs.insert(candidate.id);
    }
    for segment in &mut segments {
        segment.selected = inputs.contains(&segment.id);
    }
    PolicyPlan {
        segments,
        merge: Some(plan_merge(snapshot, &inputs, max_segment_size)),
        over_space_limit,
    }
}

/// Whether `total` bytes on storage, with `room` more to come, pass `limit`
/// times the `live` bytes — in a store big enough to keep the limit at all:
/// one whose `room` alone does not take it past (a store of a few segments,
/// as the playground's are, is left to the triggers).
pub(crate) fn over_space_bound(total: u64, live: u64, room: u64, limit: f64) -> bool {
    let (total, live, room) = (total as f64, live as f64, room as f64);
    live * (limit - 1.0) > room && total + room > limit * live
}

fn assess(
    snapshot: &LayoutSnapshot,
    segment: &SegmentFacts,
    policy: &CompactionPolicy,
) -> SegmentAssessment {
    let alone = BTreeSet::from([segment.id]);
    let cutoff = tombstone_cutoff(snapshot, &alone);
    let keeps = |seq: u64| cutoff.is_some_and(|cutoff| seq > cutoff);
    let kept: u64 = segment
        .tombstones
        .iter()
        .filter(|t| keeps(t.seq))
        .map(|t| u64::from(t.len))
        .chain(
            segment
                .expired
                .iter()
                .filter(|(seq, _)| keeps(*seq))
                .map(|(_, len)| u64::from(*len)),
        )
        .sum();
    let dead_bytes = segment.dead_bytes().saturating_sub(kept);
    let dead_fraction = if segment.len == 0 {
        0.0
    } else {
        dead_bytes as f64 / segment.len as f64
    };
    let reason = if dead_fraction >= policy.fragmentation_trigger {
        Some(MergeReason::FragmentationTrigger)
    } else if dead_bytes >= policy.dead_bytes_trigger {
        Some(MergeReason::DeadBytesTrigger)
    } else if dead_fraction >= policy.fragmentation_threshold {
        Some(MergeReason::FragmentationThreshold)
    } else if dead_bytes >= policy.dead_bytes_threshold {
        Some(MergeReason::DeadBytesThreshold)
    } else if segment.len < policy.small_segment_threshold {
        Some(MergeReason::SmallSegment)
    } else {
        None
    };
    SegmentAssessment {
        id: segment.id,
        len: segment.len,
        dead_bytes,
        dead_fraction,
        reason,
        selected: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compaction::plan::Survivor;
    use crate::location::{Location, TombstoneAt};

    const SEGMENT: u64 = 1000;

    fn policy() -> CompactionPolicy {
        CompactionPolicy::for_segment_size(SEGMENT)
    }

    /// A sealed segment `id` of `len` bytes with `live` of them live (16 of
    /// the rest are its header), whose first put has seq `id * 100`.
    fn segment(id: u32, len: u64, live: u64) -> SegmentFacts {
        SegmentFacts {
            id: SegmentId(id),
            len,
            live_bytes: live,
            meta_bytes: 16,
            sealed: true,
            min_put_seq: Some(u64::from(id) * 100),
            tombstones: Vec::new(),
            expired: Vec::new(),
            hint_bytes: 0,
        }
    }

    fn snapshot(segments: Vec<SegmentFacts>) -> LayoutSnapshot {
        let active = SegmentFacts {
            sealed: false,
            ..segment(99, 16, 0)
        };
        let mut all = segments;
        all.push(active);
        LayoutSnapshot {
            segments: all,
            active: Some(SegmentId(99)),
            live: Vec::new(),
            expired: Vec::new(),
        }
    }

    fn reasons(plan: &PolicyPlan) -> Vec<(u32, Option<MergeReason>, bool)> {
        plan.segments
            .iter()
            .map(|s| (s.id.0, s.reason, s.selected))
            .collect()
    }

    #[test]
    fn nothing_merges_until_a_segment_reaches_a_trigger() {
        // 50 % dead: over the threshold, under the trigger.
        let plan = choose(
            &snapshot(vec![segment(1, SEGMENT, 484)]),
            &policy(),
            SEGMENT,
        );
        assert_eq!(plan.merge, None);
        assert_eq!(
            reasons(&plan),
            vec![(1, Some(MergeReason::FragmentationThreshold), false)]
        );
        assert_eq!(plan.segments[0].dead_bytes, 500);
    }

    #[test]
    fn a_trigger_brings_in_the_segments_over_a_threshold_and_the_small_ones() {
        let plan = choose(
            &snapshot(vec![
                segment(1, SEGMENT, 284), // 70 % dead: trigger
                segment(2, SEGMENT, 534), // 45 % dead: threshold
                segment(3, SEGMENT, 884), // 10 % dead: stays
                segment(4, 40, 24),       // small
            ]),
            &policy(),
            SEGMENT,
        );
        assert_eq!(
            reasons(&plan),
            vec![
                (1, Some(MergeReason::FragmentationTrigger), true),
                (2, Some(MergeReason::FragmentationThreshold), true),
                (3, None, false),
                (4, Some(MergeReason::SmallSegment), true),
            ]
        );
        let merge = plan.merge.as_ref().map(|m| m.inputs.clone());
        assert_eq!(merge, Some(vec![SegmentId(1), SegmentId(2), SegmentId(4)]));
    }

    #[test]
    fn the_merge_stops_at_its_byte_cap_but_always_takes_the_trigger() {
        let tight = policy().max_merge_bytes(1500);
        let plan = choose(
            &snapshot(vec![
                segment(1, SEGMENT, 534), // threshold
                segment(2, SEGMENT, 184), // trigger, 80 % dead
                segment(3, SEGMENT, 284), // trigger, 70 % dead
            ]),
            &tight,
            SEGMENT,
        );
        assert_eq!(plan.selected(), vec![SegmentId(2)]);
        let one = policy().max_merge_bytes(10);
        let plan = choose(&snapshot(vec![segment(1, SEGMENT, 184)]), &one, SEGMENT);
        assert_eq!(
            plan.selected(),
            vec![SegmentId(1)],
            "the first is taken past the cap"
        );
    }

    #[test]
    fn dead_bytes_trigger_a_segment_whose_fraction_does_not() {
        let by_bytes = policy().dead_bytes_trigger(300);
        let plan = choose(
            &snapshot(vec![segment(1, SEGMENT, 584)]),
            &by_bytes,
            SEGMENT,
        );
        assert_eq!(
            reasons(&plan),
            vec![(1, Some(MergeReason::DeadBytesTrigger), true)]
        );
    }

    #[test]
    fn a_tombstone_whose_older_put_lives_elsewhere_is_not_dead() {
        // Segment 2's bytes are all tombstones (seqs 250..) of keys whose
        // puts sit in segment 1 (seqs from 100): merging 2 alone must keep
        // them, so it gives nothing back and does not trigger.
        let mut tombstones = segment(2, 16 + 10 * 30, 0);
        tombstones.min_put_seq = None;
        tombstones.tombstones = (0..10)
            .map(|i| TombstoneAt {
                offset: 16 + 30 * i,
                len: 30,
                seq: 250 + i,
            })
            .collect();
        let older = segment(1, SEGMENT, 884);
        let plan = choose(
            &snapshot(vec![older.clone(), tombstones.clone()]),
            &policy(),
            SEGMENT,
        );
        assert_eq!(plan.segments[1].dead_bytes, 0);
        assert_eq!(plan.merge, None);

        // With segment 1's puts newer than the tombstones, they can go.
        let newer = SegmentFacts {
            min_put_seq: Some(400),
            ..older
        };
        let plan = choose(&snapshot(vec![newer, tombstones]), &policy(), SEGMENT);
        assert_eq!(plan.segments[1].dead_bytes, 300);
        let merge = plan.merge.as_ref();
        assert_eq!(merge.map(|m| m.dropped_tombstones), Some(10));
        assert_eq!(merge.map(|m| m.kept_tombstones.len()), Some(0));
    }

    #[test]
    fn a_partial_merge_copies_the_tombstones_the_rule_keeps() {
        // Segment 1 holds an old put (seq 100); segment 2 a tombstone of
        // seq 150 and one of seq 90, and a live record; merging 2 alone keeps
        // the first (a put older than it survives in 1) and drops the second.
        let mut two = segment(2, 200, 40);
        two.min_put_seq = Some(160);
        two.tombstones = vec![
            TombstoneAt {
                offset: 16,
                len: 30,
                seq: 150,
            },
            TombstoneAt {
                offset: 46,
                len: 30,
                seq: 90,
            },
        ];
        let mut snap = snapshot(vec![segment(1, SEGMENT, 884), two]);
        snap.live = vec![Survivor {
            key: b"k".to_vec(),
            from: Location {
                offset: 76,
                segment: SegmentId(2),
                len: 40,
            },
        }];
        let plan = plan_merge(&snap, &BTreeSet::from([SegmentId(2)]), SEGMENT);
        let kept: Vec<u64> = plan.kept_tombstones.iter().map(|t| t.seq).collect();
        assert_eq!(kept, vec![150]);
        assert_eq!(plan.dropped_tombstones, 1);
        let order: Vec<u64> = plan.copies().map(|c| c.from().offset).collect();
        assert_eq!(order, vec![16, 76], "read order: by offset");
    }

    #[test]
    fn the_space_limit_holds_only_for_stores_big_enough_to_keep_it() {
        // 100 live, limit 2.5: 250 in all, with the room counted.
        assert!(!over_space_bound(200, 100, 50, 2.5));
        assert!(over_space_bound(201, 100, 50, 2.5));
        // Room for a merge takes a store of 100 live bytes past 2.5× by
        // itself: such a store is left to the triggers.
        assert!(!over_space_bound(1000, 100, 150, 2.5));
        assert!(!over_space_bound(10, 0, 0, 2.5));
    }

    /// Twenty segments 45 % dead: over the threshold, under the trigger.
    fn worn_store() -> LayoutSnapshot {
        snapshot((1..=20).map(|id| segment(id, SEGMENT, 534)).collect())
    }

    #[test]
    fn past_the_space_limit_the_segments_at_a_threshold_start_a_merge() {
        // 20,016 bytes over 11,016 live: 1.8× before the room for a merge
        // (4 segments' live part, 2,400) and the active segment (1,000);
        // 2.13× with it.
        let limited = policy().max_space_amplification(Some(2.1));
        let plan = choose(&worn_store(), &limited, SEGMENT);
        assert!(plan.over_space_limit);
        let inputs = plan.merge.map(|merge| merge.inputs.len());
        assert_eq!(inputs, Some(4), "max_merge_bytes is 4 segments");

        // The same store under a limit it keeps, or none: nothing merges.
        for limit in [Some(2.5), None] {
            let plan = choose(
                &worn_store(),
                &policy().max_space_amplification(limit),
                SEGMENT,
            );
            assert!(!plan.over_space_limit, "{limit:?}");
            assert_eq!(plan.merge, None, "{limit:?}");
        }
    }
}
