//! The JSON of `GET /segments?summary=true` and of `/events`' `segments`
//! event: [`SummaryJson`], the engine's [`LayoutSummary`] with each
//! segment's dead bytes and the store's totals added.
//!
//! The engine builds the summary from its index alone — no segment is read,
//! no record decoded — so it stays small and cheap however big the store:
//! one object per segment, whatever the number of records. What the
//! compaction policy says of a segment is the engine's own
//! [`SegmentAssessment`], serialized as `/compactions` sends it.

use mini_kvstore::{LayoutSummary, SegmentAssessment, SegmentId, SegmentKind, SegmentSummary};
use serde::Serialize;

/// Every segment in numbers, their totals, and the policy's next merge.
#[derive(Serialize)]
pub(crate) struct SummaryJson {
    segments: Vec<SegmentSummaryJson>,
    totals: Totals,
    /// The segments the compaction policy's next merge would take, in id
    /// order; empty when nothing is due (`/compactions` has that merge's
    /// plan).
    next_merge: Vec<SegmentId>,
}

#[derive(Serialize)]
struct SegmentSummaryJson {
    id: SegmentId,
    kind: SegmentKind,
    active: bool,
    sealed: bool,
    #[serde(flatten)]
    counts: Counts,
    /// How the compaction policy sees it; `null` for the active segment
    /// (and any other that is not sealed).
    policy: Option<SegmentAssessment>,
}

#[derive(Serialize)]
struct Totals {
    segments: usize,
    #[serde(flatten)]
    counts: Counts,
}

/// A segment's bytes by what holds them, and its records by state, where
/// the index counts them (overwritten records it knows only as bytes).
#[derive(Serialize, Default)]
struct Counts {
    len: u64,
    live_bytes: u64,
    live_records: u64,
    overwritten_bytes: u64,
    tombstone_bytes: u64,
    tombstones: u64,
    expired_bytes: u64,
    expired_records: u64,
    meta_bytes: u64,
    corrupt_bytes: u64,
    /// Overwritten, tombstone, expired and corrupt bytes together: summed
    /// over the segments, `/stats`' `dead_bytes`.
    dead_bytes: u64,
}

impl From<&SegmentSummary> for Counts {
    fn from(segment: &SegmentSummary) -> Self {
        Counts {
            len: segment.len,
            live_bytes: segment.live_bytes,
            live_records: segment.live_records,
            overwritten_bytes: segment.overwritten_bytes,
            tombstone_bytes: segment.tombstone_bytes,
            tombstones: segment.tombstones,
            expired_bytes: segment.expired_bytes,
            expired_records: segment.expired_records,
            meta_bytes: segment.meta_bytes,
            corrupt_bytes: segment.corrupt_bytes,
            dead_bytes: segment.dead_bytes(),
        }
    }
}

impl Counts {
    fn add(&mut self, other: &Counts) {
        self.len += other.len;
        self.live_bytes += other.live_bytes;
        self.live_records += other.live_records;
        self.overwritten_bytes += other.overwritten_bytes;
        self.tombstone_bytes += other.tombstone_bytes;
        self.tombstones += other.tombstones;
        self.expired_bytes += other.expired_bytes;
        self.expired_records += other.expired_records;
        self.meta_bytes += other.meta_bytes;
        self.corrupt_bytes += other.corrupt_bytes;
        self.dead_bytes += other.dead_bytes;
    }
}

impl From<&LayoutSummary> for SummaryJson {
    fn from(summary: &LayoutSummary) -> Self {
        let mut totals = Totals {
            segments: summary.segments.len(),
            counts: Counts::default(),
        };
        let segments = summary
            .segments
            .iter()
            .map(|segment| {
                let counts = Counts::from(segment);
                totals.counts.add(&counts);
                SegmentSummaryJson {
                    id: segment.id,
                    kind: segment.kind,
                    active: segment.active,
                    sealed: segment.sealed,
                    counts,
                    policy: segment.policy.clone(),
                }
            })
            .collect();
        SummaryJson {
            segments,
            totals,
            next_merge: summary.next_merge.clone(),
        }
    }
}
