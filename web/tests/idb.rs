//! `IdbStorage` against a real IndexedDB, in headless Chromium.
//!
//! Run with `CHROMEDRIVER=/usr/bin/chromedriver cargo test -p
//! mini-kvstore-web --target wasm32-unknown-unknown` (the runner comes from
//! `.cargo/config.toml`, the browser from `web/webdriver.json`). Each test
//! uses a database of its own, deleted first, so tests neither share state
//! nor depend on an earlier run. The flush logic itself is tested natively
//! (`working_set`); these tests prove the IndexedDB half: what one flush
//! transaction writes is exactly what the next load reads, removal really
//! deletes, and damaged chunks end in the engine's recovery, not a panic.

#![cfg(target_arch = "wasm32")]

use js_sys::Uint8Array;
use mini_kvstore::{KvStore, Options, SegmentId, Storage, SyncPolicy};
use mini_kvstore_web::IdbStorage;
use mini_kvstore_web::idb::{Database, delete_database};
use wasm_bindgen::JsValue;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

type TestResult = Result<(), String>;

fn options() -> Options {
    Options::default()
        .max_segment_size(256)
        .sync_policy(SyncPolicy::Never)
}

/// A fresh, empty database called `name`.
async fn fresh(name: &str) -> Result<Database, String> {
    delete_database(name).await.map_err(|e| e.to_string())?;
    Database::open(name).await.map_err(|e| e.to_string())
}

async fn reopen(db: &Database) -> Result<(IdbStorage, KvStore, Vec<String>), String> {
    let (storage, report) = db.load().await.map_err(|e| e.to_string())?;
    let store = KvStore::open_with(storage.clone(), options()).map_err(|e| e.to_string())?;
    Ok((storage, store, report.problems))
}

fn text(store: &KvStore, key: &str) -> Result<Option<String>, String> {
    store
        .get(key)
        .map(|v| v.map(|v| String::from_utf8_lossy(&v).into_owned()))
        .map_err(|e| e.to_string())
}

#[wasm_bindgen_test]
async fn appends_survive_a_flush_and_a_reload() -> TestResult {
    let db = fresh("test-round-trip").await?;
    let (storage, store, _) = reopen(&db).await?;
    for i in 0..40 {
        store
            .set(format!("key{}", i % 9), format!("value {i}"))
            .map_err(|e| e.to_string())?;
        // Flush now and then, so segments are built from several chunks.
        if i % 7 == 0 {
            db.flush(&storage).await.map_err(|e| e.to_string())?;
        }
    }
    store.delete("key4").map_err(|e| e.to_string())?;
    let written = db.flush(&storage).await.map_err(|e| e.to_string())?;
    assert!(written > 0);
    assert_eq!(storage.unflushed_bytes(), 0);
    let segments = storage.list().map_err(|e| e.to_string())?;
    drop(store);

    let (reloaded, store, problems) = reopen(&db).await?;
    assert!(problems.is_empty(), "{problems:?}");
    assert!(store.recovery_report().is_clean());
    assert_eq!(reloaded.list().map_err(|e| e.to_string())?, segments);
    for id in segments {
        assert_eq!(
            reloaded.segment_bytes(id),
            storage.segment_bytes(id),
            "segment {id}"
        );
    }
    assert_eq!(text(&store, "key3")?, Some("value 39".into()));
    assert_eq!(text(&store, "key4")?, None);
    assert_eq!(store.len(), 8);
    Ok(())
}

#[wasm_bindgen_test]
async fn what_was_not_flushed_is_lost_and_the_rest_kept() -> TestResult {
    let db = fresh("test-unflushed").await?;
    let (storage, store, _) = reopen(&db).await?;
    store.set("flushed", "yes").map_err(|e| e.to_string())?;
    db.flush(&storage).await.map_err(|e| e.to_string())?;
    store
        .set("only-in-memory", "gone")
        .map_err(|e| e.to_string())?;
    assert!(storage.unflushed_bytes() > 0);
    // The tab closes here, without a flush.
    let (_, store, problems) = reopen(&db).await?;
    assert!(problems.is_empty(), "{problems:?}");
    assert_eq!(text(&store, "flushed")?, Some("yes".into()));
    assert_eq!(text(&store, "only-in-memory")?, None);
    Ok(())
}

#[wasm_bindgen_test]
async fn compaction_removes_old_segments_from_the_database() -> TestResult {
    let db = fresh("test-removal").await?;
    let (storage, store, _) = reopen(&db).await?;
    for i in 0..60 {
        store
            .set(format!("k{}", i % 4), format!("value number {i}"))
            .map_err(|e| e.to_string())?;
    }
    db.flush(&storage).await.map_err(|e| e.to_string())?;
    let before = storage.list().map_err(|e| e.to_string())?;
    let report = store.compact().map_err(|e| e.to_string())?;
    assert!(storage.flush_is_urgent(), "compaction asks for a flush");
    db.flush(&storage).await.map_err(|e| e.to_string())?;
    let after = storage.list().map_err(|e| e.to_string())?;
    assert_eq!(before.len(), report.segments_before);
    assert_eq!(after.len(), report.segments_after);
    assert!(after.len() < before.len(), "{before:?} → {after:?}");
    drop(store);

    let (reloaded, store, problems) = reopen(&db).await?;
    assert!(problems.is_empty(), "{problems:?}");
    let listed = reloaded.list().map_err(|e| e.to_string())?;
    assert_eq!(listed, after, "removed segments are gone from IndexedDB");
    for input in &report.inputs {
        assert!(!listed.contains(input), "segment {input} should be deleted");
    }
    assert!(store.recovery_report().removed_segments.is_empty());
    assert_eq!(text(&store, "k3")?, Some("value number 59".into()));
    Ok(())
}

/// The last chunk of the newest segment, as stored: `(segment, offset)`.
fn last_append(storage: &IdbStorage) -> Result<(SegmentId, u64, Vec<u8>), String> {
    let id = *storage
        .list()
        .map_err(|e| e.to_string())?
        .last()
        .ok_or("no segment")?;
    let bytes = storage.segment_bytes(id).ok_or("no bytes")?;
    Ok((id, bytes.len() as u64, bytes))
}

#[wasm_bindgen_test]
async fn a_chunk_that_is_not_bytes_ends_in_recovery_not_a_panic() -> TestResult {
    let db = fresh("test-bad-chunk").await?;
    let (storage, store, _) = reopen(&db).await?;
    store.set("first", "kept").map_err(|e| e.to_string())?;
    db.flush(&storage).await.map_err(|e| e.to_string())?;
    let (id, offset, _) = last_append(&storage)?;
    store.set("second", "lost").map_err(|e| e.to_string())?;
    db.flush(&storage).await.map_err(|e| e.to_string())?;
    drop(store);
    // The chunk holding `second` becomes something that is not bytes at all.
    db.put_raw_chunk(id, offset, &JsValue::from_str("garbage"))
        .await
        .map_err(|e| e.to_string())?;

    let (storage, store, problems) = reopen(&db).await?;
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(text(&store, "first")?, Some("kept".into()));
    assert_eq!(text(&store, "second")?, None);
    store.set("third", "works").map_err(|e| e.to_string())?;
    db.flush(&storage).await.map_err(|e| e.to_string())?;
    drop(store);
    let (_, store, problems) = reopen(&db).await?;
    assert!(
        problems.is_empty(),
        "the next flush replaced the bad chunk: {problems:?}"
    );
    assert_eq!(text(&store, "third")?, Some("works".into()));
    Ok(())
}

#[wasm_bindgen_test]
async fn torn_and_flipped_chunks_are_repaired_by_recovery() -> TestResult {
    let db = fresh("test-damaged-bytes").await?;
    let (storage, store, _) = reopen(&db).await?;
    store.set("a", "first value").map_err(|e| e.to_string())?;
    db.flush(&storage).await.map_err(|e| e.to_string())?;
    let (id, offset, _) = last_append(&storage)?;
    store.set("b", "second value").map_err(|e| e.to_string())?;
    store.set("c", "third value").map_err(|e| e.to_string())?;
    db.flush(&storage).await.map_err(|e| e.to_string())?;
    drop(store);
    // Chunk at `offset` holds records b and c: flip a bit inside b and
    // cut c short, as bit rot plus a torn write would.
    let (_, _, bytes) = last_append(&storage)?;
    let mut chunk = bytes[offset as usize..].to_vec();
    chunk[25] ^= 0x01;
    chunk.truncate(chunk.len() - 5);
    db.put_raw_chunk(id, offset, &Uint8Array::from(chunk.as_slice()).into())
        .await
        .map_err(|e| e.to_string())?;

    let (_, store, problems) = reopen(&db).await?;
    assert!(problems.is_empty(), "{problems:?}");
    // No valid record follows the flipped one, so recovery cannot tell bit
    // rot from a torn write there: one torn tail from b's first byte on.
    let report = store.recovery_report();
    assert!(report.corrupt.is_empty(), "{report:?}");
    assert_eq!(report.truncated.len(), 1, "{report:?}");
    assert_eq!(report.truncated[0].segment, id);
    assert_eq!(report.truncated[0].offset, offset);
    assert_eq!(report.truncated[0].bytes_cut, chunk.len() as u64);
    assert_eq!(text(&store, "a")?, Some("first value".into()));
    assert_eq!(text(&store, "b")?, None);
    assert_eq!(text(&store, "c")?, None);
    Ok(())
}

#[wasm_bindgen_test]
async fn clear_empties_the_database() -> TestResult {
    let db = fresh("test-clear").await?;
    let (storage, store, _) = reopen(&db).await?;
    store.set("x", "1").map_err(|e| e.to_string())?;
    db.flush(&storage).await.map_err(|e| e.to_string())?;
    drop(store);
    db.clear().await.map_err(|e| e.to_string())?;
    let (storage, store, _) = reopen(&db).await?;
    assert!(store.is_empty());
    assert_eq!(
        storage.list().map_err(|e| e.to_string())?.len(),
        1,
        "a fresh active segment"
    );
    db.close();
    Ok(())
}
