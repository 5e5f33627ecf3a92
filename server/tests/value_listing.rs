//! `GET /blobs?values=true`: the same ranges and pages as the key listing,
//! each item a key with its value in base64 and its `ETag`; pages also end
//! when their values reach `MAX_VALUES_PAGE_BYTES`.

mod common;

use axum::http::StatusCode;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use common::{app, get, put};
use mini_kvstore_server::MAX_VALUES_PAGE_BYTES;
use serde_json::json;

#[tokio::test]
async fn items_carry_the_value_and_the_etag_get_sends() {
    let t = app();
    let etag = put(&t.app, "/blobs/user:1", "Alice")
        .await
        .header("etag")
        .to_owned();
    put(&t.app, "/blobs/user:2", "Bob").await;
    t.store.set("user:3", [0x68, 0xff, 0x00]).expect("set");
    t.store.set(b"user:\xff", b"").expect("set");

    let reply = get(&t.app, "/blobs?prefix=user:&values=true&limit=2").await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.header("content-type"), "application/json");
    assert_eq!(
        reply.json(),
        json!({
            "items": [
                {"key": "user:1", "value_base64": "QWxpY2U=", "etag": etag},
                {"key": "user:2", "value_base64": "Qm9i", "etag": "\"2\""},
            ],
            "next": "user:2"
        })
    );
    let rest = get(&t.app, "/blobs?prefix=user:&values=true&after=user:2")
        .await
        .json();
    assert_eq!(
        rest,
        json!({
            "items": [
                {"key": "user:3", "value_base64": "aP8A", "etag": "\"3\""},
                {"key": {"hex": "757365723aff"}, "value_base64": "", "etag": "\"4\""},
            ],
            "next": null
        })
    );
    let bytes = rest["items"][0]["value_base64"]
        .as_str()
        .and_then(|text| BASE64.decode(text).ok());
    assert_eq!(bytes, Some(vec![0x68, 0xff, 0x00]));
}

#[tokio::test]
async fn ranges_and_reverse_apply_to_items_too() {
    let t = app();
    for key in ["a", "b", "c", "d"] {
        t.store.set(key, key).expect("set");
    }
    let page = get(
        &t.app,
        "/blobs?start=b&end=d&reverse=true&values=true&limit=1",
    )
    .await
    .json();
    assert_eq!(page["items"][0]["key"], "c");
    assert_eq!(page["items"][0]["value_base64"], "Yw==");
    assert_eq!(page["next"], "c");
    let rest = get(
        &t.app,
        "/blobs?start=b&end=d&reverse=true&values=true&limit=1&after=c",
    )
    .await
    .json();
    assert_eq!(rest["items"][0]["key"], "b");
    assert_eq!(rest["next"], serde_json::Value::Null);
}

#[tokio::test]
async fn a_page_of_values_ends_at_its_byte_budget() {
    let t = app();
    let big = vec![b'v'; MAX_VALUES_PAGE_BYTES / 2 + 1];
    for key in ["big1", "big2", "big3", "big4"] {
        t.store.set(key, &big).expect("set");
    }
    let first = get(&t.app, "/blobs?values=true").await.json();
    let keys: Vec<&str> = first["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|item| item["key"].as_str())
        .collect();
    assert_eq!(keys, ["big1", "big2"]);
    assert_eq!(first["next"], "big2");
    let second = get(&t.app, "/blobs?values=true&after=big2").await.json();
    assert_eq!(second["items"].as_array().map(Vec::len), Some(2));
    assert_eq!(second["next"], serde_json::Value::Null);
}
