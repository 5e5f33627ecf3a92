//! Crashes a fixed workload at every single storage operation, in turn, and
//! checks the durability promise on what the crash left behind.
//!
//! The workload mixes sets, overwrites, deletes, write batches, segment
//! rotations (segments are 256 bytes), a reopen, full compactions and
//! partial merges chosen by the compaction policy — one of them keeping a
//! tombstone whose older put sits in a segment it leaves alone — and
//! conditional writes and writes with a time to live (one that outlives the
//! test, and ones that expire at once and are then merged away), and a
//! group of sets and deletes through a handle that defers its durability
//! waits (one of them rotating a segment) followed by its `wait_durable`,
//! and backups (each that succeeds must open and keep the promise as of its
//! point), under `SyncPolicy::Always`. The model counts a deferred write as
//! acknowledged only once the wait returned `Ok`; until then it is one of
//! the outcomes a crash may leave.
//! For crash point `n`, operation `n` and everything after it fail, and the
//! disk is rebuilt four ways (only synced bytes; every written byte; the
//! last append torn inside a header, and torn in half). Each image must open, and then:
//! - every acknowledged write reads back exactly, every acknowledged delete
//!   stays deleted, and a write that failed reads as either its old or its
//!   new value — never anything else;
//! - `verify` finds nothing wrong (recovery repaired the torn tail);
//! - the store takes a new write that survives another reopen.
//!
//! A second test injects a single failed operation at every point instead
//! (no crash): the store must report the error or poison itself, and its
//! state — live, after a clean reopen, and after a crash — must still keep
//! the promise. Both print how many points they explored.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use mini_kvstore::storage::{CrashMode, Fault, FaultyStorage};
use mini_kvstore::{
    CompactionPolicy, CompactionReport, CompactionTrigger, Error, Expect, KvStore, MemStorage,
    Options, Storage, SyncPolicy, WriteBatch,
};

#[derive(Debug, Clone)]
enum Step {
    Set(String, Vec<u8>),
    Delete(String),
    /// A `WriteBatch`: `Some(value)` sets, `None` deletes.
    Batch(Vec<(String, Option<Vec<u8>>)>),
    Compact,
    /// `compact_by_policy`: a partial merge, when one is due.
    MergeByPolicy,
    /// `set_if(key, value, Expect::Absent)`.
    SetIfAbsent(String, Vec<u8>),
    /// Read the key's version, then `set_if` expecting it (a compare and
    /// swap).
    Swap(String, Vec<u8>),
    /// `set_with_ttl`: an hour (present for the whole test) or zero (absent
    /// the moment it is written).
    SetWithTtl(String, Vec<u8>, Duration),
    /// Sets (`Some`) and deletes (`None`) through
    /// `KvStore::deferring_durability`, one by one, then `wait_durable`.
    Deferred(Vec<(String, Option<Vec<u8>>)>),
    Reopen,
    Sync,
    /// `backup_to` a fresh storage; a backup that succeeds must open and
    /// keep the promise as of its point, like a crash image.
    Backup,
    /// Read every key back while the store runs.
    Check,
}

fn key(i: usize) -> String {
    format!("key-{i:02}")
}

/// The fixed workload: deterministic, about 110 steps, every kind of operation.
fn workload() -> Vec<Step> {
    let mut steps = Vec::new();
    for i in 0..12 {
        steps.push(Step::Set(key(i), format!("first {i}").into_bytes()));
    }
    for round in 0..3 {
        for i in (0..12).step_by(2) {
            // Values of different sizes, one larger than a segment.
            let len = if i == 4 && round == 1 {
                300
            } else {
                10 + 7 * i + round
            };
            steps.push(Step::Set(key(i), vec![b'a' + round as u8; len]));
        }
        steps.push(Step::Delete(key(3 + round)));
        steps.push(Step::Check);
    }
    steps.push(Step::Deferred(vec![
        (key(0), Some(b"deferred".to_vec())),
        (key(3), Some(b"deferred back".to_vec())),
        (key(7), None),
        // Larger than what is left of the segment: a rotation (and its
        // sync) in the middle of the group.
        (key(6), Some(vec![b'd'; 150])),
        (key(99), None), // absent: writes nothing
        (key(0), Some(b"deferred again".to_vec())),
    ]));
    steps.push(Step::Check);
    steps.push(Step::Backup);
    steps.push(Step::Delete(key(99))); // absent: writes nothing
    steps.push(Step::Batch(vec![
        (key(1), Some(b"batch one".to_vec())),
        (key(2), None),
        (key(9), Some(vec![b'b'; 40])),
        (key(10), Some(b"batch one".to_vec())),
    ]));
    steps.push(Step::Compact);
    steps.push(Step::Check);
    for i in 0..6 {
        steps.push(Step::Set(
            key(i),
            format!("after compaction {i}").into_bytes(),
        ));
    }
    steps.push(Step::Delete(key(0)));
    steps.push(Step::Batch(
        (0..KEYS)
            .map(|i| (key(i), Some(format!("big batch {i}").into_bytes())))
            .collect(),
    ));
    steps.push(Step::Reopen);
    steps.push(Step::Check);
    steps.push(Step::Set(key(3), b"resurrected on purpose".to_vec()));
    steps.push(Step::Delete(key(5)));
    steps.push(Step::Sync);
    steps.push(Step::Compact);
    for i in 6..12 {
        steps.push(Step::Set(key(i), format!("last {i}").into_bytes()));
    }
    steps.push(Step::Delete(key(7)));
    steps.push(Step::Check);
    for i in 0..KEYS {
        steps.push(Step::Set(key(i), format!("final {i}").into_bytes()));
    }
    steps.push(Step::Delete(key(8)));
    steps.push(Step::Batch(vec![
        (key(11), None),
        (key(0), Some(b"last batch".to_vec())),
    ]));
    steps.push(Step::Check);
    steps.extend(partial_merges());
    steps.extend([
        Step::SetIfAbsent(key(4), b"was absent".to_vec()),
        Step::SetIfAbsent(key(0), b"never: key 0 exists".to_vec()),
        Step::Swap(key(1), b"swapped".to_vec()),
        Step::Swap(key(4), b"swapped again".to_vec()),
        Step::Check,
        Step::SetWithTtl(key(9), b"for an hour".to_vec(), Duration::from_secs(3600)),
        Step::SetWithTtl(key(8), b"gone at once".to_vec(), Duration::ZERO),
        Step::SetWithTtl(key(7), b"gone at once too".to_vec(), Duration::ZERO),
        Step::MergeByPolicy,
        Step::Compact,
        Step::Check,
    ]);
    steps
}

/// Partial merges, the first with a tombstone whose older put sits in a
/// segment the merge leaves alone. Sizes are exact: a record is 21 bytes of
/// header, 6 of key and its value; segments hold 256 bytes.
fn partial_merges() -> Vec<Step> {
    let mut steps = vec![
        // A fresh active segment, A: key 10's put and live neighbours, 244
        // bytes in all, so A stays mostly live and no merge takes it.
        Step::Compact,
        Step::Set(key(10), vec![b'p'; 20]),
        Step::Set(key(6), vec![b'f'; 40]),
        Step::Set(key(7), vec![b'f'; 40]),
        Step::Set(key(8), vec![b'f'; 20]),
        // The tombstone does not fit in A: it opens segment B, which the
        // overwrites of key 0 then fill with dead records.
        Step::Delete(key(10)),
    ];
    for round in 0..4 {
        steps.push(Step::Set(key(0), vec![b'0' + round; 40]));
    }
    steps.extend([
        Step::MergeByPolicy,
        Step::Backup,
        Step::Check,
        Step::Reopen,
        Step::Check,
    ]);
    // More overwrites and deletes, and merges of what they leave.
    for round in 0..3 {
        for i in 0..4 {
            steps.push(Step::Set(key(i), vec![b'r' + round; 30 + 10 * i]));
        }
        steps.push(Step::Delete(key(4 + round as usize)));
        steps.push(Step::MergeByPolicy);
        steps.push(Step::Check);
    }
    steps
}

const KEYS: usize = 12;

fn options() -> Options {
    // No background hint writer or compactor: their storage operations
    // would make the numbering depend on timing. Merges run when the
    // workload calls them.
    Options::default()
        .max_segment_size(256)
        .sync_policy(SyncPolicy::Always)
        .background_hints(false)
        .compaction_policy(CompactionPolicy::default().background(false))
}

#[derive(Debug, Clone)]
struct FailedBatch {
    /// Each key's final value in the batch.
    new: BTreeMap<String, Option<Vec<u8>>>,
    /// Each key's allowed values before the batch.
    before: BTreeMap<String, BTreeSet<Option<Vec<u8>>>>,
}

/// What the store may hold for each key: the last acknowledged value (or
/// absence), plus the outcomes of writes that failed after it.
#[derive(Debug, Default, Clone)]
struct Model {
    acked: BTreeMap<String, Vec<u8>>,
    uncertain: BTreeMap<String, Vec<Option<Vec<u8>>>>,
    /// A batch that failed with nothing acknowledged after it, with what
    /// each of its keys could read before it: it must be there whole, or
    /// not at all.
    failed_batch: Option<FailedBatch>,
    /// Reports of the partial merges that ran.
    merges: Vec<CompactionReport>,
}

impl Model {
    fn acked_set(&mut self, key: &str, value: &[u8]) {
        self.failed_batch = None;
        self.acked.insert(key.to_string(), value.to_vec());
        self.uncertain.remove(key);
    }

    fn acked_delete(&mut self, key: &str) {
        self.failed_batch = None;
        self.acked.remove(key);
        self.uncertain.remove(key);
    }

    /// A write applied through a deferring handle and not yet waited for:
    /// like a failed one, a crash may keep it or not.
    fn deferred(&mut self, key: &str, outcome: Option<Vec<u8>>) {
        self.failed(key, outcome);
    }

    fn failed(&mut self, key: &str, outcome: Option<Vec<u8>>) {
        self.uncertain
            .entry(key.to_string())
            .or_default()
            .push(outcome);
    }

    fn allowed(&self, key: &str) -> BTreeSet<Option<Vec<u8>>> {
        let mut allowed: BTreeSet<_> = self
            .uncertain
            .get(key)
            .into_iter()
            .flatten()
            .cloned()
            .collect();
        allowed.insert(self.acked.get(key).cloned());
        allowed
    }

    /// Every key reads as allowed, and a failed batch is all there or not at
    /// all. `Err` describes the first thing that is wrong.
    fn check(&self, store: &KvStore, context: &str) -> Result<(), String> {
        if let Some(batch) = &self.failed_batch {
            let (mut all_new, mut all_before) = (true, true);
            let mut seen = Vec::new();
            for (key, new) in &batch.new {
                let actual = store
                    .get(key)
                    .map_err(|e| format!("{context}: get({key}): {e}"))?;
                all_new &= actual == *new;
                all_before &= batch.before[key].contains(&actual);
                seen.push((key.clone(), actual));
            }
            if !all_new && !all_before {
                return Err(format!(
                    "{context}: a failed batch is half applied: {batch:?}, reads {seen:?}"
                ));
            }
        }
        for i in (0..KEYS).chain([99]) {
            let key = key(i);
            let actual = store
                .get(&key)
                .map_err(|e| format!("{context}: get({key}) failed: {e}"))?;
            if !self.allowed(&key).contains(&actual) {
                return Err(format!(
                    "{context}: {key} reads {:?}, allowed {:?}",
                    actual.as_deref().map(String::from_utf8_lossy),
                    self.allowed(&key)
                ));
            }
        }
        Ok(())
    }
}

/// Runs the workload over `storage`, recording outcomes in a model. Stops at
/// a crash; after a mere failure it goes on, as an application would.
fn run(storage: &FaultyStorage) -> Result<Model, String> {
    let mut model = Model::default();
    let mut store = match KvStore::open_with(storage.clone(), options()) {
        Ok(store) => Some(store),
        Err(_) if storage.has_crashed() => return Ok(model),
        // A failed operation during open: try once more, as a person would.
        Err(_) => KvStore::open_with(storage.clone(), options()).ok(),
    };
    for step in workload() {
        if storage.has_crashed() {
            break;
        }
        let Some(current) = store.as_ref() else {
            store = KvStore::open_with(storage.clone(), options()).ok();
            continue;
        };
        match step {
            Step::Set(k, v) => match current.set(&k, &v) {
                Ok(()) => model.acked_set(&k, &v),
                Err(_) => model.failed(&k, Some(v)),
            },
            Step::Delete(k) => match current.delete(&k) {
                Ok(existed) => {
                    if existed && model.allowed(&k).iter().all(Option::is_none) {
                        return Err(format!("delete({k}) found a key the model says is absent"));
                    }
                    model.acked_delete(&k);
                }
                Err(_) => model.failed(&k, None),
            },
            Step::Batch(changes) => {
                let mut batch = WriteBatch::new();
                for (k, v) in &changes {
                    match v {
                        Some(v) => batch.set(k, v),
                        None => batch.delete(k),
                    };
                }
                match current.apply(batch) {
                    Ok(()) => {
                        for (k, v) in &changes {
                            match v {
                                Some(v) => model.acked_set(k, v),
                                None => model.acked_delete(k),
                            }
                        }
                    }
                    Err(_) => {
                        let new: BTreeMap<_, _> = changes.iter().cloned().collect();
                        let before = new.keys().map(|k| (k.clone(), model.allowed(k))).collect();
                        for (k, v) in changes {
                            model.failed(&k, v);
                        }
                        model.failed_batch = Some(FailedBatch { new, before });
                    }
                }
            }
            Step::Deferred(changes) => {
                let deferring = current.deferring_durability();
                // Every write in order, and whether it was applied.
                let mut outcomes = Vec::new();
                for (k, v) in changes {
                    let written = match &v {
                        Some(value) => deferring.set(&k, value).map(|()| true),
                        None => deferring.delete(&k),
                    };
                    match written {
                        Ok(existed) => {
                            if v.is_none()
                                && existed
                                && model.allowed(&k).iter().all(Option::is_none)
                            {
                                return Err(format!(
                                    "deferred delete({k}) found a key the model says is absent"
                                ));
                            }
                            model.deferred(&k, v.clone());
                            outcomes.push((k, v, true));
                        }
                        Err(_) => {
                            model.failed(&k, v.clone());
                            outcomes.push((k, v, false));
                        }
                    }
                }
                // Only now are the applied writes acknowledged. Replayed in
                // order, so a write that failed after an applied one to the
                // same key stays a possible outcome.
                if deferring.wait_durable().is_ok() {
                    for (k, v, applied) in outcomes {
                        match (v, applied) {
                            (Some(v), true) => model.acked_set(&k, &v),
                            (None, true) => model.acked_delete(&k),
                            (v, false) => model.failed(&k, v),
                        }
                    }
                }
            }
            Step::Compact => {
                let _ = current.compact();
            }
            Step::SetIfAbsent(k, v) => {
                match current.set_if(&k, &v, Expect::Absent) {
                    Ok(_) => {
                        if model.allowed(&k).iter().all(Option::is_some) {
                            return Err(format!("set_if({k}, Absent) wrote over a present key"));
                        }
                        model.acked_set(&k, &v);
                    }
                    // The key was there: nothing written.
                    Err(Error::Conflict { .. }) => {}
                    Err(_) => model.failed(&k, Some(v)),
                }
            }
            Step::Swap(k, v) => {
                let Ok(found) = current.get_versioned(&k) else {
                    continue; // an injected read failure: nothing attempted
                };
                let expect = found.map_or(Expect::Absent, |found| Expect::Version(found.seq));
                match current.set_if(&k, &v, expect) {
                    Ok(_) => model.acked_set(&k, &v),
                    Err(Error::Conflict { .. }) => {
                        return Err(format!("swap of {k}: nothing else writes, yet a conflict"));
                    }
                    Err(_) => model.failed(&k, Some(v)),
                }
            }
            Step::SetWithTtl(k, v, ttl) => {
                let lives = !ttl.is_zero();
                match current.set_with_ttl(&k, &v, ttl) {
                    Ok(_) if lives => model.acked_set(&k, &v),
                    Ok(_) => model.acked_delete(&k),
                    Err(_) => model.failed(&k, lives.then_some(v)),
                }
            }
            Step::MergeByPolicy => {
                if let Ok(Some(report)) = current.compact_by_policy() {
                    model.merges.push(report);
                }
            }
            Step::Sync => {
                let _ = current.sync();
            }
            Step::Backup => {
                let copy = MemStorage::new();
                if current.backup_to(&copy, |_, _| {}).is_ok() {
                    let backup = KvStore::open_with(copy, options())
                        .map_err(|e| format!("the backup does not open: {e}"))?;
                    model.check(&backup, "the backup")?;
                }
            }
            Step::Reopen => {
                // The old handle must close (and release the storage) first.
                drop(store.take());
                store = KvStore::open_with(storage.clone(), options()).ok();
            }
            Step::Check => {
                // Reads may fail (injected), but never return wrong bytes.
                for i in 0..KEYS {
                    if let Ok(actual) = current.get(key(i))
                        && !model.allowed(&key(i)).contains(&actual)
                    {
                        return Err(format!("live read of {} returned {actual:?}", key(i)));
                    }
                }
            }
        }
    }
    Ok(model)
}

/// Opens `image`, checks the model, then checks the store still works.
fn check_image(image: MemStorage, model: &Model, context: &str) -> Result<(), String> {
    let store = KvStore::open_with(image.clone(), options())
        .map_err(|e| format!("{context}: open failed: {e}"))?;
    model.check(&store, context)?;
    let verify = store
        .verify()
        .map_err(|e| format!("{context}: verify failed: {e}"))?;
    if !verify.is_clean() {
        return Err(format!("{context}: verify found {:?}", verify.corrupt));
    }
    store
        .set("after-crash", b"kept")
        .map_err(|e| format!("{context}: write after recovery failed: {e}"))?;
    drop(store);
    let store = KvStore::open_with(image, options())
        .map_err(|e| format!("{context}: second open failed: {e}"))?;
    match store.get("after-crash") {
        Ok(Some(v)) if v == b"kept" => {}
        other => {
            return Err(format!(
                "{context}: the write after recovery was lost: {other:?}"
            ));
        }
    }
    model.check(&store, &format!("{context}, second open"))
}

fn assert_no_failures(failures: &[String]) {
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

fn total_ops() -> u64 {
    let storage = FaultyStorage::new(MemStorage::new()).expect("empty storage");
    let model = run(&storage).expect("the workload runs cleanly without faults");
    // Sanity: the fault-free run really did what the workload says.
    assert_eq!(
        model.acked.get(&key(3)).map(Vec::as_slice),
        Some(&[b't'; 60][..])
    );
    assert_eq!(
        model.acked.get(&key(9)).map(Vec::as_slice),
        Some(&b"for an hour"[..])
    );
    assert_eq!(
        model.acked.get(&key(1)).map(Vec::as_slice),
        Some(&b"swapped"[..])
    );
    assert_eq!(
        model.acked.get(&key(4)).map(Vec::as_slice),
        Some(&b"swapped again"[..])
    );
    let deleted = [5, 6, 7, 8, 10, 11];
    assert!(deleted.iter().all(|i| !model.acked.contains_key(&key(*i))));
    assert_eq!(model.acked.len(), KEYS - deleted.len());
    // The partial merges ran, and the first kept key 10's tombstone: its
    // put sits in segment A, which the merge left alone.
    assert!(model.merges.len() >= 2, "{:?}", model.merges);
    let first = &model.merges[0];
    assert_eq!(first.trigger, CompactionTrigger::Policy);
    assert_eq!(first.tombstones_kept, 1, "{first:?}");
    storage.ops()
}

#[test]
fn crash_at_every_storage_operation() {
    let total = total_ops();
    let mut failures = Vec::new();
    let mut images = 0;
    for nth in 0..total {
        let storage = FaultyStorage::new(MemStorage::new()).expect("empty storage");
        storage.inject(Fault::CrashAt { nth });
        let model = match run(&storage) {
            Ok(model) => model,
            Err(e) => {
                failures.push(format!("crash at {nth}: {e}"));
                continue;
            }
        };
        assert!(
            storage.has_crashed(),
            "operation {nth} of {total} was never reached"
        );
        // Tear the last write inside a record header, and in its middle (for
        // a batch, between its records).
        let half = storage.last_append_len().unwrap_or(0) / 2;
        for mode in [
            CrashMode::DropUnsynced,
            CrashMode::KeepUnsynced,
            CrashMode::KillProcess,
            CrashMode::TearLastAppend { keep: 11 },
            CrashMode::TearLastAppend { keep: half },
        ] {
            images += 1;
            let image = storage.crash_image(mode).expect("crash image");
            if let Err(e) = check_image(image, &model, &format!("crash at {nth}, {mode:?}")) {
                failures.push(e);
            }
        }
    }
    println!("crash points explored: {total} (crash images checked: {images})");
    assert!(
        total >= 300,
        "the workload should reach hundreds of operations, got {total}"
    );
    assert_no_failures(&failures);
}

#[test]
fn a_failed_operation_at_every_point() {
    let total = total_ops();
    let mut failures = Vec::new();
    for nth in 0..total {
        let storage = FaultyStorage::new(MemStorage::new()).expect("empty storage");
        storage.inject(Fault::FailOnce { nth, kind: None });
        let model = match run(&storage) {
            Ok(model) => model,
            Err(e) => {
                failures.push(format!("failure at {nth}: {e}"));
                continue;
            }
        };
        // The state on storage now, after a clean close …
        let live = MemStorage::new();
        for id in storage.inner().list().expect("list") {
            live.put_segment_bytes(id, storage.inner().segment_bytes(id).unwrap_or_default());
        }
        if let Err(e) = check_image(live, &model, &format!("failure at {nth}, reopened")) {
            failures.push(e);
        }
        // … and after a crash on top of it.
        let crashed = storage
            .crash_image(CrashMode::DropUnsynced)
            .expect("crash image");
        if let Err(e) = check_image(crashed, &model, &format!("failure at {nth}, then a crash")) {
            failures.push(e);
        }
    }
    println!("failure points explored: {total}");
    assert_no_failures(&failures);
}

#[test]
fn a_poisoned_store_refuses_writes_until_reopened() {
    let storage = FaultyStorage::new(MemStorage::new()).expect("empty storage");
    let store = KvStore::open_with(storage.clone(), options()).expect("open");
    store.set("a", b"1").expect("first write");
    storage.inject(Fault::FailOnce {
        nth: 1,
        kind: Some(mini_kvstore::storage::OpKind::Sync),
    });
    assert!(
        store.set("b", b"2").is_err(),
        "the failed fsync is reported"
    );
    assert!(matches!(
        store.set("c", b"3"),
        Err(mini_kvstore::Error::Poisoned)
    ));
    assert!(matches!(
        store.delete("a"),
        Err(mini_kvstore::Error::Poisoned)
    ));
    assert_eq!(
        store.get("a").expect("reads still work"),
        Some(b"1".to_vec())
    );
    drop(store);
    let store = KvStore::open_with(storage, options()).expect("reopen");
    store.set("c", b"3").expect("writes work after reopening");
    assert_eq!(store.get("a").expect("read"), Some(b"1".to_vec()));
}
