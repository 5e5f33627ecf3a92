//! `KEYS` and `SCAN`.
//!
//! `SCAN` walks keys in order. Its cursor is a number (clients parse it as
//! one) standing for the last key returned, kept in
//! [`ScanCursors`](crate::resp::state::ScanCursors); the next call resumes
//! just after that key, so a full iteration returns every key present
//! throughout exactly once, however the store changes meanwhile.

use crate::resp::commands::spec::{Call, not_an_integer, parse_i64, syntax_error};
use crate::resp::glob;
use crate::resp::reply::Reply;

/// `SCAN`'s page size when `COUNT` is not given, as Redis.
const DEFAULT_SCAN_COUNT: usize = 10;

pub(crate) fn keys(call: &mut Call<'_>) -> Reply {
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

pub(crate) fn scan(call: &mut Call<'_>) -> Reply {
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
