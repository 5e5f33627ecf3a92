//! `GET /segments/{id}/records?after=OFFSET&limit=N`: one segment's records,
//! a page at a time, each as `/segments` shows it ([`RecordJson`]).
//!
//! The cursor is a byte offset: a page holds the records that start after
//! `after`, in offset order, and ends with `next`, its last record's offset
//! when more follow. Offsets are where records are for as long as the
//! segment exists — a sealed segment never changes, the active one only
//! grows — so paging on while the store takes writes misses no record and
//! shows none twice; a segment a merge removed meanwhile answers 404.
//!
//! The engine reads the whole segment for each page, to find where its
//! records are ([`KvStore::segment_records`](mini_kvstore::KvStore::segment_records)):
//! a page costs a segment's read, however few records it holds.

use axum::Json;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, RawQuery, State};
use mini_kvstore::{RecordPage, SegmentId};
use serde::Serialize;

use crate::config::{DEFAULT_RECORDS_LIMIT, MAX_RECORDS_LIMIT};
use crate::error::ApiError;
use crate::introspection::RecordJson;
use crate::keys::query_pairs;
use crate::state::AppState;

/// A page of one segment's records.
#[derive(Serialize)]
pub(crate) struct RecordPageJson {
    segment: SegmentId,
    /// The segment's length when it was read.
    len: u64,
    records: Vec<RecordJson>,
    /// The last record's offset when more follow: pass it as `after`.
    next: Option<u64>,
}

impl From<&RecordPage> for RecordPageJson {
    fn from(page: &RecordPage) -> Self {
        RecordPageJson {
            segment: page.segment,
            len: page.len,
            records: page.records.iter().map(RecordJson::from).collect(),
            next: page.next,
        }
    }
}

/// What a page asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct PageQuery {
    after: Option<u64>,
    limit: usize,
}

impl PageQuery {
    /// Reads the query. An empty `after` is as if it were not given; an
    /// unknown parameter is ignored, as in the listings.
    fn from_query(query: &str) -> Result<PageQuery, ApiError> {
        let mut page = PageQuery {
            after: None,
            limit: DEFAULT_RECORDS_LIMIT,
        };
        for (name, value) in query_pairs(query) {
            match name.as_slice() {
                b"after" if value.is_empty() => page.after = None,
                b"after" => {
                    page.after = Some(number(&value).ok_or_else(|| {
                        ApiError::BadRequest(format!(
                            "after must be a byte offset, a whole number, not {:?}",
                            String::from_utf8_lossy(&value)
                        ))
                    })?);
                }
                b"limit" => {
                    page.limit = number(&value)
                        .and_then(|limit| usize::try_from(limit).ok())
                        .filter(|limit| (1..=MAX_RECORDS_LIMIT).contains(limit))
                        .ok_or_else(|| {
                            ApiError::BadRequest(format!(
                                "limit must be a whole number from 1 to {MAX_RECORDS_LIMIT}, not {:?}",
                                String::from_utf8_lossy(&value)
                            ))
                        })?;
                }
                _ => {}
            }
        }
        Ok(page)
    }
}

/// Digits only: `+7`, `-1` and `0x10` are refused, as Rust's parser alone
/// would take the first.
fn number(value: &[u8]) -> Option<u64> {
    if value.is_empty() || !value.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(value).ok()?.parse().ok()
}

/// `GET /segments/{id}/records`: a page of segment `id`'s records.
pub(crate) async fn list(
    State(app): State<AppState>,
    path: Result<Path<String>, PathRejection>,
    RawQuery(query): RawQuery,
) -> Result<Json<RecordPageJson>, ApiError> {
    let Path(id) = path.map_err(|rejection| ApiError::BadRequest(rejection.body_text()))?;
    let segment = number(id.as_bytes())
        .and_then(|id| u32::try_from(id).ok())
        .ok_or_else(|| {
            ApiError::BadRequest(format!(
                "a segment id is a whole number (as /segments lists them), not {id:?}"
            ))
        })?;
    let query = PageQuery::from_query(query.as_deref().unwrap_or_default())?;
    let page = app
        .engine(move |store| store.segment_records(SegmentId(segment), query.after, query.limit))
        .await?
        .ok_or(ApiError::SegmentNotFound { segment })?;
    Ok(Json(RecordPageJson::from(&page)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_read_as_pages() {
        let read = |query: &str| PageQuery::from_query(query).ok();
        assert_eq!(
            read(""),
            Some(PageQuery {
                after: None,
                limit: DEFAULT_RECORDS_LIMIT
            })
        );
        assert_eq!(
            read("after=16&limit=4096&other=x"),
            Some(PageQuery {
                after: Some(16),
                limit: MAX_RECORDS_LIMIT
            })
        );
        assert_eq!(read("after=").map(|q| q.after), Some(None));
        for bad in [
            "limit=0",
            "limit=4097",
            "limit=",
            "limit=+5",
            "after=-1",
            "after=1.5",
            "after=0x10",
            "after=18446744073709551616",
        ] {
            assert!(
                matches!(
                    PageQuery::from_query(bad),
                    Err(ApiError::BadRequest(message)) if message.contains("must be")
                ),
                "{bad}"
            );
        }
    }
}
