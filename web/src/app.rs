//! The playground page: state, event handlers, drawing and flush scheduling.
//!
//! This is the only module that touches the DOM. It keeps one [`Page`] in a
//! thread-local (the browser has one thread, and event handlers need a way
//! back to the state), asks the engine for its [`Layout`] after every change,
//! and hands that to the pure `view`/`render` modules. Drawing is
//! incremental: each segment strip's HTML is remembered and only strips whose
//! HTML changed are replaced, and typing in an input redraws nothing but what
//! that input filters, so a map of 10,000 records stays responsive.
//!
//! ## Flushing
//! The engine runs with `SyncPolicy::Never` (its `EveryMillis` timer needs a
//! thread) and the page decides when to write to IndexedDB: right away when
//! the engine asked for durability (a command's `sync`, a segment rotation, a
//! compaction, a removal), after a short pause when it did not (random
//! writes), and when the page is hidden or closed. One flush runs at a time;
//! a request during one makes it go round again.
//!
//! ## Faults
//! The fault buttons damage the stored bytes behind the engine's back, the
//! way a crash or bit rot would. A store whose bytes changed underneath it
//! is a machine that crashed, so the page stops the store (commands are
//! refused) until the learner presses Reload, which reopens it from
//! IndexedDB and shows what recovery did.

use std::cell::RefCell;
use std::collections::BTreeMap;

use mini_kvstore::{KvStore, Layout, Options, SyncPolicy};
use mini_kvstore_commands::{
    Command, Line, Reply, Sandbox, Text, Tone, execute, execute_without_store, human_bytes,
    parse_line,
};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::spawn_local;
use web_sys::{
    Document, Element, Event, HtmlElement, HtmlInputElement, HtmlSelectElement, KeyboardEvent,
};

use crate::faults::{self, Fault};
use crate::idb::{DATABASE_NAME, Database, IdbError};
use crate::recovery::{KeyDiff, Recovery, snapshot};
use crate::render;
use crate::sample::{RandomWrite, Rng, SAMPLE_LINES};
use crate::storage::IdbStorage;
use crate::view::{self, MapSettings, PlanOverlay};

/// Segment sizes offered in the settings: small, so rotation happens within
/// a few writes.
const SEGMENT_SIZES: [u64; 5] = [256, 512, 1024, 2048, 4096];
const DEFAULT_SEGMENT_SIZE: u64 = 512;
const SEGMENT_SIZE_SETTING: &str = "mini-kvstore.segment-size";
/// How long writes that did not ask for durability wait before a flush, so a
/// burst becomes one transaction (and the learner sees the unflushed count).
const FLUSH_DEBOUNCE_MS: i32 = 800;
/// Index rows drawn at most; the filter finds the rest.
const INDEX_ROWS: usize = 200;
/// Console lines kept; older ones are dropped from the log.
const OUTPUT_LINES: u32 = 600;
/// Width of a strip's label column in CSS pixels (see `style.css`).
const LABEL_PX: i32 = 170;

/// Why the page could not do something.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub(crate) enum PageError {
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

fn browser(error: JsValue) -> PageError {
    PageError::Browser(format!("{error:?}"))
}

/// What a fault button did; while set, the store is stopped.
#[derive(Debug, Clone)]
struct Crash {
    description: String,
    damaged: (u32, u64),
}

/// The flush machinery's state.
#[derive(Debug, Default)]
struct Flushing {
    in_flight: bool,
    again: bool,
    timer: Option<i32>,
    last_error: Option<String>,
}

/// Everything the page knows.
struct Page {
    doc: Document,
    db: Database,
    storage: IdbStorage,
    store: KvStore,
    segment_size: u64,
    /// The layout as last drawn.
    layout: Layout,
    /// The key whose records are highlighted.
    selected_key: Option<Vec<u8>>,
    /// The record clicked last: `(segment, index in the segment)`.
    picked: Option<(u32, usize)>,
    overlay: PlanOverlay,
    /// Each strip's HTML as drawn, in order, so unchanged strips stay.
    drawn: Vec<(u32, String)>,
    strip_px: u32,
    history: Vec<String>,
    history_pos: usize,
    crash: Option<Crash>,
    recovery: Option<Recovery>,
    flushing: Flushing,
    /// A reload or reset is running.
    busy: bool,
    rng: Rng,
    /// Calls [`flush_timer_fired`]; made once.
    flush_callback: js_sys::Function,
}

thread_local! {
    static PAGE: RefCell<Option<Page>> = const { RefCell::new(None) };
}

/// Runs `f` on the page, if it is up and not already borrowed (an event
/// cannot arrive in the middle of another handler, so that never happens).
fn with_page<R>(f: impl FnOnce(&mut Page) -> R) -> Option<R> {
    PAGE.with(|cell| cell.try_borrow_mut().ok()?.as_mut().map(f))
}

fn options(segment_size: u64) -> Options {
    Options::default()
        .max_segment_size(segment_size)
        // No threads in the browser: the page flushes on its own schedule.
        .sync_policy(SyncPolicy::Never)
}

fn element(doc: &Document, id: &'static str) -> Result<Element, PageError> {
    doc.get_element_by_id(id)
        .ok_or(PageError::MissingElement(id))
}

fn input(doc: &Document, id: &'static str) -> Result<HtmlInputElement, PageError> {
    element(doc, id)?
        .dyn_into::<HtmlInputElement>()
        .map_err(|_| PageError::MissingElement(id))
}

/// Calls `handler` for every `event` on the element `id`, for the page's life.
fn listen(
    doc: &Document,
    id: &'static str,
    event: &str,
    handler: impl FnMut(Event) + 'static,
) -> Result<(), PageError> {
    listen_on(&element(doc, id)?.into(), event, handler)
}

fn listen_on(
    target: &web_sys::EventTarget,
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

/// The element an event happened on, or its closest ancestor matching `selector`.
fn event_target(event: &Event, selector: &str) -> Option<Element> {
    event
        .target()?
        .dyn_into::<Element>()
        .ok()?
        .closest(selector)
        .ok()
        .flatten()
}

fn now_ms() -> f64 {
    js_sys::Date::now()
}

/// Starts the page once the module is loaded (trunk calls this).
#[wasm_bindgen(start)]
pub fn start() {
    spawn_local(async {
        if let Err(error) = boot().await {
            show_fatal(&error);
        }
    });
}

fn show_fatal(error: &PageError) {
    web_sys::console::error_1(&JsValue::from_str(&error.to_string()));
    let Some(doc) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    if let Some(banner) = doc.get_element_by_id("banner") {
        banner.set_inner_html(&format!(
            "<b>The playground could not start:</b> {}",
            render::escape(&error.to_string())
        ));
        let _ = banner.remove_attribute("hidden");
    }
    if let Some(body) = doc.body() {
        let _ = body.set_attribute("data-ready", "error");
    }
}

async fn boot() -> Result<(), PageError> {
    let Some(doc) = web_sys::window().and_then(|w| w.document()) else {
        return Ok(());
    };
    // Loaded into another page (the browser test harness): nothing to drive.
    if doc.get_element_by_id("map-strips").is_none() {
        return Ok(());
    }
    if !claim_tab_lock().await {
        return Err(PageError::OtherTab);
    }
    let segment_size = saved_segment_size();
    let db = Database::open(DATABASE_NAME).await?;
    let (storage, loaded) = db.load().await?;
    let store = KvStore::open_with(storage.clone(), options(segment_size))?;
    let layout = store.layout()?;
    let report = store.recovery_report();
    let recovery =
        (!report.is_clean() || !report.removed_segments.is_empty() || !loaded.problems.is_empty())
            .then(|| Recovery {
                report,
                load_problems: loaded.problems.clone(),
                diff: KeyDiff::default(),
            });
    let flush_callback = Closure::<dyn FnMut()>::new(flush_timer_fired)
        .into_js_value()
        .unchecked_into::<js_sys::Function>();

    let page = Page {
        doc: doc.clone(),
        db,
        storage,
        store,
        segment_size,
        layout,
        selected_key: None,
        picked: None,
        overlay: PlanOverlay::Off,
        drawn: Vec::new(),
        strip_px: 600,
        history: Vec::new(),
        history_pos: 0,
        crash: None,
        recovery,
        flushing: Flushing::default(),
        busy: false,
        rng: Rng::new(now_ms() as u64),
        flush_callback,
    };
    PAGE.with(|cell| *cell.borrow_mut() = Some(page));
    wire(&doc)?;
    with_page(|page| {
        if let Ok(select) = element(&page.doc, "segment-size").and_then(|e| {
            e.dyn_into::<HtmlSelectElement>()
                .map_err(|_| PageError::MissingElement("segment-size"))
        }) {
            select.set_value(&page.segment_size.to_string());
        }
        let loaded_line = if loaded.segments == 0 {
            "A fresh, empty store. Try: set hello world — or press “Load sample data”.".to_owned()
        } else {
            format!(
                "Loaded {} segment{} ({}) from IndexedDB; recovery rebuilt the index: {} key{}.",
                loaded.segments,
                if loaded.segments == 1 { "" } else { "s" },
                human_bytes(loaded.bytes),
                page.store.len(),
                if page.store.len() == 1 { "" } else { "s" },
            )
        };
        page.print(&Line::toned(loaded_line, Tone::Muted).into());
        page.print(&Line::toned("Type help for the commands.", Tone::Muted).into());
        page.refresh();
        page.schedule_flush();
        if let Some(body) = page.doc.body() {
            let _ = body.set_attribute("data-ready", "true");
        }
    });
    Ok(())
}

/// Takes the playground's Web Lock for the life of the page, like the
/// engine's lock file: two tabs flushing their own working sets into one
/// database would overwrite each other's chunks. `false` when another tab
/// holds it. Browsers without the Web Locks API get no guard.
async fn claim_tab_lock() -> bool {
    use js_sys::{Function, Object, Promise, Reflect};
    let Some(window) = web_sys::window() else {
        return true;
    };
    let locks = Reflect::get(&window.navigator(), &JsValue::from_str("locks"))
        .ok()
        .filter(|locks| locks.is_object());
    let request = locks.as_ref().and_then(|locks| {
        Reflect::get(locks, &JsValue::from_str("request"))
            .ok()?
            .dyn_into::<Function>()
            .ok()
    });
    let (Some(locks), Some(request)) = (locks, request) else {
        return true;
    };
    // A reload can start before the previous page has let go: ask a few times.
    for _ in 0..20 {
        let granted = Promise::new(&mut |resolve, _| {
            let callback = Closure::once_into_js(move |lock: JsValue| -> JsValue {
                let held = !lock.is_null();
                let _ = resolve.call1(&JsValue::NULL, &JsValue::from_bool(held));
                // Returning a promise that never settles keeps the lock
                // until the page goes away.
                if held {
                    Promise::new(&mut |_, _| {}).into()
                } else {
                    JsValue::UNDEFINED
                }
            });
            let options = Object::new();
            let _ = Reflect::set(&options, &JsValue::from_str("ifAvailable"), &JsValue::TRUE);
            let _ = request.call3(
                &locks,
                &JsValue::from_str(DATABASE_NAME),
                &options,
                &callback,
            );
        });
        let held = wasm_bindgen_futures::JsFuture::from(granted)
            .await
            .ok()
            .and_then(|held| held.as_bool())
            .unwrap_or(true);
        if held {
            return true;
        }
        sleep(100).await;
    }
    false
}

fn saved_segment_size() -> u64 {
    web_sys::window()
        .and_then(|w| w.local_storage().ok().flatten())
        .and_then(|s| s.get_item(SEGMENT_SIZE_SETTING).ok().flatten())
        .and_then(|v| v.parse().ok())
        .filter(|size| SEGMENT_SIZES.contains(size))
        .unwrap_or(DEFAULT_SEGMENT_SIZE)
}

/// Connects every control to its handler.
fn wire(doc: &Document) -> Result<(), PageError> {
    listen(doc, "run", "click", |_| run_command_input())?;
    listen(doc, "command", "keydown", |event| {
        let Some(key) = event.dyn_ref::<KeyboardEvent>().map(KeyboardEvent::key) else {
            return;
        };
        match key.as_str() {
            "Enter" => {
                event.prevent_default();
                run_command_input();
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
    })?;
    listen(doc, "map-strips", "mouseover", |event| {
        if let Some(cell) = event_target(&event, "[data-i]") {
            let id = cell.get_attribute("data-i").unwrap_or_default();
            with_page(|page| page.show_cell_details(&id));
        }
    })?;
    listen(doc, "map-strips", "mouseleave", |_| {
        with_page(|page| page.show_picked_details());
    })?;
    listen(doc, "map-strips", "click", |event| {
        if let Some(cell) = event_target(&event, "[data-i]") {
            let id = cell.get_attribute("data-i").unwrap_or_default();
            with_page(|page| page.pick_cell(&id));
        }
    })?;
    listen(doc, "index", "click", |event| {
        if let Some(row) = event_target(&event, "[data-index-key]") {
            let key = row.get_attribute("data-index-key").unwrap_or_default();
            with_page(|page| page.select_key(key.into_bytes()));
        }
    })?;
    listen(doc, "index-filter", "input", |_| {
        with_page(|page| page.draw_index());
    })?;
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
        with_page(|page| page.inject(FaultKind::Tear));
    })?;
    listen(doc, "fault-flip", "click", |_| {
        with_page(|page| page.inject(FaultKind::Flip));
    })?;
    listen(doc, "reload", "click", |_| spawn_local(reload()))?;
    listen(doc, "reset", "click", |_| spawn_local(reset()))?;
    listen(doc, "segment-size", "change", |event| {
        let value = event
            .target()
            .and_then(|t| t.dyn_into::<HtmlSelectElement>().ok())
            .map(|s| s.value())
            .unwrap_or_default();
        if let Ok(size) = value.parse::<u64>() {
            with_page(|page| page.change_segment_size(size));
        }
    })?;
    let window = web_sys::window().ok_or_else(|| PageError::Browser("no window".into()))?;
    listen_on(&window, "resize", |_| {
        with_page(|page| {
            page.drawn.clear();
            page.draw_map();
        });
    })?;
    // Leaving or hiding the page: write what is in memory while we still can.
    listen_on(doc, "visibilitychange", |_| {
        let hidden = with_page(|page| page.doc.hidden()).unwrap_or(false);
        if hidden {
            spawn_local(flush_task());
        }
    })?;
    listen_on(&window, "pagehide", |_| spawn_local(flush_task()))?;
    Ok(())
}

fn run_command_input() {
    with_page(|page| {
        let Ok(field) = input(&page.doc, "command") else {
            return;
        };
        let line = field.value();
        field.set_value("");
        page.run_line(&line);
    });
}

#[derive(Debug, Clone, Copy)]
enum FaultKind {
    Tear,
    Flip,
}

impl Page {
    // ---- the console -------------------------------------------------

    /// Appends rendered text to the output log.
    fn print(&self, text: &Text) {
        let Ok(output) = element(&self.doc, "output") else {
            return;
        };
        let _ = output.insert_adjacent_html("beforeend", &render::text_html(text));
        while output.child_element_count() > OUTPUT_LINES {
            match output.first_element_child() {
                Some(first) => first.remove(),
                None => break,
            }
        }
        output.set_scroll_top(output.scroll_height());
    }

    fn print_line(&self, text: impl Into<String>, tone: Tone) {
        self.print(&Line::toned(text, tone).into());
    }

    fn echo(&self, line: &str) {
        self.print(
            &Line::toned("> ", Tone::Muted)
                .push(line, Tone::Heading)
                .into(),
        );
    }

    /// Refuses work while a fault has stopped the store or a reload runs.
    fn refuse_if_stopped(&self) -> bool {
        if self.busy {
            self.print_line("One moment: the store is reopening.", Tone::Warning);
            true
        } else if self.crash.is_some() {
            self.print_line(
                "The store is stopped: a fault damaged its bytes, as if the machine had crashed. Press “Reload” to restart it and see what recovery finds.",
                Tone::Warning,
            );
            true
        } else {
            false
        }
    }

    /// Runs one console line: parse with the REPL grammar, execute, show.
    fn run_line(&mut self, line: &str) {
        let line = line.trim();
        if line.is_empty() {
            return;
        }
        self.echo(line);
        if self.history.last().map(String::as_str) != Some(line) {
            self.history.push(line.to_owned());
        }
        self.history_pos = self.history.len();
        let command = match parse_line(line) {
            Ok(Some(command)) => command,
            Ok(None) => return,
            Err(error) => {
                self.print_line(error.to_string(), Tone::Bad);
                return;
            }
        };
        if let Some(reply) = execute_without_store(&command) {
            match reply {
                Ok(Reply::Quit) => self.print_line(
                    "There is nothing to quit here: close the tab whenever you like — your data stays in IndexedDB.",
                    Tone::Muted,
                ),
                Ok(reply) => self.print(&reply.to_text()),
                Err(error) => self.print_line(error.to_string(), Tone::Bad),
            }
            return;
        }
        if self.refuse_if_stopped() {
            return;
        }
        if let Command::Load { .. } = command {
            self.print_line(
                "load reads a file, and a web page has no files to read: try “Load sample data” or “random writes ×100” instead.",
                Tone::Warning,
            );
            return;
        }
        match execute(&self.store, &command, &mut Sandbox) {
            Ok(reply) => self.print(&reply.to_text()),
            Err(error) => self.print_line(format!("error: {error}"), Tone::Bad),
        }
        if command.writes() {
            self.overlay = PlanOverlay::Off;
        }
        self.after_change();
    }

    fn walk_history(&mut self, back: bool) {
        if self.history.is_empty() {
            return;
        }
        self.history_pos = if back {
            self.history_pos.saturating_sub(1)
        } else {
            (self.history_pos + 1).min(self.history.len())
        };
        let line = self
            .history
            .get(self.history_pos)
            .cloned()
            .unwrap_or_default();
        if let Ok(field) = input(&self.doc, "command") {
            field.set_value(&line);
        }
    }

    fn fill_command(&self, template: &str) {
        if let Ok(field) = input(&self.doc, "command") {
            field.set_value(template);
            let _ = field.focus();
        }
    }

    fn load_sample(&mut self) {
        if self.refuse_if_stopped() {
            return;
        }
        self.print_line("# the sample session:", Tone::Muted);
        for line in SAMPLE_LINES {
            self.run_line(line);
        }
    }

    fn random_writes(&mut self, count: usize) {
        if self.refuse_if_stopped() {
            return;
        }
        let writes = self.rng.writes(count);
        let (mut sets, mut deletes, mut missed) = (0, 0, 0);
        let mut failure = None;
        for write in writes {
            let result = match write {
                RandomWrite::Set { key, value } => self.store.set(&key, &value).map(|()| sets += 1),
                RandomWrite::Delete { key } => self.store.delete(&key).map(|found| {
                    if found {
                        deletes += 1;
                    } else {
                        missed += 1;
                    }
                }),
            };
            if let Err(error) = result {
                failure = Some(error);
                break;
            }
        }
        self.echo(&format!("random writes ×{count}"));
        self.print_line(
            format!(
                "{sets} sets and {deletes} deletes on item:00…item:24 ({missed} deletes found no key and wrote nothing). Not synced: watch the unflushed bytes.",
            ),
            Tone::Good,
        );
        if let Some(error) = failure {
            self.print_line(format!("error: {error}"), Tone::Bad);
        }
        self.overlay = PlanOverlay::Off;
        self.after_change();
    }

    // ---- drawing -----------------------------------------------------

    /// After anything that may have changed the store: new layout, redraw,
    /// flush.
    fn after_change(&mut self) {
        self.refresh();
        self.schedule_flush();
    }

    /// Reads the layout again and redraws every panel.
    fn refresh(&mut self) {
        if self.crash.is_none() {
            match self.store.layout() {
                Ok(layout) => self.layout = layout,
                Err(error) => {
                    self.print_line(format!("could not read the layout: {error}"), Tone::Bad)
                }
            }
        }
        // A picked record that moved or vanished is forgotten.
        if let Some((segment, index)) = self.picked {
            let still = view::record_at(&self.layout, segment, index)
                .is_some_and(|r| Some(&r.key) == self.selected_key.as_ref());
            if !still {
                self.picked = None;
            }
        }
        self.draw_map();
        self.draw_index();
        self.draw_stats();
        self.draw_compaction();
        self.draw_faults();
        self.show_picked_details();
    }

    fn map_settings(&self) -> MapSettings {
        MapSettings {
            segment_size: self.segment_size,
            strip_px: self.strip_px,
            selected_key: self.selected_key.clone(),
            overlay: self.overlay,
            damaged: self.crash.as_ref().map(|c| c.damaged),
        }
    }

    /// Redraws the strips whose HTML changed.
    fn draw_map(&mut self) {
        let Ok(container) = element(&self.doc, "map-strips") else {
            return;
        };
        let width = (container.client_width() - LABEL_PX - 8).max(120);
        let strip_px = u32::try_from(width).unwrap_or(600);
        if strip_px != self.strip_px {
            self.strip_px = strip_px;
            self.drawn.clear();
        }
        let view = view::map_view(&self.layout, &self.map_settings());
        let fresh: Vec<(u32, String)> = view
            .strips
            .iter()
            .zip(&self.layout.segments)
            .map(|(strip, segment)| {
                let scale = render::StripScale {
                    bytes: view.scale,
                    segment_size: self.segment_size,
                    px: self.strip_px,
                };
                (strip.id, render::strip_html(strip, segment, scale))
            })
            .collect();
        let same_prefix = self.drawn.len() <= fresh.len()
            && self
                .drawn
                .iter()
                .zip(&fresh)
                .all(|((old, _), (new, _))| old == new);
        if !same_prefix || self.drawn.is_empty() {
            let html: String = fresh.iter().map(|(_, html)| html.as_str()).collect();
            container.set_inner_html(&html);
        } else {
            let children = container.children();
            for (i, ((_, old), (_, new))) in self.drawn.iter().zip(&fresh).enumerate() {
                if old != new
                    && let Some(child) = children.item(i as u32)
                {
                    child.set_outer_html(new);
                }
            }
            for (_, html) in &fresh[self.drawn.len()..] {
                let _ = container.insert_adjacent_html("beforeend", html);
            }
        }
        if fresh.is_empty() {
            container.set_inner_html(r#"<p class="empty">No segments.</p>"#);
        }
        self.drawn = fresh;
    }

    fn draw_index(&self) {
        let Ok(index) = element(&self.doc, "index") else {
            return;
        };
        let filter = input(&self.doc, "index-filter")
            .map(|f| f.value())
            .unwrap_or_default();
        let rows = view::index_rows(&self.layout);
        index.set_inner_html(&render::index_html(
            &rows,
            &filter,
            self.selected_key.as_deref(),
            INDEX_ROWS,
        ));
    }

    fn draw_stats(&self) {
        let stats = self.store.stats();
        let unflushed = self.storage.unflushed_bytes();
        let ratio = stats.dead_ratio();
        let values: [(&str, String); 8] = [
            ("keys", stats.keys.to_string()),
            ("segments", stats.segments.to_string()),
            ("live_bytes", stats.live_bytes.to_string()),
            ("dead_bytes", stats.dead_bytes.to_string()),
            ("total_bytes", stats.total_bytes.to_string()),
            ("unflushed_bytes", unflushed.to_string()),
            ("next_seq", stats.next_seq.to_string()),
            ("dead_ratio", format!("{:.0}", ratio * 100.0)),
        ];
        for (name, value) in values {
            if let Ok(Some(cell)) = self
                .doc
                .query_selector(&format!("#stats [data-stat=\"{name}\"]"))
            {
                cell.set_text_content(Some(&value));
            }
        }
        if let Ok(gauge) = element(&self.doc, "dead-gauge") {
            let _ = gauge.set_attribute(
                "style",
                &format!("width:{:.1}%", (ratio * 100.0).clamp(0.0, 100.0)),
            );
            let class = if ratio >= 0.5 {
                "gauge-fill high"
            } else if ratio >= 0.25 {
                "gauge-fill mid"
            } else {
                "gauge-fill"
            };
            let _ = gauge.set_attribute("class", class);
        }
        self.draw_flush_status();
    }

    fn draw_flush_status(&self) {
        let unflushed = self.storage.unflushed_bytes();
        if let Ok(Some(cell)) = self
            .doc
            .query_selector("#stats [data-stat=\"unflushed_bytes\"]")
        {
            cell.set_text_content(Some(&unflushed.to_string()));
        }
        let Ok(status) = element(&self.doc, "flush-status") else {
            return;
        };
        let (class, text) = if let Some(error) = &self.flushing.last_error {
            ("status bad", format!("IndexedDB write failed: {error}"))
        } else if unflushed > 0 || self.storage.needs_flush() {
            (
                "status pending",
                format!(
                    "{} in memory only — saving to IndexedDB…",
                    human_bytes(unflushed)
                ),
            )
        } else {
            ("status good", "Everything is saved in IndexedDB".to_owned())
        };
        let _ = status.set_attribute("class", class);
        status.set_text_content(Some(&text));
    }

    fn draw_compaction(&self) {
        let (Ok(text), Ok(preview)) = (
            element(&self.doc, "compact-text"),
            element(&self.doc, "compact-preview"),
        ) else {
            return;
        };
        let plan = &self.layout.plan;
        match self.overlay {
            PlanOverlay::Off => {
                text.set_inner_html(
                    r#"<p class="hint">Press <b>Plan</b> to see what compaction would keep before anything happens.</p>"#,
                );
                preview.set_inner_html("");
            }
            PlanOverlay::Plan => {
                text.set_inner_html(&render::plan_html(plan));
                preview.set_inner_html("");
            }
            PlanOverlay::Walk { step } => {
                let outputs = view::walk_outputs(plan, step, self.segment_size);
                let scale = self
                    .layout
                    .segments
                    .iter()
                    .map(|s| s.len)
                    .chain([self.segment_size])
                    .max()
                    .unwrap_or(self.segment_size);
                text.set_inner_html(&format!(
                    "{}{}",
                    render::plan_html(plan),
                    render::walk_html(plan, step, &outputs)
                ));
                preview.set_inner_html(&render::preview_html(&outputs, plan, scale, self.strip_px));
            }
        }
        let walking_done =
            matches!(self.overlay, PlanOverlay::Walk { step } if step >= plan.survivors.len());
        for (id, disabled) in [
            ("compact-step", walking_done),
            ("compact-cancel", self.overlay == PlanOverlay::Off),
        ] {
            if let Ok(button) = element(&self.doc, id) {
                let _ = if disabled {
                    button.set_attribute("disabled", "")
                } else {
                    button.remove_attribute("disabled")
                };
            }
        }
    }

    fn draw_faults(&self) {
        if let Ok(note) = element(&self.doc, "fault-note") {
            match &self.crash {
                Some(crash) => {
                    note.set_inner_html(&format!(
                        r#"<p class="verdict bad">{}</p><p>The store is stopped, as if the machine had crashed right now. Press <b>Reload</b>: the page reopens the store from IndexedDB, and recovery reads every record, checking each CRC.</p>"#,
                        render::escape(&crash.description)
                    ));
                    let _ = note.remove_attribute("hidden");
                }
                None => {
                    note.set_inner_html("");
                    let _ = note.set_attribute("hidden", "");
                }
            }
        }
        if let Ok(panel) = element(&self.doc, "recovery") {
            match &self.recovery {
                Some(recovery) => {
                    panel.set_inner_html(&format!(
                        "<h3>Recovery report</h3>{}",
                        render::recovery_html(recovery)
                    ));
                    let _ = panel.remove_attribute("hidden");
                }
                None => {
                    panel.set_inner_html("");
                    let _ = panel.set_attribute("hidden", "");
                }
            }
        }
        if let Some(body) = self.doc.body() {
            let _ = if self.crash.is_some() {
                body.set_attribute("data-stopped", "true")
            } else {
                body.remove_attribute("data-stopped")
            };
        }
    }

    // ---- the map's details and selection -------------------------------

    fn details(&self, html: &str) {
        if let Ok(details) = element(&self.doc, "details") {
            details.set_inner_html(html);
        }
    }

    /// Shows what the cell `data-i="segment:what"` is.
    fn show_cell_details(&self, id: &str) {
        let Some((segment, what)) = id.split_once(':') else {
            return;
        };
        let Ok(segment) = segment.parse::<u32>() else {
            return;
        };
        if what == "h" {
            self.details(&format!(
                "<p><b>Segment {segment}'s header</b> — 16 bytes: the magic bytes <code>MKVSEG</code>, the format version and whether the log or compaction wrote the segment. A file without them is refused rather than misread.</p>"
            ));
        } else if let Some(offset) = what.strip_prefix('c') {
            self.details(&format!(
                "<p><b>Corrupt bytes</b> at offset {offset} of segment {segment}: no valid record starts here (the CRC check failed). Reads skip them; compaction drops them.</p>"
            ));
        } else if let Ok(index) = what.parse::<usize>()
            && let Some(record) = view::record_at(&self.layout, segment, index)
        {
            self.details(&render::record_details_html(&self.layout, segment, record));
        }
    }

    fn show_picked_details(&self) {
        match self.picked {
            Some((segment, index)) => self.show_cell_details(&format!("{segment}:{index}")),
            None => self.details(
                r#"<p class="hint">Hover over a record to see its bytes: key, value, sequence number, offset, length and CRC. Click one to select its key: every record of that key is outlined, and the one the index points at is marked.</p>"#,
            ),
        }
    }

    /// A click on a map cell: select (or deselect) its record and key.
    fn pick_cell(&mut self, id: &str) {
        let Some((segment, index)) = id
            .split_once(':')
            .and_then(|(s, i)| Some((s.parse::<u32>().ok()?, i.parse::<usize>().ok()?)))
        else {
            return;
        };
        let Some(record) = view::record_at(&self.layout, segment, index) else {
            return;
        };
        if !view::is_data(record) {
            self.show_cell_details(id);
            return;
        }
        if self.picked == Some((segment, index)) {
            self.picked = None;
            self.selected_key = None;
        } else {
            self.selected_key = Some(record.key.clone());
            self.picked = Some((segment, index));
        }
        self.draw_map();
        self.draw_index();
        self.show_picked_details();
    }

    /// A click in the index: select the key and pick its live record.
    fn select_key(&mut self, key: Vec<u8>) {
        if self.selected_key.as_ref() == Some(&key) {
            self.selected_key = None;
            self.picked = None;
        } else {
            self.picked = self.layout.segments.iter().find_map(|segment| {
                segment
                    .records
                    .iter()
                    .position(|r| r.key == key && r.state == mini_kvstore::RecordState::Live)
                    .map(|index| (segment.id.0, index))
            });
            self.selected_key = Some(key);
        }
        self.draw_map();
        self.draw_index();
        self.show_picked_details();
    }

    // ---- compaction --------------------------------------------------

    fn set_overlay(&mut self, overlay: PlanOverlay) {
        if overlay != PlanOverlay::Off && self.refuse_if_stopped() {
            return;
        }
        self.overlay = overlay;
        self.draw_map();
        self.draw_compaction();
    }

    fn step_walk(&mut self) {
        let step = match self.overlay {
            PlanOverlay::Walk { step } => step + 1,
            _ => 1,
        };
        let step = step.min(self.layout.plan.survivors.len());
        self.set_overlay(PlanOverlay::Walk { step });
    }

    // ---- faults ------------------------------------------------------

    fn inject(&mut self, kind: FaultKind) {
        if self.refuse_if_stopped() {
            return;
        }
        let fault: Result<Fault, faults::NoTarget> = match kind {
            FaultKind::Tear => {
                let active = self.layout.segments.iter().find(|s| s.active).map(|s| s.id);
                let bytes = active
                    .and_then(|id| self.storage.segment_bytes(id))
                    .unwrap_or_default();
                faults::tear_last_write(&self.layout, &bytes)
            }
            FaultKind::Flip => {
                let storage = self.storage.clone();
                faults::flip_a_bit(&self.layout, self.picked, |id| storage.segment_bytes(id))
            }
        };
        match fault {
            Ok(fault) => {
                self.storage
                    .put_segment_bytes(fault.segment, fault.bytes.clone());
                self.print_line(format!("# fault: {}", fault.description), Tone::Bad);
                self.crash = Some(Crash {
                    description: fault.description,
                    damaged: (fault.segment.0, fault.record_offset),
                });
                self.overlay = PlanOverlay::Off;
                self.refresh();
                self.schedule_flush();
            }
            Err(reason) => self.print_line(format!("Nothing damaged: {reason}."), Tone::Warning),
        }
    }

    // ---- settings ----------------------------------------------------

    fn change_segment_size(&mut self, size: u64) {
        if !SEGMENT_SIZES.contains(&size) || size == self.segment_size || self.busy {
            return;
        }
        if let Some(storage) = web_sys::window().and_then(|w| w.local_storage().ok().flatten()) {
            let _ = storage.set_item(SEGMENT_SIZE_SETTING, &size.to_string());
        }
        // Reopening over the same in-memory segments keeps every record;
        // only rotation from now on follows the new size.
        match KvStore::open_with(self.storage.clone(), options(size)) {
            Ok(store) => {
                self.store = store;
                self.segment_size = size;
                self.print_line(
                    format!(
                        "# segment size is now {}: new segments fill up at that size.",
                        human_bytes(size)
                    ),
                    Tone::Muted,
                );
            }
            Err(error) => self.print_line(format!("error: {error}"), Tone::Bad),
        }
        self.drawn.clear();
        self.after_change();
    }

    // ---- flushing ----------------------------------------------------

    /// Starts a flush now if the engine asked for durability, else after a
    /// pause; redraws the unflushed count either way.
    fn schedule_flush(&mut self) {
        self.draw_flush_status();
        if self.storage.flush_is_urgent() {
            self.cancel_flush_timer();
            spawn_local(flush_task());
        } else if self.storage.needs_flush() {
            self.cancel_flush_timer();
            if let Some(window) = web_sys::window() {
                self.flushing.timer = window
                    .set_timeout_with_callback_and_timeout_and_arguments_0(
                        &self.flush_callback,
                        FLUSH_DEBOUNCE_MS,
                    )
                    .ok();
            }
        }
    }

    fn cancel_flush_timer(&mut self) {
        if let (Some(timer), Some(window)) = (self.flushing.timer.take(), web_sys::window()) {
            window.clear_timeout_with_handle(timer);
        }
    }
}

fn flush_timer_fired() {
    with_page(|page| page.flushing.timer = None);
    spawn_local(flush_task());
}

/// Flushes until nothing is left; at most one runs at a time (a call while
/// one is running makes that one go round again).
async fn flush_task() {
    loop {
        let claimed = with_page(|page| {
            if page.flushing.in_flight {
                page.flushing.again = true;
                None
            } else {
                page.flushing.in_flight = true;
                Some((page.db.clone(), page.storage.clone()))
            }
        })
        .flatten();
        let Some((db, storage)) = claimed else {
            return;
        };
        let result = db.flush(&storage).await;
        let again = with_page(|page| {
            page.flushing.in_flight = false;
            page.flushing.last_error = result.as_ref().err().map(ToString::to_string);
            page.draw_flush_status();
            let again = std::mem::take(&mut page.flushing.again) || page.storage.flush_is_urgent();
            // A failed flush is retried by the next change, not in a loop.
            again && result.is_ok()
        })
        .unwrap_or(false);
        if !again {
            return;
        }
    }
}

/// Waits for a flush in flight, then flushes whatever is left.
async fn flush_everything() -> Result<(), IdbError> {
    loop {
        let state = with_page(|page| {
            (
                page.flushing.in_flight,
                page.db.clone(),
                page.storage.clone(),
            )
        });
        let Some((in_flight, db, storage)) = state else {
            return Ok(());
        };
        if in_flight {
            sleep(20).await;
            continue;
        }
        if !storage.needs_flush() {
            return Ok(());
        }
        with_page(|page| page.flushing.in_flight = true);
        let result = db.flush(&storage).await;
        with_page(|page| page.flushing.in_flight = false);
        result?;
    }
}

async fn sleep(ms: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        if let Some(window) = web_sys::window() {
            let _ = window.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
        }
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}

fn set_busy(busy: bool) {
    with_page(|page| {
        page.busy = busy;
        if let Some(body) = page.doc.body() {
            let _ = if busy {
                body.set_attribute("data-busy", "true")
            } else {
                body.remove_attribute("data-busy")
            };
        }
    });
}

/// The Reload button: flush, then reopen the store from IndexedDB exactly as
/// a page reload would, and report what recovery did.
async fn reload() {
    let Some(before) = with_page(|page| {
        if page.busy {
            return None;
        }
        page.cancel_flush_timer();
        page.echo("reload");
        Some(snapshot(&page.layout))
    })
    .flatten() else {
        return;
    };
    set_busy(true);
    let result = reopen(before).await;
    set_busy(false);
    with_page(|page| {
        if let Err(error) = result {
            page.print_line(format!("reload failed: {error}"), Tone::Bad);
        }
        page.after_change();
    });
}

async fn reopen(before: BTreeMap<Vec<u8>, u64>) -> Result<(), PageError> {
    flush_everything().await?;
    let Some((db, segment_size)) = with_page(|page| (page.db.clone(), page.segment_size)) else {
        return Ok(());
    };
    let (storage, loaded) = db.load().await?;
    let store = KvStore::open_with(storage.clone(), options(segment_size))?;
    let layout = store.layout()?;
    let report = store.recovery_report();
    let diff = KeyDiff::between(&before, &snapshot(&layout));
    with_page(|page| {
        let clean = report.is_clean() && loaded.problems.is_empty();
        page.print_line(
            format!(
                "Reopened from IndexedDB: {} segment{}, {} record{} read, {} key{}. {}",
                report.segments,
                if report.segments == 1 { "" } else { "s" },
                report.records,
                if report.records == 1 { "" } else { "s" },
                store.len(),
                if store.len() == 1 { "" } else { "s" },
                if clean {
                    "Recovery found nothing to repair."
                } else {
                    "Recovery repaired damage: see the recovery report."
                }
            ),
            if clean { Tone::Good } else { Tone::Warning },
        );
        page.store = store;
        page.storage = storage;
        page.layout = layout;
        page.crash = None;
        page.overlay = PlanOverlay::Off;
        page.picked = None;
        page.recovery = Some(Recovery {
            report,
            load_problems: loaded.problems,
            diff,
        });
        page.drawn.clear();
    });
    Ok(())
}

/// The Reset button: wipe the database and start an empty store.
async fn reset() {
    if with_page(|page| page.busy).unwrap_or(true) {
        return;
    }
    let confirmed = web_sys::window()
        .and_then(|w| w.confirm_with_message("Delete every key and segment?").ok())
        .unwrap_or(false);
    if !confirmed {
        return;
    }
    with_page(|page| {
        page.cancel_flush_timer();
        page.echo("reset");
    });
    set_busy(true);
    let result = wipe().await;
    set_busy(false);
    with_page(|page| {
        match result {
            Ok(()) => page.print_line("The database is empty again.", Tone::Good),
            Err(error) => page.print_line(format!("reset failed: {error}"), Tone::Bad),
        }
        page.after_change();
    });
}

async fn wipe() -> Result<(), PageError> {
    // Let a running flush land first, so it cannot write after the clear.
    while with_page(|page| page.flushing.in_flight).unwrap_or(false) {
        sleep(20).await;
    }
    let Some((db, segment_size)) = with_page(|page| (page.db.clone(), page.segment_size)) else {
        return Ok(());
    };
    db.clear().await?;
    let storage = IdbStorage::new();
    let store = KvStore::open_with(storage.clone(), options(segment_size))?;
    let layout = store.layout()?;
    with_page(|page| {
        page.store = store;
        page.storage = storage;
        page.layout = layout;
        page.crash = None;
        page.recovery = None;
        page.overlay = PlanOverlay::Off;
        page.selected_key = None;
        page.picked = None;
        page.drawn.clear();
    });
    Ok(())
}

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
        stats: page.store.stats(),
        unflushed_bytes: page.storage.unflushed_bytes(),
        recovery: page.recovery.as_ref().map(|r| r.report.clone()),
    })
    .and_then(|state| serde_wasm_bindgen::to_value(&state).ok())
    .unwrap_or(JsValue::NULL)
}

/// Makes `HtmlElement` focus available on inputs without a second import path.
trait Focus {
    fn focus(&self) -> Result<(), JsValue>;
}

impl Focus for HtmlInputElement {
    fn focus(&self) -> Result<(), JsValue> {
        self.unchecked_ref::<HtmlElement>().focus()
    }
}
