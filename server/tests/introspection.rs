//! `/stats`, `/segments` and `POST /compact`: the engine's own numbers and
//! layout as JSON, with keys as text (hex for a key that is not UTF-8) and
//! the payloads of seal and commit records decoded.

mod common;

use axum::body::Body;
use axum::http::{Method, StatusCode};
use common::{VOLUME, app, delete, get, put, request, send};
use serde_json::{Value, json};

#[tokio::test]
async fn stats_carry_every_engine_number() {
    let t = app();
    put(&t.app, "/blobs/a", "1").await;
    put(&t.app, "/blobs/a", "2").await;
    let reply = get(&t.app, "/stats").await;
    assert_eq!(reply.status, StatusCode::OK);
    let stats = reply.json();
    assert_eq!(stats["volume_id"], VOLUME);
    assert_eq!(stats["keys"], 1);
    for field in [
        "segments",
        "total_bytes",
        "live_bytes",
        "dead_bytes",
        "corrupt_ranges",
        "corrupt_bytes",
        "next_seq",
        "active_segment",
    ] {
        assert!(stats[field].is_u64(), "{field} in {stats}");
    }
    assert_eq!(stats["next_seq"], 3);
    let (total, dead) = (stats["total_bytes"].as_u64(), stats["dead_bytes"].as_u64());
    assert!(dead > Some(0), "the overwrite left dead bytes: {stats}");
    assert_eq!(
        stats["dead_ratio"].as_f64(),
        total.zip(dead).map(|(t, d)| d as f64 / t as f64),
        "{stats}"
    );
}

/// Every record of every segment in `/segments`, as `(key, state, kind)`.
fn records(layout: &Value) -> Vec<(Value, String, String)> {
    layout["segments"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|segment| segment["records"].as_array().into_iter().flatten())
        .map(|record| {
            (
                record["key"].clone(),
                record["state"].as_str().unwrap_or_default().to_owned(),
                record["kind"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn segments_show_records_with_states_and_text_keys() {
    let t = app();
    put(&t.app, "/blobs/user", "Alice").await;
    put(&t.app, "/blobs/user", "Alicia").await;
    put(&t.app, "/blobs/gone", "x").await;
    delete(&t.app, "/blobs/gone").await;
    // Only the library can store a key that is not UTF-8.
    t.store.set([0x68, 0xff], b"\xfe").expect("set");

    let reply = get(&t.app, "/segments").await;
    assert_eq!(reply.status, StatusCode::OK);
    let layout = reply.json();
    let segment = &layout["segments"][0];
    for field in ["id", "len", "live_bytes"] {
        assert!(segment[field].is_u64(), "{field} in {segment}");
    }
    assert_eq!(segment["kind"], "log");
    assert_eq!(segment["active"], true);
    assert_eq!(
        records(&layout),
        vec![
            (json!("user"), "overwritten".into(), "put".into()),
            (json!("user"), "live".into(), "put".into()),
            (json!("gone"), "overwritten".into(), "put".into()),
            (json!("gone"), "tombstone".into(), "tombstone".into()),
            (json!({"hex": "68ff"}), "live".into(), "put".into()),
        ]
    );
    let live = &layout["segments"][0]["records"][1];
    assert_eq!(live["value_preview"], "Alicia");
    assert_eq!(live["value_len"], 6);
    assert!(live["offset"].is_u64() && live["crc"].is_u64());
    assert_eq!(live["seq"], 2);
    assert_eq!(live["meta"], Value::Null);
    let binary = &layout["segments"][0]["records"][4];
    assert_eq!(binary["value_preview"], json!({"hex": "fe"}));

    let plan = &layout["plan"];
    assert_eq!(plan["survivors"].as_array().map(Vec::len), Some(2));
    assert_eq!(plan["survivors"][0]["key"], "user");
    for field in [
        "bytes_before",
        "bytes_after",
        "bytes_reclaimed",
        "output_segments",
    ] {
        assert!(plan[field].is_u64(), "{field} in {plan}");
    }

    // The listing shows the same non-UTF-8 key the same way.
    assert_eq!(
        get(&t.app, "/blobs").await.json()["keys"],
        json!([{"hex": "68ff"}, "user"])
    );
}

#[tokio::test]
async fn compact_runs_and_reports() {
    let t = app();
    for i in 0..20 {
        put(&t.app, "/blobs/hot", format!("value {i}")).await;
    }
    let reply = send(
        &t.app,
        request(Method::POST, "/compact", &[], Body::empty()),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK);
    let report = reply.json();
    let before = report["bytes_before"].as_u64().unwrap_or(0);
    let after = report["bytes_after"].as_u64().unwrap_or(u64::MAX);
    assert!(after < before, "{report}");
    assert_eq!(report["bytes_reclaimed"], before - after);
    assert_eq!(report["records_copied"], 1);
    // Segment 2 is the fresh active one that takes writes meanwhile; the
    // rewrite of segment 1 is segment 3.
    assert_eq!(report["inputs"], json!([1]));
    assert_eq!(report["outputs"], json!([3]));
    assert_eq!(get(&t.app, "/blobs/hot").await.body.as_ref(), b"value 19");

    let layout = get(&t.app, "/segments").await.json();
    let states: Vec<String> = records(&layout)
        .into_iter()
        .map(|(_, state, _)| state)
        .collect();
    assert!(!states.iter().any(|s| s == "overwritten"), "{states:?}");

    send(&t.app, request(Method::GET, "/compact", &[], Body::empty()))
        .await
        .assert_error(
            StatusCode::METHOD_NOT_ALLOWED,
            "GET is not allowed on /compact",
        );
}

#[tokio::test]
async fn seal_and_commit_records_come_decoded() {
    let t = app();
    put(&t.app, "/blobs/a", "1").await;
    put(&t.app, "/blobs/a", "2").await;
    let compacted = send(
        &t.app,
        request(Method::POST, "/compact", &[], Body::empty()),
    )
    .await;
    assert_eq!(compacted.status, StatusCode::OK);

    let layout = get(&t.app, "/segments").await.json();
    let output = layout["segments"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|segment| segment["kind"] == "compacted")
        .unwrap_or_else(|| panic!("no compacted segment in {layout}"));
    assert_eq!(output["sealed"], true);
    let records = output["records"].as_array().cloned().unwrap_or_default();
    let kinds: Vec<&str> = records
        .iter()
        .map(|r| r["kind"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(kinds, ["put", "compaction_commit", "seal"], "{output}");
    let (copy, commit, seal) = (&records[0], &records[1], &records[2]);
    assert_eq!(copy["meta"], Value::Null);
    assert_eq!(copy["value_preview"], "2");

    // Two writes, so the next seq is 3; the compaction replaced segment 1.
    assert_eq!(commit["state"], "meta");
    assert_eq!(
        commit["meta"],
        json!({"commit": {"next_seq": 3, "inputs": [1]}})
    );
    // The payload's bytes, never read as text: next seq, count, the id.
    assert_eq!(
        commit["value_preview"],
        json!({"hex": "03000000000000000100000001000000"})
    );
    assert_eq!(seal["state"], "meta");
    assert_eq!(seal["meta"], json!({"seal": {"next_seq": 3}}));
    assert_eq!(seal["value_preview"], json!({"hex": "0300000000000000"}));
}
