//! [`Location`]: where a record lives on storage.
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
