//! The policy panel's controls and timer as the page sees them: each hands
//! back an `Outcome`, which ends here as any other change does. A slider
//! let go reopens the store, since the policy is an option a store opens
//! with.

use mini_kvstore_commands::Tone;

use super::state::Page;
use crate::app::policy::{self, Outcome, PolicyPanel};
use crate::app::settings::SegmentSize;
use crate::app::store::OpenStore;
use crate::merge_policy::Knob;
use crate::view::PlanOverlay;

impl Page {
    /// The options every store of the page opens with at segment size
    /// `size`: that size, and the policy panel's compaction policy.
    pub(crate) fn store_options(&self, size: SegmentSize) -> mini_kvstore::Options {
        policy::options_for(self.policy.settings(), size)
    }

    /// The policy panel's timer fired.
    pub(super) fn policy_tick(&mut self) {
        let outcome = self.policy.tick(&self.open, self.is_stopped());
        self.settle_policy(outcome);
    }

    /// A policy-panel control that changes what the panel shows or does
    /// next (never refused).
    pub(crate) fn policy_setting(&mut self, control: impl FnOnce(&mut PolicyPanel) -> Outcome) {
        let outcome = control(&mut self.policy);
        self.settle_policy(outcome);
    }

    /// A policy-panel control that works the store (Start, Step, Merge
    /// now, Compare…): refused while it is stopped. `control` gets the
    /// store and the options a second store opens with.
    pub(crate) fn policy_action(
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
    pub(crate) fn show_merge(&self, id: &str) {
        self.policy.show_merge(id);
    }

    /// A policy slider moves: show the value it would set.
    pub(crate) fn move_policy_knob(&self, knob: Knob, value: u32) {
        self.policy
            .knob_moves(knob, value, self.segment_size.bytes());
    }

    /// A policy slider was let go at `value`. The policy is an option a
    /// store opens with, so the store is opened again over the same
    /// in-memory segments with the new one (every record stays), as for a
    /// new segment size.
    pub(crate) fn change_policy(&mut self, knob: Knob, value: u32) {
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
}
