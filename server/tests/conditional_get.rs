//! `If-None-Match`: 304 with the `ETag` and no body when the client's copy is
//! current (exact, weak, in a list, or `*`); the full value otherwise.

mod common;

use axum::body::Body;
use axum::http::{Method, StatusCode};
use common::{app, put, request, send};

#[tokio::test]
async fn a_current_etag_gets_304_and_a_stale_one_the_value() {
    let t = app();
    let etag = put(&t.app, "/blobs/k", "v1")
        .await
        .header("etag")
        .to_owned();
    let weak = format!("W/{etag}");
    let listed = format!("\"999999\", {etag}");

    for current in [etag.as_str(), weak.as_str(), listed.as_str(), "*"] {
        for method in [Method::GET, Method::HEAD] {
            let reply = send(
                &t.app,
                request(
                    method.clone(),
                    "/blobs/k",
                    &[("if-none-match", current)],
                    Body::empty(),
                ),
            )
            .await;
            assert_eq!(reply.status, StatusCode::NOT_MODIFIED, "{method} {current}");
            assert_eq!(reply.header("etag"), etag);
            assert!(reply.body.is_empty());
        }
    }

    let newer = put(&t.app, "/blobs/k", "v2")
        .await
        .header("etag")
        .to_owned();
    let reply = send(
        &t.app,
        request(
            Method::GET,
            "/blobs/k",
            &[("if-none-match", &etag)],
            Body::empty(),
        ),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.header("etag"), newer);
    assert_eq!(reply.body.as_ref(), b"v2");
}

#[tokio::test]
async fn if_none_match_on_a_missing_key_is_still_404() {
    let t = app();
    send(
        &t.app,
        request(
            Method::GET,
            "/blobs/none",
            &[("if-none-match", "*")],
            Body::empty(),
        ),
    )
    .await
    .assert_error(StatusCode::NOT_FOUND, "not found");
}
