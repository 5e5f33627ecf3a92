//! This store's own commands through redis-rs: KVSTORE.SEGMENTS answers
//! what `GET /segments` answers — the same segments, records, states and
//! plan — as a RESP3 map, or a RESP2 flat array.

mod resp_common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use mini_kvstore::CompactionPolicy;
use mini_kvstore_server::resp::RespConfig;
use mini_kvstore_server::{Config, router};
use redis::{AsyncCommands, Value, cmd};
use serde_json::json;
use tower::ServiceExt;

/// A RESP3 reply as JSON: maps to objects, bulk strings to strings.
fn as_json(value: &Value) -> serde_json::Value {
    match value {
        Value::Nil => serde_json::Value::Null,
        Value::Int(n) => json!(n),
        Value::BulkString(bytes) => json!(String::from_utf8_lossy(bytes)),
        Value::SimpleString(text) => json!(text),
        Value::Array(items) => items.iter().map(as_json).collect(),
        Value::Map(entries) => serde_json::Value::Object(
            entries
                .iter()
                .map(|(k, v)| {
                    let serde_json::Value::String(key) = as_json(k) else {
                        panic!("a map key that is not a string: {k:?}");
                    };
                    (key, as_json(v))
                })
                .collect(),
        ),
        other => panic!("KVSTORE.SEGMENTS sent {other:?}"),
    }
}

/// JSON with booleans as RESP has them, integers 1 and 0.
fn booleans_as_integers(value: serde_json::Value) -> serde_json::Value {
    match value {
        serde_json::Value::Bool(b) => json!(i64::from(b)),
        serde_json::Value::Array(items) => items.into_iter().map(booleans_as_integers).collect(),
        serde_json::Value::Object(entries) => serde_json::Value::Object(
            entries
                .into_iter()
                .map(|(k, v)| (k, booleans_as_integers(v)))
                .collect(),
        ),
        other => other,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kvstore_segments_answers_what_http_segments_answers() -> anyhow::Result<()> {
    // Small segments, so there are several, sealed ones among them; no
    // merge in the background, so both reads see the same layout.
    let server = resp_common::start_with(RespConfig::new(), |options| {
        options
            .max_segment_size(256)
            .compaction_policy(CompactionPolicy::default().background(false))
    })
    .await;
    let mut c = server
        .client_at(&format!("{}?protocol=resp3", server.url()))
        .await;
    for i in 0..20 {
        let _: () = c.set(format!("k{}", i % 7), format!("value {i}")).await?;
    }
    let _: () = c.set("bin", b"\xff\x00".as_slice()).await?;
    let _: i64 = c.del("k1").await?;

    let reply: Value = cmd("KVSTORE.SEGMENTS").query_async(&mut c).await?;
    let over_resp = as_json(&reply);

    let app = router(server.store.clone(), Config::new("vol"));
    let response = app
        .oneshot(Request::get("/segments").body(Body::empty())?)
        .await?;
    assert_eq!(response.status(), StatusCode::OK);
    let body = axum::body::to_bytes(response.into_body(), usize::MAX).await?;
    let over_http = booleans_as_integers(serde_json::from_slice(&body)?);

    assert!(
        over_http["segments"].as_array().map_or(0, Vec::len) > 1,
        "{over_http}"
    );
    assert_eq!(over_resp, over_http);
    server.stop().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kvstore_segments_in_resp2_is_a_flat_array() -> anyhow::Result<()> {
    let server = resp_common::start(RespConfig::new()).await;
    let mut c = server.client().await;
    let _: () = c.set("k", "v").await?;
    let reply: Value = cmd("KVSTORE.SEGMENTS").query_async(&mut c).await?;
    let Value::Array(items) = reply else {
        panic!("RESP2 has no maps: {reply:?}");
    };
    assert_eq!(items.len(), 4, "segments, then plan: {items:?}");
    assert_eq!(items[0], Value::BulkString(b"segments".to_vec()));
    assert_eq!(items[2], Value::BulkString(b"plan".to_vec()));
    let Value::Array(segments) = &items[1] else {
        panic!("segments is an array: {items:?}");
    };
    let Some(Value::Array(segment)) = segments.first() else {
        panic!("one segment at least: {segments:?}");
    };
    assert_eq!(segment[0], Value::BulkString(b"id".to_vec()));
    let kind = segment
        .chunks(2)
        .find(|pair| pair[0] == Value::BulkString(b"kind".to_vec()))
        .map(|pair| pair[1].clone());
    assert_eq!(
        kind,
        Some(Value::BulkString(b"log".to_vec())),
        "{segment:?}"
    );
    server.stop().await;
    Ok(())
}
