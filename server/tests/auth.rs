//! With a token, every request that changes the store needs
//! `Authorization: Bearer <token>` (401 and `WWW-Authenticate` otherwise,
//! before the key or body is even looked at); reads stay open.

mod common;

use axum::body::Body;
use axum::http::{Method, StatusCode};
use common::{app_with, get, request, send};

const TOKEN: &str = "s3cret-token";

/// The mutating requests: method and path.
const WRITES: &[(Method, &str)] = &[
    (Method::PUT, "/blobs/k"),
    (Method::POST, "/blobs/k"),
    (Method::DELETE, "/blobs/k"),
    (Method::POST, "/compact"),
];

#[tokio::test]
async fn writes_without_the_right_token_are_401_and_change_nothing() {
    let t = app_with(|config| config.token(TOKEN));
    t.store.set("k", b"before").expect("set");
    let wrong_token = format!("Bearer {TOKEN}x");
    let wrong_scheme = format!("Basic {TOKEN}");
    let bare = TOKEN.to_owned();
    let bad_headers: [&[(&str, &str)]; 5] = [
        &[],
        &[("authorization", &wrong_token)],
        &[("authorization", &wrong_scheme)],
        &[("authorization", &bare)],
        &[("authorization", "Bearer ")],
    ];
    for (method, path) in WRITES {
        for headers in bad_headers {
            let reply = send(&t.app, request(method.clone(), path, headers, "after")).await;
            reply.assert_error(StatusCode::UNAUTHORIZED, "Authorization: Bearer");
            assert_eq!(reply.header("www-authenticate"), "Bearer realm=\"kvstore\"");
            assert!(
                !reply
                    .body
                    .windows(TOKEN.len())
                    .any(|w| w == TOKEN.as_bytes())
            );
        }
    }
    assert_eq!(t.store.get("k").ok().flatten(), Some(b"before".to_vec()));
}

#[tokio::test]
async fn auth_comes_before_limits() {
    let t = app_with(|config| config.token(TOKEN).max_body_bytes(4));
    let long_key = format!("/blobs/{}", "k".repeat(5000));
    for path in ["/blobs/%FF", "/blobs/", long_key.as_str()] {
        send(&t.app, request(Method::PUT, path, &[], "way too long"))
            .await
            .assert_error(StatusCode::UNAUTHORIZED, "Bearer");
    }
}

#[tokio::test]
async fn the_right_token_is_accepted_on_every_write() {
    let t = app_with(|config| config.token(TOKEN));
    let good = format!("Bearer {TOKEN}");
    let lower = format!("bearer {TOKEN}");
    let statuses: Vec<StatusCode> = {
        let mut statuses = Vec::new();
        for (method, path) in WRITES {
            let reply = send(
                &t.app,
                request(method.clone(), path, &[("authorization", &good)], "v"),
            )
            .await;
            statuses.push(reply.status);
        }
        statuses
    };
    assert_eq!(
        statuses,
        [
            StatusCode::CREATED,
            StatusCode::OK,
            StatusCode::NO_CONTENT,
            StatusCode::OK
        ]
    );
    let reply = send(
        &t.app,
        request(Method::PUT, "/blobs/k2", &[("authorization", &lower)], "v"),
    )
    .await;
    assert_eq!(reply.status, StatusCode::CREATED);
}

#[tokio::test]
async fn reads_need_no_token() {
    let t = app_with(|config| config.token(TOKEN));
    t.store.set("k", b"v").expect("set");
    for path in ["/health", "/blobs", "/blobs/k", "/stats", "/segments", "/"] {
        let reply = get(&t.app, path).await;
        assert_eq!(reply.status, StatusCode::OK, "{path}");
    }
    let head = send(
        &t.app,
        request(Method::HEAD, "/blobs/k", &[], Body::empty()),
    )
    .await;
    assert_eq!(head.status, StatusCode::OK);
}
