//! The segments the browser engine works on, and what IndexedDB holds of them.
//!
//! IndexedDB is asynchronous and the engine's [`Storage`](mini_kvstore::Storage)
//! trait is not, so the playground keeps every segment in memory (the
//! *working set*) and copies changes to IndexedDB in the background. This
//! module is that bookkeeping, in plain Rust with no browser types, so its
//! tests run natively; `idb` carries the resulting [`FlushPlan`]s out.
//!
//! ## How segments sit in IndexedDB
//! Two object stores: `segments` (key: segment number; the segment exists)
//! and `chunks` (key: `[segment, offset]`; value: the bytes from that offset).
//! A segment's bytes are its chunks concatenated in offset order. An append
//! becomes one more chunk, so a flush writes only what changed, and a
//! segment's chunks are merged into one when they grow many (see
//! [`MAX_CHUNKS_PER_SEGMENT`]).
//!
//! ## What is dirty
//! For each segment the working set remembers `clean`: memory and IndexedDB
//! agree on bytes `0..clean`. An append leaves `clean` where it was (the new
//! bytes are dirty); a truncation or a byte edit (fault injection) lowers it.
//! A flush deletes every stored chunk that holds a byte at or past `clean` and
//! writes the bytes from the first such chunk on as one new chunk. Nothing
//! keeps a log of operations: the plan is the difference between memory and
//! what IndexedDB holds, so any sequence of appends, truncations and edits
//! flushes correctly.
//!
//! A plan is applied optimistically (the working set assumes it will commit);
//! if its transaction fails, [`WorkingSet::finish_flush`] forgets what it
//! knew about the affected segments, and the next flush rewrites them whole.

use std::collections::{BTreeMap, BTreeSet};

use mini_kvstore::SegmentId;

/// A segment with more stored chunks than this is rewritten as one chunk at
/// its next flush, so loading never has to stitch thousands of pieces.
pub const MAX_CHUNKS_PER_SEGMENT: usize = 64;

/// One segment's bytes and what IndexedDB holds of it.
#[derive(Debug, Clone, Default)]
struct SegmentCopy {
    /// The bytes the engine sees.
    bytes: Vec<u8>,
    /// Whether IndexedDB has a `segments` entry for it.
    stored: bool,
    /// Stored chunks: offset → length.
    chunks: BTreeMap<u64, u64>,
    /// Memory and IndexedDB agree on `bytes[..clean]`.
    clean: u64,
}

impl SegmentCopy {
    fn len(&self) -> u64 {
        self.bytes.len() as u64
    }

    fn stored_len(&self) -> u64 {
        self.chunks.values().sum()
    }

    /// True when IndexedDB does not hold exactly these bytes.
    fn is_dirty(&self) -> bool {
        !self.stored || self.clean < self.len() || self.stored_len() != self.len()
    }

    /// Bytes a flush would write for this segment.
    fn dirty_bytes(&self) -> u64 {
        if self.is_dirty() {
            self.len() - self.rewrite_from()
        } else {
            0
        }
    }

    /// Where a flush starts rewriting: the start of the first stored chunk
    /// holding a byte at or past `clean` (or `clean` itself), and 0 when the
    /// segment has too many chunks and is merged into one.
    fn rewrite_from(&self) -> u64 {
        if self.chunks.len() >= MAX_CHUNKS_PER_SEGMENT {
            return 0;
        }
        self.chunks
            .iter()
            .filter(|&(&offset, &len)| offset + len > self.clean)
            .map(|(&offset, _)| offset)
            .min()
            .unwrap_or(self.clean)
            .min(self.clean)
    }
}

/// One IndexedDB request of a flush, in the order they must be issued.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FlushOp {
    /// Delete the segment's entry and all its chunks.
    DeleteSegment {
        /// The segment.
        segment: SegmentId,
    },
    /// Delete the segment's chunks at offsets `from` and above.
    DeleteChunksFrom {
        /// The segment.
        segment: SegmentId,
        /// The first offset to delete.
        from: u64,
    },
    /// Record that the segment exists (idempotent).
    PutSegment {
        /// The segment.
        segment: SegmentId,
    },
    /// Store `bytes` as the chunk at `offset`.
    PutChunk {
        /// The segment.
        segment: SegmentId,
        /// Where the bytes start.
        offset: u64,
        /// The bytes.
        bytes: Vec<u8>,
    },
}

/// Everything one flush writes, as one readwrite transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlushPlan {
    /// The requests, in order.
    pub ops: Vec<FlushOp>,
    /// Segments written (their state is forgotten if the flush fails).
    written: Vec<SegmentId>,
    /// Segments deleted (deleted again if the flush fails).
    deleted: Vec<SegmentId>,
    /// Bytes the plan writes.
    pub bytes: u64,
}

impl FlushPlan {
    /// True when the plan has no requests.
    pub fn is_empty(&self) -> bool {
        self.ops.is_empty()
    }
}

/// A chunk as loaded from IndexedDB.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredChunk {
    /// The segment it belongs to.
    pub segment: SegmentId,
    /// Where its bytes start.
    pub offset: u64,
    /// Its bytes, or `None` when the stored value is not bytes at all.
    pub bytes: Option<Vec<u8>>,
}

/// What loading found wrong with the stored chunks. Such a chunk and every
/// later one of its segment are left out of the working set, so the segment
/// ends where its good bytes end, and the engine's recovery judges the rest
/// (usually as a torn tail).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LoadReport {
    /// Segments loaded.
    pub segments: usize,
    /// Chunks loaded.
    pub chunks: usize,
    /// Bytes loaded.
    pub bytes: u64,
    /// One line per damaged segment.
    pub problems: Vec<String>,
}

/// The working set: every segment's bytes plus the flush bookkeeping.
#[derive(Debug, Clone, Default)]
pub struct WorkingSet {
    segments: BTreeMap<SegmentId, SegmentCopy>,
    /// Segments IndexedDB holds that memory no longer does.
    removed: BTreeSet<SegmentId>,
    /// A sync or removal asked for a flush without waiting for the debounce.
    urgent: bool,
    /// Bytes of the flush in flight, if any.
    in_flight: u64,
}

impl WorkingSet {
    /// An empty working set over an empty database.
    pub fn new() -> Self {
        Self::default()
    }

    /// Rebuilds the working set from what IndexedDB holds: `segments` are the
    /// entries of the `segments` store, `chunks` the `chunks` store.
    pub fn from_stored(
        segments: impl IntoIterator<Item = SegmentId>,
        chunks: impl IntoIterator<Item = StoredChunk>,
    ) -> (WorkingSet, LoadReport) {
        let mut set = WorkingSet::new();
        let mut report = LoadReport::default();
        for id in segments {
            set.segments.entry(id).or_default().stored = true;
        }
        let mut chunks: Vec<StoredChunk> = chunks.into_iter().collect();
        chunks.sort_by_key(|c| (c.segment, c.offset));
        // Segments whose bytes stopped at a bad chunk; later chunks are
        // remembered (so a flush deletes them) but not loaded.
        let mut stopped: BTreeSet<SegmentId> = BTreeSet::new();
        for chunk in chunks {
            let copy = set.segments.entry(chunk.segment).or_default();
            copy.stored = true;
            let stored_len = chunk.bytes.as_ref().map_or(1, |b| b.len() as u64);
            copy.chunks.insert(chunk.offset, stored_len);
            if stopped.contains(&chunk.segment) {
                continue;
            }
            let problem = match &chunk.bytes {
                None => Some(format!(
                    "segment {}: the chunk at offset {} is not bytes; the segment ends there",
                    chunk.segment, chunk.offset
                )),
                Some(_) if chunk.offset != copy.len() => Some(format!(
                    "segment {}: a chunk starts at offset {} where {} was expected; the segment ends at {}",
                    chunk.segment,
                    chunk.offset,
                    copy.len(),
                    copy.len()
                )),
                Some(bytes) => {
                    copy.bytes.extend_from_slice(bytes);
                    report.chunks += 1;
                    report.bytes += bytes.len() as u64;
                    None
                }
            };
            if let Some(problem) = problem {
                report.problems.push(problem);
                stopped.insert(chunk.segment);
            }
        }
        for copy in set.segments.values_mut() {
            copy.clean = copy.len();
        }
        report.segments = set.segments.len();
        (set, report)
    }

    /// Every segment, in number order.
    pub fn ids(&self) -> Vec<SegmentId> {
        self.segments.keys().copied().collect()
    }

    /// Whether the segment exists.
    pub fn contains(&self, id: SegmentId) -> bool {
        self.segments.contains_key(&id)
    }

    /// A new, empty segment; `false` if it already exists.
    pub fn create(&mut self, id: SegmentId) -> bool {
        if self.segments.contains_key(&id) {
            return false;
        }
        self.segments.insert(id, SegmentCopy::default());
        true
    }

    /// The segment's bytes.
    pub fn bytes(&self, id: SegmentId) -> Option<&[u8]> {
        self.segments.get(&id).map(|s| s.bytes.as_slice())
    }

    /// Appends to the segment; returns the offset, or `None` if it does not exist.
    pub fn append(&mut self, id: SegmentId, bytes: &[u8]) -> Option<u64> {
        let copy = self.segments.get_mut(&id)?;
        let offset = copy.len();
        copy.bytes.extend_from_slice(bytes);
        Some(offset)
    }

    /// Cuts the segment to `len` bytes; `false` if it does not exist.
    pub fn truncate(&mut self, id: SegmentId, len: u64) -> bool {
        let Some(copy) = self.segments.get_mut(&id) else {
            return false;
        };
        if len < copy.len() {
            copy.bytes
                .truncate(usize::try_from(len).unwrap_or(usize::MAX));
            copy.clean = copy.clean.min(len);
        }
        true
    }

    /// Replaces the segment's bytes (creating it if needed): how faults are
    /// injected. Only the bytes from the first difference on become dirty.
    pub fn replace(&mut self, id: SegmentId, bytes: Vec<u8>) {
        let copy = self.segments.entry(id).or_default();
        let same = copy
            .bytes
            .iter()
            .zip(&bytes)
            .take_while(|(a, b)| a == b)
            .count() as u64;
        copy.clean = copy.clean.min(same);
        copy.bytes = bytes;
    }

    /// Deletes the segment; `false` if it does not exist.
    pub fn remove(&mut self, id: SegmentId) -> bool {
        match self.segments.remove(&id) {
            Some(copy) => {
                if copy.stored || !copy.chunks.is_empty() {
                    self.removed.insert(id);
                }
                self.urgent = true;
                true
            }
            None => false,
        }
    }

    /// Asks for a flush now rather than after the debounce.
    pub fn request_flush(&mut self) {
        self.urgent = true;
    }

    /// Whether a flush was asked for (by a sync or a removal).
    pub fn flush_is_urgent(&self) -> bool {
        self.urgent
    }

    /// Whether anything differs from IndexedDB (a flush would write something).
    pub fn needs_flush(&self) -> bool {
        !self.removed.is_empty() || self.segments.values().any(SegmentCopy::is_dirty)
    }

    /// Bytes not yet committed to IndexedDB: dirty bytes plus the flush in
    /// flight. This is what the page shows as "unflushed".
    pub fn unflushed_bytes(&self) -> u64 {
        self.in_flight
            + self
                .segments
                .values()
                .map(SegmentCopy::dirty_bytes)
                .sum::<u64>()
    }

    /// The requests that make IndexedDB equal to memory, and the working set
    /// updated as if they committed. `None` when there is nothing to write.
    pub fn begin_flush(&mut self) -> Option<FlushPlan> {
        self.urgent = false;
        if !self.needs_flush() {
            return None;
        }
        let mut plan = FlushPlan {
            ops: Vec::new(),
            written: Vec::new(),
            deleted: Vec::new(),
            bytes: 0,
        };
        for id in std::mem::take(&mut self.removed) {
            plan.ops.push(FlushOp::DeleteSegment { segment: id });
            plan.deleted.push(id);
        }
        for (&id, copy) in self.segments.iter_mut().filter(|(_, c)| c.is_dirty()) {
            let from = copy.rewrite_from();
            if !copy.stored {
                plan.ops.push(FlushOp::PutSegment { segment: id });
            }
            if copy.chunks.range(from..).next().is_some() {
                plan.ops
                    .push(FlushOp::DeleteChunksFrom { segment: id, from });
            }
            copy.chunks.retain(|&offset, _| offset < from);
            let start = usize::try_from(from).unwrap_or(usize::MAX);
            if let Some(tail) = copy.bytes.get(start..).filter(|t| !t.is_empty()) {
                plan.bytes += tail.len() as u64;
                plan.ops.push(FlushOp::PutChunk {
                    segment: id,
                    offset: from,
                    bytes: tail.to_vec(),
                });
                copy.chunks.insert(from, tail.len() as u64);
            }
            copy.stored = true;
            copy.clean = copy.len();
            plan.written.push(id);
        }
        self.in_flight = plan.bytes;
        Some(plan)
    }

    /// Ends the flush `plan`. When it failed, nothing it wrote can be trusted:
    /// its segments are rewritten whole and its deletions repeated next time.
    pub fn finish_flush(&mut self, plan: &FlushPlan, committed: bool) {
        self.in_flight = 0;
        if committed {
            return;
        }
        for id in &plan.written {
            if let Some(copy) = self.segments.get_mut(id) {
                copy.stored = false;
                copy.clean = 0;
                // Unknown: delete from offset 0 to be sure.
                copy.chunks = BTreeMap::from([(0, u64::MAX / 2)]);
            } else {
                self.removed.insert(*id);
            }
        }
        self.removed.extend(plan.deleted.iter().copied());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A stand-in for the two object stores, applying plans the way the
    /// IndexedDB code issues them.
    #[derive(Debug, Default, Clone)]
    struct FakeDb {
        segments: BTreeSet<SegmentId>,
        chunks: BTreeMap<(SegmentId, u64), Vec<u8>>,
    }

    impl FakeDb {
        fn apply(&mut self, plan: &FlushPlan) {
            for op in &plan.ops {
                match op {
                    FlushOp::DeleteSegment { segment } => {
                        self.segments.remove(segment);
                        self.chunks.retain(|(s, _), _| s != segment);
                    }
                    FlushOp::DeleteChunksFrom { segment, from } => {
                        self.chunks.retain(|(s, o), _| s != segment || o < from);
                    }
                    FlushOp::PutSegment { segment } => {
                        self.segments.insert(*segment);
                    }
                    FlushOp::PutChunk {
                        segment,
                        offset,
                        bytes,
                    } => {
                        self.chunks.insert((*segment, *offset), bytes.clone());
                    }
                }
            }
        }

        fn load(&self) -> (WorkingSet, LoadReport) {
            WorkingSet::from_stored(
                self.segments.iter().copied(),
                self.chunks
                    .iter()
                    .map(|((segment, offset), bytes)| StoredChunk {
                        segment: *segment,
                        offset: *offset,
                        bytes: Some(bytes.clone()),
                    }),
            )
        }
    }

    fn flush(set: &mut WorkingSet, db: &mut FakeDb) {
        if let Some(plan) = set.begin_flush() {
            db.apply(&plan);
            set.finish_flush(&plan, true);
        }
        assert!(!set.needs_flush());
        assert_eq!(set.unflushed_bytes(), 0);
    }

    fn contents(set: &WorkingSet) -> Vec<(SegmentId, Vec<u8>)> {
        set.ids()
            .into_iter()
            .map(|id| (id, set.bytes(id).unwrap_or_default().to_vec()))
            .collect()
    }

    const A: SegmentId = SegmentId(1);
    const B: SegmentId = SegmentId(2);

    #[test]
    fn appends_flush_as_new_chunks_only() {
        let (mut set, mut db) = (WorkingSet::new(), FakeDb::default());
        assert!(set.create(A));
        assert_eq!(set.append(A, b"hello"), Some(0));
        assert_eq!(set.unflushed_bytes(), 5);
        flush(&mut set, &mut db);
        assert_eq!(set.append(A, b" world"), Some(5));
        let plan = set.begin_flush().expect("dirty");
        assert_eq!(
            plan.ops,
            vec![FlushOp::PutChunk {
                segment: A,
                offset: 5,
                bytes: b" world".to_vec()
            }]
        );
        db.apply(&plan);
        set.finish_flush(&plan, true);
        assert_eq!(db.load().0.bytes(A), Some(&b"hello world"[..]));
    }

    #[test]
    fn truncation_rewrites_from_the_chunk_it_cuts() {
        let (mut set, mut db) = (WorkingSet::new(), FakeDb::default());
        set.create(A);
        set.append(A, b"aaaa");
        flush(&mut set, &mut db);
        set.append(A, b"bbbb");
        flush(&mut set, &mut db);
        set.truncate(A, 6);
        set.append(A, b"cc");
        flush(&mut set, &mut db);
        assert_eq!(db.load().0.bytes(A), Some(&b"aaaabbcc"[..]));
        assert_eq!(db.chunks.len(), 2, "the first chunk was left alone");
    }

    #[test]
    fn removal_deletes_the_segment_and_its_chunks() {
        let (mut set, mut db) = (WorkingSet::new(), FakeDb::default());
        set.create(A);
        set.create(B);
        set.append(A, b"a");
        set.append(B, b"b");
        flush(&mut set, &mut db);
        assert!(set.remove(A));
        assert!(set.flush_is_urgent());
        flush(&mut set, &mut db);
        let (loaded, report) = db.load();
        assert_eq!(loaded.ids(), vec![B]);
        assert!(report.problems.is_empty());
    }

    #[test]
    fn a_failed_flush_is_redone_in_full() {
        let (mut set, mut db) = (WorkingSet::new(), FakeDb::default());
        set.create(A);
        set.append(A, b"first");
        flush(&mut set, &mut db);
        set.append(A, b"second");
        let plan = set.begin_flush().expect("dirty");
        set.finish_flush(&plan, false); // never reached the database
        assert!(set.needs_flush());
        flush(&mut set, &mut db);
        assert_eq!(db.load().0.bytes(A), Some(&b"firstsecond"[..]));
    }

    #[test]
    fn many_chunks_are_merged_into_one() {
        let (mut set, mut db) = (WorkingSet::new(), FakeDb::default());
        set.create(A);
        for i in 0..(MAX_CHUNKS_PER_SEGMENT + 3) {
            set.append(A, &[i as u8]);
            flush(&mut set, &mut db);
        }
        // One chunk per flush until the segment has MAX of them; the next
        // flush merges all into one, and the last two flushes add one each.
        assert_eq!(db.chunks.len(), 3);
        assert_eq!(
            db.load().0.bytes(A).map(<[u8]>::len),
            Some(MAX_CHUNKS_PER_SEGMENT + 3)
        );
    }

    #[test]
    fn replacing_bytes_rewrites_from_the_first_difference() {
        let (mut set, mut db) = (WorkingSet::new(), FakeDb::default());
        set.create(A);
        set.append(A, b"0123");
        flush(&mut set, &mut db);
        set.append(A, b"4567");
        flush(&mut set, &mut db);
        set.replace(A, b"0123456X".to_vec());
        assert_eq!(set.unflushed_bytes(), 4, "the second chunk is rewritten");
        flush(&mut set, &mut db);
        assert_eq!(db.load().0.bytes(A), Some(&b"0123456X"[..]));
    }

    #[test]
    fn a_bad_chunk_ends_its_segment_and_is_deleted_by_the_next_flush() {
        let chunks = vec![
            StoredChunk {
                segment: A,
                offset: 0,
                bytes: Some(b"good".to_vec()),
            },
            StoredChunk {
                segment: A,
                offset: 4,
                bytes: None,
            },
            StoredChunk {
                segment: A,
                offset: 5,
                bytes: Some(b"later".to_vec()),
            },
            StoredChunk {
                segment: B,
                offset: 3,
                bytes: Some(b"gap".to_vec()),
            },
        ];
        let (mut set, report) = WorkingSet::from_stored([A], chunks.clone());
        assert_eq!(set.bytes(A), Some(&b"good"[..]));
        assert_eq!(set.bytes(B), Some(&b""[..]));
        assert_eq!(report.problems.len(), 2, "{:?}", report.problems);
        assert!(
            set.needs_flush(),
            "the stored bad chunks differ from memory"
        );
        let mut db = FakeDb::default();
        for chunk in chunks {
            db.chunks.insert(
                (chunk.segment, chunk.offset),
                chunk.bytes.unwrap_or_default(),
            );
        }
        flush(&mut set, &mut db);
        let (reloaded, report) = db.load();
        assert!(report.problems.is_empty(), "{:?}", report.problems);
        assert_eq!(reloaded.bytes(A), Some(&b"good"[..]));
    }

    /// Random appends, truncations, edits, removals and failed flushes: after
    /// each successful flush, loading the database gives back memory exactly.
    #[test]
    fn any_history_flushes_to_what_memory_holds() {
        let mut rng = 0x9e37_79b9_7f4a_7c15_u64;
        let mut next = move |n: u64| {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            rng % n
        };
        for _round in 0..40 {
            let (mut set, mut db) = (WorkingSet::new(), FakeDb::default());
            let mut next_id = 1;
            for _ in 0..200 {
                let ids = set.ids();
                let pick = |i: u64| ids.get(i as usize % ids.len().max(1)).copied();
                match next(10) {
                    0 => {
                        set.create(SegmentId(next_id));
                        next_id += 1;
                    }
                    1..=4 => {
                        if let Some(id) = pick(next(8)) {
                            let len = next(20) as usize + 1;
                            set.append(id, &vec![next(256) as u8; len]);
                        }
                    }
                    5 => {
                        if let Some(id) = pick(next(8)) {
                            let len = set.bytes(id).map_or(0, |b| b.len() as u64);
                            set.truncate(id, next(len + 1));
                        }
                    }
                    6 => {
                        if let Some(id) = pick(next(8)) {
                            let mut bytes = set.bytes(id).unwrap_or_default().to_vec();
                            if !bytes.is_empty() {
                                let at = next(bytes.len() as u64) as usize;
                                bytes[at] ^= 1;
                            }
                            set.replace(id, bytes);
                        }
                    }
                    7 => {
                        if let Some(id) = pick(next(8)) {
                            set.remove(id);
                        }
                    }
                    8 => {
                        if let Some(plan) = set.begin_flush() {
                            // Half the failed flushes got partly through.
                            if next(2) == 0 {
                                let mut partial = plan.clone();
                                let keep = next(partial.ops.len() as u64 + 1) as usize;
                                partial.ops.truncate(keep);
                                db.apply(&partial);
                            }
                            set.finish_flush(&plan, false);
                        }
                    }
                    _ => {
                        flush(&mut set, &mut db);
                        let (loaded, report) = db.load();
                        assert!(report.problems.is_empty(), "{:?}", report.problems);
                        assert_eq!(contents(&loaded), contents(&set));
                    }
                }
            }
        }
    }
}
