//! Deferring handles: the calls that put a write's durability wait off and
//! take it later, so one fsync can acknowledge many writes. The waits
//! themselves — who syncs, who is woken — are the group commit's
//! (`durability`); this module is the handle's side of it.

use std::sync::Arc;

use super::KvStore;
use super::durability::Deferred;
use crate::error::Result;

impl KvStore {
    /// A handle to the same store whose writes do not wait to be durable.
    /// Each write through it returns once it is applied — visible to every
    /// reader, as an ordinary write is just before its wait — and, under
    /// [`SyncPolicy::Always`](crate::SyncPolicy::Always), records its
    /// sequence number instead of waiting for its fsync;
    /// [`wait_durable`](Self::wait_durable) later waits for all of them at
    /// once, so one fsync can cover many writes (the Redis-protocol server
    /// answers a pipeline of requests this way). Every write method defers:
    /// the `set`s, `delete`s, [`apply`](Self::apply),
    /// [`expire`](Self::expire) and [`persist`](Self::persist).
    ///
    /// The contract: **a write through a deferring handle is not
    /// acknowledged when it returns `Ok`**, only once a later `wait_durable`
    /// on this handle (or a clone of it) returns `Ok`; from then on it
    /// survives a crash as a write through an ordinary handle that returned
    /// `Ok` does. Until then a crash may lose any of them. If `wait_durable`
    /// returns `Err`, none of the writes since the last `Ok` wait may be
    /// assumed durable (each write batch among them still survives whole or
    /// not at all), and the store is poisoned: it refuses further writes.
    ///
    /// Clones of the returned handle share its pending writes, and a wait on
    /// any of them waits for all of them. Calling this on a deferring handle
    /// gives a new one whose pending writes are its own. Everything else —
    /// reads, scans, [`sync`](Self::sync) (which makes pending writes
    /// durable too), compaction — works as on any handle. Under
    /// `SyncPolicy::EveryMillis` and `Never` no write waits anyway, so a
    /// deferring handle behaves as an ordinary one and `wait_durable`
    /// returns at once.
    ///
    /// ```
    /// # use mini_kvstore::{KvStore, MemStorage, Options};
    /// # fn main() -> Result<(), mini_kvstore::Error> {
    /// # let store = KvStore::open_with(MemStorage::new(), Options::default())?;
    /// let deferring = store.deferring_durability();
    /// deferring.set("a", "1")?;
    /// deferring.set("b", "2")?;
    /// assert_eq!(store.get("a")?, Some(b"1".to_vec())); // visible, maybe not durable
    /// deferring.wait_durable()?; // now both are acknowledged
    /// assert!(!deferring.durability_pending());
    /// # Ok(())
    /// # }
    /// ```
    pub fn deferring_durability(&self) -> KvStore {
        KvStore {
            _background: Arc::clone(&self._background),
            shared: Arc::clone(&self.shared),
            deferred: Some(Deferred::default()),
        }
    }

    /// Returns once every write made through this handle (and its clones)
    /// is durable as the store's sync policy promises: the wait each of them
    /// put off (see [`deferring_durability`](Self::deferring_durability)).
    /// Concurrent waits share fsyncs with each other and with ordinary
    /// writers (group commit). `Ok` at once when nothing is pending, under
    /// `SyncPolicy::EveryMillis` and `Never`, and for an ordinary handle,
    /// whose writes waited already.
    ///
    /// `Err` when the fsync failed or the store was poisoned before it:
    /// then none of the writes since the last `Ok` wait may be assumed
    /// durable.
    pub fn wait_durable(&self) -> Result<()> {
        match &self.deferred {
            Some(deferred) => self.shared.wait_deferred(deferred),
            None => Ok(()),
        }
    }

    /// Whether [`wait_durable`](Self::wait_durable) would have to wait: some
    /// write through this deferring handle is not known durable yet. Always
    /// `false` for an ordinary handle.
    pub fn durability_pending(&self) -> bool {
        self.durability_pending_through().is_some()
    }

    /// The sequence number to wait for to make this deferring handle's
    /// writes durable: `Some(seq)` — the highest seq written through it and
    /// its clones — exactly when [`durability_pending`](Self::durability_pending)
    /// is true. [`wait_durable_through`](Self::wait_durable_through)`(seq)`
    /// then acknowledges them as [`wait_durable`](Self::wait_durable) would,
    /// so one thread can wait for the writes of many handles with one call.
    /// Always `None` for an ordinary handle, and under
    /// `SyncPolicy::EveryMillis` and `Never`, whose writes wait for nothing.
    pub fn durability_pending_through(&self) -> Option<u64> {
        self.deferred
            .as_ref()
            .and_then(|deferred| self.shared.pending_through(deferred))
    }

    /// Returns once every write with a sequence number up to `seq` —
    /// through any handle of this store — is durable; a `seq` beyond the
    /// last write means the last write. Unlike [`sync`](Self::sync) it does
    /// not reach the storage when they are durable already, and under any
    /// sync policy it makes them durable when they are not.
    ///
    /// The contract: when it returns `Ok`, every write through a deferring
    /// handle whose [`durability_pending_through`](Self::durability_pending_through)
    /// was at most `seq` is acknowledged, exactly as after that handle's own
    /// [`wait_durable`](Self::wait_durable). The wait is the group commit's,
    /// shared with every other writer; when this thread does the fsync, it
    /// does one — covering every write appended when it starts — and
    /// returns, rather than sync again for writes that came meanwhile, so a
    /// caller that answers on behalf of others (the Redis-protocol server's
    /// durability waiter) answers them as soon as they are durable. `Err`
    /// as for `wait_durable`: the fsync failed, or the store was poisoned
    /// before it, and none of those writes may be assumed durable; if they
    /// were durable already, `Ok` even on a poisoned store.
    ///
    /// ```
    /// # use mini_kvstore::{KvStore, MemStorage, Options};
    /// # fn main() -> Result<(), mini_kvstore::Error> {
    /// # let store = KvStore::open_with(MemStorage::new(), Options::default())?;
    /// let (a, b) = (store.deferring_durability(), store.deferring_durability());
    /// a.set("a", "1")?;
    /// b.set("b", "2")?;
    /// let through = [a.durability_pending_through(), b.durability_pending_through()];
    /// let highest = through.into_iter().flatten().max().unwrap_or(0);
    /// store.wait_durable_through(highest)?; // one fsync acknowledges both
    /// assert!(!a.durability_pending() && !b.durability_pending());
    /// # Ok(())
    /// # }
    /// ```
    pub fn wait_durable_through(&self, seq: u64) -> Result<()> {
        self.shared.wait_durable_through(seq)
    }

    /// Applies the sync policy after a write: waits, or for a deferring
    /// handle records the write for [`wait_durable`](Self::wait_durable).
    /// Every write method ends here.
    pub(super) fn after_write(&self, seq: u64) -> Result<()> {
        self.shared.after_write(seq, self.deferred.as_ref())
    }
}
