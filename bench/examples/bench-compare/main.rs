//! `bench-compare`: runs the same workloads against mini-kvstore, sled, redb
//! and fjall in one process run, each in a fresh temporary directory on the
//! same disk, prints one table (ops/s and the ratio to mini-kvstore), and —
//! in a full run — writes it into `docs/BENCHMARKS.md` with SVG charts under
//! `docs/`.
//!
//! ```text
//! cargo run --release -p mini-kvstore-bench --example bench-compare -- [--quick] [--no-write] [--only NAME,…] [--workloads NAME,…]
//! ```
//! (`cargo xtask bench-compare [ARGS]` is the same.)
//!
//! `--quick` shrinks every workload (CI runs it to prove the command works;
//! its numbers mean nothing and are never written to the docs). Reopen time
//! and memory are measured in a child process (this binary again, with
//! `--reopen-child`), so the peak RSS is the reopen's own.
//!
//! `--workloads` measures only the named workloads (`all`, the default, is
//! every one; `--help` lists the names), to look at one part alone. Such a
//! run, missing the others, never writes the docs or the charts, as if
//! `--no-write` were given. The workloads on the filled store (`fill` to
//! `reopen`) run in order on one store, so one picked alone still runs,
//! unmeasured, the fill and whichever of `mixed` and `compaction` come
//! before it — they change what the store holds — and finds the store as a
//! full run leaves it; the reads before it are skipped.

mod engines;
mod report;
mod workloads;

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result, bail};

use engines::Kind;
use report::{Measure, Report};
use workloads::{
    LONG_RANGE, Rng, SHORT_RANGE, Scale, VALUE_LEN, Workload, missing_key, random_key, seq_key,
    value,
};

const USAGE: &str = "\
usage: bench-compare [--quick] [--no-write] [--only STORES] [--workloads LIST]
  --quick              shrink every workload (figures mean nothing; docs not written)
  --no-write           print the table only; do not rewrite docs/BENCHMARKS.md or the charts
  --only STORES        comma-separated: mini-kvstore,sled,redb,fjall
  --workloads LIST     comma-separated, or all (the default); anything but all
                       implies --no-write";

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--reopen-child") {
        return reopen_child(&args[1..]);
    }
    let mut quick = false;
    let mut write = true;
    let mut only: Vec<Kind> = Kind::ALL.to_vec();
    let mut picked: Vec<Workload> = Workload::ALL.to_vec();
    let mut iter = args.iter();
    while let Some(arg) = iter.next() {
        match arg.as_str() {
            "--quick" => quick = true,
            "--no-write" => write = false,
            "--only" => {
                let names = iter.next().context("--only needs a list of stores")?;
                only = names
                    .split(',')
                    .map(|n| Kind::from_name(n).with_context(|| format!("unknown store {n:?}")))
                    .collect::<Result<_>>()?;
            }
            "--workloads" => {
                let names = iter
                    .next()
                    .context("--workloads needs a list of workloads")?;
                picked = parse_workloads(names)?;
            }
            "-h" | "--help" => {
                println!("{USAGE}\n  workloads: {}", workload_names());
                return Ok(());
            }
            other => bail!("unknown argument {other:?} (try --help)"),
        }
    }
    let scale = if quick { Scale::QUICK } else { Scale::FULL };
    // The docs hold a whole run: a table missing workloads would replace
    // the figures it lacks with nothing.
    let every_workload = picked.len() == Workload::ALL.len();
    if write && !quick && !every_workload {
        eprintln!(
            "not every workload runs: docs/BENCHMARKS.md and the charts are left as they are"
        );
    }
    let mut report = Report::new(scale, quick);
    let started = Instant::now();
    for kind in only {
        eprintln!("== {}", kind.name());
        run_store(kind, scale, &picked, &mut report)
            .with_context(|| format!("benchmarking {}", kind.name()))?;
    }
    report.elapsed = started.elapsed();
    print!("{}", report.table());
    if write && !quick && every_workload {
        let root = workspace_root();
        report.write_docs(&root)?;
        eprintln!("wrote docs/BENCHMARKS.md and docs/bench-*.svg");
    }
    Ok(())
}

/// `--workloads`' list: names, or `all`, in any order; returned sorted in
/// the order a run measures them, each once.
fn parse_workloads(list: &str) -> Result<Vec<Workload>> {
    let mut picked = Vec::new();
    for name in list.split(',').map(str::trim) {
        if name == "all" {
            picked.extend(Workload::ALL);
        } else {
            picked.push(Workload::from_name(name).with_context(|| {
                format!("unknown workload {name:?} (one of: {})", workload_names())
            })?);
        }
    }
    picked.sort();
    picked.dedup();
    Ok(picked)
}

fn workload_names() -> String {
    let names: Vec<&str> = Workload::ALL.iter().map(|w| w.name()).collect();
    format!("all, {}", names.join(", "))
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

fn scratch_dir() -> Result<tempfile::TempDir> {
    // Next to the build, so every store writes to the same disk.
    let base = workspace_root().join("target").join("bench-data");
    std::fs::create_dir_all(&base)?;
    Ok(tempfile::tempdir_in(base)?)
}

fn run_store(kind: Kind, scale: Scale, picked: &[Workload], report: &mut Report) -> Result<()> {
    let n = scale.keys;
    let name = kind.name();
    let wants = |w: Workload| picked.contains(&w);
    // A workload not picked still runs, unmeasured, when it writes to the
    // filled store before a picked one: the picked one then finds the store
    // as a full run leaves it.
    let setup = |w: Workload| {
        eprintln!(
            "  ({} runs unmeasured: later workloads need what it writes)",
            w.name()
        )
    };

    // Fill, then everything that reads the filled store.
    let last_on_filled = picked.iter().copied().filter(|w| w.on_filled_store()).max();
    if let Some(last) = last_on_filled {
        let dir = scratch_dir()?;
        {
            let store = engines::open(kind, dir.path(), false)?;
            let fill = workloads::fill(store.as_ref(), n)?;
            store.flush()?;
            if wants(Workload::Fill) {
                report.record(Measure::Fill, kind, fill);
                report.record(
                    Measure::DiskBytesPerKey,
                    kind,
                    workloads::disk_usage(dir.path())? as f64 / n as f64,
                );
            } else {
                setup(Workload::Fill);
            }
            if wants(Workload::RandomGet) {
                for threads in [1, 2] {
                    let measure = if threads == 1 {
                        Measure::RandomGet1
                    } else {
                        Measure::RandomGet2
                    };
                    let ops = workloads::threaded(threads, n / threads, |_, rng| {
                        let i = rng.below(n);
                        let v = store.get(&seq_key(i))?;
                        anyhow::ensure!(v.is_some(), "{name}: key {i} missing");
                        Ok(())
                    })?;
                    report.record(measure, kind, ops);
                }
            }
            if wants(Workload::MissingGet) {
                let ops = workloads::threaded(1, n, |_, rng| {
                    anyhow::ensure!(
                        store.get(&missing_key(rng))?.is_none(),
                        "{name}: found a missing key"
                    );
                    Ok(())
                })?;
                report.record(Measure::MissingGet, kind, ops);
            }
            if last >= Workload::Mixed {
                let ops = workloads::threaded(2, n / 2, |_, rng| {
                    let i = rng.below(n);
                    if rng.below(10) == 0 {
                        store.set(&seq_key(i), &value(i, VALUE_LEN))
                    } else {
                        store.get(&seq_key(i)).map(drop)
                    }
                })?;
                if wants(Workload::Mixed) {
                    report.record(Measure::Mixed, kind, ops);
                } else {
                    setup(Workload::Mixed);
                }
            }
            if wants(Workload::PrefixScan) {
                let mut rng = Rng::new(42);
                let scans = scale.scans;
                let ops = workloads::rate(scans, || {
                    for _ in 0..scans {
                        let start = rng.below(n / 100) * 100;
                        let prefix = &seq_key(start)[..14];
                        let found = store.scan_prefix(prefix)?;
                        anyhow::ensure!(
                            found == 100,
                            "{name}: prefix scan found {found} keys, not 100"
                        );
                    }
                    Ok(())
                })?;
                report.record(Measure::PrefixScan, kind, ops);
            }
            if wants(Workload::Ranges) {
                // Its own generator, so the starts do not depend on which
                // other workloads ran.
                let mut rng = Rng::new(43);
                for keys in [SHORT_RANGE, LONG_RANGE] {
                    for reverse in [false, true] {
                        let scans = scale.range_scans(keys);
                        let ops = workloads::range_scans(
                            store.as_ref(),
                            n,
                            keys,
                            reverse,
                            scans,
                            &mut rng,
                        )
                        .with_context(|| format!("{name}: range scans of {keys} keys"))?;
                        report.record(Measure::RangeScan { keys, reverse }, kind, ops);
                    }
                }
            }
            if last >= Workload::Compaction {
                let compacted = workloads::compaction(store.as_ref(), n)?;
                if !wants(Workload::Compaction) {
                    setup(Workload::Compaction);
                } else if let Some((secs, p99, samples)) = compacted {
                    let bytes = workloads::disk_usage(dir.path())? as f64;
                    report.record(Measure::CompactionMbps, kind, bytes / secs / 1e6);
                    if let Some(p99) = p99.filter(|_| samples >= 10) {
                        report.record(Measure::CompactionSetP99Us, kind, p99);
                    }
                }
            }
            store.flush()?;
        }
        if wants(Workload::Reopen) {
            let (secs, peak, rss, keys) = reopen_in_child(kind, dir.path())?;
            anyhow::ensure!(
                keys as u64 == n,
                "{name}: reopened with {keys} keys, expected {n}"
            );
            report.record(Measure::ReopenMs, kind, secs * 1e3);
            report.record(Measure::ReopenPeakRssMb, kind, peak as f64 / 1e6);
            report.record(Measure::MemoryBytesPerKey, kind, rss as f64 / n as f64);
        }
        drop(dir);
    }

    // Random-key sets into a fresh store.
    if wants(Workload::RandomSet) {
        let dir = scratch_dir()?;
        {
            let store = engines::open(kind, dir.path(), false)?;
            let mut rng = Rng::new(1);
            let ops = workloads::rate(n, || {
                for i in 0..n {
                    store.set(&random_key(&mut rng), &value(i, VALUE_LEN))?;
                }
                Ok(())
            })?;
            report.record(Measure::RandomSet, kind, ops);
        }
        drop(dir);
    }

    // Durable sets, 1 and 16 threads, each into a fresh store.
    if wants(Workload::DurableSet) {
        for threads in [1u64, 16] {
            let dir = scratch_dir()?;
            let store = engines::open(kind, dir.path(), true)?;
            let ops = workloads::for_duration(threads, scale.durable_for, |t, i| {
                store.set(&format!("{t:04}{i:012}").into_bytes(), &value(i, VALUE_LEN))
            })?;
            let measure = if threads == 1 {
                Measure::DurableSet1
            } else {
                Measure::DurableSet16
            };
            report.record(measure, kind, ops);
        }
    }

    if wants(Workload::ValueSizes) {
        value_sizes(kind, scale, report)?;
    }

    // Sustained overwrites under the store's own background maintenance.
    if wants(Workload::SustainedOverwrite) {
        let dir = scratch_dir()?;
        {
            let store = engines::open(kind, dir.path(), false)?;
            let run = workloads::overwrite(
                store.as_ref(),
                dir.path(),
                scale.overwrite_keys,
                scale.overwrite_for,
            )?;
            record_overwrite(report, kind, &run);
        }
        drop(dir);
    }
    Ok(())
}

/// Sets and gets of values of each size, each size into a fresh store.
fn value_sizes(kind: Kind, scale: Scale, report: &mut Report) -> Result<()> {
    let name = kind.name();
    for (size, count) in [
        (16usize, 100_000u64),
        (1024, 50_000),
        (64 * 1024, 1_500),
        (1 << 20, 100),
    ] {
        let count = (count / scale.value_size_divisor).max(10);
        let dir = scratch_dir()?;
        let store = engines::open(kind, dir.path(), false)?;
        let payload = value(size as u64, size);
        let set = workloads::rate(count, || {
            for i in 0..count {
                store.set(&seq_key(i), &payload)?;
            }
            Ok(())
        })?;
        let mut rng = Rng::new(3);
        let get = workloads::rate(count, || {
            for _ in 0..count {
                let v = store.get(&seq_key(rng.below(count)))?;
                anyhow::ensure!(
                    v.is_some_and(|v| v.len() == size),
                    "{name}: wrong value size"
                );
            }
            Ok(())
        })?;
        report.record_value_size(size, kind, set, get);
    }
    Ok(())
}

fn record_overwrite(report: &mut Report, kind: Kind, run: &workloads::Overwrite) {
    let live = run.live_bytes as f64;
    report.record(Measure::OverwriteSets, kind, run.sets as f64 / run.secs);
    report.record(
        Measure::OverwritePeakSpace,
        kind,
        run.peak_disk as f64 / live,
    );
    report.record(Measure::OverwriteEndSpace, kind, run.end_disk as f64 / live);
    if let Some(io) = run.io {
        let user = run.user_bytes as f64;
        report.record(
            Measure::OverwriteDiskWriteAmp,
            kind,
            io.disk_bytes() as f64 / user,
        );
        report.record(Measure::OverwriteCallWriteAmp, kind, io.wchar as f64 / user);
    }
    let latency = &run.latency;
    let rows = [
        (Measure::OverwriteP50Us, latency.quantile_us(0.5)),
        (Measure::OverwriteP99Us, latency.quantile_us(0.99)),
        (Measure::OverwriteMaxMs, latency.max_us().map(|us| us / 1e3)),
    ];
    for (measure, value) in rows {
        if let Some(value) = value {
            report.record(measure, kind, value);
        }
    }
    if let Some(split) = &run.merges {
        report.record(
            Measure::OverwriteStoreWriteAmp,
            kind,
            split.write_amplification,
        );
        let share = split.merging.count() as f64 / latency.count().max(1) as f64;
        report.record(Measure::OverwriteMergingShare, kind, share * 100.0);
        let rows = [
            (
                Measure::OverwriteMergingP99Us,
                split.merging.quantile_us(0.99),
            ),
            (Measure::OverwriteIdleP99Us, split.idle.quantile_us(0.99)),
            (
                Measure::OverwriteMergingMaxMs,
                split.merging.max_us().map(|us| us / 1e3),
            ),
        ];
        for (measure, value) in rows {
            if let Some(value) = value {
                report.record(measure, kind, value);
            }
        }
        eprintln!(
            "  ({} merges overlapped the overwrites; set max with no merge running: {:.2} ms)",
            split.merges,
            split.idle.max_us().unwrap_or(0.0) / 1e3
        );
    }
}

/// Reopens the store at `dir` in a child process: (seconds, peak RSS, RSS
/// after open, keys found).
fn reopen_in_child(kind: Kind, dir: &Path) -> Result<(f64, u64, u64, usize)> {
    let output = std::process::Command::new(std::env::current_exe()?)
        .arg("--reopen-child")
        .arg(kind.name())
        .arg(dir)
        .output()
        .context("run the reopen child")?;
    if !output.status.success() {
        bail!(
            "reopen child failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let text = String::from_utf8_lossy(&output.stdout);
    let fields: Vec<&str> = text.split_whitespace().collect();
    let [secs, peak, rss, keys] = fields[..] else {
        bail!("unexpected reopen child output {text:?}");
    };
    Ok((secs.parse()?, peak.parse()?, rss.parse()?, keys.parse()?))
}

fn reopen_child(args: &[String]) -> Result<()> {
    let [name, dir] = args else {
        bail!("--reopen-child STORE DIR");
    };
    let kind = Kind::from_name(name).context("unknown store")?;
    let start = Instant::now();
    let store = engines::open(kind, Path::new(dir), false)?;
    let secs = start.elapsed().as_secs_f64();
    // Memory right after opening, before counting the keys pulls anything
    // else into memory.
    let (peak, rss) = workloads::rss().unwrap_or((0, 0));
    let keys = store.len()?;
    println!("{secs} {peak} {rss} {keys}");
    Ok(())
}
