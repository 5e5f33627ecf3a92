//! `GET /blobs`: pages of keys, or of keys with their values, over a key
//! range, in either direction.
//!
//! The query says which keys: `prefix`, the half-open range `start`
//! (inclusive) to `end` (exclusive), and the paging cursor `after`. They
//! narrow one another — the page holds the keys that meet all of them — so
//! they combine freely. `reverse=true` lists the same keys from the end,
//! and then `after` means "after in that order": below the cursor. Every
//! page ends with `next`, its last key when more follow, to pass as `after`
//! for the next page with the rest of the query unchanged.
//!
//! Forward listings of keys come from the index alone
//! ([`KvStore::keys_page`]). Backward ones walk [`KvStore::range`] from its
//! end, which reads the values too: the engine has no backward walk over
//! the index alone. With `values=true` every key's value and version are
//! read together ([`KvStore::get_versioned`]) so that each `etag` is the
//! version of the value beside it.

use std::collections::VecDeque;
use std::ops::Bound;

use axum::Json;
use axum::extract::{RawQuery, State};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use mini_kvstore::{Error as StoreError, KvStore, prefix_end};
use serde::Serialize;

use crate::config::{DEFAULT_LIST_LIMIT, MAX_LIST_LIMIT, MAX_VALUES_PAGE_BYTES};
use crate::error::ApiError;
use crate::keys::{self, KeyJson, parse_flag};
use crate::preconditions::etag;
use crate::state::AppState;

/// Keys asked of the index at a time by a forward listing.
const INDEX_CHUNK: usize = 256;

/// A page of keys.
#[derive(Serialize)]
struct KeyPage {
    keys: Vec<KeyJson>,
    /// The last key of this page when more follow: pass it as `after`.
    next: Option<KeyJson>,
}

/// A page of keys with their values.
#[derive(Serialize)]
struct ItemPage {
    items: Vec<Item>,
    /// The last key of this page when more follow: pass it as `after`.
    next: Option<KeyJson>,
}

/// One key with its value, as `values=true` lists them.
#[derive(Serialize)]
struct Item {
    key: KeyJson,
    /// The value's bytes, base64 (RFC 4648 §4, with padding).
    value_base64: String,
    /// The value's `ETag`, quotes included, ready for `If-Match`.
    etag: String,
}

/// What a `GET /blobs` asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Listing {
    /// Keys must start with this (empty: any key).
    prefix: Vec<u8>,
    /// The lowest key that may be listed, from `prefix`, `start` and (going
    /// forward) `after`.
    lower: Bound<Vec<u8>>,
    /// The bound every listed key is below, from `prefix`, `end` and (going
    /// backward) `after`.
    upper: Bound<Vec<u8>>,
    reverse: bool,
    limit: usize,
    values: bool,
}

impl Listing {
    /// Reads the query. An empty `start`, `end` or `after` is as if it were
    /// not given; an unknown parameter is ignored, as HTTP APIs
    /// conventionally do.
    fn from_query(query: &str) -> Result<Listing, ApiError> {
        let mut prefix = Vec::new();
        let mut start = Vec::new();
        let mut end = Vec::new();
        let mut after = Vec::new();
        let mut reverse = false;
        let mut values = false;
        let mut limit = DEFAULT_LIST_LIMIT;
        for (name, value) in keys::query_pairs(query) {
            match name.as_slice() {
                b"prefix" => prefix = value,
                b"start" => start = value,
                b"end" => end = value,
                b"after" => after = value,
                b"limit" => limit = parse_limit(&value)?,
                b"reverse" => reverse = parse_flag("reverse", &value)?,
                b"values" => values = parse_flag("values", &value)?,
                _ => {}
            }
        }
        let mut lower = tighter_lower(Bound::Included(prefix.clone()), Bound::Included(start));
        let mut upper = match prefix_end(&prefix) {
            Some(stop) => Bound::Excluded(stop),
            None => Bound::Unbounded,
        };
        if !end.is_empty() {
            upper = tighter_upper(upper, Bound::Excluded(end));
        }
        if !after.is_empty() {
            if reverse {
                upper = tighter_upper(upper, Bound::Excluded(after));
            } else {
                lower = tighter_lower(lower, Bound::Excluded(after));
            }
        }
        Ok(Listing {
            prefix,
            lower,
            upper,
            reverse,
            limit,
            values,
        })
    }

    /// The listing's keys, in its order, read as they are needed.
    fn keys<'a>(
        &self,
        store: &'a KvStore,
    ) -> Box<dyn Iterator<Item = Result<Vec<u8>, StoreError>> + 'a> {
        if self.reverse {
            let range = (self.lower.clone(), self.upper.clone());
            Box::new(
                store
                    .range::<Vec<u8>, _>(range)
                    .rev()
                    .map(|pair| pair.map(|(key, _)| key)),
            )
        } else {
            Box::new(ForwardKeys::new(store, self).map(Ok))
        }
    }

    /// The page of keys this listing asks for.
    fn key_page(&self, store: &KvStore) -> Result<KeyPage, StoreError> {
        let mut keys = self.keys(store);
        let mut page = Vec::new();
        for key in keys.by_ref() {
            page.push(key?);
            if page.len() == self.limit {
                break;
            }
        }
        let more = page.len() == self.limit && keys.next().transpose()?.is_some();
        let next = more
            .then(|| page.last().map(|key| KeyJson::new(key)))
            .flatten();
        Ok(KeyPage {
            keys: page.iter().map(|key| KeyJson::new(key)).collect(),
            next,
        })
    }

    /// The page of keys and values this listing asks for: at most `limit`
    /// items, and no more once their values reach
    /// [`MAX_VALUES_PAGE_BYTES`] (a page always has at least one item, so
    /// even a value larger than that is listed, on a page of its own).
    fn item_page(&self, store: &KvStore) -> Result<ItemPage, StoreError> {
        let mut keys = self.keys(store);
        let mut items = Vec::new();
        let mut last_key = Vec::new();
        let mut bytes = 0;
        let mut full = false;
        for key in keys.by_ref() {
            let key = key?;
            // Deleted since the listing found it: not part of the page.
            let Some(found) = store.get_versioned(&key)? else {
                continue;
            };
            bytes += found.value.len();
            items.push(Item {
                key: KeyJson::new(&key),
                value_base64: BASE64.encode(&found.value),
                etag: etag(found.seq),
            });
            last_key = key;
            if items.len() == self.limit || bytes >= MAX_VALUES_PAGE_BYTES {
                full = true;
                break;
            }
        }
        let more = full && keys.next().transpose()?.is_some();
        Ok(ItemPage {
            items,
            next: more.then(|| KeyJson::new(&last_key)),
        })
    }
}

/// `GET /blobs?prefix=&start=&end=&after=&reverse=&limit=&values=`: see the
/// module docs.
pub(crate) async fn list(
    State(app): State<AppState>,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let listing = Listing::from_query(query.as_deref().unwrap_or_default())?;
    if listing.values {
        let page = app.engine(move |store| listing.item_page(store)).await?;
        Ok(Json(page).into_response())
    } else {
        let page = app.engine(move |store| listing.key_page(store)).await?;
        Ok(Json(page).into_response())
    }
}

/// A forward walk over the index's keys in a listing's range, a chunk at a
/// time, without reading any value.
struct ForwardKeys<'a> {
    store: &'a KvStore,
    prefix: Vec<u8>,
    upper: Bound<Vec<u8>>,
    /// The range's first key when it is inclusive and present: `keys_page`
    /// starts after a key, never at one.
    first: Option<Vec<u8>>,
    /// The last key taken from the index; the next chunk starts after it.
    after: Option<Vec<u8>>,
    chunk: VecDeque<Vec<u8>>,
    done: bool,
}

impl<'a> ForwardKeys<'a> {
    fn new(store: &'a KvStore, listing: &Listing) -> Self {
        let (first, after) = match &listing.lower {
            Bound::Included(key) if key.is_empty() => (None, None),
            Bound::Included(key) => (
                (below(&listing.upper, key) && store.contains_key(key)).then(|| key.clone()),
                Some(key.clone()),
            ),
            Bound::Excluded(key) => (None, Some(key.clone())),
            Bound::Unbounded => (None, None),
        };
        ForwardKeys {
            store,
            prefix: listing.prefix.clone(),
            upper: listing.upper.clone(),
            first,
            after,
            chunk: VecDeque::new(),
            done: false,
        }
    }
}

impl Iterator for ForwardKeys<'_> {
    type Item = Vec<u8>;

    fn next(&mut self) -> Option<Vec<u8>> {
        if let Some(first) = self.first.take() {
            return Some(first);
        }
        if self.chunk.is_empty() && !self.done {
            let page = self
                .store
                .keys_page(&self.prefix, self.after.as_deref(), INDEX_CHUNK);
            self.done = page.len() < INDEX_CHUNK;
            self.after = page.last().cloned();
            for key in page {
                if !below(&self.upper, &key) {
                    self.done = true;
                    break;
                }
                self.chunk.push_back(key);
            }
        }
        self.chunk.pop_front()
    }
}

/// Whether `key` is below the upper bound `upper`.
fn below(upper: &Bound<Vec<u8>>, key: &[u8]) -> bool {
    match upper {
        Bound::Included(bound) => key <= bound.as_slice(),
        Bound::Excluded(bound) => key < bound.as_slice(),
        Bound::Unbounded => true,
    }
}

/// The higher of two lower bounds (at one key, the exclusive one).
fn tighter_lower(a: Bound<Vec<u8>>, b: Bound<Vec<u8>>) -> Bound<Vec<u8>> {
    use Bound::{Excluded, Included, Unbounded};
    match (a, b) {
        (Unbounded, other) | (other, Unbounded) => other,
        (Included(x), Included(y)) => Included(x.max(y)),
        (Excluded(x), Excluded(y)) => Excluded(x.max(y)),
        (Included(x), Excluded(y)) | (Excluded(y), Included(x)) => {
            if x > y {
                Included(x)
            } else {
                Excluded(y)
            }
        }
    }
}

/// The lower of two upper bounds (at one key, the exclusive one).
fn tighter_upper(a: Bound<Vec<u8>>, b: Bound<Vec<u8>>) -> Bound<Vec<u8>> {
    use Bound::{Excluded, Included, Unbounded};
    match (a, b) {
        (Unbounded, other) | (other, Unbounded) => other,
        (Included(x), Included(y)) => Included(x.min(y)),
        (Excluded(x), Excluded(y)) => Excluded(x.min(y)),
        (Included(x), Excluded(y)) | (Excluded(y), Included(x)) => {
            if x < y {
                Included(x)
            } else {
                Excluded(y)
            }
        }
    }
}

fn parse_limit(value: &[u8]) -> Result<usize, ApiError> {
    std::str::from_utf8(value)
        .ok()
        .and_then(|text| text.parse::<usize>().ok())
        .filter(|limit| (1..=MAX_LIST_LIMIT).contains(limit))
        .ok_or_else(|| {
            ApiError::BadRequest(format!(
                "limit must be a whole number from 1 to {MAX_LIST_LIMIT}, not {:?}",
                String::from_utf8_lossy(value)
            ))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inc(key: &str) -> Bound<Vec<u8>> {
        Bound::Included(key.as_bytes().to_vec())
    }

    fn exc(key: &str) -> Bound<Vec<u8>> {
        Bound::Excluded(key.as_bytes().to_vec())
    }

    fn listing(query: &str) -> Listing {
        Listing::from_query(query).unwrap_or_else(|e| panic!("{query}: {e}"))
    }

    #[test]
    fn prefix_range_and_cursor_narrow_one_another() {
        let all = listing("");
        assert_eq!((all.lower, all.upper), (inc(""), Bound::Unbounded));
        let within = listing("prefix=user:&start=user:5&end=zzz");
        assert_eq!((within.lower, within.upper), (inc("user:5"), exc("user;")));
        let outside = listing("prefix=user:&start=a&end=user:3");
        assert_eq!(
            (outside.lower, outside.upper),
            (inc("user:"), exc("user:3"))
        );
        let forward = listing("start=b&end=m&after=c");
        assert_eq!((forward.lower, forward.upper), (exc("c"), exc("m")));
        let backward = listing("start=b&end=m&after=k&reverse=true");
        assert_eq!((backward.lower, backward.upper), (inc("b"), exc("k")));
        // A cursor outside the range changes nothing.
        let early = listing("start=b&after=a");
        assert_eq!(early.lower, inc("b"));
        // Empty parameters are as if not given.
        let empty = listing("start=&end=&after=");
        assert_eq!((empty.lower, empty.upper), (inc(""), Bound::Unbounded));
    }

    #[test]
    fn bounds_at_the_same_key_keep_the_exclusive_one() {
        assert_eq!(tighter_lower(inc("a"), exc("a")), exc("a"));
        assert_eq!(tighter_lower(exc("a"), inc("b")), inc("b"));
        assert_eq!(tighter_upper(inc("a"), exc("a")), exc("a"));
        assert_eq!(tighter_upper(Bound::Unbounded, inc("a")), inc("a"));
        assert_eq!(prefix_end(b"a\xff"), Some(b"b".to_vec()));
        assert_eq!(prefix_end(b""), None);
    }

    #[test]
    fn limits_and_flags_outside_their_values_are_refused() {
        assert_eq!(parse_limit(b"1").ok(), Some(1));
        assert_eq!(parse_limit(b"10000").ok(), Some(MAX_LIST_LIMIT));
        for bad in [&b"0"[..], b"10001", b"-1", b"ten", b"", b"\xff"] {
            assert!(
                matches!(parse_limit(bad), Err(ApiError::BadRequest(message))
                    if message.starts_with("limit must be a whole number from 1 to 10000")),
                "{bad:?}"
            );
        }
        assert!(listing("reverse=true&values=false").reverse);
        for bad in ["reverse=yes", "values=1", "reverse="] {
            assert!(
                matches!(Listing::from_query(bad), Err(ApiError::BadRequest(message))
                    if message.contains("must be true or false")),
                "{bad}"
            );
        }
    }
}
