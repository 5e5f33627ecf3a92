//! The workload runner and the panel's timer: every tick runs what the
//! pace says is due on both stores, moves a merge on to its next stage and
//! samples both stores for the chart.
//!
//! The chart's clock is the time the workload has run, not the wall
//! clock, so a pause leaves no gap in the lines.

use mini_kvstore_commands::Tone;

use super::panel::{Outcome, PolicyPanel, now};
use crate::app::store::OpenStore;
use crate::merge_policy::MergeStage;
use crate::workload::{Generator, Pace, WorkloadKind};

/// How often the workload ticks while it runs.
const TICK_MS: u64 = 200;
/// The soonest the timer is asked to fire.
const MIN_WAKE_MS: u64 = 10;

impl PolicyPanel {
    /// The timer fired: the workload's due operations, the merge's next
    /// stage, the second store, the samples.
    pub(crate) fn tick(&mut self, open: &OpenStore, stopped: bool) -> Outcome {
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
    pub(super) fn keep_going(&self) {
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

    /// The workload `<select>` or the expiring switch changed.
    pub(crate) fn set_workload(&mut self, kind: Option<WorkloadKind>, expiring: Option<bool>) {
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
    pub(crate) fn set_rate(&mut self, rate: u32) {
        self.pace = Pace::new(rate);
        self.draw_controls();
    }

    /// Start.
    pub(crate) fn start(&mut self) -> Outcome {
        if !self.running {
            self.running = true;
            self.last_tick = js_sys::Date::now();
        }
        self.keep_going();
        Outcome::redraw()
    }

    /// Pause.
    pub(crate) fn pause(&mut self) -> Outcome {
        self.running = false;
        self.keep_going();
        Outcome::redraw()
    }

    /// Step: one operation, and the chart's clock one operation's time on.
    pub(crate) fn step(&mut self, open: &OpenStore) -> Outcome {
        let mut out = Outcome::default();
        self.run_ms += 1000 / u64::from(self.pace.rate());
        self.run_ops(open, 1, &mut out);
        self.sample(open, &mut out);
        out
    }
}
