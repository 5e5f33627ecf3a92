//! Expiry on the handle: setting a value with a time to live, giving a key
//! a new one or taking it away, and asking what is left. An expiry is part
//! of the record, so changing one writes the value again; the index keeps
//! the expiry beside the key so `ttl` is answered from memory.

use std::time::Duration;

use super::KvStore;
use super::SetOutcome;
use super::write::{check_key, expiry};
use crate::error::Result;
use crate::expect::Expect;

impl KvStore {
    /// Stores `value` under `key` for `ttl`: from then on the key reads as
    /// absent — to `get`, `contains_key`, ranges and counts — and its bytes
    /// count as dead, until a merge drops them. The expiry is an absolute
    /// time (by the store's [`Clock`](crate::Clock)) kept in the record, so
    /// it holds across a reopen.
    pub fn set_with_ttl(
        &self,
        key: impl AsRef<[u8]>,
        value: impl AsRef<[u8]>,
        ttl: Duration,
    ) -> Result<SetOutcome> {
        let expires_at = expiry(self.shared.now(), ttl);
        self.put(key.as_ref(), value.as_ref(), Expect::Any, Some(expires_at))
    }

    /// Gives `key` a new time to live, from now. `Ok(false)` when the key has
    /// no value. The expiry is part of the record, so this writes the value
    /// again with it (one read and one append of the whole value).
    pub fn expire(&self, key: impl AsRef<[u8]>, ttl: Duration) -> Result<bool> {
        let expires_at = expiry(self.shared.now(), ttl);
        self.rewrite(key.as_ref(), Some(expires_at), |_| true)
    }

    /// Takes `key`'s expiry away, so it lives until deleted. `Ok(false)` when
    /// the key has no value or no expiry. Like [`expire`](Self::expire), it
    /// writes the value again.
    pub fn persist(&self, key: impl AsRef<[u8]>) -> Result<bool> {
        self.rewrite(key.as_ref(), None, |expiring| expiring.is_some())
    }

    /// How long `key` has left: `None` when it has no value or no expiry.
    /// Answered from memory, like [`contains_key`](Self::contains_key).
    pub fn ttl(&self, key: impl AsRef<[u8]>) -> Option<Duration> {
        let key = key.as_ref();
        let now = self.shared.now();
        let index = self.shared.read_index();
        if !index.contains(key, now) {
            return None;
        }
        let at = index.expiry.get(key)?.at;
        Some(Duration::from_millis(at.saturating_sub(now)))
    }

    /// Writes `key`'s value again with expiry `expires_at`, if the key has a
    /// value and its current expiry passes `wanted`.
    fn rewrite(
        &self,
        key: &[u8],
        expires_at: Option<u64>,
        wanted: impl FnOnce(Option<crate::expiry::Expiring>) -> bool,
    ) -> Result<bool> {
        check_key(key)?;
        let seq = {
            let log = self.shared.log();
            let mut writer = self.shared.lock_writer();
            let now = self.shared.now();
            {
                let index = self.shared.read_index();
                if !index.contains(key, now) || !wanted(index.expiry.get(key)) {
                    return Ok(false);
                }
            }
            // Under the writer lock the value cannot change before it is
            // written again.
            let Some(found) = self.shared.reader().get_versioned(key)? else {
                return Ok(false);
            };
            self.append_put(&log, &mut writer, key, &found.value, expires_at, now)?
                .seq
        };
        self.after_write(seq)?;
        Ok(true)
    }
}
