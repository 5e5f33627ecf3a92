//! The string family: `GET`, `SET` and its options, `SETNX`/`SETEX`/
//! `PSETEX`, `GETSET`, `GETDEL`, `GETEX`, `MGET`, `MSET`, `MSETNX`, the
//! `INCR` family and `INCRBYFLOAT`, `APPEND`, `STRLEN`, `GETRANGE`,
//! `SETRANGE`.
//!
//! | module | what |
//! |---|---|
//! | `write` | the conditional write every read-modify-write goes through, and what it does to the expiry |
//! | `get_set` | whole values: `GET`, the `SET`s, `GETSET`/`GETDEL`/`GETEX`, `MGET`/`MSET`/`MSETNX` |
//! | `numbers` | the `INCR` family and `INCRBYFLOAT` |
//! | `ranges` | `APPEND`, `STRLEN`, `GETRANGE`, `SETRANGE` |
//!
//! The table is here and the handlers in the modules; none of them imports
//! this file.

mod get_set;
mod numbers;
mod ranges;
mod write;

use crate::resp::commands::spec::{CommandSpec, FAST, Family, INLINE, READONLY, WRITE};

/// Redis's `string` group.
const STRING: Family = Family("string");

pub(crate) static SPECS: &[CommandSpec] = &[
    STRING.spec(
        "get",
        2,
        READONLY | FAST | INLINE,
        (1, 1, 1),
        "Returns the string value of a key.",
        get_set::get,
    ),
    STRING.spec(
        "set",
        -3,
        WRITE | INLINE,
        (1, 1, 1),
        "Sets the string value of a key, ignoring its type. The key is created if it doesn't exist.",
        get_set::set,
    ),
    STRING.spec(
        "setnx",
        3,
        WRITE | FAST | INLINE,
        (1, 1, 1),
        "Set the string value of a key only when the key doesn't exist.",
        get_set::setnx,
    ),
    STRING.spec(
        "setex",
        4,
        WRITE | INLINE,
        (1, 1, 1),
        "Sets the string value and expiration time of a key.",
        get_set::setex,
    ),
    STRING.spec(
        "psetex",
        4,
        WRITE | INLINE,
        (1, 1, 1),
        "Sets both string value and expiration time in milliseconds of a key.",
        get_set::psetex,
    ),
    STRING.spec(
        "getset",
        3,
        WRITE | FAST | INLINE,
        (1, 1, 1),
        "Returns the previous string value of a key after setting it to a new value.",
        get_set::getset,
    ),
    STRING.spec(
        "getdel",
        2,
        WRITE | FAST | INLINE,
        (1, 1, 1),
        "Returns the string value of a key after deleting the key.",
        get_set::getdel,
    ),
    STRING.spec(
        "mget",
        -2,
        READONLY | FAST | INLINE,
        (1, -1, 1),
        "Atomically returns the string values of one or more keys.",
        get_set::mget,
    ),
    STRING.spec(
        "mset",
        -3,
        WRITE | INLINE,
        (1, -1, 2),
        "Atomically creates or modifies the string values of one or more keys.",
        get_set::mset,
    ),
    STRING.spec(
        "msetnx",
        -3,
        WRITE | INLINE,
        (1, -1, 2),
        "Atomically modifies the string values of one or more keys only when all keys don't exist.",
        get_set::msetnx,
    ),
    STRING.spec(
        "incr",
        2,
        WRITE | FAST | INLINE,
        (1, 1, 1),
        "Increments the integer value of a key by one. Uses 0 as initial value if the key doesn't exist.",
        numbers::incr,
    ),
    STRING.spec(
        "decr",
        2,
        WRITE | FAST | INLINE,
        (1, 1, 1),
        "Decrements the integer value of a key by one. Uses 0 as initial value if the key doesn't exist.",
        numbers::decr,
    ),
    STRING.spec(
        "incrby",
        3,
        WRITE | FAST | INLINE,
        (1, 1, 1),
        "Increments the integer value of a key by a number. Uses 0 as initial value if the key doesn't exist.",
        numbers::incrby,
    ),
    STRING.spec(
        "decrby",
        3,
        WRITE | FAST | INLINE,
        (1, 1, 1),
        "Decrements a number from the integer value of a key. Uses 0 as initial value if the key doesn't exist.",
        numbers::decrby,
    ),
    STRING.spec(
        "append",
        3,
        WRITE | FAST | INLINE,
        (1, 1, 1),
        "Appends a string to the value of a key. Creates the key if it doesn't exist.",
        ranges::append,
    ),
    STRING.spec(
        "strlen",
        2,
        READONLY | FAST | INLINE,
        (1, 1, 1),
        "Returns the length of a string value.",
        ranges::strlen,
    ),
    STRING.spec(
        "getrange",
        4,
        READONLY | INLINE,
        (1, 1, 1),
        "Returns a substring of the string stored at a key.",
        ranges::getrange,
    ),
    STRING.spec(
        "getex",
        -2,
        WRITE | INLINE,
        (1, 1, 1),
        "Returns the string value of a key after setting its expiration time.",
        get_set::getex,
    ),
    STRING.spec(
        "setrange",
        4,
        WRITE,
        (1, 1, 1),
        "Overwrites a part of a string value with another by an offset.",
        ranges::setrange,
    ),
    STRING.spec(
        "incrbyfloat",
        3,
        WRITE | FAST | INLINE,
        (1, 1, 1),
        "Increment the floating point value of a key by a number.",
        numbers::incrbyfloat,
    ),
];
