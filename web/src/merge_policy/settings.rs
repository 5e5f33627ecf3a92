//! The policy panel's sliders: one [`Knob`] each, their positions as
//! [`PolicySettings`], and the [`CompactionPolicy`] those make.
//!
//! Positions are whole numbers (percents, sixteenths of a segment) so a
//! setting is exact and comparable, and every position maps into the
//! range the engine accepts: the page can never offer a policy the engine
//! would refuse.

use mini_kvstore::CompactionPolicy;

/// One slider of the policy panel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Knob {
    /// `fragmentation_trigger`, in percent.
    FragmentationTrigger,
    /// `dead_bytes_trigger`, in sixteenths of a segment.
    DeadBytesTrigger,
    /// `fragmentation_threshold`, in percent.
    FragmentationThreshold,
    /// `dead_bytes_threshold`, in sixteenths of a segment.
    DeadBytesThreshold,
    /// `small_segment_threshold`, in sixteenths of a segment.
    SmallSegment,
    /// `max_merge_bytes`, in segments.
    MaxMerge,
}

impl Knob {
    /// Every knob, in the panel's order.
    pub const ALL: [Knob; 6] = [
        Knob::FragmentationTrigger,
        Knob::DeadBytesTrigger,
        Knob::FragmentationThreshold,
        Knob::DeadBytesThreshold,
        Knob::SmallSegment,
        Knob::MaxMerge,
    ];

    /// Its name: the `data-knob` attribute of its slider in `index.html`,
    /// and the engine's name for the setting.
    pub fn name(self) -> &'static str {
        match self {
            Knob::FragmentationTrigger => "fragmentation_trigger",
            Knob::DeadBytesTrigger => "dead_bytes_trigger",
            Knob::FragmentationThreshold => "fragmentation_threshold",
            Knob::DeadBytesThreshold => "dead_bytes_threshold",
            Knob::SmallSegment => "small_segment_threshold",
            Knob::MaxMerge => "max_merge_bytes",
        }
    }

    /// The knob named `text`.
    pub fn parse(text: &str) -> Option<Knob> {
        Self::ALL.into_iter().find(|knob| knob.name() == text)
    }

    /// The slider's `(min, max, step)`, as in `index.html`.
    pub fn range(self) -> (u32, u32, u32) {
        match self {
            Knob::FragmentationTrigger => (5, 95, 5),
            Knob::FragmentationThreshold => (0, 95, 5),
            Knob::DeadBytesTrigger => (1, 32, 1),
            Knob::DeadBytesThreshold => (1, 32, 1),
            Knob::SmallSegment => (0, 8, 1),
            Knob::MaxMerge => (1, 16, 1),
        }
    }

    /// A position as the panel shows it, for segments of `segment_size`.
    pub fn show(self, value: u32, segment_size: u64) -> String {
        match self {
            Knob::FragmentationTrigger | Knob::FragmentationThreshold => format!("{value} %"),
            Knob::DeadBytesTrigger | Knob::DeadBytesThreshold | Knob::SmallSegment => {
                let bytes = sixteenths(value, segment_size);
                format!(
                    "{} ({})",
                    mini_kvstore_commands::human_bytes(bytes),
                    share_of_segment(value)
                )
            }
            Knob::MaxMerge => format!(
                "{} ({})",
                mini_kvstore_commands::count(u64::from(value), "segment"),
                mini_kvstore_commands::human_bytes(segment_size * u64::from(value))
            ),
        }
    }
}

fn sixteenths(value: u32, segment_size: u64) -> u64 {
    segment_size * u64::from(value) / 16
}

/// `n` sixteenths of a segment in words: "¼ segment", "2 segments".
fn share_of_segment(n: u32) -> String {
    match n {
        0 => "off".to_owned(),
        16 => "1 segment".to_owned(),
        n if n % 16 == 0 => format!("{} segments", n / 16),
        4 => "¼ segment".to_owned(),
        8 => "½ segment".to_owned(),
        12 => "¾ segment".to_owned(),
        n => format!("{n}/16 segment"),
    }
}

/// The policy's settings as slider positions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PolicySettings {
    fragmentation_trigger: u32,
    dead_bytes_trigger: u32,
    fragmentation_threshold: u32,
    dead_bytes_threshold: u32,
    small_segment: u32,
    max_merge: u32,
}

impl Default for PolicySettings {
    /// The engine's defaults: 60 % and 40 %, one segment and a quarter,
    /// a sixteenth, four segments (see
    /// [`CompactionPolicy::for_segment_size`]).
    fn default() -> Self {
        PolicySettings {
            fragmentation_trigger: 60,
            dead_bytes_trigger: 16,
            fragmentation_threshold: 40,
            dead_bytes_threshold: 4,
            small_segment: 1,
            max_merge: 4,
        }
    }
}

impl PolicySettings {
    /// The position of `knob`.
    pub fn get(&self, knob: Knob) -> u32 {
        match knob {
            Knob::FragmentationTrigger => self.fragmentation_trigger,
            Knob::DeadBytesTrigger => self.dead_bytes_trigger,
            Knob::FragmentationThreshold => self.fragmentation_threshold,
            Knob::DeadBytesThreshold => self.dead_bytes_threshold,
            Knob::SmallSegment => self.small_segment,
            Knob::MaxMerge => self.max_merge,
        }
    }

    /// These settings with `knob` at `value`, clamped to its range and
    /// snapped to its step; a trigger moved under its threshold takes the
    /// threshold down with it, and a threshold cannot pass its trigger.
    pub fn with(mut self, knob: Knob, value: u32) -> PolicySettings {
        let (min, max, step) = knob.range();
        let value = value.clamp(min, max);
        let value = min + (value - min) / step * step;
        match knob {
            Knob::FragmentationTrigger => {
                self.fragmentation_trigger = value;
                self.fragmentation_threshold = self.fragmentation_threshold.min(value);
            }
            Knob::FragmentationThreshold => {
                self.fragmentation_threshold = value.min(self.fragmentation_trigger);
            }
            Knob::DeadBytesTrigger => {
                self.dead_bytes_trigger = value;
                self.dead_bytes_threshold = self.dead_bytes_threshold.min(value);
            }
            Knob::DeadBytesThreshold => {
                self.dead_bytes_threshold = value.min(self.dead_bytes_trigger);
            }
            Knob::SmallSegment => self.small_segment = value,
            Knob::MaxMerge => self.max_merge = value,
        }
        self
    }

    /// The policy these settings make for segments of `segment_size`, with
    /// background merging off: in the browser the page runs the merges. The
    /// store-wide space limit is off too: the page teaches the per-segment
    /// triggers and thresholds, and its stores of a few segments would
    /// otherwise merge by that limit whenever they grew past two or three
    /// segments of live data.
    pub fn policy(&self, segment_size: u64) -> CompactionPolicy {
        CompactionPolicy::for_segment_size(segment_size)
            .fragmentation_trigger(percent(self.fragmentation_trigger))
            .fragmentation_threshold(percent(self.fragmentation_threshold))
            .dead_bytes_trigger(sixteenths(self.dead_bytes_trigger, segment_size))
            .dead_bytes_threshold(sixteenths(self.dead_bytes_threshold, segment_size))
            .small_segment_threshold(sixteenths(self.small_segment, segment_size))
            .max_merge_bytes(segment_size * u64::from(self.max_merge))
            .max_space_amplification(None)
            .background(false)
    }

    /// The most the sealed segments can take per live byte once the policy
    /// has run: `1 / (1 - fragmentation_trigger)` (see the engine's
    /// `compaction::policy` docs). The active segment comes on top.
    pub fn sealed_space_bound(&self) -> f64 {
        1.0 / (1.0 - percent(self.fragmentation_trigger))
    }

    /// About what steady overwrites cost in merge writes: `1 / trigger`.
    pub fn expected_write_amplification(&self) -> f64 {
        1.0 / percent(self.fragmentation_trigger)
    }
}

fn percent(value: u32) -> f64 {
    f64::from(value) / 100.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use mini_kvstore::{KvStore, MemStorage, Options};
    // In the browser build each `#[test]` is a `wasm_bindgen_test`, so the
    // same tests prove the model where the page runs it.
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    #[test]
    fn the_defaults_are_the_policy_the_page_opens_with() -> TestResult {
        for size in [256, 512, 4096] {
            let store = KvStore::open_with(
                MemStorage::new(),
                Options::default().max_segment_size(size).compaction_policy(
                    CompactionPolicy::default()
                        .max_space_amplification(None)
                        .background(false),
                ),
            )?;
            assert_eq!(
                &PolicySettings::default().policy(size),
                store.compaction_policy(),
                "{size}"
            );
        }
        Ok(())
    }

    #[test]
    fn every_position_opens_a_store() -> TestResult {
        for knob in Knob::ALL {
            let (min, max, _) = knob.range();
            for value in [0, min, max, max + 10] {
                let settings = PolicySettings::default().with(knob, value);
                let options = Options::default()
                    .max_segment_size(256)
                    .compaction_policy(settings.policy(256));
                KvStore::open_with(MemStorage::new(), options)
                    .map_err(|e| format!("{knob:?} at {value}: {e}"))?;
            }
        }
        Ok(())
    }

    #[test]
    fn positions_snap_and_the_threshold_stays_under_the_trigger() {
        let s = PolicySettings::default().with(Knob::FragmentationTrigger, 33);
        assert_eq!(s.get(Knob::FragmentationTrigger), 30);
        assert_eq!(s.get(Knob::FragmentationThreshold), 30, "pushed down");
        let s = s.with(Knob::FragmentationThreshold, 80);
        assert_eq!(s.get(Knob::FragmentationThreshold), 30, "held under");
        let s = PolicySettings::default().with(Knob::DeadBytesTrigger, 2);
        assert_eq!(s.get(Knob::DeadBytesThreshold), 2);
        assert_eq!(
            PolicySettings::default()
                .with(Knob::FragmentationTrigger, 0)
                .get(Knob::FragmentationTrigger),
            5
        );
        assert_eq!(
            PolicySettings::default()
                .with(Knob::MaxMerge, 99)
                .get(Knob::MaxMerge),
            16
        );
        for knob in Knob::ALL {
            assert_eq!(Knob::parse(knob.name()), Some(knob));
        }
    }

    #[test]
    fn knobs_show_their_units() {
        assert_eq!(Knob::FragmentationTrigger.show(60, 512), "60 %");
        assert_eq!(Knob::DeadBytesThreshold.show(4, 512), "128 B (¼ segment)");
        assert_eq!(Knob::DeadBytesTrigger.show(32, 512), "1.0 KiB (2 segments)");
        assert_eq!(Knob::SmallSegment.show(0, 512), "0 B (off)");
        assert_eq!(Knob::MaxMerge.show(8, 512), "8 segments (4.0 KiB)");
    }

    #[test]
    fn the_bounds_follow_the_trigger() {
        let s = PolicySettings::default();
        assert!((s.sealed_space_bound() - 2.5).abs() < 1e-9);
        assert!((s.expected_write_amplification() - 1.0 / 0.6).abs() < 1e-9);
        let eager = s.with(Knob::FragmentationTrigger, 50);
        assert!((eager.sealed_space_bound() - 2.0).abs() < 1e-9);
    }
}
