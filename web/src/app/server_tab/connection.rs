//! Whether a `kvstore` serves the page (`/health`, asked once, the first
//! time the tab opens), the tab shown and hidden, and the `/events` stream
//! opened while it shows, lost, and closed.
//!
//! The stream is open only while the tab shows: every subscriber costs
//! the server a look at the store every 200 ms.

use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;
use wasm_bindgen_futures::spawn_local;
use web_sys::{Event, EventSource, HtmlElement, MessageEvent};

use super::http::{describe, get};
use super::state::{Feed, Presence, ServerTab, with_tab};
use super::timing::{
    MARK_CONNECT, MARK_EVENT, MEASURE_FIRST_DRAW, MEASURE_RECORDS, MEASURE_SEGMENTS, MEASURE_STATS,
    mark, performance,
};
use crate::app::dom::{set_body_flag, set_flag};
use crate::server_view::{self as view, Health};

/// A `MessageEvent`'s text.
fn data_of(event: &Event) -> Option<String> {
    event.dyn_ref::<MessageEvent>()?.data().as_string()
}

impl ServerTab {
    /// `/health` answered (`Some` from `kvstore`) or failed.
    fn found(&mut self, health: Option<Health>) {
        if let Some(health) = &health {
            self.set_html("server-volume", &health.words_html());
        }
        self.presence = match health {
            Some(_) => Presence::Kvstore,
            None => Presence::Absent,
        };
        let kvstore = self.presence == Presence::Kvstore;
        set_body_flag(
            &self.doc,
            "server",
            Some(if kvstore { "kvstore" } else { "absent" }),
        );
        if let Some(absent) = self.el("server-absent") {
            absent.set_inner_html(if kvstore { "" } else { view::ABSENT_HTML });
            set_flag(&absent, "hidden", kvstore);
        }
        if let Some(live) = self.el("server-live") {
            set_flag(&live, "hidden", !kvstore);
        }
        if self.showing {
            self.connect();
        }
    }

    /// Shows or hides the tab; the stream is open only while it shows.
    pub(super) fn show(&mut self, on: bool) {
        if on == self.showing {
            return;
        }
        self.showing = on;
        if let Some(panel) = self.el("server-panel") {
            set_flag(&panel, "hidden", !on);
        }
        set_body_flag(&self.doc, "tab", on.then_some("server"));
        if let Some(link) = self.el("server-open") {
            let _ = if on {
                link.set_attribute("aria-current", "page")
            } else {
                link.remove_attribute("aria-current")
            };
        }
        if on {
            self.connect();
            if let Some(title) = self
                .el("server-title")
                .and_then(|t| t.dyn_into::<HtmlElement>().ok())
            {
                let _ = title.focus();
            }
        } else {
            self.feed = None;
            self.status("idle", "Not connected: the tab is closed.");
        }
    }

    /// `<section data-state>` and the status line.
    pub(super) fn status(&self, state: &str, text: &str) {
        if let Some(panel) = self.el("server-panel") {
            let _ = panel.set_attribute("data-state", state);
        }
        if let Some(line) = self.el("server-status") {
            line.set_text_content(Some(text));
            let tone = match state {
                "live" => "status good",
                "connecting" | "reconnecting" | "looking" => "status pending",
                "closed" | "absent" => "status bad",
                _ => "status",
            };
            let _ = line.set_attribute("class", tone);
        }
    }

    /// Subscribes to `/events`, if the page is a server's and the tab shows.
    fn connect(&mut self) {
        match &self.presence {
            Presence::Unknown => {
                // Whether a `kvstore` serves the page: asked once.
                self.presence = Presence::Looking;
                set_body_flag(&self.doc, "server", Some("looking"));
                self.status("looking", "Looking for the server…");
                spawn_local(async {
                    // Any status: an unavailable store answers 503 with
                    // the same JSON, and is a server all the same.
                    let health = match get("/health").await {
                        Ok((_, text)) => Health::of_kvstore(&text),
                        Err(_) => None,
                    };
                    with_tab(|tab| tab.found(health));
                });
                return;
            }
            Presence::Looking => {
                self.status("looking", "Looking for the server…");
                return;
            }
            Presence::Absent => {
                self.status("absent", "No kvstore server serves this page.");
                return;
            }
            Presence::Kvstore => {}
        }
        if self.feed.is_some() {
            return;
        }
        // This session's timings only: the buffer would otherwise grow for
        // as long as the page lives.
        if let Some(performance) = performance() {
            for name in [
                MEASURE_FIRST_DRAW,
                MEASURE_SEGMENTS,
                MEASURE_STATS,
                MEASURE_RECORDS,
            ] {
                performance.clear_measures_with_measure_name(name);
            }
        }
        mark(MARK_CONNECT);
        self.awaiting_first_draw = true;
        self.merges_before = None;
        let source = match EventSource::new("/events") {
            Ok(source) => source,
            Err(error) => {
                self.status(
                    "closed",
                    &format!("Could not subscribe: {}", describe(&error)),
                );
                return;
            }
        };
        let mut listeners = Vec::new();
        let mut on = |name: &str, handler: fn(&mut ServerTab, &Event)| {
            let closure = Closure::<dyn FnMut(Event)>::new(move |event: Event| {
                with_tab(|tab| handler(tab, &event));
            });
            let _ = source.add_event_listener_with_callback(name, closure.as_ref().unchecked_ref());
            listeners.push(closure);
        };
        on("open", |tab, _| {
            tab.status("live", "Live: every change on the server shows here.");
        });
        on("error", |tab, _| tab.lost());
        // Timed from the event's arrival: taking its text into wasm (a
        // summary of 1,000 segments is 380 KiB) is part of the cost.
        on("stats", |tab, event| {
            mark(MARK_EVENT);
            if let Some(text) = data_of(event) {
                tab.on_stats(&text);
            }
        });
        on("segments", |tab, event| {
            mark(MARK_EVENT);
            if let Some(text) = data_of(event) {
                tab.on_segments(&text);
            }
        });
        on("compaction", |tab, event| {
            if let Some(text) = data_of(event) {
                tab.on_compaction(&text);
            }
        });
        self.feed = Some(Feed {
            source,
            _listeners: listeners,
        });
        self.status("connecting", "Connecting to /events…");
        if self.merges == 0 {
            self.set_html("server-log", &view::empty_log_html(0));
        }
    }

    /// The stream failed: the browser tries again by itself unless the
    /// server refused it (a 503 past its subscriber limit, say).
    fn lost(&mut self) {
        let closed = self
            .feed
            .as_ref()
            .is_some_and(|feed| feed.source.ready_state() == EventSource::CLOSED);
        if closed {
            self.feed = None;
            self.status(
                "closed",
                "The server closed the stream (it may watch too many clients): leave the tab and open it again to retry.",
            );
        } else {
            self.status(
                "reconnecting",
                "Connection lost: reconnecting… (what is drawn is the last state seen)",
            );
            // The next connection starts with the whole picture again.
            self.awaiting_first_draw = true;
            mark(MARK_CONNECT);
        }
    }
}
