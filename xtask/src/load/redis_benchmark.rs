//! redis-benchmark (Debian's redis-tools, 7.x), the load generator people
//! already use for Redis, run the same way against every server, and the
//! figures read from its `--csv` output.
//!
//! redis-benchmark 7 prints one header line and one line per test:
//!
//! ```text
//! "test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms"
//! "SET","45454.55","1.000","0.432","0.871","1.287","5.151","5.415"
//! ```
//!
//! Columns are found by name, so a version that adds or moves one still
//! parses; one without latency columns (6.x prints only `rps`) is refused.

use std::net::SocketAddr;
use std::process::Command;
use std::time::Duration;

use anyhow::{Context, Result, ensure};

use super::child;
use crate::process;

/// Connections open at once (`-c`).
pub(crate) const CLIENTS: u32 = 50;
/// Bytes per SET value (`-d`).
pub(crate) const VALUE_BYTES: u32 = 100;
/// Keys drawn uniformly at random from this many (`-r`), so SETs and GETs
/// spread over the key space instead of hitting one key.
pub(crate) const KEYSPACE: u32 = 100_000;

/// One test's figures.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Figures {
    /// Requests per second.
    pub(crate) rps: f64,
    /// Median latency, milliseconds.
    pub(crate) p50_ms: f64,
    /// 99th-percentile latency, milliseconds.
    pub(crate) p99_ms: f64,
}

/// One `-t set,get` run: SET first, then GET over the keys it stored.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct SetGet {
    pub(crate) set: Figures,
    pub(crate) get: Figures,
}

/// `redis-benchmark --version`'s version (`7.0.15`), or an error telling
/// the user how to install it.
pub(crate) fn version() -> Result<String> {
    let line = child::installed("redis-benchmark")?;
    // "redis-benchmark 7.0.15"
    line.split_whitespace()
        .nth(1)
        .map(str::to_owned)
        .with_context(|| format!("cannot read the version in {line:?}"))
}

/// The command line for `requests` requests per test, `pipeline` requests
/// in flight per connection (1: none).
pub(crate) fn command(address: SocketAddr, requests: u32, pipeline: u32) -> Command {
    let mut command = process::command("redis-benchmark");
    command
        .args(["-h", &address.ip().to_string()])
        .args(["-p", &address.port().to_string()])
        .args(["-c", &CLIENTS.to_string()])
        .args(["-d", &VALUE_BYTES.to_string()])
        .args(["-r", &KEYSPACE.to_string()])
        .args(["-n", &requests.to_string()])
        .args(["-t", "set,get", "--csv"]);
    if pipeline > 1 {
        command.args(["-P", &pipeline.to_string()]);
    }
    command
}

/// Runs `command` (from [`command`]), killed past `limit`; returns the
/// figures and the CSV as printed.
pub(crate) fn run(mut command: Command, limit: Duration) -> Result<(SetGet, String)> {
    eprintln!("==> load: {}", process::shown(&command));
    let csv = child::output_within(&mut command, limit)?;
    let figures = parse_csv(&csv).with_context(|| format!("redis-benchmark printed:\n{csv}"))?;
    Ok((figures, csv))
}

/// The SET and GET figures in redis-benchmark's `--csv` output.
pub(crate) fn parse_csv(text: &str) -> Result<SetGet> {
    let mut rows = text
        .lines()
        .map(str::trim)
        .filter(|line| line.starts_with('"'))
        .map(|line| line.split(',').map(unquoted).collect::<Vec<_>>());
    let header = rows.next().context("no CSV header line")?;
    let column = |name: &str| -> Result<usize> {
        header.iter().position(|h| *h == name).with_context(|| {
            format!("no {name:?} column in {header:?} (redis-benchmark 7 or later prints it)")
        })
    };
    let (test, rps, p50, p99) = (
        column("test")?,
        column("rps")?,
        column("p50_latency_ms")?,
        column("p99_latency_ms")?,
    );
    let rows: Vec<Vec<&str>> = rows.collect();
    let figures = |name: &str| -> Result<Figures> {
        let row = rows
            .iter()
            .find(|row| row.get(test) == Some(&name))
            .with_context(|| format!("no {name} line"))?;
        let number = |at: usize| -> Result<f64> {
            let cell = row
                .get(at)
                .with_context(|| format!("{name}: short line {row:?}"))?;
            let n: f64 = cell
                .parse()
                .with_context(|| format!("{name}: {cell:?} is not a number"))?;
            ensure!(
                n.is_finite() && n >= 0.0,
                "{name}: {cell:?} is not a figure"
            );
            Ok(n)
        };
        let figures = Figures {
            rps: number(rps)?,
            p50_ms: number(p50)?,
            p99_ms: number(p99)?,
        };
        ensure!(figures.rps > 0.0, "{name}: 0 requests/s");
        Ok(figures)
    };
    Ok(SetGet {
        set: figures("SET")?,
        get: figures("GET")?,
    })
}

fn unquoted(cell: &str) -> &str {
    let cell = cell.trim();
    cell.strip_prefix('"')
        .and_then(|c| c.strip_suffix('"'))
        .unwrap_or(cell)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// As redis-benchmark 7.0.15 printed it against redis-server.
    const SEVEN: &str = "\"test\",\"rps\",\"avg_latency_ms\",\"min_latency_ms\",\"p50_latency_ms\",\"p95_latency_ms\",\"p99_latency_ms\",\"max_latency_ms\"\n\
\"SET\",\"45454.55\",\"1.000\",\"0.432\",\"0.871\",\"1.287\",\"5.151\",\"5.415\"\n\
\"GET\",\"64516.13\",\"0.481\",\"0.120\",\"0.439\",\"0.695\",\"1.303\",\"3.431\"\n";

    #[test]
    fn redis_benchmark_7_csv_is_read_by_column_name() {
        let figures = parse_csv(SEVEN).ok();
        assert_eq!(
            figures,
            Some(SetGet {
                set: Figures {
                    rps: 45454.55,
                    p50_ms: 0.871,
                    p99_ms: 5.151
                },
                get: Figures {
                    rps: 64516.13,
                    p50_ms: 0.439,
                    p99_ms: 1.303
                },
            })
        );
    }

    #[test]
    fn columns_in_another_order_and_stray_lines_still_parse() {
        let text = "WARNING: something\n\"p99_latency_ms\",\"test\",\"p50_latency_ms\",\"rps\"\n\"2.5\",\"SET\",\"1.5\",\"1000\"\n\"3.5\",\"GET\",\"0.5\",\"2000\"\n";
        let figures = parse_csv(text).ok();
        assert_eq!(
            figures.map(|f| (f.set.rps, f.set.p99_ms, f.get.p50_ms)),
            Some((1000.0, 2.5, 0.5))
        );
        let no_get = text.replace("\"GET\"", "\"INCR\"");
        assert!(parse_csv(&no_get).is_err(), "no GET line");
    }

    #[test]
    fn output_without_latency_columns_or_figures_is_refused() {
        // redis-benchmark 6 prints requests/s only.
        assert!(parse_csv("\"SET\",\"45454.55\"\n\"GET\",\"64516.13\"\n").is_err());
        assert!(parse_csv("\"test\",\"rps\"\n\"SET\",\"1\"\n\"GET\",\"1\"\n").is_err());
        assert!(parse_csv("").is_err());
        let zero = SEVEN.replace("\"45454.55\"", "\"0\"");
        assert!(parse_csv(&zero).is_err());
        let text = SEVEN.replace("\"64516.13\"", "\"fast\"");
        assert!(parse_csv(&text).is_err());
    }

    #[test]
    fn the_command_line_is_the_documented_one() {
        let address = SocketAddr::from(([127, 0, 0, 1], 7000));
        assert_eq!(
            process::shown(&command(address, 100_000, 1)),
            "redis-benchmark -h 127.0.0.1 -p 7000 -c 50 -d 100 -r 100000 -n 100000 -t set,get --csv"
        );
        assert!(process::shown(&command(address, 10, 16)).ends_with("--csv -P 16"));
    }
}
