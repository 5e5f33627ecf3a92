//! The results: one table in the terminal, and in a full run the section of
//! `docs/BENCHMARKS.md` between the `bench-compare` markers plus SVG bar
//! charts drawn with plotters. Only that section is rewritten: the rest of
//! the file (the machine, the targets against this run, what limits them)
//! is written by hand, and earlier runs belong in `CHANGELOG.md`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;
use std::time::Duration;

use anyhow::{Context, Result};
use plotters::prelude::*;

use crate::engines::Kind;
use crate::workloads::{LONG_RANGE, SHORT_RANGE, Scale};

/// What is measured. Rates are "higher is better"; the rest say so.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Measure {
    Fill,
    RandomSet,
    DurableSet1,
    DurableSet16,
    RandomGet1,
    RandomGet2,
    MissingGet,
    Mixed,
    PrefixScan,
    /// A range scan of `keys` keys, descending when `reverse` (sorted after
    /// the prefix scan: short before long, forward before reverse).
    RangeScan {
        keys: u64,
        reverse: bool,
    },
    ValueSet(usize),
    ValueGet(usize),
    CompactionMbps,
    CompactionSetP99Us,
    OverwriteSets,
    OverwritePeakSpace,
    OverwriteEndSpace,
    OverwriteDiskWriteAmp,
    OverwriteCallWriteAmp,
    OverwriteStoreWriteAmp,
    OverwriteP50Us,
    OverwriteP99Us,
    OverwriteMaxMs,
    OverwriteMergingP99Us,
    OverwriteIdleP99Us,
    OverwriteMergingMaxMs,
    OverwriteMergingShare,
    ReopenMs,
    ReopenPeakRssMb,
    DiskBytesPerKey,
    MemoryBytesPerKey,
}

impl Measure {
    fn label(self, scale: Scale) -> String {
        let n = thousands(scale.keys);
        match self {
            Measure::Fill => format!("fill: {n} sequential sets in batches of 1,000 (ops/s)"),
            Measure::RandomSet => format!("random set: {n} single sets, no fsync (ops/s)"),
            Measure::DurableSet1 => "durable set, 1 thread (ops/s)".into(),
            Measure::DurableSet16 => "durable set, 16 threads (ops/s)".into(),
            Measure::RandomGet1 => format!("random get: {n}, 1 thread (ops/s)"),
            Measure::RandomGet2 => format!("random get: {n}, 2 threads (ops/s)"),
            Measure::MissingGet => format!("missing get: {n} (ops/s)"),
            Measure::Mixed => "mixed 90 % get / 10 % set, 2 threads (ops/s)".into(),
            Measure::PrefixScan => format!(
                "prefix scan: {} scans of 100 keys (scans/s)",
                thousands(scale.scans)
            ),
            Measure::RangeScan { keys, reverse } => format!(
                "range scan: {} scans of {} keys, {} (scans/s)",
                thousands(scale.range_scans(keys)),
                thousands(keys),
                direction(reverse)
            ),
            Measure::ValueSet(size) => format!("set, {} values (ops/s)", size_name(size)),
            Measure::ValueGet(size) => format!("get, {} values (ops/s)", size_name(size)),
            Measure::CompactionMbps => {
                "compaction after overwriting everything (MB/s of store)".into()
            }
            Measure::CompactionSetP99Us => {
                "set latency p99 during compaction (µs, lower is better)".into()
            }
            Measure::OverwriteSets => format!(
                "sustained overwrite: {} keys × 1 KiB, random, 1 thread, no fsync, {} s (sets/s)",
                thousands(scale.overwrite_keys),
                scale.overwrite_for.as_secs_f64()
            ),
            Measure::OverwritePeakSpace => {
                "sustained overwrite: peak bytes on disk / live bytes (lower is better)".into()
            }
            Measure::OverwriteEndSpace => {
                "sustained overwrite: bytes on disk / live bytes at the end (lower is better)".into()
            }
            Measure::OverwriteDiskWriteAmp => {
                "sustained overwrite: write amplification, bytes bound for the disk / bytes set (lower is better)"
                    .into()
            }
            Measure::OverwriteCallWriteAmp => {
                "sustained overwrite: write amplification, bytes passed to write calls / bytes set (lower is better)"
                    .into()
            }
            Measure::OverwriteStoreWriteAmp => {
                "sustained overwrite: write amplification by the store's own count (lower is better)"
                    .into()
            }
            Measure::OverwriteP50Us => "sustained overwrite: set p50 (µs, lower is better)".into(),
            Measure::OverwriteP99Us => "sustained overwrite: set p99 (µs, lower is better)".into(),
            Measure::OverwriteMaxMs => "sustained overwrite: set max (ms, lower is better)".into(),
            Measure::OverwriteMergingP99Us => {
                "sustained overwrite: set p99 while a merge runs (µs, lower is better)".into()
            }
            Measure::OverwriteIdleP99Us => {
                "sustained overwrite: set p99 while no merge runs (µs, lower is better)".into()
            }
            Measure::OverwriteMergingMaxMs => {
                "sustained overwrite: set max while a merge runs (ms, lower is better)".into()
            }
            Measure::OverwriteMergingShare => {
                "sustained overwrite: sets made while a merge runs (%)".into()
            }
            Measure::ReopenMs => format!("reopen with {n} keys (ms, lower is better)"),
            Measure::ReopenPeakRssMb => {
                "peak RSS of the reopening process (MB, lower is better)".into()
            }
            Measure::DiskBytesPerKey => "bytes on disk per key after fill (lower is better)".into(),
            Measure::MemoryBytesPerKey => {
                "RSS after reopen per key, bytes (lower is better)".into()
            }
        }
    }
}

fn direction(reverse: bool) -> &'static str {
    if reverse { "reverse" } else { "forward" }
}

fn size_name(size: usize) -> String {
    match size {
        s if s >= 1 << 20 => format!("{} MiB", s >> 20),
        s if s >= 1024 => format!("{} KiB", s >> 10),
        s => format!("{s} B"),
    }
}

fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn number(x: f64) -> String {
    match x {
        x if x >= 100.0 => thousands(x.round() as u64),
        x if x >= 10.0 => format!("{x:.1}"),
        x => format!("{x:.2}"),
    }
}

/// Every figure of a run.
pub(crate) struct Report {
    scale: Scale,
    quick: bool,
    values: BTreeMap<Measure, BTreeMap<usize, f64>>,
    pub(crate) elapsed: Duration,
}

fn column(kind: Kind) -> usize {
    Kind::ALL.iter().position(|k| *k == kind).unwrap_or(0)
}

impl Report {
    pub(crate) fn new(scale: Scale, quick: bool) -> Self {
        Report {
            scale,
            quick,
            values: BTreeMap::new(),
            elapsed: Duration::ZERO,
        }
    }

    pub(crate) fn record(&mut self, measure: Measure, kind: Kind, value: f64) {
        eprintln!("  {:<60} {}", measure.label(self.scale), number(value));
        self.values
            .entry(measure)
            .or_default()
            .insert(column(kind), value);
    }

    pub(crate) fn record_value_size(&mut self, size: usize, kind: Kind, set: f64, get: f64) {
        self.record(Measure::ValueSet(size), kind, set);
        self.record(Measure::ValueGet(size), kind, get);
    }

    /// A cell: the figure and, for a peer, how it compares with mini-kvstore
    /// ("2.0× mini" means twice mini-kvstore's figure).
    fn cell(&self, row: &BTreeMap<usize, f64>, col: usize) -> String {
        let Some(value) = row.get(&col) else {
            return "n/a".into();
        };
        match (col, row.get(&0)) {
            (0, _) | (_, None) => number(*value),
            (_, Some(mini)) if *mini > 0.0 => format!("{} ({:.2}×)", number(*value), value / mini),
            _ => number(*value),
        }
    }

    /// The table as Markdown (also what the terminal shows).
    pub(crate) fn table(&self) -> String {
        let mut out = String::new();
        out.push_str(
            "| workload | mini-kvstore | sled | redb | fjall |\n|---|---:|---:|---:|---:|\n",
        );
        for (measure, row) in &self.values {
            let cells: Vec<String> = (0..Kind::ALL.len()).map(|c| self.cell(row, c)).collect();
            let _ = writeln!(
                out,
                "| {} | {} |",
                measure.label(self.scale),
                cells.join(" | ")
            );
        }
        if self.values.contains_key(&Measure::OverwriteSets) {
            out.push_str(OVERWRITE_NOTE);
        }
        let _ = writeln!(
            out,
            "\nIn parentheses: the peer's figure divided by mini-kvstore's. Run took {:.0} s{}.",
            self.elapsed.as_secs_f64(),
            if self.quick {
                " (--quick: sizes shrunk, figures not meaningful)"
            } else {
                ""
            }
        );
        out
    }

    /// Rewrites the `bench-compare` section of `docs/BENCHMARKS.md` and the charts.
    pub(crate) fn write_docs(&self, root: &Path) -> Result<()> {
        let docs = root.join("docs");
        std::fs::create_dir_all(&docs)?;
        let charts = [
            (
                "bench-writes.svg",
                "Writes (ops/s, relative to mini-kvstore = 1)",
                vec![
                    Measure::Fill,
                    Measure::RandomSet,
                    Measure::DurableSet1,
                    Measure::DurableSet16,
                ],
            ),
            (
                "bench-reads.svg",
                "Reads (ops/s, relative to mini-kvstore = 1)",
                vec![
                    Measure::RandomGet1,
                    Measure::RandomGet2,
                    Measure::MissingGet,
                    Measure::Mixed,
                    Measure::PrefixScan,
                    Measure::RangeScan {
                        keys: SHORT_RANGE,
                        reverse: false,
                    },
                    Measure::RangeScan {
                        keys: SHORT_RANGE,
                        reverse: true,
                    },
                    Measure::RangeScan {
                        keys: LONG_RANGE,
                        reverse: false,
                    },
                    Measure::RangeScan {
                        keys: LONG_RANGE,
                        reverse: true,
                    },
                ],
            ),
            (
                "bench-value-sizes.svg",
                "Value sizes (ops/s, relative to mini-kvstore = 1)",
                vec![
                    Measure::ValueSet(16),
                    Measure::ValueGet(16),
                    Measure::ValueSet(1024),
                    Measure::ValueGet(1024),
                    Measure::ValueSet(64 * 1024),
                    Measure::ValueGet(64 * 1024),
                    Measure::ValueSet(1 << 20),
                    Measure::ValueGet(1 << 20),
                ],
            ),
        ];
        for (file, title, measures) in &charts {
            self.chart(&docs.join(file), title, measures)
                .with_context(|| format!("drawing {file}"))?;
        }
        let mut section = String::new();
        section.push_str(BEGIN);
        section.push('\n');
        let _ = writeln!(section, "## mini-kvstore beside sled, redb and fjall\n");
        let _ = writeln!(
            section,
            "Measured with `cargo xtask bench-compare` (the `bench` package) on {}, {}.\n",
            machine(),
            today()
        );
        section.push_str(&self.table());
        section.push('\n');
        for (file, title, _) in &charts {
            let _ = writeln!(section, "![{title}]({file})\n");
        }
        section.push_str(END);
        section.push('\n');

        let path = docs.join("BENCHMARKS.md");
        let existing = std::fs::read_to_string(&path).unwrap_or_else(|_| "# Benchmarks\n\n".into());
        let updated = match (existing.find(BEGIN), existing.find(END)) {
            (Some(start), Some(end)) if end > start => {
                format!(
                    "{}{}{}",
                    &existing[..start],
                    section,
                    &existing[end + END.len()..].trim_start_matches('\n')
                )
            }
            _ => format!("{}\n{}", existing.trim_end(), "\n".to_owned() + &section),
        };
        std::fs::write(&path, updated)?;
        Ok(())
    }

    fn chart(&self, path: &Path, title: &str, measures: &[Measure]) -> Result<()> {
        let rows: Vec<(String, Vec<f64>)> = measures
            .iter()
            .filter_map(|m| {
                let row = self.values.get(m)?;
                let mini = *row.get(&0)?;
                let ratios = (0..Kind::ALL.len())
                    .map(|c| row.get(&c).map_or(0.0, |v| v / mini))
                    .collect();
                Some((short_label(*m), ratios))
            })
            .collect();
        let max = rows
            .iter()
            .flat_map(|(_, r)| r.iter().copied())
            .fold(1.0f64, f64::max)
            * 1.1;
        let height = 80 + 70 * rows.len() as u32;
        let root = SVGBackend::new(path, (900, height)).into_drawing_area();
        root.fill(&WHITE)?;
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 20))
            .margin(10)
            .x_label_area_size(30)
            .y_label_area_size(230)
            .build_cartesian_2d(0.0..max, 0..rows.len() * 5)?;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .y_labels(rows.len() * 5)
            .y_label_formatter(&|y| {
                if y % 5 == 2 {
                    rows.get(y / 5).map(|(l, _)| l.clone()).unwrap_or_default()
                } else {
                    String::new()
                }
            })
            .x_desc("× mini-kvstore")
            .draw()?;
        let colors = [
            RGBColor(37, 99, 235),
            RGBColor(234, 88, 12),
            RGBColor(22, 163, 74),
            RGBColor(147, 51, 234),
        ];
        for (c, kind) in Kind::ALL.iter().enumerate() {
            let color = colors[c];
            chart
                .draw_series(rows.iter().enumerate().map(|(r, (_, ratios))| {
                    let y = r * 5 + c;
                    Rectangle::new([(0.0, y), (ratios[c], y + 1)], color.filled())
                }))?
                .label(kind.name())
                .legend(move |(x, y)| {
                    Rectangle::new([(x, y - 5), (x + 10, y + 5)], color.filled())
                });
        }
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.9))
            .border_style(BLACK)
            .position(SeriesLabelPosition::LowerRight)
            .draw()?;
        root.present()?;
        Ok(())
    }
}

/// How the sustained-overwrite rows are measured, under the table.
const OVERWRITE_NOTE: &str = "
Sustained overwrite: the keys are filled with incompressible 1 KiB values, then one thread \
overwrites keys picked uniformly at random, without fsync (each store's non-durable mode, so \
the disk's sync rate does not set the pace), while every store runs its own default \
background maintenance (mini-kvstore: merges chosen by its default `CompactionPolicy`) and \
nothing asks for a compaction; redb has no background \
compaction, so it only reuses the pages it frees. Bytes on disk: the blocks allocated to the \
store's directory, sampled every 100 ms and at the end; live bytes: keys × (16 + 1,024). \
Write amplification, bytes bound for the disk: the page-cache bytes this process \
dirtied during the overwrites, less those deleted before they were written back \
(`write_bytes − cancelled_write_bytes` of `/proc/self/io`), divided by the bytes set \
(16 + 1,024 a set): a page rewritten while still dirty counts once, as it reaches the disk \
once. Bytes passed to write calls: `wchar` of the same file, every byte handed to the \
kernel, however often the same page. The store's own count is mini-kvstore's \
`(user + merge bytes) / user bytes` over the same time. \
Only mini-kvstore tells when it merges (the peers do not): its sets are grouped in 10 ms \
slots by when they started, and a slot that any merge overlapped counts as \
\"while a merge runs\".
";

const BEGIN: &str =
    "<!-- bench-compare:begin (written by bench-compare; edits here are overwritten) -->";
const END: &str = "<!-- bench-compare:end -->";

fn short_label(measure: Measure) -> String {
    match measure {
        Measure::Fill => "fill (batches)".into(),
        Measure::RandomSet => "random set".into(),
        Measure::DurableSet1 => "durable set, 1 thread".into(),
        Measure::DurableSet16 => "durable set, 16 threads".into(),
        Measure::RandomGet1 => "random get, 1 thread".into(),
        Measure::RandomGet2 => "random get, 2 threads".into(),
        Measure::MissingGet => "missing get".into(),
        Measure::Mixed => "90/10 get/set, 2 threads".into(),
        Measure::PrefixScan => "prefix scan".into(),
        Measure::RangeScan { keys, reverse } => {
            format!("range of {}, {}", thousands(keys), direction(reverse))
        }
        Measure::ValueSet(s) => format!("set {}", size_name(s)),
        Measure::ValueGet(s) => format!("get {}", size_name(s)),
        other => format!("{other:?}"),
    }
}

/// The machine, in one line: CPU model, cores, memory, kernel, rustc.
pub(crate) fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let memory = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|s| {
            let kb: u64 = s.lines().next()?.split_whitespace().nth(1)?.parse().ok()?;
            Some(format!("{:.0} GiB", kb as f64 / 1024.0 / 1024.0))
        })
        .unwrap_or_else(|| "? GiB".into());
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .map(|s| format!("Linux {}", s.trim()))
        .unwrap_or_else(|_| std::env::consts::OS.into());
    let rustc = std::process::Command::new("rustc")
        .arg("-V")
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default();
    format!("{cpu}, {cores} cores, {memory} RAM, {kernel}, {rustc}")
}

fn today() -> String {
    std::process::Command::new("date")
        .arg("+%Y-%m-%d")
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default()
}
