//! [`Location`]: where a record lives on storage, and [`TombstoneAt`]:
//! where a tombstone lives, with its seq.
//!
//! A leaf shared by the index, the key map, compaction and the read path, so
//! that none of them has to import another for it.

use serde::Serialize;

use crate::storage::SegmentId;

/// Where a key's latest record lives. Kept small — there is one per key in
/// memory — so the record's sequence number stays on disk, in the record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Location {
    /// Byte offset of the record in its segment.
    pub offset: u64,
    /// The segment.
    pub segment: SegmentId,
    /// The record's length, header included.
    pub len: u32,
}

/// Where a tombstone is, and its seq: what a merge needs to keep or drop it
/// (see [`tombstone_cutoff`](crate::compaction::tombstone_cutoff)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct TombstoneAt {
    /// Byte offset of the tombstone in its segment.
    pub offset: u64,
    /// Its length, header included.
    pub len: u32,
    /// Its seq.
    pub seq: u64,
}
