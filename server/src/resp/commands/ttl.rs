//! Expiry times as the string and key commands take them: a count of
//! seconds or milliseconds from now (`EX`, `PX`) or a Unix time (`EXAT`,
//! `PXAT`, `EXPIREAT`), always by the store's clock, so tests that move a
//! `ManualClock` move these too.
//!
//! A leaf of `commands`: the string family (`SET`, `GETEX`) and the key
//! family (`EXPIREAT`) both parse times here.

use std::time::Duration;

use mini_kvstore::KvStore;

use crate::resp::commands::spec::{not_an_integer, parse_i64};
use crate::resp::reply::Reply;

/// Redis's answer to a time that is not positive or overflows.
pub(crate) fn invalid_expire_time(command: &str) -> Reply {
    Reply::err(format!("invalid expire time in '{command}' command"))
}

/// The store's clock, in Unix milliseconds.
pub(crate) fn now_millis(store: &KvStore) -> u64 {
    store.options().get_clock().now_millis()
}

/// A time to live given in `unit_ms` milliseconds per unit (`EX`, `PX`):
/// positive, or Redis's error.
pub(crate) fn relative_ttl(arg: &[u8], unit_ms: u64, command: &str) -> Result<Duration, Reply> {
    let n = parse_i64(arg).ok_or_else(not_an_integer)?;
    if n <= 0 {
        return Err(invalid_expire_time(command));
    }
    let ms = (n as u64)
        .checked_mul(unit_ms)
        .ok_or_else(|| invalid_expire_time(command))?;
    Ok(Duration::from_millis(ms))
}

/// A time to live until an absolute Unix time in `unit_ms` milliseconds per
/// unit (`EXAT`, `PXAT`). [`Duration::ZERO`] when that time has come: the
/// caller deletes the key (or writes it already expired), as Redis does.
pub(crate) fn absolute_ttl(
    store: &KvStore,
    arg: &[u8],
    unit_ms: u64,
    command: &str,
) -> Result<Duration, Reply> {
    let n = parse_i64(arg).ok_or_else(not_an_integer)?;
    if n <= 0 {
        return Err(invalid_expire_time(command));
    }
    let at = (n as u64)
        .checked_mul(unit_ms)
        .ok_or_else(|| invalid_expire_time(command))?;
    Ok(Duration::from_millis(at.saturating_sub(now_millis(store))))
}
