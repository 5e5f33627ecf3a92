//! Model-based property test: random sequences of set / delete / compact /
//! reopen / sync over a small key space, on a store with tiny (200-byte)
//! segments so rotation and compaction happen all the time, must behave
//! exactly like a `BTreeMap`. After every operation every key of the key
//! space reads as the model says, `keys()` equals the model's keys, and the
//! return values of `set_versioned` / `delete` match the model. Runs on
//! `MemStorage` (reopen = drop + `open_with` on a clone of the same storage)
//! and, with fewer cases, on real files.

use std::collections::BTreeMap;

use anyhow::{Result, ensure};
use mini_kvstore::{KvStore, MemStorage, Options, SyncPolicy};
use proptest::prelude::*;

const KEY_SPACE: u8 = 8;

#[derive(Debug, Clone)]
enum Op {
    Set(u8, Vec<u8>),
    Delete(u8),
    Compact,
    Reopen,
    Sync,
}

fn key_name(k: u8) -> Vec<u8> {
    // Keys of different lengths, one a prefix of another, one with 0x00/0xFF.
    match k {
        0 => b"a".to_vec(),
        1 => b"ab".to_vec(),
        2 => vec![0x00],
        3 => vec![0xFF, 0x00],
        _ => format!("key-{k}").into_bytes(),
    }
}

fn op_strategy() -> impl Strategy<Value = Op> {
    prop_oneof![
        8 => (0..KEY_SPACE, prop::collection::vec(any::<u8>(), 0..48)).prop_map(|(k, v)| Op::Set(k, v)),
        3 => (0..KEY_SPACE).prop_map(Op::Delete),
        1 => Just(Op::Compact),
        1 => Just(Op::Reopen),
        1 => Just(Op::Sync),
    ]
}

fn options() -> Options {
    Options::default().max_segment_size(200)
}

/// Applies `ops` to a store (re)opened by `open` and to a `BTreeMap`,
/// comparing them after every step.
fn run(ops: &[Op], open: impl Fn() -> Result<KvStore>) -> Result<()> {
    let mut store = open()?;
    let mut model: BTreeMap<Vec<u8>, Vec<u8>> = BTreeMap::new();
    let mut last_seq = 0;
    for (step, op) in ops.iter().enumerate() {
        match op {
            Op::Set(k, v) => {
                let outcome = store.set_versioned(key_name(*k), v)?;
                let replaced = model.insert(key_name(*k), v.clone()).is_some();
                ensure!(
                    outcome.replaced == replaced,
                    "step {step} {op:?}: replaced {}",
                    outcome.replaced
                );
                ensure!(
                    outcome.seq > last_seq,
                    "step {step}: seq {} after {last_seq}",
                    outcome.seq
                );
                last_seq = outcome.seq;
            }
            Op::Delete(k) => {
                let existed = store.delete(key_name(*k))?;
                ensure!(
                    existed == model.remove(&key_name(*k)).is_some(),
                    "step {step} {op:?}: returned {existed}"
                );
            }
            Op::Compact => {
                store.compact()?;
            }
            Op::Reopen => {
                drop(store);
                store = open()?;
                let report = store.recovery_report();
                ensure!(
                    report.truncated.is_empty() && report.corrupt.is_empty(),
                    "step {step}: a clean reopen found damage: {:?} {:?}",
                    report.truncated,
                    report.corrupt
                );
            }
            Op::Sync => store.sync()?,
        }
        for k in 0..KEY_SPACE {
            let key = key_name(k);
            let got = store.get(&key)?;
            ensure!(
                got.as_ref() == model.get(&key),
                "step {step} after {op:?}: key {key:?} is {got:?}, model says {:?}",
                model.get(&key)
            );
            ensure!(
                store.contains_key(&key) == model.contains_key(&key),
                "step {step}: contains_key {key:?}"
            );
        }
        let model_keys: Vec<Vec<u8>> = model.keys().cloned().collect();
        ensure!(
            store.keys() == model_keys,
            "step {step} after {op:?}: keys() differ"
        );
        ensure!(
            store.len() == model.len(),
            "step {step}: len {} vs {}",
            store.len(),
            model.len()
        );
        let stats = store.stats();
        ensure!(
            stats.live_bytes + stats.dead_bytes == stats.total_bytes,
            "step {step}: {stats:?}"
        );
        ensure!(
            stats.next_seq > last_seq,
            "step {step}: next_seq {} <= {last_seq}",
            stats.next_seq
        );
    }
    let scanned = store.iter().collect::<Result<Vec<_>, _>>()?;
    let expected: Vec<(Vec<u8>, Vec<u8>)> = model.into_iter().collect();
    ensure!(
        scanned == expected,
        "iter() differs from the model at the end"
    );
    ensure!(
        store.verify()?.is_clean(),
        "verify found damage in a store nobody damaged"
    );
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn mem_store_behaves_like_a_btreemap(ops in prop::collection::vec(op_strategy(), 1..60)) {
        let mem = MemStorage::new();
        let result = run(&ops, || Ok(KvStore::open_with(mem.clone(), options())?));
        prop_assert!(result.is_ok(), "{}", result.err().map(|e| format!("{e:#}")).unwrap_or_default());
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(16))]

    #[test]
    fn file_store_behaves_like_a_btreemap(ops in prop::collection::vec(op_strategy(), 1..60)) {
        let dir = tempfile::tempdir().map_err(|e| TestCaseError::fail(e.to_string()))?;
        // Reopen here is a clean drop, so skipping fsync loses nothing and
        // keeps the file variant fast.
        let options = || options().sync_policy(SyncPolicy::Never);
        let result = run(&ops, || Ok(KvStore::open_with_options(dir.path(), options())?));
        prop_assert!(result.is_ok(), "{}", result.err().map(|e| format!("{e:#}")).unwrap_or_default());
    }
}
