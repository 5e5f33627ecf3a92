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

use super::dom::{PageError, event_target, listen, listen_capturing, listen_on};
use super::learn;
use super::page::{Page, with_page};
use super::reopen::{reload, reset};
use super::server_tab;
use crate::merge_policy::Knob;
use crate::view::PlanOverlay;
use crate::workload::WorkloadKind;

/// Connects every control to its handler.
pub(super) fn wire(doc: &Document) -> Result<(), PageError> {
    wire_console(doc)?;
    wire_map(doc)?;
    wire_panels(doc)?;
    wire_policy(doc)?;
    wire_learn(doc)?;
    wire_server(doc)?;
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

fn wire_learn(doc: &Document) -> Result<(), PageError> {
    listen(doc, "learn-panel", "click", |event| {
        if let Some(button) = event_target(&event, "[data-learn]") {
            let what = button.get_attribute("data-learn").unwrap_or_default();
            let arg = button.get_attribute("data-arg");
            learn::press(&what, arg.as_deref());
        }
    })?;
    // Before the map's own click handler: while the Learn panel asks for
    // records or segments, a click on the map is a pick, not a selection.
    listen_capturing(doc, "map-strips", "click", |event| {
        let record = event_target(&event, "[data-record]").and_then(|c| c.get_attribute("data-i"));
        let segment =
            event_target(&event, "[data-segment]").and_then(|s| s.get_attribute("data-segment"));
        if learn::pick_on_map(record.as_deref(), segment.as_deref()) {
            event.stop_propagation();
        }
    })?;
    listen_on(doc, "keydown", |event| {
        if event
            .dyn_ref::<KeyboardEvent>()
            .is_some_and(|key| key.key() == "Escape")
        {
            learn::escape();
        }
    })?;
    let window = web_sys::window().ok_or_else(|| PageError::Browser("no window".into()))?;
    listen_on(&window, "hashchange", |_| learn::follow_hash())
}

/// The `<input>` an event happened on, if it is one.
fn input_of(event: &web_sys::Event) -> Option<web_sys::HtmlInputElement> {
    event.target()?.dyn_into::<web_sys::HtmlInputElement>().ok()
}

/// A policy slider's knob and position, from an event on it.
fn knob_of(event: &web_sys::Event) -> Option<(Knob, u32)> {
    let slider = input_of(event)?;
    let knob = Knob::parse(&slider.get_attribute("data-knob")?)?;
    Some((knob, slider.value().parse().ok()?))
}

fn wire_policy(doc: &Document) -> Result<(), PageError> {
    listen(doc, "policy-auto", "change", |event| {
        let on = input_of(&event).is_some_and(|i| i.checked());
        with_page(|page| page.policy_setting(|panel| panel.set_auto(on)));
    })?;
    listen(doc, "policy-knobs", "input", |event| {
        if let Some((knob, value)) = knob_of(&event) {
            with_page(|page| page.move_policy_knob(knob, value));
        }
    })?;
    listen(doc, "policy-knobs", "change", |event| {
        if let Some((knob, value)) = knob_of(&event) {
            with_page(|page| page.change_policy(knob, value));
        }
    })?;
    listen(doc, "policy-merge-now", "click", |_| {
        with_page(|page| page.policy_action(|panel, open, _| panel.merge_now(open)));
    })?;
    listen(doc, "workload-kind", "change", |event| {
        let kind = event
            .target()
            .and_then(|t| t.dyn_into::<HtmlSelectElement>().ok())
            .and_then(|s| WorkloadKind::parse(&s.value()));
        with_page(|page| {
            page.policy_setting(|panel| {
                panel.set_workload(kind, None);
                Default::default()
            })
        });
    })?;
    listen(doc, "workload-expiring", "change", |event| {
        let on = input_of(&event).is_some_and(|i| i.checked());
        with_page(|page| {
            page.policy_setting(|panel| {
                panel.set_workload(None, Some(on));
                Default::default()
            })
        });
    })?;
    listen(doc, "workload-rate", "input", |event| {
        if let Some(rate) = input_of(&event).and_then(|i| i.value().parse().ok()) {
            with_page(|page| {
                page.policy_setting(|panel| {
                    panel.set_rate(rate);
                    Default::default()
                })
            });
        }
    })?;
    listen(doc, "workload-start", "click", |_| {
        with_page(|page| page.policy_action(|panel, _, _| panel.start()));
    })?;
    listen(doc, "workload-pause", "click", |_| {
        with_page(|page| page.policy_setting(|panel| panel.pause()));
    })?;
    listen(doc, "workload-step", "click", |_| {
        with_page(|page| page.policy_action(|panel, open, _| panel.step(open)));
    })?;
    listen(doc, "policy-clear", "click", |_| {
        with_page(|page| {
            page.policy_action(|panel, open, options| panel.clear_chart(open, options))
        });
    })?;
    listen(doc, "compare-start", "click", |_| {
        with_page(|page| page.policy_action(|panel, open, options| panel.compare(open, options)));
    })?;
    listen(doc, "compare-stop", "click", |_| {
        with_page(|page| page.policy_setting(|panel| panel.stop_comparing()));
    })?;
    listen(doc, "compare-policy", "change", |event| {
        let name = event
            .target()
            .and_then(|t| t.dyn_into::<HtmlSelectElement>().ok())
            .map(|s| s.value())
            .unwrap_or_default();
        with_page(|page| {
            page.policy_action(|panel, open, options| panel.choose_comparison(&name, open, options))
        });
    })?;
    let window = web_sys::window().ok_or_else(|| PageError::Browser("no window".into()))?;
    listen_on(&window, "resize", |_| {
        with_page(|page| page.policy_setting(|panel| panel.resized()));
    })?;
    // A merge mark's report: on hover and on keyboard focus alike.
    for event in ["mouseover", "focusin"] {
        listen(doc, "policy-chart", event, |event| {
            if let Some(mark) = event_target(&event, "[data-merge]") {
                let id = mark.get_attribute("data-merge").unwrap_or_default();
                with_page(|page| page.show_merge(&id));
            }
        })?;
    }
    Ok(())
}

/// The segment a Server tab strip stands for, from an event on it.
fn strip_of(event: &web_sys::Event) -> Option<u32> {
    event_target(event, "#server-strips [data-segment]")?
        .get_attribute("data-segment")?
        .parse()
        .ok()
}

fn wire_server(doc: &Document) -> Result<(), PageError> {
    listen(doc, "server-strips", "click", |event| {
        if let Some(id) = strip_of(&event) {
            server_tab::open_segment(id);
        }
    })?;
    listen(doc, "server-strips", "keydown", |event| {
        let (Some(id), Some(key)) = (
            strip_of(&event),
            event.dyn_ref::<KeyboardEvent>().map(KeyboardEvent::key),
        ) else {
            return;
        };
        if server_tab::strip_key(id, &key) {
            event.prevent_default();
        }
    })?;
    listen(doc, "server-next-page", "click", |_| {
        server_tab::next_page()
    })?;
    listen(doc, "server-first-page", "click", |_| {
        server_tab::first_page()
    })?;
    listen(doc, "server-records-close", "click", |_| {
        server_tab::close_records();
    })?;
    let window = web_sys::window().ok_or_else(|| PageError::Browser("no window".into()))?;
    listen_on(&window, "hashchange", |_| {
        if server_tab::follow_hash() {
            // Back from the tab: the map and the chart were hidden, and
            // measure their width again.
            with_page(Page::redraw_map);
            with_page(|page| page.policy_setting(|panel| panel.resized()));
        }
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
