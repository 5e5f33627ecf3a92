//! A model-based state-machine test with crashes: random sequences of set,
//! set with a time to live (long, or zero: expired at once), delete, write batch, compact, a merge the compaction policy chooses (run
//! now, so the sequence stays deterministic), sync, clean reopen and crash
//! (three kinds), under
//! `SyncPolicy::Always` and `SyncPolicy::Never`, checked against a
//! `BTreeMap` model that knows what is durable.
//!
//! The model keeps the state after every acknowledged operation and the
//! point from which on everything is durable (each write under `Always`;
//! the last `sync`, compaction or clean reopen under `Never`). After a crash
//! the store must hold exactly one of the states from that point on — a
//! prefix of the history, never a mix, never a deleted key come back — and
//! after a crash that kept every written byte, exactly the latest state.

use std::collections::BTreeMap;

use mini_kvstore::storage::{CrashMode, FaultyStorage};
use mini_kvstore::{CompactionPolicy, KvStore, MemStorage, Options, SyncPolicy, WriteBatch};
use proptest::prelude::*;

type State = BTreeMap<Vec<u8>, Vec<u8>>;

#[derive(Debug, Clone)]
enum Op {
    Set(u8, Vec<u8>),
    /// `set_with_ttl`: `true` an hour (a set, for the test), `false` zero
    /// (expired the moment it is written: for the model, a delete).
    SetWithTtl(u8, Vec<u8>, bool),
    Delete(u8),
    /// A `WriteBatch`: `Some(value)` sets, `None` deletes.
    Batch(Vec<(u8, Option<Vec<u8>>)>),
    Compact,
    /// `compact_by_policy`, with triggers low enough that small stores merge.
    CompactByPolicy,
    Sync,
    Reopen,
    Crash(CrashMode),
}

const KEYS: u8 = 6;

fn key(k: u8) -> Vec<u8> {
    format!("k{k}").into_bytes()
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        10 => (0..KEYS, prop::collection::vec(any::<u8>(), 0..40)).prop_map(|(k, v)| Op::Set(k, v)),
        3 => (0..KEYS, prop::collection::vec(any::<u8>(), 0..40), any::<bool>())
            .prop_map(|(k, v, lives)| Op::SetWithTtl(k, v, lives)),
        4 => (0..KEYS).prop_map(Op::Delete),
        3 => prop::collection::vec(
            (0..KEYS, prop::option::weighted(0.7, prop::collection::vec(any::<u8>(), 0..40))),
            1..6
        )
        .prop_map(Op::Batch),
        1 => Just(Op::Compact),
        3 => Just(Op::CompactByPolicy),
        1 => Just(Op::Sync),
        1 => Just(Op::Reopen),
        2 => prop_oneof![
            Just(CrashMode::DropUnsynced),
            Just(CrashMode::KeepUnsynced),
            Just(CrashMode::KillProcess),
            (0usize..40).prop_map(|keep| CrashMode::TearLastAppend { keep }),
        ]
        .prop_map(Op::Crash),
    ]
}

struct Model {
    /// States after each acknowledged operation; the last is the current one.
    history: Vec<State>,
    /// Index into `history` of the oldest state a crash may return to.
    durable_from: usize,
}

impl Model {
    fn current(&self) -> &State {
        self.history.last().expect("history is never empty")
    }

    fn apply(&mut self, change: impl FnOnce(&mut State), durable: bool) {
        let mut next = self.current().clone();
        change(&mut next);
        self.history.push(next);
        if durable {
            self.everything_durable();
        }
    }

    fn everything_durable(&mut self) {
        self.durable_from = self.history.len() - 1;
    }

    fn restart_from(&mut self, state: State) {
        self.history = vec![state];
        self.durable_from = 0;
    }
}

fn read_all(store: &KvStore) -> Result<State, TestCaseError> {
    let mut state = State::new();
    for k in 0..KEYS {
        if let Some(v) = store
            .get(key(k))
            .map_err(|e| TestCaseError::fail(format!("get: {e}")))?
        {
            state.insert(key(k), v);
        }
    }
    prop_assert_eq!(store.keys(), state.keys().cloned().collect::<Vec<_>>());
    Ok(state)
}

fn run(ops: Vec<Op>, policy: SyncPolicy) -> Result<(), TestCaseError> {
    // Merges run only as operations of the sequence, so that each run is
    // the same every time and shrinks to a short case when it fails.
    let merges = CompactionPolicy::default()
        .background(false)
        .fragmentation_trigger(0.3)
        .fragmentation_threshold(0.1);
    let options = Options::default()
        .max_segment_size(160)
        .sync_policy(policy)
        .compaction_policy(merges);
    let always = policy == SyncPolicy::Always;
    let open = |storage: &FaultyStorage| {
        KvStore::open_with(storage.clone(), options.clone())
            .map_err(|e| TestCaseError::fail(format!("open: {e}")))
    };
    let mut storage = FaultyStorage::new(MemStorage::new()).expect("storage");
    let mut store = open(&storage)?;
    let mut model = Model {
        history: vec![State::new()],
        durable_from: 0,
    };
    for (step, op) in ops.into_iter().enumerate() {
        match op {
            Op::Set(k, v) => {
                store
                    .set(key(k), &v)
                    .map_err(|e| TestCaseError::fail(format!("set: {e}")))?;
                model.apply(|s| drop(s.insert(key(k), v)), always);
            }
            Op::SetWithTtl(k, v, lives) => {
                let ttl = if lives {
                    std::time::Duration::from_secs(3600)
                } else {
                    std::time::Duration::ZERO
                };
                store
                    .set_with_ttl(key(k), &v, ttl)
                    .map_err(|e| TestCaseError::fail(format!("set_with_ttl: {e}")))?;
                if lives {
                    model.apply(|s| drop(s.insert(key(k), v)), always);
                } else {
                    model.apply(|s| drop(s.remove(&key(k))), always);
                }
            }
            Op::Delete(k) => {
                let existed = store
                    .delete(key(k))
                    .map_err(|e| TestCaseError::fail(format!("delete: {e}")))?;
                prop_assert_eq!(
                    existed,
                    model.current().contains_key(&key(k)),
                    "step {}",
                    step
                );
                if existed {
                    model.apply(|s| drop(s.remove(&key(k))), always);
                }
            }
            Op::Batch(changes) => {
                let mut batch = WriteBatch::new();
                for (k, v) in &changes {
                    match v {
                        Some(v) => batch.set(key(*k), v),
                        None => batch.delete(key(*k)),
                    };
                }
                store
                    .apply(batch)
                    .map_err(|e| TestCaseError::fail(format!("apply: {e}")))?;
                // One step of the history: a crash may keep all of it or none.
                model.apply(
                    |s| {
                        for (k, v) in changes {
                            match v {
                                Some(v) => drop(s.insert(key(k), v)),
                                None => drop(s.remove(&key(k))),
                            }
                        }
                    },
                    always,
                );
            }
            Op::Compact => {
                store
                    .compact()
                    .map_err(|e| TestCaseError::fail(format!("compact: {e}")))?;
                model.everything_durable();
            }
            Op::CompactByPolicy => {
                // A partial merge syncs its outputs, not the active segment:
                // nothing new becomes durable.
                store
                    .compact_by_policy()
                    .map_err(|e| TestCaseError::fail(format!("compact_by_policy: {e}")))?;
            }
            Op::Sync => {
                store
                    .sync()
                    .map_err(|e| TestCaseError::fail(format!("sync: {e}")))?;
                model.everything_durable();
            }
            Op::Reopen => {
                drop(store);
                store = open(&storage)?;
                model.everything_durable();
            }
            Op::Crash(mode) => {
                let image = storage.crash_image(mode).expect("crash image");
                drop(store);
                storage = FaultyStorage::new(image).expect("storage");
                store = open(&storage)?;
                let recovered = read_all(&store)?;
                let candidates = &model.history[model.durable_from..];
                if mode == CrashMode::KeepUnsynced {
                    prop_assert_eq!(
                        &recovered,
                        model.current(),
                        "step {}: nothing written may be lost",
                        step
                    );
                } else {
                    prop_assert!(
                        candidates.contains(&recovered),
                        "step {}: after {:?} the store holds {:?}, which is none of the states since the last durable point: {:?}",
                        step,
                        mode,
                        recovered,
                        candidates
                    );
                }
                let verify = store
                    .verify()
                    .map_err(|e| TestCaseError::fail(format!("verify: {e}")))?;
                prop_assert!(verify.is_clean(), "step {}: {:?}", step, verify);
                model.restart_from(recovered);
                continue;
            }
        }
        prop_assert_eq!(&read_all(&store)?, model.current(), "step {}", step);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn always_never_loses_an_acknowledged_write(ops in prop::collection::vec(op(), 1..50)) {
        run(ops, SyncPolicy::Always)?;
    }

    #[test]
    fn never_returns_to_a_state_since_the_last_sync(ops in prop::collection::vec(op(), 1..50)) {
        run(ops, SyncPolicy::Never)?;
    }
}
