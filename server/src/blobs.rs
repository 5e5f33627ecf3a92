//! `/blobs`: the original project's API, with the HTTP it lacked.
//!
//! A value's version is the sequence number of the write that stored it, so
//! the `ETag` is that number quoted (`"42"`): it changes on every write, even
//! one that stores the same bytes, and costs nothing to compute.

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{RawQuery, State};
use axum::http::header::{CONTENT_TYPE, ETAG, IF_NONE_MATCH, LOCATION};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::auth::WriteAccess;
use crate::config::{DEFAULT_LIST_LIMIT, MAX_LIST_LIMIT};
use crate::error::ApiError;
use crate::keys::{self, BlobKey, KeyJson};
use crate::state::AppState;

/// The `ETag` of the value written with sequence number `seq`.
fn etag(seq: u64) -> String {
    format!("\"{seq}\"")
}

/// The answer to a write.
#[derive(Serialize)]
struct Stored<'a> {
    key: &'a str,
    /// The `ETag` header's value, quotes included, ready for `If-None-Match`.
    etag: &'a str,
    /// Bytes stored.
    size: usize,
    volume_id: &'a str,
}

/// `PUT` or `POST /blobs/{*key}`: stores the body as the key's value.
/// 201 with `Location` when the key is new, 200 when a value was replaced.
pub(crate) async fn put(
    State(app): State<AppState>,
    _access: WriteAccess,
    BlobKey(key): BlobKey,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let body = body.map_err(|rejection| body_error(&rejection, &app))?;
    let size = body.len();
    let stored_key = key.clone();
    let outcome = app
        .engine(move |store| store.set_versioned(&stored_key, &body))
        .await?;
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
    Ok(response)
}

/// Why a body could not be read: over the limit (413), or a broken upload.
fn body_error(rejection: &BytesRejection, app: &AppState) -> ApiError {
    if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::BodyTooLarge {
            max: app.config.get_max_body_bytes() as u64,
        }
    } else {
        ApiError::BadRequest(format!("could not read the request body: {rejection}"))
    }
}

/// `GET` or `HEAD /blobs/{*key}`: the value as `application/octet-stream`
/// with its `ETag` (axum answers `HEAD` with the same headers and no body);
/// 304 when `If-None-Match` names the current version.
pub(crate) async fn get(
    State(app): State<AppState>,
    BlobKey(key): BlobKey,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let found = app
        .engine(move |store| store.get_versioned(&key))
        .await?
        .ok_or(ApiError::KeyNotFound)?;
    let etag = etag(found.seq);
    if headers
        .get_all(IF_NONE_MATCH)
        .iter()
        .any(|value| none_match_hits(value, &etag))
    {
        return Ok((StatusCode::NOT_MODIFIED, [(ETAG, header_value(etag))]).into_response());
    }
    Ok((
        [
            (
                CONTENT_TYPE,
                HeaderValue::from_static("application/octet-stream"),
            ),
            (ETAG, header_value(etag)),
        ],
        found.value,
    )
        .into_response())
}

/// Whether an `If-None-Match` value (`*`, or a list of possibly weak tags)
/// matches `etag`. The weak comparison applies (RFC 9110 §13.1.2), so
/// `W/"7"` matches `"7"`.
fn none_match_hits(value: &HeaderValue, etag: &str) -> bool {
    let Ok(value) = value.to_str() else {
        return false;
    };
    value.split(',').map(str::trim).any(|candidate| {
        candidate == "*" || candidate.strip_prefix("W/").unwrap_or(candidate) == etag
    })
}

/// `DELETE /blobs/{*key}`: 204, or 404 when there was nothing to delete.
pub(crate) async fn delete(
    State(app): State<AppState>,
    _access: WriteAccess,
    BlobKey(key): BlobKey,
) -> Result<StatusCode, ApiError> {
    if app.engine(move |store| store.delete(&key)).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::KeyNotFound)
    }
}

/// A page of keys.
#[derive(Serialize)]
pub(crate) struct KeyPage {
    keys: Vec<KeyJson>,
    /// The last key of this page when more follow: pass it as `after`.
    next: Option<KeyJson>,
}

/// `GET /blobs?prefix=P&after=A&limit=N`: keys starting with `P`, greater
/// than `A`, at most `N` (default 1000, at most 10000), in byte order.
pub(crate) async fn list(
    State(app): State<AppState>,
    RawQuery(query): RawQuery,
) -> Result<Json<KeyPage>, ApiError> {
    let mut prefix = Vec::new();
    let mut after = None;
    let mut limit = DEFAULT_LIST_LIMIT;
    for (name, value) in keys::query_pairs(query.as_deref().unwrap_or_default()) {
        match name.as_slice() {
            b"prefix" => prefix = value,
            b"after" => after = Some(value),
            b"limit" => limit = parse_limit(&value)?,
            // Unknown parameters are ignored, as HTTP APIs conventionally do.
            _ => {}
        }
    }
    let mut page = app
        .engine(move |store| Ok(store.keys_page(&prefix, after.as_deref(), limit + 1)))
        .await?;
    let next = if page.len() > limit {
        page.truncate(limit);
        page.last().map(|key| KeyJson::new(key))
    } else {
        None
    };
    Ok(Json(KeyPage {
        keys: page.iter().map(|key| KeyJson::new(key)).collect(),
        next,
    }))
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

/// Header values made from text this module produced: quoted numbers and
/// percent-encoded paths, always visible ASCII.
fn header_value(text: String) -> HeaderValue {
    HeaderValue::try_from(text).unwrap_or_else(|_| HeaderValue::from_static(""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn if_none_match_accepts_lists_weak_tags_and_star() {
        let hits = |value: &'static str| none_match_hits(&HeaderValue::from_static(value), "\"7\"");
        assert!(hits("\"7\""));
        assert!(hits("W/\"7\""));
        assert!(hits("\"1\", \"7\""));
        assert!(hits("*"));
        assert!(!hits("\"70\""));
        assert!(!hits("7"));
    }

    #[test]
    fn limits_outside_the_range_are_refused() {
        assert_eq!(parse_limit(b"1").ok(), Some(1));
        assert_eq!(parse_limit(b"10000").ok(), Some(MAX_LIST_LIMIT));
        for bad in [&b"0"[..], b"10001", b"-1", b"ten", b"", b"\xff"] {
            assert!(
                matches!(parse_limit(bad), Err(ApiError::BadRequest(message))
                    if message.starts_with("limit must be a whole number from 1 to 10000")),
                "{bad:?}"
            );
        }
    }
}
