//! What the store tells about itself: stats, and the reports of recovery,
//! compaction, verification and backups. Plain data, serialisable, so the CLI, the
//! server and the playground show the same numbers.

use std::time::Duration;

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
    /// Merges run since the store was opened (full compactions included).
    pub compactions: u64,
    /// Merges that failed since the store was opened (each changed nothing).
    pub compaction_failures: u64,
    /// The last failure's message.
    pub last_compaction_failure: Option<String>,
    /// Bytes appended by writes since the store was opened: records and
    /// seals.
    pub user_bytes_written: u64,
    /// Bytes appended by merges since the store was opened.
    pub compaction_bytes_written: u64,
}

impl Stats {
    /// Bytes on storage per live byte (1.0 when there is nothing live):
    /// what overwritten values, tombstones and bookkeeping cost in space.
    pub fn space_amplification(&self) -> f64 {
        if self.live_bytes == 0 {
            1.0
        } else {
            self.total_bytes as f64 / self.live_bytes as f64
        }
    }

    /// Bytes written in all per byte that writes asked for (1.0 before any
    /// write): `(user + compaction) / user`, since the store was opened.
    pub fn write_amplification(&self) -> f64 {
        if self.user_bytes_written == 0 {
            1.0
        } else {
            (self.user_bytes_written + self.compaction_bytes_written) as f64
                / self.user_bytes_written as f64
        }
    }

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
    /// Why it ran.
    pub trigger: CompactionTrigger,
    /// For a merge the policy chose, why each input joined it.
    pub reasons: Vec<InputReason>,
    /// Tombstones copied because a put they hide survives elsewhere.
    pub tombstones_kept: u64,
    /// Tombstones dropped.
    pub tombstones_dropped: u64,
    /// Bytes written to the outputs.
    pub bytes_written: u64,
    /// When it started, in ms since the Unix epoch (by the store's clock).
    pub started_at_ms: u64,
    /// How long it took, in ms (by the store's clock).
    pub duration_ms: u64,
}

/// Why a compaction ran.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum CompactionTrigger {
    /// [`KvStore::compact`](crate::KvStore::compact): every segment.
    Full,
    /// The compaction policy chose it, run by the background thread or by
    /// [`KvStore::compact_by_policy`](crate::KvStore::compact_by_policy).
    Policy,
}

/// Why one input joined a merge the policy chose.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct InputReason {
    /// The input.
    pub segment: SegmentId,
    /// The trigger or threshold it met.
    pub reason: MergeReason,
}

/// Why a segment joins a merge: the trigger or threshold it met.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum MergeReason {
    /// Its dead fraction reached `fragmentation_trigger`.
    FragmentationTrigger,
    /// Its dead bytes reached `dead_bytes_trigger`.
    DeadBytesTrigger,
    /// Its dead fraction reached `fragmentation_threshold`.
    FragmentationThreshold,
    /// Its dead bytes reached `dead_bytes_threshold`.
    DeadBytesThreshold,
    /// It is smaller than `small_segment_threshold`.
    SmallSegment,
}

impl MergeReason {
    /// Whether this reason starts a merge, rather than joining one.
    pub fn is_trigger(self) -> bool {
        matches!(
            self,
            MergeReason::FragmentationTrigger | MergeReason::DeadBytesTrigger
        )
    }

    /// How the fronts say it.
    pub fn describe(self) -> &'static str {
        match self {
            MergeReason::FragmentationTrigger => "dead fraction reached the trigger",
            MergeReason::DeadBytesTrigger => "dead bytes reached the trigger",
            MergeReason::FragmentationThreshold => "dead fraction reached the threshold",
            MergeReason::DeadBytesThreshold => "dead bytes reached the threshold",
            MergeReason::SmallSegment => "small segment, packed with the others",
        }
    }
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

/// What [`KvStore::backup`](crate::KvStore::backup) copied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct BackupReport {
    /// The backup holds every write with a seq up to this one, and none
    /// after it (0 for an empty store).
    pub through_seq: u64,
    /// Segments copied, the active one included.
    pub segments: usize,
    /// Hint files copied with their sealed segments.
    pub hints: usize,
    /// Bytes of segments copied (the active one only up to the point, not
    /// its preallocated length).
    pub bytes: u64,
    /// How long the copy took, by the store's clock.
    #[serde(serialize_with = "millis")]
    pub duration: Duration,
}

fn millis<S: serde::Serializer>(duration: &Duration, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_u128(duration.as_millis())
}
