//! The in-memory picture of the store: where every live key's record is, and
//! how many live bytes each segment holds.
//!
//! Values stay on storage; the index holds only a [`Location`] per key, so
//! memory grows with the number and length of keys, not with value sizes. The
//! map is ordered so prefix scans and pages are range queries.

use std::collections::BTreeMap;
use std::ops::Bound;

use serde::Serialize;

use crate::compaction::LayoutSnapshot;
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

/// Keys up to this many bytes live inside the index entry itself.
const INLINE_KEY: usize = 22;

/// A key as the index stores it. Short keys (the common case) are kept inline
/// in the map's nodes: a lookup compares keys without following a pointer to
/// a separate allocation for every comparison — which profiling showed was
/// most of the cost of a `get` — and a short key costs no allocation at all.
#[derive(Clone)]
pub(crate) enum IndexKey {
    Inline { len: u8, bytes: [u8; INLINE_KEY] },
    Heap(Box<[u8]>),
}

impl From<&[u8]> for IndexKey {
    fn from(key: &[u8]) -> Self {
        if key.len() <= INLINE_KEY {
            let mut bytes = [0u8; INLINE_KEY];
            bytes[..key.len()].copy_from_slice(key);
            IndexKey::Inline {
                len: key.len() as u8,
                bytes,
            }
        } else {
            IndexKey::Heap(key.into())
        }
    }
}

impl std::ops::Deref for IndexKey {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        match self {
            IndexKey::Inline { len, bytes } => &bytes[..usize::from(*len)],
            IndexKey::Heap(bytes) => bytes,
        }
    }
}

impl std::borrow::Borrow<[u8]> for IndexKey {
    fn borrow(&self) -> &[u8] {
        self
    }
}

// Order, equality and hashing are those of the bytes, as `Borrow` requires.
impl PartialEq for IndexKey {
    fn eq(&self, other: &Self) -> bool {
        **self == **other
    }
}

impl Eq for IndexKey {}

impl PartialOrd for IndexKey {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for IndexKey {
    #[inline]
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        match (self, other) {
            // Two inline keys compare as a few big-endian words instead of
            // through `memcmp`: the map compares keys dozens of times per
            // insert, and the call was a good part of a bulk load. The zero
            // padding keeps the bytes' order: where the shorter key has
            // ended, a padding zero is at most the other key's byte, and if
            // all the rest is equal the shorter key comes first by length.
            (
                IndexKey::Inline { len, bytes },
                IndexKey::Inline {
                    len: other_len,
                    bytes: other_bytes,
                },
            ) => inline_words(bytes)
                .cmp(&inline_words(other_bytes))
                .then(len.cmp(other_len)),
            _ => (**self).cmp(&**other),
        }
    }
}

/// An inline key's padded bytes as integers that order like the bytes.
#[inline]
fn inline_words(bytes: &[u8; INLINE_KEY]) -> (u128, u64) {
    let mut head = [0u8; 16];
    let mut tail = [0u8; 8];
    head.copy_from_slice(&bytes[..16]);
    tail[..INLINE_KEY - 16].copy_from_slice(&bytes[16..]);
    (u128::from_be_bytes(head), u64::from_be_bytes(tail))
}

impl std::fmt::Debug for IndexKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", &**self)
    }
}

/// A Bloom filter over the keys ever inserted since it was last built: a
/// lookup of a key that is not in the store usually ends here, after a few
/// probes into a bit array small enough to stay in the CPU cache, instead of
/// walking the ordered map. Deleted keys stay in it (a filter cannot forget);
/// they only cost that walk. It is rebuilt from the index, twice as large,
/// when more keys went in than it was sized for.
#[derive(Debug, Clone)]
pub(crate) struct KeyFilter {
    bits: Vec<u64>,
    /// Number of bits − 1 (a power of two − 1).
    mask: u64,
    inserted: usize,
    capacity: usize,
}

/// About 1 % false positives at capacity (a little more, for the blocking).
const FILTER_BITS_PER_KEY: usize = 10;
const FILTER_PROBES: u64 = 4;

impl KeyFilter {
    pub(crate) fn with_capacity(keys: usize) -> Self {
        let capacity = keys.max(1024);
        let bits = (capacity * FILTER_BITS_PER_KEY)
            .next_power_of_two()
            .max(512);
        KeyFilter {
            bits: vec![0; bits / 64],
            mask: bits as u64 - 1,
            inserted: 0,
            capacity,
        }
    }

    /// The bits a key sets: all within one 512-bit block (one cache line),
    /// so a lookup costs one cache miss rather than one per probe.
    fn probes(&self, key: &[u8]) -> impl Iterator<Item = u64> + use<> {
        let hash = hash64(key);
        let block = (hash & self.mask) & !511;
        let bits = hash.rotate_left(32);
        (0..FILTER_PROBES).map(move |i| block | ((bits >> (i * 9)) & 511))
    }

    pub(crate) fn insert(&mut self, key: &[u8]) {
        self.set_bits(key);
        self.inserted += 1;
    }

    /// Sets a key's bits without counting it: for keys that are in the
    /// filter already, or counted apart.
    fn set_bits(&mut self, key: &[u8]) {
        for bit in self.probes(key) {
            self.bits[(bit / 64) as usize] |= 1 << (bit % 64);
        }
    }

    /// `false` means the key is certainly absent.
    pub(crate) fn may_contain(&self, key: &[u8]) -> bool {
        self.probes(key)
            .all(|bit| self.bits[(bit / 64) as usize] & (1 << (bit % 64)) != 0)
    }

    fn is_full(&self) -> bool {
        self.inserted > self.capacity
    }
}

impl Default for KeyFilter {
    fn default() -> Self {
        Self::with_capacity(0)
    }
}

/// A fast 64-bit hash for the filter (not for anything adversarial: a
/// crafted collision only costs a map lookup).
fn hash64(key: &[u8]) -> u64 {
    let mut h = 0x9E37_79B9_7F4A_7C15 ^ key.len() as u64;
    for chunk in key.chunks(8) {
        let mut word = [0u8; 8];
        word[..chunk.len()].copy_from_slice(chunk);
        h = (h ^ u64::from_le_bytes(word)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        h ^= h >> 29;
    }
    h = (h ^ (h >> 32)).wrapping_mul(0x94D0_49BB_1331_11EB);
    h ^ (h >> 29)
}

/// Index plus per-segment accounting, kept consistent with each other.
#[derive(Debug, Default)]
pub(crate) struct State {
    pub index: BTreeMap<IndexKey, Location>,
    pub filter: KeyFilter,
    pub segments: BTreeMap<SegmentId, SegmentInfo>,
    pub corrupt: Vec<CorruptRange>,
}

impl State {
    /// Points `key` at `location`; returns the location it replaces.
    pub(crate) fn insert(&mut self, key: &[u8], location: Location) -> Option<Location> {
        let previous = self.insert_unfiltered(key, location);
        if previous.is_none() {
            self.filter.insert(key);
            if self.filter.is_full() {
                self.rebuild_filter();
            }
        }
        previous
    }

    /// Applies a write batch's changes in order — a location puts the key
    /// there, `None` removes it — and then adds the put keys to the filter
    /// in a pass of their own. Each filter insert is a cache miss into a
    /// large bit array; between the tree descents of single inserts those
    /// misses are taken one at a time, while a loop of nothing but them lets
    /// the processor have many in flight at once.
    pub(crate) fn apply_batch<'k>(
        &mut self,
        changes: impl Iterator<Item = (&'k [u8], Option<Location>)> + Clone,
    ) {
        let mut new_keys = 0;
        for (key, location) in changes.clone() {
            match location {
                Some(location) => {
                    if self.insert_unfiltered(key, location).is_none() {
                        new_keys += 1;
                    }
                }
                None => {
                    self.remove(key);
                }
            }
        }
        // Keys that were there already have their bits set: setting them
        // again changes nothing, so only the new ones are counted. (A key
        // put and then removed in the batch stays in the filter, as any
        // deleted key does.)
        for (key, _) in changes.filter(|(_, location)| location.is_some()) {
            self.filter.set_bits(key);
        }
        self.filter.inserted += new_keys;
        if self.filter.is_full() {
            self.rebuild_filter();
        }
    }

    /// Puts `key` in the index and the accounting, but not in the filter.
    fn insert_unfiltered(&mut self, key: &[u8], location: Location) -> Option<Location> {
        self.add_live(location.segment, u64::from(location.len));
        // One descent of the tree whether the key is new or not (a short key
        // costs nothing to build up front: it is stored inline).
        let previous = match self.index.entry(IndexKey::from(key)) {
            std::collections::btree_map::Entry::Occupied(mut slot) => {
                Some(std::mem::replace(slot.get_mut(), location))
            }
            std::collections::btree_map::Entry::Vacant(slot) => {
                slot.insert(location);
                None
            }
        };
        if let Some(old) = previous {
            self.sub_live(old.segment, u64::from(old.len));
        }
        previous
    }

    /// Where `key`'s record is, if it has one.
    pub(crate) fn get(&self, key: &[u8]) -> Option<Location> {
        if !self.filter.may_contain(key) {
            return None;
        }
        if key.len() <= INLINE_KEY {
            // Copying a short key into an `IndexKey` costs less than the
            // slice comparisons it saves on the way down the tree.
            self.index.get(&IndexKey::from(key)).copied()
        } else {
            self.index.get(key).copied()
        }
    }

    /// Where each of `keys` — in increasing order — has its record, as
    /// [`get`](Self::get) would say. Keys that were neighbours in the index
    /// are found by walking it from the first, not by a descent each; if the
    /// walk meets many keys that are not asked for, the rest are looked up
    /// one by one.
    pub(crate) fn locate_sorted(&self, keys: &[Vec<u8>]) -> Vec<Option<Location>> {
        debug_assert!(keys.windows(2).all(|w| w[0] < w[1]));
        let (Some(first), Some(last)) = (keys.first(), keys.last()) else {
            return Vec::new();
        };
        let mut walk = self
            .index
            .range::<[u8], _>((Bound::Included(&first[..]), Bound::Included(&last[..])))
            .peekable();
        let mut budget = 4 * keys.len();
        let mut found = Vec::with_capacity(keys.len());
        for key in keys {
            while let Some((k, _)) = walk.peek()
                && ***k < key[..]
                && budget > 0
            {
                walk.next();
                budget -= 1;
            }
            if budget == 0 {
                found.push(self.get(key));
                continue;
            }
            found.push(match walk.peek() {
                Some((k, location)) if ***k == key[..] => Some(**location),
                _ => None,
            });
        }
        found
    }

    /// Whether `key` has a value.
    pub(crate) fn contains(&self, key: &[u8]) -> bool {
        self.get(key).is_some()
    }

    /// The layout facts a compaction plan needs, for the segments `include`
    /// accepts and the live keys in them.
    pub(crate) fn snapshot(
        &self,
        active: Option<SegmentId>,
        include: impl Fn(SegmentId) -> bool,
    ) -> LayoutSnapshot {
        LayoutSnapshot {
            segments: self
                .segments
                .iter()
                .filter(|(id, _)| include(**id))
                .map(|(id, info)| (*id, info.len))
                .collect(),
            active,
            live: self
                .index
                .iter()
                .filter(|(_, loc)| include(loc.segment))
                .map(|(key, loc)| (key.to_vec(), *loc))
                .collect(),
        }
    }

    /// Builds the filter anew from the index, with room to grow.
    pub(crate) fn rebuild_filter(&mut self) {
        let mut filter = KeyFilter::with_capacity(self.index.len() * 2);
        for key in self.index.keys() {
            filter.insert(key);
        }
        self.filter = filter;
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
    use proptest::prelude::*;

    /// Short keys over a tiny alphabet with zeros in it, so that prefixes,
    /// trailing zeros and equal keys come up often; some longer than inline.
    fn key() -> impl Strategy<Value = Vec<u8>> {
        prop::collection::vec(prop::sample::select(vec![0u8, 1, 0x7f, 0x80, 0xff]), 0..=26)
    }

    proptest! {
        #[test]
        fn index_keys_order_like_their_bytes(a in key(), b in key()) {
            let (ka, kb) = (IndexKey::from(&a[..]), IndexKey::from(&b[..]));
            prop_assert_eq!(ka.cmp(&kb), a.cmp(&b));
            prop_assert_eq!(ka == kb, a == b);
        }
    }

    #[test]
    fn a_key_with_trailing_zeros_follows_its_prefix() {
        let keys: [&[u8]; 4] = [b"a", b"a\0", b"a\0\0", b"a\x01"];
        for pair in keys.windows(2) {
            assert!(
                IndexKey::from(pair[0]) < IndexKey::from(pair[1]),
                "{pair:?}"
            );
        }
    }

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
    fn keys_order_like_their_bytes_inline_or_not() {
        let long = vec![b'z'; INLINE_KEY + 1];
        let keys: Vec<&[u8]> = vec![b"", b"a", b"ab", &long, b"\xff", &[0u8; INLINE_KEY]];
        for a in &keys {
            for b in &keys {
                let (ka, kb) = (IndexKey::from(*a), IndexKey::from(*b));
                assert_eq!(ka.cmp(&kb), a.cmp(b), "{a:?} vs {b:?}");
                assert_eq!(&*ka, *a);
            }
        }
        assert!(matches!(IndexKey::from(&long[..]), IndexKey::Heap(_)));
        assert!(matches!(
            IndexKey::from(&b"short"[..]),
            IndexKey::Inline { .. }
        ));
        assert_eq!(std::mem::size_of::<IndexKey>(), 24);
    }

    #[test]
    fn the_filter_never_forgets_a_key_and_rejects_most_others() {
        let mut state = state_with_segments(&[1]);
        for i in 0..5000u32 {
            state.insert(format!("key-{i}").as_bytes(), loc(1, u64::from(i), 1, 0));
        }
        assert!(state.filter.capacity >= 5000, "rebuilt as it filled");
        for i in 0..5000u32 {
            assert!(state.contains(format!("key-{i}").as_bytes()));
        }
        let false_positives = (0..10_000u32)
            .filter(|i| state.filter.may_contain(format!("absent-{i}").as_bytes()))
            .count();
        assert!(
            false_positives < 500,
            "{false_positives} of 10000 absent keys passed the filter"
        );
        state.remove(b"key-7");
        assert!(
            !state.contains(b"key-7"),
            "removed keys are gone from lookups"
        );
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

    #[test]
    fn locating_sorted_keys_agrees_with_looking_each_up() {
        let mut state = state_with_segments(&[1]);
        // Even numbers are in the index, odd ones are not.
        for i in (0..2000u32).step_by(2) {
            state.insert(
                format!("k{i:05}").as_bytes(),
                loc(1, u64::from(i) * 10, 10, 0),
            );
        }
        let keys = |range: std::ops::Range<u32>, step: usize| -> Vec<Vec<u8>> {
            range
                .step_by(step)
                .map(|i| format!("k{i:05}").into_bytes())
                .collect()
        };
        for asked in [
            keys(0..0, 1),       // nothing
            keys(100..164, 2),   // neighbours, all there
            keys(100..164, 1),   // every other one missing
            keys(0..2000, 250),  // far apart: the walk gives up, lookups finish
            keys(1990..2100, 1), // running past the last key
        ] {
            let one_by_one: Vec<Option<Location>> = asked.iter().map(|k| state.get(k)).collect();
            assert_eq!(
                state.locate_sorted(&asked),
                one_by_one,
                "{} keys",
                asked.len()
            );
        }
    }
}
