//! The panel's part of the address bar and of `localStorage`: each step
//! has its own address (`#learn/L/S`), so a link, a reload or Back opens
//! it; the steps done are kept across visits.

use wasm_bindgen::JsValue;

use crate::learn::progress::Route;

pub(super) fn current_hash() -> String {
    web_sys::window()
        .and_then(|w| w.location().hash().ok())
        .unwrap_or_default()
}

/// Goes to `route` through the address, so Back and Forward work and
/// `hashchange` does the rest.
pub(super) fn navigate(route: Route) {
    if let Some(window) = web_sys::window() {
        let _ = window.location().set_hash(&route.hash());
    }
}

/// Rewrites the address without a new history entry or a `hashchange`.
pub(super) fn replace_hash(hash: &str) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let url = if hash.is_empty() {
        let location = window.location();
        format!(
            "{}{}",
            location.pathname().unwrap_or_default(),
            location.search().unwrap_or_default()
        )
    } else {
        hash.to_owned()
    };
    if let Ok(history) = window.history() {
        let _ = history.replace_state_with_url(&JsValue::NULL, "", Some(&url));
    }
}

pub(super) fn local_storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}
