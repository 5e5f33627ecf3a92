//! The workloads, each run the same way against every store, and the
//! measuring helpers they share (rates, threads, latencies, disk usage).

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};

use crate::engines::{MergeActivity, MergeSpan, Store};

/// Sizes of one run: the full one, whose figures `docs/BENCHMARKS.md`
/// reports, or the quick one CI uses, whose figures mean nothing.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Scale {
    pub keys: u64,
    pub durable_for: Duration,
    /// Prefix scans, and range scans of [`SHORT_RANGE`] keys.
    pub scans: u64,
    /// Range scans of [`LONG_RANGE`] keys: fewer, as each reads far more
    /// keys.
    pub long_scans: u64,
    /// Divides the operation counts of the value-size workloads.
    pub value_size_divisor: u64,
    /// Keys of the sustained-overwrite workload, and how long it overwrites.
    pub overwrite_keys: u64,
    pub overwrite_for: Duration,
}

impl Scale {
    pub(crate) const FULL: Scale = Scale {
        keys: 1_000_000,
        durable_for: Duration::from_secs(10),
        scans: 1_000,
        long_scans: 100,
        value_size_divisor: 1,
        overwrite_keys: 100_000,
        overwrite_for: Duration::from_secs(60),
    };
    pub(crate) const QUICK: Scale = Scale {
        keys: 20_000,
        durable_for: Duration::from_millis(500),
        scans: 100,
        long_scans: 10,
        value_size_divisor: 20,
        overwrite_keys: 5_000,
        overwrite_for: Duration::from_millis(1500),
    };

    /// How many range scans of `keys` keys a run makes.
    pub(crate) fn range_scans(self, keys: u64) -> u64 {
        if keys > SHORT_RANGE {
            self.long_scans
        } else {
            self.scans
        }
    }
}

pub(crate) const VALUE_LEN: usize = 100;

/// Keys in a short and in a long range scan.
pub(crate) const SHORT_RANGE: u64 = 100;
pub(crate) const LONG_RANGE: u64 = 10_000;

/// The parts of a run that `--workloads` can pick, in the order a run
/// measures them. `Fill` to `Reopen` share one filled store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Workload {
    /// The fill, and the bytes on disk per key after it.
    Fill,
    RandomGet,
    MissingGet,
    Mixed,
    PrefixScan,
    Ranges,
    Compaction,
    /// Reopen time and memory, in a child process.
    Reopen,
    RandomSet,
    DurableSet,
    ValueSizes,
    SustainedOverwrite,
}

impl Workload {
    pub(crate) const ALL: [Workload; 12] = [
        Workload::Fill,
        Workload::RandomGet,
        Workload::MissingGet,
        Workload::Mixed,
        Workload::PrefixScan,
        Workload::Ranges,
        Workload::Compaction,
        Workload::Reopen,
        Workload::RandomSet,
        Workload::DurableSet,
        Workload::ValueSizes,
        Workload::SustainedOverwrite,
    ];

    pub(crate) fn name(self) -> &'static str {
        match self {
            Workload::Fill => "fill",
            Workload::RandomGet => "random-get",
            Workload::MissingGet => "missing-get",
            Workload::Mixed => "mixed",
            Workload::PrefixScan => "prefix-scan",
            Workload::Ranges => "ranges",
            Workload::Compaction => "compaction",
            Workload::Reopen => "reopen",
            Workload::RandomSet => "random-set",
            Workload::DurableSet => "durable-set",
            Workload::ValueSizes => "value-sizes",
            Workload::SustainedOverwrite => "sustained-overwrite",
        }
    }

    pub(crate) fn from_name(name: &str) -> Option<Workload> {
        Workload::ALL.into_iter().find(|w| w.name() == name)
    }

    /// Whether it measures the store filled by [`Workload::Fill`].
    pub(crate) fn on_filled_store(self) -> bool {
        self <= Workload::Reopen
    }
}

/// The `i`-th key of the filled store: 16 decimal digits, so 100 consecutive
/// keys share a 14-byte prefix.
pub(crate) fn seq_key(i: u64) -> Vec<u8> {
    format!("{i:016}").into_bytes()
}

/// A key that is never in the store (the filled keys are all digits).
pub(crate) fn missing_key(rng: &mut Rng) -> Vec<u8> {
    format!("x{:015x}", rng.next() >> 4).into_bytes()
}

/// A random 16-byte key.
pub(crate) fn random_key(rng: &mut Rng) -> Vec<u8> {
    format!("{:016x}", rng.next()).into_bytes()
}

pub(crate) fn value(i: u64, len: usize) -> Vec<u8> {
    let seed = i.to_le_bytes();
    (0..len).map(|j| seed[j % 8] ^ (j as u8)).collect()
}

/// splitmix64: tiny, deterministic, good enough to pick keys.
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: u64) -> Self {
        Rng(seed)
    }

    pub(crate) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    pub(crate) fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

/// Operations per second of `ops` operations done by `f`.
pub(crate) fn rate(ops: u64, f: impl FnOnce() -> Result<()>) -> Result<f64> {
    let start = Instant::now();
    f()?;
    Ok(ops as f64 / start.elapsed().as_secs_f64())
}

/// Runs `f(thread, i)` for `ops_per_thread` iterations on each of `threads`
/// threads; returns the total operations per second.
pub(crate) fn threaded(
    threads: u64,
    ops_per_thread: u64,
    f: impl Fn(u64, &mut Rng) -> Result<()> + Sync,
) -> Result<f64> {
    rate(threads * ops_per_thread, || {
        std::thread::scope(|scope| {
            let handles: Vec<_> = (0..threads)
                .map(|t| {
                    let f = &f;
                    scope.spawn(move || -> Result<()> {
                        let mut rng = Rng::new(0xC0FFEE + t);
                        for _ in 0..ops_per_thread {
                            f(t, &mut rng)?;
                        }
                        Ok(())
                    })
                })
                .collect();
            for handle in handles {
                handle
                    .join()
                    .map_err(|_| anyhow::anyhow!("a benchmark thread panicked"))??;
            }
            Ok(())
        })
    })
}

/// Runs `f` on `threads` threads for `duration`; returns operations per second.
pub(crate) fn for_duration(
    threads: u64,
    duration: Duration,
    f: impl Fn(u64, u64) -> Result<()> + Sync,
) -> Result<f64> {
    let done = AtomicBool::new(false);
    let total = AtomicU64::new(0);
    let start = Instant::now();
    std::thread::scope(|scope| -> Result<()> {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let (f, done, total) = (&f, &done, &total);
                scope.spawn(move || -> Result<()> {
                    let mut i = 0;
                    while !done.load(Ordering::Relaxed) {
                        f(t, i)?;
                        i += 1;
                    }
                    total.fetch_add(i, Ordering::Relaxed);
                    Ok(())
                })
            })
            .collect();
        std::thread::sleep(duration);
        done.store(true, Ordering::Relaxed);
        for handle in handles {
            handle
                .join()
                .map_err(|_| anyhow::anyhow!("a benchmark thread panicked"))??;
        }
        Ok(())
    })?;
    Ok(total.load(Ordering::Relaxed) as f64 / start.elapsed().as_secs_f64())
}

/// Fills `store` with `keys` sequential keys in batches of 1,000.
pub(crate) fn fill(store: &dyn Store, keys: u64) -> Result<f64> {
    rate(keys, || {
        let mut batch = Vec::with_capacity(1000);
        for i in 0..keys {
            batch.push((seq_key(i), value(i, VALUE_LEN)));
            if batch.len() == 1000 || i + 1 == keys {
                store.set_batch(&batch)?;
                batch.clear();
            }
        }
        Ok(())
    })
}

/// `scans` range scans of `len` consecutive keys, forward or `reverse`, from
/// random starts in a store holding the `keys` keys [`seq_key`]`(0..keys)`;
/// returns scans per second. Each scan must find exactly `len` keys.
pub(crate) fn range_scans(
    store: &dyn Store,
    keys: u64,
    len: u64,
    reverse: bool,
    scans: u64,
    rng: &mut Rng,
) -> Result<f64> {
    anyhow::ensure!(keys >= len, "{keys} keys cannot hold a range of {len}");
    // The bounds are made before the clock starts, so only the scans are timed.
    let bounds: Vec<(Vec<u8>, Vec<u8>)> = (0..scans)
        .map(|_| {
            let start = rng.below(keys - len + 1);
            (seq_key(start), seq_key(start + len))
        })
        .collect();
    rate(scans, || {
        for (start, end) in &bounds {
            let found = store.range(start, end, reverse)? as u64;
            anyhow::ensure!(found == len, "range scan found {found} keys, not {len}");
        }
        Ok(())
    })
}

/// Overwrites every key once, then compacts while one thread keeps setting
/// and records each set's latency. Returns (seconds the compaction took,
/// p99 set latency in microseconds during it, sets measured) or `None` when
/// the store cannot be asked to compact.
pub(crate) fn compaction(
    store: &dyn Store,
    keys: u64,
) -> Result<Option<(f64, Option<f64>, usize)>> {
    let mut batch = Vec::with_capacity(1000);
    for i in 0..keys {
        batch.push((seq_key(i), value(i + 1, VALUE_LEN)));
        if batch.len() == 1000 || i + 1 == keys {
            store.set_batch(&batch)?;
            batch.clear();
        }
    }
    let done = AtomicBool::new(false);
    let (compacted, latencies) = std::thread::scope(|scope| -> Result<_> {
        let writer = scope.spawn(|| -> Result<Vec<Duration>> {
            let mut rng = Rng::new(7);
            let mut latencies = Vec::new();
            while !done.load(Ordering::Relaxed) {
                let i = rng.below(keys);
                let start = Instant::now();
                store.set(&seq_key(i), &value(i + 2, VALUE_LEN))?;
                latencies.push(start.elapsed());
            }
            Ok(latencies)
        });
        let start = Instant::now();
        let compacted = store.compact()?;
        let took = start.elapsed().as_secs_f64();
        done.store(true, Ordering::Relaxed);
        let latencies = writer
            .join()
            .map_err(|_| anyhow::anyhow!("the writer panicked"))??;
        Ok((compacted.then_some(took), latencies))
    })?;
    let Some(took) = compacted else {
        return Ok(None);
    };
    let mut latencies = latencies;
    latencies.sort_unstable();
    let p99 = (!latencies.is_empty()).then(|| {
        latencies[(latencies.len() * 99 / 100).min(latencies.len() - 1)].as_secs_f64() * 1e6
    });
    Ok(Some((took, p99, latencies.len())))
}

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

/// Latencies in log-linear buckets, 32 per power of two (within about 3 %),
/// so a minute of sets takes a few KiB however many sets there are.
#[derive(Clone)]
pub(crate) struct Histogram {
    counts: Vec<u32>,
    total: u64,
    max_ns: u64,
}

const BUCKETS: usize = 1024;

impl Histogram {
    pub(crate) fn new() -> Self {
        Histogram {
            counts: vec![0; BUCKETS],
            total: 0,
            max_ns: 0,
        }
    }

    fn bucket(ns: u64) -> usize {
        if ns < 64 {
            return ns as usize;
        }
        let log = 63 - ns.leading_zeros() as usize;
        let mantissa = (ns >> (log - 5)) as usize;
        (64 + (log - 6) * 32 + (mantissa - 32)).min(BUCKETS - 1)
    }

    /// The largest latency in ns bucket `i` holds.
    fn bucket_top(i: usize) -> u64 {
        if i < 64 {
            return i as u64;
        }
        let log = (i - 64) / 32 + 6;
        let mantissa = ((i - 64) % 32 + 32) as u64;
        ((mantissa + 1) << (log - 5)) - 1
    }

    pub(crate) fn record(&mut self, latency: Duration) {
        let ns = u64::try_from(latency.as_nanos()).unwrap_or(u64::MAX);
        self.counts[Self::bucket(ns)] += 1;
        self.total += 1;
        self.max_ns = self.max_ns.max(ns);
    }

    pub(crate) fn merge(&mut self, other: &Histogram) {
        for (mine, theirs) in self.counts.iter_mut().zip(&other.counts) {
            *mine += theirs;
        }
        self.total += other.total;
        self.max_ns = self.max_ns.max(other.max_ns);
    }

    pub(crate) fn count(&self) -> u64 {
        self.total
    }

    /// The `q` quantile (0 to 1) in µs: the top of its bucket, so at most
    /// about 3 % high; `None` when empty.
    pub(crate) fn quantile_us(&self, q: f64) -> Option<f64> {
        if self.total == 0 {
            return None;
        }
        let rank = ((q * self.total as f64).ceil() as u64).clamp(1, self.total);
        let mut seen = 0;
        for (i, &n) in self.counts.iter().enumerate() {
            seen += u64::from(n);
            if seen >= rank {
                return Some(Self::bucket_top(i).min(self.max_ns) as f64 / 1e3);
            }
        }
        Some(self.max_ns as f64 / 1e3)
    }

    /// The largest latency in µs; `None` when empty.
    pub(crate) fn max_us(&self) -> Option<f64> {
        (self.total > 0).then(|| self.max_ns as f64 / 1e3)
    }
}

/// This process's I/O counters from `/proc/self/io` (Linux), all threads.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ProcIo {
    /// Bytes passed to `write`-like system calls.
    pub wchar: u64,
    /// Bytes of page cache this process dirtied, each dirtied page once
    /// until it is written back.
    pub write_bytes: u64,
    /// Of those, bytes truncated or deleted before they were written back.
    pub cancelled_write_bytes: u64,
}

impl ProcIo {
    fn since(self, earlier: ProcIo) -> ProcIo {
        ProcIo {
            wchar: self.wchar.saturating_sub(earlier.wchar),
            write_bytes: self.write_bytes.saturating_sub(earlier.write_bytes),
            cancelled_write_bytes: self
                .cancelled_write_bytes
                .saturating_sub(earlier.cancelled_write_bytes),
        }
    }

    /// Bytes bound for the disk: dirtied and not cancelled.
    pub(crate) fn disk_bytes(&self) -> u64 {
        self.write_bytes.saturating_sub(self.cancelled_write_bytes)
    }
}

pub(crate) fn proc_io() -> Option<ProcIo> {
    let io = std::fs::read_to_string("/proc/self/io").ok()?;
    let field = |name: &str| -> Option<u64> {
        let line = io.lines().find(|l| l.starts_with(name))?;
        line.split_whitespace().nth(1)?.parse().ok()
    };
    Some(ProcIo {
        wchar: field("wchar:")?,
        write_bytes: field("write_bytes:")?,
        cancelled_write_bytes: field("cancelled_write_bytes:")?,
    })
}

/// Bytes the files under `dir` take on the disk: allocated blocks, so a
/// file extended sparsely ahead of its appends (mini-kvstore's active
/// segment) counts only what was written. Files removed during the walk
/// (a merge or compaction finishing) are skipped.
pub(crate) fn disk_allocated(dir: &Path) -> Result<u64> {
    let gone = |e: &std::io::Error| e.kind() == std::io::ErrorKind::NotFound;
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if gone(&e) => return Ok(0),
        Err(e) => return Err(e.into()),
    };
    let mut total = 0;
    for entry in entries {
        let meta = match entry.and_then(|e| e.metadata().map(|m| (e.path(), m))) {
            Ok(found) => found,
            Err(e) if gone(&e) => continue,
            Err(e) => return Err(e.into()),
        };
        let (path, meta) = meta;
        total += if meta.is_dir() {
            disk_allocated(&path)?
        } else {
            allocated(&meta)
        };
    }
    Ok(total)
}

#[cfg(unix)]
fn allocated(meta: &std::fs::Metadata) -> u64 {
    use std::os::unix::fs::MetadataExt;
    meta.blocks() * 512
}

#[cfg(not(unix))]
fn allocated(meta: &std::fs::Metadata) -> u64 {
    meta.len()
}

/// Bytes in the files under `dir`.
pub(crate) fn disk_usage(dir: &Path) -> Result<u64> {
    let mut total = 0;
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let meta = entry.metadata()?;
        total += if meta.is_dir() {
            disk_usage(&entry.path())?
        } else {
            meta.len()
        };
    }
    Ok(total)
}

/// `(peak RSS, current RSS)` of this process in bytes, from /proc (Linux).
pub(crate) fn rss() -> Option<(u64, u64)> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let field = |name: &str| -> Option<u64> {
        let line = status.lines().find(|l| l.starts_with(name))?;
        let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
        Some(kb * 1024)
    };
    Some((field("VmHWM:")?, field("VmRSS:")?))
}
