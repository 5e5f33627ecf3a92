//! `/blobs/{key}`: the original project's API, with the HTTP it lacked —
//! status codes, `ETag`s, conditional reads and conditional writes. The
//! listing, `GET /blobs`, is in `listing`.
//!
//! Conditional writes are checked by the engine, under its writer lock
//! ([`KvStore::set_if`], [`KvStore::delete_if`]), never by reading first and
//! writing after: of many clients sending `If-Match` with the same `ETag`,
//! exactly one gets through.
//!
//! A write with `?ttl=SECONDS` stores a value that expires
//! ([`KvStore::set_with_ttl`]); a read of such a value carries `Expires`
//! (see `expiry`). The engine has no conditional write with an expiry, so a
//! `?ttl` with `If-Match` or `If-None-Match` is refused (400) rather than
//! done as a conditional write and an `expire` that another write could
//! come between.

use axum::Json;
use axum::body::Body;
use axum::extract::{RawQuery, State};
use axum::http::header::{CONTENT_TYPE, ETAG, LOCATION};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use mini_kvstore::{Error as StoreError, Expect, KvStore};
use serde::Serialize;

use crate::auth::WriteAccess;
use crate::error::ApiError;
use crate::expiry::{insert_expires, ttl_from_query};
use crate::keys::{self, BlobKey};
use crate::preconditions::{Preconditions, etag, not_modified};
use crate::state::AppState;
use crate::uploads;

/// How many times a write whose conditions need the current version (see
/// [`Preconditions::as_expect`]) tries again when another write changed the
/// key in between, before it gives up with 409. Each retry means another
/// write to the key got through, so the store makes progress; the bound
/// only keeps one request from chasing a key that never stops changing.
const CONDITION_ATTEMPTS: usize = 64;

/// The answer to a write.
#[derive(Serialize)]
struct Stored<'a> {
    key: &'a str,
    /// The `ETag` header's value, quotes included, ready for `If-Match`
    /// and `If-None-Match`.
    etag: &'a str,
    /// Bytes stored.
    size: usize,
    volume_id: &'a str,
}

/// `PUT` or `POST /blobs/{*key}[?ttl=SECONDS]`: stores the body as the
/// key's value, expiring after `ttl` when given (and not expiring when not,
/// whatever the key had before). 201 with `Location` when the key is new,
/// 200 when a value was replaced; 412 when `If-Match` or `If-None-Match`
/// does not hold; 400 for a bad `ttl`, or a `ttl` with either header; 503
/// when the in-flight budget has no room for the body (see `uploads`).
pub(crate) async fn put(
    State(app): State<AppState>,
    _access: WriteAccess,
    BlobKey(key): BlobKey,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let preconditions = Preconditions::from_headers(&headers)?;
    let ttl = ttl_from_query(query.as_deref())?;
    if ttl.is_some() && preconditions.as_expect() != Some(Expect::Any) {
        return Err(ApiError::ConditionalTtl);
    }
    // Last, so that a request refused for its token, key or query never
    // takes room in the budget. `upload` holds that room until the write
    // is done with the bytes.
    let upload = uploads::read(&app, &headers, body).await?;
    let body = upload.bytes.clone();
    let size = body.len();
    let stored_key = key.clone();
    let outcome = match ttl {
        Some(ttl) => {
            app.engine(move |store| store.set_with_ttl(&stored_key, &body, ttl))
                .await?
        }
        None => {
            write_if(&app, &key, &preconditions, move |store, expect| {
                store.set_if(&stored_key, &body, expect)
            })
            .await?
        }
    };
    let etag = etag(outcome.seq);
    let reply = Json(Stored {
        key: &key,
        etag: &etag,
        size,
        volume_id: app.config.volume_id(),
    });
    let mut response = if outcome.replaced {
        (StatusCode::OK, reply).into_response()
    } else {
        let mut created = (StatusCode::CREATED, reply).into_response();
        created
            .headers_mut()
            .insert(LOCATION, header_value(keys::blob_path(&key)));
        created
    };
    response.headers_mut().insert(ETAG, header_value(etag));
    drop(upload);
    Ok(response)
}

/// Runs `write` (a set or a delete of `key`) only if `preconditions` hold,
/// with the check made by the engine as it writes.
///
/// Conditions that one [`Expect`] says exactly (none, `If-Match` with one
/// tag, `If-None-Match: *`) go to the engine as they are. The others need
/// the current version: it is read, the conditions are checked against it,
/// and the write expects that very version; if another write changed the
/// key in between, the engine's conflict tells the new version and the
/// check runs again. Either way nothing is written unless the key, at the
/// moment of the write, passes.
async fn write_if<T, W>(
    app: &AppState,
    key: &str,
    preconditions: &Preconditions,
    write: W,
) -> Result<T, ApiError>
where
    W: Fn(&KvStore, Expect) -> Result<T, StoreError> + Clone + Send + 'static,
    T: Send + 'static,
{
    if let Some(expect) = preconditions.as_expect() {
        return app.engine(move |store| write(store, expect)).await;
    }
    let read_key = key.to_owned();
    let mut current = app
        .engine(move |store| Ok(store.get_versioned(&read_key)?.map(|found| found.seq)))
        .await?;
    for _ in 0..CONDITION_ATTEMPTS {
        if !preconditions.hold(current) {
            return Err(ApiError::Store(StoreError::Conflict { current }));
        }
        let expect = current.map_or(Expect::Absent, Expect::Version);
        let write = write.clone();
        match app.engine(move |store| write(store, expect)).await {
            Err(ApiError::Store(StoreError::Conflict { current: now })) => current = now,
            done => return done,
        }
    }
    Err(ApiError::KeyContended {
        attempts: CONDITION_ATTEMPTS,
    })
}

/// `GET` or `HEAD /blobs/{*key}`: the value as `application/octet-stream`
/// with its `ETag`, and `Expires` when it expires (axum answers `HEAD`
/// with the same headers and no body); 304 when `If-None-Match` names the
/// current version, with the same `ETag` and `Expires` (RFC 9110 §15.4.5).
/// Records up to this long are read on the async worker (see [`get`]).
const INLINE_READ_BYTES: u32 = 16 * 1024;

pub(crate) async fn get(
    State(app): State<AppState>,
    BlobKey(key): BlobKey,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    // A short record is one `pread`, from the page cache when it is warm:
    // a microsecond or two, less than the hand-off to the blocking pool
    // costs, so it runs here, as the RESP server runs its GETs; a missing
    // key is an index lookup alone. A long one (a copy of many pages, or
    // reads from a slow disk) goes to the pool, where it blocks no other
    // request.
    let short = app
        .store
        .record_len(&key)
        .is_none_or(|len| len <= INLINE_READ_BYTES);
    // The value and its expiry are two calls: a write between them can
    // pair a value with the next write's expiry (the engine has no read
    // that answers both). Each is a snapshot; the pair is as good as two
    // reads a moment apart.
    let read = move |store: &KvStore| {
        let found = store.get_versioned(&key)?;
        let now = store.options().get_clock().now_millis();
        let expires_at = store
            .ttl(&key)
            .map(|left| now.saturating_add(u64::try_from(left.as_millis()).unwrap_or(u64::MAX)));
        Ok::<_, StoreError>((found, expires_at))
    };
    let (found, expires_at) = if short {
        read(&app.store)?
    } else {
        app.engine(read).await?
    };
    let found = found.ok_or(ApiError::KeyNotFound)?;
    let etag = etag(found.seq);
    let mut response = if not_modified(&headers, found.seq) {
        (StatusCode::NOT_MODIFIED, [(ETAG, header_value(etag))]).into_response()
    } else {
        (
            [
                (
                    CONTENT_TYPE,
                    HeaderValue::from_static("application/octet-stream"),
                ),
                (ETAG, header_value(etag)),
            ],
            found.value,
        )
            .into_response()
    };
    if let Some(at) = expires_at {
        insert_expires(response.headers_mut(), at);
    }
    Ok(response)
}

/// `DELETE /blobs/{*key}`: 204, or 404 when there was nothing to delete;
/// 412 when `If-Match` or `If-None-Match` does not hold.
pub(crate) async fn delete(
    State(app): State<AppState>,
    _access: WriteAccess,
    BlobKey(key): BlobKey,
    headers: HeaderMap,
) -> Result<StatusCode, ApiError> {
    let preconditions = Preconditions::from_headers(&headers)?;
    let deleted_key = key.clone();
    let deleted = write_if(&app, &key, &preconditions, move |store, expect| {
        store.delete_if(&deleted_key, expect)
    })
    .await?;
    if deleted {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::KeyNotFound)
    }
}

/// Header values made from text this module produced: quoted numbers and
/// percent-encoded paths, always visible ASCII.
fn header_value(text: String) -> HeaderValue {
    HeaderValue::try_from(text).unwrap_or_else(|_| HeaderValue::from_static(""))
}
