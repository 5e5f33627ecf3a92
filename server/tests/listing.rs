//! `GET /blobs?prefix=&after=&limit=`: sorted keys, pages joined by the
//! `next` cursor, the 1000 default and 10000 maximum, 400 on a bad limit.

mod common;

use axum::http::StatusCode;
use common::{app, get, put};
use serde_json::json;

#[tokio::test]
async fn keys_come_sorted_and_filtered_by_prefix() {
    let t = app();
    for key in ["user:2", "user:1", "team:1", "user:10"] {
        put(&t.app, &format!("/blobs/{key}"), "x").await;
    }
    let all = get(&t.app, "/blobs").await;
    assert_eq!(all.status, StatusCode::OK);
    assert_eq!(all.header("content-type"), "application/json");
    assert_eq!(
        all.json(),
        json!({"keys": ["team:1", "user:1", "user:10", "user:2"], "next": null})
    );
    assert_eq!(
        get(&t.app, "/blobs?prefix=user%3A1").await.json(),
        json!({"keys": ["user:1", "user:10"], "next": null})
    );
    assert_eq!(
        get(&t.app, "/blobs?prefix=nobody").await.json(),
        json!({"keys": [], "next": null})
    );
}

#[tokio::test]
async fn pages_follow_the_next_cursor_to_the_end() {
    let t = app();
    let mut expected = Vec::new();
    for i in 0..7 {
        let key = format!("k/{i}");
        put(&t.app, &format!("/blobs/{key}"), "x").await;
        expected.push(key);
    }
    let mut seen = Vec::new();
    let mut uri = "/blobs?prefix=k/&limit=3".to_owned();
    let mut page_sizes = Vec::new();
    loop {
        let page = get(&t.app, &uri).await.json();
        let keys: Vec<String> = page["keys"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|k| k.as_str().map(str::to_owned))
            .collect();
        page_sizes.push(keys.len());
        seen.extend(keys);
        match page["next"].as_str() {
            Some(next) => {
                assert_eq!(Some(next), seen.last().map(String::as_str));
                uri = format!("/blobs?prefix=k/&limit=3&after={next}");
            }
            None => break,
        }
    }
    assert_eq!(seen, expected);
    assert_eq!(page_sizes, [3, 3, 1]);
    // A page that ends exactly at the last key has no cursor.
    let last = get(&t.app, "/blobs?limit=7").await.json();
    assert_eq!(last["next"], serde_json::Value::Null);
}

#[tokio::test]
async fn the_default_page_is_1000_keys() {
    let t = app();
    for i in 0..1001 {
        t.store.set(format!("key{i:04}"), b"").expect("set");
    }
    let page = get(&t.app, "/blobs").await.json();
    assert_eq!(page["keys"].as_array().map(Vec::len), Some(1000));
    assert_eq!(page["next"], "key0999");
    let all = get(&t.app, "/blobs?limit=10000").await.json();
    assert_eq!(all["keys"].as_array().map(Vec::len), Some(1001));
}

#[tokio::test]
async fn bad_limits_are_400() {
    let t = app();
    for bad in [
        "0",
        "10001",
        "-1",
        "ten",
        "",
        "1.5",
        "99999999999999999999999",
    ] {
        get(&t.app, &format!("/blobs?limit={bad}"))
            .await
            .assert_error(
                StatusCode::BAD_REQUEST,
                "limit must be a whole number from 1 to 10000",
            );
    }
}
