//! The generic key family: `DEL`/`UNLINK`, `EXISTS`, `TYPE`, `RENAME`/
//! `RENAMENX`, expiry (`EXPIRE`, `PEXPIRE`, `EXPIREAT`, `PEXPIREAT` and
//! their `NX|XX|GT|LT`, `TTL`, `PTTL`, `PERSIST`), `KEYS` and `SCAN`.
//!
//! | module | what |
//! |---|---|
//! | `expiry` | setting, reading and removing expiries |
//! | `rename` | `RENAME`, `RENAMENX`: one batch, conditioned on the source's version |
//! | `scan` | `KEYS`, and `SCAN`'s cursors |
//!
//! The table and the three one-line commands are here; the modules do not
//! import this file.

mod expiry;
mod rename;
mod scan;

use crate::resp::commands::spec::{
    Call, CommandSpec, FAST, Family, INLINE, READONLY, WRITE, store_error,
};
use crate::resp::reply::Reply;

/// Redis's `generic` group.
const GENERIC: Family = Family("generic");

pub(crate) static SPECS: &[CommandSpec] = &[
    GENERIC.spec(
        "del",
        -2,
        WRITE | INLINE,
        (1, -1, 1),
        "Deletes one or more keys.",
        del,
    ),
    GENERIC.spec(
        "unlink",
        -2,
        WRITE | FAST | INLINE,
        (1, -1, 1),
        "Deletes one or more keys (as DEL: deletes are cheap here).",
        del,
    ),
    GENERIC.spec(
        "exists",
        -2,
        READONLY | FAST | INLINE,
        (1, -1, 1),
        "Determines whether one or more keys exist.",
        exists,
    ),
    GENERIC.spec(
        "type",
        2,
        READONLY | FAST | INLINE,
        (1, 1, 1),
        "Determines the type of value stored at a key.",
        key_type,
    ),
    GENERIC.spec(
        "expire",
        -3,
        WRITE | FAST | INLINE,
        (1, 1, 1),
        "Sets the expiration time of a key in seconds.",
        expiry::expire,
    ),
    GENERIC.spec(
        "pexpire",
        -3,
        WRITE | FAST | INLINE,
        (1, 1, 1),
        "Sets the expiration time of a key in milliseconds.",
        expiry::pexpire,
    ),
    GENERIC.spec(
        "ttl",
        2,
        READONLY | FAST | INLINE,
        (1, 1, 1),
        "Returns the expiration time in seconds of a key.",
        expiry::ttl,
    ),
    GENERIC.spec(
        "pttl",
        2,
        READONLY | FAST | INLINE,
        (1, 1, 1),
        "Returns the expiration time in milliseconds of a key.",
        expiry::pttl,
    ),
    GENERIC.spec(
        "persist",
        2,
        WRITE | FAST | INLINE,
        (1, 1, 1),
        "Removes the expiration time of a key.",
        expiry::persist,
    ),
    GENERIC.spec(
        "keys",
        2,
        READONLY,
        (0, 0, 0),
        "Returns all key names that match a pattern.",
        scan::keys,
    ),
    GENERIC.spec(
        "scan",
        -2,
        READONLY,
        (0, 0, 0),
        "Iterates over the key names in the database.",
        scan::scan,
    ),
    GENERIC.spec(
        "rename",
        3,
        WRITE | INLINE,
        (1, 2, 1),
        "Renames a key and overwrites the destination.",
        rename::rename,
    ),
    GENERIC.spec(
        "renamenx",
        3,
        WRITE | FAST | INLINE,
        (1, 2, 1),
        "Renames a key only when the target key name doesn't exist.",
        rename::renamenx,
    ),
    GENERIC.spec(
        "expireat",
        -3,
        WRITE | FAST | INLINE,
        (1, 1, 1),
        "Sets the expiration time of a key to a Unix timestamp.",
        expiry::expireat,
    ),
    GENERIC.spec(
        "pexpireat",
        -3,
        WRITE | FAST | INLINE,
        (1, 1, 1),
        "Sets the expiration time of a key to a Unix milliseconds timestamp.",
        expiry::pexpireat,
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
