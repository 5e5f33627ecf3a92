//! What a Redis-protocol run prints and writes: the figures table (SET and
//! GET, without and with pipelining, one column per server), the targets
//! with their ratios, and the conditions they were measured under, as
//! markdown — and the marked section of `docs/BENCHMARKS.md` it replaces,
//! so re-running rewrites that section and nothing else.

use std::fmt::Write as _;
use std::path::Path;

use anyhow::{Context, Result, bail};

use super::redis_benchmark::{CLIENTS, Figures, KEYSPACE, SetGet, VALUE_BYTES};
use super::targets::{Measurements, Modes, Outcome};

/// Where the section starts; everything up to [`END`] is rewritten.
pub(crate) const BEGIN: &str = "<!-- load-resp:begin (written by `cargo xtask load --resp --write-doc`; edits here are overwritten) -->";
/// Where the section ends.
pub(crate) const END: &str = "<!-- load-resp:end -->";

/// What a run was measured under.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Conditions {
    pub(crate) date: String,
    pub(crate) cpus: usize,
    pub(crate) kernel: String,
    pub(crate) redis_server: String,
    pub(crate) redis_benchmark: String,
    /// Requests per test (`-n`).
    pub(crate) requests: u32,
    /// `-P` of the pipelined runs.
    pub(crate) pipeline: u32,
    /// Wall time of the measured part (servers and benchmarks), seconds.
    pub(crate) seconds: f64,
    /// Share of all CPUs other processes used meanwhile (0 to 1).
    pub(crate) others_share: f64,
    /// Compiler processes running when the measured part began and ended.
    pub(crate) compilers: (usize, usize),
    /// 1-minute load average when it began and ended.
    pub(crate) load: (f64, f64),
}

/// The report, as markdown: conditions, figures, targets.
pub(crate) fn markdown(c: &Conditions, m: &Measurements, outcomes: &[Outcome]) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "## Redis protocol beside redis-server\n");
    let _ = writeln!(
        out,
        "Measured with `cargo xtask load --resp` on {}: {} CPUs, Linux {}, redis-server {}, \
         redis-benchmark {}. Each server in turn, alone, on 127.0.0.1, under \
         `redis-benchmark -h 127.0.0.1 -p PORT -c {CLIENTS} -d {VALUE_BYTES} -r {KEYSPACE} -n {} \
         -t set,get --csv`, then the same with `-P {}`. mini-kvstore: the release `kvstore \
         --resp-port 0 --no-http` over a fresh directory, with the default `SyncPolicy::Always` \
         (a SET is answered once it is fsynced). Redis: `redis-server --appendonly yes --save ''` \
         with `--appendfsync always` (the same promise) or `everysec` (up to a second of \
         acknowledged writes lost on a crash), each over a fresh directory, stopped with \
         `SHUTDOWN NOSAVE`.\n",
        c.date, c.cpus, c.kernel, c.redis_server, c.redis_benchmark, c.requests, c.pipeline
    );
    let _ = writeln!(
        out,
        "While it measured ({:.0} s), other processes used {:.0} % of the {} CPUs \
         (1-minute load average {:.2} at the start, {:.2} at the end; compiler processes \
         running: {} at the start, {} at the end){}.\n",
        c.seconds,
        c.others_share * 100.0,
        c.cpus,
        c.load.0,
        c.load.1,
        c.compilers.0,
        c.compilers.1,
        if c.others_share >= 0.05 || c.compilers.0 + c.compilers.1 > 0 {
            ": the machine was not idle, and the figures are lower than an idle run's"
        } else {
            ""
        }
    );

    let _ = writeln!(
        out,
        "| test | mini-kvstore | Redis, `appendfsync always` | Redis, `appendfsync everysec` |\n\
         |---|---:|---:|---:|"
    );
    let pipelined = format!(", `-P {}`", c.pipeline);
    for (suffix, run) in [
        ("", (|modes| &modes.single) as fn(&Modes) -> &SetGet),
        (pipelined.as_str(), |modes| &modes.pipelined),
    ] {
        for (test, pick) in [
            ("SET", (|r| r.set) as fn(&SetGet) -> Figures),
            ("GET", |r| r.get),
        ] {
            let cell = |modes: &Modes| figures_cell(pick(run(modes)));
            let _ = writeln!(
                out,
                "| {test}{suffix} | {} | {} | {} |",
                cell(&m.kvstore),
                cell(&m.redis_always),
                cell(&m.redis_everysec)
            );
        }
    }
    let _ = writeln!(out, "\nrequests/s, then latency p50 / p99.\n");

    let _ = writeln!(
        out,
        "| target | mini-kvstore (requests/s) | reference (requests/s) | ratio | |\n\
         |---|---:|---:|---:|---|"
    );
    for o in outcomes {
        let _ = writeln!(
            out,
            "| {} | {} | {} ({}) | {:.2}× (needs {:.2}×) | {} |",
            o.target,
            thousands(o.ours),
            thousands(o.reference),
            o.reference_name,
            o.ratio(),
            o.required,
            if o.met() { "met" } else { "**not met**" }
        );
    }
    out
}

fn figures_cell(f: Figures) -> String {
    format!(
        "{} /s, {:.2} / {:.2} ms",
        thousands(f.rps),
        f.p50_ms,
        f.p99_ms
    )
}

/// `f` rounded, with commas between thousands: `45,455`.
fn thousands(f: f64) -> String {
    let digits = format!("{:.0}", f.max(0.0));
    let mut out = String::new();
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

/// `doc` with the text between [`BEGIN`] and [`END`] replaced by `body`, or
/// with the marked section appended if there is none yet. Fails if only
/// one marker is there, rather than guess where the section ends.
pub(crate) fn replace_section(doc: &str, body: &str) -> Result<String> {
    let section = format!("{BEGIN}\n{}\n{END}", body.trim_end());
    match (doc.find(BEGIN), doc.find(END)) {
        (Some(start), Some(end)) if end > start => Ok(format!(
            "{}{section}{}",
            &doc[..start],
            &doc[end + END.len()..]
        )),
        (None, None) => Ok(format!("{}\n\n{section}\n", doc.trim_end())),
        _ => bail!("the `load-resp` markers are out of order or one is missing"),
    }
}

/// Rewrites the marked section of the file at `path`.
pub(crate) fn write_section(path: &Path, body: &str) -> Result<()> {
    let doc = std::fs::read_to_string(path).with_context(|| format!("read {}", path.display()))?;
    let updated = replace_section(&doc, body).with_context(|| path.display().to_string())?;
    std::fs::write(path, updated).with_context(|| format!("write {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::targets;

    #[test]
    fn the_section_is_appended_once_and_then_replaced() -> Result<()> {
        let doc = "# Benchmarks\n\nText.\n";
        let first = replace_section(doc, "old figures\n")?;
        assert_eq!(
            first,
            format!("# Benchmarks\n\nText.\n\n{BEGIN}\nold figures\n{END}\n")
        );
        let edited = format!("{first}\n## After\n\nHand-written.\n");
        let second = replace_section(&edited, "new figures")?;
        assert_eq!(
            second,
            format!(
                "# Benchmarks\n\nText.\n\n{BEGIN}\nnew figures\n{END}\n\n## After\n\nHand-written.\n"
            )
        );
        assert_eq!(replace_section(&second, "new figures")?, second);
        Ok(())
    }

    #[test]
    fn a_lone_marker_is_an_error() {
        assert!(replace_section(&format!("x\n{BEGIN}\ny\n"), "z").is_err());
        assert!(replace_section(&format!("{END}\n{BEGIN}\n"), "z").is_err());
    }

    #[test]
    fn thousands_are_separated() {
        assert_eq!(thousands(0.4), "0");
        assert_eq!(thousands(999.0), "999");
        assert_eq!(thousands(45_454.55), "45,455");
        assert_eq!(thousands(1_234_567.0), "1,234,567");
    }

    #[test]
    fn the_report_names_every_server_and_verdict() {
        let f = |rps| Figures {
            rps,
            p50_ms: 0.5,
            p99_ms: 1.25,
        };
        let modes = |x: f64| Modes {
            single: SetGet {
                set: f(x),
                get: f(2.0 * x),
            },
            pipelined: SetGet {
                set: f(3.0 * x),
                get: f(4.0 * x),
            },
        };
        let m = Measurements {
            kvstore: modes(1000.0),
            redis_always: modes(2000.0),
            redis_everysec: modes(500.0),
        };
        let c = Conditions {
            date: "2026-12-02".into(),
            cpus: 2,
            kernel: "6.1".into(),
            redis_server: "7.0.15".into(),
            redis_benchmark: "7.0.15".into(),
            requests: 100_000,
            pipeline: 16,
            seconds: 60.0,
            others_share: 0.0,
            compilers: (0, 0),
            load: (0.1, 0.2),
        };
        let text = markdown(&c, &m, &targets::check(&m));
        assert!(
            text.contains("| SET | 1,000 /s, 0.50 / 1.25 ms | 2,000 /s"),
            "{text}"
        );
        assert!(text.contains("| GET, `-P 16` | 4,000 /s"), "{text}");
        assert!(text.contains("-n 100000"), "{text}");
        assert_eq!(text.matches("**not met**").count(), 4, "{text}");
        assert!(!text.contains("not idle"), "{text}");
    }
}
