//! `Iter`: ordered scans, from [`KvStore::iter`](crate::KvStore::iter) and
//! [`KvStore::scan_prefix`](crate::KvStore::scan_prefix). It works on the
//! read path (`store::read`), not on the handle.
//!
//! The keys are taken from the index when the iterator is made; the values
//! are read as it advances, a chunk of keys at a time. Records that lie
//! close together on storage — keys written in order, or a compacted
//! segment — are read with one call for the whole run instead of one call
//! each, which is most of what a scan of short values costs. Each record is
//! still checked (CRC, kind, key) before its value is handed out; anything
//! unexpected — a record moved by compaction meanwhile, a key deleted since,
//! a read error — sends that key down the path of a plain `get`, which
//! retries a moved record and reports a real error.

use std::collections::VecDeque;
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

/// Iterator over `(key, value)` pairs in key order, from
/// [`KvStore::iter`](crate::KvStore::iter) and
/// [`KvStore::scan_prefix`](crate::KvStore::scan_prefix).
///
/// The set of keys is fixed when the iterator is made. Values are read as it
/// advances, up to 64 keys ahead: a key deleted before its chunk is read is
/// skipped, and an overwritten one yields the value it had then.
pub struct Iter {
    store: Arc<Shared>,
    keys: Vec<Vec<u8>>,
    /// The first key whose value has not been read yet.
    next_key: usize,
    /// Read, not yet yielded, in key order.
    ready: VecDeque<Result<(Vec<u8>, Vec<u8>)>>,
}

impl Iter {
    pub(crate) fn new(store: Arc<Shared>, keys: Vec<Vec<u8>>) -> Iter {
        Iter {
            store,
            keys,
            next_key: 0,
            ready: VecDeque::new(),
        }
    }

    /// Reads the values of the next chunk of keys into `ready`.
    fn read_ahead(&mut self) {
        let end = (self.next_key + CHUNK_KEYS).min(self.keys.len());
        let mut locations = self.store.reader().locate(&self.keys[self.next_key..end]);
        let mut bytes = 0;
        let taken = locations
            .iter()
            .take_while(|location| {
                bytes += location.map_or(0, |l| u64::from(l.len));
                bytes <= CHUNK_BYTES
            })
            .count()
            .max(1);
        locations.truncate(taken);
        let chunk = self.next_key..self.next_key + taken;
        self.next_key += taken;

        // Where they are, in storage order, so neighbours form runs.
        let mut placed: Vec<(usize, Location)> = locations
            .iter()
            .enumerate()
            .filter_map(|(i, location)| location.map(|l| (i, l)))
            .collect();
        placed.sort_unstable_by_key(|(_, l)| (l.segment, l.offset));
        let mut values: Vec<Option<Result<Option<Vec<u8>>>>> = Vec::new();
        values.resize_with(taken, || None);
        for run in runs(&placed) {
            self.read_run(run, &self.keys[chunk.clone()], &mut values);
        }

        for (key, value) in self.keys[chunk].iter_mut().zip(values) {
            match value {
                Some(Ok(Some(value))) => self.ready.push_back(Ok((std::mem::take(key), value))),
                Some(Err(e)) => self.ready.push_back(Err(e)),
                // Not in the index any more, or gone by the time it was read.
                None | Some(Ok(None)) => {}
            }
        }
    }

    /// Reads one run of records with a single call and checks each; a
    /// record that does not check out is fetched again with `get`.
    fn read_run(
        &self,
        run: &[(usize, Location)],
        keys: &[Vec<u8>],
        values: &mut [Option<Result<Option<Vec<u8>>>>],
    ) {
        let (first, last) = (run[0].1, run[run.len() - 1].1);
        let start = first.offset;
        let mut buf = vec![0u8; (last.offset + u64::from(last.len) - start) as usize];
        let read = self
            .store
            .reader()
            .read_raw(first.segment, start, &mut buf)
            .is_ok();
        for &(i, location) in run {
            let from = (location.offset - start) as usize;
            let bytes = &buf[from..from + location.len as usize];
            let checked = read.then(|| check_record(&keys[i], location, bytes).ok());
            values[i] = Some(match checked.flatten() {
                Some((_, value)) => Ok(Some(bytes[value].to_vec())),
                None => self
                    .store
                    .reader()
                    .get_versioned(&keys[i])
                    .map(|found| found.map(|v| v.value)),
            });
        }
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
            if let Some(item) = self.ready.pop_front() {
                return Some(item);
            }
            if self.next_key >= self.keys.len() {
                return None;
            }
            self.read_ahead();
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
