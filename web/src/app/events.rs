//! Which control calls which handler: every listener the page installs, in
//! one place.
//!
//! Handlers are thin: they read what the event says (a key, a `data-*`
//! attribute, a value) and call one [`Page`] method through [`with_page`],
//! or start Reload or Reset. The `id`s and `data-*` attributes here are the
//! contract with `index.html` and with the end-to-end suite.

use wasm_bindgen::JsCast;
use wasm_bindgen_futures::spawn_local;
use web_sys::{Document, HtmlSelectElement, KeyboardEvent};

use super::dom::{PageError, event_target, listen, listen_on};
use super::page::{Page, with_page};
use super::reopen::{reload, reset};
use crate::view::PlanOverlay;

/// Connects every control to its handler.
pub(super) fn wire(doc: &Document) -> Result<(), PageError> {
    wire_console(doc)?;
    wire_map(doc)?;
    wire_panels(doc)?;
    wire_window(doc)
}

fn wire_console(doc: &Document) -> Result<(), PageError> {
    listen(doc, "run", "click", |_| {
        with_page(Page::run_command_input);
    })?;
    listen(doc, "command", "keydown", |event| {
        let Some(key) = event.dyn_ref::<KeyboardEvent>().map(KeyboardEvent::key) else {
            return;
        };
        match key.as_str() {
            "Enter" => {
                event.prevent_default();
                with_page(Page::run_command_input);
            }
            "ArrowUp" | "ArrowDown" => {
                event.prevent_default();
                with_page(|page| page.walk_history(key == "ArrowUp"));
            }
            _ => {}
        }
    })?;
    listen(doc, "actions", "click", |event| {
        if let Some(button) = event_target(&event, "[data-cmd]") {
            let command = button.get_attribute("data-cmd").unwrap_or_default();
            with_page(|page| page.run_line(&command));
        } else if let Some(button) = event_target(&event, "[data-template]") {
            let template = button.get_attribute("data-template").unwrap_or_default();
            with_page(|page| page.fill_command(&template));
        }
    })?;
    listen(doc, "sample", "click", |_| {
        with_page(Page::load_sample);
    })?;
    listen(doc, "random", "click", |_| {
        with_page(|page| page.random_writes(100));
    })
}

fn wire_map(doc: &Document) -> Result<(), PageError> {
    listen(doc, "map-strips", "mouseover", |event| {
        if let Some(cell) = event_target(&event, "[data-i]") {
            let id = cell.get_attribute("data-i").unwrap_or_default();
            with_page(|page| page.hover_cell(&id));
        }
    })?;
    listen(doc, "map-strips", "mouseleave", |_| {
        with_page(|page| page.unhover());
    })?;
    listen(doc, "map-strips", "click", |event| {
        if let Some(cell) = event_target(&event, "[data-i]") {
            let id = cell.get_attribute("data-i").unwrap_or_default();
            with_page(|page| page.click_cell(&id));
        }
    })?;
    listen(doc, "index", "click", |event| {
        if let Some(row) = event_target(&event, "[data-index-key]") {
            let key = row.get_attribute("data-index-key").unwrap_or_default();
            with_page(|page| page.click_index_key(key.into_bytes()));
        }
    })?;
    listen(doc, "index-filter", "input", |_| {
        with_page(|page| page.draw_index());
    })
}

fn wire_panels(doc: &Document) -> Result<(), PageError> {
    listen(doc, "compact-plan", "click", |_| {
        with_page(|page| page.set_overlay(PlanOverlay::Plan));
    })?;
    listen(doc, "compact-step", "click", |_| {
        with_page(Page::step_walk);
    })?;
    listen(doc, "compact-apply", "click", |_| {
        with_page(|page| page.run_line("compact"));
    })?;
    listen(doc, "compact-cancel", "click", |_| {
        with_page(|page| page.set_overlay(PlanOverlay::Off));
    })?;
    listen(doc, "fault-tear", "click", |_| {
        with_page(Page::tear_last_write);
    })?;
    listen(doc, "fault-flip", "click", |_| {
        with_page(Page::flip_a_bit);
    })?;
    listen(doc, "reload", "click", |_| spawn_local(reload()))?;
    listen(doc, "reset", "click", |_| spawn_local(reset()))?;
    listen(doc, "segment-size", "change", |event| {
        let value = event
            .target()
            .and_then(|t| t.dyn_into::<HtmlSelectElement>().ok())
            .map(|s| s.value())
            .unwrap_or_default();
        with_page(|page| page.change_segment_size(&value));
    })
}

fn wire_window(doc: &Document) -> Result<(), PageError> {
    let window = web_sys::window().ok_or_else(|| PageError::Browser("no window".into()))?;
    listen_on(&window, "resize", |_| {
        with_page(Page::redraw_map);
    })?;
    // Leaving or hiding the page: write what is in memory while we still can.
    let document = doc.clone();
    listen_on(doc, "visibilitychange", move |_| {
        if document.hidden() {
            with_page(|page| page.flusher().flush_soon());
        }
    })?;
    listen_on(&window, "pagehide", |_| {
        with_page(|page| page.flusher().flush_soon());
    })
}
