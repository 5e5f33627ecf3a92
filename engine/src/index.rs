//! The in-memory picture of the store: where every live key's record is, and
//! how many live bytes each segment holds.
//!
//! Values stay on storage; the index holds only a [`Location`] per key, so
//! memory grows with the number and length of keys, not with value sizes. The
//! map ([`KeyMap`]) is ordered so prefix scans and pages are range queries.

use std::collections::BTreeMap;
use std::ops::Bound;
use std::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};

use crate::expiry::ExpiryTable;
use crate::format::SegmentKind;
use crate::key::IndexKey;
use crate::key_map::KeyMap;
use crate::location::{Location, TombstoneAt};
use crate::report::CorruptRange;
use crate::storage::SegmentId;

/// What the store knows about one segment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SegmentInfo {
    pub kind: SegmentKind,
    /// Bytes in the segment, header included.
    pub len: u64,
    /// Bytes of records the index points at.
    pub live_bytes: u64,
    /// Bytes of bookkeeping every layout needs: the header, seals and
    /// compaction commits. Counted as live, since compaction cannot reclaim
    /// them, so a freshly compacted store shows no dead bytes.
    pub meta_bytes: u64,
    pub sealed: bool,
    /// The smallest seq of a put in the segment, live or not (`None`: no
    /// put). What the tombstone rule of a partial merge asks of every
    /// segment it leaves alone (see `compaction`). Recovery learns it from
    /// each key's newest record in the segment — a put hidden by a newer
    /// record of its key in the same segment is kept dead by that record.
    pub min_put_seq: Option<u64>,
    /// Every tombstone known to be in the segment, in offset order.
    pub tombstones: Vec<TombstoneAt>,
    /// Bytes of the segment's hint file, when this process wrote or read
    /// one (0 otherwise): space the store takes beside its segments, which
    /// the compaction policy's space limit counts.
    pub hint_bytes: u64,
}

impl SegmentInfo {
    /// A segment of `kind` and `len` bytes, `meta_bytes` of them
    /// bookkeeping, with nothing live and no puts or tombstones known yet.
    pub(crate) fn new(kind: SegmentKind, len: u64, meta_bytes: u64, sealed: bool) -> Self {
        SegmentInfo {
            kind,
            len,
            live_bytes: 0,
            meta_bytes,
            sealed,
            min_put_seq: None,
            tombstones: Vec::new(),
            hint_bytes: 0,
        }
    }

    /// Takes note of a put with `seq` in the segment.
    pub(crate) fn note_put(&mut self, seq: u64) {
        self.min_put_seq = Some(self.min_put_seq.map_or(seq, |min| min.min(seq)));
    }
}

/// Every live key's location plus per-segment accounting, kept consistent
/// with each other: a segment's `live_bytes` is the sum of the lengths of
/// the records `keys` points at in it.
#[derive(Debug, Default)]
pub(crate) struct Index {
    pub keys: KeyMap,
    /// When the keys that expire do (see `expiry`).
    pub expiry: ExpiryTable,
    pub segments: BTreeMap<SegmentId, SegmentInfo>,
    pub corrupt: Vec<CorruptRange>,
}

impl Index {
    /// Points `key` at `location`; returns the location it replaces.
    pub(crate) fn insert(&mut self, key: &[u8], location: Location) -> Option<Location> {
        self.add_live(location.segment, u64::from(location.len));
        let previous = self.keys.insert(key, location);
        if let Some(old) = previous {
            self.sub_live(old.segment, u64::from(old.len));
        }
        previous
    }

    /// Applies a write batch's changes in order: a location puts the key
    /// there, `None` removes it.
    pub(crate) fn apply_batch<'k>(
        &mut self,
        changes: impl Iterator<Item = (&'k [u8], Option<Location>)> + Clone,
    ) {
        if !self.extends_past_the_last_key(changes.clone()) {
            for (key, location) in changes {
                match location {
                    Some(location) => {
                        self.insert(key, location);
                    }
                    None => {
                        self.remove(key);
                    }
                }
            }
            return;
        }
        // Keys in order past every other one, all new (a bulk load):
        // appended in one go instead of one lookup each.
        let entries: Vec<(IndexKey, Location)> = changes
            .filter_map(|(key, location)| Some((IndexKey::from(key), location?)))
            .collect();
        // A batch is one append, so its records share a segment: one update
        // of the accounting per run of them, not one per key.
        for same_segment in entries.chunk_by(|(_, a), (_, b)| a.segment == b.segment) {
            let bytes = same_segment.iter().map(|(_, l)| u64::from(l.len)).sum();
            self.add_live(same_segment[0].1.segment, bytes);
        }
        self.keys.append_sorted(entries);
    }

    /// Takes note of records just appended to `segment`: the first put's
    /// seq (the smallest, as seqs rise within an append), and tombstones.
    pub(crate) fn note_appended(
        &mut self,
        segment: SegmentId,
        first_put_seq: Option<u64>,
        tombstones: impl Iterator<Item = TombstoneAt>,
    ) {
        if let Some(info) = self.segments.get_mut(&segment) {
            if let Some(seq) = first_put_seq {
                info.note_put(seq);
            }
            info.tombstones.extend(tombstones);
        }
    }

    /// Whether `changes` are all puts whose keys increase strictly from
    /// beyond the index's last key.
    fn extends_past_the_last_key<'k>(
        &self,
        changes: impl Iterator<Item = (&'k [u8], Option<Location>)>,
    ) -> bool {
        let mut previous = self.keys.last_key();
        for (key, location) in changes {
            if location.is_none() || previous.is_some_and(|previous| previous >= key) {
                return false;
            }
            previous = Some(key);
        }
        true
    }

    /// Where `key`'s record is, if it has one.
    pub(crate) fn get(&self, key: &[u8]) -> Option<Location> {
        self.keys.get(key).copied()
    }

    /// Whether `key` has a value that has not expired by `now`.
    pub(crate) fn contains(&self, key: &[u8], now: u64) -> bool {
        self.get_live(key, now).is_some()
    }

    /// Where `key`'s record is, unless it has none or it expired by `now`.
    pub(crate) fn get_live(&self, key: &[u8], now: u64) -> Option<Location> {
        if self.expiry.is_expired(key, now) {
            return None;
        }
        self.get(key)
    }

    /// Keys with a value that has not expired by `now`.
    pub(crate) fn live_len(&self, now: u64) -> usize {
        if self.expiry.is_empty() {
            return self.keys.len();
        }
        self.keys.len() - self.expiry.expired_count(now)
    }

    /// Bytes of the records of keys expired by `now`: live to the index,
    /// dead to everyone else.
    pub(crate) fn expired_bytes(&self, now: u64) -> u64 {
        self.expiry
            .expired(now)
            .filter_map(|key| self.keys.get(key))
            .map(|at| u64::from(at.len))
            .sum()
    }

    /// Forgets `key`; returns where it was.
    pub(crate) fn remove(&mut self, key: &[u8]) -> Option<Location> {
        self.expiry.remove(key);
        let old = self.keys.remove(key)?;
        self.sub_live(old.segment, u64::from(old.len));
        Some(old)
    }

    /// Moves `key` from `from` to `to`, but only if the index still points at
    /// `from`: a write that raced with compaction must win over the copy.
    pub(crate) fn repoint(&mut self, key: &[u8], from: Location, to: Location) -> bool {
        match self.keys.get_mut(key) {
            Some(slot) if *slot == from => {
                *slot = to;
                self.sub_live(from.segment, u64::from(from.len));
                self.add_live(to.segment, u64::from(to.len));
                true
            }
            _ => false,
        }
    }

    fn add_live(&mut self, segment: SegmentId, bytes: u64) {
        if let Some(info) = self.segments.get_mut(&segment) {
            info.live_bytes += bytes;
        }
    }

    fn sub_live(&mut self, segment: SegmentId, bytes: u64) {
        if let Some(info) = self.segments.get_mut(&segment) {
            info.live_bytes = info.live_bytes.saturating_sub(bytes);
        }
    }

    pub(crate) fn total_bytes(&self) -> u64 {
        self.segments.values().map(|s| s.len).sum()
    }

    /// Bytes the store takes on storage: its segments and the hint files
    /// the index knows of.
    pub(crate) fn space_bytes(&self) -> u64 {
        self.total_bytes() + self.hint_bytes()
    }

    /// Bytes of the hint files the index knows of.
    pub(crate) fn hint_bytes(&self) -> u64 {
        self.segments.values().map(|s| s.hint_bytes).sum()
    }

    pub(crate) fn live_bytes(&self) -> u64 {
        self.segments
            .values()
            .map(|s| s.live_bytes + s.meta_bytes)
            .sum()
    }

    /// Keys starting with `prefix`, strictly after `after` if given, in order.
    /// Keys expired by `now` are left out.
    pub(crate) fn keys_page(
        &self,
        prefix: &[u8],
        after: Option<&[u8]>,
        limit: usize,
        now: u64,
    ) -> Vec<Vec<u8>> {
        let start = match after {
            Some(after) if after >= prefix => Bound::Excluded(after),
            _ => Bound::Included(prefix),
        };
        self.keys
            .range_from(start)
            .map(|(key, _)| key)
            .take_while(|key| key.starts_with(prefix))
            .filter(|key| !self.expiry.is_expired(key, now))
            .take(limit)
            .map(|key| key.to_vec())
            .collect()
    }
}

/// The shared index, locked for reading. Every change to an [`Index`] is
/// one method call that leaves it coherent, so a panic elsewhere while the
/// lock was held does not make it unusable.
pub(crate) fn read(lock: &RwLock<Index>) -> RwLockReadGuard<'_, Index> {
    lock.read().unwrap_or_else(|p| p.into_inner())
}

/// The shared index, locked for writing (see [`read`]).
pub(crate) fn write(lock: &RwLock<Index>) -> RwLockWriteGuard<'_, Index> {
    lock.write().unwrap_or_else(|p| p.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn loc(segment: u32, offset: u64, len: u32, _seq: u64) -> Location {
        Location {
            offset,
            segment: SegmentId(segment),
            len,
        }
    }

    fn state_with_segments(ids: &[u32]) -> Index {
        let mut state = Index::default();
        for id in ids {
            state.segments.insert(
                SegmentId(*id),
                SegmentInfo::new(SegmentKind::Log, 1000, 0, false),
            );
        }
        state
    }

    #[test]
    fn live_bytes_follow_the_index() {
        let mut state = state_with_segments(&[1, 2]);
        assert_eq!(state.insert(b"a", loc(1, 16, 30, 1)), None);
        assert_eq!(
            state.insert(b"a", loc(2, 16, 40, 2)),
            Some(loc(1, 16, 30, 1))
        );
        assert_eq!(state.segments[&SegmentId(1)].live_bytes, 0);
        assert_eq!(state.segments[&SegmentId(2)].live_bytes, 40);
        assert_eq!(state.remove(b"a"), Some(loc(2, 16, 40, 2)));
        assert_eq!(state.live_bytes(), 0);
    }

    #[test]
    fn repoint_only_moves_unchanged_entries() {
        let mut state = state_with_segments(&[1, 2, 3]);
        state.insert(b"k", loc(1, 16, 30, 1));
        assert!(state.repoint(b"k", loc(1, 16, 30, 1), loc(3, 16, 30, 1)));
        state.insert(b"k", loc(2, 16, 31, 5));
        assert!(!state.repoint(b"k", loc(3, 16, 30, 1), loc(1, 16, 30, 1)));
        assert_eq!(state.keys.get(b"k"), Some(&loc(2, 16, 31, 5)));
        assert!(!state.repoint(b"missing", loc(1, 0, 1, 1), loc(2, 0, 1, 1)));
    }

    #[test]
    fn pages_respect_prefix_and_cursor() {
        let mut state = state_with_segments(&[1]);
        for (i, key) in ["a", "b/1", "b/2", "b/3", "c"].iter().enumerate() {
            state.insert(key.as_bytes(), loc(1, 16 * i as u64, 1, i as u64));
        }
        let page = |prefix: &str, after: Option<&str>, limit| {
            state.keys_page(prefix.as_bytes(), after.map(str::as_bytes), limit, 0)
        };
        assert_eq!(page("b/", None, 2), vec![b"b/1".to_vec(), b"b/2".to_vec()]);
        assert_eq!(page("b/", Some("b/2"), 10), vec![b"b/3".to_vec()]);
        assert_eq!(page("b/", Some("a"), 1), vec![b"b/1".to_vec()]);
        assert!(page("b/", Some("b/3"), 10).is_empty());
        assert_eq!(page("", None, 100).len(), 5);
    }
}
