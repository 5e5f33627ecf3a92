//! What the map's tests draw with: a fixed time, and every strip of a
//! layout drawn as the page draws it.

use mini_kvstore::Layout;

use super::scale::StripScale;
use super::strip::strip_html;
use crate::view::{MapSettings, map_view, shown_segments};

pub(super) type TestResult = Result<(), Box<dyn std::error::Error>>;

/// 2025-03-04 14:03:00 UTC.
pub(super) const T0: u64 = 1_741_096_980_000;

/// Every strip's HTML, drawn as the page draws it.
pub(super) fn strips(layout: &Layout, segment_size: u64) -> Vec<String> {
    let settings = MapSettings {
        segment_size,
        strip_px: 600,
        ..MapSettings::default()
    };
    drawn(layout, &settings)
}

/// Every strip's HTML under `settings`, drawn as the page draws it (a
/// merge's inputs among them while its replay shows them).
pub(super) fn drawn(layout: &Layout, settings: &MapSettings) -> Vec<String> {
    let segment_size = settings.segment_size;
    let view = map_view(layout, settings);
    let scale = StripScale {
        bytes: view.scale,
        segment_size,
        px: 600,
    };
    view.strips
        .iter()
        .zip(shown_segments(layout, settings))
        .map(|(strip, segment)| strip_html(strip, segment, scale))
        .collect()
}
