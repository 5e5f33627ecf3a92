//! Measuring helpers the workloads share: rates, threads, latencies, and
//! what the process and the directory use.

use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::Result;

use super::keys::Rng;

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
    pub(crate) fn since(self, earlier: ProcIo) -> ProcIo {
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
