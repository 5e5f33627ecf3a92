//! [`SegmentId`]: the number that names a segment, and its file names.
//!
//! A leaf: errors, storage, the index and every report name segments, and
//! none of them owns the type. Re-exported as `storage::SegmentId`.

use std::fmt;

/// The number of a segment. Numbers only grow; a removed number is never reused
/// while anything still refers to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(transparent)]
pub struct SegmentId(pub u32);

impl SegmentId {
    /// The segment's file name in a data directory: `segment-00000001.dat`.
    pub fn file_name(&self) -> String {
        format!("segment-{:08}.dat", self.0)
    }

    /// The segment's hint file name: `segment-00000001.hint`.
    pub fn hint_file_name(&self) -> String {
        format!("segment-{:08}.hint", self.0)
    }

    /// Parses a file name made by [`SegmentId::file_name`]; `None` for any other name.
    pub fn from_file_name(name: &str) -> Option<SegmentId> {
        let digits = name.strip_prefix("segment-")?.strip_suffix(".dat")?;
        if digits.len() < 8 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        digits.parse().ok().map(SegmentId)
    }

    pub(crate) fn next(self) -> SegmentId {
        SegmentId(self.0 + 1)
    }
}

impl fmt::Display for SegmentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}
