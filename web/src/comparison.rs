//! The side-by-side demo's second store: the same workload, another
//! compaction policy, in memory.
//!
//! The page's own store lives in IndexedDB; a second one only has to live
//! as long as the demo, so it is a [`MemStorage`] store, started from a copy
//! of the first one's segments (so both curves start at the same point),
//! opened with the policy the learner picked to compare against
//! ([`ComparePolicy`]). The page hands both stores every operation of the
//! workload; after each batch this one runs its policy's merges straight
//! away (nothing draws its map, so there is nothing to animate) and
//! records its numbers in its own [`Series`] on the page's time axis.

use mini_kvstore::{KvStore, MemStorage, Options, SegmentId};

use crate::merge_policy::{Knob, PolicySettings};
use crate::series::Series;
use crate::workload::Op;

/// What the second store does about compaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ComparePolicy {
    /// It never merges: what "no compaction" costs.
    #[default]
    Manual,
    /// Auto compaction with the panel's own settings.
    Same,
    /// Auto compaction with a low trigger (30 %, threshold 20 %): less
    /// space, more merge writes.
    Eager,
    /// Auto compaction with a high trigger (85 %, threshold 60 %): more
    /// space, fewer merge writes.
    Lazy,
}

impl ComparePolicy {
    /// Every choice, in the page's order.
    pub const ALL: [ComparePolicy; 4] = [
        ComparePolicy::Manual,
        ComparePolicy::Same,
        ComparePolicy::Eager,
        ComparePolicy::Lazy,
    ];

    /// Its name: the `<option>` value in `index.html`.
    pub fn name(self) -> &'static str {
        match self {
            ComparePolicy::Manual => "manual",
            ComparePolicy::Same => "same",
            ComparePolicy::Eager => "eager",
            ComparePolicy::Lazy => "lazy",
        }
    }

    /// The choice named `text`.
    pub fn parse(text: &str) -> Option<ComparePolicy> {
        Self::ALL.into_iter().find(|c| c.name() == text)
    }

    /// The settings it merges by, given the panel's (`None`: it never
    /// merges).
    pub fn settings(self, panel: PolicySettings) -> Option<PolicySettings> {
        let tuned = |trigger, threshold| {
            panel
                .with(Knob::FragmentationTrigger, trigger)
                .with(Knob::FragmentationThreshold, threshold)
        };
        match self {
            ComparePolicy::Manual => None,
            ComparePolicy::Same => Some(panel),
            ComparePolicy::Eager => Some(tuned(30, 20)),
            ComparePolicy::Lazy => Some(tuned(85, 60)),
        }
    }

    /// How the legend names a store merging by `settings` (`None`: never).
    pub fn describe(settings: Option<PolicySettings>) -> String {
        match settings {
            None => "manual: never merges".to_owned(),
            Some(s) => format!("auto, trigger {} %", s.get(Knob::FragmentationTrigger)),
        }
    }
}

/// Merges one settle runs at most: each takes every triggered segment up
/// to the byte cap, so more than a few in a row means the cap is small,
/// and the next batch goes on where this one stopped.
const MERGES_PER_SETTLE: usize = 4;

/// The second store and its numbers.
#[derive(Debug)]
pub struct Comparison {
    choice: ComparePolicy,
    settings: Option<PolicySettings>,
    store: KvStore,
    series: Series,
}

impl Comparison {
    /// A store over a copy of `segments`, opened with `options` (the first
    /// store's: segment size, clock) but `choice`'s policy, given the
    /// panel's `panel` settings.
    pub fn start(
        segments: impl IntoIterator<Item = (SegmentId, Vec<u8>)>,
        options: Options,
        choice: ComparePolicy,
        panel: PolicySettings,
    ) -> Result<Comparison, mini_kvstore::Error> {
        let storage = MemStorage::new();
        for (id, bytes) in segments {
            storage.put_segment_bytes(id, bytes);
        }
        let settings = choice.settings(panel);
        let size = options.get_max_segment_size();
        let policy = settings.unwrap_or_default().policy(size);
        let store = KvStore::open_with(storage, options.compaction_policy(policy))?;
        Ok(Comparison {
            choice,
            settings,
            store,
            series: Series::new(),
        })
    }

    /// What it was started as.
    pub fn choice(&self) -> ComparePolicy {
        self.choice
    }

    /// The settings it merges by (`None`: it never merges).
    pub fn settings(&self) -> Option<PolicySettings> {
        self.settings
    }

    /// The store.
    pub fn store(&self) -> &KvStore {
        &self.store
    }

    /// Its numbers.
    pub fn series(&self) -> &Series {
        &self.series
    }

    /// Runs `ops` against it.
    pub fn apply(&self, ops: &[Op]) -> Result<(), mini_kvstore::Error> {
        for op in ops {
            op.apply(&self.store)?;
        }
        Ok(())
    }

    /// After a batch at `t_ms`: runs the merges its policy chooses (if it
    /// merges at all) and records its numbers. How many merges ran.
    pub fn settle(&mut self, t_ms: u64) -> Result<usize, mini_kvstore::Error> {
        let mut merged = 0;
        if self.settings.is_some() {
            while merged < MERGES_PER_SETTLE {
                let Some(report) = self.store.compact_by_policy()? else {
                    break;
                };
                self.series.merge(t_ms, report);
                merged += 1;
            }
        }
        self.series.record(t_ms, &self.store.stats());
        Ok(merged)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workload::{Generator, Workload, WorkloadKind};
    // In the browser build each `#[test]` is a `wasm_bindgen_test`, so the
    // same tests prove the model where the page runs it.
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    fn options() -> Options {
        Options::default().max_segment_size(512)
    }

    #[test]
    fn choices_read_back_and_tune_the_trigger() {
        for choice in ComparePolicy::ALL {
            assert_eq!(ComparePolicy::parse(choice.name()), Some(choice));
        }
        let panel = PolicySettings::default();
        assert_eq!(ComparePolicy::Manual.settings(panel), None);
        assert_eq!(ComparePolicy::Same.settings(panel), Some(panel));
        let eager = ComparePolicy::Eager.settings(panel).unwrap_or(panel);
        assert_eq!(eager.get(Knob::FragmentationTrigger), 30);
        assert_eq!(eager.get(Knob::FragmentationThreshold), 20);
        assert_eq!(ComparePolicy::describe(Some(eager)), "auto, trigger 30 %");
        assert_eq!(ComparePolicy::describe(None), "manual: never merges");
    }

    #[test]
    fn it_starts_from_a_copy_of_the_first_store() -> TestResult {
        let first = MemStorage::new();
        let a = KvStore::open_with(first.clone(), options())?;
        for i in 0..30 {
            a.set(format!("k{i}"), "a value")?;
        }
        let segments: Vec<(SegmentId, Vec<u8>)> = mini_kvstore::Storage::list(&first)?
            .into_iter()
            .filter_map(|id| Some((id, first.segment_bytes(id)?)))
            .collect();
        let b = Comparison::start(
            segments,
            options(),
            ComparePolicy::Manual,
            PolicySettings::default(),
        )?;
        assert_eq!(b.store().len(), 30);
        assert_eq!(b.store().get("k7")?, Some(b"a value".to_vec()));
        b.store().set("only-in-b", "x")?;
        assert!(!a.contains_key("only-in-b"), "a copy, not a share");
        Ok(())
    }

    #[test]
    fn the_same_workload_costs_a_store_that_never_merges_more_space() -> TestResult {
        let workload = Workload {
            kind: WorkloadKind::Uniform,
            expiring: false,
        };
        let panel = PolicySettings::default();
        let mut auto = Comparison::start([], options(), ComparePolicy::Same, panel)?;
        let mut manual = Comparison::start([], options(), ComparePolicy::Manual, panel)?;
        let mut generator = Generator::new(workload, 1);
        for tick in 0..60 {
            let ops = generator.ops(10);
            auto.apply(&ops)?;
            manual.apply(&ops)?;
            auto.settle(tick * 200)?;
            manual.settle(tick * 200)?;
        }
        let (a, m) = (auto.store().stats(), manual.store().stats());
        assert_eq!(a.keys, m.keys, "the same traffic");
        assert!(auto.series().merge_count() > 0);
        assert_eq!(manual.series().merge_count(), 0);
        assert!(
            m.total_bytes > 2 * a.total_bytes,
            "{} against {}",
            m.total_bytes,
            a.total_bytes
        );
        // The policy's bound: sealed segments at most 1/(1 - 0.6) = 2.5×
        // the live bytes, the active segment on top.
        let bound = panel.sealed_space_bound() + 512.0 / a.live_bytes as f64;
        assert!(a.space_amplification() <= bound, "{a:?}");
        let written = auto
            .series()
            .latest()
            .map_or(1.0, |s| s.write_amplification);
        assert!(written > 1.0, "merges write");
        Ok(())
    }
}
