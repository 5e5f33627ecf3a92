//! The policy's merges: auto compaction chooses one when the policy's plan
//! has it, the map marks its inputs for a moment, then it runs; every
//! merge the page runs (this panel's, and the console's `compact`) is then
//! replayed on the map from the layouts before and after it.
//!
//! A merge runs a little after it was chosen so the learner sees which
//! segments it takes while the workload goes on writing.

use std::collections::BTreeMap;

use mini_kvstore::{CompactionReport, Layout};
use mini_kvstore_commands::Tone;

use super::panel::{Outcome, PolicyPanel, now};
use crate::app::store::OpenStore;
use crate::merge_policy::{MergeStage, PolicyOnMap, PolicySettings};
use crate::merge_replay::{MergeReplay, RowRepoint};
use crate::render::policy as words;

impl PolicyPanel {
    /// A new store is in place (reload, reset, a new segment size or
    /// policy): its merges are counted from its own, and a merge chosen
    /// in the old one is forgotten.
    pub(crate) fn store_replaced(&mut self, open: &OpenStore) {
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
    pub(crate) fn check(&mut self, open: &OpenStore, stopped: bool) {
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
    pub(crate) fn on_map(&mut self, open: &OpenStore, stopped: bool) -> Option<PolicyOnMap> {
        if stopped {
            self.plan = None;
            return None;
        }
        let plan = open.store.policy_plan();
        let mut map = PolicyOnMap::of(&plan, open.store.compaction_policy());
        self.map_drawn_at = now();
        self.stage
            .show_on(&mut map, self.map_drawn_at, &open.layout);
        self.plan = Some(plan);
        Some(map)
    }

    /// What the index rows show of a merge being replayed, by key: as at
    /// the time the map was drawn.
    pub(crate) fn index_repoint(&self, open: &OpenStore) -> BTreeMap<Vec<u8>, RowRepoint> {
        self.stage
            .replay()
            .map(|replay| replay.rows(self.map_drawn_at, &open.layout))
            .unwrap_or_default()
    }

    /// A merge ran outside the panel (the console's `compact`): replay it
    /// on the map, from the layout `before` it. A merge the policy had
    /// chosen is no longer to come: the store merged already.
    pub(crate) fn replay_merge(
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
    pub(super) fn run_merge(&mut self, open: &OpenStore, asked: bool, out: &mut Outcome) {
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

    /// "Merge now": the policy's next merge, shown as auto compaction
    /// shows it (or straight away when one is chosen already).
    pub(crate) fn merge_now(&mut self, open: &OpenStore) -> Outcome {
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
}
