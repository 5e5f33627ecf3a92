//! [`CompactionPolicy`]: the settings the policy chooses by — triggers,
//! thresholds, the space limit, pacing of the copy — with their defaults
//! (scaled to the store's segment size) and the check that refuses
//! settings that cannot work. The module docs above say what each does.

use std::time::Duration;

use crate::limits::DEFAULT_MAX_SEGMENT_SIZE;

/// When and what to merge in the background, set with
/// [`Options::compaction_policy`](crate::Options::compaction_policy).
///
/// ```
/// use std::time::Duration;
/// use mini_kvstore::{CompactionPolicy, Options};
///
/// let options = Options::default().compaction_policy(
///     CompactionPolicy::for_segment_size(4 << 20)
///         .fragmentation_trigger(0.5)
///         .rate_limit(Some(32 << 20))
///         .check_interval(Duration::from_secs(30)),
/// );
/// assert_eq!(options.get_compaction_policy().get_fragmentation_trigger(), 0.5);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct CompactionPolicy {
    pub(super) fragmentation_trigger: f64,
    pub(super) dead_bytes_trigger: u64,
    pub(super) fragmentation_threshold: f64,
    pub(super) dead_bytes_threshold: u64,
    pub(super) small_segment_threshold: u64,
    pub(super) max_merge_bytes: u64,
    rate_limit: Option<u64>,
    check_interval: Duration,
    background: bool,
    pub(super) max_space_amplification: Option<f64>,
    /// Whether the byte defaults follow the store's segment size (until a
    /// byte setting is given).
    scaled: bool,
}

impl Default for CompactionPolicy {
    /// The policy for the default 16 MiB segments; a store with other
    /// segments scales the byte defaults to its own size (see
    /// [`for_segment_size`](Self::for_segment_size)) unless they were set.
    fn default() -> Self {
        let mut policy = Self::for_segment_size(DEFAULT_MAX_SEGMENT_SIZE);
        policy.scaled = true;
        policy
    }
}

impl CompactionPolicy {
    /// The defaults for segments of `max_segment_size` bytes. Riak's byte
    /// defaults assume 2 GB files; ours are a few MiB, so each is a share of
    /// the segment size instead:
    /// - `fragmentation_trigger` 0.6 and `fragmentation_threshold` 0.4, as
    ///   Riak's: the 0.6 is what bounds space at 2.5× (see the module docs);
    /// - `dead_bytes_trigger` one whole segment: an ordinary segment is never
    ///   bigger, so for it the fraction decides; only a segment holding one
    ///   oversized record can reach it first;
    /// - `dead_bytes_threshold` a quarter of a segment (Riak's 4:1 between
    ///   trigger and threshold);
    /// - `small_segment_threshold` a sixteenth of a segment: the partly
    ///   filled last output of a merge, or a segment sealed early by a big
    ///   batch, is packed with others rather than left alone;
    /// - `max_merge_bytes` four segments: what one merge's outputs can add
    ///   beside its inputs before they are removed is room the space limit
    ///   must leave (see the module docs), and under sustained overwrites
    ///   merges of four kept the store smaller *and* faster than merges of
    ///   eight or of two (figures in `docs/BENCHMARKS.md`);
    /// - `max_space_amplification` 2.5, the bound the 0.6 trigger implies;
    /// - no rate limit, a check every 5 s (and whenever a segment is
    ///   sealed), background merging on.
    pub fn for_segment_size(max_segment_size: u64) -> Self {
        CompactionPolicy {
            fragmentation_trigger: 0.6,
            dead_bytes_trigger: max_segment_size,
            fragmentation_threshold: 0.4,
            dead_bytes_threshold: max_segment_size / 4,
            small_segment_threshold: max_segment_size / 16,
            max_merge_bytes: max_segment_size.saturating_mul(4),
            rate_limit: None,
            check_interval: Duration::from_secs(5),
            background: true,
            max_space_amplification: Some(2.5),
            scaled: false,
        }
    }

    /// This policy with the byte defaults for `max_segment_size`, unless a
    /// byte setting was given or the policy was made for a size already.
    pub(crate) fn scaled_to(&self, max_segment_size: u64) -> Self {
        if !self.scaled {
            return self.clone();
        }
        let sized = Self::for_segment_size(max_segment_size);
        CompactionPolicy {
            dead_bytes_trigger: sized.dead_bytes_trigger,
            dead_bytes_threshold: sized.dead_bytes_threshold,
            small_segment_threshold: sized.small_segment_threshold,
            max_merge_bytes: sized.max_merge_bytes,
            scaled: false,
            ..self.clone()
        }
    }

    /// A sealed segment at least this dead (0.0 to 1.0) starts a merge.
    pub fn fragmentation_trigger(mut self, fraction: f64) -> Self {
        self.fragmentation_trigger = fraction;
        self
    }

    /// A sealed segment with at least this many dead bytes starts a merge.
    pub fn dead_bytes_trigger(mut self, bytes: u64) -> Self {
        self.dead_bytes_trigger = bytes;
        self.scaled = false;
        self
    }

    /// Once a merge starts, segments at least this dead join it.
    pub fn fragmentation_threshold(mut self, fraction: f64) -> Self {
        self.fragmentation_threshold = fraction;
        self
    }

    /// Once a merge starts, segments with at least this many dead bytes join.
    pub fn dead_bytes_threshold(mut self, bytes: u64) -> Self {
        self.dead_bytes_threshold = bytes;
        self.scaled = false;
        self
    }

    /// Once a merge starts, segments smaller than this join it.
    pub fn small_segment_threshold(mut self, bytes: u64) -> Self {
        self.small_segment_threshold = bytes;
        self.scaled = false;
        self
    }

    /// The most input bytes one merge takes (its first segment always).
    pub fn max_merge_bytes(mut self, bytes: u64) -> Self {
        self.max_merge_bytes = bytes;
        self.scaled = false;
        self
    }

    /// Paces a merge's copying to at most this many bytes a second (`None`:
    /// as fast as it goes), so foreground writes and reads keep their share
    /// of the disk.
    pub fn rate_limit(mut self, bytes_per_sec: Option<u64>) -> Self {
        self.rate_limit = bytes_per_sec;
        self
    }

    /// How often the background thread looks, besides each time a segment
    /// is sealed.
    pub fn check_interval(mut self, interval: Duration) -> Self {
        self.check_interval = interval;
        self
    }

    /// Whether a background thread merges by itself (native builds). Off,
    /// only [`compact`](crate::KvStore::compact) and
    /// [`compact_by_policy`](crate::KvStore::compact_by_policy) compact.
    pub fn background(mut self, enabled: bool) -> Self {
        self.background = enabled;
        self
    }

    /// The most bytes on storage per live byte the store lets itself take
    /// (`None`: no such limit; default 2.5, what the default
    /// `fragmentation_trigger` of 0.6 implies). Once the bytes on storage,
    /// counting room for the next merge's outputs and a whole active
    /// segment, pass this many times the live bytes, the segments at a
    /// threshold start a merge even if none met a trigger — and, where a
    /// background compactor runs, writers are paced while that merge runs,
    /// so that together they set no faster than merges give space back.
    /// See the module docs for why the triggers alone do not hold it.
    pub fn max_space_amplification(mut self, limit: Option<f64>) -> Self {
        self.max_space_amplification = limit;
        self
    }

    /// The space limit, as bytes on storage per live byte.
    pub fn get_max_space_amplification(&self) -> Option<f64> {
        self.max_space_amplification
    }

    /// What one merge's outputs and the active segment may add to the
    /// store's space before they are counted: the live part of
    /// `max_merge_bytes` of input at least `fragmentation_threshold` dead,
    /// and one segment of `max_segment_size`.
    pub(crate) fn space_room(&self, max_segment_size: u64) -> u64 {
        let live_share = 1.0 - self.fragmentation_threshold.clamp(0.0, 1.0);
        (self.max_merge_bytes as f64 * live_share) as u64 + max_segment_size
    }

    /// The fragmentation trigger.
    pub fn get_fragmentation_trigger(&self) -> f64 {
        self.fragmentation_trigger
    }

    /// The dead-bytes trigger.
    pub fn get_dead_bytes_trigger(&self) -> u64 {
        self.dead_bytes_trigger
    }

    /// The fragmentation threshold.
    pub fn get_fragmentation_threshold(&self) -> f64 {
        self.fragmentation_threshold
    }

    /// The dead-bytes threshold.
    pub fn get_dead_bytes_threshold(&self) -> u64 {
        self.dead_bytes_threshold
    }

    /// The small-segment threshold.
    pub fn get_small_segment_threshold(&self) -> u64 {
        self.small_segment_threshold
    }

    /// The most input bytes of one merge.
    pub fn get_max_merge_bytes(&self) -> u64 {
        self.max_merge_bytes
    }

    /// The copy rate limit, in bytes a second.
    pub fn get_rate_limit(&self) -> Option<u64> {
        self.rate_limit
    }

    /// How often the background thread looks.
    pub fn get_check_interval(&self) -> Duration {
        self.check_interval
    }

    /// Whether background merging is on.
    pub fn get_background(&self) -> bool {
        self.background
    }

    /// A message for settings that cannot work, or `None`.
    pub(crate) fn problem(&self) -> Option<String> {
        let fraction = |f: f64| (0.0..=1.0).contains(&f);
        if !fraction(self.fragmentation_trigger) || !fraction(self.fragmentation_threshold) {
            return Some(format!(
                "fragmentation_trigger and fragmentation_threshold must be between 0 and 1, not {} and {}",
                self.fragmentation_trigger, self.fragmentation_threshold
            ));
        }
        if self.fragmentation_trigger == 0.0 || self.dead_bytes_trigger == 0 {
            return Some(
                "a trigger of 0 would merge segments with nothing to give back, forever".into(),
            );
        }
        if self
            .max_space_amplification
            .is_some_and(|limit| !(limit > 1.0 && limit.is_finite()))
        {
            return Some(format!(
                "max_space_amplification must be more than 1 (bytes on storage per live byte), not {:?}",
                self.max_space_amplification
            ));
        }
        if self.rate_limit == Some(0) {
            return Some("rate_limit must be at least 1 byte a second (or None)".into());
        }
        if self.check_interval.is_zero() {
            return Some("check_interval must be longer than zero".into());
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> CompactionPolicy {
        CompactionPolicy::for_segment_size(1000)
    }

    #[test]
    fn byte_defaults_follow_the_segment_size_until_one_is_set() {
        let scaled = CompactionPolicy::default().scaled_to(1 << 20);
        assert_eq!(scaled.get_dead_bytes_trigger(), 1 << 20);
        assert_eq!(scaled.get_max_merge_bytes(), 4 << 20);
        let set = CompactionPolicy::default()
            .dead_bytes_trigger(12345)
            .scaled_to(1 << 20);
        assert_eq!(set.get_dead_bytes_trigger(), 12345);
        assert_eq!(set.get_max_merge_bytes(), 4 * DEFAULT_MAX_SEGMENT_SIZE);
    }

    #[test]
    fn settings_that_cannot_work_are_refused() {
        assert!(policy().problem().is_none());
        for bad in [
            policy().fragmentation_trigger(1.5),
            policy().fragmentation_trigger(0.0),
            policy().dead_bytes_trigger(0),
            policy().rate_limit(Some(0)),
            policy().check_interval(Duration::ZERO),
            policy().max_space_amplification(Some(1.0)),
            policy().max_space_amplification(Some(f64::NAN)),
        ] {
            assert!(bad.problem().is_some(), "{bad:?}");
        }
    }
}
