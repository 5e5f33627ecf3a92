//! Keys with `/`, spaces, reserved characters and non-ASCII text travel
//! percent-encoded, come back out of `Location` encoded the same way, and a
//! literal `/` in the path names the same key as `%2F`.

mod common;

use axum::http::StatusCode;
use common::{app, delete, get, put};
use serde_json::json;

#[tokio::test]
async fn slashes_encoded_or_not_name_the_same_key() {
    let t = app();
    let reply = put(&t.app, "/blobs/a%2Fb%2Fc", "nested").await;
    assert_eq!(reply.status, StatusCode::CREATED);
    assert_eq!(reply.json()["key"], "a/b/c");
    assert_eq!(reply.header("location"), "/blobs/a/b/c");
    assert_eq!(get(&t.app, "/blobs/a/b/c").await.body.as_ref(), b"nested");
    assert_eq!(get(&t.app, "/blobs/a/b%2Fc").await.body.as_ref(), b"nested");
    assert_eq!(
        put(&t.app, "/blobs/a/b/c", "again").await.status,
        StatusCode::OK
    );
    // A leading slash is part of the key.
    put(&t.app, "/blobs//rooted", "r").await;
    assert_eq!(t.store.get("/rooted").ok().flatten(), Some(b"r".to_vec()));
    assert_eq!(
        get(&t.app, "/blobs").await.json()["keys"],
        json!(["/rooted", "a/b/c"])
    );
}

#[tokio::test]
async fn non_ascii_and_reserved_characters_round_trip() {
    let t = app();
    let cases = [
        ("caf%C3%A9%20menu", "café menu", "/blobs/caf%C3%A9%20menu"),
        (
            "%E6%97%A5%E6%9C%AC/%F0%9F%A6%80",
            "日本/🦀",
            "/blobs/%E6%97%A5%E6%9C%AC/%F0%9F%A6%80",
        ),
        (
            "100%25%3Fx%23y%26z",
            "100%?x#y&z",
            "/blobs/100%25%3Fx%23y%26z",
        ),
        ("a+b", "a+b", "/blobs/a%2Bb"),
    ];
    for (encoded, key, location) in cases {
        let reply = put(&t.app, &format!("/blobs/{encoded}"), key).await;
        assert_eq!(reply.status, StatusCode::CREATED, "{encoded}");
        assert_eq!(reply.json()["key"], key);
        assert_eq!(reply.header("location"), location);
        assert_eq!(
            t.store.get(key).ok().flatten(),
            Some(key.as_bytes().to_vec())
        );
        // The Location header leads back to the value.
        let back = get(&t.app, location).await;
        assert_eq!(back.status, StatusCode::OK);
        assert_eq!(back.body.as_ref(), key.as_bytes());
    }
    let listed = get(&t.app, "/blobs?prefix=%E6%97%A5").await.json();
    assert_eq!(listed["keys"], json!(["日本/🦀"]));
    assert_eq!(
        delete(&t.app, "/blobs/caf%C3%A9%20menu").await.status,
        StatusCode::NO_CONTENT
    );
}

#[tokio::test]
async fn a_query_string_is_not_part_of_the_key() {
    let t = app();
    put(&t.app, "/blobs/k?version=2", "v").await;
    assert_eq!(t.store.keys(), vec![b"k".to_vec()]);
}
