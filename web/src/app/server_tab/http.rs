//! `GET` on the page's own origin, with a browser error in words: the tab
//! asks the server for `/health` and for records pages this way.

use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::Response;

/// `GET path` on the page's own origin: the status and the body.
pub(super) async fn get(path: &str) -> Result<(u16, String), String> {
    let window = web_sys::window().ok_or("no window")?;
    let response = JsFuture::from(window.fetch_with_str(path))
        .await
        .map_err(|e| describe(&e))?
        .dyn_into::<Response>()
        .map_err(|_| "fetch answered with something else".to_owned())?;
    let text = JsFuture::from(response.text().map_err(|e| describe(&e))?)
        .await
        .map_err(|e| describe(&e))?
        .as_string()
        .unwrap_or_default();
    Ok((response.status(), text))
}

pub(super) fn describe(error: &JsValue) -> String {
    error
        .as_string()
        .or_else(|| {
            error
                .dyn_ref::<js_sys::Error>()
                .map(|e| String::from(e.message()))
        })
        .unwrap_or_else(|| format!("{error:?}"))
}
