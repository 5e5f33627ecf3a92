//! The generic key family: `DEL`/`UNLINK`, `EXISTS`, `TYPE`, expiry
//! (`EXPIRE`, `PEXPIRE`, `TTL`, `PTTL`, `PERSIST`), `KEYS` and `SCAN`.
//!
//! `SCAN` walks keys in order. Its cursor is a number (clients parse it as
//! one) standing for the last key returned, kept in
//! [`ScanCursors`](crate::resp::state::ScanCursors); the next call resumes
//! just after that key, so a full iteration returns every key present
//! throughout exactly once, however the store changes meanwhile.

use std::time::Duration;

use crate::resp::commands::spec::{
    Call, CommandSpec, FAST, Family, READONLY, WRITE, not_an_integer, or_store_error, parse_i64,
    store_error, syntax_error,
};
use crate::resp::glob;
use crate::resp::reply::Reply;

/// `SCAN`'s page size when `COUNT` is not given, as Redis.
const DEFAULT_SCAN_COUNT: usize = 10;

/// Redis's `generic` group.
const GENERIC: Family = Family("generic");

pub(crate) static SPECS: &[CommandSpec] = &[
    GENERIC.spec(
        "del",
        -2,
        WRITE,
        (1, -1, 1),
        "Deletes one or more keys.",
        del,
    ),
    GENERIC.spec(
        "unlink",
        -2,
        WRITE | FAST,
        (1, -1, 1),
        "Deletes one or more keys (as DEL: deletes are cheap here).",
        del,
    ),
    GENERIC.spec(
        "exists",
        -2,
        READONLY | FAST,
        (1, -1, 1),
        "Determines whether one or more keys exist.",
        exists,
    ),
    GENERIC.spec(
        "type",
        2,
        READONLY | FAST,
        (1, 1, 1),
        "Determines the type of value stored at a key.",
        key_type,
    ),
    GENERIC.spec(
        "expire",
        -3,
        WRITE | FAST,
        (1, 1, 1),
        "Sets the expiration time of a key in seconds.",
        expire,
    ),
    GENERIC.spec(
        "pexpire",
        -3,
        WRITE | FAST,
        (1, 1, 1),
        "Sets the expiration time of a key in milliseconds.",
        pexpire,
    ),
    GENERIC.spec(
        "ttl",
        2,
        READONLY | FAST,
        (1, 1, 1),
        "Returns the expiration time in seconds of a key.",
        ttl,
    ),
    GENERIC.spec(
        "pttl",
        2,
        READONLY | FAST,
        (1, 1, 1),
        "Returns the expiration time in milliseconds of a key.",
        pttl,
    ),
    GENERIC.spec(
        "persist",
        2,
        WRITE | FAST,
        (1, 1, 1),
        "Removes the expiration time of a key.",
        persist,
    ),
    GENERIC.spec(
        "keys",
        2,
        READONLY,
        (0, 0, 0),
        "Returns all key names that match a pattern.",
        keys,
    ),
    GENERIC.spec(
        "scan",
        -2,
        READONLY,
        (0, 0, 0),
        "Iterates over the key names in the database.",
        scan,
    ),
    GENERIC.not_built(
        "rename",
        3,
        WRITE,
        (1, 2, 1),
        "Renames a key and overwrites the destination.",
    ),
    GENERIC.not_built(
        "renamenx",
        3,
        WRITE | FAST,
        (1, 2, 1),
        "Renames a key only when the target key name doesn't exist.",
    ),
    GENERIC.not_built(
        "expireat",
        -3,
        WRITE | FAST,
        (1, 1, 1),
        "Sets the expiration time of a key to a Unix timestamp.",
    ),
    GENERIC.not_built(
        "pexpireat",
        -3,
        WRITE | FAST,
        (1, 1, 1),
        "Sets the expiration time of a key to a Unix milliseconds timestamp.",
    ),
];

fn del(call: &mut Call<'_>) -> Reply {
    let store = call.store();
    let mut deleted = 0;
    for key in &call.args[1..] {
        match store.delete(key) {
            Ok(true) => deleted += 1,
            Ok(false) => {}
            Err(e) => return store_error(e),
        }
    }
    Reply::Integer(deleted)
}

fn exists(call: &mut Call<'_>) -> Reply {
    let store = call.store();
    // Redis counts a key named twice twice.
    let count = call.args[1..]
        .iter()
        .filter(|key| store.contains_key(key))
        .count();
    Reply::Integer(count as i64)
}

fn key_type(call: &mut Call<'_>) -> Reply {
    let name = if call.store().contains_key(call.arg(1)) {
        "string"
    } else {
        "none"
    };
    Reply::Simple(name.into())
}

fn expire_in(call: &mut Call<'_>, unit_ms: i64) -> Reply {
    if call.args.len() > 3 {
        return Reply::err(format!(
            "{} options NX|XX|GT|LT are not built yet in mini-kvstore",
            call.name().to_uppercase()
        ));
    }
    let Some(n) = parse_i64(call.arg(2)) else {
        return not_an_integer();
    };
    let Some(ms) = n.checked_mul(unit_ms) else {
        return Reply::err(format!("invalid expire time in '{}' command", call.name()));
    };
    let store = call.store();
    let key = call.arg(1);
    // A time to live that is not positive deletes the key, as in Redis.
    let done = if ms <= 0 {
        store.delete(key)
    } else {
        store.expire(key, Duration::from_millis(ms as u64))
    };
    or_store_error(done.map(|done| Reply::Integer(i64::from(done))))
}

fn expire(call: &mut Call<'_>) -> Reply {
    expire_in(call, 1000)
}

fn pexpire(call: &mut Call<'_>) -> Reply {
    expire_in(call, 1)
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

fn ttl(call: &mut Call<'_>) -> Reply {
    let ms = millis_left(call);
    // Rounded to the nearest second, as Redis does.
    Reply::Integer(if ms < 0 { ms } else { (ms + 500) / 1000 })
}

fn pttl(call: &mut Call<'_>) -> Reply {
    Reply::Integer(millis_left(call))
}

fn persist(call: &mut Call<'_>) -> Reply {
    or_store_error(
        call.store()
            .persist(call.arg(1))
            .map(|done| Reply::Integer(i64::from(done))),
    )
}

fn keys(call: &mut Call<'_>) -> Reply {
    let pattern = call.arg(1);
    let found = call
        .store()
        .keys_with_prefix(glob::literal_prefix(pattern))
        .into_iter()
        .filter(|key| glob::matches(pattern, key))
        .map(Reply::Bulk)
        .collect();
    Reply::Array(found)
}

fn scan(call: &mut Call<'_>) -> Reply {
    let invalid_cursor = || Reply::err("invalid cursor");
    let Some(cursor) = std::str::from_utf8(call.arg(1))
        .ok()
        .and_then(|c| c.parse::<u64>().ok())
    else {
        return invalid_cursor();
    };
    let mut pattern: Option<&[u8]> = None;
    let mut count = DEFAULT_SCAN_COUNT;
    let mut strings = true;
    let mut i = 2;
    while i < call.args.len() {
        let Some(value) = call.args.get(i + 1) else {
            return syntax_error();
        };
        match call.arg(i).to_ascii_uppercase().as_slice() {
            b"MATCH" => pattern = Some(value),
            b"COUNT" => match parse_i64(value) {
                Some(n) if n >= 1 => count = usize::try_from(n).unwrap_or(usize::MAX),
                Some(_) => return syntax_error(),
                None => return not_an_integer(),
            },
            // Every key holds a string: any other type matches nothing.
            b"TYPE" => strings = value.eq_ignore_ascii_case(b"string"),
            _ => return syntax_error(),
        }
        i += 2;
    }
    let after = if cursor == 0 {
        None
    } else {
        let cursors = match call.server.cursors.lock() {
            Ok(cursors) => cursors,
            Err(poisoned) => poisoned.into_inner(),
        };
        match cursors.resume(cursor) {
            Some(key) => Some(key),
            None => return invalid_cursor(),
        }
    };
    let prefix = pattern.map_or(&[][..], glob::literal_prefix);
    let page = call.store().keys_page(prefix, after.as_deref(), count);
    let next = match page.last() {
        Some(last) if page.len() == count => {
            let mut cursors = match call.server.cursors.lock() {
                Ok(cursors) => cursors,
                Err(poisoned) => poisoned.into_inner(),
            };
            cursors.open(last.clone())
        }
        _ => 0,
    };
    let keys = page
        .into_iter()
        .filter(|key| strings && pattern.is_none_or(|p| glob::matches(p, key)))
        .map(Reply::Bulk)
        .collect();
    Reply::Array(vec![Reply::bulk(next.to_string()), Reply::Array(keys)])
}
