//! [`WriteBatch`]: several sets and deletes applied all together or not at all.
//!
//! A batch is appended as consecutive records flagged first / middle / last
//! (`docs/FORMAT.md`), in one write and, under `SyncPolicy::Always`, one
//! fsync. Recovery applies a batch only when every record of it is there, so
//! a crash in the middle of writing one never exposes part of it. Its
//! changes may carry conditions ([`Expect`]), all checked before anything is
//! written.

use std::time::Duration;

use crate::expect::Expect;

/// One change in a batch, borrowed from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BatchOp<'a> {
    /// Key, value, and how long the value lives (`None`: for ever).
    Set(&'a [u8], &'a [u8], Option<Duration>),
    Delete(&'a [u8]),
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
#[derive(Clone, Default, PartialEq, Eq)]
pub struct WriteBatch {
    /// Every key and value, back to back: one growing buffer for the whole
    /// batch rather than two allocations per change, so a batch of any size
    /// allocates only as its buffer grows.
    bytes: Vec<u8>,
    entries: Vec<Entry>,
}

/// Where one change's key (and value, for a set) sit in `bytes`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Entry {
    start: usize,
    key_len: usize,
    /// `None` for a delete.
    value_len: Option<usize>,
    /// What the key must be, as the batch is applied, for the batch to go in.
    expect: Expect,
    /// For a set, how long the value lives once the batch is applied.
    ttl: Option<Duration>,
}

impl WriteBatch {
    /// An empty batch.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a set. Later changes to the same key in the batch win.
    pub fn set(&mut self, key: impl AsRef<[u8]>, value: impl AsRef<[u8]>) -> &mut Self {
        self.set_if(key, value, Expect::Any)
    }

    /// Adds a set that needs `key` to be as `expect` says when the batch is
    /// applied — against the store as it was before the batch — or the whole
    /// batch fails with [`Error::Conflict`](crate::Error::Conflict) and
    /// writes nothing.
    pub fn set_if(
        &mut self,
        key: impl AsRef<[u8]>,
        value: impl AsRef<[u8]>,
        expect: Expect,
    ) -> &mut Self {
        let (key, value) = (key.as_ref(), value.as_ref());
        self.entries.push(Entry {
            start: self.bytes.len(),
            key_len: key.len(),
            value_len: Some(value.len()),
            expect,
            ttl: None,
        });
        self.bytes.extend_from_slice(key);
        self.bytes.extend_from_slice(value);
        self
    }

    /// Adds a set whose value expires `ttl` after the batch is applied (see
    /// [`KvStore::set_with_ttl`](crate::KvStore::set_with_ttl)).
    pub fn set_with_ttl(
        &mut self,
        key: impl AsRef<[u8]>,
        value: impl AsRef<[u8]>,
        ttl: Duration,
    ) -> &mut Self {
        self.set(key, value);
        if let Some(entry) = self.entries.last_mut() {
            entry.ttl = Some(ttl);
        }
        self
    }

    /// Adds a delete. Deleting a key that does not exist (when the batch is
    /// applied) writes nothing.
    pub fn delete(&mut self, key: impl AsRef<[u8]>) -> &mut Self {
        self.delete_if(key, Expect::Any)
    }

    /// Adds a delete that needs `key` to be as `expect` says (see
    /// [`set_if`](Self::set_if)).
    pub fn delete_if(&mut self, key: impl AsRef<[u8]>, expect: Expect) -> &mut Self {
        let key = key.as_ref();
        self.entries.push(Entry {
            start: self.bytes.len(),
            key_len: key.len(),
            value_len: None,
            expect,
            ttl: None,
        });
        self.bytes.extend_from_slice(key);
        self
    }

    /// Number of changes in the batch.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when the batch has no changes.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Removes every change, keeping the allocation.
    pub fn clear(&mut self) {
        self.bytes.clear();
        self.entries.clear();
    }

    /// The changes, in the order they were added.
    pub(crate) fn ops(&self) -> impl Iterator<Item = BatchOp<'_>> {
        self.entries.iter().map(|entry| {
            let key = &self.bytes[entry.start..entry.start + entry.key_len];
            match entry.value_len {
                Some(len) => {
                    let value_start = entry.start + entry.key_len;
                    BatchOp::Set(key, &self.bytes[value_start..value_start + len], entry.ttl)
                }
                None => BatchOp::Delete(key),
            }
        })
    }

    /// The conditions the batch carries: each key with what it must be.
    pub(crate) fn expectations(&self) -> impl Iterator<Item = (&[u8], Expect)> {
        self.entries
            .iter()
            .filter(|entry| entry.expect != Expect::Any)
            .map(|entry| {
                (
                    &self.bytes[entry.start..entry.start + entry.key_len],
                    entry.expect,
                )
            })
    }

    /// Whether any change is a delete.
    pub(crate) fn has_deletes(&self) -> bool {
        self.entries.iter().any(|entry| entry.value_len.is_none())
    }
}

impl std::fmt::Debug for WriteBatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.ops()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_come_back_in_order() {
        let mut batch = WriteBatch::new();
        batch.set("a", "1").delete("b").set("", "").set("c", "333");
        assert_eq!(batch.len(), 4);
        assert!(batch.has_deletes());
        let ops: Vec<BatchOp<'_>> = batch.ops().collect();
        assert_eq!(
            ops,
            [
                BatchOp::Set(b"a", b"1", None),
                BatchOp::Delete(b"b"),
                BatchOp::Set(b"", b"", None),
                BatchOp::Set(b"c", b"333", None),
            ]
        );
        batch.clear();
        assert!(batch.is_empty() && !batch.has_deletes());
    }
}
