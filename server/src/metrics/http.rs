//! The HTTP side: a middleware that counts and times every request by its
//! method, the route template it matched and the status it got.
//!
//! Labels come from the server, never from what a client typed: the route
//! is axum's [`MatchedPath`] (`/blobs/{*key}`, not `/blobs/user:1`), and a
//! request no route matched — the playground's files, a 404 — counts as
//! `fallback`; a method outside HTTP's own nine counts as `other`. So the
//! number of series stays bounded whatever clients send.

use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::Response;
use metrics::{counter, histogram};

use crate::metrics::catalogue::{HTTP_REQUEST_DURATION, HTTP_REQUESTS};

/// The `route` of a request no route matched.
pub(crate) const UNMATCHED_ROUTE: &str = "fallback";

/// Counts and times `request`, from its arrival until its response's head
/// is ready: a streamed body (`/events`) is not waited for.
pub(crate) async fn track(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or(UNMATCHED_ROUTE, MatchedPath::as_str)
        .to_owned();
    let method = method_label(request.method());
    let response = next.run(request).await;
    let labels = [
        ("method", method.to_owned()),
        ("route", route),
        ("status", response.status().as_u16().to_string()),
    ];
    counter!(HTTP_REQUESTS, &labels).increment(1);
    histogram!(HTTP_REQUEST_DURATION, &labels).record(started.elapsed());
    response
}

/// `method` as a label: HTTP's standard methods by name, anything else as
/// `other`, since a client may invent any number of them.
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::PUT => "PUT",
        Method::POST => "POST",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        Method::PATCH => "PATCH",
        Method::CONNECT => "CONNECT",
        Method::TRACE => "TRACE",
        _ => "other",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invented_methods_share_one_label() -> Result<(), axum::http::method::InvalidMethod> {
        assert_eq!(method_label(&Method::PUT), "PUT");
        assert_eq!(method_label(&Method::from_bytes(b"PURGE")?), "other");
        assert_eq!(
            method_label(&Method::from_bytes(b"X-ANYTHING-1234")?),
            "other"
        );
        Ok(())
    }
}
