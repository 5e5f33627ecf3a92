//! How a store is tuned: segment size, durability, value limit, when
//! compaction runs, and the clock.

use std::sync::Arc;

use crate::clock::{Clock, SystemClock};
use crate::compaction::policy::CompactionPolicy;
use crate::error::{Error, Result};
pub use crate::limits::{
    DEFAULT_MAX_SEGMENT_SIZE, DEFAULT_MAX_VALUE_SIZE, MAX_SEGMENT_SIZE_LIMIT, MAX_VALUE_SIZE_LIMIT,
    MIN_SEGMENT_SIZE,
};

/// When an acknowledged write reaches stable storage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SyncPolicy {
    /// Every `set`/`delete` returns only once its record is durable.
    /// Concurrent writers share one fsync (group commit).
    #[default]
    Always,
    /// Writes return at once; a background thread syncs every `n`
    /// milliseconds. A crash loses at most the last `n` ms of writes.
    /// (In the browser, where there are no threads, the host calls
    /// [`KvStore::sync`](crate::KvStore::sync) on its own schedule.)
    EveryMillis(u64),
    /// Writes return at once; data is synced when a segment fills up, on
    /// [`KvStore::sync`](crate::KvStore::sync), when the store is dropped
    /// and, in steps as the active segment fills, by a background thread
    /// (see [`Options::background_writeback`]). A crash loses whatever was
    /// neither synced nor written back by the OS; what survives is a prefix
    /// of the writes, never a mix.
    Never,
}

/// Settings for [`KvStore::open_with`](crate::KvStore::open_with), built by value:
///
/// ```
/// use mini_kvstore::{Options, SyncPolicy};
/// let options = Options::default()
///     .max_segment_size(4 * 1024 * 1024)
///     .sync_policy(SyncPolicy::EveryMillis(50));
/// assert_eq!(options.get_max_segment_size(), 4 * 1024 * 1024);
/// ```
#[derive(Debug, Clone)]
pub struct Options {
    max_segment_size: u64,
    sync_policy: SyncPolicy,
    max_value_size: u64,
    background_hints: bool,
    background_writeback: bool,
    compaction_policy: CompactionPolicy,
    clock: Arc<dyn Clock>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            max_segment_size: DEFAULT_MAX_SEGMENT_SIZE,
            sync_policy: SyncPolicy::Always,
            max_value_size: DEFAULT_MAX_VALUE_SIZE,
            background_hints: true,
            background_writeback: true,
            compaction_policy: CompactionPolicy::default(),
            clock: Arc::new(SystemClock),
        }
    }
}

impl Options {
    /// The defaults: 16 MiB segments, [`SyncPolicy::Always`], 64 MiB values.
    pub fn new() -> Self {
        Self::default()
    }

    /// A segment is sealed and a new one started once the next record would
    /// take it past this many bytes. A record larger than this gets a segment
    /// of its own.
    pub fn max_segment_size(mut self, bytes: u64) -> Self {
        self.max_segment_size = bytes;
        self
    }

    /// When writes become durable.
    pub fn sync_policy(mut self, policy: SyncPolicy) -> Self {
        self.sync_policy = policy;
        self
    }

    /// The longest value `set` accepts.
    pub fn max_value_size(mut self, bytes: u64) -> Self {
        self.max_value_size = bytes;
        self
    }

    /// Whether a background thread writes the hint file of each segment
    /// sealed by rotation (native builds; default on). Off, hints still come
    /// from compaction and from `open`. Tests that number storage operations
    /// turn it off, since the thread's reads make the count depend on timing.
    pub fn background_hints(mut self, enabled: bool) -> Self {
        self.background_hints = enabled;
        self
    }

    /// Whether, under a sync policy other than `Always`, a background
    /// thread syncs the active segment each time it grows by a quarter of
    /// a segment (at most 2 MiB), so that sealing it — a sync under the
    /// writer lock — waits for one step of dirty pages, not a whole
    /// segment (native builds; default on). It makes nothing less durable.
    /// Tests that number storage operations turn it off, as they do the
    /// hint writer.
    pub fn background_writeback(mut self, enabled: bool) -> Self {
        self.background_writeback = enabled;
        self
    }

    /// When and what compaction merges by itself; the default merges in
    /// the background by Bitcask's rules (see [`CompactionPolicy`]).
    pub fn compaction_policy(mut self, policy: CompactionPolicy) -> Self {
        self.compaction_policy = policy;
        self
    }

    /// Where the store reads the time (see [`Clock`]).
    pub fn clock(mut self, clock: impl Clock) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// The compaction policy, its byte defaults scaled to the segment size
    /// (see [`CompactionPolicy::for_segment_size`]).
    pub fn get_compaction_policy(&self) -> CompactionPolicy {
        self.compaction_policy.scaled_to(self.max_segment_size)
    }

    /// The clock.
    pub fn get_clock(&self) -> &dyn Clock {
        self.clock.as_ref()
    }

    /// Whether the active segment is synced in steps in the background.
    pub fn get_background_writeback(&self) -> bool {
        self.background_writeback
    }

    /// Whether background hint writing is on.
    pub fn get_background_hints(&self) -> bool {
        self.background_hints
    }

    /// The configured segment size.
    pub fn get_max_segment_size(&self) -> u64 {
        self.max_segment_size
    }

    /// The configured sync policy.
    pub fn get_sync_policy(&self) -> SyncPolicy {
        self.sync_policy
    }

    /// The configured value limit.
    pub fn get_max_value_size(&self) -> u64 {
        self.max_value_size
    }

    pub(crate) fn validate(&self) -> Result<()> {
        if !(MIN_SEGMENT_SIZE..=MAX_SEGMENT_SIZE_LIMIT).contains(&self.max_segment_size) {
            return Err(Error::InvalidOptions(format!(
                "max_segment_size must be between {MIN_SEGMENT_SIZE} and {MAX_SEGMENT_SIZE_LIMIT} bytes, not {}",
                self.max_segment_size
            )));
        }
        if self.max_value_size > MAX_VALUE_SIZE_LIMIT {
            return Err(Error::InvalidOptions(format!(
                "max_value_size must be at most {MAX_VALUE_SIZE_LIMIT} bytes, not {}",
                self.max_value_size
            )));
        }
        if let Some(problem) = self.compaction_policy.problem() {
            return Err(Error::InvalidOptions(problem));
        }
        if self.sync_policy == SyncPolicy::EveryMillis(0) {
            return Err(Error::InvalidOptions(
                "SyncPolicy::EveryMillis needs a period of at least 1 ms (use Always to sync every write)".into(),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid() {
        assert!(Options::default().validate().is_ok());
    }

    #[test]
    fn nonsense_is_refused() {
        for options in [
            Options::default().max_segment_size(10),
            Options::default().max_segment_size(u64::MAX),
            Options::default().max_value_size(u64::MAX),
            Options::default().sync_policy(SyncPolicy::EveryMillis(0)),
        ] {
            assert!(
                matches!(options.validate(), Err(Error::InvalidOptions(_))),
                "{options:?}"
            );
        }
    }
}
