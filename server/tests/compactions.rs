//! `GET /compactions` tells what the merge policy is set to, what it would
//! merge next and why, and what the last merges did; `/stats` and
//! `/health` carry the merge counters and the amplifications.

mod common;

use axum::body::Body;
use axum::http::Method;
use axum::http::StatusCode;
use common::{app, get, put, request, send};
use mini_kvstore::{CompactionPolicy, KvStore, Options, SyncPolicy};
use mini_kvstore_server::{Config, router};

#[tokio::test]
async fn a_fresh_store_has_nothing_to_merge_and_no_history() {
    let t = app();
    let reply = get(&t.app, "/compactions").await;
    assert_eq!(reply.status, StatusCode::OK);
    let body = reply.json();
    assert_eq!(body["policy"]["fragmentation_trigger"], 0.6);
    assert_eq!(body["policy"]["fragmentation_threshold"], 0.4);
    assert_eq!(body["policy"]["background"], true);
    assert_eq!(body["next"]["merge"], serde_json::Value::Null);
    assert_eq!(body["next"]["segments"], serde_json::json!([]));
    assert_eq!(body["recent"], serde_json::json!([]));
}

#[tokio::test]
async fn the_next_merge_is_named_with_its_reasons_and_a_merge_joins_the_history() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let options = Options::default()
        .max_segment_size(1024)
        .sync_policy(SyncPolicy::Never)
        .compaction_policy(CompactionPolicy::default().background(false));
    let store = KvStore::open_with_options(dir.path(), options).expect("open");
    let app = router(
        store.clone(),
        Config::new("vol").playground_dir(dir.path().join("none")),
    );
    for round in 0..10 {
        for key in 0..5 {
            let value = format!("{round}:{key:0>80}");
            put(&app, &format!("/blobs/k{key}"), value).await;
        }
    }
    let body = get(&app, "/compactions").await.json();
    let merge = &body["next"]["merge"];
    let inputs = merge["inputs"].as_array().expect("a merge is due").clone();
    assert!(!inputs.is_empty(), "{body}");
    let selected: Vec<_> = body["next"]["segments"]
        .as_array()
        .expect("assessments")
        .iter()
        .filter(|s| s["selected"] == true)
        .map(|s| s["id"].clone())
        .collect();
    assert_eq!(selected.len(), inputs.len(), "{body}");
    for segment in body["next"]["segments"].as_array().expect("assessments") {
        if segment["selected"] == true {
            assert!(segment["reason"].is_string(), "{segment}");
        }
    }
    assert_eq!(merge["kept_tombstones"], 0);

    let report = store
        .compact_by_policy()
        .expect("the merge runs")
        .expect("a merge was due");
    let body = get(&app, "/compactions").await.json();
    let recent = body["recent"].as_array().expect("history");
    assert_eq!(recent.len(), 1, "{body}");
    assert_eq!(recent[0]["trigger"], "policy");
    assert_eq!(
        recent[0]["inputs"].as_array().map(Vec::len),
        Some(report.inputs.len())
    );
    assert_eq!(recent[0]["bytes_written"], report.bytes_written);

    let stats = get(&app, "/stats").await.json();
    assert_eq!(stats["compactions"], 1);
    assert_eq!(stats["compaction_bytes_written"], report.bytes_written);
    let write_amp = stats["write_amplification"].as_f64().expect("a number");
    assert!(write_amp > 1.0, "{stats}");
    let health = get(&app, "/health").await.json();
    assert_eq!(health["compactions"], 1);
    assert_eq!(health["compaction_failures"], 0);
}

#[tokio::test]
async fn a_full_compaction_is_recorded_as_full() {
    let t = app();
    put(&t.app, "/blobs/a", "1").await;
    put(&t.app, "/blobs/a", "2").await;
    let compact = send(
        &t.app,
        request(Method::POST, "/compact", &[], Body::empty()),
    )
    .await;
    assert_eq!(compact.status, StatusCode::OK);
    let body = get(&t.app, "/compactions").await.json();
    assert_eq!(body["recent"][0]["trigger"], "full");
    assert_eq!(body["recent"][0]["records_copied"], 1);
}
