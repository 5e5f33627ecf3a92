//! [`KeyMap`]: the index's ordered map from key to [`Location`], kept as a
//! row of *runs* — each a `BTreeMap` over a range of neighbouring keys —
//! instead of one tree.
//!
//! Why runs: a bulk load hands the index its keys in order, and std's
//! `BTreeMap` takes each of them down the whole tree, comparing it with most
//! keys on the right edge on the way (it has no cursor to insert at the end,
//! and its `append` rebuilds both maps). Here a sorted batch past the last
//! key becomes a run of its own, built in one pass (collecting sorted
//! entries into a `BTreeMap` checks their order once and fills its nodes in
//! sequence, with no descent per key), or is merged into the last run when
//! that is smaller. A lookup first finds its run by a binary search over the
//! runs' first keys — a small array that stays in the CPU cache — then asks
//! the run's own Bloom filter (see `filter`), and only then descends a tree
//! a few levels deep instead of one twice as deep. So a bulk load costs one
//! pass per batch rather than one descent per key (the figures are in
//! docs/BENCHMARKS.md).
//!
//! Single inserts go into the run their key falls in; a run that grows past
//! [`MAX_RUN`] keys splits in two, so random inserts keep runs of a few
//! thousand keys. A run that deletes leave with fewer than [`MIN_KEPT`]
//! keys joins a neighbour when the two fit in a built run, and one that
//! loses its last key goes.

use std::borrow::Borrow;
use std::collections::BTreeMap;
use std::collections::btree_map::Entry;
use std::ops::Bound;

use crate::filter::KeyFilter;
use crate::key::{INLINE_KEY, IndexKey};
use crate::location::Location;

/// A run splits in two when it grows past this many keys. (Unit tests use
/// small runs, so that a few hundred operations split and merge many.)
#[cfg(not(test))]
const MAX_RUN: usize = 8192;
#[cfg(test)]
const MAX_RUN: usize = 64;

/// Runs built from sorted entries hold at most this many keys, so that
/// single inserts into them have room before a split.
const BUILT_RUN: usize = MAX_RUN / 2;

/// Sorted appends shorter than this go in key by key: a run of their own
/// would be too small, and merging them into the last run would move more
/// entries than it saves.
/// A run that deletes leave with fewer keys than this is merged into a
/// neighbour, so that a store which deleted most of its keys does not keep
/// a great many small runs.
const MIN_KEPT: usize = MAX_RUN / 16;

#[cfg(not(test))]
const MIN_BULK: usize = 64;
#[cfg(test)]
const MIN_BULK: usize = 4;

/// The ordered map from key to location, as runs of neighbouring keys.
#[derive(Debug, Default, Clone)]
pub(crate) struct KeyMap {
    /// `firsts[i]` is at most the smallest key of `runs[i]`, and greater
    /// than every key of `runs[i - 1]`: the keys that route to run `i`.
    firsts: Vec<IndexKey>,
    runs: Vec<Run>,
    len: usize,
}

/// A range of neighbouring keys: never empty, and every key of it is in its
/// filter.
#[derive(Debug, Clone)]
struct Run {
    keys: BTreeMap<IndexKey, Location>,
    filter: KeyFilter,
}

impl Run {
    /// A run of `keys`, with a filter sized for `room` keys.
    fn new(keys: BTreeMap<IndexKey, Location>, room: usize) -> Self {
        let filter = KeyFilter::of(keys.keys().map(|key| &**key), room);
        Run { keys, filter }
    }

    /// Builds the filter anew, with room for as many keys again.
    fn rebuild_filter(&mut self) {
        self.filter = KeyFilter::of(self.keys.keys().map(|key| &**key), 2 * self.keys.len());
    }

    fn len(&self) -> usize {
        self.keys.len()
    }
}

impl KeyMap {
    /// A map of `entries`, which must be sorted by key with no key twice.
    pub(crate) fn from_sorted(entries: Vec<(IndexKey, Location)>) -> Self {
        let mut map = KeyMap::default();
        map.append_sorted(entries);
        map
    }

    /// Number of keys.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// The greatest key, if any.
    pub(crate) fn last_key(&self) -> Option<&[u8]> {
        let (key, _) = self.runs.last()?.keys.last_key_value()?;
        Some(key)
    }

    /// The run that holds `key` if anything does, and where it would go: the
    /// last run whose first key is at most `key`, or the first run.
    fn run_of<Q>(&self, key: &Q) -> usize
    where
        IndexKey: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        self.firsts
            .partition_point(|first| first.borrow() <= key)
            .saturating_sub(1)
    }

    /// Where `key`'s record is. A key the store does not hold usually
    /// stops at its run's filter.
    pub(crate) fn get(&self, key: &[u8]) -> Option<&Location> {
        if key.len() <= INLINE_KEY {
            // Copying a short key into an `IndexKey` costs less than the
            // slice comparisons it saves on the way down.
            self.get_by(key, &IndexKey::from(key))
        } else {
            self.get_by(key, key)
        }
    }

    fn get_by<Q>(&self, key: &[u8], probe: &Q) -> Option<&Location>
    where
        IndexKey: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        let run = self.runs.get(self.run_of(probe))?;
        if !run.filter.may_contain(key) {
            return None;
        }
        run.keys.get(probe)
    }

    /// Where `key`'s record is, to be changed in place.
    pub(crate) fn get_mut(&mut self, key: &[u8]) -> Option<&mut Location> {
        let run = self.run_of(key);
        self.runs.get_mut(run)?.keys.get_mut(key)
    }

    /// Points `key` at `location`; returns the location it replaces.
    pub(crate) fn insert(&mut self, key: &[u8], location: Location) -> Option<Location> {
        let index_key = IndexKey::from(key);
        if self.runs.is_empty() {
            self.firsts.push(index_key.clone());
            self.runs
                .push(Run::new(BTreeMap::from([(index_key, location)]), 1));
            self.len = 1;
            return None;
        }
        let i = self.run_of(&index_key);
        if index_key < self.firsts[i] {
            // Only the first run takes keys below its first key.
            self.firsts[i] = index_key.clone();
        }
        let run = &mut self.runs[i];
        match run.keys.entry(index_key) {
            Entry::Occupied(mut slot) => Some(std::mem::replace(slot.get_mut(), location)),
            Entry::Vacant(slot) => {
                slot.insert(location);
                run.filter.insert(key);
                self.len += 1;
                if run.len() > MAX_RUN {
                    self.split(i);
                } else if run.filter.is_full() {
                    run.rebuild_filter();
                }
                None
            }
        }
    }

    /// Splits run `i` at its middle key.
    fn split(&mut self, i: usize) {
        let run = &mut self.runs[i];
        let Some(middle) = run.keys.keys().nth(run.len() / 2).cloned() else {
            return;
        };
        let upper = run.keys.split_off(&middle);
        run.rebuild_filter();
        let upper_len = upper.len();
        let upper = Run::new(upper, 2 * upper_len);
        self.firsts.insert(i + 1, middle);
        self.runs.insert(i + 1, upper);
    }

    /// Forgets `key`; returns where it was.
    pub(crate) fn remove(&mut self, key: &[u8]) -> Option<Location> {
        let i = self.run_of(key);
        let run = self.runs.get_mut(i)?;
        let old = run.keys.remove(key)?;
        self.len -= 1;
        if run.keys.is_empty() {
            self.firsts.remove(i);
            self.runs.remove(i);
        } else if run.len() < MIN_KEPT {
            self.merge_with_a_neighbour(i);
        }
        Some(old)
    }

    /// Merges run `i`, grown small from deletes, into the run before or
    /// after it, if the two fit in a built run's size. (Never more than a
    /// built run: the merged run has room for inserts before it splits, so
    /// deletes and inserts around the limits cannot make it merge and
    /// split in turn.)
    fn merge_with_a_neighbour(&mut self, i: usize) {
        let fits = |a: usize, b: usize| self.runs[a].len() + self.runs[b].len() <= BUILT_RUN;
        let upper = if i > 0 && fits(i - 1, i) {
            i
        } else if i + 1 < self.runs.len() && fits(i, i + 1) {
            i + 1
        } else {
            return;
        };
        // The lower run takes the upper one's keys; its first key still
        // routes them, and the run after the upper one is unchanged.
        let mut absorbed = self.runs.remove(upper);
        self.firsts.remove(upper);
        let lower = &mut self.runs[upper - 1];
        lower.keys.append(&mut absorbed.keys);
        lower.rebuild_filter();
    }

    /// Adds `entries`, whose keys must increase strictly and all be greater
    /// than [`last_key`](Self::last_key), without a lookup per key: as new
    /// runs, or merged into the last run when that is smaller.
    pub(crate) fn append_sorted(&mut self, entries: Vec<(IndexKey, Location)>) {
        debug_assert!(entries.windows(2).all(|w| w[0].0 < w[1].0));
        debug_assert!(
            self.last_key()
                .zip(entries.first())
                .is_none_or(|(last, (first, _))| last < &**first)
        );
        if entries.len() < MIN_BULK {
            for (key, location) in entries {
                self.insert(&key, location);
            }
            return;
        }
        let mut entries = entries.into_iter().peekable();
        while let Some((first, _)) = entries.peek() {
            let first = first.clone();
            // Sorted input: collected node by node (`collect` finds the
            // input sorted in one pass and builds no tree key by key).
            let mut built: BTreeMap<IndexKey, Location> =
                entries.by_ref().take(BUILT_RUN).collect();
            let added = built.len();
            self.len += added;
            match self.runs.last_mut() {
                // Merging rebuilds the last run, comparing as it goes: worth
                // it only while the last run is the smaller one.
                Some(last) if last.len() < added => {
                    last.keys.append(&mut built);
                    last.rebuild_filter();
                }
                _ => {
                    self.firsts.push(first);
                    // Sized to what it holds: most runs built from a bulk
                    // load are never written to again.
                    self.runs.push(Run::new(built, added));
                }
            }
        }
    }

    /// Every entry, in key order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (&IndexKey, &Location)> {
        self.runs.iter().flat_map(|run| run.keys.iter())
    }

    /// The entries from `start` on, in key order.
    pub(crate) fn range_from<'a>(
        &'a self,
        start: Bound<&'a [u8]>,
    ) -> impl Iterator<Item = (&'a IndexKey, &'a Location)> + 'a {
        let first_run = match start {
            Bound::Included(key) | Bound::Excluded(key) => self.run_of(key),
            Bound::Unbounded => 0,
        };
        self.runs[first_run.min(self.runs.len())..]
            .iter()
            .flat_map(move |run| run.keys.range::<[u8], _>((start, Bound::Unbounded)))
    }

    /// Entries with keys below `end`, greatest first.
    pub(crate) fn range_back<'a>(
        &'a self,
        end: Bound<&'a [u8]>,
    ) -> impl Iterator<Item = (&'a IndexKey, &'a Location)> + 'a {
        let last_run = match end {
            Bound::Included(key) | Bound::Excluded(key) => self.run_of(key) + 1,
            Bound::Unbounded => self.runs.len(),
        };
        self.runs[..last_run.min(self.runs.len())]
            .iter()
            .rev()
            .flat_map(move |run| run.keys.range::<[u8], _>((Bound::Unbounded, end)).rev())
    }

    /// Checks the invariants (tests only).
    #[cfg(test)]
    fn check(&self) {
        assert_eq!(self.firsts.len(), self.runs.len());
        assert_eq!(self.runs.iter().map(Run::len).sum::<usize>(), self.len);
        for (i, run) in self.runs.iter().enumerate() {
            assert!(!run.keys.is_empty(), "run {i} is empty");
            assert!(run.len() <= MAX_RUN, "run {i} has {} keys", run.len());
            assert!(
                run.keys.keys().all(|key| run.filter.may_contain(key)),
                "run {i}'s filter forgot a key"
            );
            let (smallest, _) = run.keys.first_key_value().expect("not empty");
            assert!(
                self.firsts[i] <= *smallest,
                "run {i} starts below its first key"
            );
            if i > 0 {
                let (largest_before, _) =
                    self.runs[i - 1].keys.last_key_value().expect("not empty");
                assert!(
                    *largest_before < self.firsts[i],
                    "runs {} and {i} overlap",
                    i - 1
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::SegmentId;
    use proptest::prelude::*;

    fn at(offset: u64) -> Location {
        Location {
            offset,
            segment: SegmentId(1),
            len: 1,
        }
    }

    /// What the map is asked to do, checked against a `BTreeMap`.
    #[derive(Debug, Clone)]
    enum Op {
        Insert(u16, u64),
        /// Removes a key that may or may not be there.
        Remove(u16),
        /// Removes one of the keys there, so runs shrink and merge.
        RemovePresent(prop::sample::Index),
        /// Appends this many keys past the last one, `step` apart.
        Append {
            count: usize,
            step: u16,
        },
    }

    /// Keys `keys`, each pointing at offset 0, ready for `append_sorted`.
    fn entries(keys: impl Iterator<Item = u32>) -> Vec<(IndexKey, Location)> {
        keys.map(|k| (IndexKey::from(&key(k)[..]), at(0))).collect()
    }

    fn key(k: u32) -> Vec<u8> {
        // Some keys longer than the inline limit, so both kinds are routed.
        if k.is_multiple_of(7) {
            format!("{k:08}-and-a-long-tail-past-inline").into_bytes()
        } else {
            format!("{k:08}").into_bytes()
        }
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            4 => (0u16..2000, any::<u64>()).prop_map(|(k, v)| Op::Insert(k, v)),
            1 => (0u16..2000).prop_map(Op::Remove),
            4 => any::<prop::sample::Index>().prop_map(Op::RemovePresent),
            1 => (0usize..3 * BUILT_RUN, 1u16..4).prop_map(|(count, step)| Op::Append { count, step }),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn behaves_like_one_ordered_map(ops in prop::collection::vec(op(), 1..200)) {
            let mut map = KeyMap::default();
            let mut model: BTreeMap<Vec<u8>, Location> = BTreeMap::new();
            // Appended keys live above every key an insert can pick.
            let mut next_appended = 1u32 << 16;
            for op in ops {
                match op {
                    Op::Insert(k, v) => {
                        let k = key(u32::from(k));
                        prop_assert_eq!(map.insert(&k, at(v)), model.insert(k, at(v)));
                    }
                    Op::Remove(k) => {
                        let k = key(u32::from(k));
                        prop_assert_eq!(map.remove(&k), model.remove(&k));
                    }
                    Op::RemovePresent(index) => {
                        if model.is_empty() {
                            continue;
                        }
                        let k = model.keys().nth(index.index(model.len())).cloned().unwrap_or_default();
                        prop_assert_eq!(map.remove(&k), model.remove(&k));
                    }
                    Op::Append { count, step } => {
                        let mut entries = Vec::new();
                        for _ in 0..count {
                            let k = key(next_appended);
                            next_appended += u32::from(step);
                            model.insert(k.clone(), at(u64::from(next_appended)));
                            entries.push((IndexKey::from(&k[..]), at(u64::from(next_appended))));
                        }
                        map.append_sorted(entries);
                    }
                }
                map.check();
            }
            prop_assert_eq!(map.len(), model.len());
            let all: Vec<(Vec<u8>, Location)> = map.iter().map(|(k, l)| (k.to_vec(), *l)).collect();
            let expected: Vec<(Vec<u8>, Location)> = model.iter().map(|(k, l)| (k.clone(), *l)).collect();
            prop_assert_eq!(all, expected);
            prop_assert_eq!(map.last_key(), model.keys().next_back().map(Vec::as_slice));
            for probe in [0u32, 5, 70, 1999, 1 << 16, (1 << 16) + 3, u32::MAX] {
                let probe = key(probe);
                prop_assert_eq!(map.get(&probe), model.get(&probe));
                for start in [Bound::Included(&probe[..]), Bound::Excluded(&probe[..])] {
                    let got: Vec<Vec<u8>> = map.range_from(start).take(50).map(|(k, _)| k.to_vec()).collect();
                    let want: Vec<Vec<u8>> = model
                        .range::<[u8], _>((start, Bound::Unbounded))
                        .take(50)
                        .map(|(k, _)| k.clone())
                        .collect();
                    prop_assert_eq!(got, want);
                    let got: Vec<Vec<u8>> = map.range_back(start).take(50).map(|(k, _)| k.to_vec()).collect();
                    let want: Vec<Vec<u8>> = model
                        .range::<[u8], _>((Bound::Unbounded, start))
                        .rev()
                        .take(50)
                        .map(|(k, _)| k.clone())
                        .collect();
                    prop_assert_eq!(got, want);
                }
            }
            let every_back: Vec<Vec<u8>> = map.range_back(Bound::Unbounded).map(|(k, _)| k.to_vec()).collect();
            let want_back: Vec<Vec<u8>> = model.keys().rev().cloned().collect();
            prop_assert_eq!(every_back, want_back);
        }
    }

    #[test]
    fn a_sorted_load_becomes_runs_and_inserts_split_them() {
        let entries: Vec<(IndexKey, Location)> = (0..1000u32)
            .map(|i| (IndexKey::from(&key(10 * i)[..]), at(u64::from(i))))
            .collect();
        let mut map = KeyMap::from_sorted(entries);
        map.check();
        let built = 1000usize.div_ceil(BUILT_RUN);
        assert_eq!(map.runs.len(), built);
        // Fill the gaps of the first run many times over: it splits.
        let gaps = (1..10 * BUILT_RUN as u32).filter(|k| !k.is_multiple_of(10));
        for k in gaps.clone() {
            assert_eq!(map.insert(&key(k), at(0)), None);
        }
        map.check();
        assert!(map.runs.len() > built + 2, "{} runs", map.runs.len());
        assert!(gaps.clone().all(|k| map.get(&key(k)) == Some(&at(0))));
        assert_eq!(map.get(&key(10 * 999)), Some(&at(999)));
    }

    #[test]
    fn appends_merge_into_a_smaller_last_run() {
        let mut map = KeyMap::default();
        // Three keys inserted one by one, then a bulk append.
        for k in 0..3 {
            map.insert(&key(k), at(0));
        }
        let batch = MIN_BULK as u32;
        map.append_sorted(entries(3..3 + batch));
        map.check();
        assert_eq!(map.runs.len(), 1, "the small run took the append");
        map.append_sorted(entries(3 + batch..3 + 2 * batch));
        map.check();
        assert_eq!(
            map.runs.len(),
            2,
            "a run as large as the append stays apart"
        );
    }

    #[test]
    fn a_run_that_deletes_leave_small_joins_a_neighbour() {
        let mut map = KeyMap::from_sorted(entries(0..3 * BUILT_RUN as u32));
        assert_eq!(map.runs.len(), 3);
        // Empty the first run to half, then the middle one down to a few
        // keys: it joins the first (the third is too full to take it).
        for i in 0..BUILT_RUN as u32 / 2 {
            assert!(map.remove(&key(i)).is_some());
        }
        assert_eq!(map.runs.len(), 3, "half a run is not small");
        let middle = BUILT_RUN as u32..2 * BUILT_RUN as u32;
        for i in middle.clone().skip(MIN_KEPT - 1) {
            assert!(map.remove(&key(i)).is_some());
        }
        map.check();
        assert_eq!(map.runs.len(), 2, "the middle run joined the first");
        for i in middle.take(MIN_KEPT - 1) {
            assert_eq!(map.get(&key(i)), Some(&at(0)), "{i}");
        }
    }

    #[test]
    fn removing_every_key_of_a_run_drops_it() {
        let mut map = KeyMap::from_sorted(entries(0..2 * BUILT_RUN as u32));
        assert_eq!(map.runs.len(), 2);
        for i in 0..BUILT_RUN as u32 {
            assert!(map.remove(&key(i)).is_some());
        }
        map.check();
        assert_eq!(map.runs.len(), 1);
        // A key below every other one still finds a run.
        assert_eq!(map.insert(&key(0), at(9)), None);
        map.check();
        assert_eq!(map.get(&key(0)), Some(&at(9)));
    }
}
