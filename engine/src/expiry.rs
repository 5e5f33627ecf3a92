//! [`ExpiryTable`]: the expiry times of the keys that have one, in memory
//! beside the index.
//!
//! A side table rather than a field of every index entry, so keys without a
//! TTL cost nothing extra. It is ordered by key (to answer "when does this
//! key expire") and by time (to count, from the oldest, the keys that have
//! expired by now). An expired key stays in the index until a merge drops
//! its record or a write replaces it; every read path asks this table and
//! treats it as absent from the moment it expires.

use std::collections::{BTreeMap, BTreeSet};

use crate::key::IndexKey;

/// When a key's value expires, and the seq of the write that set it (which
/// the tombstone rule asks of an expired record, as of a tombstone).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Expiring {
    /// Milliseconds since the Unix epoch.
    pub(crate) at: u64,
    pub(crate) seq: u64,
}

/// The keys that expire.
#[derive(Debug, Default)]
pub(crate) struct ExpiryTable {
    by_key: BTreeMap<IndexKey, Expiring>,
    by_time: BTreeSet<(u64, IndexKey)>,
}

impl ExpiryTable {
    /// Whether no key expires (the common case, checked before any work).
    pub(crate) fn is_empty(&self) -> bool {
        self.by_key.is_empty()
    }

    /// Records that `key`'s latest write expires as `expiring` says, or not
    /// at all (`None`).
    pub(crate) fn set(&mut self, key: &[u8], expiring: Option<Expiring>) {
        if expiring.is_none() && self.by_key.is_empty() {
            return;
        }
        self.remove(key);
        if let Some(expiring) = expiring {
            let key = IndexKey::from(key);
            self.by_time.insert((expiring.at, key.clone()));
            self.by_key.insert(key, expiring);
        }
    }

    /// Forgets `key`'s expiry.
    pub(crate) fn remove(&mut self, key: &[u8]) {
        if let Some(old) = self.by_key.remove(key) {
            self.by_time.remove(&(old.at, IndexKey::from(key)));
        }
    }

    /// When `key` expires, if it does.
    pub(crate) fn get(&self, key: &[u8]) -> Option<Expiring> {
        self.by_key.get(key).copied()
    }

    /// Whether `key` has expired by `now`.
    pub(crate) fn is_expired(&self, key: &[u8], now: u64) -> bool {
        !self.by_key.is_empty() && self.get(key).is_some_and(|e| e.at <= now)
    }

    /// The keys expired by `now`, oldest expiry first.
    pub(crate) fn expired(&self, now: u64) -> impl Iterator<Item = &IndexKey> {
        self.by_time
            .iter()
            .take_while(move |(at, _)| *at <= now)
            .map(|(_, key)| key)
    }

    /// How many keys have expired by `now`.
    pub(crate) fn expired_count(&self, now: u64) -> usize {
        self.expired(now).count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(at: u64, seq: u64) -> Option<Expiring> {
        Some(Expiring { at, seq })
    }

    #[test]
    fn a_key_expires_at_its_time_and_a_new_write_replaces_its_expiry() {
        let mut table = ExpiryTable::default();
        table.set(b"a", at(100, 1));
        table.set(b"b", at(50, 2));
        assert!(!table.is_expired(b"a", 99));
        assert!(table.is_expired(b"a", 100));
        assert_eq!(table.expired_count(60), 1);
        let expired: Vec<&[u8]> = table.expired(200).map(|k| &**k).collect();
        assert_eq!(expired, [&b"b"[..], b"a"]);
        table.set(b"a", None);
        assert_eq!(table.get(b"a"), None);
        assert_eq!(table.expired_count(200), 1);
        table.set(b"b", at(300, 3));
        assert_eq!(table.expired_count(200), 0);
        table.remove(b"b");
        assert!(table.is_empty());
    }
}
