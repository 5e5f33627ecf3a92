//! The workloads, each run the same way against every store, and the
//! measuring helpers they share (rates, threads, latencies, disk usage).

use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::Result;

use crate::engines::Store;

/// Sizes of one run: the full one, whose figures `docs/BENCHMARKS.md`
/// reports, or the quick one CI uses, whose figures mean nothing.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Scale {
    pub keys: u64,
    pub durable_for: Duration,
    pub scans: u64,
    /// Divides the operation counts of the value-size workloads.
    pub value_size_divisor: u64,
}

impl Scale {
    pub(crate) const FULL: Scale = Scale {
        keys: 1_000_000,
        durable_for: Duration::from_secs(10),
        scans: 1_000,
        value_size_divisor: 1,
    };
    pub(crate) const QUICK: Scale = Scale {
        keys: 20_000,
        durable_for: Duration::from_millis(500),
        scans: 100,
        value_size_divisor: 20,
    };
}

pub(crate) const VALUE_LEN: usize = 100;

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
