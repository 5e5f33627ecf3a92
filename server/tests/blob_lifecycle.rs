//! A key's life through `/blobs/{*key}`: created (201, `Location`, `ETag`),
//! replaced (200) by PUT or POST, read by GET and HEAD, deleted (204), then
//! gone (404 with a JSON error, for GET, HEAD and DELETE alike).

mod common;

use axum::body::Body;
use axum::http::{Method, StatusCode};
use common::{VOLUME, app, delete, get, put, request, send};

#[tokio::test]
async fn a_new_key_is_created_with_location_and_etag() {
    let t = app();
    let reply = put(&t.app, "/blobs/user", "Alice").await;
    assert_eq!(reply.status, StatusCode::CREATED);
    assert_eq!(reply.header("location"), "/blobs/user");
    // The first write to a fresh store has sequence number 1.
    let etag = reply.header("etag").to_owned();
    assert_eq!(etag, "\"1\"");
    let body = reply.json();
    assert_eq!(body["key"], "user");
    assert_eq!(body["etag"], etag.as_str());
    assert_eq!(body["size"], 5);
    assert_eq!(body["volume_id"], VOLUME);
    assert_eq!(t.store.get("user").ok().flatten(), Some(b"Alice".to_vec()));
}

#[tokio::test]
async fn replacing_answers_200_with_a_new_etag_and_no_location() {
    let t = app();
    let first = put(&t.app, "/blobs/user", "Alice").await;
    let second = put(&t.app, "/blobs/user", "Alicia").await;
    assert_eq!(second.status, StatusCode::OK);
    assert_eq!(second.header("location"), "");
    assert_ne!(second.header("etag"), first.header("etag"));
    assert_eq!(second.json()["size"], 6);

    // POST is the original API's verb and behaves the same.
    let posted = send(&t.app, request(Method::POST, "/blobs/user", &[], "Al")).await;
    assert_eq!(posted.status, StatusCode::OK);
    let created = send(&t.app, request(Method::POST, "/blobs/new", &[], "x")).await;
    assert_eq!(created.status, StatusCode::CREATED);
    assert_eq!(created.header("location"), "/blobs/new");
    assert_eq!(t.store.get("user").ok().flatten(), Some(b"Al".to_vec()));
}

#[tokio::test]
async fn get_and_head_return_the_bytes_with_type_length_and_etag() {
    let t = app();
    let value: Vec<u8> = (0..=255u8).collect();
    let etag = put(&t.app, "/blobs/bin", value.clone())
        .await
        .header("etag")
        .to_owned();

    let reply = get(&t.app, "/blobs/bin").await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.header("content-type"), "application/octet-stream");
    assert_eq!(reply.header("content-length"), "256");
    assert_eq!(reply.header("etag"), etag);
    assert_eq!(reply.body.as_ref(), value.as_slice());

    let head = send(
        &t.app,
        request(Method::HEAD, "/blobs/bin", &[], Body::empty()),
    )
    .await;
    assert_eq!(head.status, StatusCode::OK);
    assert_eq!(head.header("content-type"), "application/octet-stream");
    assert_eq!(head.header("content-length"), "256");
    assert_eq!(head.header("etag"), etag);
    assert!(head.body.is_empty());
}

#[tokio::test]
async fn an_empty_body_is_a_value_too() {
    let t = app();
    assert_eq!(
        put(&t.app, "/blobs/empty", "").await.status,
        StatusCode::CREATED
    );
    let reply = get(&t.app, "/blobs/empty").await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.header("content-length"), "0");
}

#[tokio::test]
async fn delete_answers_204_then_the_key_is_gone() {
    let t = app();
    put(&t.app, "/blobs/user", "Alice").await;
    let reply = delete(&t.app, "/blobs/user").await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT);
    assert!(reply.body.is_empty());

    get(&t.app, "/blobs/user")
        .await
        .assert_error(StatusCode::NOT_FOUND, "not found");
    delete(&t.app, "/blobs/user")
        .await
        .assert_error(StatusCode::NOT_FOUND, "not found");
    let head = send(
        &t.app,
        request(Method::HEAD, "/blobs/user", &[], Body::empty()),
    )
    .await;
    assert_eq!(head.status, StatusCode::NOT_FOUND);
    assert!(head.body.is_empty());
    assert_eq!(t.store.get("user").ok().flatten(), None);
}

#[tokio::test]
async fn wrong_methods_get_405_with_allow_and_a_json_error() {
    let t = app();
    let reply = send(&t.app, request(Method::PATCH, "/blobs/user", &[], "x")).await;
    reply.assert_error(
        StatusCode::METHOD_NOT_ALLOWED,
        "PATCH is not allowed on /blobs/user",
    );
    let mut allowed: Vec<&str> = reply.header("allow").split(',').map(str::trim).collect();
    allowed.sort_unstable();
    assert_eq!(allowed, ["DELETE", "GET", "HEAD", "POST", "PUT"]);
    send(&t.app, request(Method::POST, "/blobs", &[], "x"))
        .await
        .assert_error(StatusCode::METHOD_NOT_ALLOWED, "not allowed");
}
