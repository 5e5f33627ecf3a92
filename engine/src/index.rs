//! The in-memory picture of the store: where every live key's record is, and
//! how many live bytes each segment holds.
//!
//! Values stay on storage; the index holds only a [`Location`] per key, so
//! memory grows with the number and length of keys, not with value sizes. The
//! map is ordered so prefix scans and pages are range queries.

use std::collections::BTreeMap;
use std::ops::Bound;

use serde::Serialize;

use crate::format::SegmentKind;
use crate::report::CorruptRange;
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

/// What the store knows about one segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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
}

/// Index plus per-segment accounting, kept consistent with each other.
#[derive(Debug, Default)]
pub(crate) struct State {
    pub index: BTreeMap<Box<[u8]>, Location>,
    pub segments: BTreeMap<SegmentId, SegmentInfo>,
    pub corrupt: Vec<CorruptRange>,
}

impl State {
    /// Points `key` at `location`; returns the location it replaces.
    pub(crate) fn insert(&mut self, key: &[u8], location: Location) -> Option<Location> {
        self.add_live(location.segment, u64::from(location.len));
        let previous = match self.index.get_mut(key) {
            Some(slot) => Some(std::mem::replace(slot, location)),
            None => {
                self.index.insert(key.into(), location);
                None
            }
        };
        if let Some(old) = previous {
            self.sub_live(old.segment, u64::from(old.len));
        }
        previous
    }

    /// Forgets `key`; returns where it was.
    pub(crate) fn remove(&mut self, key: &[u8]) -> Option<Location> {
        let old = self.index.remove(key)?;
        self.sub_live(old.segment, u64::from(old.len));
        Some(old)
    }

    /// Moves `key` from `from` to `to`, but only if the index still points at
    /// `from`: a write that raced with compaction must win over the copy.
    pub(crate) fn repoint(&mut self, key: &[u8], from: Location, to: Location) -> bool {
        match self.index.get_mut(key) {
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

    pub(crate) fn live_bytes(&self) -> u64 {
        self.segments
            .values()
            .map(|s| s.live_bytes + s.meta_bytes)
            .sum()
    }

    /// Keys starting with `prefix`, strictly after `after` if given, in order.
    pub(crate) fn keys_page(
        &self,
        prefix: &[u8],
        after: Option<&[u8]>,
        limit: usize,
    ) -> Vec<Vec<u8>> {
        let start = match after {
            Some(after) if after >= prefix => Bound::Excluded(after),
            _ => Bound::Included(prefix),
        };
        self.index
            .range::<[u8], _>((start, Bound::Unbounded))
            .map(|(key, _)| key)
            .take_while(|key| key.starts_with(prefix))
            .take(limit)
            .map(|key| key.to_vec())
            .collect()
    }
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

    fn state_with_segments(ids: &[u32]) -> State {
        let mut state = State::default();
        for id in ids {
            state.segments.insert(
                SegmentId(*id),
                SegmentInfo {
                    kind: SegmentKind::Log,
                    len: 1000,
                    live_bytes: 0,
                    meta_bytes: 0,
                    sealed: false,
                },
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
        assert_eq!(state.index[&b"k"[..]], loc(2, 16, 31, 5));
        assert!(!state.repoint(b"missing", loc(1, 0, 1, 1), loc(2, 0, 1, 1)));
    }

    #[test]
    fn pages_respect_prefix_and_cursor() {
        let mut state = state_with_segments(&[1]);
        for (i, key) in ["a", "b/1", "b/2", "b/3", "c"].iter().enumerate() {
            state.insert(key.as_bytes(), loc(1, 16 * i as u64, 1, i as u64));
        }
        let page = |prefix: &str, after: Option<&str>, limit| {
            state.keys_page(prefix.as_bytes(), after.map(str::as_bytes), limit)
        };
        assert_eq!(page("b/", None, 2), vec![b"b/1".to_vec(), b"b/2".to_vec()]);
        assert_eq!(page("b/", Some("b/2"), 10), vec![b"b/3".to_vec()]);
        assert_eq!(page("b/", Some("a"), 1), vec![b"b/1".to_vec()]);
        assert!(page("b/", Some("b/3"), 10).is_empty());
        assert_eq!(page("", None, 100).len(), 5);
    }
}
