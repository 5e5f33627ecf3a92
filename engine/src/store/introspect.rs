//! The store read back as data: [`KvStore::verify`] (every record checked)
//! and [`KvStore::layout`] (every segment and record with its state, the
//! picture the CLI's `inspect`, the server's `/segments` and the playground
//! draw). Neither changes anything.

use crate::error::Result;
use crate::format::{self, RecordKind, SegmentKind};
use crate::layout::{Layout, RecordLayout, SegmentLayout};
use crate::report::{CorruptRange, VerifyReport};
use crate::scan::scan_segment;

use super::KvStore;
use super::read::read_segment;

impl KvStore {
    /// Reads every record of every segment and reports the ranges that hold
    /// no valid record. Changes nothing.
    pub fn verify(&self) -> Result<VerifyReport> {
        let shared = &self.shared;
        let mut report = VerifyReport::default();
        for segment in shared.segment_lengths() {
            let (id, len) = (segment.id, segment.len);
            let Some(bytes) = read_segment(shared.storage.as_ref(), id, len)? else {
                continue; // removed by a concurrent compaction
            };
            let scan = scan_segment(&bytes, |_, _| {});
            report.segments_checked += 1;
            report.records_checked += scan.records;
            report.bytes_checked += len;
            let ranges = scan
                .corrupt
                .iter()
                .copied()
                .chain(scan.torn_tail.map(|offset| (offset, len - offset)));
            report
                .corrupt
                .extend(ranges.map(|(offset, len)| CorruptRange {
                    segment: id,
                    offset,
                    len,
                }));
        }
        Ok(report)
    }

    /// Every segment and record with its state (live, overwritten,
    /// tombstone): the picture the CLI's `inspect`, the server's `/segments`
    /// and the playground draw.
    pub fn layout(&self) -> Result<Layout> {
        let shared = &self.shared;
        let active = shared.lock_writer().active;
        let mut segments = Vec::new();
        for segment in shared.segment_lengths() {
            let (id, len) = (segment.id, segment.len);
            let Some(bytes) = read_segment(shared.storage.as_ref(), id, len)? else {
                continue;
            };
            let kind = format::decode_segment_header(&bytes[..bytes.len().min(16)]).ok();
            let mut records = Vec::new();
            let scan = {
                let now = shared.now();
                let index = shared.read_index();
                scan_segment(&bytes, |offset, record| {
                    let indexed = record.kind == RecordKind::Put
                        && index.get(record.key).is_some_and(|location| {
                            location.segment == id && location.offset == offset
                        });
                    records.push(RecordLayout::new(offset, record, indexed, now));
                })
            };
            segments.push(SegmentLayout {
                id,
                kind: kind.unwrap_or(SegmentKind::Log),
                len,
                active: id == active,
                sealed: scan.sealed,
                records,
                corrupt: scan
                    .corrupt
                    .iter()
                    .map(|&(offset, len)| CorruptRange {
                        segment: id,
                        offset,
                        len,
                    })
                    .collect(),
            });
        }
        Ok(Layout {
            segments,
            plan: self.compaction_plan(),
        })
    }
}
