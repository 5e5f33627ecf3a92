//! Expiry: `EXPIRE`, `PEXPIRE`, `EXPIREAT`, `PEXPIREAT` with their options
//! `NX`, `XX`, `GT`, `LT`; `TTL`, `PTTL`, `PERSIST`.
//!
//! Without options a new expiry is one engine call (`expire`, which
//! rewrites the value under the writer lock). With options the decision
//! depends on the expiry the key has, so the key is read with its version,
//! and the new expiry written only if the version is still the one read —
//! retried otherwise — so no other write slips between the check and the
//! change.

use std::time::Duration;

use mini_kvstore::{Expect, KvStore, WriteBatch};

use crate::resp::commands::spec::{
    Call, not_an_integer, or_store_error, parse_i64, retry_on_conflict,
};
use crate::resp::commands::ttl::{invalid_expire_time, now_millis};
use crate::resp::reply::Reply;

/// Redis's `NX`, `XX`, `GT`, `LT`: when a key takes a new expiry.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct ExpireIf {
    /// Only a key without an expiry.
    nx: bool,
    /// Only a key with one.
    xx: bool,
    /// Only a later expiry than the current one; no expiry counts as
    /// infinitely late, so a key without one never takes a `GT`.
    gt: bool,
    /// Only an earlier expiry; a key without one always takes an `LT`.
    lt: bool,
}

impl ExpireIf {
    /// The options after the time, with Redis's errors.
    fn parse(options: &[Vec<u8>]) -> Result<ExpireIf, Reply> {
        let mut parsed = ExpireIf::default();
        for option in options {
            match option.to_ascii_uppercase().as_slice() {
                b"NX" => parsed.nx = true,
                b"XX" => parsed.xx = true,
                b"GT" => parsed.gt = true,
                b"LT" => parsed.lt = true,
                _ => {
                    return Err(Reply::err(format!(
                        "Unsupported option {}",
                        String::from_utf8_lossy(option)
                    )));
                }
            }
        }
        if parsed.nx && (parsed.xx || parsed.gt || parsed.lt) {
            return Err(Reply::err(
                "NX and XX, GT or LT options at the same time are not compatible",
            ));
        }
        if parsed.gt && parsed.lt {
            return Err(Reply::err(
                "GT and LT options at the same time are not compatible",
            ));
        }
        Ok(parsed)
    }

    fn any(self) -> bool {
        self != ExpireIf::default()
    }

    /// Whether a key whose expiry is `current` milliseconds away (`None`:
    /// no expiry) takes one `new` milliseconds away.
    fn admits(self, current: Option<i64>, new: i64) -> bool {
        let refused = (self.nx && current.is_some())
            || (self.xx && current.is_none())
            || (self.gt && current.is_none_or(|current| new <= current))
            || (self.lt && current.is_some_and(|current| new >= current));
        !refused
    }
}

/// How the time argument counts.
#[derive(Debug, Clone, Copy)]
enum Time {
    /// From now, in units of this many milliseconds (`EXPIRE`, `PEXPIRE`).
    FromNow(i64),
    /// A Unix time in units of this many milliseconds (`EXPIREAT`,
    /// `PEXPIREAT`).
    Unix(i64),
}

/// The new expiry in milliseconds from now, by the store's clock; not
/// positive when it has come already. Redis's error when the time
/// overflows (a time in the past is not an error: it deletes the key).
fn millis_from_now(store: &KvStore, arg: &[u8], time: Time, command: &str) -> Result<i64, Reply> {
    let n = parse_i64(arg).ok_or_else(not_an_integer)?;
    let now = i64::try_from(now_millis(store)).unwrap_or(i64::MAX);
    let invalid = || invalid_expire_time(command);
    match time {
        Time::FromNow(unit_ms) => {
            let ms = n.checked_mul(unit_ms).ok_or_else(invalid)?;
            // Redis refuses a time that overflows once now is added.
            ms.checked_add(now).ok_or_else(invalid)?;
            Ok(ms)
        }
        Time::Unix(unit_ms) => {
            let at = n.checked_mul(unit_ms).ok_or_else(invalid)?;
            Ok(at.saturating_sub(now))
        }
    }
}

fn expire_generic(call: &mut Call<'_>, time: Time) -> Reply {
    let options = match ExpireIf::parse(&call.args[3..]) {
        Ok(options) => options,
        Err(reply) => return reply,
    };
    let store = call.store();
    let left = match millis_from_now(store, call.arg(2), time, &call.name()) {
        Ok(left) => left,
        Err(reply) => return reply,
    };
    let key = call.arg(1);
    let as_reply = |done: bool| Reply::Integer(i64::from(done));
    if !options.any() {
        // A time that has come deletes the key, as in Redis.
        let done = if left <= 0 {
            store.delete(key)
        } else {
            store.expire(key, Duration::from_millis(left as u64))
        };
        return or_store_error(done.map(as_reply));
    }
    or_store_error(retry_on_conflict(|| {
        let Some(found) = store.get_versioned(key)? else {
            return Ok(as_reply(false));
        };
        // Read after the version: a change of expiry in between changes the
        // version too, and the write below then fails and is retried.
        let current = store
            .ttl(key)
            .map(|left| i64::try_from(left.as_millis()).unwrap_or(i64::MAX));
        if !options.admits(current, left) {
            return Ok(as_reply(false));
        }
        let expect = Expect::Version(found.seq);
        if left <= 0 {
            store.delete_if(key, expect)?;
        } else {
            let mut batch = WriteBatch::new();
            batch.delete_if(key, expect);
            batch.set_with_ttl(key, &found.value, Duration::from_millis(left as u64));
            store.apply(batch)?;
        }
        Ok(as_reply(true))
    }))
}

pub(crate) fn expire(call: &mut Call<'_>) -> Reply {
    expire_generic(call, Time::FromNow(1000))
}

pub(crate) fn pexpire(call: &mut Call<'_>) -> Reply {
    expire_generic(call, Time::FromNow(1))
}

pub(crate) fn expireat(call: &mut Call<'_>) -> Reply {
    expire_generic(call, Time::Unix(1000))
}

pub(crate) fn pexpireat(call: &mut Call<'_>) -> Reply {
    expire_generic(call, Time::Unix(1))
}

/// `-2` when the key is absent, `-1` when it has no expiry, else the time
/// left in milliseconds.
fn millis_left(call: &Call<'_>) -> i64 {
    let store = call.store();
    match store.ttl(call.arg(1)) {
        Some(left) => i64::try_from(left.as_millis()).unwrap_or(i64::MAX),
        None if store.contains_key(call.arg(1)) => -1,
        None => -2,
    }
}

pub(crate) fn ttl(call: &mut Call<'_>) -> Reply {
    let ms = millis_left(call);
    // Rounded to the nearest second, as Redis does.
    Reply::Integer(if ms < 0 { ms } else { (ms + 500) / 1000 })
}

pub(crate) fn pttl(call: &mut Call<'_>) -> Reply {
    Reply::Integer(millis_left(call))
}

pub(crate) fn persist(call: &mut Call<'_>) -> Reply {
    or_store_error(
        call.store()
            .persist(call.arg(1))
            .map(|done| Reply::Integer(i64::from(done))),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options(words: &[&str]) -> Result<ExpireIf, Reply> {
        let args: Vec<Vec<u8>> = words.iter().map(|w| w.as_bytes().to_vec()).collect();
        ExpireIf::parse(&args)
    }

    #[test]
    fn options_combine_as_redis_allows() {
        assert!(options(&["xx", "GT"]).is_ok());
        assert_eq!(
            options(&["NX", "LT"]),
            Err(Reply::err(
                "NX and XX, GT or LT options at the same time are not compatible"
            ))
        );
        assert_eq!(
            options(&["GT", "LT"]),
            Err(Reply::err(
                "GT and LT options at the same time are not compatible"
            ))
        );
        assert_eq!(
            options(&["SOON"]),
            Err(Reply::err("Unsupported option SOON"))
        );
    }

    #[test]
    fn no_expiry_is_later_than_any() {
        let gt = ExpireIf {
            gt: true,
            ..ExpireIf::default()
        };
        let lt = ExpireIf {
            lt: true,
            ..ExpireIf::default()
        };
        assert!(!gt.admits(None, 1_000));
        assert!(gt.admits(Some(500), 1_000));
        assert!(!gt.admits(Some(1_000), 1_000));
        assert!(lt.admits(None, 1_000));
        assert!(!lt.admits(Some(500), 1_000));
    }
}
