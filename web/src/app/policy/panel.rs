//! The policy panel's state ([`PolicyPanel`]), what it hands back to the
//! page after it acted ([`Outcome`]), and the options a store opens with
//! under its settings.
//!
//! The state is a file of its own so that every part of the panel's
//! `impl` (one a file beside this one) can import it while it imports
//! none of them.

use mini_kvstore::{Options, PolicyPlan};
use mini_kvstore_commands::Tone;
use web_sys::Document;

use crate::app::settings::SegmentSize;
use crate::app::side_by_side::SideBySide;
use crate::app::ticker::Ticker;
use crate::merge_policy::{MergeStage, PolicySettings};
use crate::series::Series;
use crate::workload::{Generator, Pace, Workload};

/// The rate the slider starts at.
const DEFAULT_RATE: u32 = 20;

/// What the page has to do after the panel acted.
#[derive(Default)]
pub(crate) struct Outcome {
    /// The store changed: redraw and schedule a flush.
    pub(crate) wrote: bool,
    /// Only what is on show changed: redraw.
    pub(crate) redraw: bool,
    /// Lines for the console.
    pub(crate) lines: Vec<(String, Tone)>,
}

impl Outcome {
    pub(super) fn redraw() -> Outcome {
        Outcome {
            redraw: true,
            ..Outcome::default()
        }
    }

    pub(super) fn line(&mut self, text: impl Into<String>, tone: Tone) {
        self.lines.push((text.into(), tone));
    }
}

/// The options a store of segment size `size` opens with under `settings`.
pub(crate) fn options_for(settings: PolicySettings, size: SegmentSize) -> Options {
    size.options()
        .compaction_policy(settings.policy(size.bytes()))
}

/// The panel's state.
pub(crate) struct PolicyPanel {
    pub(super) doc: Document,
    pub(super) settings: PolicySettings,
    pub(super) auto: bool,
    pub(super) workload: Workload,
    pub(super) generator: Generator,
    pub(super) pace: Pace,
    pub(super) running: bool,
    /// `Date.now()` at the last tick while running.
    pub(super) last_tick: f64,
    /// The chart's clock: ms the workload has run.
    pub(super) run_ms: u64,
    /// Operations the workload ran since the chart started.
    pub(super) ops: u64,
    /// The page's store over time.
    pub(super) series: Series,
    pub(super) side: SideBySide,
    pub(super) stage: MergeStage,
    /// The clock the map was last drawn at. The index rows and the line
    /// over the map show a replay as at the same time: read apart, a step
    /// falling between drawing the map and the index showed them a step
    /// apart, and for the whole step, since the page redraws a replay only
    /// when its next step is due.
    pub(super) map_drawn_at: u64,
    /// `Stats::compactions` when last looked at: more means a merge the
    /// panel did not run (the console's `compact`, Apply), for the chart.
    pub(super) seen_merges: u64,
    /// The policy's plan as last read for the map, for the words.
    pub(super) plan: Option<PolicyPlan>,
    pub(super) timer: Ticker,
}

/// The page's clock, in ms.
pub(super) fn now() -> u64 {
    js_sys::Date::now() as u64
}

impl PolicyPanel {
    /// The panel over `doc`, for a store of `segment_size` bytes a
    /// segment; `wake` is called when its timer fires.
    pub(crate) fn new(doc: Document, segment_size: u64, wake: impl Fn() + 'static) -> PolicyPanel {
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
            map_drawn_at: 0,
            seen_merges: 0,
            plan: None,
            timer: Ticker::new(wake),
        };
        panel.show_knobs(segment_size);
        panel
    }

    /// The settings the page's stores open with.
    pub(crate) fn settings(&self) -> PolicySettings {
        self.settings
    }
}
