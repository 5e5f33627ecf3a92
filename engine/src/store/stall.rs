//! [`WriteStall`]: slowing writers while merges are behind, so the space
//! the store takes stays within the bound its compaction policy promises.
//!
//! The policy's bound (see `compaction::policy`) holds once merges keep up:
//! no sealed segment stays `fragmentation_trigger` dead, so the store takes
//! at most `1 / (1 - fragmentation_trigger)` times its live bytes. A writer
//! that sets faster than merges give space back — one thread overwriting
//! without fsync can fill the disk's whole write bandwidth — outruns that
//! bound without limit. So, as LSM stores do when compaction falls behind
//! (RocksDB's write stall), writers are paced:
//! - **when**: bytes on storage, plus the room the next merge and the
//!   active segment may still add (one merge's outputs beside its inputs,
//!   one segment), pass the bound — and a merge is running, since pacing
//!   while nothing can give space back would only slow writers for
//!   nothing (a store of kept tombstones, a policy with nothing to merge);
//! - **how much**: to the rate the last merge gave space back, a little
//!   under it (`PACE_SHARE`), so space goes down while they are paced. A
//!   writer sleeps once the bytes it and the others wrote since pacing
//!   began are ahead of that rate by [`MIN_SLEEP`], for at most
//!   [`MAX_SLEEP`] at a time: a few writes in a thousand wait a
//!   millisecond or a few instead of every write a few microseconds, so
//!   the p99 of writes barely moves while their rate does, and no write
//!   waits longer than the longest sleep.
//!
//! Sleeps happen after a write, outside every lock; a merge never waits for
//! a writer, so pacing cannot deadlock. Only where a background compactor
//! runs (native builds, background merging on) is there anything to wait
//! for.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crate::compaction::policy::over_space_bound;

/// The shortest sleep worth taking: below it, the bytes are carried over.
pub(crate) const MIN_SLEEP: Duration = Duration::from_millis(1);
/// The longest one write sleeps, whatever is owed: what is left is owed by
/// the writes after it, so a paced writer's rate is the same and no single
/// write waits long (RocksDB's delayed writes, likewise, sleep a
/// millisecond at a time).
pub(crate) const MAX_SLEEP: Duration = Duration::from_millis(5);
/// Writers this far behind the pace (they were idle) get no credit for it.
const IDLE_CREDIT: Duration = Duration::from_millis(20);
/// Paced writers get at most this share of the rate merges give space
/// back, so space goes down while they are paced...
const PACE_SHARE: f64 = 0.9;
/// ...and at least this share, however far past the bound the space is.
const MIN_PACE_SHARE: f64 = 0.05;
/// The rate merges are taken to give space back until one has finished
/// since open (16 MiB/s: a segment a second, or the policy's `rate_limit`
/// if that is lower), so that the first merge — the one that starts with
/// the most behind it — is not run unpaced.
pub(crate) const FIRST_RECLAIM_RATE: f64 = 16.0 * 1024.0 * 1024.0;
/// How much a merge's bytes and time count, per merge that finished after
/// it, in the reclaim rate.
const RATE_DECAY: f64 = 0.5;

/// Pacing state shared by every writer of one store.
pub(crate) struct WriteStall {
    enabled: bool,
    /// The policy's `max_space_amplification`; `None` never paces.
    bound: Option<f64>,
    /// What the next merge and the active segment may add to the space:
    /// the live part of one merge's input beside it, and one segment.
    room: u64,
    /// Bytes appended and not yet paced.
    unpaced: AtomicU64,
    /// Writers are being paced (`pace` holds a start time): lets a write
    /// that is not paced skip the lock.
    pacing: AtomicBool,
    /// The share of the merges' reclaim rate writers get (`f64` bits): 0
    /// while the space is within the bound, less the further past it (see
    /// [`pace_share`]). Set by rotation and after each merge.
    share: AtomicU64,
    /// A merge is running.
    merging: AtomicBool,
    /// The rate the last merge gave space back, in bytes a second (`f64`
    /// bits); [`FIRST_RECLAIM_RATE`] until a merge has finished.
    reclaim_rate: AtomicU64,
    /// What `reclaim_rate` is worked out from.
    history: Mutex<Reclaimed>,
    pace: Mutex<Pace>,
}

/// Bytes the recent merges gave back and the time they took, the older
/// ones weighed down by [`RATE_DECAY`] per merge since.
#[derive(Debug, Default)]
struct Reclaimed {
    bytes: f64,
    secs: f64,
}

/// The bytes written since pacing began, against the time they may take.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Pace {
    since: Option<Instant>,
    bytes: u64,
}

impl WriteStall {
    /// A stall that paces only when `enabled` (a background compactor
    /// runs), against `bound` with `room` to spare (see the fields); merges
    /// copy at most `rate_limit` bytes a second, if given.
    pub(crate) fn new(
        enabled: bool,
        bound: Option<f64>,
        room: u64,
        rate_limit: Option<u64>,
    ) -> Self {
        let first_rate = rate_limit.map_or(FIRST_RECLAIM_RATE, |limit| {
            FIRST_RECLAIM_RATE.min(limit as f64)
        });
        WriteStall {
            enabled: enabled && bound.is_some(),
            bound,
            room,
            unpaced: AtomicU64::new(0),
            pacing: AtomicBool::new(false),
            share: AtomicU64::new(0f64.to_bits()),
            merging: AtomicBool::new(false),
            reclaim_rate: AtomicU64::new(first_rate.to_bits()),
            history: Mutex::new(Reclaimed::default()),
            pace: Mutex::new(Pace::default()),
        }
    }

    /// Records how the store's space stands against the bound: `total`
    /// bytes on storage, `live` of them live.
    pub(crate) fn note_space(&self, total: u64, live: u64) {
        let share = self
            .bound
            .map_or(0.0, |bound| pace_share(total, live, self.room, bound));
        self.share.store(share.to_bits(), Ordering::Release);
    }

    /// The writer appended `bytes` (called under the writer lock: one
    /// atomic add).
    pub(crate) fn wrote(&self, bytes: u64) {
        if self.enabled {
            self.unpaced.fetch_add(bytes, Ordering::Relaxed);
        }
    }

    /// A merge started (`true`) or ended (`false`).
    pub(crate) fn note_merging(&self, merging: bool) {
        self.merging.store(merging, Ordering::Release);
    }

    /// A merge gave back `reclaimed` bytes in `took`.
    ///
    /// The rate is taken over the last few merges, bytes over time with
    /// each older merge counting half as much as the next: one merge that
    /// only dropped whole dead segments gives back megabytes in a
    /// millisecond, and pacing writers to that would let them run free
    /// through the slow, copying merge that comes after it.
    pub(crate) fn note_reclaimed(&self, reclaimed: u64, took: Duration) {
        let mut history = self.history.lock().unwrap_or_else(|p| p.into_inner());
        history.bytes = history.bytes * RATE_DECAY + reclaimed as f64;
        history.secs = history.secs * RATE_DECAY + took.as_secs_f64();
        if history.secs > 0.0 && history.bytes > 0.0 {
            let rate = history.bytes / history.secs;
            self.reclaim_rate.store(rate.to_bits(), Ordering::Release);
        }
    }

    /// The rate writers are paced to now, if they are.
    fn paced_rate(&self) -> Option<f64> {
        let share = f64::from_bits(self.share.load(Ordering::Acquire));
        let pacing = self.enabled && share > 0.0 && self.merging.load(Ordering::Acquire);
        let rate = f64::from_bits(self.reclaim_rate.load(Ordering::Acquire));
        (pacing && rate > 0.0).then_some(rate * share)
    }

    /// Called after each write, outside every lock: sleeps if the writers
    /// are ahead of the pace.
    pub(crate) fn pace(&self) {
        if !self.enabled {
            return;
        }
        let rate = self.paced_rate();
        if rate.is_none() && !self.pacing.load(Ordering::Acquire) {
            return;
        }
        let bytes = self.unpaced.swap(0, Ordering::Relaxed);
        let now = Instant::now();
        let sleep = {
            let mut pace = self.pace.lock().unwrap_or_else(|p| p.into_inner());
            let sleep = pace.owe(bytes, rate, now);
            self.pacing.store(pace.since.is_some(), Ordering::Release);
            sleep
        };
        if let Some(sleep) = sleep {
            std::thread::sleep(sleep);
        }
    }
}

/// The share of the merges' reclaim rate writers get when `total` bytes on
/// storage hold `live` live ones, with `room` for the next merge and the
/// active segment, under the space `bound`: none while within the bound
/// (no pacing); past it, [`PACE_SHARE`] at first, falling in proportion as
/// the room is used, to [`MIN_PACE_SHARE`] once half of it is — the rate
/// is the last merge's, and the next may give back less, so the pace
/// tightens well before the room runs out.
pub(crate) fn pace_share(total: u64, live: u64, room: u64, bound: f64) -> f64 {
    if !over_space_bound(total, live, room, bound) {
        return 0.0;
    }
    let past = total as f64 + room as f64 - bound * live as f64;
    let used = if room == 0 { 1.0 } else { past / room as f64 };
    (PACE_SHARE * (1.0 - 2.0 * used)).clamp(MIN_PACE_SHARE, PACE_SHARE)
}

impl Pace {
    /// Adds `bytes` written at `now` under pacing at `rate` (`None`: not
    /// paced) and says how long the writer sleeps.
    pub(crate) fn owe(&mut self, bytes: u64, rate: Option<f64>, now: Instant) -> Option<Duration> {
        let Some(rate) = rate else {
            // Pacing ends: what was owed is forgiven, nothing is banked.
            self.since = None;
            self.bytes = 0;
            return None;
        };
        let Some(since) = self.since else {
            // Pacing begins: bytes written before now were not paced.
            self.since = Some(now);
            self.bytes = 0;
            return None;
        };
        self.bytes += bytes;
        let due = since + Duration::from_secs_f64(self.bytes as f64 / rate);
        let ahead = due.saturating_duration_since(now);
        if ahead < MIN_SLEEP {
            if now.saturating_duration_since(due) > IDLE_CREDIT {
                // Behind the pace (writers were idle): no credit for it.
                self.since = Some(now);
                self.bytes = 0;
            }
            return None;
        }
        Some(ahead.min(MAX_SLEEP))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIB: f64 = 1024.0 * 1024.0;

    #[test]
    fn writers_ahead_of_the_pace_sleep_for_what_they_owe_at_most_max_sleep() {
        let start = Instant::now();
        let mut pace = Pace::default();
        // The first write paced starts the clock; what came before is not
        // owed.
        assert_eq!(pace.owe(1 << 30, Some(MIB), start), None);
        // 1 MiB/s: 1 KiB is a little under 1 ms — less than a sleep is
        // worth.
        assert_eq!(pace.owe(1024, Some(MIB), start), None);
        // Another 3 KiB at once: 3.9 ms owed in all.
        let slept = pace.owe(3 * 1024, Some(MIB), start);
        assert_eq!(slept.map(|d| d.as_millis()), Some(3));
        // A whole MiB more: a second owed, MAX_SLEEP taken.
        assert_eq!(pace.owe(1 << 20, Some(MIB), start), Some(MAX_SLEEP));
    }

    #[test]
    fn pacing_ends_when_there_is_no_rate_and_idle_time_is_no_credit() {
        let start = Instant::now();
        let mut pace = Pace::default();
        assert_eq!(pace.owe(0, Some(MIB), start), None);
        assert!(pace.owe(64 * 1024, Some(MIB), start).is_some());
        assert_eq!(pace.owe(1 << 30, None, start), None);
        assert_eq!(pace.bytes, 0);
        // Paced again after a long idle stretch: the stretch does not let
        // a burst through unpaced.
        assert_eq!(pace.owe(1 << 30, Some(MIB), start), None);
        assert_eq!(pace.owe(1024, Some(MIB), start), None);
        let later = start + Duration::from_secs(10);
        assert_eq!(pace.owe(1024, Some(MIB), later), None);
        assert!(pace.owe(64 * 1024, Some(MIB), later).is_some());
    }

    #[test]
    fn the_pace_slows_as_the_room_is_used_up() {
        assert_eq!(pace_share(150, 100, 100, 2.5), 0.0);
        assert_eq!(pace_share(160, 100, 100, 2.5), PACE_SHARE * 0.8);
        assert_eq!(pace_share(175, 100, 100, 2.5), PACE_SHARE * 0.5);
        assert_eq!(pace_share(200, 100, 100, 2.5), MIN_PACE_SHARE);
        assert_eq!(pace_share(900, 100, 100, 2.5), MIN_PACE_SHARE);
    }

    #[test]
    fn a_stall_paces_only_over_the_bound_while_a_merge_runs() {
        assert_eq!(WriteStall::new(true, None, 0, None).paced_rate(), None);
        // 100 live bytes, room 100: past 2.5× from 150 bytes on storage.
        let stall = WriteStall::new(true, Some(2.5), 100, None);
        assert_eq!(stall.paced_rate(), None);
        stall.note_space(175, 100);
        assert_eq!(stall.paced_rate(), None, "no merge runs");
        stall.note_merging(true);
        let share = pace_share(175, 100, 100, 2.5);
        assert_eq!(share, PACE_SHARE * 0.5, "a quarter of the room is used");
        let first = stall.paced_rate();
        assert_eq!(
            first,
            Some(FIRST_RECLAIM_RATE * share),
            "before a merge finished"
        );
        stall.note_reclaimed(10 << 20, Duration::from_secs(1));
        let rate = stall.paced_rate().map(|r| (r / MIB * 100.0).round());
        assert_eq!(rate, Some(450.0));
        // A merge that only dropped dead segments: 10 MiB back in a
        // millisecond. The rate is the recent merges' together, not its.
        stall.note_reclaimed(10 << 20, Duration::from_millis(1));
        let rate = stall.paced_rate().map(|r| r / share / MIB);
        assert!(rate.is_some_and(|r| r < 30.0), "{rate:?} MiB/s");
        stall.note_merging(false);
        assert_eq!(stall.paced_rate(), None, "the merge ended");
        stall.note_merging(true);
        stall.note_space(150, 100);
        assert_eq!(stall.paced_rate(), None, "back under the bound");
        assert_eq!(
            WriteStall::new(false, Some(2.5), 0, None).paced_rate(),
            None
        );
        let slow = WriteStall::new(true, Some(2.5), 100, Some(1000));
        slow.note_merging(true);
        slow.note_space(175, 100);
        assert_eq!(
            slow.paced_rate(),
            Some(1000.0 * share),
            "merges copy at most 1000 B/s"
        );
    }
}
