//! Bad input is a 4xx with a JSON error, never a 500: a body over the limit
//! (413, whether the server's or the store's limit), a key over 1 KiB in the
//! URL (414), a key that is empty or not UTF-8 once decoded (400), a bad
//! page limit (400).

mod common;

use axum::body::Body;
use axum::http::{Method, StatusCode};
use common::{app, app_with, delete, get, put, request, send};
use mini_kvstore::{KvStore, MemStorage, Options};
use mini_kvstore_server::{Config, DEFAULT_MAX_BODY_BYTES, MAX_URL_KEY_LEN, router};

#[tokio::test]
async fn bodies_over_the_configured_limit_are_413() {
    let t = app_with(|config| config.max_body_bytes(16));
    assert_eq!(
        put(&t.app, "/blobs/k", vec![b'x'; 16]).await.status,
        StatusCode::CREATED
    );
    put(&t.app, "/blobs/k", vec![b'x'; 17])
        .await
        .assert_error(StatusCode::PAYLOAD_TOO_LARGE, "limit of 16 bytes");
    assert_eq!(t.store.get("k").ok().flatten().map(|v| v.len()), Some(16));
}

#[tokio::test]
async fn the_default_limit_is_64_mib() {
    assert_eq!(DEFAULT_MAX_BODY_BYTES, 64 * 1024 * 1024);
    let t = app();
    put(&t.app, "/blobs/big", vec![0u8; DEFAULT_MAX_BODY_BYTES + 1])
        .await
        .assert_error(StatusCode::PAYLOAD_TOO_LARGE, "limit of 67108864 bytes");
    assert!(t.store.is_empty());
}

#[tokio::test]
async fn the_stores_own_value_limit_is_413_too() {
    let store =
        KvStore::open_with(MemStorage::new(), Options::default().max_value_size(8)).expect("open");
    let app = router(store, Config::new("v"));
    put(&app, "/blobs/k", "123456789")
        .await
        .assert_error(StatusCode::PAYLOAD_TOO_LARGE, "the limit is 8");
}

#[tokio::test]
async fn keys_over_1_kib_are_414() {
    let t = app();
    let at_limit = "k".repeat(MAX_URL_KEY_LEN);
    assert_eq!(
        put(&t.app, &format!("/blobs/{at_limit}"), "v").await.status,
        StatusCode::CREATED
    );
    let over = "k".repeat(MAX_URL_KEY_LEN + 1);
    for reply in [
        put(&t.app, &format!("/blobs/{over}"), "v").await,
        get(&t.app, &format!("/blobs/{over}")).await,
        delete(&t.app, &format!("/blobs/{over}")).await,
    ] {
        reply.assert_error(StatusCode::URI_TOO_LONG, "at most 1024");
    }
    // The limit counts decoded bytes: 512 two-byte characters fit, 513 do not.
    let fits = "%C3%A9".repeat(512);
    assert_eq!(
        put(&t.app, &format!("/blobs/{fits}"), "v").await.status,
        StatusCode::CREATED
    );
    let too_long = "%C3%A9".repeat(513);
    put(&t.app, &format!("/blobs/{too_long}"), "v")
        .await
        .assert_error(StatusCode::URI_TOO_LONG, "key is 1026 bytes");
}

#[tokio::test]
async fn keys_that_are_not_utf8_are_400() {
    let t = app();
    for method in [Method::PUT, Method::GET, Method::DELETE, Method::POST] {
        for path in ["/blobs/%FF", "/blobs/ok%C3", "/blobs/%C3%28"] {
            send(&t.app, request(method.clone(), path, &[], "v"))
                .await
                .assert_error(StatusCode::BAD_REQUEST, "not valid UTF-8");
        }
    }
    assert!(t.store.is_empty());
}

#[tokio::test]
async fn an_empty_key_is_400() {
    let t = app();
    for method in [Method::PUT, Method::GET, Method::DELETE] {
        send(&t.app, request(method, "/blobs/", &[], Body::empty()))
            .await
            .assert_error(StatusCode::BAD_REQUEST, "key must not be empty");
    }
}

#[tokio::test]
async fn a_bad_page_limit_is_400() {
    let t = app();
    get(&t.app, "/blobs?limit=0").await.assert_error(
        StatusCode::BAD_REQUEST,
        "limit must be a whole number from 1 to 10000, not \"0\"",
    );
    get(&t.app, "/blobs?limit=lots").await.assert_error(
        StatusCode::BAD_REQUEST,
        "limit must be a whole number from 1 to 10000, not \"lots\"",
    );
}
