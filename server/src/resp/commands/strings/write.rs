//! How the string commands write: a key's state they need ([`Condition`]),
//! what happens to its expiry ([`Expiry`]), and the conditional write that
//! makes a read-modify-write safe against other clients.
//!
//! Read-modify-write commands read a key's version and write with
//! `Expect::Version` (or `Expect::Absent` for a new key), retrying when
//! another writer got there first, so two clients' `INCR`s never lose one.
//! A write that must keep or set an expiry and also check a version goes
//! as one [`WriteBatch`]: a conditional delete (which only checks, the key
//! being rewritten at once) and the set with its time to live.

use std::time::Duration;

use mini_kvstore::{Error, Expect, KvStore, WriteBatch};

use crate::resp::commands::spec::retry_on_conflict;

/// Which state of the key a write needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Condition {
    Any,
    /// `NX`
    Absent,
    /// `XX`
    Present,
}

/// What a write does to the key's time to live.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Expiry {
    /// The new value lives until deleted (plain `SET`, `GETEX PERSIST`).
    Clear,
    /// The key keeps the expiry it has (`KEEPTTL`, `INCR`, `APPEND`).
    Keep,
    /// The new value lives this long.
    In(Duration),
}

/// A conditional write's outcome: whether it happened and the value it
/// replaced (or found, when it did not happen).
pub(crate) struct Written {
    pub(crate) applied: bool,
    pub(crate) old: Option<Vec<u8>>,
}

/// Writes `value` under `key` if `condition` holds, with `expiry`.
pub(crate) fn write_value(
    store: &KvStore,
    key: &[u8],
    value: &[u8],
    condition: Condition,
    expiry: Expiry,
    want_old: bool,
) -> Result<Written, Error> {
    if condition == Condition::Any && !want_old {
        match expiry {
            Expiry::Clear => store.set(key, value)?,
            Expiry::In(ttl) => drop(store.set_with_ttl(key, value, ttl)?),
            Expiry::Keep => return write_value(store, key, value, condition, expiry, true),
        }
        return Ok(Written {
            applied: true,
            old: None,
        });
    }
    retry_on_conflict(|| {
        let current = store.get_versioned(key)?;
        let holds = match condition {
            Condition::Any => true,
            Condition::Absent => current.is_none(),
            Condition::Present => current.is_some(),
        };
        let (expect, old) = match current {
            Some(v) => (Expect::Version(v.seq), Some(v.value)),
            None => (Expect::Absent, None),
        };
        if !holds {
            return Ok(Written {
                applied: false,
                old,
            });
        }
        write_expecting(store, key, value, expect, expiry)?;
        Ok(Written { applied: true, old })
    })
}

/// Writes `value` under `key` if the key is as `expect` says.
pub(crate) fn write_expecting(
    store: &KvStore,
    key: &[u8],
    value: &[u8],
    expect: Expect,
    expiry: Expiry,
) -> Result<(), Error> {
    let ttl = match expiry {
        Expiry::Clear => None,
        Expiry::In(ttl) => Some(ttl),
        // Read after the version: an EXPIRE in between changes the version
        // too, and the write below then fails its condition and is retried.
        Expiry::Keep => store.ttl(key),
    };
    match ttl {
        None => store.set_if(key, value, expect).map(drop),
        Some(ttl) => {
            let mut batch = WriteBatch::new();
            batch.delete_if(key, expect);
            batch.set_with_ttl(key, value, ttl);
            store.apply(batch)
        }
    }
}
