//! The machine a load run measured on, as `docs/BENCHMARKS.md` describes
//! it, and how busy the rest of the machine was meanwhile: on a shared
//! 2-core host a concurrent build moves every figure, so a run records
//! the CPU time other processes took while it measured.
//!
//! Everything is read from `/proc` (Linux only, like the servers measured);
//! a fact that cannot be read is printed as unknown rather than failing the run.

use crate::process;

/// The machine in one line: CPUs, model, memory, kernel, rustc.
pub(crate) fn machine() -> String {
    let model = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines().find_map(|l| {
                l.strip_prefix("model name")?
                    .split_once(':')
                    .map(|(_, m)| m.trim().to_owned())
            })
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let memory = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|info| {
            let kib: u64 = info
                .lines()
                .find_map(|l| l.strip_prefix("MemTotal:"))?
                .trim()
                .trim_end_matches("kB")
                .trim()
                .parse()
                .ok()?;
            Some(format!("{:.1} GiB", kib as f64 / (1024.0 * 1024.0)))
        })
        .unwrap_or_else(|| "unknown memory".into());
    let rustc = process::output(process::command("rustc").arg("--version"))
        .map(|v| v.trim().to_owned())
        .unwrap_or_else(|_| "unknown rustc".into());
    format!(
        "machine: {} CPUs ({model}), {memory} RAM, Linux {}, {rustc}",
        cpus(),
        kernel()
    )
}

/// CPUs this process may run on.
pub(crate) fn cpus() -> usize {
    std::thread::available_parallelism().map_or(0, |n| n.get())
}

/// The kernel release (`uname -r`).
pub(crate) fn kernel() -> String {
    std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .map(|k| k.trim().to_owned())
        .unwrap_or_else(|_| "unknown".into())
}

/// Today's date, UTC, as `date -u +%F` prints it.
pub(crate) fn today() -> String {
    process::output(process::command("date").args(["-u", "+%F"]))
        .map(|d| d.trim().to_owned())
        .unwrap_or_else(|_| "unknown date".into())
}

/// CPU time counters at one moment, to tell what the rest of the machine
/// used between two of them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct CpuClock {
    /// Busy ticks of every CPU, all processes (`/proc/stat`).
    all_busy: u64,
    /// Ticks of this process and of its children it has reaped
    /// (`/proc/self/stat`): the servers and benchmarks it ran.
    ours: u64,
    /// Compiler processes (`rustc`, `cc1`, linkers) running at that moment.
    pub(crate) compilers: usize,
    /// The 1-minute load average.
    pub(crate) load_1min: f64,
}

impl CpuClock {
    /// The counters now (zeros where `/proc` cannot be read).
    pub(crate) fn now() -> CpuClock {
        let read = |path: &str| std::fs::read_to_string(path).unwrap_or_default();
        CpuClock {
            all_busy: busy_ticks(&read("/proc/stat")).unwrap_or(0),
            ours: own_ticks(&read("/proc/self/stat")).unwrap_or(0),
            compilers: compilers_running(),
            load_1min: read("/proc/loadavg")
                .split_whitespace()
                .next()
                .and_then(|l| l.parse().ok())
                .unwrap_or(0.0),
        }
    }

    /// The share of all CPUs that processes other than this run used
    /// from `self` to `later`, over `seconds` of wall time (0 to 1).
    pub(crate) fn others_share(&self, later: &CpuClock, seconds: f64) -> f64 {
        let all = later.all_busy.saturating_sub(self.all_busy);
        let ours = later.ours.saturating_sub(self.ours);
        let capacity = seconds * TICKS_PER_SECOND * cpus().max(1) as f64;
        (all.saturating_sub(ours) as f64 / capacity.max(1.0)).clamp(0.0, 1.0)
    }
}

/// Linux's `USER_HZ`, the unit of `/proc/stat` and `/proc/PID/stat`; 100 on
/// every architecture the servers run on.
const TICKS_PER_SECOND: f64 = 100.0;

/// Busy ticks in the `cpu` line of `/proc/stat`: user, nice, system, irq and
/// softirq (guest time is counted inside user already).
fn busy_ticks(stat: &str) -> Option<u64> {
    let line = stat.lines().find(|l| l.starts_with("cpu "))?;
    let fields: Vec<u64> = line
        .split_whitespace()
        .skip(1)
        .map(|f| f.parse().ok())
        .collect::<Option<_>>()?;
    // user nice system idle iowait irq softirq …
    let at = |i: usize| fields.get(i).copied();
    Some(at(0)? + at(1)? + at(2)? + at(5)? + at(6)?)
}

/// utime + stime + cutime + cstime from `/proc/self/stat` (fields 14–17;
/// the command name in field 2 may hold spaces, so count from its `)`).
fn own_ticks(stat: &str) -> Option<u64> {
    let after_name = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    // fields[0] is field 3 (state), so field n is fields[n - 3].
    (14..=17)
        .map(|n| fields.get(n - 3)?.parse::<u64>().ok())
        .sum()
}

fn compilers_running() -> usize {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return 0;
    };
    entries
        .filter_map(|entry| std::fs::read_to_string(entry.ok()?.path().join("comm")).ok())
        .filter(|comm| {
            matches!(
                comm.trim(),
                "rustc" | "rustdoc" | "cc1" | "cc1plus" | "ld" | "ld.lld" | "rust-lld" | "cc"
            )
        })
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proc_stat_busy_ticks_leave_out_idle_and_iowait() {
        let stat = "cpu  100 10 50 9999 888 1 2 3 0 0\ncpu0 1 1 1 1 1 1 1 1 0 0\n";
        assert_eq!(busy_ticks(stat), Some(100 + 10 + 50 + 1 + 2));
        assert_eq!(busy_ticks("intr 1 2 3\n"), None);
    }

    #[test]
    fn own_ticks_count_children_and_survive_spaces_in_the_name() {
        let stat = "42 (cargo xtask) S 1 42 42 0 -1 0 0 0 0 0 7 3 20 10 20 0 1 0 1 1 1";
        assert_eq!(own_ticks(stat), Some(7 + 3 + 20 + 10));
        assert_eq!(own_ticks("garbage"), None);
    }

    #[test]
    fn others_share_subtracts_this_run() {
        let before = CpuClock {
            all_busy: 1000,
            ours: 500,
            compilers: 0,
            load_1min: 0.0,
        };
        let after = CpuClock {
            all_busy: 1000 + 150,
            ours: 500 + 100,
            ..before
        };
        let share = before.others_share(&after, 1.0);
        let expected = 50.0 / (TICKS_PER_SECOND * cpus().max(1) as f64);
        assert!((share - expected).abs() < 1e-9, "{share} vs {expected}");
    }
}
