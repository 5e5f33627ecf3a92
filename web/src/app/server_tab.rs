//! The Server tab (`#server`): the store of the `kvstore` process that
//! served this page, drawn live — not the page's own store in IndexedDB.
//!
//! The first time the tab opens it asks the page's own origin for
//! `/health` (not at start-up: a page that never opens the tab sends no
//! request a static server would log as a 404); only `kvstore`'s answer (a
//! JSON object with `status` and `volume_id`) makes it a server page
//! (`<body data-server="kvstore">`). Under `trunk serve` or a static
//! server there is none (`data-server="absent"`), and the tab says so
//! plainly.
//!
//! While the tab is open — and only then, since every subscriber costs the
//! server a look at the store every 200 ms — an `EventSource` on
//! `/events` brings `stats`, `segments` (the per-segment summary) and
//! `compaction` events; nothing is polled, and the full `/segments` (every
//! record) is never asked for. Each `segments` event goes through
//! [`DrawnStrips`], which says which strips to insert, remove or change:
//! one element per segment, and a write touches only the active one.
//! Clicking a strip, or Enter on it, lists its records from
//! `/segments/{id}/records`, a page at a time along the server's cursor.
//! One strip at a time is a Tab stop; the arrow keys, Page Up and Down,
//! Home and End move it.
//!
//! Every handler is timed with the User Timing API (`performance.measure`,
//! names starting `server-tab:`): the first draw after connecting, each
//! `segments` and `stats` event, each records page. The developer tools
//! show them, and `tests/e2e/measure-server-tab.mjs` reads them.
//!
//! Like `learn`, the tab keeps its state in a thread-local of its own; it
//! needs nothing of the page's store, so it imports only `dom`, and
//! `events` and `startup` call it.

use std::cell::RefCell;

use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::{JsFuture, spawn_local};
use web_sys::{Document, Element, Event, EventSource, HtmlElement, MessageEvent, Response};

use super::dom::{element, set_body_flag, set_flag};
use crate::clock::utc_offset_minutes;
use crate::expiry::Now;
use crate::render::escape;
use crate::server_view::{
    self as view, CompactionEvent, DrawnStrips, Health, RecordCursor, RecordPage, ServerStats,
    StripChange, Summary,
};

/// The tab's address.
const HASH: &str = "#server";
/// Merges the log keeps.
const LOG_LIMIT: usize = 50;
/// Strips Page Up and Page Down move by.
const PAGE_STRIPS: usize = 10;

/// The names the handlers are timed under (`performance.measure`).
const MEASURE_FIRST_DRAW: &str = "server-tab: first draw";
const MEASURE_SEGMENTS: &str = "server-tab: segments";
const MEASURE_STATS: &str = "server-tab: stats";
const MEASURE_RECORDS: &str = "server-tab: records";
const MARK_CONNECT: &str = "server-tab:connect";
const MARK_EVENT: &str = "server-tab:event";
const MARK_RECORDS: &str = "server-tab:records";

/// Whether the page is a `kvstore` server's.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Presence {
    /// `/health` has not been asked yet.
    Unknown,
    /// It has not answered yet.
    Looking,
    /// It is.
    Kvstore,
    /// It is not.
    Absent,
}

/// The `EventSource` on `/events` and its listeners, which live as long
/// as it does: dropping a `Feed` closes the stream first, so no listener
/// is called after it is gone.
struct Feed {
    source: EventSource,
    _listeners: Vec<Closure<dyn FnMut(Event)>>,
}

impl Drop for Feed {
    fn drop(&mut self) {
        self.source.close();
    }
}

/// The tab's state.
struct ServerTab {
    doc: Document,
    presence: Presence,
    /// The tab is on show.
    showing: bool,
    feed: Option<Feed>,
    strips: DrawnStrips,
    summary: Option<Summary>,
    /// The segment whose records are listed.
    open_segment: Option<u32>,
    /// The strip that is the Tab stop.
    tab_stop: Option<u32>,
    /// The records page on show, and the one Next asks for.
    cursor: Option<RecordCursor>,
    next_cursor: Option<RecordCursor>,
    /// Counts records requests, so an answer to an older one is dropped.
    request: u64,
    /// Merges logged since the tab first connected.
    merges: u64,
    /// Entries in the log (at most [`LOG_LIMIT`]).
    logged: usize,
    /// `stats.compactions` at the first `stats` event after connecting.
    merges_before: Option<u64>,
    /// The first `segments` event after connecting is still to come.
    awaiting_first_draw: bool,
    /// What the stats and the next merge show, to touch only what changed.
    stat_values: Vec<(&'static str, String)>,
    next_html: String,
}

thread_local! {
    static TAB: RefCell<Option<ServerTab>> = const { RefCell::new(None) };
}

/// Runs `f` on the tab, if it is set up (and not already borrowed: every
/// caller is an event handler or a task, never another call in here).
fn with_tab<R>(f: impl FnOnce(&mut ServerTab) -> R) -> Option<R> {
    TAB.with(|cell| cell.try_borrow_mut().ok()?.as_mut().map(f))
}

/// Sets the tab up over `doc`, and opens it if the address is `#server`.
pub(super) fn start(doc: &Document) {
    if element(doc, "server-panel").is_err() {
        return;
    }
    TAB.with(|cell| {
        *cell.borrow_mut() = Some(ServerTab {
            doc: doc.clone(),
            presence: Presence::Unknown,
            showing: false,
            feed: None,
            strips: DrawnStrips::default(),
            summary: None,
            open_segment: None,
            tab_stop: None,
            cursor: None,
            next_cursor: None,
            request: 0,
            merges: 0,
            logged: 0,
            merges_before: None,
            awaiting_first_draw: false,
            stat_values: Vec::new(),
            next_html: String::new(),
        });
    });
    follow_hash();
}

/// The address changed: show the tab at `#server`, hide it elsewhere.
/// `true` when the tab was just left (the page's own panels, hidden
/// meanwhile, have to measure themselves again).
pub(super) fn follow_hash() -> bool {
    let wanted = web_sys::window()
        .and_then(|w| w.location().hash().ok())
        .is_some_and(|hash| hash == HASH);
    with_tab(|tab| {
        let was = tab.showing;
        tab.show(wanted);
        was && !wanted
    })
    .unwrap_or(false)
}

/// A click on a strip, or Enter on it: list segment `id`'s records.
pub(super) fn open_segment(id: u32) {
    with_tab(|tab| tab.open(id));
}

/// A key on strip `id`; `true` when the tab took it (the page should not
/// scroll as well).
pub(super) fn strip_key(id: u32, key: &str) -> bool {
    with_tab(|tab| tab.key(id, key)).unwrap_or(false)
}

/// "Next page".
pub(super) fn next_page() {
    with_tab(|tab| {
        if let Some(cursor) = tab.next_cursor {
            tab.load(cursor);
        }
    });
}

/// "First page".
pub(super) fn first_page() {
    with_tab(|tab| {
        if let Some(segment) = tab.open_segment {
            tab.load(RecordCursor::first(segment));
        }
    });
}

/// "Close": no segment's records listed.
pub(super) fn close_records() {
    with_tab(ServerTab::close_records);
}

/// `GET path` on the page's own origin: the status and the body.
async fn get(path: &str) -> Result<(u16, String), String> {
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

fn describe(error: &JsValue) -> String {
    error
        .as_string()
        .or_else(|| {
            error
                .dyn_ref::<js_sys::Error>()
                .map(|e| String::from(e.message()))
        })
        .unwrap_or_else(|| format!("{error:?}"))
}

fn performance() -> Option<web_sys::Performance> {
    web_sys::window()?.performance()
}

/// Starts a timing: `performance.mark(name)`, replacing the last one.
fn mark(name: &str) {
    if let Some(performance) = performance() {
        performance.clear_marks_with_mark_name(name);
        let _ = performance.mark(name);
    }
}

/// Ends one: `performance.measure(name, start)`.
fn measure(name: &str, start: &str) {
    if let Some(performance) = performance() {
        let _ = performance.measure_with_start_mark(name, start);
    }
}

/// A `MessageEvent`'s text.
fn data_of(event: &Event) -> Option<String> {
    event.dyn_ref::<MessageEvent>()?.data().as_string()
}

impl ServerTab {
    fn el(&self, id: &'static str) -> Option<Element> {
        element(&self.doc, id).ok()
    }

    fn set_html(&self, id: &'static str, html: &str) {
        if let Some(el) = self.el(id) {
            el.set_inner_html(html);
        }
    }

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
    fn show(&mut self, on: bool) {
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
    fn status(&self, state: &str, text: &str) {
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

    fn on_stats(&mut self, text: &str) {
        let stats: ServerStats = match view::parse("a stats event", text) {
            Ok(stats) => stats,
            Err(error) => return self.complain(&error.to_string()),
        };
        if self.merges_before.is_none() {
            self.merges_before = Some(stats.compactions);
            if self.merges == 0 {
                self.set_html("server-log", &view::empty_log_html(stats.compactions));
            }
        }
        let values = view::stat_values(&stats);
        if let Some(grid) = self.el("server-stats") {
            for (name, value) in &values {
                if self
                    .stat_values
                    .iter()
                    .any(|(n, v)| n == name && v == value)
                {
                    continue;
                }
                if let Ok(Some(cell)) =
                    grid.query_selector(&format!(r#"[data-server-stat="{name}"]"#))
                {
                    cell.set_text_content(Some(value));
                }
            }
        }
        self.stat_values = values;
        measure(MEASURE_STATS, MARK_EVENT);
    }

    fn on_segments(&mut self, text: &str) {
        let summary: Summary = match view::parse("a segments event", text) {
            Ok(summary) => summary,
            Err(error) => return self.complain(&error.to_string()),
        };
        let next = view::next_merge_html(&summary);
        if next != self.next_html {
            self.set_html("server-next", &next);
            self.next_html = next;
        }
        if let Some(open) = self.open_segment
            && !summary.segments.iter().any(|s| s.id == open)
        {
            self.set_note(&format!(
                "Segment {open} is gone: a merge removed it (its live records are in the merge's outputs). Pick another strip."
            ));
            self.open_segment = None;
            self.next_cursor = None;
            self.enable_paging();
        }
        self.summary = Some(summary);
        self.draw_strips();
        measure(MEASURE_SEGMENTS, MARK_EVENT);
        if std::mem::take(&mut self.awaiting_first_draw) {
            measure(MEASURE_FIRST_DRAW, MARK_CONNECT);
        }
    }

    fn on_compaction(&mut self, text: &str) {
        let event: CompactionEvent = match view::parse("a compaction event", text) {
            Ok(event) => event,
            Err(error) => return self.complain(&error.to_string()),
        };
        let Some(log) = self.el("server-log") else {
            return;
        };
        if self.merges == 0 {
            log.set_inner_html("");
        }
        self.merges += 1;
        let now = Now {
            millis: js_sys::Date::now() as u64,
            utc_offset_minutes: utc_offset_minutes(),
        };
        let _ = log.insert_adjacent_html(
            "afterbegin",
            &view::compaction_html(&event, self.merges, now),
        );
        self.logged += 1;
        while self.logged > LOG_LIMIT {
            self.logged -= 1;
            if let Some(oldest) = log.last_element_child() {
                oldest.remove();
            }
        }
    }

    fn complain(&self, message: &str) {
        web_sys::console::error_1(&JsValue::from_str(message));
        self.status("live", &format!("Live, but {message}"));
    }

    /// Draws the summary's strips: only what changed.
    fn draw_strips(&mut self) {
        let (Some(summary), Some(container)) = (&self.summary, self.el("server-strips")) else {
            return;
        };
        let strips = view::strips(summary, self.open_segment);
        let changes = self.strips.show(&strips);
        let focused = self
            .doc
            .active_element()
            .filter(|el| container.contains(Some(el)))
            .and_then(|el| el.get_attribute("data-segment"));
        let children = container.children();
        for change in changes {
            match change {
                StripChange::Redraw(html) => container.set_inner_html(&html),
                StripChange::Remove(at) => {
                    if let Some(strip) = children.item(at as u32) {
                        strip.remove();
                    }
                }
                StripChange::Insert(at, html) => {
                    let _ = match children.item(at as u32) {
                        Some(before) => before.insert_adjacent_html("beforebegin", &html),
                        None => container.insert_adjacent_html("beforeend", &html),
                    };
                }
                StripChange::Update(at, attributes) => {
                    if let Some(strip) = children.item(at as u32) {
                        for (name, value) in attributes {
                            let _ = strip.set_attribute(name, &value);
                        }
                    }
                }
                StripChange::Relabel(at, label) => {
                    if let Some(strip) = children.item(at as u32) {
                        strip.set_text_content(Some(&label));
                    }
                }
            }
        }
        let count = view::grouped(self.strips.len() as u64);
        if let Some(shown) = self.el("server-strip-count")
            && shown.text_content().as_deref() != Some(count.as_str())
        {
            shown.set_text_content(Some(&count));
        }
        self.fix_tab_stop(focused.and_then(|id| id.parse().ok()));
    }

    /// One strip is the Tab stop (`tabindex="0"`): the one chosen, else
    /// the first. `refocus` is a strip that had the focus before a redraw.
    fn fix_tab_stop(&mut self, refocus: Option<u32>) {
        let Some(container) = self.el("server-strips") else {
            return;
        };
        let drawn: Vec<u32> = self.strips.ids().collect();
        let stop = self
            .tab_stop
            .filter(|id| drawn.contains(id))
            .or_else(|| drawn.first().copied());
        self.tab_stop = stop;
        if let Ok(Some(old)) = container.query_selector(r#"[tabindex="0"]"#)
            && old.get_attribute("data-segment") != stop.map(|id| id.to_string())
        {
            let _ = old.set_attribute("tabindex", "-1");
        }
        let Some(stop) = stop else {
            return;
        };
        if let Some(strip) = strip_element(&container, stop) {
            let _ = strip.set_attribute("tabindex", "0");
            let lost_focus = self
                .doc
                .active_element()
                .is_none_or(|el| !container.contains(Some(&el)));
            if refocus.is_some()
                && lost_focus
                && let Ok(strip) = strip.dyn_into::<HtmlElement>()
            {
                let _ = strip.focus();
            }
        }
    }

    /// A key on strip `id`.
    fn key(&mut self, id: u32, key: &str) -> bool {
        if key == "Enter" || key == " " {
            self.open(id);
            return true;
        }
        let drawn: Vec<u32> = self.strips.ids().collect();
        let Some(at) = drawn.iter().position(|drawn| *drawn == id) else {
            return false;
        };
        let Some(to) = view::moved(at, drawn.len(), key, PAGE_STRIPS) else {
            return false;
        };
        self.tab_stop = Some(drawn[to]);
        self.fix_tab_stop(None);
        if let Some(strip) = self
            .el("server-strips")
            .and_then(|c| strip_element(&c, drawn[to]))
            .and_then(|s| s.dyn_into::<HtmlElement>().ok())
        {
            let _ = strip.focus();
        }
        true
    }

    /// Lists segment `id`'s records from the first page.
    fn open(&mut self, id: u32) {
        self.open_segment = Some(id);
        self.tab_stop = Some(id);
        self.draw_strips();
        self.load(RecordCursor::first(id));
    }

    fn close_records(&mut self) {
        self.open_segment = None;
        self.cursor = None;
        self.next_cursor = None;
        self.request += 1;
        self.set_note(
            "Click a segment's strip (or Tab to the strips and press Enter) to list its records.",
        );
        self.enable_paging();
        self.draw_strips();
    }

    fn set_note(&self, text: &str) {
        self.set_html(
            "server-records-body",
            &format!(r#"<p class="hint">{}</p>"#, escape(text)),
        );
    }

    /// Asks for the records page at `cursor`.
    fn load(&mut self, cursor: RecordCursor) {
        mark(MARK_RECORDS);
        self.request += 1;
        let request = self.request;
        if let Some(records) = self.el("server-records") {
            let _ = records.set_attribute("data-loading", "true");
        }
        spawn_local(async move {
            let answer = get(&cursor.url()).await;
            with_tab(|tab| tab.show_records(request, cursor, answer));
        });
    }

    fn show_records(
        &mut self,
        request: u64,
        cursor: RecordCursor,
        answer: Result<(u16, String), String>,
    ) {
        if request != self.request {
            return;
        }
        if let Some(records) = self.el("server-records") {
            let _ = records.remove_attribute("data-loading");
        }
        self.next_cursor = None;
        match answer {
            Ok((200, text)) => match view::parse::<RecordPage>("a records page", &text) {
                Ok(page) => {
                    self.set_html("server-records-body", &view::records_html(&page, cursor));
                    self.cursor = Some(cursor);
                    self.next_cursor = cursor.next(&page);
                }
                Err(error) => self.set_note(&error.to_string()),
            },
            Ok((404, _)) => self.set_note(&format!(
                "Segment {} is gone: a merge removed it since. Pick another strip.",
                cursor.segment
            )),
            Ok((status, text)) => self.set_note(&format!(
                "The server answered {status}: {}",
                text.chars().take(200).collect::<String>()
            )),
            Err(error) => self.set_note(&format!("Could not ask the server: {error}")),
        }
        self.enable_paging();
        measure(MEASURE_RECORDS, MARK_RECORDS);
    }

    /// Next is there while more follow; First once past the first page.
    fn enable_paging(&self) {
        let open = self.open_segment.is_some();
        for (id, on) in [
            ("server-next-page", open && self.next_cursor.is_some()),
            (
                "server-first-page",
                open && self.cursor.is_some_and(|c| c.page > 1),
            ),
            ("server-records-close", open),
        ] {
            if let Some(button) = self.el(id) {
                set_flag(&button, "disabled", !on);
            }
        }
    }
}

/// The strip of segment `id` in `container`.
fn strip_element(container: &Element, id: u32) -> Option<Element> {
    container
        .query_selector(&format!(r#"[data-segment="{id}"]"#))
        .ok()
        .flatten()
}
