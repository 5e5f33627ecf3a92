//! Proves `range`: any `RangeBounds` of keys gives exactly the model's keys
//! in that range with their values, forward and — the iterator being
//! double-ended — backward, or both ends at once meeting in the middle;
//! ranges larger than a read-ahead chunk and ranges that are empty or
//! inverted; and what a scan sees while writes go on: strict order, no key
//! twice, every key present throughout seen once.

use std::collections::BTreeMap;
use std::ops::Bound;

use anyhow::Result;
use mini_kvstore::{KvStore, MemStorage, Options, SyncPolicy};
use proptest::prelude::*;

type Model = BTreeMap<Vec<u8>, Vec<u8>>;

fn options() -> Options {
    Options::default()
        .max_segment_size(4096)
        .sync_policy(SyncPolicy::Never)
}

fn key(i: u32) -> Vec<u8> {
    format!("k{i:05}").into_bytes()
}

/// A store of `n` keys `k00000`, `k00002`, … (even numbers only, so odd
/// bounds fall between keys), and the model of it.
fn store_of(n: u32) -> Result<(KvStore, Model)> {
    let store = KvStore::open_with(MemStorage::new(), options())?;
    let mut model = Model::new();
    for i in (0..2 * n).step_by(2) {
        let value = format!("value of {i}").into_bytes();
        store.set(key(i), &value)?;
        model.insert(key(i), value);
    }
    Ok((store, model))
}

fn collect(
    iter: impl Iterator<Item = mini_kvstore::Result<(Vec<u8>, Vec<u8>)>>,
) -> Result<Vec<(Vec<u8>, Vec<u8>)>> {
    Ok(iter.collect::<mini_kvstore::Result<_>>()?)
}

fn expected(model: &Model, range: (Bound<Vec<u8>>, Bound<Vec<u8>>)) -> Vec<(Vec<u8>, Vec<u8>)> {
    model
        .range(range)
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

#[test]
fn the_examples_of_the_docs() -> Result<()> {
    let store = KvStore::open_with(MemStorage::new(), options())?;
    for k in ["a", "b", "c", "d"] {
        store.set(k, k)?;
    }
    fn keys(
        iter: impl Iterator<Item = mini_kvstore::Result<(Vec<u8>, Vec<u8>)>>,
    ) -> Result<Vec<String>> {
        collect(iter).map(|pairs| {
            pairs
                .into_iter()
                .map(|(k, _)| String::from_utf8_lossy(&k).into_owned())
                .collect()
        })
    }
    assert_eq!(keys(store.range("b".."d"))?, ["b", "c"]);
    assert_eq!(keys(store.range("b"..="d"))?, ["b", "c", "d"]);
    assert_eq!(keys(store.range("c"..))?, ["c", "d"]);
    assert_eq!(keys(store.range(..="b"))?, ["a", "b"]);
    assert_eq!(keys(store.range("a".."c").rev())?, ["b", "a"]);
    assert_eq!(
        keys(store.range::<&str, _>(..).rev())?,
        ["d", "c", "b", "a"]
    );
    assert!(
        keys(store.range("c".."b"))?.is_empty(),
        "an inverted range is empty"
    );
    assert!(keys(store.range("b".."b"))?.is_empty());
    Ok(())
}

#[test]
fn a_range_larger_than_a_chunk_comes_whole_both_ways() -> Result<()> {
    let (store, model) = store_of(1000)?;
    let forward = collect(store.range(key(101)..key(1701)))?;
    let range = (Bound::Included(key(101)), Bound::Excluded(key(1701)));
    assert_eq!(forward, expected(&model, range.clone()));
    assert_eq!(forward.len(), 800);
    let mut backward = collect(store.range(key(101)..key(1701)).rev())?;
    backward.reverse();
    assert_eq!(backward, forward);
    assert_eq!(collect(store.iter())?.len(), 1000);
    Ok(())
}

#[test]
fn both_ends_meet_in_the_middle_without_a_key_twice() -> Result<()> {
    let (store, model) = store_of(300)?;
    let mut iter = store.range::<Vec<u8>, _>(..);
    let (mut low, mut high) = (Vec::new(), Vec::new());
    // Alternate unevenly, so the ends meet inside a chunk one end read.
    let mut turn = 0u32;
    loop {
        let next = if turn.is_multiple_of(3) {
            iter.next_back()
        } else {
            iter.next()
        };
        match next {
            Some(item) => {
                let (k, v) = item?;
                if turn.is_multiple_of(3) {
                    high.push((k, v));
                } else {
                    low.push((k, v));
                }
            }
            None => break,
        }
        turn += 1;
    }
    high.reverse();
    low.extend(high);
    assert_eq!(low, expected(&model, (Bound::Unbounded, Bound::Unbounded)));
    Ok(())
}

#[test]
fn a_scan_during_writes_is_ordered_and_sees_every_key_present_throughout() -> Result<()> {
    let (store, _) = store_of(500)?;
    let writer = {
        let store = store.clone();
        std::thread::spawn(move || -> mini_kvstore::Result<()> {
            // Odd keys come and go; even keys are only overwritten.
            for round in 0..20u32 {
                for i in (1..1000).step_by(2) {
                    if round.is_multiple_of(2) {
                        store.set(key(i), b"new")?;
                    } else {
                        store.delete(key(i))?;
                    }
                }
                for i in (0..1000).step_by(20) {
                    store.set(key(i), format!("round {round}"))?;
                }
            }
            Ok(())
        })
    };
    for direction in 0..10u32 {
        let mut seen: Vec<Vec<u8>> = if direction.is_multiple_of(2) {
            collect(store.iter())?.into_iter().map(|(k, _)| k).collect()
        } else {
            let mut keys: Vec<Vec<u8>> = collect(store.iter().rev())?
                .into_iter()
                .map(|(k, _)| k)
                .collect();
            keys.reverse();
            keys
        };
        assert!(
            seen.windows(2).all(|w| w[0] < w[1]),
            "out of order or twice"
        );
        seen.retain(|k| {
            let n: u32 = String::from_utf8_lossy(&k[1..]).parse().unwrap_or(1);
            n.is_multiple_of(2)
        });
        let evens: Vec<Vec<u8>> = (0..1000).step_by(2).map(key).collect();
        assert_eq!(seen, evens, "every key present throughout is seen once");
    }
    writer
        .join()
        .map_err(|_| anyhow::anyhow!("writer panicked"))??;
    Ok(())
}

fn bound() -> impl Strategy<Value = Bound<Vec<u8>>> {
    prop_oneof![
        Just(Bound::Unbounded),
        (0u32..130).prop_map(|i| Bound::Included(key(i))),
        (0u32..130).prop_map(|i| Bound::Excluded(key(i))),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn every_range_matches_the_model_both_ways(start in bound(), end in bound(), n in 0u32..64) {
        let (store, model) = store_of(n).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let inverted = matches!((&start, &end), (Bound::Included(s) | Bound::Excluded(s), Bound::Included(e) | Bound::Excluded(e)) if s > e)
            || matches!((&start, &end), (Bound::Excluded(s), Bound::Excluded(e)) if s == e);
        let want = if inverted { Vec::new() } else { expected(&model, (start.clone(), end.clone())) };
        let got = collect(store.range((start.clone(), end.clone()))).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(&got, &want);
        let mut back = collect(store.range((start, end)).rev()).map_err(|e| TestCaseError::fail(e.to_string()))?;
        back.reverse();
        prop_assert_eq!(back, want);
    }
}
