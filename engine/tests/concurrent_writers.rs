//! Proves that a `KvStore` shared between threads loses nothing: 8 threads,
//! each writing its own few hundred keys through its own clone (with the
//! default fsync-every-write policy, so concurrent writers share syncs),
//! all find their writes after a reopen; sequence numbers stay unique and
//! increase per thread; rotation under concurrency keeps every record;
//! writers waiting for a sync are all woken when a rotation's seal makes
//! their writes durable; and compaction running alongside writers loses no
//! write.

mod common;

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::Result;
use common::segment_files;
use mini_kvstore::{KvStore, Options, SyncPolicy};

const THREADS: usize = 8;

fn thread_key(thread: usize, i: usize) -> Vec<u8> {
    format!("t{thread}/k{i:04}").into_bytes()
}

fn thread_value(thread: usize, i: usize, round: usize) -> Vec<u8> {
    format!("thread {thread} item {i} round {round}").into_bytes()
}

/// What the compaction test's writers write when they re-set the key they
/// just deleted in round `round`.
fn reborn_value(thread: usize, round: usize) -> Vec<u8> {
    format!("thread {thread} key {round} reborn in round {round}").into_bytes()
}

/// In the compaction test, round `r` writes every key, deletes key `r` and
/// sets it again; a later round's pass overwrites it, except for the last
/// round's key.
fn final_value(thread: usize, i: usize, rounds: usize) -> Vec<u8> {
    if i == rounds - 1 {
        reborn_value(thread, i)
    } else {
        thread_value(thread, i, rounds - 1)
    }
}

#[test]
fn kv_store_is_clone_send_sync() {
    fn assert_shareable<T: Clone + Send + Sync + 'static>() {}
    assert_shareable::<KvStore>();
}

/// Runs `THREADS` writers of `per_thread` keys each and returns the sequence
/// numbers every thread was given, in the order it got them.
fn write_concurrently(store: &KvStore, per_thread: usize) -> Result<Vec<Vec<u64>>> {
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..THREADS)
            .map(|t| {
                let store = store.clone();
                scope.spawn(move || -> Result<Vec<u64>> {
                    let mut seqs = Vec::with_capacity(per_thread);
                    for i in 0..per_thread {
                        let outcome =
                            store.set_versioned(thread_key(t, i), thread_value(t, i, 0))?;
                        assert!(!outcome.replaced, "thread {t} key {i} is new");
                        seqs.push(outcome.seq);
                        // Read our own write back at once, while others write.
                        assert_eq!(store.get(thread_key(t, i))?, Some(thread_value(t, i, 0)));
                    }
                    Ok(seqs)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("writer thread panicked"))
            .collect()
    })
}

fn check_all_present(store: &KvStore, per_thread: usize) -> Result<()> {
    assert_eq!(store.len(), THREADS * per_thread);
    for t in 0..THREADS {
        for i in 0..per_thread {
            assert_eq!(
                store.get(thread_key(t, i))?,
                Some(thread_value(t, i, 0)),
                "thread {t} key {i}"
            );
        }
    }
    Ok(())
}

fn check_seqs(seqs: &[Vec<u64>]) {
    let mut all = HashSet::new();
    for (t, thread_seqs) in seqs.iter().enumerate() {
        assert!(
            thread_seqs.windows(2).all(|w| w[0] < w[1]),
            "thread {t}: sequence numbers must increase"
        );
        for s in thread_seqs {
            assert!(all.insert(*s), "sequence number {s} handed out twice");
        }
    }
}

#[test]
fn eight_writers_with_fsync_per_write_all_survive_reopen() -> Result<()> {
    const PER_THREAD: usize = 200;
    let dir = tempfile::tempdir()?;
    {
        let store = KvStore::open(dir.path())?;
        let seqs = write_concurrently(&store, PER_THREAD)?;
        check_seqs(&seqs);
        check_all_present(&store, PER_THREAD)?;
        let max_seq = seqs.iter().flatten().max().copied().unwrap_or(0);
        assert_eq!(
            max_seq,
            (THREADS * PER_THREAD) as u64,
            "seqs are 1..=writes"
        );
        assert_eq!(store.stats().next_seq, max_seq + 1);
    }
    let store = KvStore::open(dir.path())?;
    check_all_present(&store, PER_THREAD)?;
    assert!(store.verify()?.is_clean());
    Ok(())
}

#[test]
fn eight_writers_across_many_segments_all_survive_reopen() -> Result<()> {
    const PER_THREAD: usize = 300;
    let dir = tempfile::tempdir()?;
    let options = || {
        Options::default()
            .max_segment_size(4096)
            .sync_policy(SyncPolicy::Never)
    };
    {
        let store = KvStore::open_with_options(dir.path(), options())?;
        let seqs = write_concurrently(&store, PER_THREAD)?;
        check_seqs(&seqs);
        store.sync()?;
    }
    assert!(segment_files(dir.path())?.len() > 10);
    let store = KvStore::open_with_options(dir.path(), options())?;
    check_all_present(&store, PER_THREAD)?;
    assert!(store.verify()?.is_clean());
    Ok(())
}

/// Sealing a segment syncs it, which makes the writes of every writer asleep
/// waiting for a group commit durable too; each of them must be woken. A
/// writer that is not stays asleep for good, so the writers run on their own
/// thread and the test fails, instead of hanging, if they have not all
/// returned long after they should have.
#[test]
fn rotation_wakes_every_writer_it_made_durable() -> Result<()> {
    const PER_THREAD: usize = 150;
    const WRITERS: usize = 16;
    let dir = tempfile::tempdir()?;
    let store = KvStore::open_with_options(
        dir.path(),
        Options::default()
            .max_segment_size(2048)
            .sync_policy(SyncPolicy::Always),
    )?;
    let (finished, outcome) = std::sync::mpsc::channel();
    {
        let store = store.clone();
        std::thread::spawn(move || {
            let result = std::thread::scope(|scope| {
                let writers: Vec<_> = (0..WRITERS)
                    .map(|t| {
                        let store = store.clone();
                        scope.spawn(move || -> mini_kvstore::Result<()> {
                            for i in 0..PER_THREAD {
                                store.set(thread_key(t, i), thread_value(t, i, 0))?;
                            }
                            Ok(())
                        })
                    })
                    .collect();
                writers
                    .into_iter()
                    .map(|w| {
                        w.join()
                            .map_err(|_| anyhow::anyhow!("writer panicked"))?
                            .map_err(anyhow::Error::from)
                    })
                    .collect::<Result<Vec<()>>>()
            });
            let _ = finished.send(result);
        });
    }
    // 2,400 fsynced writes take well under a few seconds; a minute means
    // a writer sleeps on.
    match outcome.recv_timeout(std::time::Duration::from_secs(60)) {
        Ok(result) => {
            result?;
        }
        Err(_) => panic!("a writer never returned: its wake-up was lost"),
    }
    assert!(segment_files(dir.path())?.len() > 10, "rotations happened");
    for t in 0..WRITERS {
        for i in 0..PER_THREAD {
            assert_eq!(store.get(thread_key(t, i))?, Some(thread_value(t, i, 0)));
        }
    }
    Ok(())
}

#[test]
fn compaction_alongside_writers_loses_nothing() -> Result<()> {
    const PER_THREAD: usize = 50;
    const ROUNDS: usize = 20;
    const WRITERS: usize = 4;
    let dir = tempfile::tempdir()?;
    let options = || {
        Options::default()
            .max_segment_size(2048)
            .sync_policy(SyncPolicy::Never)
    };
    {
        let store = KvStore::open_with_options(dir.path(), options())?;
        let done = AtomicBool::new(false);
        let compactions = std::thread::scope(|scope| -> Result<usize> {
            let compactor = {
                let store = store.clone();
                let done = &done;
                scope.spawn(move || -> Result<usize> {
                    let mut runs = 0;
                    // At least one compaction even if the writers finish first.
                    while runs == 0 || !done.load(Ordering::Acquire) {
                        store.compact()?;
                        runs += 1;
                    }
                    Ok(runs)
                })
            };
            let writers: Vec<_> = (0..WRITERS)
                .map(|t| {
                    let store = store.clone();
                    scope.spawn(move || -> Result<()> {
                        for round in 0..ROUNDS {
                            for i in 0..PER_THREAD {
                                store.set(thread_key(t, i), thread_value(t, i, round))?;
                            }
                            // Deletes and re-sets interleave with compaction too.
                            assert!(store.delete(thread_key(t, round))?);
                            store.set(thread_key(t, round), reborn_value(t, round))?;
                        }
                        Ok(())
                    })
                })
                .collect();
            // Collect every writer's outcome before stopping the compactor,
            // so a failing writer cannot leave it looping forever.
            let outcomes: Vec<Result<()>> = writers
                .into_iter()
                .map(|w| {
                    w.join()
                        .unwrap_or_else(|_| Err(anyhow::anyhow!("writer panicked")))
                })
                .collect();
            done.store(true, Ordering::Release);
            let runs = compactor
                .join()
                .unwrap_or_else(|_| Err(anyhow::anyhow!("compactor panicked")))?;
            outcomes.into_iter().collect::<Result<Vec<()>>>()?;
            Ok(runs)
        })?;
        assert!(compactions >= 1);

        for t in 0..WRITERS {
            for i in 0..PER_THREAD {
                assert_eq!(
                    store.get(thread_key(t, i))?,
                    Some(final_value(t, i, ROUNDS)),
                    "thread {t} key {i} before reopen"
                );
            }
        }
        store.sync()?;
    }
    let store = KvStore::open_with_options(dir.path(), options())?;
    assert_eq!(store.len(), WRITERS * PER_THREAD);
    for t in 0..WRITERS {
        for i in 0..PER_THREAD {
            assert_eq!(
                store.get(thread_key(t, i))?,
                Some(final_value(t, i, ROUNDS)),
                "thread {t} key {i} after reopen"
            );
        }
    }
    assert!(store.verify()?.is_clean());
    Ok(())
}
