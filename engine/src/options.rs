//! How a store is tuned: segment size, durability, value limit.

use crate::error::{Error, Result};
use crate::format::{MAX_KEY_LEN, RECORD_HEADER_LEN, SEGMENT_HEADER_LEN};

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
    /// Writes return at once; data is synced only when a segment fills up,
    /// on [`KvStore::sync`](crate::KvStore::sync) and when the store is
    /// dropped. A crash loses whatever the OS had not written back.
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
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    max_segment_size: u64,
    sync_policy: SyncPolicy,
    max_value_size: u64,
    background_hints: bool,
}

/// Default segment size: large enough that rotation is rare, small enough that
/// recovery and compaction read a segment at a time comfortably.
pub const DEFAULT_MAX_SEGMENT_SIZE: u64 = 16 * 1024 * 1024;
/// Default value limit.
pub const DEFAULT_MAX_VALUE_SIZE: u64 = 64 * 1024 * 1024;
/// The smallest segment size accepted (the playground uses a few hundred bytes
/// so that rotation happens within a few writes).
pub const MIN_SEGMENT_SIZE: u64 = 64;
const _: () = assert!(SEGMENT_HEADER_LEN < MIN_SEGMENT_SIZE);
/// The largest value any store accepts: a record's length must fit in 32 bits.
pub const MAX_VALUE_SIZE_LIMIT: u64 =
    u32::MAX as u64 - RECORD_HEADER_LEN as u64 - MAX_KEY_LEN as u64;
/// The largest segment size accepted; recovery reads a segment at a time.
pub const MAX_SEGMENT_SIZE_LIMIT: u64 = 1 << 32;

impl Default for Options {
    fn default() -> Self {
        Options {
            max_segment_size: DEFAULT_MAX_SEGMENT_SIZE,
            sync_policy: SyncPolicy::Always,
            max_value_size: DEFAULT_MAX_VALUE_SIZE,
            background_hints: true,
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
