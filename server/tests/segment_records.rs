//! `GET /segments/{id}/records?after=OFFSET&limit=N`: one segment's records
//! a page at a time, each exactly as `/segments` shows it; following `next`
//! visits every record once; an unknown segment is a JSON 404 and a bad id
//! or parameter a JSON 400.

mod common;

use axum::body::Body;
use axum::http::{Method, StatusCode};
use common::{app, app_with_options, get, put, request, send};
use mini_kvstore::{CompactionPolicy, Options};
use serde_json::{Value, json};

/// Every page of segment `id`, `limit` records at a time (the default
/// without one), following `next` from the start.
async fn all_pages(t: &common::TestApp, id: &Value, limit: Option<usize>) -> Vec<Value> {
    let mut pages = Vec::new();
    let mut after: Option<u64> = None;
    loop {
        let mut uri = format!("/segments/{id}/records?");
        if let Some(limit) = limit {
            uri.push_str(&format!("limit={limit}&"));
        }
        if let Some(after) = after {
            uri.push_str(&format!("after={after}"));
        }
        let reply = get(&t.app, &uri).await;
        assert_eq!(reply.status, StatusCode::OK, "{uri}");
        let page = reply.json();
        assert_eq!(&page["segment"], id);
        let next = page["next"].as_u64();
        pages.push(page);
        match next {
            Some(next) => {
                assert!(after < Some(next), "next moves on");
                after = Some(next);
            }
            None => return pages,
        }
    }
}

fn records(page: &Value) -> Vec<Value> {
    page["records"].as_array().cloned().unwrap_or_default()
}

#[tokio::test]
async fn paging_covers_every_record_of_every_segment_once() {
    let t = app_with_options(
        Options::default()
            .max_segment_size(1024)
            .compaction_policy(CompactionPolicy::default().background(false)),
    );
    for i in 0..150 {
        put(&t.app, &format!("/blobs/k{}", i % 40), format!("value {i}")).await;
    }
    common::delete(&t.app, "/blobs/k3").await;

    let layout = get(&t.app, "/segments").await.json();
    let segments = layout["segments"].as_array().cloned().unwrap_or_default();
    assert!(segments.len() >= 3, "several segments: {}", segments.len());
    let mut seen = 0;
    for segment in &segments {
        let pages = all_pages(&t, &segment["id"], Some(7)).await;
        for page in &pages {
            let n = records(page).len();
            assert!(n <= 7, "{page}");
            // Only the last page may be short, and it says so.
            if !page["next"].is_null() {
                assert_eq!(n, 7, "{page}");
                assert_eq!(page["next"], records(page)[6]["offset"]);
            }
            assert_eq!(page["len"], segment["len"]);
        }
        let paged: Vec<Value> = pages.iter().flat_map(records).collect();
        // The same records, in the same order, in the same JSON.
        assert_eq!(
            Value::from(paged.clone()),
            segment["records"],
            "segment {}",
            segment["id"]
        );
        seen += paged.len();
    }
    // 150 puts, a tombstone, and the seal of each segment but the active one.
    assert_eq!(seen, 150 + 1 + segments.len() - 1);
}

#[tokio::test]
async fn pages_hold_256_records_unless_told_and_4096_at_most() {
    let t = app();
    for i in 0..300 {
        put(&t.app, &format!("/blobs/k{i:03}"), "v").await;
    }
    let first = get(&t.app, "/segments/1/records").await.json();
    let page = records(&first);
    assert_eq!(page.len(), 256);
    assert_eq!(page[0]["offset"], 16, "right after the header");
    assert_eq!(page[0]["key"], "k000");
    assert_eq!(page[0]["state"], "live");
    assert_eq!(first["next"], page[255]["offset"]);

    let rest = get(
        &t.app,
        &format!("/segments/1/records?after={}", first["next"]),
    )
    .await
    .json();
    assert_eq!(records(&rest).len(), 44);
    assert_eq!(records(&rest)[0]["key"], "k256");
    assert_eq!(rest["next"], Value::Null);

    let whole = get(&t.app, "/segments/1/records?limit=4096").await.json();
    assert_eq!(records(&whole).len(), 300);
    assert_eq!(whole["next"], Value::Null);

    // Past the last record: an empty last page.
    let len = whole["len"].as_u64().unwrap_or(0);
    let past = get(&t.app, &format!("/segments/1/records?after={len}"))
        .await
        .json();
    assert_eq!(
        past,
        json!({"segment": 1, "len": len, "records": [], "next": null})
    );
}

#[tokio::test]
async fn states_are_the_index_s_at_the_time_of_the_page() {
    let t = app();
    put(&t.app, "/blobs/a", "1").await;
    put(&t.app, "/blobs/a", "2").await;
    common::delete(&t.app, "/blobs/a").await;
    let page = get(&t.app, "/segments/1/records").await.json();
    let states: Vec<&Value> = page["records"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|record| &record["state"])
        .collect();
    assert_eq!(
        states,
        [
            &json!("overwritten"),
            &json!("overwritten"),
            &json!("tombstone")
        ]
    );
}

#[tokio::test]
async fn unknown_and_removed_segments_are_404() {
    let t = app();
    put(&t.app, "/blobs/a", "1").await;
    get(&t.app, "/segments/999/records")
        .await
        .assert_error(StatusCode::NOT_FOUND, "no segment 999");
    // A merge removes the segments it rewrote.
    let compacted = send(
        &t.app,
        request(Method::POST, "/compact", &[], Body::empty()),
    )
    .await;
    assert_eq!(compacted.status, StatusCode::OK);
    get(&t.app, "/segments/1/records")
        .await
        .assert_error(StatusCode::NOT_FOUND, "no segment 1");
    assert_eq!(
        get(&t.app, "/segments/3/records").await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn bad_ids_and_parameters_are_400() {
    let t = app();
    put(&t.app, "/blobs/a", "1").await;
    for (uri, needle) in [
        ("/segments/abc/records", "a segment id is a whole number"),
        ("/segments/-1/records", "a segment id is a whole number"),
        (
            "/segments/4294967296/records",
            "a segment id is a whole number",
        ),
        ("/segments/%FF/records", "UTF-8"),
        (
            "/segments/1/records?limit=0",
            "limit must be a whole number from 1 to 4096",
        ),
        (
            "/segments/1/records?limit=4097",
            "limit must be a whole number from 1 to 4096",
        ),
        (
            "/segments/1/records?limit=ten",
            "limit must be a whole number from 1 to 4096",
        ),
        ("/segments/1/records?after=x", "after must be a byte offset"),
        (
            "/segments/1/records?after=-16",
            "after must be a byte offset",
        ),
    ] {
        get(&t.app, uri)
            .await
            .assert_error(StatusCode::BAD_REQUEST, needle);
    }
    send(
        &t.app,
        request(Method::POST, "/segments/1/records", &[], Body::empty()),
    )
    .await
    .assert_error(StatusCode::METHOD_NOT_ALLOWED, "POST is not allowed");
}
