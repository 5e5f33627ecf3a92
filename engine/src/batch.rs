//! [`WriteBatch`]: several sets and deletes applied all together or not at all.
//!
//! A batch is appended as consecutive records flagged first / middle / last
//! (`docs/FORMAT.md`), in one write and, under `SyncPolicy::Always`, one
//! fsync. Recovery applies a batch only when every record of it is there, so
//! a crash in the middle of writing one never exposes part of it.

/// One change in a batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum BatchOp {
    Set(Vec<u8>, Vec<u8>),
    Delete(Vec<u8>),
}

/// Sets and deletes to apply atomically with [`KvStore::apply`](crate::KvStore::apply).
///
/// ```
/// use mini_kvstore::{KvStore, MemStorage, Options, WriteBatch};
/// # fn main() -> Result<(), mini_kvstore::Error> {
/// let store = KvStore::open_with(MemStorage::new(), Options::default())?;
/// store.set("from", b"100")?;
/// let mut batch = WriteBatch::new();
/// batch.set("to", b"100");
/// batch.delete("from");
/// store.apply(batch)?; // both, or after a crash neither
/// assert_eq!(store.get("to")?, Some(b"100".to_vec()));
/// assert_eq!(store.get("from")?, None);
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WriteBatch {
    pub(crate) ops: Vec<BatchOp>,
}

impl WriteBatch {
    /// An empty batch.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a set. Later changes to the same key in the batch win.
    pub fn set(&mut self, key: impl AsRef<[u8]>, value: impl AsRef<[u8]>) -> &mut Self {
        self.ops
            .push(BatchOp::Set(key.as_ref().to_vec(), value.as_ref().to_vec()));
        self
    }

    /// Adds a delete. Deleting a key that does not exist (when the batch is
    /// applied) writes nothing.
    pub fn delete(&mut self, key: impl AsRef<[u8]>) -> &mut Self {
        self.ops.push(BatchOp::Delete(key.as_ref().to_vec()));
        self
    }

    /// Number of changes in the batch.
    pub fn len(&self) -> usize {
        self.ops.len()
    }

    /// True when the batch has no changes.
    pub fn is_empty(&self) -> bool {
        self.ops.is_empty()
    }

    /// Removes every change, keeping the allocation.
    pub fn clear(&mut self) {
        self.ops.clear();
    }
}
