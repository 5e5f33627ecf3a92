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
use std::ops::Bound;

use crate::format::{RECORD_HEADER_LEN, SEGMENT_HEADER_LEN};
use crate::index::Index;
use crate::location::{Location, TombstoneAt};
use crate::storage::SegmentId;

/// The layout facts a plan needs: every segment of the store, and every
/// live key.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LayoutSnapshot {
    /// Every segment, in id order.
    pub segments: Vec<SegmentFacts>,
    /// The segment new writes go to.
    pub active: Option<SegmentId>,
    /// Every live key and where its record is.
    pub live: Vec<Survivor>,
    /// Every key whose value has expired, where its record is, and its seq:
    /// dead, but a merge treats it as it treats a tombstone.
    pub expired: Vec<ExpiredPut>,
}

/// A put whose expiry has passed, still in the index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpiredPut {
    /// Its key.
    pub key: Vec<u8>,
    /// Where it is.
    pub from: Location,
    /// Its seq.
    pub seq: u64,
}

/// What a plan needs to know of one segment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SegmentFacts {
    /// The segment.
    pub id: SegmentId,
    /// Its length in bytes, header included.
    pub len: u64,
    /// Bytes of the records the index points at, expired ones not counted.
    pub live_bytes: u64,
    /// Bytes of bookkeeping (header, seals, commit).
    pub meta_bytes: u64,
    /// Whether it ends with a seal (it never changes again).
    pub sealed: bool,
    /// The smallest seq of a put in it, live or not.
    pub min_put_seq: Option<u64>,
    /// Its tombstones, in offset order.
    pub tombstones: Vec<TombstoneAt>,
    /// The expired puts in it, as seq and length: dead bytes that a merge
    /// may only drop as it drops a tombstone.
    pub expired: Vec<(u64, u32)>,
    /// Bytes of its hint file, if the store knows of one (0 otherwise).
    pub hint_bytes: u64,
}

/// A segment and its length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SegmentSize {
    /// The segment.
    pub id: SegmentId,
    /// Its length in bytes, header included.
    pub len: u64,
}

impl SegmentFacts {
    /// Bytes that are neither live records nor bookkeeping: overwritten
    /// values and tombstones (whether a merge may drop a tombstone depends
    /// on the other segments; see [`tombstone_cutoff`]).
    pub fn dead_bytes(&self) -> u64 {
        self.len.saturating_sub(self.live_bytes + self.meta_bytes)
    }
}

impl LayoutSnapshot {
    /// The facts of `index` at time `now` (ms since the Unix epoch); `active`
    /// is the segment new writes go to.
    pub(crate) fn of(index: &Index, active: Option<SegmentId>, now: u64) -> Self {
        let mut snapshot = Self::facts(index, active, now);
        snapshot.live = live_records(index, None, now);
        snapshot
    }

    /// The same without the live records (`live` is empty): the segments'
    /// facts alone, a few per segment, where [`of`](Self::of) copies every
    /// key — cheap enough to take while writers wait.
    pub(crate) fn facts(index: &Index, active: Option<SegmentId>, now: u64) -> Self {
        let expired: Vec<ExpiredPut> = index
            .expiry
            .expired(now)
            .filter_map(|key| {
                let from = index.keys.get(key)?;
                let seq = index.expiry.get(key)?.seq;
                Some(ExpiredPut {
                    key: key.to_vec(),
                    from: *from,
                    seq,
                })
            })
            .collect();
        let mut segments: Vec<SegmentFacts> = index
            .segments
            .iter()
            .map(|(id, info)| SegmentFacts {
                id: *id,
                len: info.len,
                live_bytes: info.live_bytes,
                meta_bytes: info.meta_bytes,
                sealed: info.sealed,
                min_put_seq: info.min_put_seq,
                tombstones: info.tombstones.clone(),
                expired: Vec::new(),
                hint_bytes: info.hint_bytes,
            })
            .collect();
        for put in &expired {
            if let Ok(i) = segments.binary_search_by_key(&put.from.segment, |s| s.id) {
                let segment = &mut segments[i];
                segment.live_bytes = segment.live_bytes.saturating_sub(u64::from(put.from.len));
                segment.expired.push((put.seq, put.from.len));
            }
        }
        LayoutSnapshot {
            segments,
            active,
            live: Vec::new(),
            expired,
        }
    }
}

/// One page of the live records of `inputs` at `now`: those among the
/// `limit` keys after `after` (from the first key when `None`). Returns them
/// and the last key looked at, `None` once the keys are all seen; the next
/// page starts after it. Between pages the index lock can be let go.
pub(crate) fn live_records_page(
    index: &Index,
    inputs: &BTreeSet<SegmentId>,
    now: u64,
    after: Option<&[u8]>,
    limit: usize,
) -> (Vec<Survivor>, Option<Vec<u8>>) {
    let start = after.map_or(Bound::Unbounded, Bound::Excluded);
    let mut live = Vec::new();
    let mut last = None;
    for (key, at) in index.keys.range_from(start).take(limit) {
        last = Some(key);
        live.extend(live_record(index, Some(inputs), now, key, at));
    }
    (live, last.map(|key| key.to_vec()))
}

/// The live records of `index` at `now`: all of them, or those in `inputs`.
pub(crate) fn live_records(
    index: &Index,
    inputs: Option<&BTreeSet<SegmentId>>,
    now: u64,
) -> Vec<Survivor> {
    index
        .keys
        .iter()
        .filter_map(|(key, at)| live_record(index, inputs, now, key, at))
        .collect()
}

/// `key`'s record at `at`, if it is live at `now` and (given `inputs`) in
/// one of them.
fn live_record(
    index: &Index,
    inputs: Option<&BTreeSet<SegmentId>>,
    now: u64,
    key: &[u8],
    at: &Location,
) -> Option<Survivor> {
    let wanted = inputs.is_none_or(|inputs| inputs.contains(&at.segment));
    (wanted && !index.expiry.is_expired(key, now)).then(|| Survivor {
        key: key.to_vec(),
        from: *at,
    })
}

/// The tombstone rule of a merge. A tombstone hides every older put of its
/// key; if it leaves the store while such a put survives anywhere, the put
/// is the newest record of the key again and the key comes back at the
/// next open (bitcask lost deletes this way, its PR #156). A merge drops a
/// tombstone only when no put older than it survives *outside* the merge:
/// every segment it leaves alone holds only puts newer than the tombstone.
/// Puts inside the merge that are older than a tombstone of their key are
/// dead, so the merge drops them too.
///
/// The cutoff is the smallest put seq among the segments outside `inputs`:
/// tombstones with a smaller seq are dropped, the rest are copied like live
/// records. `None` means no put survives outside, so every tombstone goes.
/// Seqs only rise, so segments created while the merge runs (new writes)
/// hold only newer puts and cannot change the answer.
pub fn tombstone_cutoff(snapshot: &LayoutSnapshot, inputs: &BTreeSet<SegmentId>) -> Option<u64> {
    snapshot
        .segments
        .iter()
        .filter(|s| !inputs.contains(&s.id))
        .filter_map(|s| s.min_put_seq)
        .min()
}

/// One record compaction keeps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Survivor {
    /// Its key.
    pub key: Vec<u8>,
    /// Where it is now.
    pub from: Location,
}

/// A tombstone a merge copies, because a put it hides survives outside.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeptTombstone {
    /// Where it is now.
    pub from: Location,
    /// Its seq.
    pub seq: u64,
}

/// What a compaction would do.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct CompactionPlan {
    /// Segments to rewrite and remove (for a full compaction, all of them,
    /// the active one included).
    pub inputs: Vec<SegmentId>,
    /// Live records to copy, in the order they are read (segment, then
    /// offset).
    pub survivors: Vec<Survivor>,
    /// Tombstones to copy (see [`tombstone_cutoff`]), in read order.
    pub kept_tombstones: Vec<KeptTombstone>,
    /// Tombstones in the inputs that the merge drops.
    pub dropped_tombstones: usize,
    /// Expired puts the merge drops (by the tombstone rule, as tombstones):
    /// their keys leave the index. The expired puts it must keep are among
    /// the survivors, and stay expired.
    pub dropped_expired: Vec<Survivor>,
    /// Bytes in the inputs.
    pub bytes_before: u64,
    /// Bytes the inputs become, if nothing is written meanwhile: the outputs
    /// (headers, records, seals and the commit), plus for a full compaction
    /// the fresh active segment's header.
    pub bytes_after: u64,
    /// Output segments the rewrite will produce.
    pub output_segments: usize,
}

impl CompactionPlan {
    /// Bytes that compaction would give back.
    pub fn bytes_reclaimed(&self) -> u64 {
        self.bytes_before.saturating_sub(self.bytes_after)
    }

    /// Every record to copy, survivors and kept tombstones together, in the
    /// order they are read and written: by segment, then offset. The plan's
    /// packing and the execution both walk this order.
    pub(crate) fn copies(&self) -> impl Iterator<Item = Copy<'_>> {
        let mut puts = self.survivors.iter().peekable();
        let mut tombstones = self.kept_tombstones.iter().peekable();
        std::iter::from_fn(move || {
            let place = |l: &Location| (l.segment, l.offset);
            match (puts.peek(), tombstones.peek()) {
                (Some(p), Some(t)) if place(&t.from) < place(&p.from) => {
                    tombstones.next().map(Copy::Tombstone)
                }
                (Some(_), _) => puts.next().map(Copy::Put),
                (None, _) => tombstones.next().map(Copy::Tombstone),
            }
        })
    }
}

/// One record a compaction copies.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Copy<'p> {
    Put(&'p Survivor),
    Tombstone(&'p KeptTombstone),
}

impl Copy<'_> {
    pub(crate) fn from(&self) -> Location {
        match self {
            Copy::Put(survivor) => survivor.from,
            Copy::Tombstone(tombstone) => tombstone.from,
        }
    }
}

/// Length of a seal record.
pub(crate) const SEAL_LEN: u64 = RECORD_HEADER_LEN as u64 + 8;

/// Length of the commit record naming `inputs` segments.
pub(crate) fn commit_len(inputs: usize) -> u64 {
    RECORD_HEADER_LEN as u64 + 12 + 4 * inputs as u64
}

/// Plans a full compaction of `snapshot` into segments of at most
/// `max_segment_size` bytes (a record larger than that gets its own): every
/// segment is an input, the active one included, which compaction seals
/// first — so a fresh active segment (a bare header) exists afterwards too.
pub fn plan(snapshot: &LayoutSnapshot, max_segment_size: u64) -> CompactionPlan {
    let inputs: BTreeSet<SegmentId> = snapshot.segments.iter().map(|s| s.id).collect();
    let mut plan = plan_merge(snapshot, &inputs, max_segment_size);
    if snapshot.active.is_some() {
        plan.bytes_after += SEGMENT_HEADER_LEN;
    }
    plan
}

/// Plans a merge of `inputs` (segments of `snapshot`) into segments of at
/// most `max_segment_size` bytes: their live records and the tombstones the
/// rule of [`tombstone_cutoff`] keeps.
pub fn plan_merge(
    snapshot: &LayoutSnapshot,
    inputs: &BTreeSet<SegmentId>,
    max_segment_size: u64,
) -> CompactionPlan {
    let chosen: Vec<&SegmentFacts> = snapshot
        .segments
        .iter()
        .filter(|s| inputs.contains(&s.id))
        .collect();
    let bytes_before = chosen.iter().map(|s| s.len).sum();
    let mut survivors: Vec<Survivor> = snapshot
        .live
        .iter()
        .filter(|live| inputs.contains(&live.from.segment))
        .cloned()
        .collect();
    survivors.sort_by_key(|s| (s.from.segment, s.from.offset));
    let cutoff = tombstone_cutoff(snapshot, inputs);
    let keeps = |seq: u64| cutoff.is_some_and(|cutoff| seq > cutoff);
    let mut dropped_expired = Vec::new();
    for put in snapshot
        .expired
        .iter()
        .filter(|p| inputs.contains(&p.from.segment))
    {
        let record = Survivor {
            key: put.key.clone(),
            from: put.from,
        };
        if keeps(put.seq) {
            survivors.push(record);
        } else {
            dropped_expired.push(record);
        }
    }
    survivors.sort_by_key(|s| (s.from.segment, s.from.offset));
    let mut kept_tombstones = Vec::new();
    let mut dropped_tombstones = 0;
    for segment in &chosen {
        for tombstone in &segment.tombstones {
            if keeps(tombstone.seq) {
                kept_tombstones.push(KeptTombstone {
                    from: Location {
                        offset: tombstone.offset,
                        segment: segment.id,
                        len: tombstone.len,
                    },
                    seq: tombstone.seq,
                });
            } else {
                dropped_tombstones += 1;
            }
        }
    }

    let mut plan = CompactionPlan {
        inputs: chosen.iter().map(|s| s.id).collect(),
        survivors,
        kept_tombstones,
        dropped_tombstones,
        dropped_expired,
        bytes_before,
        bytes_after: 0,
        output_segments: 0,
    };
    let mut packer = OutputPacker::new(max_segment_size);
    for copy in plan.copies() {
        packer.place(u64::from(copy.from().len));
    }
    let (output_segments, bytes_after) = packer.finish(commit_len(plan.inputs.len()));
    plan.output_segments = output_segments;
    plan.bytes_after = bytes_after;
    plan
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

    fn size(id: u32, len: u64) -> SegmentFacts {
        SegmentFacts {
            id: SegmentId(id),
            len,
            live_bytes: 0,
            meta_bytes: 16,
            sealed: id != 2,
            min_put_seq: Some(1),
            tombstones: Vec::new(),
            expired: Vec::new(),
            hint_bytes: 0,
        }
    }

    fn live(key: &[u8], from: Location) -> Survivor {
        Survivor {
            key: key.to_vec(),
            from,
        }
    }

    #[test]
    fn pages_of_live_records_cover_those_of_the_inputs_once() {
        let mut index = Index::default();
        for id in 1..=3 {
            index.segments.insert(
                SegmentId(id),
                crate::index::SegmentInfo::new(crate::format::SegmentKind::Log, 1000, 16, true),
            );
        }
        for i in 0..50u32 {
            let key = format!("key-{i:03}");
            index.insert(key.as_bytes(), loc(1 + i % 3, 16 + 20 * u64::from(i), 20));
        }
        let inputs = BTreeSet::from([SegmentId(1), SegmentId(3)]);
        let mut paged = Vec::new();
        let mut after: Option<Vec<u8>> = None;
        let mut pages = 0;
        loop {
            let (live, last) = live_records_page(&index, &inputs, 0, after.as_deref(), 7);
            paged.extend(live);
            pages += 1;
            match last {
                Some(last) => after = Some(last),
                None => break,
            }
        }
        assert_eq!(
            pages,
            50 / 7 + 2,
            "whole pages, one short one, then the end"
        );
        let whole = live_records(&index, Some(&inputs), 0);
        assert_eq!(whole.len(), 17 + 16, "the keys in segments 1 and 3");
        assert_eq!(paged, whole);
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
            expired: Vec::new(),
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
