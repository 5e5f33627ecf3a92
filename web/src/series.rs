//! A store's numbers over time, for the policy panel's chart: bytes on
//! storage against live bytes, space amplification, write amplification,
//! and the merges in between.
//!
//! The page samples a store's [`Stats`] on its workload tick and hands the
//! report of every merge it runs; a [`Series`] keeps both against the time
//! since it started. Two things make it more than a list:
//!
//! - **Write amplification over the chart's window.** The engine counts
//!   bytes written since the store was opened, and the page reopens the
//!   store when a policy slider moves (the policy is an open-time option),
//!   which starts those counters again. The series notices a counter going
//!   down, carries what it had counted, and reports `(user + merge) /
//!   user` over everything written since the chart started, so the line
//!   does not jump back to 1.0 at every slider move — and two stores
//!   compared side by side are measured over the same window.
//! - **A bounded size.** Past [`Series::MAX_SAMPLES`] samples every other
//!   one is dropped (the first and the newest kept), so a chart left
//!   running for an hour costs the same to draw as one of a minute; merges
//!   are fewer and are kept up to [`Series::MAX_MERGES`], oldest dropped.

use mini_kvstore::{CompactionReport, Stats};

/// One point of the chart.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sample {
    /// Ms since the series started.
    pub t_ms: u64,
    /// Bytes on storage.
    pub total_bytes: u64,
    /// Live bytes (bookkeeping included, as the engine counts them).
    pub live_bytes: u64,
    /// `total / live`.
    pub space_amplification: f64,
    /// Bytes written in all per byte the workload wrote, since the start.
    pub write_amplification: f64,
}

/// A merge, when it ran and what it did.
#[derive(Debug, Clone, PartialEq)]
pub struct MergeEvent {
    /// Ms since the series started.
    pub t_ms: u64,
    /// The engine's report.
    pub report: CompactionReport,
}

/// The two write counters, as the store reports them since it opened.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Written {
    user: u64,
    merges: u64,
}

/// A store's samples and merges since a start.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Series {
    /// When it started, in the caller's clock (ms).
    start_ms: Option<u64>,
    samples: Vec<Sample>,
    merges: Vec<MergeEvent>,
    /// The counters at the first sample.
    base: Written,
    /// The counters at the last sample, as the store reported them.
    last: Written,
    /// What earlier openings of the store had counted.
    carried: Written,
    /// Merges recorded, dropped ones included.
    merged: usize,
}

impl Series {
    /// Samples kept before thinning.
    pub const MAX_SAMPLES: usize = 400;
    /// Merges kept.
    pub const MAX_MERGES: usize = 200;

    /// An empty series.
    pub fn new() -> Series {
        Series::default()
    }

    /// Records `stats` at `now_ms` (the first call starts the series).
    pub fn record(&mut self, now_ms: u64, stats: &Stats) {
        let reported = Written {
            user: stats.user_bytes_written,
            merges: stats.compaction_bytes_written,
        };
        let start = *self.start_ms.get_or_insert(now_ms);
        if self.samples.is_empty() {
            self.base = reported;
        } else if reported.user < self.last.user || reported.merges < self.last.merges {
            // Reopened: the store counts from zero again.
            self.carried.user += self.last.user;
            self.carried.merges += self.last.merges;
        }
        self.last = reported;
        let user = (self.carried.user + reported.user).saturating_sub(self.base.user);
        let merges = (self.carried.merges + reported.merges).saturating_sub(self.base.merges);
        let write_amplification = if user == 0 {
            1.0
        } else {
            (user + merges) as f64 / user as f64
        };
        let sample = Sample {
            t_ms: now_ms.saturating_sub(start),
            total_bytes: stats.total_bytes,
            live_bytes: stats.live_bytes,
            space_amplification: stats.space_amplification(),
            write_amplification,
        };
        match self.samples.last_mut() {
            // Two samples at one instant: the later one wins.
            Some(last) if last.t_ms == sample.t_ms => *last = sample,
            _ => self.samples.push(sample),
        }
        if self.samples.len() > Self::MAX_SAMPLES {
            self.thin();
        }
    }

    /// Records a merge that finished at `now_ms`.
    pub fn merge(&mut self, now_ms: u64, report: CompactionReport) {
        let start = *self.start_ms.get_or_insert(now_ms);
        self.merges.push(MergeEvent {
            t_ms: now_ms.saturating_sub(start),
            report,
        });
        self.merged += 1;
        if self.merges.len() > Self::MAX_MERGES {
            self.merges.remove(0);
        }
    }

    /// The samples, oldest first.
    pub fn samples(&self) -> &[Sample] {
        &self.samples
    }

    /// The merges, oldest first.
    pub fn merges(&self) -> &[MergeEvent] {
        &self.merges
    }

    /// The newest sample.
    pub fn latest(&self) -> Option<&Sample> {
        self.samples.last()
    }

    /// Merges recorded since the start (those dropped past
    /// [`MAX_MERGES`](Self::MAX_MERGES) included).
    pub fn merge_count(&self) -> usize {
        self.merged
    }

    /// Ms from the start to the newest sample or merge.
    pub fn span_ms(&self) -> u64 {
        let sampled = self.samples.last().map_or(0, |s| s.t_ms);
        let merged = self.merges.last().map_or(0, |m| m.t_ms);
        sampled.max(merged)
    }

    /// Drops every other sample but the first and the newest.
    fn thin(&mut self) {
        let last = self.samples.len() - 1;
        let mut i = 0;
        self.samples.retain(|_| {
            let keep = i % 2 == 0 || i == last;
            i += 1;
            keep
        });
    }
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

    fn options() -> Options {
        Options::default()
            .max_segment_size(256)
            .compaction_policy(mini_kvstore::CompactionPolicy::default().background(false))
    }

    #[test]
    fn samples_follow_the_store() -> TestResult {
        let store = KvStore::open_with(MemStorage::new(), options())?;
        let mut series = Series::new();
        series.record(1_000, &store.stats());
        for i in 0..30 {
            store.set(format!("k{}", i % 3), "some value")?;
        }
        series.record(1_500, &store.stats());
        let [first, second] = series.samples() else {
            return Err("two samples".into());
        };
        assert_eq!(first.t_ms, 0);
        assert_eq!(second.t_ms, 500);
        assert!(second.total_bytes > second.live_bytes);
        assert_eq!(
            second.space_amplification,
            store.stats().space_amplification()
        );
        assert_eq!(second.write_amplification, 1.0, "no merge yet");

        let report = store.compact()?;
        series.merge(1_600, report.clone());
        series.record(1_700, &store.stats());
        assert_eq!(series.merges()[0].t_ms, 600);
        assert_eq!(series.merges()[0].report, report);
        let wa = series.latest().map(|s| s.write_amplification);
        assert!(wa.is_some_and(|wa| wa > 1.0), "{wa:?}");
        assert_eq!(series.span_ms(), 700);
        Ok(())
    }

    #[test]
    fn write_amplification_survives_a_reopen() -> TestResult {
        let storage = MemStorage::new();
        let store = KvStore::open_with(storage.clone(), options())?;
        for i in 0..20 {
            store.set(format!("k{}", i % 2), "some value")?;
        }
        let mut series = Series::new();
        series.record(0, &store.stats());
        for i in 0..20 {
            store.set(format!("k{}", i % 2), "some value")?;
        }
        store.compact()?;
        series.record(10, &store.stats());
        let before = series.latest().map(|s| s.write_amplification);
        drop(store);

        // A new policy: the store is opened again and counts from zero.
        let store = KvStore::open_with(storage, options())?;
        assert_eq!(store.stats().user_bytes_written, 0);
        series.record(20, &store.stats());
        assert_eq!(series.latest().map(|s| s.write_amplification), before);
        store.set("k0", "some value")?;
        series.record(30, &store.stats());
        let after = series.latest().map_or(0.0, |s| s.write_amplification);
        assert!(after > 1.0 && before.is_some_and(|b| after < b), "{after}");
        Ok(())
    }

    #[test]
    fn the_window_starts_at_the_first_sample() -> TestResult {
        let store = KvStore::open_with(MemStorage::new(), options())?;
        for i in 0..40 {
            store.set(format!("k{}", i % 2), "some value")?;
        }
        store.compact()?;
        let mut series = Series::new();
        series.record(0, &store.stats());
        assert_eq!(
            series.latest().map(|s| s.write_amplification),
            Some(1.0),
            "what happened before the chart started is not on it"
        );
        Ok(())
    }

    #[test]
    fn a_long_run_is_thinned_and_keeps_its_ends() -> TestResult {
        let store = KvStore::open_with(MemStorage::new(), options())?;
        let stats = store.stats();
        let mut series = Series::new();
        for t in 0..1000 {
            series.record(t * 100, &stats);
        }
        assert!(series.samples().len() <= Series::MAX_SAMPLES);
        assert!(series.samples().len() >= Series::MAX_SAMPLES / 2);
        assert_eq!(series.samples().first().map(|s| s.t_ms), Some(0));
        assert_eq!(series.latest().map(|s| s.t_ms), Some(99_900));
        let times: Vec<u64> = series.samples().iter().map(|s| s.t_ms).collect();
        assert!(times.windows(2).all(|w| w[0] < w[1]));

        series.record(99_900, &stats);
        assert_eq!(series.latest().map(|s| s.t_ms), Some(99_900));
        assert!(
            series.samples().len() <= Series::MAX_SAMPLES,
            "the same instant twice is one sample"
        );
        Ok(())
    }

    #[test]
    fn merges_are_capped_oldest_first() -> TestResult {
        let store = KvStore::open_with(MemStorage::new(), options())?;
        store.set("k", "v")?;
        let report = store.compact()?;
        let mut series = Series::new();
        for t in 0..(Series::MAX_MERGES as u64 + 5) {
            series.merge(t, report.clone());
        }
        assert_eq!(series.merges().len(), Series::MAX_MERGES);
        assert_eq!(series.merges()[0].t_ms, 5);
        assert_eq!(series.merge_count(), Series::MAX_MERGES + 5);
        Ok(())
    }
}
