//! The chart started again ("Clear chart"), and the side-by-side demo's
//! second store started, changed and stopped.
//!
//! Both restart the chart: two stores are only comparable from the same
//! moment on.

use mini_kvstore::Options;
use mini_kvstore_commands::Tone;

use super::panel::{Outcome, PolicyPanel};
use crate::app::dom::element;
use crate::app::store::OpenStore;
use crate::render::chart;
use crate::series::Series;

impl PolicyPanel {
    /// "Clear chart": the chart starts again now (and so does the second
    /// store, from a fresh copy, if the demo is on).
    pub(crate) fn clear_chart(&mut self, open: &OpenStore, options: Options) -> Outcome {
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
    pub(crate) fn compare(&mut self, open: &OpenStore, options: Options) -> Outcome {
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
    pub(crate) fn stop_comparing(&mut self) -> Outcome {
        self.side.stop();
        Outcome::redraw()
    }

    /// The comparison `<select>` changed: restarts a demo that is on.
    pub(crate) fn choose_comparison(
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
}
