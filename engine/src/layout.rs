//! The store drawn as data: every segment, every record in it and the state
//! of each (live, overwritten, tombstone). The CLI's `inspect`, the server's
//! `/segments` and the playground all render this one model.
//!
//! Two lighter views of the same model, for stores too big to draw whole:
//! [`LayoutSummary`], each segment in numbers from the index alone (no
//! segment is read), and [`RecordPage`], one segment's records a page at a
//! time.
//!
//! This module is the one owner of two decisions the fronts must agree on:
//! which state a record is in ([`RecordState::of`]) and the word for each
//! state ([`RecordState::name`]). Seal and commit payloads arrive decoded
//! ([`RecordLayout::meta`]), so no front parses record bytes of its own.
//!
//! These types are not serialisable: keys and values are bytes, and the
//! one JSON form of a layout is the server's (`/segments`), which owns it.

use serde::Serialize;

use crate::compaction::{CompactionPlan, SegmentAssessment};
use crate::format::{CommitPayload, RecordKind, RecordRef, SegmentKind};
use crate::report::CorruptRange;
use crate::storage::SegmentId;

/// How many bytes of a value a layout keeps for display.
pub const VALUE_PREVIEW_LEN: usize = 32;

/// Every segment, oldest number first, and what compaction would do now.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Layout {
    /// The segments.
    pub segments: Vec<SegmentLayout>,
    /// The plan [`KvStore::compact`](crate::KvStore::compact) would follow.
    pub plan: CompactionPlan,
}

/// One segment.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SegmentLayout {
    /// Its number.
    pub id: SegmentId,
    /// Written by the log or by compaction.
    pub kind: SegmentKind,
    /// Bytes, header included.
    pub len: u64,
    /// New writes go here.
    pub active: bool,
    /// Ends with a seal record.
    pub sealed: bool,
    /// Its valid records in order.
    pub records: Vec<RecordLayout>,
    /// Ranges holding no valid record.
    pub corrupt: Vec<CorruptRange>,
}

/// Whether a record still matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RecordState {
    /// The index points here: this is the key's current value.
    Live,
    /// A newer record for the key exists (or the key was deleted).
    Overwritten,
    /// A deletion marker.
    Tombstone,
    /// A seal or compaction commit: bookkeeping, not data.
    Meta,
    /// The key's current put, but its time to live has run out: dead, and
    /// the key reads as absent.
    Expired,
}

impl RecordState {
    /// The state of a record of `kind`; `indexed` says whether the index
    /// points at this very record (segment and offset), `expired` whether
    /// its time to live has run out. A put the index does not point at was
    /// replaced by a newer write or a delete.
    pub fn of(kind: RecordKind, indexed: bool, expired: bool) -> Self {
        match kind {
            RecordKind::Put if indexed && expired => RecordState::Expired,
            RecordKind::Put if indexed => RecordState::Live,
            RecordKind::Put => RecordState::Overwritten,
            RecordKind::Tombstone => RecordState::Tombstone,
            RecordKind::Seal | RecordKind::CompactionCommit => RecordState::Meta,
        }
    }

    /// The word for this state, as every front shows it and as it is
    /// serialized: `live`, `overwritten`, `tombstone`, `meta` or `expired`.
    pub fn name(self) -> &'static str {
        match self {
            RecordState::Live => "live",
            RecordState::Overwritten => "overwritten",
            RecordState::Tombstone => "tombstone",
            RecordState::Meta => "meta",
            RecordState::Expired => "expired",
        }
    }
}

/// What a bookkeeping record says, decoded from its whole value (a
/// [`RecordLayout::value_preview`] may be cut short).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MetaPayload {
    /// A seal: the store's next seq when the segment was sealed.
    Seal {
        /// The next seq then.
        next_seq: u64,
    },
    /// A compaction commit: the inputs it made obsolete.
    Commit(CommitPayload),
}

/// One record.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RecordLayout {
    /// Byte offset in the segment.
    pub offset: u64,
    /// Bytes, header included.
    pub len: u64,
    /// Put, tombstone, seal or commit.
    pub kind: RecordKind,
    /// Sequence number (0 for seal and commit records).
    pub seq: u64,
    /// The key.
    pub key: Vec<u8>,
    /// Length of the value.
    pub value_len: u64,
    /// The value's first bytes.
    pub value_preview: Vec<u8>,
    /// The stored CRC (it matched, or the record would not be listed).
    pub crc: u32,
    /// Live, overwritten, tombstone or meta.
    pub state: RecordState,
    /// For a seal or commit record, its decoded payload (`None` for puts and
    /// tombstones, and for a payload that does not decode).
    pub meta: Option<MetaPayload>,
    /// For a put that expires: when, in ms since the Unix epoch.
    pub expires_at: Option<u64>,
}

impl RecordLayout {
    /// The layout of `record`, found at `offset`; `indexed` as for
    /// [`RecordState::of`], and `now` (ms since the Unix epoch) decides
    /// whether it has expired.
    pub(crate) fn new(offset: u64, record: &RecordRef<'_>, indexed: bool, now: u64) -> Self {
        let meta = match record.kind {
            RecordKind::Seal => record
                .seal_next_seq()
                .map(|next_seq| MetaPayload::Seal { next_seq }),
            RecordKind::CompactionCommit => record.commit().map(MetaPayload::Commit),
            RecordKind::Put | RecordKind::Tombstone => None,
        };
        RecordLayout {
            offset,
            len: record.len as u64,
            kind: record.kind,
            seq: record.seq,
            key: record.key.to_vec(),
            value_len: record.value.len() as u64,
            value_preview: record.value[..record.value.len().min(VALUE_PREVIEW_LEN)].to_vec(),
            crc: record.crc,
            state: RecordState::of(
                record.kind,
                indexed,
                record.expires_at.is_some_and(|at| at <= now),
            ),
            meta,
            expires_at: record.expires_at,
        }
    }
}

impl SegmentLayout {
    /// Bytes of live records.
    pub fn live_bytes(&self) -> u64 {
        self.records
            .iter()
            .filter(|r| r.state == RecordState::Live)
            .map(|r| r.len)
            .sum()
    }

    /// Whether this is a compaction output.
    pub fn is_compacted(&self) -> bool {
        self.kind == SegmentKind::Compacted
    }
}

/// Every segment in numbers, oldest number first: what the index knows of
/// each, with no segment read and no record decoded, so it costs as much
/// as the index walk, not the store's bytes. From
/// [`KvStore::layout_summary`](crate::KvStore::layout_summary).
///
/// The index counts a segment's live records, tombstones and expired puts,
/// but not its overwritten records: those it knows only as bytes. Counting
/// them means reading the segment ([`RecordPage`]).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct LayoutSummary {
    /// The segments.
    pub segments: Vec<SegmentSummary>,
    /// The segments the compaction policy's next merge would take, in id
    /// order; empty when nothing is due. The same choice as
    /// [`KvStore::policy_plan`](crate::KvStore::policy_plan) makes.
    pub next_merge: Vec<SegmentId>,
}

/// One segment in numbers. Its bytes split exactly into
/// `live_bytes + expired_bytes + tombstone_bytes + meta_bytes +
/// corrupt_bytes + overwritten_bytes == len`.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct SegmentSummary {
    /// Its number.
    pub id: SegmentId,
    /// Written by the log or by compaction.
    pub kind: SegmentKind,
    /// Bytes, header included.
    pub len: u64,
    /// New writes go here.
    pub active: bool,
    /// Ends with a seal record.
    pub sealed: bool,
    /// Bytes of the records the index points at whose value has not expired
    /// (the [`RecordState::Live`] ones).
    pub live_bytes: u64,
    /// How many such records.
    pub live_records: u64,
    /// Bytes of puts the index points at whose time to live has run out
    /// ([`RecordState::Expired`]).
    pub expired_bytes: u64,
    /// How many such records.
    pub expired_records: u64,
    /// Bytes of the tombstones the index keeps for the tombstone rule of
    /// merges. A tombstone that a newer put of its key follows in the same
    /// segment is not kept once the store was reopened from a hint file: its
    /// bytes then count as overwritten.
    pub tombstone_bytes: u64,
    /// How many such tombstones.
    pub tombstones: u64,
    /// Bytes of bookkeeping: the header, seals and compaction commits.
    pub meta_bytes: u64,
    /// Bytes in ranges that hold no valid record.
    pub corrupt_bytes: u64,
    /// The rest: puts that a newer write or a delete replaced.
    pub overwritten_bytes: u64,
    /// How the compaction policy sees the segment; `None` for the active
    /// segment and any other that is not sealed, which no merge takes.
    pub policy: Option<SegmentAssessment>,
}

impl SegmentSummary {
    /// Bytes that hold neither a live record nor bookkeeping: overwritten,
    /// expired, tombstone and corrupt bytes. Summed over the segments, the
    /// store's [`Stats::dead_bytes`](crate::Stats::dead_bytes).
    pub fn dead_bytes(&self) -> u64 {
        self.overwritten_bytes + self.expired_bytes + self.tombstone_bytes + self.corrupt_bytes
    }
}

/// Some of one segment's records, in offset order. From
/// [`KvStore::segment_records`](crate::KvStore::segment_records).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RecordPage {
    /// The segment.
    pub segment: SegmentId,
    /// Its length when it was read, header included.
    pub len: u64,
    /// The records, each with its state as [`Layout`] gives it.
    pub records: Vec<RecordLayout>,
    /// The offset of the last record when more follow: pass it as `after`
    /// for the next page. `None` on the last page.
    pub next: Option<u64>,
}
