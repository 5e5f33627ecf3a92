//! `cargo xtask load [--duration SECS] [--connections N] [--threads N]`:
//! the REST server under wrk.
//!
//! Builds the release `kvstore`, installs wrk (Debian's `wrk` package) if it
//! is missing, starts the server on a free loopback port over a fresh data
//! directory, stores the key set, then runs two mixes of `tests/load/mix.lua`
//! — GET-heavy (90 % GET) and PUT-heavy (90 % PUT) — for `--duration`
//! seconds each (30 by default), and prints requests/s, latency p50/p99/max,
//! socket errors and non-2xx answers per mix. It stops the server with
//! SIGTERM and expects exit status 0, so a run also shows that a loaded
//! server shuts down cleanly.
//!
//! It fails (after printing everything) if any request failed or was
//! answered with an error status, since the server must take this load
//! without either.

use std::ffi::OsString;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};

use super::kvstore::{self, Kvstore};
use super::scratch::Scratch;
use super::{child, host};
use crate::process;

/// Keys in the working set: small enough to store up front in a second or
/// two, large enough that PUTs rarely queue behind each other on one key.
const KEYS: u32 = 1000;
/// Bytes per value written.
const VALUE_BYTES: u32 = 256;

/// The two mixes: name and share of PUTs in percent.
const MIXES: &[(&str, u32)] = &[
    ("GET-heavy (90% GET, 10% PUT)", 10),
    ("PUT-heavy (10% GET, 90% PUT)", 90),
];

/// The run's settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Settings {
    duration_secs: u32,
    connections: u32,
    threads: u32,
}

impl Default for Settings {
    fn default() -> Self {
        // Two wrk threads on the 2-core machines this project runs on; 32
        // connections keep the server's group commit busy without turning
        // the run into a measurement of queueing.
        Settings {
            duration_secs: 30,
            connections: 32,
            threads: 2,
        }
    }
}

fn parse(args: &[OsString]) -> Result<Settings> {
    let mut settings = Settings::default();
    let mut args = args.iter();
    while let Some(flag) = args.next() {
        let flag = flag.to_str().unwrap_or_default();
        let mut number = |name: &str| -> Result<u32> {
            let value = args
                .next()
                .and_then(|v| v.to_str())
                .with_context(|| format!("{name} needs a number"))?;
            let value = value
                .strip_suffix('s')
                .filter(|_| name == "--duration")
                .unwrap_or(value);
            let n: u32 = value
                .parse()
                .with_context(|| format!("{name} {value:?} is not a whole number"))?;
            ensure!(n > 0, "{name} must be at least 1");
            Ok(n)
        };
        match flag {
            "--duration" => settings.duration_secs = number("--duration")?,
            "--connections" => settings.connections = number("--connections")?,
            "--threads" => settings.threads = number("--threads")?,
            other => bail!(
                "unknown argument {other:?}; `cargo xtask load` takes --duration SECS, --connections N, --threads N"
            ),
        }
    }
    ensure!(
        settings.connections >= settings.threads,
        "wrk needs at least one connection per thread"
    );
    Ok(settings)
}

/// What wrk reported for one mix (from the script's `RESULT` line).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(super) struct Figures {
    requests: u64,
    duration_us: u64,
    p50_us: u64,
    pub(super) p99_us: u64,
    max_us: u64,
    pub(super) socket_errors: u64,
    pub(super) non_2xx: u64,
}

impl Figures {
    pub(super) fn from_output(output: &str) -> Result<Figures> {
        let line = output
            .lines()
            .find_map(|line| line.strip_prefix("RESULT "))
            .context("wrk printed no RESULT line (is tests/load/mix.lua the script?)")?;
        let field = |name: &str| -> Result<u64> {
            line.split_whitespace()
                .find_map(|pair| pair.strip_prefix(name)?.strip_prefix('='))
                .with_context(|| format!("no {name} in {line:?}"))?
                .parse()
                .with_context(|| format!("{name} in {line:?}"))
        };
        Ok(Figures {
            requests: field("requests")?,
            duration_us: field("duration_us")?,
            p50_us: field("p50_us")?,
            p99_us: field("p99_us")?,
            max_us: field("max_us")?,
            socket_errors: field("connect")? + field("read")? + field("write")? + field("timeout")?,
            non_2xx: field("non2xx")?,
        })
    }

    pub(super) fn requests_per_sec(&self) -> f64 {
        self.requests as f64 / (self.duration_us.max(1) as f64 / 1e6)
    }
}

/// Runs the task.
pub(crate) fn run(args: &[OsString]) -> Result<()> {
    let settings = parse(args)?;
    let binary = kvstore::build_release()?;
    ensure_wrk()?;

    let scratch = Scratch::new("http")?;
    let mut server = Kvstore::start(
        &binary,
        &scratch.path().join("data"),
        &["--port", "0"],
        "http",
    )?;
    let deadline = Instant::now() + Duration::from_secs(30);
    while !matches!(http(server.address, "GET", "/health", b""), Ok(200)) {
        ensure!(Instant::now() < deadline, "/health did not answer 200");
        std::thread::sleep(Duration::from_millis(20));
    }
    prefill(server.address)?;

    let script = process::workspace_root().join("tests/load/mix.lua");
    let mut results = Vec::new();
    for &(name, put_percent) in MIXES {
        let mut wrk = process::command("wrk");
        wrk.arg(format!("-t{}", settings.threads))
            .arg(format!("-c{}", settings.connections))
            .arg(format!("-d{}s", settings.duration_secs))
            .args(["--timeout", "10s", "--latency", "-s"])
            .arg(&script)
            .arg(format!("http://{}", server.address))
            .arg("--")
            .args([put_percent, KEYS, VALUE_BYTES].map(|n| n.to_string()));
        eprintln!("==> load: {name}: {}", process::shown(&wrk));
        // wrk stops itself after the duration; the deadline is for a hang.
        let limit = Duration::from_secs(u64::from(settings.duration_secs) + 60);
        let output = child::output_within(&mut wrk, limit)?;
        print!("{output}");
        results.push((name, Figures::from_output(&output)?));
    }

    let status = server.terminate()?;
    println!();
    println!("{}", host::machine());
    println!(
        "wrk: {} threads, {} connections, {} s per mix, {KEYS} keys, {VALUE_BYTES}-byte values, loopback",
        settings.threads, settings.connections, settings.duration_secs
    );
    println!(
        "| mix | requests/s | p50 | p99 | max | socket errors | non-2xx |\n|---|---:|---:|---:|---:|---:|---:|"
    );
    for (name, f) in &results {
        println!(
            "| {name} | {:.0} | {} | {} | {} | {} | {} |",
            f.requests_per_sec(),
            millis(f.p50_us),
            millis(f.p99_us),
            millis(f.max_us),
            f.socket_errors,
            f.non_2xx
        );
    }
    println!("server stopped with SIGTERM: {status}");

    let failed: u64 = results
        .iter()
        .map(|(_, f)| f.socket_errors + f.non_2xx)
        .sum();
    ensure!(
        failed == 0,
        "{failed} requests failed or got an error status"
    );
    ensure!(
        status.success(),
        "the server exited with {status} after SIGTERM"
    );
    Ok(())
}

pub(super) fn millis(micros: u64) -> String {
    format!("{:.2} ms", micros as f64 / 1000.0)
}

/// Installs wrk with apt-get unless it is on the PATH already.
pub(super) fn ensure_wrk() -> Result<()> {
    // `wrk --version` exits 1 after printing; only "not found" matters here.
    match Command::new("wrk")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
    {
        Ok(_) => return Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e).context("could not run wrk"),
    }
    eprintln!("==> load: wrk is missing; apt-get install -y wrk");
    let install = || process::run(process::command("apt-get").args(["install", "-y", "wrk"]));
    if install().is_err() {
        // A fresh machine's package lists may be empty or stale.
        process::run(process::command("apt-get").arg("update"))?;
        install().context("could not install wrk (Debian package `wrk`); install it and retry")?;
    }
    Ok(())
}

/// Stores every key of the working set, so GETs find values.
fn prefill(address: SocketAddr) -> Result<()> {
    let value = vec![b'v'; VALUE_BYTES as usize];
    for key in 0..KEYS {
        let status = http(address, "PUT", &format!("/blobs/load/{key}"), &value)?;
        ensure!((200..300).contains(&status), "prefill PUT {key}: {status}");
    }
    Ok(())
}

/// One request on its own connection; returns the status code.
pub(super) fn http(address: SocketAddr, method: &str, path: &str, body: &[u8]) -> Result<u16> {
    let mut stream = TcpStream::connect(address)?;
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nhost: {address}\r\nconnection: close\r\ncontent-length: {}\r\n\r\n",
        body.len()
    )?;
    stream.write_all(body)?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer)?;
    answer
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .with_context(|| format!("not an HTTP answer: {answer:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(words: &[&str]) -> Vec<OsString> {
        words.iter().map(OsString::from).collect()
    }

    #[test]
    fn flags_parse_with_defaults() {
        assert_eq!(parse(&[]).ok(), Some(Settings::default()));
        let s = parse(&args(&[
            "--duration",
            "5s",
            "--connections",
            "8",
            "--threads",
            "1",
        ]))
        .ok();
        assert_eq!(
            s,
            Some(Settings {
                duration_secs: 5,
                connections: 8,
                threads: 1
            })
        );
        assert!(parse(&args(&["--duration"])).is_err());
        assert!(parse(&args(&["--duration", "0"])).is_err());
        assert!(parse(&args(&["--connections", "1", "--threads", "2"])).is_err());
        assert!(parse(&args(&["--fast"])).is_err());
    }

    #[test]
    fn the_script_result_line_is_parsed() {
        let output = "Running 1s test\nRESULT requests=2000 duration_us=1000000 p50_us=800 p99_us=3000 max_us=9000 connect=0 read=1 write=0 timeout=2 non2xx=4\n";
        let f = Figures::from_output(output).ok();
        assert_eq!(
            f,
            Some(Figures {
                requests: 2000,
                duration_us: 1_000_000,
                p50_us: 800,
                p99_us: 3000,
                max_us: 9000,
                socket_errors: 3,
                non_2xx: 4
            })
        );
        assert_eq!(f.map(|f| f.requests_per_sec().round()), Some(2000.0));
        assert!(Figures::from_output("no result").is_err());
    }

    #[test]
    fn the_load_script_exists() {
        assert!(
            process::workspace_root()
                .join("tests/load/mix.lua")
                .is_file()
        );
    }
}
