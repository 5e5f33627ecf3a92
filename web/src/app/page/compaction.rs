//! The compaction plan and its step-by-step walk over the map: what a
//! merge would copy, shown before anything is merged.

use super::state::Page;
use crate::view::PlanOverlay;

impl Page {
    /// Shows the plan, the walk, or nothing over the map.
    pub(crate) fn set_overlay(&mut self, overlay: PlanOverlay) {
        if overlay != PlanOverlay::Off && self.refuse_if_stopped() {
            return;
        }
        self.open.overlay = overlay;
        self.draw_map();
        self.draw_compaction();
    }

    /// "Step": one more survivor copied in the walk.
    pub(crate) fn step_walk(&mut self) {
        let step = match self.open.overlay {
            PlanOverlay::Walk { step } => step + 1,
            _ => 1,
        };
        let step = step.min(self.open.layout.plan.survivors.len());
        self.set_overlay(PlanOverlay::Walk { step });
    }
}
