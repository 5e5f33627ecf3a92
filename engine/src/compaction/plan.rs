//! The plan of a compaction: which segments it rewrites, which records
//! survive, and the bytes before and after — a pure function of a
//! [`LayoutSnapshot`], with no I/O, so the CLI's `inspect`, the server's
//! `/segments` and the playground can show a plan before anything runs, and
//! tests can check it directly.
//!
//! [`OutputPacker`] decides where each survivor lands in the outputs; the
//! plan and the execution both use it, so the plan's numbers are the ones
//! execution produces.

use std::collections::BTreeSet;

use serde::Serialize;

use crate::format::{RECORD_HEADER_LEN, SEGMENT_HEADER_LEN};
use crate::index::Index;
use crate::location::Location;
use crate::storage::SegmentId;

/// The layout facts a plan needs.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LayoutSnapshot {
    /// The segments to plan over, in id order.
    pub segments: Vec<SegmentSize>,
    /// The segment new writes go to (sealed by compaction before it starts).
    pub active: Option<SegmentId>,
    /// Every live key in those segments and where its record is.
    pub live: Vec<Survivor>,
}

/// A segment and its length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SegmentSize {
    /// The segment.
    pub id: SegmentId,
    /// Its length in bytes, header included.
    pub len: u64,
}

impl LayoutSnapshot {
    /// The facts of `index` for the segments `include` accepts and the live
    /// keys in them; `active` is the segment new writes go to, if it is to
    /// be counted as sealed by the compaction.
    pub(crate) fn of(
        index: &Index,
        active: Option<SegmentId>,
        include: impl Fn(SegmentId) -> bool,
    ) -> Self {
        LayoutSnapshot {
            segments: index
                .segments
                .iter()
                .filter(|(id, _)| include(**id))
                .map(|(id, info)| SegmentSize {
                    id: *id,
                    len: info.len,
                })
                .collect(),
            active,
            live: index
                .keys
                .iter()
                .filter(|(_, at)| include(at.segment))
                .map(|(key, at)| Survivor {
                    key: key.to_vec(),
                    from: *at,
                })
                .collect(),
        }
    }
}

/// One record compaction keeps.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Survivor {
    /// Its key.
    pub key: Vec<u8>,
    /// Where it is now.
    pub from: Location,
}

/// What a compaction would do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct CompactionPlan {
    /// Segments to rewrite and remove: all of them, the active one included.
    pub inputs: Vec<SegmentId>,
    /// Records to copy, in the order they are read (segment, then offset).
    pub survivors: Vec<Survivor>,
    /// Bytes in the inputs.
    pub bytes_before: u64,
    /// Bytes on storage afterwards, if nothing is written meanwhile: the
    /// outputs (headers, records, seals and the commit) plus the fresh active
    /// segment's header.
    pub bytes_after: u64,
    /// Output segments the rewrite will produce.
    pub output_segments: usize,
}

impl CompactionPlan {
    /// Bytes that compaction would give back.
    pub fn bytes_reclaimed(&self) -> u64 {
        self.bytes_before.saturating_sub(self.bytes_after)
    }
}

/// Length of a seal record.
pub(crate) const SEAL_LEN: u64 = RECORD_HEADER_LEN as u64 + 8;

/// Length of the commit record naming `inputs` segments.
pub(crate) fn commit_len(inputs: usize) -> u64 {
    RECORD_HEADER_LEN as u64 + 12 + 4 * inputs as u64
}

/// Plans a full compaction of `snapshot` into segments of at most
/// `max_segment_size` bytes (a record larger than that gets its own).
pub fn plan(snapshot: &LayoutSnapshot, max_segment_size: u64) -> CompactionPlan {
    let inputs: Vec<SegmentId> = snapshot.segments.iter().map(|s| s.id).collect();
    let input_set: BTreeSet<SegmentId> = inputs.iter().copied().collect();
    let bytes_before = snapshot.segments.iter().map(|s| s.len).sum();
    let mut survivors: Vec<Survivor> = snapshot
        .live
        .iter()
        .filter(|live| input_set.contains(&live.from.segment))
        .cloned()
        .collect();
    survivors.sort_by_key(|s| (s.from.segment, s.from.offset));

    let mut packer = OutputPacker::new(max_segment_size);
    for survivor in &survivors {
        packer.place(u64::from(survivor.from.len));
    }
    let (output_segments, mut bytes_after) = packer.finish(commit_len(inputs.len()));
    if snapshot.active.is_some() {
        // Compaction seals the active segment, so a fresh one (a bare header)
        // will exist afterwards too.
        bytes_after += SEGMENT_HEADER_LEN;
    }
    CompactionPlan {
        inputs,
        survivors,
        bytes_before,
        bytes_after,
        output_segments,
    }
}

/// Decides where records go in the outputs. Shared by the plan and the
/// execution so that the plan's numbers are the ones execution produces.
#[derive(Debug, Clone)]
pub(crate) struct OutputPacker {
    max_segment_size: u64,
    /// Bytes in the current output, or `None` before the first.
    current: Option<u64>,
    finished_segments: usize,
    finished_bytes: u64,
}

/// Where [`OutputPacker::place`] put a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Placement {
    /// The record starts a new output segment (the previous one, if any, is sealed).
    pub(crate) new_segment: bool,
    /// Offset of the record in its output.
    pub(crate) offset: u64,
}

impl OutputPacker {
    pub(crate) fn new(max_segment_size: u64) -> Self {
        OutputPacker {
            max_segment_size,
            current: None,
            finished_segments: 0,
            finished_bytes: 0,
        }
    }

    pub(crate) fn place(&mut self, record_len: u64) -> Placement {
        let new_segment = match self.current {
            None => true,
            Some(len) => len > SEGMENT_HEADER_LEN && len + record_len > self.max_segment_size,
        };
        if new_segment {
            if let Some(len) = self.current {
                self.finished_segments += 1;
                self.finished_bytes += len + SEAL_LEN;
            }
            self.current = Some(SEGMENT_HEADER_LEN);
        }
        let offset = self.current.unwrap_or(SEGMENT_HEADER_LEN);
        self.current = Some(offset + record_len);
        Placement {
            new_segment,
            offset,
        }
    }

    /// Segments and bytes once the last output gets the commit and its seal.
    /// There is always at least one output: the commit needs a home.
    pub(crate) fn finish(&self, commit_len: u64) -> (usize, u64) {
        let last = self.current.unwrap_or(SEGMENT_HEADER_LEN) + commit_len + SEAL_LEN;
        (self.finished_segments + 1, self.finished_bytes + last)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn loc(segment: u32, offset: u64, len: u32) -> Location {
        Location {
            offset,
            segment: SegmentId(segment),
            len,
        }
    }

    fn size(id: u32, len: u64) -> SegmentSize {
        SegmentSize {
            id: SegmentId(id),
            len,
        }
    }

    fn live(key: &[u8], from: Location) -> Survivor {
        Survivor {
            key: key.to_vec(),
            from,
        }
    }

    #[test]
    fn plan_keeps_live_records_in_read_order() {
        let snapshot = LayoutSnapshot {
            segments: vec![size(1, 1000), size(2, 500)],
            active: Some(SegmentId(2)),
            live: vec![
                live(b"b", loc(2, 16, 30)),
                live(b"a", loc(1, 100, 30)),
                live(b"c", loc(1, 16, 40)),
            ],
        };
        let plan = plan(&snapshot, 1 << 20);
        assert_eq!(plan.inputs, vec![SegmentId(1), SegmentId(2)]);
        let order: Vec<&[u8]> = plan.survivors.iter().map(|s| s.key.as_slice()).collect();
        assert_eq!(order, vec![&b"c"[..], b"a", b"b"]);
        assert_eq!(plan.bytes_before, 1500);
        assert_eq!(plan.output_segments, 1);
        assert_eq!(plan.bytes_after, 16 + 100 + commit_len(2) + SEAL_LEN + 16);
        assert_eq!(plan.bytes_reclaimed(), 1500 - plan.bytes_after);
    }

    #[test]
    fn empty_store_still_gets_one_output_for_the_commit() {
        let plan = plan(&LayoutSnapshot::default(), 1024);
        assert_eq!(plan.output_segments, 1);
        assert!(plan.survivors.is_empty());
    }

    #[test]
    fn packer_rotates_at_the_size_limit_and_isolates_big_records() {
        let mut packer = OutputPacker::new(100);
        assert_eq!(
            packer.place(40),
            Placement {
                new_segment: true,
                offset: 16
            }
        );
        assert_eq!(
            packer.place(40),
            Placement {
                new_segment: false,
                offset: 56
            }
        );
        assert_eq!(
            packer.place(40),
            Placement {
                new_segment: true,
                offset: 16
            }
        );
        assert_eq!(
            packer.place(500),
            Placement {
                new_segment: true,
                offset: 16
            }
        );
        assert_eq!(
            packer.place(10),
            Placement {
                new_segment: true,
                offset: 16
            }
        );
        assert_eq!(packer.finish(0).0, 4);
    }
}
