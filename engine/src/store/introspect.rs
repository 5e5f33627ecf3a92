//! The store read back as data: [`KvStore::verify`] (every record checked),
//! [`KvStore::layout`] (every segment and record with its state, the
//! picture the CLI's `inspect`, the server's `/segments` and the playground
//! draw), and its two lighter views for big stores:
//! [`KvStore::layout_summary`] (each segment in numbers, from the index
//! alone) and [`KvStore::segment_records`] (one segment's records, a page
//! at a time). None of them changes anything.

use crate::compaction::{self, LayoutSnapshot, SegmentFacts};
use crate::error::Result;
use crate::format::{self, RecordKind, RecordRef, SegmentKind};
use crate::index::Index;
use crate::layout::{
    Layout, LayoutSummary, RecordLayout, RecordPage, SegmentLayout, SegmentSummary,
};
use crate::report::{CorruptRange, VerifyReport};
use crate::scan::scan_segment;
use crate::storage::SegmentId;

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
                    let indexed = is_indexed(&index, id, offset, record);
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

impl KvStore {
    /// Every segment in numbers — bytes and records live, expired,
    /// tombstone, bookkeeping, corrupt and overwritten — and how the
    /// compaction policy sees each, from the index alone: no segment is
    /// read. It walks every key's location once (to count live records per
    /// segment), so it costs a fraction of [`layout`](Self::layout), which
    /// decodes every record, and of [`policy_plan`](Self::policy_plan),
    /// which copies every key.
    pub fn layout_summary(&self) -> LayoutSummary {
        let shared = &self.shared;
        // The writer's lock keeps the active segment what it is while the
        // index is read, as the policy's own snapshot does.
        let writer = shared.lock_writer();
        let now = shared.now();
        let (mut segments, facts) = summarise(&shared.read_index(), writer.active, now);
        let active = writer.active;
        drop(writer);

        // The policy's assessments look at the segments' facts only; the
        // live keys it needs for a merge's plan are left out (that plan is
        // not part of a summary), so no key is copied.
        let snapshot = LayoutSnapshot {
            segments: facts,
            active: Some(active),
            live: Vec::new(),
            expired: Vec::new(),
        };
        let choice = compaction::choose(
            &snapshot,
            &shared.policy,
            shared.options.get_max_segment_size(),
        );
        let mut next_merge = Vec::new();
        for assessment in choice.segments {
            if assessment.selected {
                next_merge.push(assessment.id);
            }
            if let Ok(i) = segments.binary_search_by_key(&assessment.id, |s| s.id) {
                segments[i].policy = Some(assessment);
            }
        }
        LayoutSummary {
            segments,
            next_merge,
        }
    }

    /// Segment `segment`'s records after byte offset `after` (from the
    /// first without it), at most `limit` of them (at least one), each with
    /// its state as [`layout`](Self::layout) gives it; `None` when there is
    /// no such segment (a merge may just have removed it).
    ///
    /// The whole segment is read and checked to find where its records
    /// are, so a page costs one segment's read whatever its size; states
    /// are looked up for the page's records only.
    pub fn segment_records(
        &self,
        segment: SegmentId,
        after: Option<u64>,
        limit: usize,
    ) -> Result<Option<RecordPage>> {
        let shared = &self.shared;
        let limit = limit.max(1);
        let Some(len) = shared
            .segment_lengths()
            .into_iter()
            .find(|s| s.id == segment)
            .map(|s| s.len)
        else {
            return Ok(None);
        };
        let Some(bytes) = read_segment(shared.storage.as_ref(), segment, len)? else {
            return Ok(None);
        };
        let mut page: Vec<(u64, RecordRef<'_>)> = Vec::new();
        let mut more = false;
        scan_segment(&bytes, |offset, record| {
            if after.is_some_and(|after| offset <= after) {
                return;
            }
            if page.len() < limit {
                page.push((offset, *record));
            } else {
                more = true;
            }
        });
        let now = shared.now();
        let records: Vec<RecordLayout> = {
            let index = shared.read_index();
            page.iter()
                .map(|(offset, record)| {
                    let indexed = is_indexed(&index, segment, *offset, record);
                    RecordLayout::new(*offset, record, indexed, now)
                })
                .collect()
        };
        let next = if more {
            records.last().map(|record| record.offset)
        } else {
            None
        };
        Ok(Some(RecordPage {
            segment,
            len,
            records,
            next,
        }))
    }
}

/// Whether the index points at this very record: a put at `offset` in
/// `segment` that is its key's current one.
fn is_indexed(index: &Index, segment: SegmentId, offset: u64, record: &RecordRef<'_>) -> bool {
    record.kind == RecordKind::Put
        && index
            .get(record.key)
            .is_some_and(|location| location.segment == segment && location.offset == offset)
}

/// Each segment's numbers at time `now`, without their policy assessment,
/// and the facts the policy assesses them by.
///
/// The facts are [`LayoutSnapshot::of`]'s, less its list of every live key:
/// gathered here because that list is the one cost a summary must not have.
fn summarise(
    index: &Index,
    active: SegmentId,
    now: u64,
) -> (Vec<SegmentSummary>, Vec<SegmentFacts>) {
    let mut segments: Vec<SegmentSummary> = Vec::with_capacity(index.segments.len());
    let mut facts: Vec<SegmentFacts> = Vec::with_capacity(index.segments.len());
    for (&id, info) in &index.segments {
        segments.push(SegmentSummary {
            id,
            kind: info.kind,
            len: info.len,
            active: id == active,
            sealed: info.sealed,
            live_bytes: info.live_bytes,
            live_records: 0,
            expired_bytes: 0,
            expired_records: 0,
            tombstone_bytes: info.tombstones.iter().map(|t| u64::from(t.len)).sum(),
            tombstones: info.tombstones.len() as u64,
            meta_bytes: info.meta_bytes,
            corrupt_bytes: 0,
            overwritten_bytes: 0,
            policy: None,
        });
        facts.push(SegmentFacts {
            id,
            len: info.len,
            live_bytes: info.live_bytes,
            meta_bytes: info.meta_bytes,
            sealed: info.sealed,
            min_put_seq: info.min_put_seq,
            tombstones: info.tombstones.clone(),
            expired: Vec::new(),
            hint_bytes: info.hint_bytes,
        });
    }
    // Both are in id order, as `index.segments` is.
    let at = |segments: &[SegmentSummary], id: SegmentId| {
        segments.binary_search_by_key(&id, |s| s.id).ok()
    };

    // Keys run in key order, so neighbours often share a segment: the
    // last one found is tried first.
    let mut last: Option<(SegmentId, usize)> = None;
    for (_, location) in index.keys.iter() {
        let i = match last {
            Some((id, i)) if id == location.segment => Some(i),
            _ => at(&segments, location.segment),
        };
        if let Some(i) = i {
            segments[i].live_records += 1;
            last = Some((location.segment, i));
        }
    }
    // Expired puts are still in the index, counted as live above.
    for key in index.expiry.expired(now) {
        let (Some(location), Some(expiring)) = (index.keys.get(key), index.expiry.get(key)) else {
            continue;
        };
        let Some(i) = at(&segments, location.segment) else {
            continue;
        };
        let len = u64::from(location.len);
        let segment = &mut segments[i];
        segment.live_bytes = segment.live_bytes.saturating_sub(len);
        segment.live_records = segment.live_records.saturating_sub(1);
        segment.expired_bytes += len;
        segment.expired_records += 1;
        facts[i].live_bytes = facts[i].live_bytes.saturating_sub(len);
        facts[i].expired.push((expiring.seq, location.len));
    }
    for range in &index.corrupt {
        if let Some(i) = at(&segments, range.segment) {
            segments[i].corrupt_bytes += range.len;
        }
    }
    for segment in &mut segments {
        segment.overwritten_bytes = segment.len.saturating_sub(
            segment.live_bytes
                + segment.expired_bytes
                + segment.tombstone_bytes
                + segment.meta_bytes
                + segment.corrupt_bytes,
        );
    }
    (segments, facts)
}
