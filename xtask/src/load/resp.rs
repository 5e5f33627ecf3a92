//! `cargo xtask load --resp [--quick] [--write-doc]`: the Redis protocol
//! under redis-benchmark, beside `redis-server`.
//!
//! Checks that redis-benchmark and redis-server are installed (else points
//! at `cargo xtask setup`), builds the release `kvstore`, then runs three
//! servers one after the other, each alone on 127.0.0.1 over a fresh
//! directory: mini-kvstore with its durable default, Redis with
//! `appendfsync always`, Redis with `appendfsync everysec`. Each gets the
//! same two redis-benchmark runs — SET then GET, 100,000 requests per test
//! (10,000 with `--quick`), without pipelining and with `-P 16` — and is
//! stopped before the next starts. It prints the figures, the targets with
//! their ratios, and how busy the rest of the machine was; `--write-doc`
//! also rewrites the `load-resp` section of `docs/BENCHMARKS.md` (refused
//! with `--quick`, whose figures mean nothing).
//!
//! Every child is killed if its step fails or runs past its deadline, so
//! the run is bounded and leaves no server behind. A target not met is
//! reported, not an error: the run measured what it set out to.

use std::ffi::OsString;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use anyhow::{Result, bail, ensure};

use super::host::{self, CpuClock};
use super::kvstore::{self, Kvstore};
use super::redis_benchmark;
use super::redis_server::{self, Appendfsync, RedisServer};
use super::report::{self, Conditions};
use super::resp_client;
use super::scratch::Scratch;
use super::targets::{self, Measurements, Modes};
use crate::process;

/// Requests per test in a full run.
const REQUESTS: u32 = 100_000;
/// Requests per test with `--quick`: enough to see it work.
const QUICK_REQUESTS: u32 = 10_000;
/// Requests in flight per connection in the pipelined runs (`-P`).
const PIPELINE: u32 = 16;

/// The run's settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Settings {
    requests: u32,
    write_doc: bool,
}

fn parse(args: &[OsString]) -> Result<Settings> {
    let mut settings = Settings {
        requests: REQUESTS,
        write_doc: false,
    };
    for arg in args {
        match arg.to_str().unwrap_or_default() {
            "--quick" => settings.requests = QUICK_REQUESTS,
            "--write-doc" => settings.write_doc = true,
            other => bail!(
                "unknown argument {other:?}; `cargo xtask load --resp` takes --quick and --write-doc"
            ),
        }
    }
    ensure!(
        !(settings.write_doc && settings.requests == QUICK_REQUESTS),
        "--quick figures are not written to docs/BENCHMARKS.md; drop one of --quick and --write-doc"
    );
    Ok(settings)
}

/// How long one redis-benchmark run may take: a minute, plus a millisecond
/// per request (a floor of 1,000 requests/s, far below any server here).
fn deadline(requests: u32) -> Duration {
    Duration::from_secs(60) + Duration::from_millis(u64::from(requests))
}

/// Runs the task.
pub(crate) fn run(args: &[OsString]) -> Result<()> {
    let settings = parse(args)?;
    let redis_benchmark_version = redis_benchmark::version()?;
    let redis_server_version = redis_server::version()?;
    let binary = kvstore::build_release()?;
    let scratch = Scratch::new("resp")?;

    let started = Instant::now();
    let before = CpuClock::now();

    let kvstore = {
        let mut server = Kvstore::start(
            &binary,
            &scratch.subdir("kvstore")?,
            &["--resp-port", "0", "--no-http"],
            "redis",
        )?;
        resp_client::ping(server.address)?;
        let modes = benchmark("mini-kvstore", server.address, settings.requests)?;
        let status = server.terminate()?;
        ensure!(
            status.success(),
            "kvstore exited with {status} after SIGTERM"
        );
        modes
    };
    let redis = |fsync: Appendfsync| -> Result<Modes> {
        let dir = scratch.subdir(&format!("redis-{}", fsync.as_str()))?;
        let server = RedisServer::start(fsync, &dir)?;
        let name = format!("redis appendfsync {}", fsync.as_str());
        let modes = benchmark(&name, server.address, settings.requests)?;
        let status = server.stop()?;
        ensure!(
            status.success(),
            "redis-server exited with {status} after SHUTDOWN NOSAVE"
        );
        Ok(modes)
    };
    let redis_always = redis(Appendfsync::Always)?;
    let redis_everysec = redis(Appendfsync::Everysec)?;

    let after = CpuClock::now();
    let seconds = started.elapsed().as_secs_f64();
    let measurements = Measurements {
        kvstore,
        redis_always,
        redis_everysec,
    };
    let outcomes = targets::check(&measurements);
    let conditions = Conditions {
        date: host::today(),
        cpus: host::cpus(),
        kernel: host::kernel(),
        redis_server: redis_server_version,
        redis_benchmark: redis_benchmark_version,
        requests: settings.requests,
        pipeline: PIPELINE,
        seconds,
        others_share: before.others_share(&after, seconds),
        compilers: (before.compilers, after.compilers),
        load: (before.load_1min, after.load_1min),
    };
    let text = report::markdown(&conditions, &measurements, &outcomes);
    println!();
    print!("{text}");

    if settings.write_doc {
        let doc = process::workspace_root().join("docs/BENCHMARKS.md");
        report::write_section(&doc, &text)?;
        eprintln!("==> load: wrote the load-resp section of {}", doc.display());
    }
    let met = outcomes.iter().filter(|o| o.met()).count();
    eprintln!("==> load: {met} of {} targets met", outcomes.len());
    Ok(())
}

/// The two runs against one server: no pipeline, then `-P 16`.
fn benchmark(name: &str, address: SocketAddr, requests: u32) -> Result<Modes> {
    let run = |pipeline: u32| -> Result<redis_benchmark::SetGet> {
        let command = redis_benchmark::command(address, requests, pipeline);
        let (figures, csv) = redis_benchmark::run(command, deadline(requests))?;
        eprint!("{name}, -P {pipeline}:\n{csv}");
        Ok(figures)
    };
    Ok(Modes {
        single: run(1)?,
        pipelined: run(PIPELINE)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(words: &[&str]) -> Vec<OsString> {
        words.iter().map(OsString::from).collect()
    }

    #[test]
    fn flags_parse_and_quick_figures_are_never_written() {
        let full = Settings {
            requests: REQUESTS,
            write_doc: false,
        };
        assert_eq!(parse(&[]).ok(), Some(full));
        assert_eq!(
            parse(&args(&["--write-doc"])).ok(),
            Some(Settings {
                write_doc: true,
                ..full
            })
        );
        assert_eq!(
            parse(&args(&["--quick"])).ok().map(|s| s.requests),
            Some(QUICK_REQUESTS)
        );
        assert!(parse(&args(&["--quick", "--write-doc"])).is_err());
        assert!(parse(&args(&["--duration", "5"])).is_err());
    }

    #[test]
    fn every_benchmark_run_has_a_bounded_deadline() {
        assert_eq!(deadline(REQUESTS), Duration::from_secs(160));
        assert!(deadline(QUICK_REQUESTS) < deadline(REQUESTS));
    }
}
