//! The compaction policy as the playground sets and shows it: the panel's
//! sliders ([`PolicySettings`], one [`Knob`] each), how the policy sees
//! each segment on the map ([`SegmentVerdict`]), and where the merges the
//! page shows are ([`MergeStage`]: the chosen inputs marked for a moment
//! before they are merged, then the merge replayed step by step through
//! [`crate::merge_replay`]).
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

use mini_kvstore::{CompactionPolicy, Layout, MergeReason, PolicyPlan, SegmentLayout};

use crate::merge_replay::{CellRepoint, MergeReplay, Phase, Place};

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

/// The part a segment plays in a merge the page is showing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MergeRole {
    /// The policy chose it for the merge that runs in a moment.
    Input,
    /// The merge on show wrote it.
    Output,
    /// The merge on show read it: gone from the store already, drawn as it
    /// was until the index has left it.
    Merged,
}

/// What the map draws of the policy: a verdict per sealed segment, the
/// merge chosen to run next, and the merge on show (its outputs, its
/// inputs while they are still on show, the repointing on their records).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PolicyOnMap {
    /// By segment number.
    pub verdicts: BTreeMap<u32, SegmentVerdict>,
    /// The inputs of the merge chosen to run next.
    pub inputs: BTreeSet<u32>,
    /// Ms since they were chosen: a strip redrawn in the middle of its
    /// pulse picks it up where it was.
    pub inputs_age_ms: u64,
    /// The outputs of the merge on show.
    pub outputs: BTreeSet<u32>,
    /// Ms since that merge ran (the outputs' filling in picks up where it
    /// was).
    pub outputs_age_ms: u64,
    /// Its inputs as they were, while the index still points into them.
    pub merged: Vec<SegmentLayout>,
    /// The repointing on the record cells of its inputs and outputs.
    pub repoint: BTreeMap<Place, CellRepoint>,
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

    /// The part segment `id` plays in a merge on show, and ms since that
    /// part began (for its animation).
    pub fn role(&self, id: u32) -> Option<(MergeRole, u64)> {
        if self.inputs.contains(&id) {
            Some((MergeRole::Input, self.inputs_age_ms))
        } else if self.outputs.contains(&id) {
            Some((MergeRole::Output, self.outputs_age_ms))
        } else if self.merged.iter().any(|s| s.id.0 == id) {
            Some((MergeRole::Merged, self.outputs_age_ms))
        } else {
            None
        }
    }
}

/// The merges the page shows. Two can be on show at once: the one the
/// policy chose, marked for a moment before it runs while writes go on in
/// the active segment, and the one that ran last, replayed step by step
/// ([`MergeReplay`]: its outputs filling in, the index repointed, its
/// inputs removed). Times are the page's clock in ms.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MergeStage {
    /// The inputs chosen, and when their merge runs.
    chosen: Option<(BTreeSet<u32>, u64)>,
    /// The merge that ran last, while its replay lasts.
    replay: Option<MergeReplay>,
    /// The replay's phase when the page last looked.
    shown: Option<Phase>,
}

impl MergeStage {
    /// How long the chosen inputs are shown before the merge runs.
    pub const INPUTS_MS: u64 = 600;

    /// The policy chose `inputs` at `now`; their merge runs
    /// [`INPUTS_MS`](Self::INPUTS_MS) later.
    pub fn choose(&mut self, inputs: impl IntoIterator<Item = u32>, now: u64) {
        self.chosen = Some((inputs.into_iter().collect(), now + Self::INPUTS_MS));
    }

    /// A merge ran: nothing is chosen any more, and `replay` is on show
    /// (in place of any replay still running).
    pub fn ran(&mut self, replay: MergeReplay) {
        self.chosen = None;
        self.shown = None;
        self.replay = Some(replay);
    }

    /// Forgets the chosen merge (auto compaction went off); a replay
    /// goes on.
    pub fn unchoose(&mut self) {
        self.chosen = None;
    }

    /// Whether a merge is chosen and waiting to run: no other is chosen
    /// meanwhile.
    pub fn is_chosen(&self) -> bool {
        self.chosen.is_some()
    }

    /// Whether the chosen merge is due at `now`.
    pub fn due(&self, now: u64) -> bool {
        self.chosen
            .as_ref()
            .is_some_and(|(_, run_at)| *run_at <= now)
    }

    /// The merge on show, while its replay lasts.
    pub fn replay(&self) -> Option<&MergeReplay> {
        self.replay.as_ref()
    }

    /// When the page must look again after `now`: the chosen merge's run,
    /// or the replay's next step.
    pub fn wake_at(&self, now: u64) -> Option<u64> {
        let run = self.chosen.as_ref().map(|(_, run_at)| *run_at);
        let step = self.replay.as_ref().and_then(|r| r.next_change(now));
        run.into_iter().chain(step).min()
    }

    /// Moves the replay on to `now`, and drops it once it is over; whether
    /// what it shows changed since the last look (the page redraws then).
    pub fn advance(&mut self, now: u64) -> bool {
        let Some(replay) = &self.replay else {
            return false;
        };
        let phase = replay.phase(now);
        if phase == Phase::Over {
            self.replay = None;
            self.shown = None;
            return true;
        }
        let changed = self.shown.as_ref() != Some(&phase);
        self.shown = Some(phase);
        changed
    }

    /// Marks the merges on show on `map`, as they are at `now` against the
    /// store's `current` layout.
    pub fn show_on(&self, map: &mut PolicyOnMap, now: u64, current: &Layout) {
        if let Some((inputs, run_at)) = &self.chosen {
            map.inputs.clone_from(inputs);
            map.inputs_age_ms = now.saturating_sub(run_at.saturating_sub(Self::INPUTS_MS));
        }
        if let Some(replay) = &self.replay
            && replay.phase(now) != Phase::Over
        {
            map.outputs.clone_from(&replay.outputs);
            map.outputs_age_ms = now.saturating_sub(replay.ran_at);
            map.merged = replay.inputs_on_show(now).to_vec();
            map.repoint = replay.cells(now, current);
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

/// For tests: a real merge by the page's policy over a tiny store — the
/// layout before it, its report and the layout after. Every third key is
/// written once and the rest three times, so the first segments are mostly
/// dead but still hold live records to move.
#[cfg(test)]
pub(crate) fn real_merge()
-> Result<(Layout, mini_kvstore::CompactionReport, Layout), Box<dyn std::error::Error>> {
    let store = mini_kvstore::KvStore::open_with(
        mini_kvstore::MemStorage::new(),
        mini_kvstore::Options::default()
            .max_segment_size(256)
            .compaction_policy(PolicySettings::default().policy(256).background(false)),
    )?;
    for round in 0..3 {
        for i in 0..12 {
            if round == 0 || i % 3 != 0 {
                store.set(format!("k{i:02}"), format!("value {round} of k{i:02}"))?;
            }
        }
    }
    let before = store.layout()?;
    let report = store.compact_by_policy()?.ok_or("a merge")?;
    let after = store.layout()?;
    Ok((before, report, after))
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
    fn a_merge_is_shown_chosen_then_replayed_then_gone() -> TestResult {
        let mut stage = MergeStage::default();
        assert_eq!(stage.wake_at(0), None);
        stage.choose([3, 4], 1_000);
        assert!(stage.is_chosen());
        assert!(!stage.due(1_000 + MergeStage::INPUTS_MS - 1));
        assert!(stage.due(1_000 + MergeStage::INPUTS_MS));
        assert_eq!(stage.wake_at(1_000), Some(1_000 + MergeStage::INPUTS_MS));
        let empty = KvStore::open_with(MemStorage::new(), Options::default())?.layout()?;
        let mut map = PolicyOnMap::default();
        stage.show_on(&mut map, 1_250, &empty);
        assert_eq!(map.role(3), Some((MergeRole::Input, 250)));
        assert!(map.outputs.is_empty() && map.merged.is_empty());

        // The merge runs: a real one, so its replay has inputs and moves.
        let (before, report, after) = crate::merge_policy::real_merge()?;
        let replay = MergeReplay::of(&before, &report, &after, 2_000);
        let input = replay.inputs.first().ok_or("an input")?.id.0;
        let output = *replay.outputs.first().ok_or("an output")?;
        stage.ran(replay.clone());
        assert!(!stage.is_chosen() && !stage.due(9_999));
        assert!(stage.advance(2_000), "the replay's first phase is news");
        assert!(!stage.advance(2_100), "nothing changed since");
        let mut map = PolicyOnMap::default();
        stage.show_on(&mut map, 2_100, &after);
        assert_eq!(map.role(output), Some((MergeRole::Output, 100)));
        assert_eq!(map.role(input), Some((MergeRole::Merged, 100)));
        assert_eq!(map.merged.len(), replay.inputs.len());
        assert!(!replay.moves.is_empty());
        assert_eq!(map.repoint, replay.cells(2_100, &after));
        assert_eq!(
            map.repoint.len(),
            2 * replay.moves.len(),
            "both ends of each move"
        );

        // A new merge may be chosen while the replay goes on.
        stage.choose([7], 2_200);
        assert_eq!(
            stage.wake_at(2_200),
            Some(2_200 + MergeStage::INPUTS_MS),
            "the chosen merge runs before the replay's next step"
        );
        let mut map = PolicyOnMap::default();
        stage.show_on(&mut map, 2_300, &after);
        assert_eq!(map.role(7), Some((MergeRole::Input, 100)));
        assert_eq!(map.role(output), Some((MergeRole::Output, 300)));
        stage.unchoose();
        assert!(!stage.is_chosen());
        assert_eq!(
            stage.wake_at(2_300),
            Some(2_000 + MergeReplay::COPY_MS),
            "then the replay's next step"
        );

        // Each step is news; the end drops the replay.
        let mut t = 2_000 + MergeReplay::COPY_MS;
        assert!(stage.advance(t));
        while let Some(next) = stage.wake_at(t) {
            assert!(next > t);
            t = next;
            assert!(stage.advance(t), "a change at {t}");
        }
        assert_eq!(stage.replay(), None);
        assert_eq!(stage, MergeStage::default());
        let mut map = PolicyOnMap::default();
        stage.show_on(&mut map, t, &after);
        assert_eq!(map.role(output), None);
        Ok(())
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
        shown.inputs_age_ms = 5;
        shown.outputs.insert(9);
        shown.outputs_age_ms = 7;
        assert_eq!(shown.role(1), Some((MergeRole::Input, 5)));
        assert_eq!(shown.role(9), Some((MergeRole::Output, 7)));
        assert_eq!(shown.role(2), None);
        Ok(())
    }
}
