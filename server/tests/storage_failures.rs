//! When storage fails the client gets a 5xx with a fixed message — never the
//! engine's text with its segments, offsets or OS errors — and a store that
//! refuses writes after a failed fsync answers 503 while reads go on.

mod common;

use axum::http::StatusCode;
use common::{get, put};
use mini_kvstore::storage::{Fault, FaultyStorage, OpKind};
use mini_kvstore::{KvStore, MemStorage, Options, RecordState};
use mini_kvstore_server::{Config, router};

/// Words of the engine's messages that must not reach a client.
const INTERNALS: &[&str] = &[
    "segment", "offset", "crc", "checksum", "injected", "os error",
];

fn assert_opaque(body: &[u8]) {
    let text = String::from_utf8_lossy(body).to_lowercase();
    for word in INTERNALS {
        assert!(!text.contains(word), "{word:?} leaked: {text}");
    }
}

#[tokio::test]
async fn a_corrupt_record_is_a_500_that_tells_nothing() -> anyhow::Result<()> {
    let storage = FaultyStorage::new(MemStorage::new())?;
    let store = KvStore::open_with(storage.clone(), Options::default())?;
    let app = router(store.clone(), Config::new("v"));
    assert_eq!(
        put(&app, "/blobs/k", "precious").await.status,
        StatusCode::CREATED
    );

    let layout = store.layout()?;
    let (segment, record) = layout
        .segments
        .iter()
        .flat_map(|s| s.records.iter().map(move |r| (s.id, r)))
        .find(|(_, r)| r.state == RecordState::Live)
        .ok_or_else(|| anyhow::anyhow!("no live record"))?;
    // The record's last byte is the value's last byte.
    storage.flip_bit(segment, record.offset + record.len - 1, 0)?;

    let reply = get(&app, "/blobs/k").await;
    reply.assert_error(StatusCode::INTERNAL_SERVER_ERROR, "internal error");
    assert_opaque(&reply.body);
    Ok(())
}

#[tokio::test]
async fn after_a_failed_fsync_writes_get_503_and_reads_still_work() -> anyhow::Result<()> {
    let storage = FaultyStorage::new(MemStorage::new())?;
    let store = KvStore::open_with(storage.clone(), Options::default())?;
    let app = router(store, Config::new("v"));
    assert_eq!(
        put(&app, "/blobs/old", "v").await.status,
        StatusCode::CREATED
    );

    // Faults count syncs from the storage's first, and open and the first
    // PUT made a few already: planning the first 64 to fail makes the next
    // one fail, whichever number it has. (Its failure poisons the store, so
    // no later write syncs again.)
    for nth in 0..64 {
        storage.inject(Fault::FailOnce {
            nth,
            kind: Some(OpKind::Sync),
        });
    }
    let failed = put(&app, "/blobs/new", "v").await;
    // The failed fsync itself is an I/O error (500); only what follows is
    // the poisoned store's 503.
    assert_eq!(
        failed.status,
        StatusCode::INTERNAL_SERVER_ERROR,
        "{failed:?}"
    );
    assert_eq!(
        failed.json(),
        serde_json::json!({"error": "internal error; the server log has the details"})
    );
    assert_opaque(&failed.body);

    let refused = put(&app, "/blobs/other", "v").await;
    refused.assert_error(StatusCode::SERVICE_UNAVAILABLE, "refuses writes");
    assert_opaque(&refused.body);

    let read = get(&app, "/blobs/old").await;
    assert_eq!(read.status, StatusCode::OK);
    // `/health` tells load balancers (tests/health_unavailable.rs).
    assert_eq!(
        get(&app, "/health").await.status,
        StatusCode::SERVICE_UNAVAILABLE
    );
    Ok(())
}
