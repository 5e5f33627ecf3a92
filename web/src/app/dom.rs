//! The browser calls every part of the page needs: finding elements,
//! listening for events, flags on `<body>`, and [`PageError`].
//!
//! A leaf: it knows nothing of the page's state, so every other module of
//! `app` may import it and it imports none of them.

use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{Document, Element, Event, EventTarget, HtmlInputElement, HtmlSelectElement};

use crate::idb::IdbError;

/// Why the page could not do something.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub(super) enum PageError {
    /// The HTML lacks an element the page needs.
    #[error("the page has no #{0} element")]
    MissingElement(&'static str),
    /// IndexedDB failed.
    #[error(transparent)]
    Idb(#[from] IdbError),
    /// The engine failed.
    #[error(transparent)]
    Store(#[from] mini_kvstore::Error),
    /// A browser call failed.
    #[error("the browser refused: {0}")]
    Browser(String),
    /// Another tab has the playground open.
    #[error(
        "the playground is already open in another tab. Two tabs would overwrite each other's segments in IndexedDB, so this one stays stopped: close the other tab and reload this one."
    )]
    OtherTab,
}

/// A failed browser call as a [`PageError`].
pub(super) fn browser(error: JsValue) -> PageError {
    PageError::Browser(format!("{error:?}"))
}

/// The page's document, when there is one (not in a worker).
pub(super) fn document() -> Option<Document> {
    web_sys::window()?.document()
}

/// The element `id`.
pub(super) fn element(doc: &Document, id: &'static str) -> Result<Element, PageError> {
    doc.get_element_by_id(id)
        .ok_or(PageError::MissingElement(id))
}

/// The `<input>` `id`.
pub(super) fn input(doc: &Document, id: &'static str) -> Result<HtmlInputElement, PageError> {
    element(doc, id)?
        .dyn_into::<HtmlInputElement>()
        .map_err(|_| PageError::MissingElement(id))
}

/// The `<select>` `id`.
pub(super) fn select(doc: &Document, id: &'static str) -> Result<HtmlSelectElement, PageError> {
    element(doc, id)?
        .dyn_into::<HtmlSelectElement>()
        .map_err(|_| PageError::MissingElement(id))
}

/// Calls `handler` for every `event` on the element `id`, for the page's life.
pub(super) fn listen(
    doc: &Document,
    id: &'static str,
    event: &str,
    handler: impl FnMut(Event) + 'static,
) -> Result<(), PageError> {
    listen_on(&element(doc, id)?.into(), event, handler)
}

/// Calls `handler` for every `event` on `target`, for the page's life.
pub(super) fn listen_on(
    target: &EventTarget,
    event: &str,
    handler: impl FnMut(Event) + 'static,
) -> Result<(), PageError> {
    let closure = Closure::<dyn FnMut(Event)>::new(handler);
    target
        .add_event_listener_with_callback(event, closure.as_ref().unchecked_ref())
        .map_err(browser)?;
    // The listeners live as long as the page.
    closure.forget();
    Ok(())
}

/// Calls `handler` for every `event` inside the element `id` in the capture
/// phase: before the elements inside see it, so it may stop the event there
/// (the Learn panel takes clicks on the map while it asks for picks).
pub(super) fn listen_capturing(
    doc: &Document,
    id: &'static str,
    event: &str,
    handler: impl FnMut(Event) + 'static,
) -> Result<(), PageError> {
    let closure = Closure::<dyn FnMut(Event)>::new(handler);
    element(doc, id)?
        .add_event_listener_with_callback_and_bool(event, closure.as_ref().unchecked_ref(), true)
        .map_err(browser)?;
    // The listeners live as long as the page.
    closure.forget();
    Ok(())
}

/// The element an event happened on, or its closest ancestor matching `selector`.
pub(super) fn event_target(event: &Event, selector: &str) -> Option<Element> {
    event
        .target()?
        .dyn_into::<Element>()
        .ok()?
        .closest(selector)
        .ok()
        .flatten()
}

/// Sets `<body data-{name}="{value}">`, or removes it for `None`: the hooks
/// the end-to-end suite waits on (`data-ready`, `data-busy`, `data-stopped`).
pub(super) fn set_body_flag(doc: &Document, name: &str, value: Option<&str>) {
    let Some(body) = doc.body() else {
        return;
    };
    let attribute = format!("data-{name}");
    let _ = match value {
        Some(value) => body.set_attribute(&attribute, value),
        None => body.remove_attribute(&attribute),
    };
}

/// Sets or removes a boolean attribute (`hidden`, `disabled`).
pub(super) fn set_flag(element: &Element, attribute: &str, on: bool) {
    let _ = if on {
        element.set_attribute(attribute, "")
    } else {
        element.remove_attribute(attribute)
    };
}
