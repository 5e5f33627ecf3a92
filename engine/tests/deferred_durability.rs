//! Deferred durability waits: a handle from `KvStore::deferring_durability`
//! applies its writes without waiting for their fsync, and
//! `wait_durable` is the point from which they survive a crash.
//!
//! Under `SyncPolicy::Always`, every write method through such a handle
//! returns with no fsync made — a crash that keeps only synced bytes loses
//! the writes, though readers already saw them — and one `wait_durable`
//! then makes all of them durable with one fsync, after which every kind
//! of crash image keeps them. A failed fsync makes the wait fail (and the
//! store poisoned) with the writes not durable; an ordinary handle, and
//! the policies that never wait, return from `wait_durable` at once.
//!
//! `wait_durable_through` is the same wait for many handles at once: given
//! the highest of their `durability_pending_through`, one fsync
//! acknowledges all of them, none when they are durable already, and as
//! leader it runs that one fsync and returns instead of syncing again for
//! writes appended meanwhile.

use std::io;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use anyhow::Result;
use mini_kvstore::storage::{CrashMode, Fault, FaultyStorage, OpKind};
use mini_kvstore::{
    CompactionPolicy, Error, KvStore, MemStorage, Options, SegmentId, Storage, SyncPolicy,
    WriteBatch,
};

/// `FaultyStorage` that also counts its syncs, the fsyncs a write waited
/// for, and can hold them: while held, a sync is counted as started and
/// does not finish until released.
#[derive(Clone)]
struct CountingSyncs {
    inner: FaultyStorage,
    syncs: Arc<AtomicU64>,
    held: Arc<(Mutex<bool>, Condvar)>,
}

impl CountingSyncs {
    fn new() -> Result<Self> {
        Ok(CountingSyncs {
            inner: FaultyStorage::new(MemStorage::new())?,
            syncs: Arc::default(),
            held: Arc::default(),
        })
    }

    fn syncs(&self) -> u64 {
        self.syncs.load(Ordering::SeqCst)
    }

    /// Holds (`true`) or releases every sync from now on.
    fn hold_syncs(&self, hold: bool) {
        let (held, changed) = &*self.held;
        *held.lock().unwrap_or_else(|p| p.into_inner()) = hold;
        changed.notify_all();
    }

    /// Waits, for at most ten seconds, until `n` syncs have started.
    fn await_syncs(&self, n: u64) -> Result<()> {
        let deadline = Instant::now() + Duration::from_secs(10);
        while self.syncs() < n {
            anyhow::ensure!(Instant::now() < deadline, "sync {n} never started");
            std::thread::sleep(Duration::from_millis(1));
        }
        Ok(())
    }
}

impl Storage for CountingSyncs {
    fn list(&self) -> io::Result<Vec<SegmentId>> {
        self.inner.list()
    }
    fn create(&self, id: SegmentId) -> io::Result<()> {
        self.inner.create(id)
    }
    fn append(&self, id: SegmentId, bytes: &[u8]) -> io::Result<u64> {
        self.inner.append(id, bytes)
    }
    fn read_at(&self, id: SegmentId, offset: u64, buf: &mut [u8]) -> io::Result<()> {
        self.inner.read_at(id, offset, buf)
    }
    fn len(&self, id: SegmentId) -> io::Result<u64> {
        self.inner.len(id)
    }
    fn truncate(&self, id: SegmentId, len: u64) -> io::Result<()> {
        self.inner.truncate(id, len)
    }
    fn preallocate(&self, id: SegmentId, len: u64) -> io::Result<()> {
        self.inner.preallocate(id, len)
    }
    fn sync(&self, id: SegmentId) -> io::Result<()> {
        self.syncs.fetch_add(1, Ordering::SeqCst);
        let (held, changed) = &*self.held;
        let mut held = held.lock().unwrap_or_else(|p| p.into_inner());
        while *held {
            held = changed.wait(held).unwrap_or_else(|p| p.into_inner());
        }
        drop(held);
        self.inner.sync(id)
    }
    fn remove(&self, id: SegmentId) -> io::Result<()> {
        self.inner.remove(id)
    }
    fn write_hint(&self, id: SegmentId, bytes: &[u8]) -> io::Result<()> {
        self.inner.write_hint(id, bytes)
    }
    fn read_hint(&self, id: SegmentId) -> io::Result<Option<Vec<u8>>> {
        self.inner.read_hint(id)
    }
}

/// Nothing in the background (no hint writer, no merges, no periodic
/// syncs), and segments big enough that no write rotates one (a rotation
/// syncs): every fsync here is one a write or a wait asked for.
fn options(policy: SyncPolicy) -> Options {
    Options::default()
        .sync_policy(policy)
        .background_hints(false)
        .background_writeback(false)
        .compaction_policy(CompactionPolicy::default().background(false))
}

const HOUR: Duration = Duration::from_secs(3600);

/// Each key and what it reads as (`None`: absent).
type Reads = Vec<(&'static str, Option<Vec<u8>>)>;

/// What the deferred writes of [`write_through_every_method`] leave, key by
/// key: `None` for deleted.
fn expected() -> Vec<(&'static str, Option<&'static [u8]>)> {
    vec![
        ("set", Some(b"1")),
        ("set_if", Some(b"2")),
        ("ttl", Some(b"3")),
        ("expire", Some(b"before")),
        ("persist", Some(b"before")),
        ("batch", Some(b"4")),
        ("deleted", None),
        ("deleted_in_batch", None),
        ("last", Some(b"the last write")),
    ]
}

/// The keys [`write_through_every_method`] finds, written (and synced)
/// through an ordinary handle.
fn prepare(store: &KvStore) -> Result<()> {
    for key in ["expire", "deleted", "deleted_in_batch"] {
        store.set(key, "before")?;
    }
    store.set_with_ttl("persist", "before", HOUR)?;
    Ok(())
}

/// Writes through `deferring` with every write method, over the keys of
/// [`expected`].
fn write_through_every_method(deferring: &KvStore) -> Result<()> {
    deferring.set("set", "1")?;
    deferring.set_if("set_if", "2", mini_kvstore::Expect::Absent)?;
    deferring.set_with_ttl("ttl", "3", HOUR)?;
    assert!(deferring.expire("expire", HOUR)?);
    assert!(deferring.persist("persist")?);
    let mut batch = WriteBatch::new();
    batch.set("batch", "4").delete("deleted_in_batch");
    deferring.apply(batch)?;
    assert!(deferring.delete("deleted")?);
    deferring.set("last", "the last write")?;
    Ok(())
}

fn reads_back(store: &KvStore) -> Result<Reads> {
    expected()
        .into_iter()
        .map(|(key, _)| Ok((key, store.get(key)?)))
        .collect()
}

fn owned(expected: Vec<(&'static str, Option<&'static [u8]>)>) -> Reads {
    expected
        .into_iter()
        .map(|(key, value)| (key, value.map(<[u8]>::to_vec)))
        .collect()
}

#[test]
fn deferred_writes_are_visible_at_once_and_durable_only_after_the_wait() -> Result<()> {
    let storage = CountingSyncs::new()?;
    let store = KvStore::open_with(storage.clone(), options(SyncPolicy::Always))?;
    prepare(&store)?;
    let synced_before = storage.syncs();
    let deferring = store.deferring_durability();
    write_through_every_method(&deferring)?;
    deferring.set("more", "unsynced")?;
    deferring.set("last", "the last write")?;
    assert_eq!(storage.syncs(), synced_before, "a deferred write synced");
    assert!(deferring.durability_pending());
    assert!(
        !store.durability_pending(),
        "an ordinary handle has nothing pending"
    );
    // Readers — of this handle and of others — see them already.
    assert_eq!(reads_back(&store)?, owned(expected()));
    assert_eq!(store.ttl("persist"), None);
    assert!(store.ttl("expire").is_some() && store.ttl("ttl").is_some());

    // A crash now keeps only synced bytes: not even the last write.
    let image = storage.inner.crash_image(CrashMode::DropUnsynced)?;
    let crashed = KvStore::open_with(image, options(SyncPolicy::Always))?;
    assert_eq!(crashed.get("last")?, None, "the wait was not deferred");
    assert_eq!(crashed.get("set")?, None);
    assert_eq!(crashed.get("deleted")?, Some(b"before".to_vec()));
    drop(crashed);

    // One wait, one fsync, for all of them.
    deferring.wait_durable()?;
    assert_eq!(storage.syncs(), synced_before + 1);
    assert!(!deferring.durability_pending());
    deferring.wait_durable()?;
    assert_eq!(
        storage.syncs(),
        synced_before + 1,
        "nothing pending: no fsync"
    );

    for mode in [
        CrashMode::DropUnsynced,
        CrashMode::KeepUnsynced,
        CrashMode::KillProcess,
        CrashMode::TearLastAppend { keep: 11 },
    ] {
        let image = storage.inner.crash_image(mode)?;
        let crashed = KvStore::open_with(image, options(SyncPolicy::Always))?;
        assert_eq!(reads_back(&crashed)?, owned(expected()), "{mode:?}");
        assert_eq!(crashed.get("more")?, Some(b"unsynced".to_vec()), "{mode:?}");
        assert_eq!(crashed.ttl("persist"), None, "{mode:?}");
        assert!(crashed.ttl("expire").is_some(), "{mode:?}");
    }
    Ok(())
}

#[test]
fn clones_of_a_deferring_handle_share_their_pending_writes() -> Result<()> {
    let storage = CountingSyncs::new()?;
    let store = KvStore::open_with(storage.clone(), options(SyncPolicy::Always))?;
    let deferring = store.deferring_durability();
    let other = deferring.clone();
    let separate = deferring.deferring_durability();
    std::thread::scope(|scope| -> Result<()> {
        let writer = scope.spawn(|| other.set("from a thread", "x"));
        writer
            .join()
            .map_err(|_| anyhow::anyhow!("writer panicked"))??;
        Ok(())
    })?;
    assert!(
        deferring.durability_pending(),
        "a clone's write is pending here too"
    );
    assert!(
        !separate.durability_pending(),
        "a new deferring handle starts empty"
    );
    deferring.wait_durable()?;
    assert!(!other.durability_pending());
    let image = storage.inner.crash_image(CrashMode::DropUnsynced)?;
    let crashed = KvStore::open_with(image, options(SyncPolicy::Always))?;
    assert_eq!(crashed.get("from a thread")?, Some(b"x".to_vec()));
    Ok(())
}

#[test]
fn a_failed_wait_acknowledges_nothing_and_poisons_the_store() -> Result<()> {
    let storage = CountingSyncs::new()?;
    let store = KvStore::open_with(storage.clone(), options(SyncPolicy::Always))?;
    store.set("acked", "yes")?;
    let deferring = store.deferring_durability();
    deferring.set("a", "1")?;
    deferring.set("b", "2")?;
    // The next fsync, the wait's, fails.
    storage.inner.inject(Fault::FailOnce {
        nth: storage.syncs(),
        kind: Some(OpKind::Sync),
    });
    assert!(deferring.wait_durable().is_err());
    assert!(matches!(deferring.wait_durable(), Err(Error::Poisoned)));
    assert!(matches!(deferring.set("c", "3"), Err(Error::Poisoned)));
    let image = storage.inner.crash_image(CrashMode::DropUnsynced)?;
    let crashed = KvStore::open_with(image, options(SyncPolicy::Always))?;
    assert_eq!(crashed.get("acked")?, Some(b"yes".to_vec()));
    assert_eq!(crashed.get("a")?, None);
    assert_eq!(crashed.get("b")?, None);
    Ok(())
}

#[test]
fn without_deferred_writes_the_wait_returns_at_once() -> Result<()> {
    for policy in [
        SyncPolicy::Always,
        SyncPolicy::EveryMillis(3_600_000),
        SyncPolicy::Never,
    ] {
        let storage = CountingSyncs::new()?;
        let store = KvStore::open_with(storage.clone(), options(policy))?;
        store.set("ordinary", "1")?;
        let deferring = store.deferring_durability();
        let syncs = storage.syncs();
        store.wait_durable()?; // an ordinary handle's writes waited already
        deferring.wait_durable()?; // nothing written through it
        assert_eq!(storage.syncs(), syncs, "{policy:?}");
        if policy != SyncPolicy::Always {
            // These policies never wait for a write, deferred or not.
            deferring.set("deferred", "2")?;
            assert!(!deferring.durability_pending(), "{policy:?}");
            deferring.wait_durable()?;
            assert_eq!(storage.syncs(), syncs, "{policy:?}");
        }
    }
    Ok(())
}

#[test]
fn one_wait_through_the_highest_pending_seq_acknowledges_every_handle() -> Result<()> {
    let storage = CountingSyncs::new()?;
    let store = KvStore::open_with(storage.clone(), options(SyncPolicy::Always))?;
    store.set("acked", "yes")?;
    let syncs = storage.syncs();
    let handles: Vec<KvStore> = (0..4).map(|_| store.deferring_durability()).collect();
    for (i, handle) in handles.iter().enumerate() {
        assert_eq!(handle.durability_pending_through(), None);
        handle.set(format!("k{i}"), format!("v{i}"))?;
    }
    let through: Vec<u64> = handles
        .iter()
        .map(|handle| handle.durability_pending_through())
        .collect::<Option<_>>()
        .ok_or_else(|| anyhow::anyhow!("a deferred write is not pending"))?;
    assert!(through.windows(2).all(|w| w[0] < w[1]), "{through:?}");
    assert_eq!(
        store.durability_pending_through(),
        None,
        "an ordinary handle"
    );
    assert_eq!(storage.syncs(), syncs, "a deferred write synced");

    store.wait_durable_through(through[3])?;
    assert_eq!(storage.syncs(), syncs + 1, "one fsync for every handle");
    assert!(handles.iter().all(|handle| !handle.durability_pending()));
    let image = storage.inner.crash_image(CrashMode::DropUnsynced)?;
    let crashed = KvStore::open_with(image, options(SyncPolicy::Always))?;
    for i in 0..4 {
        assert_eq!(
            crashed.get(format!("k{i}"))?,
            Some(format!("v{i}").into_bytes())
        );
    }
    drop(crashed);

    // Durable already, or beyond the last write: no fsync.
    store.wait_durable_through(through[0])?;
    store.wait_durable_through(u64::MAX)?;
    assert_eq!(storage.syncs(), syncs + 1);
    Ok(())
}

#[test]
fn a_wait_through_a_seq_leads_one_sync_and_leaves_later_writes_pending() -> Result<()> {
    let storage = CountingSyncs::new()?;
    let store = KvStore::open_with(storage.clone(), options(SyncPolicy::Always))?;
    let (first, later) = (store.deferring_durability(), store.deferring_durability());
    first.set("first", "1")?;
    let through = first
        .durability_pending_through()
        .ok_or_else(|| anyhow::anyhow!("nothing pending"))?;
    let syncs = storage.syncs();
    storage.hold_syncs(true);
    std::thread::scope(|scope| -> Result<()> {
        let waiter = scope.spawn(|| store.wait_durable_through(through));
        storage.await_syncs(syncs + 1)?;
        // Appended while the waiter's fsync runs: not covered by it.
        later.set("later", "2")?;
        storage.hold_syncs(false);
        waiter
            .join()
            .map_err(|_| anyhow::anyhow!("waiter panicked"))??;
        Ok(())
    })?;
    assert_eq!(
        storage.syncs(),
        syncs + 1,
        "the waiter synced again for a later write"
    );
    assert!(!first.durability_pending());
    assert!(
        later.durability_pending(),
        "covered by a sync that began before it"
    );
    // Its own wait, the next fsync, acknowledges it.
    later.wait_durable()?;
    assert_eq!(storage.syncs(), syncs + 2);
    Ok(())
}

#[test]
fn a_failed_wait_through_acknowledges_nothing() -> Result<()> {
    let storage = CountingSyncs::new()?;
    let store = KvStore::open_with(storage.clone(), options(SyncPolicy::Always))?;
    store.set("acked", "yes")?;
    let acked = store.stats().next_seq - 1;
    let deferring = store.deferring_durability();
    deferring.set("a", "1")?;
    let through = deferring
        .durability_pending_through()
        .ok_or_else(|| anyhow::anyhow!("nothing pending"))?;
    storage.inner.inject(Fault::FailOnce {
        nth: storage.syncs(),
        kind: Some(OpKind::Sync),
    });
    assert!(store.wait_durable_through(through).is_err());
    assert!(deferring.durability_pending());
    assert!(matches!(
        store.wait_durable_through(through),
        Err(Error::Poisoned)
    ));
    // What was durable before stays acknowledged.
    store.wait_durable_through(acked)?;
    let image = storage.inner.crash_image(CrashMode::DropUnsynced)?;
    let crashed = KvStore::open_with(image, options(SyncPolicy::Always))?;
    assert_eq!(crashed.get("acked")?, Some(b"yes".to_vec()));
    assert_eq!(crashed.get("a")?, None);
    Ok(())
}

#[test]
fn a_wait_through_makes_writes_durable_under_any_policy() -> Result<()> {
    for policy in [SyncPolicy::EveryMillis(3_600_000), SyncPolicy::Never] {
        let storage = CountingSyncs::new()?;
        let store = KvStore::open_with(storage.clone(), options(policy))?;
        let deferring = store.deferring_durability();
        deferring.set("deferred", "1")?;
        assert_eq!(deferring.durability_pending_through(), None, "{policy:?}");
        let written = store.set_versioned("ordinary", "2")?;
        let syncs = storage.syncs();
        store.wait_durable_through(written.seq)?;
        assert_eq!(storage.syncs(), syncs + 1, "{policy:?}");
        store.wait_durable_through(written.seq)?;
        assert_eq!(storage.syncs(), syncs + 1, "{policy:?}: durable already");
        let image = storage.inner.crash_image(CrashMode::DropUnsynced)?;
        let crashed = KvStore::open_with(image, options(policy))?;
        assert_eq!(crashed.get("deferred")?, Some(b"1".to_vec()), "{policy:?}");
        assert_eq!(crashed.get("ordinary")?, Some(b"2".to_vec()), "{policy:?}");
    }
    Ok(())
}
