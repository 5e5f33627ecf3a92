//! The string family: `GET`, `SET` and its options, `SETNX`/`SETEX`/
//! `PSETEX`, `GETSET`, `GETDEL`, `MGET`, `MSET`, `MSETNX`, the `INCR`
//! family, `APPEND`, `STRLEN`, `GETRANGE`.
//!
//! Read-modify-write commands read a key's version and write with
//! `Expect::Version` (or `Expect::Absent` for a new key), retrying when
//! another writer got there first, so two clients' `INCR`s never lose one.
//! A write that must keep or set an expiry and also check a version goes
//! as one [`WriteBatch`]: a conditional delete (which only checks, the key
//! being rewritten at once) and the set with its time to live.

use std::time::Duration;

use mini_kvstore::{Error, Expect, KvStore, WriteBatch};

use crate::resp::commands::spec::{
    Call, CommandSpec, FAST, Family, READONLY, WRITE, not_an_integer, or_store_error, parse_i64,
    store_error, syntax_error,
};
use crate::resp::reply::Reply;

/// Redis's `string` group.
const STRING: Family = Family("string");

pub(crate) static SPECS: &[CommandSpec] = &[
    STRING.spec(
        "get",
        2,
        READONLY | FAST,
        (1, 1, 1),
        "Returns the string value of a key.",
        get,
    ),
    STRING.spec(
        "set",
        -3,
        WRITE,
        (1, 1, 1),
        "Sets the string value of a key, ignoring its type. The key is created if it doesn't exist.",
        set,
    ),
    STRING.spec(
        "setnx",
        3,
        WRITE | FAST,
        (1, 1, 1),
        "Set the string value of a key only when the key doesn't exist.",
        setnx,
    ),
    STRING.spec(
        "setex",
        4,
        WRITE,
        (1, 1, 1),
        "Sets the string value and expiration time of a key.",
        setex,
    ),
    STRING.spec(
        "psetex",
        4,
        WRITE,
        (1, 1, 1),
        "Sets both string value and expiration time in milliseconds of a key.",
        psetex,
    ),
    STRING.spec(
        "getset",
        3,
        WRITE | FAST,
        (1, 1, 1),
        "Returns the previous string value of a key after setting it to a new value.",
        getset,
    ),
    STRING.spec(
        "getdel",
        2,
        WRITE | FAST,
        (1, 1, 1),
        "Returns the string value of a key after deleting the key.",
        getdel,
    ),
    STRING.spec(
        "mget",
        -2,
        READONLY | FAST,
        (1, -1, 1),
        "Atomically returns the string values of one or more keys.",
        mget,
    ),
    STRING.spec(
        "mset",
        -3,
        WRITE,
        (1, -1, 2),
        "Atomically creates or modifies the string values of one or more keys.",
        mset,
    ),
    STRING.spec(
        "msetnx",
        -3,
        WRITE,
        (1, -1, 2),
        "Atomically modifies the string values of one or more keys only when all keys don't exist.",
        msetnx,
    ),
    STRING.spec(
        "incr",
        2,
        WRITE | FAST,
        (1, 1, 1),
        "Increments the integer value of a key by one. Uses 0 as initial value if the key doesn't exist.",
        incr,
    ),
    STRING.spec(
        "decr",
        2,
        WRITE | FAST,
        (1, 1, 1),
        "Decrements the integer value of a key by one. Uses 0 as initial value if the key doesn't exist.",
        decr,
    ),
    STRING.spec(
        "incrby",
        3,
        WRITE | FAST,
        (1, 1, 1),
        "Increments the integer value of a key by a number. Uses 0 as initial value if the key doesn't exist.",
        incrby,
    ),
    STRING.spec(
        "decrby",
        3,
        WRITE | FAST,
        (1, 1, 1),
        "Decrements a number from the integer value of a key. Uses 0 as initial value if the key doesn't exist.",
        decrby,
    ),
    STRING.spec(
        "append",
        3,
        WRITE | FAST,
        (1, 1, 1),
        "Appends a string to the value of a key. Creates the key if it doesn't exist.",
        append,
    ),
    STRING.spec(
        "strlen",
        2,
        READONLY | FAST,
        (1, 1, 1),
        "Returns the length of a string value.",
        strlen,
    ),
    STRING.spec(
        "getrange",
        4,
        READONLY,
        (1, 1, 1),
        "Returns a substring of the string stored at a key.",
        getrange,
    ),
    STRING.not_built(
        "getex",
        -2,
        WRITE,
        (1, 1, 1),
        "Returns the string value of a key after setting its expiration time.",
    ),
    STRING.not_built(
        "setrange",
        4,
        WRITE,
        (1, 1, 1),
        "Overwrites a part of a string value with another by an offset.",
    ),
    STRING.not_built(
        "incrbyfloat",
        3,
        WRITE | FAST,
        (1, 1, 1),
        "Increment the floating point value of a key by a number.",
    ),
];

/// Which state of the key a write needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Condition {
    Any,
    /// `NX`
    Absent,
    /// `XX`
    Present,
}

/// What a write does to the key's time to live.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expiry {
    /// The new value lives until deleted (plain `SET`).
    Clear,
    /// The key keeps the expiry it has (`KEEPTTL`, `INCR`, `APPEND`).
    Keep,
    /// The new value lives this long.
    In(Duration),
}

/// A conditional write's outcome: whether it happened and the value it
/// replaced (or found, when it did not happen).
struct Written {
    applied: bool,
    old: Option<Vec<u8>>,
}

/// Writes `value` under `key` if `condition` holds, with `expiry`.
fn write_value(
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
    loop {
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
        match write_expecting(store, key, value, expect, expiry) {
            Ok(()) => return Ok(Written { applied: true, old }),
            Err(Error::Conflict { .. }) => continue,
            Err(e) => return Err(e),
        }
    }
}

/// Writes `value` under `key` if the key is as `expect` says.
fn write_expecting(
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

fn get(call: &mut Call<'_>) -> Reply {
    or_store_error(call.store().get(call.arg(1)).map(Reply::bulk_or_null))
}

/// A time to live given in `unit_ms` milliseconds per unit; Redis's error
/// when it is not positive or overflows.
fn relative_ttl(arg: &[u8], unit_ms: u64, command: &str) -> Result<Duration, Reply> {
    let n = parse_i64(arg).ok_or_else(not_an_integer)?;
    let invalid = || Reply::err(format!("invalid expire time in '{command}' command"));
    if n <= 0 {
        return Err(invalid());
    }
    let ms = (n as u64).checked_mul(unit_ms).ok_or_else(invalid)?;
    Ok(Duration::from_millis(ms))
}

/// A time to live until an absolute Unix time in `unit_ms` milliseconds per
/// unit, by the store's clock (zero when it has passed: the key is written
/// already expired, as Redis deletes it).
fn absolute_ttl(
    store: &KvStore,
    arg: &[u8],
    unit_ms: u64,
    command: &str,
) -> Result<Duration, Reply> {
    let n = parse_i64(arg).ok_or_else(not_an_integer)?;
    let invalid = || Reply::err(format!("invalid expire time in '{command}' command"));
    if n <= 0 {
        return Err(invalid());
    }
    let at = (n as u64).checked_mul(unit_ms).ok_or_else(invalid)?;
    let now = store.options().get_clock().now_millis();
    Ok(Duration::from_millis(at.saturating_sub(now)))
}

fn set(call: &mut Call<'_>) -> Reply {
    let mut condition = Condition::Any;
    let mut expiry = Expiry::Clear;
    let mut expiry_given = false;
    let mut want_old = false;
    let mut i = 3;
    while i < call.args.len() {
        let option = call.arg(i).to_ascii_uppercase();
        let value = call.args.get(i + 1);
        match option.as_slice() {
            b"NX" if condition == Condition::Any => condition = Condition::Absent,
            b"XX" if condition == Condition::Any => condition = Condition::Present,
            b"GET" => want_old = true,
            b"KEEPTTL" if !expiry_given => {
                expiry = Expiry::Keep;
                expiry_given = true;
            }
            b"EX" | b"PX" | b"EXAT" | b"PXAT" if !expiry_given && value.is_some() => {
                let value = value.map_or(&[][..], Vec::as_slice);
                let ttl = match option.as_slice() {
                    b"EX" => relative_ttl(value, 1000, "set"),
                    b"PX" => relative_ttl(value, 1, "set"),
                    b"EXAT" => absolute_ttl(call.store(), value, 1000, "set"),
                    _ => absolute_ttl(call.store(), value, 1, "set"),
                };
                match ttl {
                    Ok(ttl) => expiry = Expiry::In(ttl),
                    Err(reply) => return reply,
                }
                expiry_given = true;
                i += 1;
            }
            _ => return syntax_error(),
        }
        i += 1;
    }
    match write_value(
        call.store(),
        call.arg(1),
        call.arg(2),
        condition,
        expiry,
        want_old,
    ) {
        Ok(written) if want_old => Reply::bulk_or_null(written.old),
        Ok(written) if written.applied => Reply::ok(),
        Ok(_) => Reply::Null,
        Err(e) => store_error(e),
    }
}

fn setnx(call: &mut Call<'_>) -> Reply {
    match call
        .store()
        .set_if(call.arg(1), call.arg(2), Expect::Absent)
    {
        Ok(_) => Reply::Integer(1),
        Err(Error::Conflict { .. }) => Reply::Integer(0),
        Err(e) => store_error(e),
    }
}

fn set_expiring(call: &mut Call<'_>, unit_ms: u64) -> Reply {
    let ttl = match relative_ttl(call.arg(2), unit_ms, &call.name()) {
        Ok(ttl) => ttl,
        Err(reply) => return reply,
    };
    or_store_error(
        call.store()
            .set_with_ttl(call.arg(1), call.arg(3), ttl)
            .map(|_| Reply::ok()),
    )
}

fn setex(call: &mut Call<'_>) -> Reply {
    set_expiring(call, 1000)
}

fn psetex(call: &mut Call<'_>) -> Reply {
    set_expiring(call, 1)
}

fn getset(call: &mut Call<'_>) -> Reply {
    or_store_error(
        write_value(
            call.store(),
            call.arg(1),
            call.arg(2),
            Condition::Any,
            Expiry::Clear,
            true,
        )
        .map(|written| Reply::bulk_or_null(written.old)),
    )
}

fn getdel(call: &mut Call<'_>) -> Reply {
    let store = call.store();
    let key = call.arg(1);
    loop {
        let current = match store.get_versioned(key) {
            Ok(Some(current)) => current,
            Ok(None) => return Reply::Null,
            Err(e) => return store_error(e),
        };
        match store.delete_if(key, Expect::Version(current.seq)) {
            Ok(true) => return Reply::Bulk(current.value),
            // Expired (or deleted) since the read.
            Ok(false) => return Reply::Null,
            Err(Error::Conflict { .. }) => continue,
            Err(e) => return store_error(e),
        }
    }
}

fn mget(call: &mut Call<'_>) -> Reply {
    let store = call.store();
    let values: Result<Vec<Reply>, Error> = call.args[1..]
        .iter()
        .map(|key| store.get(key).map(Reply::bulk_or_null))
        .collect();
    or_store_error(values.map(Reply::Array))
}

/// The key-value pairs of `MSET`/`MSETNX` as one batch, each set under
/// `expect`; `None` when the arguments do not pair up.
fn pairs_batch(call: &Call<'_>, expect: Expect) -> Option<WriteBatch> {
    let pairs = &call.args[1..];
    if !pairs.len().is_multiple_of(2) {
        return None;
    }
    let mut batch = WriteBatch::new();
    for pair in pairs.chunks_exact(2) {
        batch.set_if(&pair[0], &pair[1], expect);
    }
    Some(batch)
}

fn mset(call: &mut Call<'_>) -> Reply {
    let Some(batch) = pairs_batch(call, Expect::Any) else {
        return call.wrong_arity();
    };
    or_store_error(call.store().apply(batch).map(|()| Reply::ok()))
}

fn msetnx(call: &mut Call<'_>) -> Reply {
    let Some(batch) = pairs_batch(call, Expect::Absent) else {
        return call.wrong_arity();
    };
    match call.store().apply(batch) {
        Ok(()) => Reply::Integer(1),
        Err(Error::Conflict { .. }) => Reply::Integer(0),
        Err(e) => store_error(e),
    }
}

/// Adds `delta` to the integer at `key` (0 when absent), keeping its expiry.
fn add(call: &mut Call<'_>, delta: i64) -> Reply {
    let store = call.store();
    let key = call.arg(1);
    loop {
        let current = match store.get_versioned(key) {
            Ok(current) => current,
            Err(e) => return store_error(e),
        };
        let (number, expect) = match &current {
            None => (0, Expect::Absent),
            Some(v) => match parse_i64(&v.value) {
                Some(number) => (number, Expect::Version(v.seq)),
                None => return not_an_integer(),
            },
        };
        let Some(next) = number.checked_add(delta) else {
            return Reply::err("increment or decrement would overflow");
        };
        let text = next.to_string();
        match write_expecting(store, key, text.as_bytes(), expect, Expiry::Keep) {
            Ok(()) => return Reply::Integer(next),
            Err(Error::Conflict { .. }) => continue,
            Err(e) => return store_error(e),
        }
    }
}

fn incr(call: &mut Call<'_>) -> Reply {
    add(call, 1)
}

fn decr(call: &mut Call<'_>) -> Reply {
    add(call, -1)
}

fn incrby(call: &mut Call<'_>) -> Reply {
    match parse_i64(call.arg(2)) {
        Some(delta) => add(call, delta),
        None => not_an_integer(),
    }
}

fn decrby(call: &mut Call<'_>) -> Reply {
    match parse_i64(call.arg(2)).map(i64::checked_neg) {
        Some(Some(delta)) => add(call, delta),
        Some(None) => Reply::err("decrement would overflow"),
        None => not_an_integer(),
    }
}

fn append(call: &mut Call<'_>) -> Reply {
    let store = call.store();
    let (key, suffix) = (call.arg(1), call.arg(2));
    loop {
        let (mut value, expect) = match store.get_versioned(key) {
            Ok(Some(v)) => (v.value, Expect::Version(v.seq)),
            Ok(None) => (Vec::new(), Expect::Absent),
            Err(e) => return store_error(e),
        };
        value.extend_from_slice(suffix);
        match write_expecting(store, key, &value, expect, Expiry::Keep) {
            Ok(()) => return Reply::Integer(value.len() as i64),
            Err(Error::Conflict { .. }) => continue,
            Err(e) => return store_error(e),
        }
    }
}

fn strlen(call: &mut Call<'_>) -> Reply {
    or_store_error(
        call.store()
            .get(call.arg(1))
            .map(|value| Reply::Integer(value.map_or(0, |v| v.len() as i64))),
    )
}

fn getrange(call: &mut Call<'_>) -> Reply {
    let (Some(start), Some(end)) = (parse_i64(call.arg(2)), parse_i64(call.arg(3))) else {
        return not_an_integer();
    };
    let value = match call.store().get(call.arg(1)) {
        Ok(value) => value.unwrap_or_default(),
        Err(e) => return store_error(e),
    };
    let len = value.len() as i64;
    if len == 0 || (start < 0 && end < 0 && start > end) {
        return Reply::bulk("");
    }
    let from_end = |i: i64| if i < 0 { (len + i).max(0) } else { i };
    let (start, end) = (from_end(start), from_end(end).min(len - 1));
    if start > end {
        return Reply::bulk("");
    }
    Reply::bulk(&value[start as usize..=end as usize])
}
