//! The page's state and what each control does to it.
//!
//! [`Page`] holds the parts of the page — the console, the map, the
//! flusher, the setting — and the [`OpenStore`]. It lives in a thread-local
//! because the browser has one thread and event handlers need a way back to
//! it ([`with_page`]). Every handler that may have changed the store ends in
//! [`Page::after_change`]: read the layout again, redraw, schedule a flush.
//! Replacing the store goes through [`Page::replace_store`] alone.
//!
//! Time changes the store too: a record whose TTL runs out turns dead with
//! no write. While one is counting down, the [`Ticker`] wakes the page
//! (`Page::tick`); when a record is due to expire the tick redraws the way
//! a write does (`after_change` without its flush: nothing was written),
//! and in between it only moves the details panel's countdown on.
//! Whatever changes what is on show ends in `keep_time`, which asks for
//! the next wake-up or for none.
//!
//! The policy panel (`policy`) runs a workload and auto compaction on its
//! own timer; each of its steps hands back an `Outcome` that ends here as
//! any other change does (`settle_policy`), and every redraw lets it
//! choose a merge (`PolicyPanel::check`) before the map is drawn.
//!
//! This module decides; the parts it imports draw and remember. Only the
//! modules above it — `events`, `reopen`, `startup` — import it.

use std::cell::RefCell;

use mini_kvstore_commands::{
    Command, Reply, Sandbox, Tone, execute, execute_without_store, human_bytes, parse_line,
};
use wasm_bindgen::JsValue;
use wasm_bindgen::prelude::wasm_bindgen;
use web_sys::Document;

use super::console::Console;
use super::dom::set_body_flag;
use super::flusher::Flusher;
use super::map::{self, MapPanel};
use super::panels::{self, FlushStatus};
use super::policy::{self, Outcome, PolicyPanel};
use super::settings::SegmentSize;
use super::store::OpenStore;
use super::ticker::Ticker;
use crate::clock::utc_offset_minutes;
use crate::expiry::{self, Now};
use crate::faults::{self, Fault, NoTarget};
use crate::merge_policy::Knob;
use crate::render::map::CellId;
use crate::sample::{RandomWrite, Rng, SAMPLE_LINES};
use crate::view::{self, MapSettings, PlanOverlay};

/// The longest the page waits between looks at the clock while a record
/// counts down: its countdown shows seconds.
const TICK_MS: u64 = 1000;
/// The shortest: a record due already is read again after this, not in a
/// tight loop (the layout read just before may predate its expiry).
const MIN_TICK_MS: u64 = 20;

/// Everything the page knows.
pub(super) struct Page {
    doc: Document,
    console: Console,
    map: MapPanel,
    flusher: Flusher,
    ticker: Ticker,
    segment_size: SegmentSize,
    open: OpenStore,
    /// The cell under the pointer, which the details panel shows.
    hovered: Option<CellId>,
    /// Reload or Reset is replacing the store: commands wait.
    busy: bool,
    rng: Rng,
    /// The policy panel: auto compaction, the workload, the chart.
    policy: PolicyPanel,
    /// Called after the map or the index was drawn: the Learn panel marks
    /// cells and rows again (see [`Page::after_drawing`]).
    drawn: Option<Box<dyn Fn()>>,
}

thread_local! {
    static PAGE: RefCell<Option<Page>> = const { RefCell::new(None) };
}

/// Makes `page` the page [`with_page`] finds.
pub(super) fn install(page: Page) {
    PAGE.with(|cell| *cell.borrow_mut() = Some(page));
}

/// Runs `f` on the page, if it is up and not already borrowed (an event
/// cannot arrive in the middle of another handler, so that never happens).
pub(super) fn with_page<R>(f: impl FnOnce(&mut Page) -> R) -> Option<R> {
    PAGE.with(|cell| cell.try_borrow_mut().ok()?.as_mut().map(f))
}

impl Page {
    /// The page over `doc`, showing `open`.
    pub(super) fn new(
        doc: Document,
        flusher: Flusher,
        segment_size: SegmentSize,
        open: OpenStore,
    ) -> Page {
        Page {
            console: Console::new(doc.clone()),
            policy: PolicyPanel::new(doc.clone(), segment_size.bytes(), || {
                with_page(Page::policy_tick);
            }),
            doc,
            map: MapPanel::default(),
            flusher,
            ticker: Ticker::new(|| {
                with_page(Page::tick);
            }),
            segment_size,
            open,
            hovered: None,
            busy: false,
            rng: Rng::new(js_sys::Date::now() as u64),
            drawn: None,
        }
    }

    /// Calls `hook` after every drawing of the map or the index, for marks
    /// laid over them by a module above this one (the Learn panel's
    /// highlights). It runs while the page is borrowed, so it must not
    /// reach the page.
    pub(super) fn after_drawing(&mut self, hook: impl Fn() + 'static) {
        self.drawn = Some(Box::new(hook));
    }

    fn drew(&self) {
        if let Some(hook) = &self.drawn {
            hook();
        }
    }

    /// The open store.
    pub(super) fn store(&self) -> &OpenStore {
        &self.open
    }

    /// The flusher.
    pub(super) fn flusher(&self) -> &Flusher {
        &self.flusher
    }

    /// The segment size stores open with.
    pub(super) fn segment_size(&self) -> SegmentSize {
        self.segment_size
    }

    /// Puts `open` in place of the store shown now — after a reload, a
    /// reset, a new segment size — and draws it. Everything about the old
    /// store goes with it (see `store`); the map forgets its strips, which
    /// were the old store's.
    pub(super) fn replace_store(&mut self, open: OpenStore) {
        self.open = open;
        self.policy.store_replaced(&self.open);
        self.map.redraw_all();
        self.after_change();
    }

    /// [`replace_store`](Self::replace_store) with a store of `size`
    /// segments — a lesson's, or the learner's own after one — shown in the
    /// setting but not saved as the learner's choice.
    pub(super) fn replace_store_sized(&mut self, open: OpenStore, size: SegmentSize) {
        self.segment_size = size;
        size.show(&self.doc);
        self.replace_store(open);
    }

    /// Whether Reload or Reset is running.
    pub(super) fn is_busy(&self) -> bool {
        self.busy
    }

    /// Marks Reload or Reset as running (`<body data-busy>`), or done.
    pub(super) fn set_busy(&mut self, busy: bool) {
        self.busy = busy;
        set_body_flag(&self.doc, "busy", busy.then_some("true"));
    }

    // ---- the console -------------------------------------------------

    /// Prints one line in one tone.
    pub(super) fn print_line(&self, text: impl Into<String>, tone: Tone) {
        self.console.line(text, tone);
    }

    /// Echoes what a button does as if it had been typed.
    pub(super) fn echo(&self, line: &str) {
        self.console.echo(line);
    }

    /// Refuses work while a fault has stopped the store or a reload runs.
    fn refuse_if_stopped(&self) -> bool {
        if self.busy {
            self.print_line("One moment: the store is reopening.", Tone::Warning);
            true
        } else if self.open.crash.is_some() {
            self.print_line(
                "The store is stopped: a fault damaged its bytes, as if the machine had crashed. Press “Reload” to restart it and see what recovery finds.",
                Tone::Warning,
            );
            true
        } else {
            false
        }
    }

    /// Runs what is in the command field.
    pub(super) fn run_command_input(&mut self) {
        if let Some(line) = self.console.take_input() {
            self.run_line(&line);
        }
    }

    /// Runs one console line: parse with the REPL grammar, execute, show.
    pub(super) fn run_line(&mut self, line: &str) {
        let line = line.trim();
        if line.is_empty() {
            return;
        }
        self.console.echo(line);
        self.console.remember(line);
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
                Ok(reply) => self.console.print(&reply.to_text()),
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
        // A merge is replayed on the map from the layout just before it.
        let before = matches!(command, Command::Compact(_))
            .then(|| self.open.store.layout().ok())
            .flatten();
        match execute(&self.open.store, &command, &mut Sandbox) {
            Ok(reply) => {
                self.console.print(&reply.to_text());
                if let (Reply::Compacted(report), Some(before)) = (&reply, &before) {
                    self.policy.replay_merge(before, report, &self.open);
                }
            }
            Err(error) => self.print_line(format!("error: {error}"), Tone::Bad),
        }
        if command.writes() {
            self.open.overlay = PlanOverlay::Off;
        }
        self.after_change();
    }

    /// ArrowUp (`back`) or ArrowDown in the command field.
    pub(super) fn walk_history(&mut self, back: bool) {
        self.console.walk_history(back);
    }

    /// A command button with a template: fill the field, let the learner finish.
    pub(super) fn fill_command(&self, template: &str) {
        self.console.fill(template);
    }

    /// "Load sample data": the sample session, through the console.
    pub(super) fn load_sample(&mut self) {
        if self.refuse_if_stopped() {
            return;
        }
        self.print_line("# the sample session:", Tone::Muted);
        for line in SAMPLE_LINES {
            self.run_line(line);
        }
    }

    /// "Random writes ×100": straight to the engine, summed up in one line.
    pub(super) fn random_writes(&mut self, count: usize) {
        if self.refuse_if_stopped() {
            return;
        }
        let writes = self.rng.writes(count);
        let (mut sets, mut deletes, mut missed) = (0, 0, 0);
        let mut failure = None;
        let store = &self.open.store;
        for write in writes {
            let result = match write {
                RandomWrite::Set { key, value } => store.set(&key, &value).map(|()| sets += 1),
                RandomWrite::Delete { key } => store.delete(&key).map(|found| {
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
        self.open.overlay = PlanOverlay::Off;
        self.after_change();
    }

    // ---- drawing -----------------------------------------------------

    /// After anything that may have changed the store: read the layout
    /// again, redraw every panel, schedule a flush.
    pub(super) fn after_change(&mut self) {
        self.redraw();
        self.flusher.schedule(&self.open.storage);
    }

    /// Reads the layout again and redraws every panel: after a change, or
    /// when the time alone changed what the engine answers (a record
    /// expired, which writes nothing, so it must not push a pending
    /// flush's debounce back).
    fn redraw(&mut self) {
        if let Err(error) = self.open.reread_layout() {
            self.print_line(format!("could not read the layout: {error}"), Tone::Bad);
        }
        // Auto compaction: the policy may choose a merge now, which the
        // map then shows.
        self.policy.check(&self.open, self.is_stopped());
        self.draw_map();
        self.draw_index();
        panels::draw_stats(
            &self.doc,
            &self.open.store.stats(),
            self.open.storage.unflushed_bytes(),
        );
        self.draw_compaction();
        panels::draw_faults(
            &self.doc,
            self.open.crash.as_ref().map(|c| c.description.as_str()),
            self.open.recovery.as_ref(),
        );
        self.draw_details();
        self.draw_flush_status();
        self.policy.draw(&self.open);
        self.keep_time();
    }

    fn draw_map(&mut self) {
        let settings = MapSettings {
            segment_size: self.segment_size.bytes(),
            strip_px: self.map.strip_px(),
            selected_key: self.open.selection.key().map(<[u8]>::to_vec),
            overlay: self.open.overlay,
            damaged: self.open.crash.as_ref().map(|c| c.damaged),
            policy: self.policy.on_map(&self.open, self.is_stopped()),
        };
        self.map.draw(&self.doc, &self.open.layout, settings);
        self.drew();
    }

    /// Redraws the index (the filter changed).
    pub(super) fn draw_index(&self) {
        map::draw_index(
            &self.doc,
            &self.open.layout,
            &self.open.selection,
            &self.policy.index_repoint(&self.open),
        );
        self.drew();
    }

    /// Redraws every strip (the window's width changed).
    pub(super) fn redraw_map(&mut self) {
        self.map.redraw_all();
        self.draw_map();
    }

    fn draw_compaction(&self) {
        panels::draw_compaction(
            &self.doc,
            &self.open.layout,
            self.open.overlay,
            self.segment_size.bytes(),
            self.map.strip_px(),
        );
    }

    /// Redraws the unflushed bytes and the status line.
    pub(super) fn draw_flush_status(&self) {
        let last_error = self.flusher.last_error();
        panels::draw_flush_status(
            &self.doc,
            &FlushStatus {
                unflushed: self.open.storage.unflushed_bytes(),
                pending: self.open.storage.needs_flush(),
                last_error: last_error.as_deref(),
            },
        );
    }

    // ---- the map's details and selection -------------------------------

    /// The pointer is over the cell named `id`: show what it is.
    pub(super) fn hover_cell(&mut self, id: &str) {
        if let Some(id) = CellId::parse(id) {
            self.hovered = Some(id);
            self.draw_details();
            self.keep_time();
        }
    }

    /// The pointer left the map: back to the picked record.
    pub(super) fn unhover(&mut self) {
        self.hovered = None;
        self.draw_details();
        self.keep_time();
    }

    /// A click on the cell named `id`: select (or deselect) its record and key.
    pub(super) fn click_cell(&mut self, id: &str) {
        let Some(CellId::Record { segment, index }) = CellId::parse(id) else {
            return;
        };
        if self
            .open
            .selection
            .toggle_record(&self.open.layout, segment, index)
        {
            // The click decides what the panel shows (the record, or the
            // hint when it deselected) until the pointer moves on.
            self.hovered = None;
            self.draw_selection();
        }
    }

    /// A click on `key` in the index: select (or deselect) it.
    pub(super) fn click_index_key(&mut self, key: Vec<u8>) {
        self.open.selection.toggle_key(&self.open.layout, key);
        self.draw_selection();
    }

    fn draw_selection(&mut self) {
        self.draw_map();
        self.draw_index();
        self.draw_details();
        self.keep_time();
    }

    /// The details panel: the hovered cell, else the picked record.
    fn draw_details(&self) {
        map::show_details(
            &self.doc,
            &self.open.layout,
            self.now(),
            self.hovered,
            &self.open.selection,
        );
    }

    // ---- time --------------------------------------------------------

    /// The time the page shows the store at.
    fn now(&self) -> Now {
        Now {
            millis: self.open.now(),
            utc_offset_minutes: utc_offset_minutes(),
        }
    }

    /// The record the details panel shows, if it shows one.
    fn shown_record(&self) -> Option<&mini_kvstore::RecordLayout> {
        let layout = &self.open.layout;
        let hovered = match self.hovered {
            Some(CellId::Record { segment, index }) => view::record_at(layout, segment, index),
            _ => None,
        };
        hovered.or_else(|| {
            let (segment, index) = self.open.selection.record()?;
            view::record_at(layout, segment, index)
        })
    }

    /// Asks the ticker for the next look at the clock, or for none when
    /// nothing on show depends on the time. A stopped store keeps its map
    /// as the fault left it, and a reopening one is about to be replaced
    /// (`replace_store` asks again).
    fn keep_time(&self) {
        let next = if self.busy || self.open.crash.is_some() {
            None
        } else {
            expiry::next_change(&self.open.layout, self.shown_record(), self.open.now())
        };
        match next {
            // Lossless: clamped to at most a second.
            Some(ms) => self.ticker.wake_in(ms.clamp(MIN_TICK_MS, TICK_MS) as u32),
            None => self.ticker.stop(),
        }
    }

    /// The ticker fired: when a record is due to expire, read the layout
    /// again and redraw as after a write (it turns dead on the map, leaves
    /// the index, and the stats count its bytes dead; the strip cache
    /// replaces its strip); otherwise move the countdown on.
    fn tick(&mut self) {
        if self.busy || self.open.crash.is_some() {
            return;
        }
        let due = expiry::next_expiry(&self.open.layout).is_some_and(|at| at <= self.open.now());
        if due {
            self.redraw();
        } else {
            self.draw_details();
            self.keep_time();
        }
    }

    // ---- compaction --------------------------------------------------

    /// Shows the plan, the walk, or nothing over the map.
    pub(super) fn set_overlay(&mut self, overlay: PlanOverlay) {
        if overlay != PlanOverlay::Off && self.refuse_if_stopped() {
            return;
        }
        self.open.overlay = overlay;
        self.draw_map();
        self.draw_compaction();
    }

    /// "Step": one more survivor copied in the walk.
    pub(super) fn step_walk(&mut self) {
        let step = match self.open.overlay {
            PlanOverlay::Walk { step } => step + 1,
            _ => 1,
        };
        let step = step.min(self.open.layout.plan.survivors.len());
        self.set_overlay(PlanOverlay::Walk { step });
    }

    // ---- faults ------------------------------------------------------

    /// "Tear the last write".
    pub(super) fn tear_last_write(&mut self) {
        if self.refuse_if_stopped() {
            return;
        }
        let layout = &self.open.layout;
        let bytes = layout
            .segments
            .iter()
            .find(|s| s.active)
            .and_then(|s| self.open.storage.segment_bytes(s.id))
            .unwrap_or_default();
        let fault = faults::tear_last_write(layout, &bytes);
        self.suffer(fault);
    }

    /// "Flip a bit": in the picked record, or the oldest live one.
    pub(super) fn flip_a_bit(&mut self) {
        if self.refuse_if_stopped() {
            return;
        }
        let storage = &self.open.storage;
        let fault = faults::flip_a_bit(&self.open.layout, self.open.selection.record(), |id| {
            storage.segment_bytes(id)
        });
        self.suffer(fault);
    }

    fn suffer(&mut self, fault: Result<Fault, NoTarget>) {
        match fault {
            Ok(fault) => {
                self.print_line(format!("# fault: {}", fault.description), Tone::Bad);
                self.open.suffer(fault);
                self.after_change();
            }
            Err(reason) => self.print_line(format!("Nothing damaged: {reason}."), Tone::Warning),
        }
    }

    // ---- the policy at work ------------------------------------------

    /// Whether the store takes no work now: a reload runs, or a fault
    /// stopped it.
    fn is_stopped(&self) -> bool {
        self.busy || self.open.crash.is_some()
    }

    /// The options every store of the page opens with at segment size
    /// `size`: that size, and the policy panel's compaction policy.
    pub(super) fn store_options(&self, size: SegmentSize) -> mini_kvstore::Options {
        policy::options_for(self.policy.settings(), size)
    }

    /// The policy panel's timer fired.
    fn policy_tick(&mut self) {
        let outcome = self.policy.tick(&self.open, self.is_stopped());
        self.settle_policy(outcome);
    }

    /// A policy-panel control that changes what the panel shows or does
    /// next (never refused).
    pub(super) fn policy_setting(&mut self, control: impl FnOnce(&mut PolicyPanel) -> Outcome) {
        let outcome = control(&mut self.policy);
        self.settle_policy(outcome);
    }

    /// A policy-panel control that works the store (Start, Step, Merge
    /// now, Compare…): refused while it is stopped. `control` gets the
    /// store and the options a second store opens with.
    pub(super) fn policy_action(
        &mut self,
        control: impl FnOnce(&mut PolicyPanel, &OpenStore, mini_kvstore::Options) -> Outcome,
    ) {
        if self.refuse_if_stopped() {
            return;
        }
        let options = self.store_options(self.segment_size);
        let outcome = control(&mut self.policy, &self.open, options);
        self.settle_policy(outcome);
    }

    fn settle_policy(&mut self, outcome: Outcome) {
        for (line, tone) in outcome.lines {
            self.print_line(line, tone);
        }
        if outcome.wrote {
            self.open.overlay = PlanOverlay::Off;
            self.after_change();
        } else if outcome.redraw {
            self.redraw();
        }
    }

    /// A merge mark on the chart is hovered or focused.
    pub(super) fn show_merge(&self, id: &str) {
        self.policy.show_merge(id);
    }

    /// A policy slider moves: show the value it would set.
    pub(super) fn move_policy_knob(&self, knob: Knob, value: u32) {
        self.policy
            .knob_moves(knob, value, self.segment_size.bytes());
    }

    /// A policy slider was let go at `value`. The policy is an option a
    /// store opens with, so the store is opened again over the same
    /// in-memory segments with the new one (every record stays), as for a
    /// new segment size.
    pub(super) fn change_policy(&mut self, knob: Knob, value: u32) {
        let bytes = self.segment_size.bytes();
        let Some(settings) = self.policy.propose(knob, value, bytes) else {
            return;
        };
        if self.refuse_if_stopped() {
            self.policy.show_knobs(bytes);
            return;
        }
        let options = policy::options_for(settings, self.segment_size);
        match OpenStore::open_with(self.open.storage.clone(), options) {
            Ok(mut open) => {
                self.policy.adopt(settings, bytes);
                open.recovery = self.open.recovery.take();
                self.print_line(
                    format!(
                        "# {} is now {}: the store was opened again with the new policy.",
                        knob.name(),
                        knob.show(settings.get(knob), bytes)
                    ),
                    Tone::Muted,
                );
                self.replace_store(open);
            }
            Err(error) => {
                self.print_line(format!("error: {error}"), Tone::Bad);
                self.policy.show_knobs(bytes);
            }
        }
    }

    // ---- settings ----------------------------------------------------

    /// The segment size `<select>` changed to `value`.
    pub(super) fn change_segment_size(&mut self, value: &str) {
        let Some(size) = SegmentSize::parse(value) else {
            self.segment_size.show(&self.doc);
            return;
        };
        if size == self.segment_size {
            return;
        }
        // Reopening a stopped store would run recovery over the damage
        // without showing its report; Reload is the way out of a fault.
        if self.refuse_if_stopped() {
            self.segment_size.show(&self.doc);
            return;
        }
        // Reopening over the same in-memory segments keeps every record;
        // only rotation from now on follows the new size.
        match OpenStore::open_with(self.open.storage.clone(), self.store_options(size)) {
            Ok(mut open) => {
                size.save();
                self.segment_size = size;
                // The same bytes, so nothing new to report: the last
                // reload's report stays on show.
                open.recovery = self.open.recovery.take();
                self.print_line(
                    format!(
                        "# segment size is now {}: new segments fill up at that size.",
                        human_bytes(size.bytes())
                    ),
                    Tone::Muted,
                );
                self.replace_store(open);
            }
            Err(error) => {
                self.print_line(format!("error: {error}"), Tone::Bad);
                self.segment_size.show(&self.doc);
            }
        }
    }
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
        stats: page.open.store.stats(),
        unflushed_bytes: page.open.storage.unflushed_bytes(),
        recovery: page.open.recovery.as_ref().map(|r| r.report.clone()),
    })
    .and_then(|state| serde_wasm_bindgen::to_value(&state).ok())
    .unwrap_or(JsValue::NULL)
}
