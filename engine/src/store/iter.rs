//! `Iter`: ordered scans over a key range, from
//! [`KvStore::range`](crate::KvStore::range) (and its special cases
//! [`iter`](crate::KvStore::iter) and
//! [`scan_prefix`](crate::KvStore::scan_prefix)), forward and, being
//! double-ended, backward. It works on the read path (`store::read`), not
//! on the handle.
//!
//! The iterator does not copy the range's keys when it is made: it walks the
//! index a chunk of keys at a time, from either end, holding the index lock
//! only while it takes a chunk's keys and locations. Records that lie close
//! together on storage — keys written in order, or a compacted segment — are
//! read with one call for the whole run instead of one call each, which is
//! most of what a scan of short values costs. Each record is still checked
//! (CRC, kind, key) before its value is handed out; anything unexpected — a
//! record moved by compaction meanwhile, a key deleted since, a read error —
//! sends that key down the path of a plain `get`, which retries a moved
//! record and reports a real error.
//!
//! What a scan sees when writes go on during it: every key yielded is in
//! the range and comes in strict order, never twice. A key present for the
//! whole scan is yielded once, with a value it held at some point during
//! the scan. A key written or deleted while the scan runs is seen or not
//! depending on whether its chunk was taken before or after the write.

use std::collections::VecDeque;
use std::ops::Bound;
use std::sync::Arc;

use crate::error::Result;
use crate::location::Location;
use crate::store::read::check_record;
use crate::store::shared::Shared;

/// The most keys whose values are read ahead at once.
const CHUNK_KEYS: usize = 64;

/// The most bytes of records read ahead at once (a single larger record is
/// still read, on its own).
const CHUNK_BYTES: u64 = 1 << 20;

/// Bytes of other records between two wanted ones that are cheaper to read
/// over than to skip with a second call.
const MAX_GAP: u64 = 4096;

/// Iterator over `(key, value)` pairs of a key range, in key order (or in
/// reverse with [`rev`](Iterator::rev)), from
/// [`KvStore::range`](crate::KvStore::range). See the module docs for what
/// it sees of writes made during it.
pub struct Iter {
    store: Arc<Shared>,
    /// What is left of the range that no chunk has taken yet; `None` once
    /// the two ends have met.
    rest: Option<KeyRange>,
    /// Read from the front, not yet yielded, in increasing key order.
    front: VecDeque<Result<(Vec<u8>, Vec<u8>)>>,
    /// Read from the back, not yet yielded, in decreasing key order.
    back: VecDeque<Result<(Vec<u8>, Vec<u8>)>>,
    /// The bytes of the run being read, kept between runs so a scan does
    /// not allocate a buffer per run.
    scratch: Vec<u8>,
}

/// A range of keys: its start and end bounds.
type KeyRange = (Bound<Vec<u8>>, Bound<Vec<u8>>);

/// Which end of the range a chunk is taken from.
#[derive(Clone, Copy, PartialEq, Eq)]
enum End {
    Front,
    Back,
}

impl Iter {
    pub(crate) fn new(store: Arc<Shared>, start: Bound<Vec<u8>>, end: Bound<Vec<u8>>) -> Iter {
        let empty = match (&start, &end) {
            (Bound::Included(s), Bound::Included(e)) => s > e,
            (Bound::Included(s) | Bound::Excluded(s), Bound::Excluded(e))
            | (Bound::Excluded(s), Bound::Included(e)) => s >= e,
            _ => false,
        };
        Iter {
            store,
            rest: (!empty).then_some((start, end)),
            front: VecDeque::new(),
            back: VecDeque::new(),
            scratch: Vec::new(),
        }
    }

    /// Takes the next chunk of keys at `end` of what is left, with their
    /// locations, and narrows what is left past them.
    fn take_chunk(&mut self, end: End) -> Vec<(Vec<u8>, Location)> {
        let Some((start, stop)) = self.rest.take() else {
            return Vec::new();
        };
        let now = self.store.now();
        let index = self.store.read_index();
        let within = |key: &[u8], other: &Bound<Vec<u8>>, end: End| match (other, end) {
            (Bound::Unbounded, _) => true,
            (Bound::Included(b), End::Front) => key <= b.as_slice(),
            (Bound::Excluded(b), End::Front) => key < b.as_slice(),
            (Bound::Included(b), End::Back) => key >= b.as_slice(),
            (Bound::Excluded(b), End::Back) => key > b.as_slice(),
        };
        let mut bytes = 0u64;
        let mut taken: Vec<(Vec<u8>, Location)> = Vec::new();
        let mut reached_other_end = true;
        let mut add = |key: &[u8], at: &Location, other: &Bound<Vec<u8>>| {
            if !within(key, other, end) {
                return false;
            }
            if index.expiry.is_expired(key, now) {
                return true; // invisible, but the walk goes on past it
            }
            if !taken.is_empty()
                && (taken.len() == CHUNK_KEYS || bytes + u64::from(at.len) > CHUNK_BYTES)
            {
                reached_other_end = false;
                return false;
            }
            bytes += u64::from(at.len);
            taken.push((key.to_vec(), *at));
            true
        };
        match end {
            End::Front => {
                let from = as_ref(&start);
                for (key, at) in index.keys.range_from(from) {
                    if !add(key, at, &stop) {
                        break;
                    }
                }
            }
            End::Back => {
                let to = as_ref(&stop);
                for (key, at) in index.keys.range_back(to) {
                    if !add(key, at, &start) {
                        break;
                    }
                }
            }
        }
        drop(index);
        if !reached_other_end && let Some((last, _)) = taken.last() {
            self.rest = Some(match end {
                End::Front => (Bound::Excluded(last.clone()), stop),
                End::Back => (start, Bound::Excluded(last.clone())),
            });
        }
        taken
    }

    /// Reads the values of the next chunk at `end` into its queue.
    fn read_ahead(&mut self, end: End) {
        let chunk = self.take_chunk(end);
        // Where they are, in storage order, so neighbours form runs.
        let mut placed: Vec<(usize, Location)> = chunk
            .iter()
            .enumerate()
            .map(|(i, (_, at))| (i, *at))
            .collect();
        // Keys written in order, or compacted, already are.
        if !placed.is_sorted_by_key(|(_, l)| (l.segment, l.offset)) {
            placed.sort_unstable_by_key(|(_, l)| (l.segment, l.offset));
        }
        let mut values: Vec<Option<Result<Option<Vec<u8>>>>> = Vec::new();
        values.resize_with(chunk.len(), || None);
        let mut scratch = std::mem::take(&mut self.scratch);
        for run in runs(&placed) {
            self.read_run(run, &chunk, &mut values, &mut scratch);
        }
        // Keep a small buffer around, but do not pin a large one.
        if scratch.capacity() <= CHUNK_BYTES as usize {
            self.scratch = scratch;
        }
        let queue = match end {
            End::Front => &mut self.front,
            End::Back => &mut self.back,
        };
        for ((key, _), value) in chunk.into_iter().zip(values) {
            match value {
                Some(Ok(Some(value))) => queue.push_back(Ok((key, value))),
                Some(Err(e)) => queue.push_back(Err(e)),
                // Gone by the time it was read.
                None | Some(Ok(None)) => {}
            }
        }
    }

    /// Reads one run of records with a single call and checks each; a
    /// record that does not check out is fetched again with `get`.
    fn read_run(
        &self,
        run: &[(usize, Location)],
        chunk: &[(Vec<u8>, Location)],
        values: &mut [Option<Result<Option<Vec<u8>>>>],
        buf: &mut Vec<u8>,
    ) {
        let (first, last) = (run[0].1, run[run.len() - 1].1);
        let start = first.offset;
        buf.clear();
        buf.resize((last.offset + u64::from(last.len) - start) as usize, 0);
        let reader = self.store.reader();
        let read = reader.read_raw(first.segment, start, buf).is_ok();
        for &(i, location) in run {
            let key = &chunk[i].0;
            let from = (location.offset - start) as usize;
            let bytes = &buf[from..from + location.len as usize];
            let checked = read.then(|| check_record(key, location, bytes).ok());
            values[i] = Some(match checked.flatten() {
                Some((_, value)) => Ok(Some(bytes[value].to_vec())),
                None => reader
                    .get_versioned(key)
                    .map(|found| found.map(|v| v.value)),
            });
        }
    }
}

fn as_ref(bound: &Bound<Vec<u8>>) -> Bound<&[u8]> {
    match bound {
        Bound::Included(key) => Bound::Included(key.as_slice()),
        Bound::Excluded(key) => Bound::Excluded(key.as_slice()),
        Bound::Unbounded => Bound::Unbounded,
    }
}

/// Splits records sorted by place into runs worth one read each: same
/// segment, gaps of at most [`MAX_GAP`], at most [`CHUNK_BYTES`] in all
/// (a single record may be more).
fn runs(placed: &[(usize, Location)]) -> impl Iterator<Item = &[(usize, Location)]> {
    let mut rest = placed;
    std::iter::from_fn(move || {
        let (first, _) = rest.split_first()?;
        let start = first.1.offset;
        let mut end = first.1.offset + u64::from(first.1.len);
        let mut len = 1;
        for (_, next) in &rest[1..] {
            let next_end = next.offset + u64::from(next.len);
            if next.segment != first.1.segment
                || next.offset < end
                || next.offset - end > MAX_GAP
                || next_end - start > CHUNK_BYTES
            {
                break;
            }
            end = next_end;
            len += 1;
        }
        let (run, tail) = rest.split_at(len);
        rest = tail;
        Some(run)
    })
}

impl Iterator for Iter {
    type Item = Result<(Vec<u8>, Vec<u8>)>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(item) = self.front.pop_front() {
                return Some(item);
            }
            if self.rest.is_none() {
                // The ends have met: what the back read is all that is left.
                return self.back.pop_back();
            }
            self.read_ahead(End::Front);
        }
    }
}

impl DoubleEndedIterator for Iter {
    fn next_back(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(item) = self.back.pop_front() {
                return Some(item);
            }
            if self.rest.is_none() {
                return self.front.pop_back();
            }
            self.read_ahead(End::Back);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::SegmentId;

    fn at(segment: u32, offset: u64, len: u32) -> Location {
        Location {
            segment: SegmentId(segment),
            offset,
            len,
        }
    }

    fn run_lengths(placed: &[(usize, Location)]) -> Vec<usize> {
        runs(placed).map(<[_]>::len).collect()
    }

    #[test]
    fn neighbours_share_a_run_and_distance_or_another_segment_splits_it() {
        let placed = [
            (0, at(1, 100, 50)),
            (1, at(1, 150, 50)),               // right after
            (2, at(1, 200 + MAX_GAP, 50)),     // a gap that is worth reading over
            (3, at(1, 250 + 3 * MAX_GAP, 50)), // too far
            (4, at(2, 300 + 3 * MAX_GAP, 50)), // next segment
        ];
        assert_eq!(run_lengths(&placed), vec![3, 1, 1]);
        assert_eq!(run_lengths(&[]), Vec::<usize>::new());
    }

    #[test]
    fn a_run_stops_at_the_byte_limit_but_a_big_record_still_gets_one() {
        let big = CHUNK_BYTES as u32 + 10;
        let placed = [
            (0, at(1, 0, big)),
            (1, at(1, u64::from(big), 10)),
            (2, at(1, u64::from(big) + 10, 10)),
        ];
        assert_eq!(run_lengths(&placed), vec![1, 2]);
    }
}
