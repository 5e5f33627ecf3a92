//! Reading and writing whole values: `GET`, `SET` and its options,
//! `SETNX`/`SETEX`/`PSETEX`, `GETSET`, `GETDEL`, `GETEX`, `MGET`, `MSET`,
//! `MSETNX`.

use mini_kvstore::{Error, Expect, WriteBatch};

use crate::resp::commands::spec::{
    Call, or_store_error, retry_on_conflict, store_error, syntax_error,
};
use crate::resp::commands::strings::write::{Condition, Expiry, write_expecting, write_value};
use crate::resp::commands::ttl::{absolute_ttl, relative_ttl};
use crate::resp::reply::Reply;

pub(crate) fn get(call: &mut Call<'_>) -> Reply {
    or_store_error(call.store().get(call.arg(1)).map(Reply::bulk_or_null))
}

pub(crate) fn set(call: &mut Call<'_>) -> Reply {
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

pub(crate) fn setnx(call: &mut Call<'_>) -> Reply {
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

pub(crate) fn setex(call: &mut Call<'_>) -> Reply {
    set_expiring(call, 1000)
}

pub(crate) fn psetex(call: &mut Call<'_>) -> Reply {
    set_expiring(call, 1)
}

pub(crate) fn getset(call: &mut Call<'_>) -> Reply {
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

pub(crate) fn getdel(call: &mut Call<'_>) -> Reply {
    let store = call.store();
    let key = call.arg(1);
    or_store_error(retry_on_conflict(|| {
        let Some(current) = store.get_versioned(key)? else {
            return Ok(Reply::Null);
        };
        Ok(if store.delete_if(key, Expect::Version(current.seq))? {
            Reply::Bulk(current.value)
        } else {
            // Expired since the read.
            Reply::Null
        })
    }))
}

/// What `GETEX` does to the key's expiry, as its options say; the time is
/// checked once the key is found, as Redis does (a missing key answers nil
/// whatever the time).
#[derive(Clone, Copy)]
enum NewExpiry<'a> {
    Unchanged,
    /// `PERSIST`
    Clear,
    /// `EX` (1000 ms a unit) or `PX` (1).
    Relative(&'a [u8], u64),
    /// `EXAT` or `PXAT`.
    Absolute(&'a [u8], u64),
}

pub(crate) fn getex(call: &mut Call<'_>) -> Reply {
    let mut change = NewExpiry::Unchanged;
    let mut i = 2;
    while i < call.args.len() {
        let option = call.arg(i).to_ascii_uppercase();
        let value = call.args.get(i + 1).map(Vec::as_slice);
        // One option at most: a second, even the same again, is a syntax
        // error in Redis too.
        change = match (option.as_slice(), value, change) {
            (b"PERSIST", _, NewExpiry::Unchanged) => NewExpiry::Clear,
            (b"EX", Some(n), NewExpiry::Unchanged) => NewExpiry::Relative(n, 1000),
            (b"PX", Some(n), NewExpiry::Unchanged) => NewExpiry::Relative(n, 1),
            (b"EXAT", Some(n), NewExpiry::Unchanged) => NewExpiry::Absolute(n, 1000),
            (b"PXAT", Some(n), NewExpiry::Unchanged) => NewExpiry::Absolute(n, 1),
            _ => return syntax_error(),
        };
        i += if matches!(change, NewExpiry::Clear) {
            1
        } else {
            2
        };
    }
    let store = call.store();
    let key = call.arg(1);
    or_store_error(retry_on_conflict(|| {
        let Some(current) = store.get_versioned(key)? else {
            return Ok(Reply::Null);
        };
        let expect = Expect::Version(current.seq);
        let ttl = match change {
            NewExpiry::Unchanged => return Ok(Reply::Bulk(current.value)),
            NewExpiry::Clear => {
                if store.ttl(key).is_some() {
                    write_expecting(store, key, &current.value, expect, Expiry::Clear)?;
                }
                return Ok(Reply::Bulk(current.value));
            }
            NewExpiry::Relative(n, unit_ms) => relative_ttl(n, unit_ms, "getex"),
            NewExpiry::Absolute(n, unit_ms) => absolute_ttl(store, n, unit_ms, "getex"),
        };
        let ttl = match ttl {
            Ok(ttl) => ttl,
            Err(reply) => return Ok(reply),
        };
        // Conditioned on the version read, so the value answered is the one
        // the new expiry went on.
        if ttl.is_zero() {
            store.delete_if(key, expect)?;
        } else {
            write_expecting(store, key, &current.value, expect, Expiry::In(ttl))?;
        }
        Ok(Reply::Bulk(current.value))
    }))
}

pub(crate) fn mget(call: &mut Call<'_>) -> Reply {
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

pub(crate) fn mset(call: &mut Call<'_>) -> Reply {
    let Some(batch) = pairs_batch(call, Expect::Any) else {
        return call.wrong_arity();
    };
    or_store_error(call.store().apply(batch).map(|()| Reply::ok()))
}

pub(crate) fn msetnx(call: &mut Call<'_>) -> Reply {
    let Some(batch) = pairs_batch(call, Expect::Absent) else {
        return call.wrong_arity();
    };
    match call.store().apply(batch) {
        Ok(()) => Reply::Integer(1),
        Err(Error::Conflict { .. }) => Reply::Integer(0),
        Err(e) => store_error(e),
    }
}
