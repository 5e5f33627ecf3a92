//! `GET /segments?summary=true`: each segment in numbers — bytes and
//! records live, overwritten, tombstone, expired, bookkeeping — with the
//! store's totals and how the compaction policy sees each segment, and no
//! record listed. The numbers are checked against known writes, against
//! `/stats`, against the full `/segments` listing and against
//! `/compactions`.

mod common;

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::body::Body;
use axum::http::{Method, StatusCode};
use common::{app, app_with_clock, app_with_options, delete, get, put, request, send};
use mini_kvstore::{CompactionPolicy, ManualClock, Options};
use serde_json::{Value, json};

/// A record's bytes: a 21-byte header, the key, the value, and 8 bytes of
/// expiry for a put that expires.
fn record(key: &str, value: &str) -> u64 {
    (21 + key.len() + value.len()) as u64
}

#[tokio::test]
async fn known_writes_give_known_numbers() {
    let clock = Arc::new(ManualClock::new(1_000_000));
    let t = app_with_clock(clock.clone());
    put(&t.app, "/blobs/user", "Alice").await;
    put(&t.app, "/blobs/user", "Alicia").await;
    put(&t.app, "/blobs/gone", "x").await;
    delete(&t.app, "/blobs/gone").await;
    let created = put(&t.app, "/blobs/session?ttl=30", "token").await;
    assert_eq!(created.status, StatusCode::CREATED);
    clock.advance(31_000);

    let reply = get(&t.app, "/segments?summary=true").await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.header("content-type"), "application/json");
    let summary = reply.json();

    let live = record("user", "Alicia"); // 31
    let overwritten = record("user", "Alice") + record("gone", "x"); // 30 + 26
    let tombstone = record("gone", ""); // 25
    let expired = record("session", "token") + 8; // 41
    let header = 16;
    let len = header + live + overwritten + tombstone + expired;
    assert_eq!(len, 169);
    let counts = json!({
        "len": len,
        "live_bytes": live,
        "live_records": 1,
        "overwritten_bytes": overwritten,
        "tombstone_bytes": tombstone,
        "tombstones": 1,
        "expired_bytes": expired,
        "expired_records": 1,
        "meta_bytes": header,
        "corrupt_bytes": 0,
        "dead_bytes": overwritten + tombstone + expired,
    });
    let mut segment = json!({
        "id": 1,
        "kind": "log",
        "active": true,
        "sealed": false,
        // The active segment is never merged, so the policy has no view.
        "policy": null,
    });
    merge(&mut segment, &counts);
    let mut totals = json!({"segments": 1});
    merge(&mut totals, &counts);
    assert_eq!(
        summary,
        json!({"segments": [segment], "totals": totals, "next_merge": []})
    );

    // The same bytes as the store's own stats count them.
    let stats = get(&t.app, "/stats").await.json();
    assert_eq!(stats["total_bytes"], len);
    assert_eq!(stats["dead_bytes"], overwritten + tombstone + expired);
    assert_eq!(stats["keys"], 1);
}

/// `target` with `extra`'s fields added.
fn merge(target: &mut Value, extra: &Value) {
    if let (Some(target), Some(extra)) = (target.as_object_mut(), extra.as_object()) {
        target.extend(extra.clone());
    }
}

#[tokio::test]
async fn a_compacted_segment_is_sealed_live_and_assessed() {
    let t = app();
    for i in 0..5 {
        put(&t.app, "/blobs/hot", format!("value {i}")).await;
    }
    delete(&t.app, "/blobs/hot").await;
    put(&t.app, "/blobs/kept", "yes").await;
    let compacted = send(
        &t.app,
        request(Method::POST, "/compact", &[], Body::empty()),
    )
    .await;
    assert_eq!(compacted.status, StatusCode::OK);

    let summary = get(&t.app, "/segments?summary=true").await.json();
    let segments = summary["segments"].as_array().cloned().unwrap_or_default();
    assert_eq!(segments.len(), 2, "{summary}");
    let (active, output) = (&segments[0], &segments[1]);
    // Segment 2 took writes during the merge; segment 3 is its output.
    assert_eq!(
        (
            &active["id"],
            &active["kind"],
            &active["active"],
            &active["len"]
        ),
        (&json!(2), &json!("log"), &json!(true), &json!(16))
    );
    assert_eq!(active["policy"], Value::Null);
    assert_eq!(output["id"], 3);
    assert_eq!(output["kind"], "compacted");
    assert_eq!(
        (&output["active"], &output["sealed"]),
        (&json!(false), &json!(true))
    );
    // Only `kept` survives; the tombstone and the puts it hid are gone.
    assert_eq!(output["live_records"], 1);
    assert_eq!(output["live_bytes"], record("kept", "yes"));
    for dead in [
        "overwritten_bytes",
        "tombstone_bytes",
        "expired_bytes",
        "dead_bytes",
    ] {
        assert_eq!(output[dead], 0, "{dead} in {output}");
    }
    // Header, compaction commit (16-byte payload) and seal (8 bytes).
    assert_eq!(output["meta_bytes"], 16 + (21 + 16) + (21 + 8));
    assert_eq!(
        output["policy"],
        json!({
            "id": 3,
            "len": output["len"],
            "dead_bytes": 0,
            "dead_fraction": 0.0,
            // Far below a sixteenth of a segment: it would join a merge,
            // but alone it starts none.
            "reason": "small_segment",
            "selected": false,
        })
    );
    assert_eq!(summary["next_merge"], json!([]));
    assert_eq!(summary["totals"]["segments"], 2);
    assert_eq!(summary["totals"]["live_records"], 1);
}

/// A store of 1 KiB segments with background merging off, so that the
/// policy's choice stays put for the test to look at.
fn small_segments() -> common::TestApp {
    app_with_options(
        Options::default()
            .max_segment_size(1024)
            .compaction_policy(CompactionPolicy::default().background(false)),
    )
}

/// Writes that leave several segments, some mostly dead, with tombstones.
async fn churn(t: &common::TestApp) {
    for round in 0..6 {
        for key in 0..8 {
            put(
                &t.app,
                &format!("/blobs/key-{key}"),
                format!("round {round}"),
            )
            .await;
        }
        delete(&t.app, &format!("/blobs/key-{round}")).await;
    }
    for key in 0..20 {
        put(&t.app, &format!("/blobs/cold-{key:02}"), "still here").await;
    }
}

#[tokio::test]
async fn the_summary_adds_up_the_full_layout() {
    let t = small_segments();
    churn(&t).await;
    let summary = get(&t.app, "/segments?summary=true").await.json();
    let layout = get(&t.app, "/segments").await.json();

    let full = layout["segments"].as_array().cloned().unwrap_or_default();
    let summed = summary["segments"].as_array().cloned().unwrap_or_default();
    assert!(full.len() >= 3, "several segments: {}", full.len());
    assert_eq!(summed.len(), full.len());
    for (segment, numbers) in full.iter().zip(&summed) {
        // Bytes and records of each state, from the listing of every record.
        let mut bytes: BTreeMap<&str, u64> = BTreeMap::new();
        let mut records: BTreeMap<&str, u64> = BTreeMap::new();
        for record in segment["records"].as_array().into_iter().flatten() {
            let state = record["state"].as_str().unwrap_or_default();
            *bytes.entry(state).or_default() += record["len"].as_u64().unwrap_or(0);
            *records.entry(state).or_default() += 1;
        }
        let of = |map: &BTreeMap<&str, u64>, state: &str| map.get(state).copied().unwrap_or(0);
        let id = &segment["id"];
        assert_eq!(&numbers["id"], id);
        for field in ["kind", "len", "active", "sealed", "live_bytes"] {
            assert_eq!(numbers[field], segment[field], "{field} of segment {id}");
        }
        assert_eq!(
            numbers["live_records"],
            of(&records, "live"),
            "segment {id}"
        );
        assert_eq!(
            numbers["overwritten_bytes"],
            of(&bytes, "overwritten"),
            "segment {id}"
        );
        assert_eq!(
            numbers["tombstone_bytes"],
            of(&bytes, "tombstone"),
            "segment {id}"
        );
        assert_eq!(
            numbers["tombstones"],
            of(&records, "tombstone"),
            "segment {id}"
        );
        assert_eq!(
            numbers["meta_bytes"],
            16 + of(&bytes, "meta"),
            "segment {id}"
        );
    }

    let stats = get(&t.app, "/stats").await.json();
    let totals = &summary["totals"];
    assert_eq!(totals["len"], stats["total_bytes"]);
    assert_eq!(totals["dead_bytes"], stats["dead_bytes"]);
    assert_eq!(totals["live_records"], stats["keys"]);
    assert_eq!(totals["segments"], stats["segments"]);
    // The last round's keys but key-5, which it deleted, and the cold ones.
    assert_eq!(totals["live_records"], 7 + 20);
}

#[tokio::test]
async fn each_segment_carries_the_policy_view_of_compactions() {
    let t = small_segments();
    churn(&t).await;
    let summary = get(&t.app, "/segments?summary=true").await.json();
    let compactions = get(&t.app, "/compactions").await.json();

    // The policy's view of every sealed segment, as /compactions has it.
    let assessed: Vec<Value> = summary["segments"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|segment| !segment["policy"].is_null())
        .map(|segment| segment["policy"].clone())
        .collect();
    assert_eq!(Value::from(assessed), compactions["next"]["segments"]);

    let mut inputs: Vec<u64> = compactions["next"]["merge"]["inputs"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_u64)
        .collect();
    inputs.sort_unstable();
    assert!(
        !inputs.is_empty(),
        "the churn leaves a merge due: {compactions}"
    );
    assert_eq!(summary["next_merge"], json!(inputs));
    let selected: Vec<&Value> = summary["segments"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|segment| segment["policy"]["selected"] == true)
        .map(|segment| &segment["id"])
        .collect();
    assert_eq!(
        Value::from(selected.into_iter().cloned().collect::<Vec<_>>()),
        summary["next_merge"]
    );
    // Nothing else is listed: no records, no plan.
    assert!(summary.get("plan").is_none() && summary["segments"][0].get("records").is_none());
}

#[tokio::test]
async fn summary_takes_true_or_false() {
    let t = app();
    put(&t.app, "/blobs/a", "1").await;
    let full = get(&t.app, "/segments?summary=false").await.json();
    assert!(full["segments"][0]["records"].is_array(), "{full}");
    assert!(full["plan"].is_object(), "{full}");
    for bad in ["yes", "1", "", "TRUE"] {
        get(&t.app, &format!("/segments?summary={bad}"))
            .await
            .assert_error(StatusCode::BAD_REQUEST, "summary must be true or false");
    }
}
