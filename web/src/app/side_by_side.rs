//! The side-by-side demo on the page: which policy the second store runs,
//! the second store itself while the demo is on, and its controls.
//!
//! The store and its rules are [`Comparison`] (plain Rust, tested
//! natively); this module starts one from the page's open store — a copy
//! of its segments as they are now — stops it, and keeps the buttons and
//! the `<select>` in step. It imports nothing of the page's but the open
//! store and `dom`; the policy panel drives it.

use mini_kvstore::{Options, SegmentId, Storage};
use web_sys::Document;

use super::dom::{element, select, set_flag};
use super::store::OpenStore;
use crate::comparison::{ComparePolicy, Comparison};
use crate::merge_policy::PolicySettings;

/// The demo: the choice, and the second store while it runs.
#[derive(Default)]
pub(super) struct SideBySide {
    choice: ComparePolicy,
    comparison: Option<Comparison>,
}

impl SideBySide {
    /// The second store, while the demo runs.
    pub(super) fn comparison(&self) -> Option<&Comparison> {
        self.comparison.as_ref()
    }

    /// The second store, to drive.
    pub(super) fn comparison_mut(&mut self) -> Option<&mut Comparison> {
        self.comparison.as_mut()
    }

    /// The `<select>` changed to `name`; whether that is a choice on offer.
    pub(super) fn choose(&mut self, name: &str) -> bool {
        match ComparePolicy::parse(name) {
            Some(choice) => {
                self.choice = choice;
                true
            }
            None => false,
        }
    }

    /// Starts (or restarts) the demo: a second store over a copy of
    /// `open`'s segments, opened with `options` (the page's) and the
    /// chosen policy; `panel` is the policy panel's settings.
    pub(super) fn start(
        &mut self,
        open: &OpenStore,
        options: Options,
        panel: PolicySettings,
    ) -> Result<(), String> {
        let ids = open.storage.list().map_err(|e| e.to_string())?;
        let segments: Vec<(SegmentId, Vec<u8>)> = ids
            .into_iter()
            .filter_map(|id| Some((id, open.storage.segment_bytes(id)?)))
            .collect();
        let comparison =
            Comparison::start(segments, options, self.choice, panel).map_err(|e| e.to_string())?;
        self.comparison = Some(comparison);
        Ok(())
    }

    /// Ends the demo; the second store goes.
    pub(super) fn stop(&mut self) {
        self.comparison = None;
    }

    /// The buttons and the `<select>`.
    pub(super) fn draw_controls(&self, doc: &Document) {
        let on = self.comparison.is_some();
        if let Ok(button) = element(doc, "compare-stop") {
            set_flag(&button, "disabled", !on);
        }
        if let Ok(button) = element(doc, "compare-start") {
            button.set_text_content(Some(if on {
                "Restart the comparison"
            } else {
                "Compare side by side"
            }));
        }
        if let Ok(control) = select(doc, "compare-policy") {
            control.set_value(self.choice.name());
        }
        if let Ok(panel) = element(doc, "policy-panel") {
            let _ = if on {
                panel.set_attribute("data-comparing", "true")
            } else {
                panel.remove_attribute("data-comparing")
            };
        }
    }
}
