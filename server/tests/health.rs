//! `GET /health` answers 200 with the original API's fields and the store's
//! headline numbers, which follow the writes.

mod common;

use axum::http::StatusCode;
use common::{VOLUME, app, get, put};

#[tokio::test]
async fn health_reports_status_volume_and_numbers() {
    let t = app();
    let reply = get(&t.app, "/health").await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.header("content-type"), "application/json");
    let health = reply.json();
    assert_eq!(health["status"], "healthy");
    assert_eq!(health["volume_id"], VOLUME);
    assert_eq!(health["keys"], 0);
    for field in ["segments", "total_bytes", "live_bytes", "dead_bytes"] {
        assert!(health[field].is_u64(), "{field} in {health}");
    }

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
