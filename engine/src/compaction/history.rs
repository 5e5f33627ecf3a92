//! [`CompactionHistory`]: what merges have done since the store was opened
//! — counters for [`Stats`](crate::Stats) and the last few reports for
//! display. Kept in memory only; a reopened store starts from zero.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::report::CompactionReport;
use crate::telemetry;

/// How many reports are kept.
pub(crate) const RECENT_REPORTS: usize = 16;

/// Counters and recent reports of one open store's merges.
#[derive(Default)]
pub(crate) struct CompactionHistory {
    runs: AtomicU64,
    bytes_written: AtomicU64,
    failures: AtomicU64,
    recent: Mutex<VecDeque<CompactionReport>>,
    last_failure: Mutex<Option<String>>,
}

impl CompactionHistory {
    /// A merge finished and committed.
    pub(crate) fn finished(&self, report: &CompactionReport) {
        self.runs.fetch_add(1, Ordering::AcqRel);
        telemetry::compacted(report);
        let mut recent = self.recent.lock().unwrap_or_else(|p| p.into_inner());
        if recent.len() == RECENT_REPORTS {
            recent.pop_front();
        }
        recent.push_back(report.clone());
    }

    /// Bytes a merge appended to its outputs (counted as they are written,
    /// so a merge that fails still counts what it wrote).
    pub(crate) fn wrote(&self, bytes: u64) {
        self.bytes_written.fetch_add(bytes, Ordering::AcqRel);
    }

    /// A merge failed with `error` (it changed nothing).
    pub(crate) fn failed(&self, error: &crate::Error) {
        self.failures.fetch_add(1, Ordering::AcqRel);
        *self.last_failure.lock().unwrap_or_else(|p| p.into_inner()) = Some(error.to_string());
    }

    pub(crate) fn runs(&self) -> u64 {
        self.runs.load(Ordering::Acquire)
    }

    pub(crate) fn bytes_written(&self) -> u64 {
        self.bytes_written.load(Ordering::Acquire)
    }

    pub(crate) fn failures(&self) -> u64 {
        self.failures.load(Ordering::Acquire)
    }

    /// The last failure's message, if any merge failed.
    pub(crate) fn last_failure(&self) -> Option<String> {
        self.last_failure
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// The most recent reports, oldest first.
    pub(crate) fn recent(&self) -> Vec<CompactionReport> {
        let recent = self.recent.lock().unwrap_or_else(|p| p.into_inner());
        recent.iter().cloned().collect()
    }
}
