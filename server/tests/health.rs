//! `GET /health` answers 200 with the original API's fields and the store's
//! headline numbers, which follow the writes.

mod common;

use axum::http::StatusCode;
use common::{VOLUME, app, get, put};
use serde_json::json;

#[tokio::test]
async fn health_reports_status_volume_and_numbers() {
    let t = app();
    let reply = get(&t.app, "/health").await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.header("content-type"), "application/json");
    // A fresh store is one segment holding only its 16-byte header.
    assert_eq!(
        reply.json(),
        json!({
            "status": "healthy",
            "volume_id": VOLUME,
            "keys": 0,
            "segments": 1,
            "total_bytes": 16,
            "live_bytes": 16,
            "dead_bytes": 0,
            "space_amplification": 1.0,
            "compactions": 0,
            "compaction_failures": 0,
        })
    );

    put(&t.app, "/blobs/a", "1").await;
    put(&t.app, "/blobs/a", "2").await;
    put(&t.app, "/blobs/b", "3").await;
    let health = get(&t.app, "/health").await.json();
    assert_eq!(health["keys"], 2);
    let (total, live, dead) = (
        health["total_bytes"].as_u64(),
        health["live_bytes"].as_u64(),
        health["dead_bytes"].as_u64(),
    );
    assert!(dead > Some(0), "the overwrite left dead bytes: {health}");
    assert_eq!(total, live.zip(dead).map(|(l, d)| l + d));
}
