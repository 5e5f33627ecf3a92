//! The compaction policy as the playground sets and shows it: the panel's
//! sliders ([`PolicySettings`], one [`Knob`] each), how the policy sees
//! each segment on the map ([`SegmentVerdict`]), and where a merge the page
//! shows is ([`MergeStage`]: its inputs marked for a moment before it runs,
//! its outputs after).
//!
//! The engine owns the rule ([`mini_kvstore::CompactionPolicy`] and its
//! pure `choose`, read through `KvStore::policy_plan`); this module only
//! turns slider positions into a policy and the engine's plan into what a
//! strip draws. Slider positions are whole numbers — percents, and
//! sixteenths of the segment size for the byte settings — so a setting is
//! exact, comparable and cannot be a value the engine would refuse: every
//! position maps into the range the engine accepts, and the threshold is
//! kept at or under the trigger (a threshold above it would never matter:
//! a segment that dead has triggered already).
//!
//! The defaults are the engine's own (its fractions, and byte defaults
//! that are shares of the segment size), so a store opened with
//! [`PolicySettings::default`] is the store the page opens at start-up.

use std::collections::{BTreeMap, BTreeSet};

use mini_kvstore::{CompactionPolicy, MergeReason, PolicyPlan};

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
    /// a sixteenth, eight segments (see
    /// [`CompactionPolicy::for_segment_size`]).
    fn default() -> Self {
        PolicySettings {
            fragmentation_trigger: 60,
            dead_bytes_trigger: 16,
            fragmentation_threshold: 40,
            dead_bytes_threshold: 4,
            small_segment: 1,
            max_merge: 8,
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
    /// background merging off: in the browser the page runs the merges.
    pub fn policy(&self, segment_size: u64) -> CompactionPolicy {
        CompactionPolicy::for_segment_size(segment_size)
            .fragmentation_trigger(percent(self.fragmentation_trigger))
            .fragmentation_threshold(percent(self.fragmentation_threshold))
            .dead_bytes_trigger(sixteenths(self.dead_bytes_trigger, segment_size))
            .dead_bytes_threshold(sixteenths(self.dead_bytes_threshold, segment_size))
            .small_segment_threshold(sixteenths(self.small_segment, segment_size))
            .max_merge_bytes(segment_size * u64::from(self.max_merge))
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

/// How the policy sees one sealed segment, for its strip.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SegmentVerdict {
    /// Its bytes.
    pub len: u64,
    /// Bytes a merge of it alone would give back.
    pub dead_bytes: u64,
    /// The dead bytes at which it starts a merge: the fragmentation
    /// trigger's share of it, or the dead-bytes trigger, whichever is less.
    pub trigger_at: u64,
    /// The dead bytes at which it joins a merge that starts.
    pub threshold_at: u64,
    /// The strongest trigger or threshold it met.
    pub reason: Option<MergeReason>,
    /// The next merge takes it.
    pub selected: bool,
}

impl SegmentVerdict {
    /// Its dead fraction in whole percent.
    pub fn dead_percent(&self) -> u64 {
        (self.dead_bytes * 100).checked_div(self.len).unwrap_or(0)
    }
}

/// The part a segment plays in the merge the page is showing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MergeRole {
    /// The merge reads it and removes it.
    Input,
    /// The merge wrote it.
    Output,
}

/// What the map draws of the policy: a verdict per sealed segment, and
/// the merge on show, if one is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PolicyOnMap {
    /// By segment number.
    pub verdicts: BTreeMap<u32, SegmentVerdict>,
    /// The inputs of the merge on show.
    pub inputs: BTreeSet<u32>,
    /// Its outputs.
    pub outputs: BTreeSet<u32>,
    /// Ms since the merge's current stage began: a strip redrawn in the
    /// middle of its animation picks it up where it was.
    pub age_ms: u64,
}

impl PolicyOnMap {
    /// The verdicts of `plan` under `policy`, with no merge on show.
    pub fn of(plan: &PolicyPlan, policy: &CompactionPolicy) -> PolicyOnMap {
        let verdicts = plan
            .segments
            .iter()
            .map(|s| {
                let at = |fraction: f64, bytes: u64| dead_bytes_at(fraction, s.len).min(bytes);
                let verdict = SegmentVerdict {
                    len: s.len,
                    dead_bytes: s.dead_bytes,
                    trigger_at: at(
                        policy.get_fragmentation_trigger(),
                        policy.get_dead_bytes_trigger(),
                    ),
                    threshold_at: at(
                        policy.get_fragmentation_threshold(),
                        policy.get_dead_bytes_threshold(),
                    ),
                    reason: s.reason,
                    selected: s.selected,
                };
                (s.id.0, verdict)
            })
            .collect();
        PolicyOnMap {
            verdicts,
            ..PolicyOnMap::default()
        }
    }

    /// The part segment `id` plays in the merge on show.
    pub fn role(&self, id: u32) -> Option<MergeRole> {
        if self.inputs.contains(&id) {
            Some(MergeRole::Input)
        } else if self.outputs.contains(&id) {
            Some(MergeRole::Output)
        } else {
            None
        }
    }
}

/// Where the merge the page shows is: the policy has chosen its inputs
/// (marked on the map for a moment before it runs, while writes go on in
/// the active segment), or it ran and its outputs are marked for a moment.
/// Times are the page's clock in ms.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum MergeStage {
    /// No merge on show.
    #[default]
    Idle,
    /// The policy chose `inputs`; the merge runs at `run_at`.
    Chosen {
        /// The segments it takes.
        inputs: BTreeSet<u32>,
        /// When it runs.
        run_at: u64,
    },
    /// The merge ran and wrote `outputs`, shown until `until`.
    Ran {
        /// The segments it wrote.
        outputs: BTreeSet<u32>,
        /// When the mark goes.
        until: u64,
    },
}

impl MergeStage {
    /// How long the chosen inputs are shown before the merge runs.
    pub const INPUTS_MS: u64 = 600;
    /// How long the outputs are shown after it ran.
    pub const OUTPUTS_MS: u64 = 1500;

    /// The policy chose `inputs` at `now`.
    pub fn chosen(inputs: impl IntoIterator<Item = u32>, now: u64) -> MergeStage {
        MergeStage::Chosen {
            inputs: inputs.into_iter().collect(),
            run_at: now + Self::INPUTS_MS,
        }
    }

    /// The merge ran at `now` and wrote `outputs`.
    pub fn ran(outputs: impl IntoIterator<Item = u32>, now: u64) -> MergeStage {
        MergeStage::Ran {
            outputs: outputs.into_iter().collect(),
            until: now + Self::OUTPUTS_MS,
        }
    }

    /// Whether a merge is chosen and waiting to run: no other is chosen
    /// meanwhile.
    pub fn is_chosen(&self) -> bool {
        matches!(self, MergeStage::Chosen { .. })
    }

    /// Whether the chosen merge is due at `now`.
    pub fn due(&self, now: u64) -> bool {
        matches!(self, MergeStage::Chosen { run_at, .. } if *run_at <= now)
    }

    /// When the page must look again: the merge's run, or the end of the
    /// outputs' mark.
    pub fn wake_at(&self) -> Option<u64> {
        match self {
            MergeStage::Idle => None,
            MergeStage::Chosen { run_at, .. } => Some(*run_at),
            MergeStage::Ran { until, .. } => Some(*until),
        }
    }

    /// Back to idle once the outputs' moment has passed; whether it did.
    pub fn fade(&mut self, now: u64) -> bool {
        let over = matches!(self, MergeStage::Ran { until, .. } if *until <= now);
        if over {
            *self = MergeStage::Idle;
        }
        over
    }

    /// Marks the merge on `map`, as it is at `now`.
    pub fn show_on(&self, map: &mut PolicyOnMap, now: u64) {
        match self {
            MergeStage::Idle => {}
            MergeStage::Chosen { inputs, run_at } => {
                map.inputs.clone_from(inputs);
                map.age_ms = now.saturating_sub(run_at.saturating_sub(Self::INPUTS_MS));
            }
            MergeStage::Ran { outputs, until } => {
                map.outputs.clone_from(outputs);
                map.age_ms = now.saturating_sub(until.saturating_sub(Self::OUTPUTS_MS));
            }
        }
    }
}

/// The fewest dead bytes whose share of `len` reaches `fraction`, by the
/// engine's own comparison (`dead as f64 / len as f64 >= fraction`), so a
/// mark is never a byte off what the policy does.
fn dead_bytes_at(fraction: f64, len: u64) -> u64 {
    if len == 0 {
        return 0;
    }
    let reaches = |dead: u64| dead as f64 / len as f64 >= fraction;
    let mut dead = ((fraction * len as f64).floor() as u64).saturating_sub(1);
    while dead < len && !reaches(dead) {
        dead += 1;
    }
    dead
}

/// A reason's name, as the engine serialises it (`data-reason`).
pub fn reason_name(reason: MergeReason) -> &'static str {
    match reason {
        MergeReason::FragmentationTrigger => "fragmentation_trigger",
        MergeReason::DeadBytesTrigger => "dead_bytes_trigger",
        MergeReason::FragmentationThreshold => "fragmentation_threshold",
        MergeReason::DeadBytesThreshold => "dead_bytes_threshold",
        MergeReason::SmallSegment => "small_segment",
        _ => "other",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mini_kvstore::{KvStore, MemStorage, Options};

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    #[test]
    fn the_defaults_are_the_policy_the_page_opens_with() -> TestResult {
        for size in [256, 512, 4096] {
            let store = KvStore::open_with(
                MemStorage::new(),
                Options::default()
                    .max_segment_size(size)
                    .compaction_policy(CompactionPolicy::default().background(false)),
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
    fn a_mark_is_the_first_byte_count_that_reaches_the_fraction() {
        for len in [1, 7, 100, 255, 256, 333, 4096] {
            for fraction in [0.05, 0.4, 0.6, 0.95] {
                let at = dead_bytes_at(fraction, len);
                assert!(at as f64 / len as f64 >= fraction, "{fraction} of {len}");
                assert!(at == 0 || ((at - 1) as f64 / len as f64) < fraction);
            }
        }
        assert_eq!(dead_bytes_at(0.6, 1000), 600);
        assert_eq!(dead_bytes_at(0.6, 0), 0);
    }

    #[test]
    fn a_merge_is_shown_chosen_then_ran_then_gone() {
        let mut stage = MergeStage::chosen([3, 4], 1_000);
        assert!(stage.is_chosen());
        assert!(!stage.due(1_000 + MergeStage::INPUTS_MS - 1));
        assert!(stage.due(1_000 + MergeStage::INPUTS_MS));
        assert_eq!(stage.wake_at(), Some(1_000 + MergeStage::INPUTS_MS));
        let mut map = PolicyOnMap::default();
        stage.show_on(&mut map, 1_250);
        assert_eq!(map.role(3), Some(MergeRole::Input));
        assert_eq!(map.age_ms, 250);

        stage = MergeStage::ran([9], 2_000);
        assert!(!stage.is_chosen() && !stage.due(9_999));
        let mut map = PolicyOnMap::default();
        stage.show_on(&mut map, 2_100);
        assert_eq!((map.role(3), map.role(9)), (None, Some(MergeRole::Output)));
        assert_eq!(map.age_ms, 100);
        assert!(!stage.fade(2_000 + MergeStage::OUTPUTS_MS - 1));
        assert!(stage.fade(2_000 + MergeStage::OUTPUTS_MS));
        assert_eq!(stage, MergeStage::Idle);
        assert_eq!(stage.wake_at(), None);
    }

    #[test]
    fn the_bounds_follow_the_trigger() {
        let s = PolicySettings::default();
        assert!((s.sealed_space_bound() - 2.5).abs() < 1e-9);
        assert!((s.expected_write_amplification() - 1.0 / 0.6).abs() < 1e-9);
        let eager = s.with(Knob::FragmentationTrigger, 50);
        assert!((eager.sealed_space_bound() - 2.0).abs() < 1e-9);
    }

    #[test]
    fn verdicts_say_where_each_segment_triggers() -> TestResult {
        let settings = PolicySettings::default();
        let store = KvStore::open_with(
            MemStorage::new(),
            Options::default()
                .max_segment_size(256)
                .compaction_policy(settings.policy(256)),
        )?;
        // Overwrite two keys until several segments are sealed and the
        // oldest are mostly dead.
        for i in 0..40 {
            store.set(format!("k{}", i % 2), "a value of some length")?;
        }
        let plan = store.policy_plan();
        let map = PolicyOnMap::of(&plan, store.compaction_policy());
        assert_eq!(map.verdicts.len(), plan.segments.len());
        assert!(!map.verdicts.is_empty());
        for (id, verdict) in &map.verdicts {
            let assessed = plan
                .segments
                .iter()
                .find(|s| s.id.0 == *id)
                .ok_or("assessed")?;
            assert_eq!(verdict.dead_bytes, assessed.dead_bytes);
            // 60 % of the segment; the byte trigger (256 B) is never less.
            assert_eq!(verdict.trigger_at, dead_bytes_at(0.6, verdict.len));
            // 40 % of it, or the quarter segment (64 B) if that is less.
            assert_eq!(
                verdict.threshold_at,
                dead_bytes_at(0.4, verdict.len).min(64)
            );
            assert_eq!(
                verdict.reason.is_some_and(MergeReason::is_trigger),
                verdict.dead_bytes >= verdict.trigger_at
            );
        }
        assert!(
            map.verdicts.values().any(|v| v.selected),
            "the old segments are all dead: the next merge takes them"
        );
        let mut shown = map.clone();
        shown.inputs.insert(1);
        shown.outputs.insert(9);
        assert_eq!(shown.role(1), Some(MergeRole::Input));
        assert_eq!(shown.role(9), Some(MergeRole::Output));
        assert_eq!(shown.role(2), None);
        Ok(())
    }
}
