//! `--compaction auto|manual`: whether the store merges segments by itself.
//!
//! `auto` turns on the engine's background compactor, which merges the
//! segments worth it by the default [`CompactionPolicy`] (Bitcask's
//! triggers and thresholds); `manual` leaves it off, so space comes back
//! only on `compact` (or `compact --policy`). The REPL and the server
//! default to `auto`, since they run long; a one-shot command defaults to
//! `manual`, since it exits before a merge would be worth starting.

use clap::ValueEnum;
use mini_kvstore::CompactionPolicy;

/// When compaction runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum CompactionMode {
    /// Merge in the background, by the compaction policy
    Auto,
    /// Only when asked (`compact`)
    Manual,
}

impl CompactionMode {
    /// The policy this mode opens the store with.
    pub(crate) fn policy(self) -> CompactionPolicy {
        CompactionPolicy::default().background(self == CompactionMode::Auto)
    }
}
