//! Request ids: every HTTP request gets one, returned in its
//! `x-request-id` response header and recorded on its log span, so each
//! log line a request causes — JSON or text — can be found by the id a
//! client or a proxy saw.
//!
//! A client's own `x-request-id` is kept when it is fit to copy into logs
//! and headers: 1 to [`MAX_REQUEST_ID_LEN`] visible ASCII characters, sent
//! once. Anything else — too long, empty, spaces or control bytes, sent
//! twice — is dropped and replaced by a new id (a random UUID), as is a
//! missing one: a log line must not carry whatever a client chooses to
//! inject, nor a header grow without bound.
//!
//! tower-http's `SetRequestIdLayer` and `PropagateRequestIdLayer` do the
//! setting and the returning; [`drop_unfit`] runs before them, and
//! [`span`] is the trace layer's span with the id in it.

use axum::extract::Request;
use axum::http::HeaderName;
use axum::middleware::Next;
use axum::response::Response;
use tower_http::request_id::RequestId;
use tracing::Span;

/// The header, request and response alike.
pub(crate) const X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The longest client request id kept: room for a UUID, a trace id and
/// their prefixes, not for a payload.
pub const MAX_REQUEST_ID_LEN: usize = 128;

/// Whether `value` may be kept as a request id.
fn fit(value: &[u8]) -> bool {
    (1..=MAX_REQUEST_ID_LEN).contains(&value.len()) && value.iter().all(u8::is_ascii_graphic)
}

/// Removes a client's `x-request-id` that is not fit to keep, so that the
/// id layer gives the request a new one.
pub(crate) async fn drop_unfit(mut request: Request, next: Next) -> Response {
    let headers = request.headers_mut();
    let mut sent = headers.get_all(&X_REQUEST_ID).iter();
    let keep = match (sent.next(), sent.next()) {
        (None, _) => true,
        (Some(value), None) => fit(value.as_bytes()),
        (Some(_), Some(_)) => false,
    };
    if !keep {
        headers.remove(&X_REQUEST_ID);
    }
    next.run(request).await
}

/// The span each request's log lines are in, at `INFO`: its method, path,
/// HTTP version and id (tower-http's default span, which is at `DEBUG`
/// and has no id, plus the id).
pub(crate) fn span(request: &Request) -> Span {
    let id = request
        .extensions()
        .get::<RequestId>()
        .and_then(|id| id.header_value().to_str().ok())
        .unwrap_or("");
    tracing::info_span!(
        "request",
        method = %request.method(),
        uri = %request.uri(),
        version = ?request.version(),
        request_id = %id,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_short_visible_ascii_is_fit() {
        assert!(fit(b"0f8fad5b-d9cb-469f-a165-70867728950e"));
        assert!(fit(b"client-42/retry:1"));
        assert!(fit(&[b'a'; MAX_REQUEST_ID_LEN]));
        assert!(!fit(&[b'a'; MAX_REQUEST_ID_LEN + 1]));
        assert!(!fit(b""));
        assert!(!fit(b"has space"));
        assert!(!fit(b"tab\there"));
        assert!(!fit("caf\u{e9}".as_bytes()));
        assert!(!fit(b"line\nbreak"));
    }
}
