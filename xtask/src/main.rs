//! `cargo xtask`: set-up, run and CI orchestration for the workspace, in Rust.
//!
//! The alias in `.cargo/config.toml` (`xtask = "run --quiet --package xtask --"`)
//! makes `cargo xtask <task>` work with nothing but a Rust toolchain, on any
//! platform. Shell scripts stay one line long (`.ci/run` is `cargo xtask ci`),
//! and the logic lives here, where it is typed and reviewed like the rest.
//!
//! - [`ci`] — the ordered list of checks a reviewer would run.
//! - [`setup`] — installs the tools the checks need, skipping what is present.
//! - [`process`] — runs child commands and turns a failed one into an error.
//! - [`load`] — the servers under load: REST under wrk (`cargo xtask load`),
//!   the Redis protocol under redis-benchmark beside redis-server
//!   (`cargo xtask load --resp`).
//! - `imports` — the check that no crate's modules import each other in a
//!   cycle (a test, so `cargo test` runs it).
//!
//! It depends on `std` and `anyhow` only, so it builds in seconds, before
//! anything else in the workspace.

mod ci;
#[cfg(test)]
mod imports;
mod load;
mod process;
mod setup;

use std::ffi::OsString;
use std::process::ExitCode;

use anyhow::{Result, bail};

const USAGE: &str = "\
Usage: cargo xtask <TASK> [ARGS...]

Tasks:
  start [ARGS]  install what is missing, build the playground, and start the
                REST server on ./data serving it at / (prints the URL);
                ARGS go to `kvstore` (e.g. --port 9000)
  ci            run every check, in order, stopping at the first failure:
                fmt, clippy (native and wasm32), build, tests and doc tests,
                the crash-point run, docs with warnings denied, the wasm32
                builds, browser tests, the playground build, the end-to-end
                suite, and a quick bench-compare
  setup         install what is missing: the wasm32 target, wasm-bindgen-cli,
                trunk, Chromium and chromedriver, the e2e suite's npm packages
  bench-compare [--quick] [--no-write] [--only STORES] [--workloads LIST]
                mini-kvstore beside sled, redb and fjall; a full run of every
                workload writes docs/BENCHMARKS.md and docs/bench-*.svg
  load [--duration SECS] [--connections N] [--threads N]
                the REST server under wrk: a GET-heavy and a PUT-heavy mix
                (30 s each by default) against a release build on loopback;
                installs wrk with apt-get if missing
  load --resp [--quick] [--write-doc]
                the Redis protocol under redis-benchmark: mini-kvstore (durable
                default), then redis-server with appendfsync always and
                everysec, SET and GET without and with -P 16 (100,000 requests
                per test, 10,000 with --quick), and the targets against Redis;
                --write-doc rewrites that section of docs/BENCHMARKS.md; needs
                redis-benchmark and redis-server (`cargo xtask setup`)
  help          print this text
";

fn main() -> ExitCode {
    let mut args = std::env::args_os().skip(1);
    let task = args.next();
    let rest: Vec<OsString> = args.collect();

    let result = match task.as_ref().map(|task| task.to_str()) {
        None | Some(Some("help" | "-h" | "--help")) => {
            print!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Some(Some("ci")) => no_arguments("ci", &rest).and_then(|()| ci::run()),
        Some(Some("setup")) => no_arguments("setup", &rest).and_then(|()| setup::run()),
        Some(Some("start")) => start(&rest),
        Some(Some("load")) => load::run(&rest),
        Some(Some("bench-compare")) => bench_compare(&rest),
        Some(_) => {
            let shown = task.unwrap_or_default();
            eprint!("xtask: unknown task {shown:?}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };

    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("xtask: error: {err:#}");
            exit_code_for(&err)
        }
    }
}

/// `cargo xtask start [--] [ARGS...]`: get the machine ready, build the
/// playground into `dist/`, then run the REST server in release mode on
/// `./data`, serving the playground at `/` beside the API. It prints the URL
/// to open. `ARGS` go to `kvstore` (for example `--port 9000`).
fn start(args: &[OsString]) -> Result<()> {
    setup::run()?;
    eprintln!("==> start: building the playground (trunk build --release --offline)");
    ci::build_playground()?;
    // `cargo xtask start -- --port 9000` reads naturally; drop one leading `--`.
    let args = match args.split_first() {
        Some((first, rest)) if first == "--" => rest,
        _ => args,
    };
    let mut run = process::cargo();
    run.args([
        "run",
        "--release",
        "-p",
        "kvstore",
        "--",
        "--volume",
        "data",
        "--id",
        "local",
    ])
    .args(args);
    eprintln!("==> start: {}", process::shown(&run));
    process::run(&mut run)
}

/// `cargo xtask bench-compare [ARGS...]`: mini-kvstore beside sled, redb and
/// fjall (the `bench` package), in release mode.
fn bench_compare(args: &[OsString]) -> Result<()> {
    let mut run = process::cargo();
    run.args([
        "run",
        "--release",
        "-p",
        "mini-kvstore-bench",
        "--example",
        "bench-compare",
        "--",
    ])
    .args(args);
    eprintln!("==> bench-compare: {}", process::shown(&run));
    process::run(&mut run)
}

fn no_arguments(task: &str, rest: &[OsString]) -> Result<()> {
    if let Some(extra) = rest.first() {
        bail!("`cargo xtask {task}` takes no arguments (got {extra:?}); see `cargo xtask help`");
    }
    Ok(())
}

/// Mirrors a failed child's exit code (so `cargo xtask start` exits the way
/// `kvstore` did); every other failure is 1.
fn exit_code_for(err: &anyhow::Error) -> ExitCode {
    err.chain()
        .find_map(|cause| cause.downcast_ref::<process::Failed>())
        .and_then(|failed| failed.status.code())
        .and_then(|code| u8::try_from(code).ok())
        .filter(|&code| code != 0)
        .map_or(ExitCode::FAILURE, ExitCode::from)
}
