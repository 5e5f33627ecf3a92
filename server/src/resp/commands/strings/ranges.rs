//! Values as byte strings: `APPEND`, `STRLEN`, `GETRANGE`, `SETRANGE`.
//! The writes keep the key's expiry, as Redis does.

use mini_kvstore::Expect;

use crate::resp::commands::spec::{
    Call, not_an_integer, or_store_error, parse_i64, retry_on_conflict, store_error,
};
use crate::resp::commands::strings::write::{Expiry, write_expecting};
use crate::resp::reply::Reply;

pub(crate) fn append(call: &mut Call<'_>) -> Reply {
    let store = call.store();
    let (key, suffix) = (call.arg(1), call.arg(2));
    or_store_error(retry_on_conflict(|| {
        let (mut value, expect) = match store.get_versioned(key)? {
            Some(v) => (v.value, Expect::Version(v.seq)),
            None => (Vec::new(), Expect::Absent),
        };
        value.extend_from_slice(suffix);
        write_expecting(store, key, &value, expect, Expiry::Keep)?;
        Ok(Reply::Integer(value.len() as i64))
    }))
}

pub(crate) fn strlen(call: &mut Call<'_>) -> Reply {
    or_store_error(
        call.store()
            .get(call.arg(1))
            .map(|value| Reply::Integer(value.map_or(0, |v| v.len() as i64))),
    )
}

pub(crate) fn getrange(call: &mut Call<'_>) -> Reply {
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

/// Why a value `SETRANGE` would build is too long, checked before any of it
/// is allocated: Redis's limit (`proto-max-bulk-len`, what `CONFIG GET`
/// answers here), then the store's `max_value_size`, which the write would
/// refuse anyway.
fn too_long(call: &Call<'_>, len: u64) -> Option<Reply> {
    if len > call.server.max_bulk_len() as u64 {
        return Some(Reply::err(
            "string exceeds maximum allowed size (proto-max-bulk-len)",
        ));
    }
    let max = call.store().options().get_max_value_size();
    (len > max).then(|| {
        Reply::err(format!(
            "string exceeds the store's max_value_size ({max} bytes)"
        ))
    })
}

pub(crate) fn setrange(call: &mut Call<'_>) -> Reply {
    let Some(offset) = parse_i64(call.arg(2)) else {
        return not_an_integer();
    };
    let Ok(offset) = usize::try_from(offset) else {
        return Reply::err("offset is out of range");
    };
    let patch = call.arg(3);
    let end = offset.saturating_add(patch.len());
    // Writing nothing needs no room (and creates no key).
    if !patch.is_empty()
        && let Some(reply) = too_long(call, end as u64)
    {
        return reply;
    }
    let store = call.store();
    let key = call.arg(1);
    or_store_error(retry_on_conflict(|| {
        let (mut value, expect) = match store.get_versioned(key)? {
            Some(v) => (v.value, Expect::Version(v.seq)),
            None => (Vec::new(), Expect::Absent),
        };
        if patch.is_empty() {
            return Ok(Reply::Integer(value.len() as i64));
        }
        if value.len() < end {
            value.resize(end, 0);
        }
        value[offset..end].copy_from_slice(patch);
        write_expecting(store, key, &value, expect, Expiry::Keep)?;
        Ok(Reply::Integer(value.len() as i64))
    }))
}
