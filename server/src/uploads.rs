//! Request bodies (the values of `PUT`/`POST /blobs/…`) read into memory
//! under the in-flight budget ([`InflightBudget`](crate::InflightBudget)).
//!
//! A body reserves its size before a byte of it is read: its exact length
//! when it has one (`Content-Length`), else `--max-body`, given back down to
//! its real size once read. A body over `--max-body` is refused with 413
//! as before, without reading. A reservation that finds no room within the
//! budget's wait is answered 503 with `Retry-After`: the handler reads the
//! body only after the token, the key and the query have passed, so a
//! request refused for those never takes budget.
//!
//! A refused body is not buffered, but it is still coming: a server that
//! answers and closes while the client sends gets a reset, which can
//! destroy the answer before the client reads it. So, unless the client
//! asked `Expect: 100-continue` (and will send nothing until told), the
//! rest of the body is read and thrown away, for at most [`DISCARD_TIME`]
//! and `--max-body` bytes, before the 503 goes out.

use std::time::Duration;

use axum::body::{Body, Bytes, HttpBody};
use axum::http::HeaderMap;
use axum::http::header::EXPECT;
use futures_util::StreamExt;

use crate::error::ApiError;
use crate::inflight::Reservation;
use crate::state::AppState;

/// The longest a refused body is read and thrown away before its 503.
pub(crate) const DISCARD_TIME: Duration = Duration::from_secs(2);

/// A body in memory, and its place in the budget: keep it as long as the
/// bytes are in use.
#[derive(Debug)]
pub(crate) struct Upload {
    pub(crate) bytes: Bytes,
    _reservation: Reservation,
}

/// Reads `body` whole, under the server's body limit and in-flight budget.
pub(crate) async fn read(
    app: &AppState,
    headers: &HeaderMap,
    body: Body,
) -> Result<Upload, ApiError> {
    let max = app.config.get_max_body_bytes();
    let too_large = ApiError::BodyTooLarge { max: max as u64 };
    let hint = body.size_hint();
    if hint.lower() > max as u64 {
        return Err(too_large);
    }
    let exact = hint.exact();
    let budget = app.config.get_inflight_budget();
    let mut reservation = match budget.reserve(exact.unwrap_or(max as u64)).await {
        Ok(reservation) => reservation,
        Err(over) => {
            if !expects_continue(headers) {
                discard(body, max).await;
            }
            return Err(ApiError::OverInflightBudget {
                max_bytes: over.max_bytes,
            });
        }
    };
    let broken =
        |e: axum::Error| ApiError::BadRequest(format!("could not read the request body: {e}"));
    let mut chunks = body.into_data_stream();
    // One chunk (a small body, or one already in memory) is kept as it is;
    // more are copied once into a buffer of the announced size.
    let Some(first) = chunks.next().await.transpose().map_err(broken)? else {
        return Ok(Upload {
            bytes: Bytes::new(),
            _reservation: reservation,
        });
    };
    let Some(second) = chunks.next().await.transpose().map_err(broken)? else {
        if first.len() > max {
            return Err(too_large);
        }
        reservation.shrink_to(first.len() as u64);
        return Ok(Upload {
            bytes: first,
            _reservation: reservation,
        });
    };
    let capacity = exact.map_or(0, |n| usize::try_from(n).unwrap_or(max));
    let mut data = Vec::with_capacity(capacity.min(max));
    let mut chunk = Some(first);
    let mut queued = Some(second);
    while let Some(bytes) = chunk {
        if data.len() + bytes.len() > max {
            return Err(too_large);
        }
        data.extend_from_slice(&bytes);
        chunk = match queued.take() {
            Some(bytes) => Some(bytes),
            None => chunks.next().await.transpose().map_err(broken)?,
        };
    }
    reservation.shrink_to(data.len() as u64);
    Ok(Upload {
        bytes: Bytes::from(data),
        _reservation: reservation,
    })
}

/// Whether the client waits for `100 Continue` before it sends the body:
/// then it sends nothing that needs reading before a refusal.
fn expects_continue(headers: &HeaderMap) -> bool {
    headers
        .get(EXPECT)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.trim().eq_ignore_ascii_case("100-continue"))
}

/// Reads and drops what arrives of `body`, for at most [`DISCARD_TIME`]
/// and `max` bytes, holding no more than one chunk at a time.
async fn discard(body: Body, max: usize) {
    let mut chunks = body.into_data_stream();
    let mut seen = 0usize;
    let _ = tokio::time::timeout(DISCARD_TIME, async {
        while let Some(Ok(chunk)) = chunks.next().await {
            seen = seen.saturating_add(chunk.len());
            if seen > max {
                break;
            }
        }
    })
    .await;
}
