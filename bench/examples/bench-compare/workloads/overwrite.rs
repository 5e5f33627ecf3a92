//! The sustained-overwrite workload: 1 KiB values overwritten at random
//! while each store maintains itself, with the directory sampled and the
//! sets split by whether a merge ran.

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};

use super::keys::{Rng, seq_key};
use super::measure::{Histogram, ProcIo, disk_allocated, proc_io};
use crate::engines::{MergeActivity, MergeSpan, Store};

/// Value length of the sustained-overwrite workload (its keys are
/// [`seq_key`]s, 16 bytes).
pub(crate) const OVERWRITE_VALUE_LEN: usize = 1024;
const OVERWRITE_KEY_LEN: usize = 16;
/// How often the directory's size (and the store's merges) are sampled.
const SAMPLE_EVERY: Duration = Duration::from_millis(100);
/// Width of the time slots sets are grouped in to tell the ones made while a
/// merge ran from the others.
const SLOT_MS: u64 = 10;

/// What the sustained-overwrite workload measured in one store.
pub(crate) struct Overwrite {
    pub sets: u64,
    pub secs: f64,
    /// `keys × (key + value)`.
    pub live_bytes: u64,
    /// Largest and last allocated size of the store's directory.
    pub peak_disk: u64,
    pub end_disk: u64,
    /// `sets × (key + value)`.
    pub user_bytes: u64,
    /// How much this process wrote meanwhile (Linux only).
    pub io: Option<ProcIo>,
    pub latency: Histogram,
    /// mini-kvstore only: its latencies split by whether a merge ran, and
    /// the write amplification it counts itself.
    pub merges: Option<MergeSplit>,
}

pub(crate) struct MergeSplit {
    pub merging: Histogram,
    pub idle: Histogram,
    /// Merges that overlapped the phase.
    pub merges: usize,
    /// `(user + merge bytes) / user bytes` over the phase, by the store's
    /// own counters.
    pub write_amplification: f64,
}

/// Fills `keys` keys with 1 KiB values, then overwrites keys picked
/// uniformly at random from one thread for `duration`, timing every set,
/// while another thread samples the directory's size on disk and the
/// store's merges. Each store runs its own background maintenance: nothing
/// here asks for a compaction.
pub(crate) fn overwrite(
    store: &dyn Store,
    dir: &Path,
    keys: u64,
    duration: Duration,
) -> Result<Overwrite> {
    let mut rng = Rng::new(11);
    // Incompressible values: fjall compresses its blocks (lz4) by default
    // and the others do not, so a patterned value would measure compression
    // rather than how each store manages space. Values are 1 KiB windows at
    // random offsets of this pool; two in the same block rarely overlap.
    let pool: Vec<u8> = (0..(4 << 20) / 8)
        .flat_map(|_| rng.next().to_le_bytes())
        .collect();
    let pick = |rng: &mut Rng| -> &[u8] {
        let at = rng.below((pool.len() - OVERWRITE_VALUE_LEN) as u64) as usize;
        &pool[at..at + OVERWRITE_VALUE_LEN]
    };
    let mut batch = Vec::with_capacity(1000);
    for i in 0..keys {
        batch.push((seq_key(i), pick(&mut rng).to_vec()));
        if batch.len() == 1000 || i + 1 == keys {
            store.set_batch(&batch)?;
            batch.clear();
        }
    }
    store.flush()?;

    let before = store.merge_activity();
    let io_before = proc_io();
    let base_ms = epoch_ms();
    let start = Instant::now();
    let done = AtomicBool::new(false);
    let (written, sampled) = std::thread::scope(|scope| {
        let sampler = scope.spawn(|| sample(store, dir, &done));
        let written = (|| -> Result<(u64, Vec<Histogram>)> {
            let mut slots: Vec<Histogram> = Vec::new();
            let mut sets = 0u64;
            let deadline = start + duration;
            loop {
                let key = seq_key(rng.below(keys));
                let value = pick(&mut rng);
                let t0 = Instant::now();
                store.set(&key, value)?;
                let t1 = Instant::now();
                let slot = ((t0 - start).as_millis() as u64 / SLOT_MS) as usize;
                if slots.len() <= slot {
                    slots.resize_with(slot + 1, Histogram::new);
                }
                slots[slot].record(t1 - t0);
                sets += 1;
                if t1 >= deadline {
                    return Ok((sets, slots));
                }
            }
        })();
        done.store(true, Ordering::Relaxed);
        let sampled = sampler
            .join()
            .map_err(|_| anyhow::anyhow!("the sampler panicked"));
        (written, sampled)
    });
    let secs = start.elapsed().as_secs_f64();
    let io_after = proc_io();
    let at_end = store.merge_activity();
    let (sets, slots) = written?;
    let (peak_disk, mut spans) = sampled??;
    let end_disk = disk_allocated(dir)?;
    let peak_disk = peak_disk.max(end_disk);

    let mut latency = Histogram::new();
    for slot in &slots {
        latency.merge(slot);
    }
    let merges = match before.zip(at_end) {
        Some((before, at_end)) => Some(split_by_merges(
            store,
            [&before, &at_end],
            &mut spans,
            &slots,
            base_ms,
            secs,
        )?),
        None => None,
    };
    let user_bytes = sets * (OVERWRITE_KEY_LEN + OVERWRITE_VALUE_LEN) as u64;
    Ok(Overwrite {
        sets,
        secs,
        live_bytes: keys * (OVERWRITE_KEY_LEN + OVERWRITE_VALUE_LEN) as u64,
        peak_disk,
        end_disk,
        user_bytes,
        io: io_before.zip(io_after).map(|(b, a)| a.since(b)),
        latency,
        merges,
    })
}

/// Samples the directory's allocated size every [`SAMPLE_EVERY`] until
/// `done`, and collects the merges the store reports meanwhile (it keeps only
/// its last few, so they are read often). Returns the largest size and the
/// merges.
fn sample(store: &dyn Store, dir: &Path, done: &AtomicBool) -> Result<(u64, BTreeSet<MergeSpan>)> {
    let mut peak = 0;
    let mut spans = BTreeSet::new();
    let mut next = Instant::now();
    while !done.load(Ordering::Relaxed) {
        if Instant::now() >= next {
            peak = peak.max(disk_allocated(dir)?);
            if let Some(activity) = store.merge_activity() {
                spans.extend(activity.recent);
            }
            next += SAMPLE_EVERY;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    Ok((peak, spans))
}

/// Splits the per-slot latencies into the slots during which a merge ran
/// and the others. A slot counts as "merge running" when any merge the
/// store reported overlaps it, its span widened by 1 ms each side because
/// the store times merges in whole milliseconds; sets are placed in slots
/// by when they started. Waits (up to 2 s) for a merge still running at the
/// end, so that one is known too. `before` and `at_end` are the store's
/// counters when the overwriting began and ended.
fn split_by_merges(
    store: &dyn Store,
    [before, at_end]: [&MergeActivity; 2],
    spans: &mut BTreeSet<MergeSpan>,
    slots: &[Histogram],
    base_ms: u64,
    secs: f64,
) -> Result<MergeSplit> {
    let activity = || {
        store
            .merge_activity()
            .context("the store stopped reporting its merges")
    };
    let settle_until = Instant::now() + Duration::from_secs(2);
    let mut after = activity()?;
    loop {
        std::thread::sleep(Duration::from_millis(200));
        let now = activity()?;
        let still = now.merges == after.merges && now.merge_bytes == after.merge_bytes;
        after = now;
        if still || Instant::now() >= settle_until {
            break;
        }
    }
    spans.extend(after.recent.iter().copied());

    let end_ms = base_ms + (secs * 1e3).ceil() as u64;
    let overlapping: Vec<(u64, u64)> = spans
        .iter()
        .map(|s| (s.start_ms.saturating_sub(1), s.start_ms + s.duration_ms + 1))
        .filter(|&(from, to)| to > base_ms && from < end_ms)
        .collect();
    // Every merge that finished after the phase began should be among
    // them; the store keeps only its last few reports, so say if some
    // were missed.
    let finished = after.merges - before.merges;
    let seen = spans
        .iter()
        .filter(|s| s.start_ms + s.duration_ms + 1 >= base_ms)
        .count() as u64;
    if seen < finished {
        eprintln!(
            "  warning: {} of {finished} merges were not seen; the split by merges is incomplete",
            finished - seen
        );
    }
    let mut merging = Histogram::new();
    let mut idle = Histogram::new();
    for (i, slot) in slots.iter().enumerate() {
        let from = base_ms + i as u64 * SLOT_MS;
        let to = from + SLOT_MS;
        if overlapping.iter().any(|&(a, b)| a < to && b > from) {
            merging.merge(slot);
        } else {
            idle.merge(slot);
        }
    }
    // Over the phase only, as the process's own counters are.
    let user = at_end.user_bytes - before.user_bytes;
    let merged = at_end.merge_bytes - before.merge_bytes;
    Ok(MergeSplit {
        merging,
        idle,
        merges: overlapping.len(),
        write_amplification: if user == 0 {
            1.0
        } else {
            (user + merged) as f64 / user as f64
        },
    })
}

fn epoch_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}
