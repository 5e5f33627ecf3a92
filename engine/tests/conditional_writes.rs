//! Proves conditional writes: `set_if` and `delete_if` write only when the
//! key is as expected (absent, or at a version), and otherwise answer
//! `Conflict` with the key's current version and write nothing; of many
//! threads expecting the same version exactly one wins; a write batch's
//! conditions are checked all or nothing; and the versions survive a reopen.

use std::sync::{Arc, Barrier};

use anyhow::Result;
use mini_kvstore::{Error, Expect, KvStore, MemStorage, Options, SyncPolicy, WriteBatch};

fn store() -> Result<(KvStore, MemStorage)> {
    let storage = MemStorage::new();
    let store = KvStore::open_with(
        storage.clone(),
        Options::default().sync_policy(SyncPolicy::Never),
    )?;
    Ok((store, storage))
}

fn conflict(result: mini_kvstore::Result<impl std::fmt::Debug>) -> Option<Option<u64>> {
    match result {
        Err(Error::Conflict { current }) => Some(current),
        other => panic!("expected a conflict, got {other:?}"),
    }
}

#[test]
fn set_if_writes_only_when_the_key_is_as_expected() -> Result<()> {
    let (store, _) = store()?;
    let first = store.set_if("k", "one", Expect::Absent)?;
    assert!(!first.replaced);
    assert_eq!(
        conflict(store.set_if("k", "again", Expect::Absent)),
        Some(Some(first.seq))
    );
    let second = store.set_if("k", "two", Expect::Version(first.seq))?;
    assert!(second.replaced);
    assert_eq!(
        conflict(store.set_if("k", "stale", Expect::Version(first.seq))),
        Some(Some(second.seq))
    );
    assert_eq!(
        conflict(store.set_if("absent", "x", Expect::Version(1))),
        Some(None)
    );
    assert_eq!(store.get("k")?, Some(b"two".to_vec()));
    assert_eq!(store.get("absent")?, None);
    // A conflict writes nothing: the next write's version follows the last
    // successful one.
    assert_eq!(store.set_versioned("k", "three")?.seq, second.seq + 1);
    assert_eq!(store.set_if("k", "any", Expect::Any)?.seq, second.seq + 2);
    Ok(())
}

#[test]
fn delete_if_deletes_only_the_expected_version() -> Result<()> {
    let (store, _) = store()?;
    let v = store.set_versioned("k", "one")?.seq;
    assert_eq!(
        conflict(store.delete_if("k", Expect::Version(v + 10))),
        Some(Some(v))
    );
    assert_eq!(
        conflict(store.delete_if("k", Expect::Absent)),
        Some(Some(v))
    );
    assert_eq!(store.get("k")?, Some(b"one".to_vec()));
    assert!(store.delete_if("k", Expect::Version(v))?);
    assert_eq!(store.get("k")?, None);
    assert!(
        !store.delete_if("k", Expect::Absent)?,
        "absent, as expected: nothing to delete"
    );
    assert_eq!(
        conflict(store.delete_if("k", Expect::Version(v))),
        Some(None)
    );
    Ok(())
}

#[test]
fn of_many_racing_writers_expecting_one_version_exactly_one_wins() -> Result<()> {
    let (store, _) = store()?;
    for round in 0..20 {
        let base = store.set_versioned("counter", format!("{round}"))?.seq;
        let threads = 8;
        let barrier = Arc::new(Barrier::new(threads));
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let (store, barrier) = (store.clone(), Arc::clone(&barrier));
                std::thread::spawn(move || {
                    barrier.wait();
                    store.set_if("counter", format!("{round}:{t}"), Expect::Version(base))
                })
            })
            .collect();
        let mut won = 0;
        for handle in handles {
            match handle
                .join()
                .map_err(|_| anyhow::anyhow!("a writer panicked"))?
            {
                Ok(_) => won += 1,
                Err(Error::Conflict {
                    current: Some(current),
                }) => assert!(current > base),
                Err(e) => return Err(e.into()),
            }
        }
        assert_eq!(won, 1, "round {round}");
    }
    Ok(())
}

#[test]
fn a_batch_with_a_failing_condition_writes_nothing() -> Result<()> {
    let (store, _) = store()?;
    let a = store.set_versioned("a", "1")?.seq;
    store.set("b", "1")?;
    let before = store.stats().next_seq;
    let mut batch = WriteBatch::new();
    batch.set_if("a", "2", Expect::Version(a));
    batch.set("c", "new");
    batch.delete_if("b", Expect::Absent); // b exists: fails
    assert!(matches!(
        store.apply(batch),
        Err(Error::Conflict { current: Some(_) })
    ));
    assert_eq!(store.stats().next_seq, before, "nothing was appended");
    assert_eq!(store.get("a")?, Some(b"1".to_vec()));
    assert_eq!(store.get("c")?, None);

    let mut batch = WriteBatch::new();
    batch.set_if("a", "2", Expect::Version(a));
    batch.set_if("c", "new", Expect::Absent);
    batch.delete("b");
    store.apply(batch)?;
    assert_eq!(store.get("a")?, Some(b"2".to_vec()));
    assert_eq!(store.get("c")?, Some(b"new".to_vec()));
    assert_eq!(store.get("b")?, None);
    Ok(())
}

#[test]
fn versions_hold_across_a_reopen() -> Result<()> {
    let (store, storage) = store()?;
    let v = store.set_versioned("k", "v")?.seq;
    drop(store);
    let store = KvStore::open_with(storage, Options::default())?;
    assert_eq!(
        conflict(store.set_if("k", "w", Expect::Version(v + 1))),
        Some(Some(v))
    );
    store.set_if("k", "w", Expect::Version(v))?;
    Ok(())
}
