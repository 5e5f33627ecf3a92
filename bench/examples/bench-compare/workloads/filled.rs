//! Workloads on the filled store: the fill itself, range scans, and a
//! compaction timed against the sets made while it runs.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::Result;

use super::VALUE_LEN;
use super::keys::{Rng, seq_key, value};
use super::measure::rate;
use crate::engines::Store;

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
