//! IndexedDB: opening the playground's database, loading the working set
//! from it, and writing a [`FlushPlan`] as one transaction.
//!
//! Two object stores (see [`working_set`](crate::working_set) for why):
//! `segments` (key: segment number, value: `true`) and `chunks` (key:
//! `[segment, offset]`, value: a `Uint8Array`).
//!
//! Two rules keep transactions from committing early or hanging: every
//! request of a transaction is issued before anything is awaited (a
//! transaction commits itself as soon as control returns to the event loop
//! with no request pending), and a flush commits explicitly once its last
//! request is issued rather than waiting for the browser to notice. Requests
//! and transactions become futures through a `Promise` whose `resolve` and
//! `reject` are installed as the event handlers, so no Rust closure has to
//! outlive a call.

use js_sys::{Array, Function, Promise, Reflect, Uint8Array};
use mini_kvstore::SegmentId;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    DomException, Event, IdbDatabase, IdbKeyRange, IdbObjectStore, IdbOpenDbRequest, IdbRequest,
    IdbTransaction, IdbTransactionMode,
};

use crate::storage::IdbStorage;
use crate::working_set::{FlushOp, FlushPlan, LoadReport, StoredChunk};

/// The database the playground page uses.
pub const DATABASE_NAME: &str = "mini-kvstore-playground";

const SEGMENTS: &str = "segments";
const CHUNKS: &str = "chunks";
/// Bump when the object stores change; `open` creates them at version 1.
const SCHEMA_VERSION: u32 = 1;

/// Why an IndexedDB operation failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IdbError {
    /// There is no `indexedDB` (no window, or storage disabled, as in some
    /// private browsing modes).
    #[error("IndexedDB is not available here: {0}")]
    Unavailable(String),
    /// Another tab holds the database open with an older schema.
    #[error("the database is held open by another tab; close it and reload")]
    Blocked,
    /// A request or transaction failed.
    #[error("IndexedDB could not {action}: {detail}")]
    Failed {
        /// What was being done.
        action: &'static str,
        /// What the browser said.
        detail: String,
    },
}

impl IdbError {
    fn failed(action: &'static str, error: &JsValue) -> IdbError {
        IdbError::Failed {
            action,
            detail: describe(error),
        }
    }
}

/// Words for a thrown value, a `DOMException` or an error event.
fn describe(value: &JsValue) -> String {
    if let Some(exception) = value.dyn_ref::<DomException>() {
        return format!("{}: {}", exception.name(), exception.message());
    }
    if let Some(error) = value.dyn_ref::<js_sys::Error>() {
        return String::from(error.message());
    }
    if let Some(event) = value.dyn_ref::<Event>() {
        let error = event
            .target()
            .and_then(|target| Reflect::get(&target, &JsValue::from_str("error")).ok())
            .filter(|error| !error.is_null() && !error.is_undefined());
        return match error {
            Some(error) => describe(&error),
            None => format!("the '{}' event fired", event.type_()),
        };
    }
    value.as_string().unwrap_or_else(|| format!("{value:?}"))
}

/// A future that settles when `request` succeeds or fails.
fn request_done(request: &IdbRequest) -> JsFuture {
    let promise = Promise::new(&mut |resolve, reject| {
        request.set_onsuccess(Some(&resolve));
        request.set_onerror(Some(&reject));
    });
    JsFuture::from(promise)
}

/// A future that settles when `transaction` commits, fails or aborts.
/// Made right after the transaction, before any request, so no event is missed.
fn transaction_done(transaction: &IdbTransaction) -> JsFuture {
    let promise = Promise::new(&mut |resolve, reject| {
        transaction.set_oncomplete(Some(&resolve));
        transaction.set_onerror(Some(&reject));
        transaction.set_onabort(Some(&reject));
    });
    JsFuture::from(promise)
}

/// Commits `transaction` now. `IDBTransaction.commit()` is missing from
/// older browsers (Safari before 15); there the transaction commits by
/// itself once its requests are done, which is only a little later.
fn commit(transaction: &IdbTransaction) -> Result<(), IdbError> {
    let commit = Reflect::get(transaction, &JsValue::from_str("commit"))
        .map_err(|e| IdbError::failed("look up commit()", &e))?;
    if let Some(commit) = commit.dyn_ref::<Function>() {
        commit
            .call0(transaction)
            .map_err(|e| IdbError::failed("commit the transaction", &e))?;
    }
    Ok(())
}

fn chunk_key(segment: SegmentId, offset: u64) -> JsValue {
    Array::of2(&JsValue::from(segment.0), &JsValue::from(offset as f64)).into()
}

/// The chunks of `segment` at `from` and above, as a key range.
fn chunks_from(segment: SegmentId, from: u64) -> Result<JsValue, IdbError> {
    let upper = Array::of2(&JsValue::from(segment.0), &JsValue::from(f64::INFINITY));
    IdbKeyRange::bound(&chunk_key(segment, from), &upper)
        .map(JsValue::from)
        .map_err(|e| IdbError::failed("make a key range", &e))
}

/// An open playground database. Cheap to clone (a handle).
#[derive(Debug, Clone)]
pub struct Database {
    db: IdbDatabase,
}

impl Database {
    /// Opens (creating if needed) the database called `name`.
    pub async fn open(name: &str) -> Result<Database, IdbError> {
        let factory = web_sys::window()
            .ok_or_else(|| IdbError::Unavailable("there is no window".into()))?
            .indexed_db()
            .map_err(|e| IdbError::Unavailable(describe(&e)))?
            .ok_or_else(|| IdbError::Unavailable("window.indexedDB is missing".into()))?;
        let request: IdbOpenDbRequest = factory
            .open_with_u32(name, SCHEMA_VERSION)
            .map_err(|e| IdbError::failed("open the database", &e))?;
        // Runs inside the version-change transaction, before `success`.
        let upgrade = wasm_bindgen::closure::Closure::<dyn FnMut(Event)>::new({
            let request = request.clone();
            move |_: Event| {
                let Ok(db) = request.result().and_then(|r| r.dyn_into::<IdbDatabase>()) else {
                    return;
                };
                let names = db.object_store_names();
                for store in [SEGMENTS, CHUNKS] {
                    if !names.contains(store) {
                        // A failure aborts the version change, which fails
                        // the open request: reported there.
                        let _ = db.create_object_store(store);
                    }
                }
            }
        });
        request.set_onupgradeneeded(Some(upgrade.as_ref().unchecked_ref()));
        // `blocked` only fires while another tab keeps an older schema open;
        // waiting silently would look like a hang, so it fails the open.
        let opened = Promise::new(&mut |resolve, reject| {
            request.set_onsuccess(Some(&resolve));
            request.set_onerror(Some(&reject));
            request.set_onblocked(Some(&reject));
        });
        let outcome = JsFuture::from(opened).await;
        request.set_onupgradeneeded(None);
        drop(upgrade);
        if let Err(error) = outcome {
            let was_blocked = error
                .dyn_ref::<Event>()
                .is_some_and(|event| event.type_() == "blocked");
            return Err(if was_blocked {
                IdbError::Blocked
            } else {
                IdbError::failed("open the database", &error)
            });
        }
        let db = request
            .result()
            .and_then(|r| r.dyn_into::<IdbDatabase>())
            .map_err(|e| IdbError::failed("open the database", &e))?;
        Ok(Database { db })
    }

    fn transaction(&self, mode: IdbTransactionMode) -> Result<IdbTransaction, IdbError> {
        let stores = Array::of2(&JsValue::from_str(SEGMENTS), &JsValue::from_str(CHUNKS));
        self.db
            .transaction_with_str_sequence_and_mode(&stores, mode)
            .map_err(|e| IdbError::failed("start a transaction", &e))
    }

    fn store(transaction: &IdbTransaction, name: &str) -> Result<IdbObjectStore, IdbError> {
        transaction
            .object_store(name)
            .map_err(|e| IdbError::failed("open an object store", &e))
    }

    /// Reads every segment into a fresh [`IdbStorage`], in one readonly
    /// transaction. Damaged chunks are reported, not fatal.
    pub async fn load(&self) -> Result<(IdbStorage, LoadReport), IdbError> {
        let transaction = self.transaction(IdbTransactionMode::Readonly)?;
        let done = transaction_done(&transaction);
        let segments = Self::store(&transaction, SEGMENTS)?;
        let chunks = Self::store(&transaction, CHUNKS)?;
        let read = |result: Result<IdbRequest, JsValue>| {
            result.map_err(|e| IdbError::failed("read the stores", &e))
        };
        let segment_keys = read(segments.get_all_keys())?;
        let chunk_keys = read(chunks.get_all_keys())?;
        let chunk_values = read(chunks.get_all())?;
        done.await
            .map_err(|e| IdbError::failed("read the stores", &e))?;

        let result = |request: &IdbRequest| -> Result<Array, IdbError> {
            request
                .result()
                .map(|value| Array::from(&value))
                .map_err(|e| IdbError::failed("read the stores", &e))
        };
        let ids: Vec<SegmentId> = result(&segment_keys)?
            .iter()
            .filter_map(|key| key.as_f64())
            .filter_map(segment_number)
            .collect();
        // getAll and getAllKeys list one store in the same (key) order.
        let keys = result(&chunk_keys)?;
        let values = result(&chunk_values)?;
        let loaded: Vec<StoredChunk> = keys
            .iter()
            .zip(values.iter())
            .filter_map(|(key, value)| {
                let key = Array::from(&key);
                let segment = key.get(0).as_f64().and_then(segment_number)?;
                let offset = key.get(1).as_f64().filter(|o| *o >= 0.0)? as u64;
                let bytes = value
                    .dyn_ref::<Uint8Array>()
                    .map(Uint8Array::to_vec)
                    .or_else(|| {
                        value
                            .dyn_ref::<js_sys::ArrayBuffer>()
                            .map(|buffer| Uint8Array::new(buffer).to_vec())
                    });
                Some(StoredChunk {
                    segment,
                    offset,
                    bytes,
                })
            })
            .collect();
        Ok(IdbStorage::from_stored(ids, loaded))
    }

    /// Writes `plan` in one readwrite transaction: every request issued, then
    /// an explicit commit, then one wait for the outcome.
    pub async fn write(&self, plan: &FlushPlan) -> Result<(), IdbError> {
        if plan.is_empty() {
            return Ok(());
        }
        let transaction = self.transaction(IdbTransactionMode::Readwrite)?;
        let done = transaction_done(&transaction);
        let segments = Self::store(&transaction, SEGMENTS)?;
        let chunks = Self::store(&transaction, CHUNKS)?;
        let issued = |result: Result<IdbRequest, JsValue>| {
            result
                .map(drop)
                .map_err(|e| IdbError::failed("queue a write", &e))
        };
        for op in &plan.ops {
            match op {
                FlushOp::DeleteSegment { segment } => {
                    issued(segments.delete(&JsValue::from(segment.0)))?;
                    issued(chunks.delete(&chunks_from(*segment, 0)?))?;
                }
                FlushOp::DeleteChunksFrom { segment, from } => {
                    issued(chunks.delete(&chunks_from(*segment, *from)?))?;
                }
                FlushOp::PutSegment { segment } => {
                    issued(segments.put_with_key(&JsValue::TRUE, &JsValue::from(segment.0)))?;
                }
                FlushOp::PutChunk {
                    segment,
                    offset,
                    bytes,
                } => {
                    let value = Uint8Array::from(bytes.as_slice());
                    issued(chunks.put_with_key(&value, &chunk_key(*segment, *offset)))?;
                }
            }
        }
        commit(&transaction)?;
        done.await
            .map(drop)
            .map_err(|e| IdbError::failed("commit a flush", &e))
    }

    /// Flushes what `storage` has not written yet; returns the bytes written.
    /// On failure the storage is told, so the next flush redoes the work.
    pub async fn flush(&self, storage: &IdbStorage) -> Result<u64, IdbError> {
        let Some(plan) = storage.begin_flush() else {
            return Ok(0);
        };
        let result = self.write(&plan).await;
        storage.finish_flush(&plan, result.is_ok());
        result.map(|()| plan.bytes)
    }

    /// Deletes every segment: the "reset" button.
    pub async fn clear(&self) -> Result<(), IdbError> {
        let transaction = self.transaction(IdbTransactionMode::Readwrite)?;
        let done = transaction_done(&transaction);
        for name in [SEGMENTS, CHUNKS] {
            Self::store(&transaction, name)?
                .clear()
                .map_err(|e| IdbError::failed("queue a clear", &e))?;
        }
        commit(&transaction)?;
        done.await
            .map(drop)
            .map_err(|e| IdbError::failed("clear the database", &e))
    }

    /// Stores any value as a chunk, bypassing the working set: how tests
    /// (and only tests) damage the database the way a broken browser or an
    /// old version of the page might.
    pub async fn put_raw_chunk(
        &self,
        segment: SegmentId,
        offset: u64,
        value: &JsValue,
    ) -> Result<(), IdbError> {
        let transaction = self.transaction(IdbTransactionMode::Readwrite)?;
        let done = transaction_done(&transaction);
        let request = Self::store(&transaction, CHUNKS)?
            .put_with_key(value, &chunk_key(segment, offset))
            .map_err(|e| IdbError::failed("queue a write", &e))?;
        let written = request_done(&request);
        commit(&transaction)?;
        written
            .await
            .map_err(|e| IdbError::failed("write a chunk", &e))?;
        done.await
            .map(drop)
            .map_err(|e| IdbError::failed("commit a chunk", &e))
    }

    /// Closes the connection (so the database can be deleted).
    pub fn close(&self) {
        self.db.close();
    }
}

/// A segment number from a stored key, if it is one.
fn segment_number(n: f64) -> Option<SegmentId> {
    (n >= 0.0 && n <= f64::from(u32::MAX) && n.fract() == 0.0).then_some(SegmentId(n as u32))
}

/// Deletes the database called `name` entirely (tests start from nothing).
pub async fn delete_database(name: &str) -> Result<(), IdbError> {
    let factory = web_sys::window()
        .ok_or_else(|| IdbError::Unavailable("there is no window".into()))?
        .indexed_db()
        .map_err(|e| IdbError::Unavailable(describe(&e)))?
        .ok_or_else(|| IdbError::Unavailable("window.indexedDB is missing".into()))?;
    let request = factory
        .delete_database(name)
        .map_err(|e| IdbError::failed("delete the database", &e))?;
    request_done(&request)
        .await
        .map(drop)
        .map_err(|e| IdbError::failed("delete the database", &e))
}
