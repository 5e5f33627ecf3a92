//! Whether the store can take writes: [`Unavailable`], the reasons it
//! cannot, and [`MergeWatch`], which tells merges that keep failing from
//! one that failed once.
//!
//! A leaf that both sides import: `/health` (in `introspection`) answers
//! 503 with the reason, and the RESP dispatch refuses commands flagged
//! `WRITE` with the same words, so a load balancer and a Redis client
//! learn the same thing.
//!
//! The rule:
//!
//! - **Poisoned** — an fsync failed, and the engine refuses every write
//!   until the store is reopened ([`KvStore::is_poisoned`]). Both `/health`
//!   and RESP writes see it.
//! - **Merges failing** — [`MERGE_FAILURE_STREAK`] or more merges failed
//!   since the last one that succeeded (or since the store opened). Only
//!   `/health` reports it: a failed merge changes nothing and the store
//!   goes on serving writes, so a client already connected may write on;
//!   but a disk that keeps refusing merges (full, failing) is one a load
//!   balancer should drain before writes start failing too.
//!
//! The engine counts merges and failures without their order, so the
//! streak is measured here, between looks: each look that sees the success
//! count move takes the failure count as the new baseline. Failures that
//! happened between a success and the look that first saw it are
//! forgotten, so the streak can only be under-counted — the watch errs
//! towards "healthy", and the next failures count again.
//!
//! The engine has no other read-only state today; a new one belongs here.

use std::sync::Mutex;

use mini_kvstore::{KvStore, Stats};

/// Failed merges in a row, with no success between, that make `/health`
/// answer 503.
pub(crate) const MERGE_FAILURE_STREAK: u64 = 3;

/// Why the store is not fit for traffic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Unavailable {
    /// An fsync failed; the store refuses writes until it is reopened.
    Poisoned,
    /// Merges keep failing.
    MergesFailing {
        /// Merges failed since the last success.
        in_a_row: u64,
    },
}

impl std::fmt::Display for Unavailable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            // The same sentence as a refused write's 503 body.
            Unavailable::Poisoned => f.write_str(
                "the store refuses writes after a storage failure; restart the server once storage is healthy",
            ),
            Unavailable::MergesFailing { in_a_row } => write!(
                f,
                "the last {in_a_row} merges failed; check the storage (disk full?) and the server log"
            ),
        }
    }
}

impl Unavailable {
    /// `Some(Poisoned)` when `store` refuses writes: one atomic load, what
    /// the RESP dispatch asks before each write.
    pub(crate) fn of_writes(store: &KvStore) -> Option<Unavailable> {
        store.is_poisoned().then_some(Unavailable::Poisoned)
    }
}

/// The merge counts as last seen, to count failures in a row.
#[derive(Debug, Default)]
pub(crate) struct MergeWatch {
    seen: Mutex<Seen>,
}

#[derive(Debug, Default)]
struct Seen {
    /// Merges that succeeded, as last seen.
    runs: u64,
    /// Failures counted when `runs` last moved (0 at open).
    failures_at_last_success: u64,
}

impl MergeWatch {
    /// Failed merges since the last success, as `stats` shows them.
    pub(crate) fn failures_in_a_row(&self, stats: &Stats) -> u64 {
        let mut seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
        if stats.compactions != seen.runs {
            seen.runs = stats.compactions;
            seen.failures_at_last_success = stats.compaction_failures;
        }
        stats
            .compaction_failures
            .saturating_sub(seen.failures_at_last_success)
    }

    /// Whether the store, whose numbers are `stats`, is fit for traffic.
    pub(crate) fn check(&self, store: &KvStore, stats: &Stats) -> Result<(), Unavailable> {
        if let Some(reason) = Unavailable::of_writes(store) {
            return Err(reason);
        }
        let in_a_row = self.failures_in_a_row(stats);
        if in_a_row >= MERGE_FAILURE_STREAK {
            return Err(Unavailable::MergesFailing { in_a_row });
        }
        Ok(())
    }
}
