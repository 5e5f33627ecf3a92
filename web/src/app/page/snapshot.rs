//! A snapshot of the page's store for the browser's developer console,
//! apart from the page's own code because it is the crate's public
//! surface (`wasm_bindgen.playground_state()`).

use wasm_bindgen::JsValue;
use wasm_bindgen::prelude::wasm_bindgen;

use super::state::with_page;

/// A snapshot of the page's store for the browser console
/// (`wasm_bindgen.playground_state()`): stats, unflushed bytes and the last
/// recovery report, as a plain JS object.
#[wasm_bindgen]
pub fn playground_state() -> JsValue {
    #[derive(serde::Serialize)]
    struct State {
        stats: mini_kvstore::Stats,
        unflushed_bytes: u64,
        recovery: Option<mini_kvstore::RecoveryReport>,
    }
    with_page(|page| State {
        stats: page.open.store.stats(),
        unflushed_bytes: page.open.storage.unflushed_bytes(),
        recovery: page.open.recovery.as_ref().map(|r| r.report.clone()),
    })
    .and_then(|state| serde_wasm_bindgen::to_value(&state).ok())
    .unwrap_or(JsValue::NULL)
}
