//! Every answer carries `x-request-id` — errors too (404, 405, 401, 413):
//! the client's when it sent one fit to keep (1 to 128 visible ASCII
//! characters, in one header), a new UUID otherwise, never the same one
//! twice.

mod common;

use axum::http::{Method, StatusCode};
use common::{app, app_with, request, send};
use mini_kvstore_server::MAX_REQUEST_ID_LEN;

fn id(reply: &common::Reply) -> String {
    reply.headers["x-request-id"]
        .to_str()
        .expect("an id is ASCII")
        .to_owned()
}

fn is_uuid(id: &str) -> bool {
    id.len() == 36
        && id.char_indices().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => c == '-',
            _ => c.is_ascii_hexdigit(),
        })
}

#[tokio::test]
async fn a_fit_client_id_comes_back_on_every_kind_of_answer() {
    let t = app_with(|config| config.token("s3cret").max_body_bytes(4));
    let longest = "i".repeat(MAX_REQUEST_ID_LEN);
    let cases = [
        (Method::GET, "/health", StatusCode::OK, "plain-id"),
        (Method::GET, "/no/such/path", StatusCode::NOT_FOUND, "a~b!c"),
        (
            Method::PATCH,
            "/blobs/k",
            StatusCode::METHOD_NOT_ALLOWED,
            "x",
        ),
        (
            Method::PUT,
            "/blobs/k",
            StatusCode::UNAUTHORIZED,
            longest.as_str(),
        ),
    ];
    for (method, path, status, sent) in cases {
        let reply = send(
            &t.app,
            request(method, path, &[("x-request-id", sent)], "v"),
        )
        .await;
        assert_eq!(reply.status, status, "{path}");
        assert_eq!(id(&reply), sent, "{path}");
    }
    let too_large = send(
        &t.app,
        request(
            Method::PUT,
            "/blobs/k",
            &[
                ("x-request-id", "big-1"),
                ("authorization", "Bearer s3cret"),
            ],
            "12345",
        ),
    )
    .await;
    assert_eq!(too_large.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(id(&too_large), "big-1");
}

#[tokio::test]
async fn a_missing_or_unfit_id_is_replaced_by_a_new_uuid() {
    let t = app();
    let too_long = "i".repeat(MAX_REQUEST_ID_LEN + 1);
    let mut seen = Vec::new();
    let unfit: [&[(&str, &str)]; 5] = [
        &[],
        &[("x-request-id", "")],
        &[("x-request-id", "with space")],
        &[("x-request-id", too_long.as_str())],
        &[("x-request-id", "one"), ("x-request-id", "two")],
    ];
    for headers in unfit {
        let reply = send(&t.app, request(Method::GET, "/health", headers, "")).await;
        assert_eq!(reply.status, StatusCode::OK);
        assert_eq!(reply.headers.get_all("x-request-id").iter().count(), 1);
        let id = id(&reply);
        assert!(is_uuid(&id), "{headers:?} got {id:?}");
        assert!(!seen.contains(&id), "{id} twice");
        seen.push(id);
    }
}
