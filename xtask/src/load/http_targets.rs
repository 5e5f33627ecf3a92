//! `cargo xtask load --http-targets [--duration SECS]`: the REST server's
//! speed targets, each against its yardstick in the same run.
//!
//! - **GET**: `GET /blobs/{key}` of 100-byte values from a warm store
//!   (1,000 keys, stored first) against a bare axum route answering 100
//!   bytes from memory (`server/examples/bare_route.rs`), both under the
//!   same `wrk -t1 -c32` and the same script (`tests/load/mix.lua` with no
//!   PUTs; the bare route answers every path). Target: at least 80 %.
//! - **Durable PUT**: `PUT /blobs/{key}` of 100-byte values, `wrk -t1
//!   -c50`, with the server's default `SyncPolicy::Always`, against
//!   `redis-server --appendfsync always` under `redis-benchmark -c 50 -d
//!   100 -t set`. Target: at least Redis's rate.
//!
//! Each server runs alone, one after the other, over a fresh directory; wrk
//! and redis-benchmark share the two cores with it. It prints every figure
//! and each ratio; a target not met is reported, not an error.

use std::ffi::OsString;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};

use super::child::{self, Guarded};
use super::host;
use super::http::{self, Figures};
use super::kvstore::{self, Kvstore};
use super::redis_benchmark;
use super::redis_server::{Appendfsync, RedisServer};
use super::scratch::Scratch;
use crate::process;

/// Keys stored before the GET run.
const KEYS: u32 = 1000;
/// Bytes per value, as redis-benchmark's `-d 100`.
const VALUE_BYTES: u32 = 100;
/// Connections for GET, as the issue sets them.
const GET_CONNECTIONS: u32 = 32;
/// Connections for durable PUT: redis-benchmark's.
const PUT_CONNECTIONS: u32 = redis_benchmark::CLIENTS;
/// redis-benchmark's SETs for the Redis figure.
const REDIS_REQUESTS: u32 = 100_000;

fn parse(args: &[OsString]) -> Result<u32> {
    let mut duration = 10;
    let mut args = args.iter();
    while let Some(flag) = args.next() {
        match flag.to_str().unwrap_or_default() {
            "--duration" => {
                let value = args
                    .next()
                    .and_then(|v| v.to_str())
                    .context("--duration needs a number")?;
                duration = value
                    .trim_end_matches('s')
                    .parse()
                    .with_context(|| format!("--duration {value:?} is not a whole number"))?;
                ensure!(duration > 0, "--duration must be at least 1");
            }
            other => bail!(
                "unknown argument {other:?}; `cargo xtask load --http-targets` takes --duration SECS"
            ),
        }
    }
    Ok(duration)
}

/// `cargo build --release -p mini-kvstore-server --example bare_route`.
fn build_bare_route() -> Result<PathBuf> {
    let mut build = process::cargo();
    build.args([
        "build",
        "--release",
        "-p",
        "mini-kvstore-server",
        "--example",
        "bare_route",
    ]);
    eprintln!("==> load: {}", process::shown(&build));
    process::run(&mut build)?;
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| process::workspace_root().join("target"));
    Ok(target.join("release").join("examples").join("bare_route"))
}

/// Starts the bare route and reads its address.
fn start_bare_route(binary: &Path) -> Result<(Guarded, SocketAddr)> {
    let mut command = Command::new(binary);
    command.stdin(Stdio::null()).stdout(Stdio::piped());
    let mut process = Guarded::spawn(&mut command)?;
    let stdout = process.take_stdout().context("bare_route's stdout")?;
    let (lines, received) = mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let _ = lines.send(line);
    });
    let line = received
        .recv_timeout(Duration::from_secs(30))
        .context("bare_route printed no address")?;
    let address = line
        .trim()
        .strip_prefix("listening on http://")
        .and_then(|a| a.parse().ok())
        .with_context(|| format!("bare_route printed {line:?}"))?;
    Ok((process, address))
}

/// One wrk run of `mix.lua` with `put_percent` PUTs.
fn wrk(address: SocketAddr, connections: u32, seconds: u32, put_percent: u32) -> Result<Figures> {
    let script = process::workspace_root().join("tests/load/mix.lua");
    let mut wrk = process::command("wrk");
    wrk.args(["-t1", &format!("-c{connections}"), &format!("-d{seconds}s")])
        .args(["--timeout", "10s", "--latency", "-s"])
        .arg(&script)
        .arg(format!("http://{address}"))
        .arg("--")
        .args([put_percent, KEYS, VALUE_BYTES].map(|n| n.to_string()));
    eprintln!("==> load: {}", process::shown(&wrk));
    let output = child::output_within(&mut wrk, Duration::from_secs(u64::from(seconds) + 60))?;
    print!("{output}");
    let figures = Figures::from_output(&output)?;
    ensure!(
        figures.socket_errors + figures.non_2xx == 0,
        "{} requests failed or got an error status",
        figures.socket_errors + figures.non_2xx
    );
    Ok(figures)
}

/// Runs the task.
pub(crate) fn run(args: &[OsString]) -> Result<()> {
    let seconds = parse(args)?;
    http::ensure_wrk()?;
    redis_benchmark::version()?;
    let kvstore_binary = kvstore::build_release()?;
    let bare_binary = build_bare_route()?;
    let scratch = Scratch::new("http-targets")?;
    let started = host::CpuClock::now();
    let clock = Instant::now();

    // The yardstick for GET.
    let (mut bare, bare_address) = start_bare_route(&bare_binary)?;
    let bare_get = wrk(bare_address, GET_CONNECTIONS, seconds, 0)?;
    bare.terminate_within(Duration::from_secs(30))?;

    // The store: warm GETs, then durable PUTs.
    let mut server = Kvstore::start(
        &kvstore_binary,
        &scratch.path().join("kvstore"),
        &["--port", "0"],
        "http",
    )?;
    let value = vec![b'v'; VALUE_BYTES as usize];
    for key in 0..KEYS {
        let status = http::http(server.address, "PUT", &format!("/blobs/load/{key}"), &value)?;
        ensure!((200..300).contains(&status), "prefill PUT {key}: {status}");
    }
    let store_get = wrk(server.address, GET_CONNECTIONS, seconds, 0)?;
    let store_put = wrk(server.address, PUT_CONNECTIONS, seconds, 100)?;
    let status = server.terminate()?;
    ensure!(
        status.success(),
        "kvstore exited with {status} after SIGTERM"
    );

    // The yardstick for durable PUT.
    let redis = RedisServer::start(Appendfsync::Always, &scratch.subdir("redis")?)?;
    // redis-benchmark's own settings are already -c 50 -d 100.
    let bench = redis_benchmark::command(redis.address, REDIS_REQUESTS, 1);
    let (redis_figures, _) = redis_benchmark::run(bench, Duration::from_secs(300))?;
    redis.stop()?;
    let others = started.others_share(&host::CpuClock::now(), clock.elapsed().as_secs_f64());

    println!();
    println!("{}", host::machine());
    println!(
        "Other processes used {:.0} % of the CPUs while this ran. wrk -t1, {seconds} s per run, {KEYS} keys, {VALUE_BYTES}-byte values, loopback.",
        others * 100.0
    );
    println!("| target | mini-kvstore | yardstick | ratio | |\n|---|---:|---:|---:|---|");
    let row = |name: &str, ours: f64, theirs: f64, yardstick: &str, needed: f64| {
        let ratio = ours / theirs.max(1.0);
        let verdict = if ratio >= needed {
            "met"
        } else {
            "**not met**"
        };
        println!(
            "| {name} | {ours:.0} /s | {theirs:.0} /s ({yardstick}) | {ratio:.2}× (needs {needed:.2}×) | {verdict} |"
        );
    };
    row(
        "GET /blobs/{key} ≥ 80 % of a bare axum route (-c32)",
        store_get.requests_per_sec(),
        bare_get.requests_per_sec(),
        "bare route",
        0.8,
    );
    row(
        "durable PUT (-c50) ≥ Redis `appendfsync always` SET (-c50)",
        store_put.requests_per_sec(),
        redis_figures.set.rps,
        "Redis always",
        1.0,
    );
    println!(
        "p99: bare route {}, GET {}, PUT {}",
        http::millis(bare_get.p99_us),
        http::millis(store_get.p99_us),
        http::millis(store_put.p99_us)
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_duration_is_the_only_flag() {
        assert_eq!(parse(&[]).ok(), Some(10));
        assert_eq!(
            parse(&[OsString::from("--duration"), OsString::from("3s")]).ok(),
            Some(3)
        );
        assert!(parse(&[OsString::from("--duration"), OsString::from("0")]).is_err());
        assert!(parse(&[OsString::from("--quick")]).is_err());
    }
}
