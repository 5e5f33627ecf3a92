//! [`Expect`]: what a conditional write expects of its key, checked against
//! the key's version (the seq of its latest write, which the server sends
//! as the `ETag`).

/// The condition of [`KvStore::set_if`](crate::KvStore::set_if),
/// [`delete_if`](crate::KvStore::delete_if) and the conditional changes of a
/// [`WriteBatch`](crate::WriteBatch).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Expect {
    /// No condition: the write happens whatever the key holds.
    #[default]
    Any,
    /// The key has no value.
    Absent,
    /// The key's current value has this version.
    Version(u64),
}

impl Expect {
    /// Whether a key whose current version is `current` (`None`: absent)
    /// meets the condition.
    pub fn holds(self, current: Option<u64>) -> bool {
        match self {
            Expect::Any => true,
            Expect::Absent => current.is_none(),
            Expect::Version(version) => current == Some(version),
        }
    }
}
