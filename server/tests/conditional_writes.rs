//! `If-Match` and `If-None-Match` on `PUT`, `POST` and `DELETE`: the write
//! happens only when the key's current `ETag` passes (strong comparison for
//! `If-Match`, `*` for "has a value"; `If-None-Match: *` for "has none"),
//! otherwise 412 with the JSON error body, the current `ETag` when there is
//! one, and nothing written; a malformed header is 400.

mod common;

use axum::body::Body;
use axum::http::{Method, StatusCode};
use common::{Reply, TestApp, app, get, put, request, send};

async fn put_if(t: &TestApp, uri: &str, headers: &[(&str, &str)], body: &'static str) -> Reply {
    send(&t.app, request(Method::PUT, uri, headers, body)).await
}

async fn delete_if(t: &TestApp, uri: &str, headers: &[(&str, &str)]) -> Reply {
    send(&t.app, request(Method::DELETE, uri, headers, Body::empty())).await
}

fn assert_precondition_failed(reply: &Reply, current_etag: &str) {
    reply.assert_error(
        StatusCode::PRECONDITION_FAILED,
        "which the write did not expect",
    );
    assert_eq!(reply.header("etag"), current_etag);
}

fn value(t: &TestApp, key: &str) -> Option<Vec<u8>> {
    t.store.get(key).expect("read the store")
}

#[tokio::test]
async fn if_none_match_star_creates_only_once() {
    let t = app();
    let created = put_if(&t, "/blobs/k", &[("if-none-match", "*")], "first").await;
    assert_eq!(created.status, StatusCode::CREATED);
    let etag = created.header("etag").to_owned();
    let again = put_if(&t, "/blobs/k", &[("if-none-match", "*")], "second").await;
    assert_precondition_failed(&again, &etag);
    assert_eq!(value(&t, "k"), Some(b"first".to_vec()));
}

#[tokio::test]
async fn if_match_writes_over_the_current_etag_only() {
    let t = app();
    let first = put(&t.app, "/blobs/k", "v1")
        .await
        .header("etag")
        .to_owned();
    let second = put_if(&t, "/blobs/k", &[("if-match", &first)], "v2").await;
    assert_eq!(second.status, StatusCode::OK);
    let current = second.header("etag").to_owned();
    assert_ne!(current, first);
    assert_eq!(second.json()["etag"], current.as_str());

    // The first ETag is stale now; a weak tag never passes the strong
    // comparison, even for the current version.
    let weak = format!("W/{current}");
    for stale in [first.as_str(), weak.as_str(), "\"999\""] {
        let reply = put_if(&t, "/blobs/k", &[("if-match", stale)], "v3").await;
        assert_precondition_failed(&reply, &current);
    }
    assert_eq!(value(&t, "k"), Some(b"v2".to_vec()));

    // A list passes when it names the current version.
    let listed = format!("\"999\", {current}");
    let reply = put_if(&t, "/blobs/k", &[("if-match", &listed)], "v4").await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(value(&t, "k"), Some(b"v4".to_vec()));
}

#[tokio::test]
async fn if_match_star_needs_a_value_and_an_absent_key_has_no_etag() {
    let t = app();
    let reply = put_if(&t, "/blobs/k", &[("if-match", "*")], "v").await;
    assert_precondition_failed(&reply, "");
    assert!(
        reply.json()["error"]
            .as_str()
            .is_some_and(|message| message.contains("no value"))
    );
    let reply = put_if(&t, "/blobs/k", &[("if-match", "\"1\"")], "v").await;
    assert_precondition_failed(&reply, "");
    assert_eq!(value(&t, "k"), None);

    put(&t.app, "/blobs/k", "v1").await;
    let reply = put_if(&t, "/blobs/k", &[("if-match", "*")], "v2").await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(value(&t, "k"), Some(b"v2".to_vec()));
}

#[tokio::test]
async fn if_none_match_with_tags_refuses_those_versions() {
    let t = app();
    let current = put(&t.app, "/blobs/k", "v1")
        .await
        .header("etag")
        .to_owned();
    let weak = format!("W/{current}");
    for named in [current.as_str(), weak.as_str()] {
        let reply = put_if(&t, "/blobs/k", &[("if-none-match", named)], "v2").await;
        assert_precondition_failed(&reply, &current);
    }
    let reply = put_if(&t, "/blobs/k", &[("if-none-match", "\"999\"")], "v2").await;
    assert_eq!(reply.status, StatusCode::OK);

    // Both headers: If-Match first, then If-None-Match.
    let now = reply.header("etag").to_owned();
    let reply = put_if(
        &t,
        "/blobs/k",
        &[("if-match", "*"), ("if-none-match", &now)],
        "v3",
    )
    .await;
    assert_precondition_failed(&reply, &now);
}

#[tokio::test]
async fn post_keeps_its_meaning_and_honours_the_same_conditions() {
    let t = app();
    let posted = send(&t.app, request(Method::POST, "/blobs/k", &[], "v1")).await;
    assert_eq!(posted.status, StatusCode::CREATED);
    let etag = posted.header("etag").to_owned();
    let replaced = send(&t.app, request(Method::POST, "/blobs/k", &[], "v2")).await;
    assert_eq!(replaced.status, StatusCode::OK);
    let stale = send(
        &t.app,
        request(Method::POST, "/blobs/k", &[("if-match", &etag)], "v3"),
    )
    .await;
    assert_precondition_failed(&stale, replaced.header("etag"));
    assert_eq!(value(&t, "k"), Some(b"v2".to_vec()));
}

#[tokio::test]
async fn conditional_deletes() {
    let t = app();
    let first = put(&t.app, "/blobs/k", "v1")
        .await
        .header("etag")
        .to_owned();
    let current = put(&t.app, "/blobs/k", "v2")
        .await
        .header("etag")
        .to_owned();

    let stale = delete_if(&t, "/blobs/k", &[("if-match", &first)]).await;
    assert_precondition_failed(&stale, &current);
    let exists = delete_if(&t, "/blobs/k", &[("if-none-match", "*")]).await;
    assert_precondition_failed(&exists, &current);
    assert_eq!(value(&t, "k"), Some(b"v2".to_vec()));

    let deleted = delete_if(&t, "/blobs/k", &[("if-match", &current)]).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    assert_eq!(value(&t, "k"), None);

    // Gone: If-Match fails, If-None-Match: * passes and finds nothing.
    let gone = delete_if(&t, "/blobs/k", &[("if-match", "*")]).await;
    assert_precondition_failed(&gone, "");
    delete_if(&t, "/blobs/k", &[("if-none-match", "*")])
        .await
        .assert_error(StatusCode::NOT_FOUND, "key not found");
}

#[tokio::test]
async fn malformed_conditions_are_400_and_write_nothing() {
    let t = app();
    put(&t.app, "/blobs/k", "v1").await;
    for (header, value) in [
        ("if-match", "7"),
        ("if-match", "\"7"),
        ("if-match", "\"7\" \"8\""),
        ("if-match", "*, \"7\""),
        ("if-none-match", "w/\"7\""),
    ] {
        let reply = put_if(&t, "/blobs/k", &[(header, value)], "v2").await;
        reply.assert_error(
            StatusCode::BAD_REQUEST,
            "must be * or a list of quoted entity tags",
        );
        let reply = delete_if(&t, "/blobs/k", &[(header, value)]).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{header}: {value}");
    }
    assert_eq!(value(&t, "k"), Some(b"v1".to_vec()));
    // A GET forgives the same header: it only decides between 200 and 304.
    let reply = send(
        &t.app,
        request(
            Method::GET,
            "/blobs/k",
            &[("if-none-match", "7")],
            Body::empty(),
        ),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(get(&t.app, "/blobs/k").await.body.as_ref(), b"v1");
}
