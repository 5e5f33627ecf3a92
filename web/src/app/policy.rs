//! The policy panel, "The policy at work": auto compaction and the policy's
//! sliders, the workload runner, the merge on show, the chart over time,
//! and the side-by-side demo's second store (through `side_by_side`).
//!
//! There are no threads in the browser, so "auto compaction" is this
//! panel calling `KvStore::compact_by_policy` itself: after anything that
//! changed the store ([`PolicyPanel::check`], which the page calls on every
//! redraw), when the policy's plan has a merge, the panel marks its inputs
//! on the map for a moment ([`MergeStage`]) while the workload goes on
//! writing to the active segment, then runs it. A merge therefore runs a
//! little after the policy chose it; the chosen inputs stay chosen (no
//! second merge is chosen meanwhile).
//!
//! Every merge the page runs — this panel's, and the console's `compact`
//! (which the lessons and Apply use), handed over by the page
//! ([`PolicyPanel::replay_merge`]) — is then replayed on the map
//! ([`MergeReplay`]): its outputs fill in while its inputs are still drawn
//! and the index still points into them, the index rows move to the
//! copies a few keys a step, and the inputs go. The engine did all of it
//! in one call; the replay is drawn from the layouts before and after, so
//! writes go on landing in the active segment meanwhile. A line over the
//! map (`#merge-status`) says which step is on show.
//!
//! The workload runs on a second [`Ticker`] (the type is a plain one-shot
//! timer; the page's own one keeps the time for expiring records): every
//! [`TICK_MS`] while it runs, and at a merge's next stage. Each tick runs
//! what the [`Pace`] says is due on the page's store and on the second
//! store, lets the second store merge by its own policy, and samples both
//! into their [`Series`]. The chart's clock is the time the workload has
//! run (a pause stops it), so a pause leaves no gap in the lines.
//!
//! The policy is an option a store is opened with, and the engine has no
//! setter for it: a slider that is let go reopens the store over the same
//! in-memory segments with the new policy (the page does it, through
//! `Page::replace_store`, as for a new segment size). The engine's
//! since-open counters start again then; the series carries them over.
//!
//! Like `flusher` and `ticker`, this module never reaches the page: the
//! page calls it and acts on the [`Outcome`] it returns.

use std::collections::BTreeMap;

use mini_kvstore::{CompactionReport, Layout, Options, PolicyPlan};
use mini_kvstore_commands::Tone;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{Document, Element};

use super::dom::{element, input, select, set_flag};
use super::settings::SegmentSize;
use super::side_by_side::SideBySide;
use super::store::OpenStore;
use super::ticker::Ticker;
use crate::comparison::ComparePolicy;
use crate::merge_policy::{Knob, MergeStage, PolicyOnMap, PolicySettings};
use crate::merge_replay::{MergeReplay, RowRepoint};
use crate::render::chart::{self, ChartRun, LineStyle};
use crate::render::policy as words;
use crate::series::Series;
use crate::workload::{Generator, Pace, Workload, WorkloadKind};

/// How often the workload ticks while it runs.
pub(super) const TICK_MS: u64 = 200;
/// The soonest the timer is asked to fire.
const MIN_WAKE_MS: u64 = 10;
/// The rate the slider starts at.
const DEFAULT_RATE: u32 = 20;
/// The line over the map about a merge being replayed.
const MERGE_STATUS: &str = "merge-status";

/// What the page has to do after the panel acted.
#[derive(Default)]
pub(super) struct Outcome {
    /// The store changed: redraw and schedule a flush.
    pub(super) wrote: bool,
    /// Only what is on show changed: redraw.
    pub(super) redraw: bool,
    /// Lines for the console.
    pub(super) lines: Vec<(String, Tone)>,
}

impl Outcome {
    fn redraw() -> Outcome {
        Outcome {
            redraw: true,
            ..Outcome::default()
        }
    }

    fn line(&mut self, text: impl Into<String>, tone: Tone) {
        self.lines.push((text.into(), tone));
    }
}

/// The options a store of segment size `size` opens with under `settings`.
pub(super) fn options_for(settings: PolicySettings, size: SegmentSize) -> Options {
    size.options()
        .compaction_policy(settings.policy(size.bytes()))
}

/// The panel's state.
pub(super) struct PolicyPanel {
    doc: Document,
    settings: PolicySettings,
    auto: bool,
    workload: Workload,
    generator: Generator,
    pace: Pace,
    running: bool,
    /// `Date.now()` at the last tick while running.
    last_tick: f64,
    /// The chart's clock: ms the workload has run.
    run_ms: u64,
    /// Operations the workload ran since the chart started.
    ops: u64,
    /// The page's store over time.
    series: Series,
    side: SideBySide,
    stage: MergeStage,
    /// `Stats::compactions` when last looked at: more means a merge the
    /// panel did not run (the console's `compact`, Apply), for the chart.
    seen_merges: u64,
    /// The policy's plan as last read for the map, for the words.
    plan: Option<PolicyPlan>,
    timer: Ticker,
}

fn now() -> u64 {
    js_sys::Date::now() as u64
}

impl PolicyPanel {
    /// The panel over `doc`, for a store of `segment_size` bytes a
    /// segment; `wake` is called when its timer fires.
    pub(super) fn new(doc: Document, segment_size: u64, wake: impl Fn() + 'static) -> PolicyPanel {
        let workload = Workload::default();
        let panel = PolicyPanel {
            doc,
            settings: PolicySettings::default(),
            auto: false,
            workload,
            generator: Generator::new(workload, now()),
            pace: Pace::new(DEFAULT_RATE),
            running: false,
            last_tick: 0.0,
            run_ms: 0,
            ops: 0,
            series: Series::new(),
            side: SideBySide::default(),
            stage: MergeStage::default(),
            seen_merges: 0,
            plan: None,
            timer: Ticker::new(wake),
        };
        panel.show_knobs(segment_size);
        panel
    }

    /// The settings the page's stores open with.
    pub(super) fn settings(&self) -> PolicySettings {
        self.settings
    }

    // ---- the store -----------------------------------------------------

    /// A new store is in place (reload, reset, a new segment size or
    /// policy): its merges are counted from its own, and a merge chosen
    /// in the old one is forgotten.
    pub(super) fn store_replaced(&mut self, open: &OpenStore) {
        self.seen_merges = open.store.stats().compactions;
        self.stage = MergeStage::default();
        self.plan = None;
        // A store opened elsewhere with the default policy (a lesson's):
        // the sliders show what is in force, not what was asked before.
        let size = open.store.options().get_max_segment_size();
        let defaults = PolicySettings::default();
        if open.store.compaction_policy() != &self.settings.policy(size)
            && open.store.compaction_policy() == &defaults.policy(size)
        {
            self.settings = defaults;
        }
        // The byte settings are shares of the segment size, which may
        // have changed.
        self.show_knobs(size);
    }

    /// After anything that may have changed what the policy sees: with
    /// auto compaction on and no merge chosen yet, asks the policy and,
    /// if it has a merge, chooses it (the map marks its inputs; it runs
    /// a moment later).
    pub(super) fn check(&mut self, open: &OpenStore, stopped: bool) {
        if stopped {
            self.stage = MergeStage::default();
            return;
        }
        if self.auto && !self.stage.is_chosen() {
            self.choose(open);
        }
    }

    /// Chooses the policy's next merge, if it has one; whether it did.
    fn choose(&mut self, open: &OpenStore) -> bool {
        let plan = open.store.policy_plan();
        let inputs = plan.selected();
        if inputs.is_empty() {
            return false;
        }
        self.stage.choose(inputs.iter().map(|id| id.0), now());
        self.keep_going();
        true
    }

    /// What the map draws of the policy (nothing while the store is
    /// stopped: its map shows the layout the fault left).
    pub(super) fn on_map(&mut self, open: &OpenStore, stopped: bool) -> Option<PolicyOnMap> {
        if stopped {
            self.plan = None;
            return None;
        }
        let plan = open.store.policy_plan();
        let mut map = PolicyOnMap::of(&plan, open.store.compaction_policy());
        self.stage.show_on(&mut map, now(), &open.layout);
        self.plan = Some(plan);
        Some(map)
    }

    /// What the index rows show of a merge being replayed, by key.
    pub(super) fn index_repoint(&self, open: &OpenStore) -> BTreeMap<Vec<u8>, RowRepoint> {
        self.stage
            .replay()
            .map(|replay| replay.rows(now(), &open.layout))
            .unwrap_or_default()
    }

    /// A merge ran outside the panel (the console's `compact`): replay it
    /// on the map, from the layout `before` it. A merge the policy had
    /// chosen is no longer to come: the store merged already.
    pub(super) fn replay_merge(
        &mut self,
        before: &Layout,
        report: &CompactionReport,
        open: &OpenStore,
    ) {
        if let Ok(after) = open.store.layout() {
            self.stage
                .ran(MergeReplay::of(before, report, &after, now()));
        }
        self.keep_going();
    }

    /// Runs the chosen merge now, and replays it from the layouts just
    /// before and after.
    fn run_merge(&mut self, open: &OpenStore, asked: bool, out: &mut Outcome) {
        self.stage.unchoose();
        let before = open.store.layout();
        match open.store.compact_by_policy() {
            Ok(Some(report)) => {
                self.seen_merges += 1;
                if asked || !self.running {
                    out.line(words::merge_line(&report), Tone::Good);
                }
                if let (Ok(before), Ok(after)) = (&before, open.store.layout()) {
                    self.stage
                        .ran(MergeReplay::of(before, &report, &after, now()));
                }
                self.series.merge(self.run_ms, report);
                self.series.record(self.run_ms, &open.store.stats());
                out.wrote = true;
            }
            Ok(None) => {
                if asked {
                    out.line(
                        "Nothing to merge: since it was chosen, no segment meets a trigger any more.",
                        Tone::Muted,
                    );
                }
                out.redraw = true;
            }
            Err(error) => {
                out.line(format!("compaction failed: {error}"), Tone::Bad);
                out.redraw = true;
            }
        }
        self.keep_going();
    }

    // ---- the timer -------------------------------------------------------

    /// The timer fired: the workload's due operations, the merge's next
    /// stage, the second store, the samples.
    pub(super) fn tick(&mut self, open: &OpenStore, stopped: bool) -> Outcome {
        let mut out = Outcome::default();
        if stopped {
            if self.running {
                self.running = false;
                out.line(
                    "The workload paused: the store is stopped or reopening.",
                    Tone::Warning,
                );
            }
            self.stage = MergeStage::default();
            self.draw_controls();
            self.keep_going();
            return out;
        }
        if self.running {
            let at = js_sys::Date::now();
            let elapsed = (at - self.last_tick).max(0.0) as u64;
            self.last_tick = at;
            self.run_ms += elapsed;
            let due = self.pace.due(elapsed);
            self.run_ops(open, due, &mut out);
        }
        let at = now();
        if self.stage.due(at) {
            self.run_merge(open, false, &mut out);
        }
        if self.stage.advance(at) {
            // The replay moved on a step: the map, the index and the line
            // over them show it.
            out.redraw = true;
        }
        self.sample(open, &mut out);
        if !out.wrote && !out.redraw {
            // Nothing for the page to redraw; the lines still move on.
            self.draw_chart();
            self.draw_numbers(open);
        }
        self.keep_going();
        out
    }

    /// Asks the timer for the next tick, the merge's next stage, or
    /// nothing.
    fn keep_going(&self) {
        let at = now();
        let stage = self.stage.wake_at(at).map(|due| due.saturating_sub(at));
        let tick = self.running.then_some(TICK_MS);
        match [stage, tick].into_iter().flatten().min() {
            Some(ms) => self
                .timer
                .wake_in(u32::try_from(ms.max(MIN_WAKE_MS)).unwrap_or(u32::MAX)),
            None => self.timer.stop(),
        }
    }

    /// Runs `count` operations of the workload on both stores.
    fn run_ops(&mut self, open: &OpenStore, count: usize, out: &mut Outcome) {
        if count == 0 {
            return;
        }
        let ops = self.generator.ops(count);
        for op in &ops {
            if let Err(error) = op.apply(&open.store) {
                self.running = false;
                out.line(format!("The workload stopped: {error}"), Tone::Bad);
                break;
            }
        }
        self.ops += count as u64;
        out.wrote = true;
        if let Some(second) = self.side.comparison()
            && let Err(error) = second.apply(&ops)
        {
            self.side.stop();
            out.line(format!("The second store failed: {error}"), Tone::Bad);
        }
    }

    /// Samples both stores, after the second one ran its merges.
    fn sample(&mut self, open: &OpenStore, out: &mut Outcome) {
        if let Some(second) = self.side.comparison_mut()
            && let Err(error) = second.settle(self.run_ms)
        {
            self.side.stop();
            out.line(format!("The second store failed: {error}"), Tone::Bad);
        }
        self.series.record(self.run_ms, &open.store.stats());
    }

    // ---- the controls ------------------------------------------------------

    /// The auto compaction switch.
    pub(super) fn set_auto(&mut self, on: bool) -> Outcome {
        self.auto = on;
        if !on {
            self.stage.unchoose();
        }
        Outcome::redraw()
    }

    /// A slider moves (not let go yet): show the value it would set.
    pub(super) fn knob_moves(&self, knob: Knob, value: u32, segment_size: u64) {
        let shown = self.settings.with(knob, value);
        self.show_knob(knob, shown.get(knob), segment_size);
    }

    /// A slider was let go at `value`: the settings it makes, if they
    /// differ (the page reopens the store with them, then calls
    /// [`adopt`](Self::adopt)).
    pub(super) fn propose(
        &self,
        knob: Knob,
        value: u32,
        segment_size: u64,
    ) -> Option<PolicySettings> {
        let proposed = self.settings.with(knob, value);
        if proposed == self.settings {
            // Snapped back to where it was: show that.
            self.show_knobs(segment_size);
            return None;
        }
        Some(proposed)
    }

    /// The store now runs `settings`.
    pub(super) fn adopt(&mut self, settings: PolicySettings, segment_size: u64) {
        self.settings = settings;
        self.show_knobs(segment_size);
    }

    /// Puts every slider back where the settings are.
    pub(super) fn show_knobs(&self, segment_size: u64) {
        for knob in Knob::ALL {
            let value = self.settings.get(knob);
            if let Ok(Some(slider)) = self.doc.query_selector(&format!(
                r#"#policy-knobs input[data-knob="{}"]"#,
                knob.name()
            )) && let Ok(slider) = slider.dyn_into::<web_sys::HtmlInputElement>()
            {
                let (min, max, step) = knob.range();
                let _ = slider.set_attribute("min", &min.to_string());
                let _ = slider.set_attribute("max", &max.to_string());
                let _ = slider.set_attribute("step", &step.to_string());
                slider.set_value(&value.to_string());
            }
            self.show_knob(knob, value, segment_size);
        }
        if let Ok(bound) = element(&self.doc, "policy-bound") {
            bound.set_inner_html(&words::bound_html(&self.settings, segment_size));
        }
    }

    fn show_knob(&self, knob: Knob, value: u32, segment_size: u64) {
        let text = knob.show(value, segment_size);
        if let Ok(Some(output)) = self.doc.query_selector(&format!(
            r#"#policy-knobs [data-knob-value="{}"]"#,
            knob.name()
        )) {
            output.set_text_content(Some(&text));
        }
        if let Ok(Some(slider)) = self.doc.query_selector(&format!(
            r#"#policy-knobs input[data-knob="{}"]"#,
            knob.name()
        )) {
            let _ = slider.set_attribute("aria-valuetext", &text);
        }
    }

    /// The workload `<select>` or the expiring switch changed.
    pub(super) fn set_workload(&mut self, kind: Option<WorkloadKind>, expiring: Option<bool>) {
        if let Some(kind) = kind {
            self.workload.kind = kind;
        }
        if let Some(expiring) = expiring {
            self.workload.expiring = expiring;
        }
        self.generator = Generator::new(self.workload, now());
        self.draw_controls();
    }

    /// The rate slider moved.
    pub(super) fn set_rate(&mut self, rate: u32) {
        self.pace = Pace::new(rate);
        self.draw_controls();
    }

    /// Start.
    pub(super) fn start(&mut self) -> Outcome {
        if !self.running {
            self.running = true;
            self.last_tick = js_sys::Date::now();
        }
        self.keep_going();
        Outcome::redraw()
    }

    /// Pause.
    pub(super) fn pause(&mut self) -> Outcome {
        self.running = false;
        self.keep_going();
        Outcome::redraw()
    }

    /// Step: one operation, and the chart's clock one operation's time on.
    pub(super) fn step(&mut self, open: &OpenStore) -> Outcome {
        let mut out = Outcome::default();
        self.run_ms += 1000 / u64::from(self.pace.rate());
        self.run_ops(open, 1, &mut out);
        self.sample(open, &mut out);
        out
    }

    /// "Merge now": the policy's next merge, shown as auto compaction
    /// shows it (or straight away when one is chosen already).
    pub(super) fn merge_now(&mut self, open: &OpenStore) -> Outcome {
        if self.stage.is_chosen() {
            let mut out = Outcome::default();
            self.run_merge(open, true, &mut out);
            return out;
        }
        let mut out = Outcome::redraw();
        if !self.choose(open) {
            out.line(
                "Nothing to merge: no sealed segment meets a trigger (see “Next merge” in the policy panel).",
                Tone::Muted,
            );
        }
        out
    }

    /// "Clear chart": the chart starts again now (and so does the second
    /// store, from a fresh copy, if the demo is on).
    pub(super) fn clear_chart(&mut self, open: &OpenStore, options: Options) -> Outcome {
        self.restart_chart(open);
        let mut out = Outcome::redraw();
        if self.side.comparison().is_some() {
            self.start_comparison(open, options, &mut out);
        }
        out
    }

    fn restart_chart(&mut self, open: &OpenStore) {
        self.series = Series::new();
        self.run_ms = 0;
        self.ops = 0;
        self.series.record(0, &open.store.stats());
        if let Ok(details) = element(&self.doc, "policy-merge") {
            details.set_inner_html(chart::MERGE_HINT);
        }
    }

    /// "Compare side by side": a second store from a copy of this one, and
    /// the chart starts again for both.
    pub(super) fn compare(&mut self, open: &OpenStore, options: Options) -> Outcome {
        let mut out = Outcome::redraw();
        self.restart_chart(open);
        self.start_comparison(open, options, &mut out);
        out
    }

    fn start_comparison(&mut self, open: &OpenStore, options: Options, out: &mut Outcome) {
        match self.side.start(open, options, self.settings) {
            Ok(()) => {
                if let Some(second) = self.side.comparison_mut() {
                    let _ = second.settle(0);
                }
            }
            Err(error) => out.line(
                format!("Could not start the second store: {error}"),
                Tone::Bad,
            ),
        }
    }

    /// "Stop comparing".
    pub(super) fn stop_comparing(&mut self) -> Outcome {
        self.side.stop();
        Outcome::redraw()
    }

    /// The comparison `<select>` changed: restarts a demo that is on.
    pub(super) fn choose_comparison(
        &mut self,
        name: &str,
        open: &OpenStore,
        options: Options,
    ) -> Outcome {
        if !self.side.choose(name) {
            return Outcome::redraw();
        }
        if self.side.comparison().is_some() {
            return self.compare(open, options);
        }
        Outcome::redraw()
    }

    /// The window's width changed: the chart follows.
    pub(super) fn resized(&self) -> Outcome {
        self.draw_chart();
        Outcome::default()
    }

    /// A merge mark is hovered or focused: show its report.
    pub(super) fn show_merge(&self, id: &str) {
        let Some((run, n)) = chart::parse_merge_id(id) else {
            return;
        };
        let (name, series) = match run {
            "a" => (self.name_a(), &self.series),
            "b" => match self.side.comparison() {
                Some(second) => (self.name_b(second.settings()), second.series()),
                None => return,
            },
            _ => return,
        };
        if let (Some(event), Ok(details)) =
            (series.merges().get(n), element(&self.doc, "policy-merge"))
        {
            details.set_inner_html(&chart::merge_report_html(&name, n, event));
        }
    }

    // ---- drawing -----------------------------------------------------------

    fn name_a(&self) -> String {
        let policy = ComparePolicy::describe(self.auto.then_some(self.settings));
        format!("A · this page's store, {policy}")
    }

    fn name_b(&self, settings: Option<PolicySettings>) -> String {
        format!("B · in memory, {}", ComparePolicy::describe(settings))
    }

    /// Everything the panel shows, after the page redrew the map (which
    /// read the policy's plan).
    pub(super) fn draw(&mut self, open: &OpenStore) {
        self.notice_other_merges(open);
        if let Ok(next) = element(&self.doc, "policy-next") {
            let html = match &self.plan {
                Some(plan) => words::next_choice_html(plan, &self.settings, self.auto),
                None => r#"<p data-next="stopped">The store is stopped: no merge until it is reloaded.</p>"#.to_owned(),
            };
            next.set_inner_html(&html);
        }
        self.draw_numbers(open);
        self.draw_chart();
        self.draw_controls();
        self.draw_merge_status(open);
    }

    /// The line over the map that says which step of a merge's replay is
    /// on show (hidden when none is). It is the page's own element, made
    /// the first time it is needed: only the replay writes in it.
    fn draw_merge_status(&self, open: &OpenStore) {
        let html = self
            .stage
            .replay()
            .and_then(|replay| words::merge_status_html(replay, now(), &open.layout));
        let status = match self.doc.get_element_by_id(MERGE_STATUS) {
            Some(status) => status,
            None if html.is_none() => return,
            None => {
                let (Ok(status), Ok(strips)) = (
                    self.doc.create_element("div"),
                    element(&self.doc, "map-strips"),
                ) else {
                    return;
                };
                status.set_id(MERGE_STATUS);
                let _ = status.set_attribute("role", "status");
                let _ = status.set_attribute("aria-live", "polite");
                let _ = strips.before_with_node_1(&status);
                status
            }
        };
        set_flag(&status, "hidden", html.is_none());
        status.set_inner_html(html.as_deref().unwrap_or_default());
    }

    /// A merge the panel did not run (the console's `compact`, Apply)
    /// goes on the chart too.
    fn notice_other_merges(&mut self, open: &OpenStore) {
        let merges = open.store.stats().compactions;
        if merges > self.seen_merges {
            let new = usize::try_from(merges - self.seen_merges).unwrap_or(usize::MAX);
            let recent = open.store.recent_compactions();
            for report in recent.iter().skip(recent.len().saturating_sub(new)) {
                self.series.merge(self.run_ms, report.clone());
            }
            self.series.record(self.run_ms, &open.store.stats());
        }
        self.seen_merges = merges;
    }

    fn set_stat(&self, name: &str, value: &str) {
        if let Ok(Some(cell)) = self
            .doc
            .query_selector(&format!(r#"#policy-stats [data-policy-stat="{name}"]"#))
        {
            cell.set_text_content(Some(value));
        }
    }

    /// The numbers under the words, and the side-by-side table.
    fn draw_numbers(&self, open: &OpenStore) {
        let stats = open.store.stats();
        let max_space = self
            .series
            .samples()
            .iter()
            .map(|s| s.space_amplification)
            .fold(stats.space_amplification(), f64::max);
        let write = self.series.latest().map_or(1.0, |s| s.write_amplification);
        for (name, value) in [
            ("merges", self.series.merge_count().to_string()),
            (
                "space_amplification",
                format!("{:.2}", stats.space_amplification()),
            ),
            ("max_space_amplification", format!("{max_space:.2}")),
            ("write_amplification", format!("{write:.2}")),
            (
                "bound",
                format!("{:.2}", self.settings.sealed_space_bound()),
            ),
            ("ops", self.ops.to_string()),
        ] {
            self.set_stat(name, &value);
        }
        if let Ok(table) = element(&self.doc, "compare-table") {
            let html = match self.side.comparison() {
                Some(second) => {
                    let (a, b) = (self.name_a(), self.name_b(second.settings()));
                    chart::comparison_html(&[
                        self.run_a(&a),
                        ChartRun {
                            id: "b",
                            name: &b,
                            series: second.series(),
                            style: LineStyle::Dashed,
                        },
                    ])
                }
                None => String::new(),
            };
            table.set_inner_html(&html);
        }
    }

    fn run_a<'a>(&'a self, name: &'a str) -> ChartRun<'a> {
        ChartRun {
            id: "a",
            name,
            series: &self.series,
            style: LineStyle::Solid,
        }
    }

    /// The chart, as wide as its box; a merge mark that had the focus
    /// keeps it.
    fn draw_chart(&self) {
        let Ok(container) = element(&self.doc, "policy-chart") else {
            return;
        };
        let width = u32::try_from(container.client_width()).unwrap_or(0);
        let a = self.name_a();
        let b = self
            .side
            .comparison()
            .map(|second| (self.name_b(second.settings()), second));
        let mut runs = vec![self.run_a(&a)];
        if let Some((name, second)) = &b {
            runs.push(ChartRun {
                id: "b",
                name,
                series: second.series(),
                style: LineStyle::Dashed,
            });
        }
        let focused = self
            .doc
            .active_element()
            .filter(|e| container.contains(Some(e.as_ref())))
            .and_then(|e| e.get_attribute("data-merge"));
        container.set_inner_html(&chart::chart_svg(
            &runs,
            width,
            Some(self.settings.sealed_space_bound()),
        ));
        if let Some(id) = focused
            && let Ok(Some(mark)) = container.query_selector(&format!(r#"[data-merge="{id}"]"#))
        {
            focus(&mark);
        }
        if self.series.merges().is_empty()
            && let Ok(details) = element(&self.doc, "policy-merge")
            && details.inner_html().is_empty()
        {
            details.set_inner_html(chart::MERGE_HINT);
        }
    }

    /// The switches, buttons and status line.
    fn draw_controls(&self) {
        let doc = &self.doc;
        if let Ok(auto) = input(doc, "policy-auto") {
            auto.set_checked(self.auto);
        }
        if let Ok(expiring) = input(doc, "workload-expiring") {
            expiring.set_checked(self.workload.expiring);
        }
        if let Ok(kind) = select(doc, "workload-kind") {
            kind.set_value(self.workload.kind.name());
        }
        if let Ok(rate) = element(doc, "workload-rate-value") {
            rate.set_text_content(Some(&format!("{} ops/s", self.pace.rate())));
        }
        for (id, disabled) in [
            ("workload-start", self.running),
            ("workload-pause", !self.running),
        ] {
            if let Ok(button) = element(doc, id) {
                set_flag(&button, "disabled", disabled);
            }
        }
        if let Ok(status) = element(doc, "workload-status") {
            status.set_text_content(Some(&words::runner_status(
                self.workload,
                self.pace.rate(),
                self.running,
                self.ops,
            )));
        }
        if let Ok(panel) = element(doc, "policy-panel") {
            let _ =
                panel.set_attribute("data-running", if self.running { "true" } else { "false" });
            let _ = panel.set_attribute("data-auto", if self.auto { "true" } else { "false" });
        }
        self.side.draw_controls(doc);
    }
}

/// Gives `element` the keyboard focus (SVG elements have `focus()` too,
/// which web-sys only binds on `HtmlElement`).
fn focus(element: &Element) {
    if let Ok(focus) = js_sys::Reflect::get(element, &JsValue::from_str("focus"))
        && let Some(focus) = focus.dyn_ref::<js_sys::Function>()
    {
        // The chart is redrawn while the learner may have scrolled away
        // from it: keeping the focus must not scroll back.
        let options = js_sys::Object::new();
        let _ = js_sys::Reflect::set(
            &options,
            &JsValue::from_str("preventScroll"),
            &JsValue::TRUE,
        );
        let _ = focus.call1(element, &options);
    }
}
