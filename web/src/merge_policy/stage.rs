//! The merges the page shows over time ([`MergeStage`]): the one the
//! policy chose, marked for a moment before it runs, and the one that ran
//! last, replayed step by step.
//!
//! It is apart from the verdicts because it is the only part with a
//! clock: the page asks it when to look again and what changed since.

use std::collections::BTreeSet;

use mini_kvstore::Layout;

use super::on_map::PolicyOnMap;
use crate::merge_replay::{MergeReplay, Phase};

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::merge_policy::MergeRole;
    use mini_kvstore::{KvStore, MemStorage, Options};
    // In the browser build each `#[test]` is a `wasm_bindgen_test`, so the
    // same tests prove the model where the page runs it.
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    type TestResult = Result<(), Box<dyn std::error::Error>>;

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
}
