//! Ordered scans on the handle: a key range from either end, the whole
//! store, a prefix — all one [`Iter`] over different bounds.

use std::ops::{Bound, RangeBounds};
use std::sync::Arc;

use super::KvStore;
use super::iter::Iter;
use crate::key::prefix_end;

impl KvStore {
    /// Every `(key, value)` whose key is in `range`, in key order; `.rev()`
    /// on the iterator walks it from the end. Any `RangeBounds` of byte
    /// strings works:
    ///
    /// ```
    /// # use mini_kvstore::{KvStore, MemStorage, Options};
    /// # fn main() -> Result<(), mini_kvstore::Error> {
    /// # let store = KvStore::open_with(MemStorage::new(), Options::default())?;
    /// for key in ["a", "b", "c", "d"] {
    ///     store.set(key, key.to_uppercase())?;
    /// }
    /// fn keys(
    ///     iter: impl Iterator<Item = mini_kvstore::Result<(Vec<u8>, Vec<u8>)>>,
    /// ) -> mini_kvstore::Result<Vec<Vec<u8>>> {
    ///     iter.map(|item| item.map(|(key, _)| key)).collect()
    /// }
    /// assert_eq!(keys(store.range("b".."d"))?, [b"b".to_vec(), b"c".to_vec()]);
    /// assert_eq!(keys(store.range("c"..))?, [b"c".to_vec(), b"d".to_vec()]);
    /// assert_eq!(keys(store.range(..="b").rev())?, [b"b".to_vec(), b"a".to_vec()]);
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// The keys are not copied up front: the scan walks the index a chunk at
    /// a time (see [`Iter`] for what it sees of writes made meanwhile).
    pub fn range<K: AsRef<[u8]>, R: RangeBounds<K>>(&self, range: R) -> Iter {
        let owned = |bound: Bound<&K>| match bound {
            Bound::Included(key) => Bound::Included(key.as_ref().to_vec()),
            Bound::Excluded(key) => Bound::Excluded(key.as_ref().to_vec()),
            Bound::Unbounded => Bound::Unbounded,
        };
        Iter::new(
            Arc::clone(&self.shared),
            owned(range.start_bound()),
            owned(range.end_bound()),
        )
    }

    /// Every `(key, value)`, in key order.
    pub fn iter(&self) -> Iter {
        self.range::<&[u8], _>(..)
    }

    /// Every `(key, value)` whose key starts with `prefix`, in key order.
    pub fn scan_prefix(&self, prefix: impl AsRef<[u8]>) -> Iter {
        let prefix = prefix.as_ref();
        match prefix_end(prefix) {
            Some(end) => self.range(prefix..end.as_slice()),
            None => self.range(prefix..),
        }
    }
}
