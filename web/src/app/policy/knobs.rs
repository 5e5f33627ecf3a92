//! The auto compaction switch and the policy's sliders.
//!
//! A slider that moves only shows the value it would set; one that is let
//! go proposes settings, because the engine has no setter for the policy:
//! the page reopens the store with them and then the panel adopts them.

use wasm_bindgen::JsCast;

use super::panel::{Outcome, PolicyPanel};
use crate::app::dom::element;
use crate::merge_policy::{Knob, PolicySettings};
use crate::render::policy as words;

impl PolicyPanel {
    /// The auto compaction switch.
    pub(crate) fn set_auto(&mut self, on: bool) -> Outcome {
        self.auto = on;
        if !on {
            self.stage.unchoose();
        }
        Outcome::redraw()
    }

    /// A slider moves (not let go yet): show the value it would set.
    pub(crate) fn knob_moves(&self, knob: Knob, value: u32, segment_size: u64) {
        let shown = self.settings.with(knob, value);
        self.show_knob(knob, shown.get(knob), segment_size);
    }

    /// A slider was let go at `value`: the settings it makes, if they
    /// differ (the page reopens the store with them, then calls
    /// [`adopt`](Self::adopt)).
    pub(crate) fn propose(
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
    pub(crate) fn adopt(&mut self, settings: PolicySettings, segment_size: u64) {
        self.settings = settings;
        self.show_knobs(segment_size);
    }

    /// Puts every slider back where the settings are.
    pub(crate) fn show_knobs(&self, segment_size: u64) {
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
}
