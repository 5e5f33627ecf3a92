//! `RENAME` and `RENAMENX`: the value moves to the new name with the
//! source's expiry, in one [`WriteBatch`] — the source's delete
//! conditioned on the version read, the destination's set (conditioned on
//! its absence for `RENAMENX`) — so readers see the key under one name or
//! the other, never both or neither, and a write to the source meanwhile
//! makes the rename start over instead of moving a stale value.

use mini_kvstore::{Expect, WriteBatch};

use crate::resp::commands::spec::{Call, or_store_error, retry_on_conflict};
use crate::resp::reply::Reply;

/// Moves `from` to `to`; `only_new`: only when `to` has no value
/// (`RENAMENX`), answering 1 or 0 instead of `OK`.
fn rename_key(call: &mut Call<'_>, only_new: bool) -> Reply {
    let store = call.store();
    let (from, to) = (call.arg(1), call.arg(2));
    let done = |moved: bool| match (only_new, moved) {
        (false, _) => Reply::ok(),
        (true, moved) => Reply::Integer(i64::from(moved)),
    };
    or_store_error(retry_on_conflict(|| {
        let Some(source) = store.get_versioned(from)? else {
            return Ok(Reply::err("no such key"));
        };
        // Redis answers before looking at the destination: OK, or 0 for
        // RENAMENX, whose destination (the key itself) exists.
        if from == to {
            return Ok(done(false));
        }
        if only_new && store.contains_key(to) {
            return Ok(done(false));
        }
        // Read after the version: a change of expiry in between changes the
        // version too, and the batch then fails and is retried. The expiry
        // moves as time left, so it lands as late as the batch takes to
        // apply (milliseconds) after the source's.
        let ttl = store.ttl(from);
        let mut batch = WriteBatch::new();
        batch.delete_if(from, Expect::Version(source.seq));
        match (ttl, only_new) {
            (None, false) => batch.set(to, &source.value),
            (None, true) => batch.set_if(to, &source.value, Expect::Absent),
            (Some(ttl), only_new) => {
                // A batch's set with a time to live takes no condition: a
                // delete of the destination carries it, and writes nothing,
                // the destination being absent when it holds.
                if only_new {
                    batch.delete_if(to, Expect::Absent);
                }
                batch.set_with_ttl(to, &source.value, ttl)
            }
        };
        store.apply(batch)?;
        Ok(done(true))
    }))
}

pub(crate) fn rename(call: &mut Call<'_>) -> Reply {
    rename_key(call, false)
}

pub(crate) fn renamenx(call: &mut Call<'_>) -> Reply {
    rename_key(call, true)
}
