//! `GET /health` answers 503 with `"status": "unavailable"` and a reason
//! once the store cannot take traffic — poisoned by a failed fsync, or
//! merges failing again and again — so a load balancer can drain it; 200
//! with `"status": "healthy"` and no reason otherwise. One failed merge is
//! not enough.

mod common;

use axum::http::StatusCode;
use common::{get, put};
use mini_kvstore::storage::{Fault, FaultyStorage, OpKind};
use mini_kvstore::{CompactionPolicy, KvStore, MemStorage, Options, SegmentId};
use mini_kvstore_server::{Config, router};

#[tokio::test]
async fn a_healthy_store_is_200_without_a_reason() -> anyhow::Result<()> {
    let store = KvStore::open_with(MemStorage::new(), Options::default())?;
    let app = router(store, Config::new("v"));
    let reply = get(&app, "/health").await;
    assert_eq!(reply.status, StatusCode::OK);
    let body = reply.json();
    assert_eq!(body["status"], "healthy");
    assert!(body.get("reason").is_none(), "{body}");
    Ok(())
}

#[tokio::test]
async fn a_poisoned_store_is_503_with_the_reason() -> anyhow::Result<()> {
    let storage = FaultyStorage::new(MemStorage::new())?;
    let store = KvStore::open_with(storage.clone(), Options::default())?;
    let app = router(store.clone(), Config::new("v"));
    assert_eq!(put(&app, "/blobs/k", "v").await.status, StatusCode::CREATED);

    // As in storage_failures.rs: whichever number the next sync has, it fails.
    for nth in 0..64 {
        storage.inject(Fault::FailOnce {
            nth,
            kind: Some(OpKind::Sync),
        });
    }
    let failed = put(&app, "/blobs/k2", "v").await;
    assert_eq!(failed.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(store.is_poisoned());

    let reply = get(&app, "/health").await;
    assert_eq!(reply.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(reply.header("content-type"), "application/json");
    let body = reply.json();
    assert_eq!(body["status"], "unavailable");
    let reason = body["reason"].as_str().unwrap_or_default();
    assert!(reason.contains("refuses writes"), "{body}");
    // The numbers are still there for a dashboard.
    assert_eq!(body["volume_id"], "v");
    assert!(body["keys"].is_u64(), "{body}");
    Ok(())
}

#[tokio::test]
async fn merges_failing_three_times_in_a_row_are_503() -> anyhow::Result<()> {
    let storage = FaultyStorage::new(MemStorage::new())?;
    let options = Options::default()
        .max_segment_size(2048)
        .background_hints(false)
        .compaction_policy(CompactionPolicy::default().background(false));
    let store = KvStore::open_with(storage.clone(), options)?;
    let app = router(store.clone(), Config::new("v"));
    for round in 0..10 {
        for i in 0..20 {
            store.set(format!("key{i:02}"), format!("{round}:{i:0>60}"))?;
        }
    }
    // A disk with no room for a merge's outputs (as in the engine's
    // merge_disk_full.rs); the merge the policy wants stays due.
    assert!(!store.policy_plan().selected().is_empty());
    let next = SegmentId(store.stats().active_segment.0 + 1);
    storage.inject(Fault::FullFrom { from: next });

    for failed in 1..=2 {
        assert!(store.compact_by_policy().is_err());
        let reply = get(&app, "/health").await;
        assert_eq!(reply.status, StatusCode::OK, "after {failed} failed merges");
        assert_eq!(reply.json()["compaction_failures"], failed);
    }
    assert!(store.compact_by_policy().is_err());
    let reply = get(&app, "/health").await;
    assert_eq!(reply.status, StatusCode::SERVICE_UNAVAILABLE);
    let body = reply.json();
    assert_eq!(body["status"], "unavailable");
    let reason = body["reason"].as_str().unwrap_or_default();
    assert!(reason.contains("last 3 merges failed"), "{body}");
    // Not poisoned: a failed merge changes nothing, reads and writes go on.
    assert!(!store.is_poisoned());

    // Room again: the next merge succeeds and the streak is over.
    storage.clear_faults();
    assert!(store.compact_by_policy()?.is_some());
    let reply = get(&app, "/health").await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.json());
    assert_eq!(reply.json()["status"], "healthy");
    Ok(())
}
