//! `GET /blobs?start=&end=&reverse=&after=&limit=`: the keys of a half-open
//! range, forward or backward, in the same `{"keys", "next"}` pages as the
//! prefix listing, `prefix` narrowing the range, and `next` leading on in
//! either direction.

mod common;

use axum::http::StatusCode;
use common::{TestApp, app, get};
use serde_json::{Value, json};

fn fill(t: &TestApp, keys: &[&str]) {
    for key in keys {
        t.store.set(key, key.to_uppercase()).expect("set");
    }
}

const KEYS: [&str; 8] = ["a", "b", "ba", "c", "user:1", "user:2", "user:3", "z"];

async fn keys(t: &TestApp, query: &str) -> Value {
    let reply = get(&t.app, &format!("/blobs?{query}")).await;
    assert_eq!(reply.status, StatusCode::OK, "{query}");
    reply.json()
}

#[tokio::test]
async fn start_is_inclusive_and_end_exclusive() {
    let t = app();
    fill(&t, &KEYS);
    assert_eq!(
        keys(&t, "start=b&end=c").await,
        json!({"keys": ["b", "ba"], "next": null})
    );
    // A start that is no key starts at the next one.
    assert_eq!(
        keys(&t, "start=bb&end=user:2").await,
        json!({"keys": ["c", "user:1"], "next": null})
    );
    assert_eq!(
        keys(&t, "start=user:3").await["keys"],
        json!(["user:3", "z"])
    );
    assert_eq!(keys(&t, "end=b").await["keys"], json!(["a"]));
    assert_eq!(keys(&t, "start=c&end=c").await["keys"], json!([]));
    assert_eq!(keys(&t, "start=d&end=c").await["keys"], json!([]));
    // Empty values leave the side open.
    assert_eq!(keys(&t, "start=&end=").await["keys"], json!(KEYS));
}

#[tokio::test]
async fn prefix_and_range_intersect() {
    let t = app();
    fill(&t, &KEYS);
    assert_eq!(
        keys(&t, "prefix=user:&start=user:2").await["keys"],
        json!(["user:2", "user:3"])
    );
    assert_eq!(
        keys(&t, "prefix=user:&start=a&end=user:3").await["keys"],
        json!(["user:1", "user:2"])
    );
    assert_eq!(
        keys(&t, "prefix=user:&reverse=true&end=user:3").await["keys"],
        json!(["user:2", "user:1"])
    );
    assert_eq!(keys(&t, "prefix=user:&start=v").await["keys"], json!([]));
}

#[tokio::test]
async fn reverse_lists_the_same_range_from_its_end() {
    let t = app();
    fill(&t, &KEYS);
    assert_eq!(
        keys(&t, "reverse=true").await,
        json!({"keys": ["z", "user:3", "user:2", "user:1", "c", "ba", "b", "a"], "next": null})
    );
    assert_eq!(
        keys(&t, "start=b&end=user:2&reverse=true").await["keys"],
        json!(["user:1", "c", "ba", "b"])
    );
    assert_eq!(keys(&t, "reverse=false&end=b").await["keys"], json!(["a"]));
}

/// Follows `next` from `query` to the end; returns every key and the page sizes.
async fn all_pages(t: &TestApp, query: &str) -> (Vec<String>, Vec<usize>) {
    let mut seen = Vec::new();
    let mut sizes = Vec::new();
    let mut uri = format!("/blobs?{query}");
    loop {
        let page = get(&t.app, &uri).await.json();
        let keys: Vec<String> = page["keys"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|k| k.as_str().map(str::to_owned))
            .collect();
        sizes.push(keys.len());
        seen.extend(keys);
        match page["next"].as_str() {
            Some(next) => {
                assert_eq!(Some(next), seen.last().map(String::as_str));
                uri = format!("/blobs?{query}&after={next}");
            }
            None => return (seen, sizes),
        }
    }
}

#[tokio::test]
async fn next_leads_on_forward_and_backward() {
    let t = app();
    let all: Vec<String> = (0..23).map(|i| format!("k{i:02}")).collect();
    for key in &all {
        t.store.set(key, b"x").expect("set");
    }
    let (forward, sizes) = all_pages(&t, "start=k03&end=k20&limit=5").await;
    assert_eq!(forward, all[3..20]);
    assert_eq!(sizes, [5, 5, 5, 2]);

    let (backward, sizes) = all_pages(&t, "start=k03&end=k20&limit=5&reverse=true").await;
    let expected: Vec<String> = all[3..20].iter().rev().cloned().collect();
    assert_eq!(backward, expected);
    assert_eq!(sizes, [5, 5, 5, 2]);

    // A page that ends exactly at the range's end has no cursor.
    assert_eq!(
        keys(&t, "start=k03&end=k08&limit=5").await["next"],
        Value::Null
    );
    assert_eq!(
        keys(&t, "end=k05&limit=5&reverse=true").await["next"],
        Value::Null
    );
}

#[tokio::test]
async fn a_forward_range_is_read_past_the_index_chunk() {
    // Forward key listings take the index a chunk at a time; a range that
    // spans several chunks comes out whole and in order.
    let t = app();
    let mut batch = mini_kvstore::WriteBatch::new();
    for i in 0..1500 {
        batch.set(format!("n{i:05}"), b"");
    }
    t.store.apply(batch).expect("apply");
    let page = keys(&t, "start=n00100&end=n01300&limit=10000").await;
    let listed = page["keys"].as_array().map(Vec::len);
    assert_eq!(listed, Some(1200));
    assert_eq!(page["keys"][0], "n00100");
    assert_eq!(page["keys"][1199], "n01299");
}

#[tokio::test]
async fn bad_flags_are_400() {
    let t = app();
    for query in ["reverse=yes", "reverse=", "values=1"] {
        get(&t.app, &format!("/blobs?{query}"))
            .await
            .assert_error(StatusCode::BAD_REQUEST, "must be true or false");
    }
}
