//! What the store tells about itself: stats, and the reports of recovery,
//! compaction and verification. Plain data, serialisable, so the CLI, the
//! server and the playground show the same numbers.

use serde::Serialize;

use crate::storage::SegmentId;

/// A point-in-time summary of the store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Stats {
    /// Live keys.
    pub keys: usize,
    /// Segment files.
    pub segments: usize,
    /// Bytes in all segments (headers included): what the store takes on disk.
    pub total_bytes: u64,
    /// Bytes of the records the index points at, plus the bookkeeping every
    /// layout needs (segment headers, seals, compaction commits): what a
    /// compaction keeps.
    pub live_bytes: u64,
    /// `total_bytes - live_bytes`: overwritten values, tombstones and corrupt
    /// ranges — what compaction reclaims.
    pub dead_bytes: u64,
    /// Corrupt ranges found (and skipped) since the store was opened.
    pub corrupt_ranges: usize,
    /// Bytes in those ranges.
    pub corrupt_bytes: u64,
    /// The sequence number the next write will get.
    pub next_seq: u64,
    /// The segment new writes go to.
    pub active_segment: SegmentId,
}

impl Stats {
    /// Share of the bytes on disk that compaction would reclaim (0.0 to 1.0).
    pub fn dead_ratio(&self) -> f64 {
        if self.total_bytes == 0 {
            0.0
        } else {
            self.dead_bytes as f64 / self.total_bytes as f64
        }
    }
}

/// A byte range that holds no valid record, with valid records after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct CorruptRange {
    /// The segment.
    pub segment: SegmentId,
    /// Where the bad bytes start.
    pub offset: u64,
    /// How many bytes were skipped.
    pub len: u64,
}

/// A tail that recovery cut off: a write a crash interrupted, or junk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct TruncatedTail {
    /// The segment.
    pub segment: SegmentId,
    /// The segment's new length.
    pub offset: u64,
    /// Bytes removed: the torn write, and any unused preallocated space
    /// after it.
    pub bytes_cut: u64,
}

/// What `open` found and repaired.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct RecoveryReport {
    /// Segments read.
    pub segments: usize,
    /// Of those, segments whose hint file fitted, so their records were not
    /// decoded one by one.
    pub hinted_segments: usize,
    /// Valid records read.
    pub records: u64,
    /// Torn tails cut off.
    pub truncated: Vec<TruncatedTail>,
    /// Corrupt ranges skipped.
    pub corrupt: Vec<CorruptRange>,
    /// Segments deleted: inputs of a committed compaction whose removal a
    /// crash interrupted, and segments whose creation a crash interrupted.
    pub removed_segments: Vec<SegmentId>,
}

impl RecoveryReport {
    /// True when nothing needed repair.
    pub fn is_clean(&self) -> bool {
        self.truncated.is_empty() && self.corrupt.is_empty()
    }
}

/// What `compact` did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct CompactionReport {
    /// Segments before.
    pub segments_before: usize,
    /// Segments after (the outputs plus the fresh active segment).
    pub segments_after: usize,
    /// Bytes on storage before.
    pub bytes_before: u64,
    /// Bytes on storage after.
    pub bytes_after: u64,
    /// Live records rewritten.
    pub records_copied: u64,
    /// Segments that were rewritten and removed.
    pub inputs: Vec<SegmentId>,
    /// Segments written.
    pub outputs: Vec<SegmentId>,
}

impl CompactionReport {
    /// Bytes given back.
    pub fn bytes_reclaimed(&self) -> u64 {
        self.bytes_before.saturating_sub(self.bytes_after)
    }
}

/// What `verify` found.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct VerifyReport {
    /// Segments read.
    pub segments_checked: usize,
    /// Valid records read.
    pub records_checked: u64,
    /// Bytes read.
    pub bytes_checked: u64,
    /// Ranges that hold no valid record (including a bad tail).
    pub corrupt: Vec<CorruptRange>,
}

impl VerifyReport {
    /// True when every byte belongs to a valid record.
    pub fn is_clean(&self) -> bool {
        self.corrupt.is_empty()
    }
}
