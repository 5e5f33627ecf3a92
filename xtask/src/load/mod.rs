//! `cargo xtask load`: the server under load from tools people already have,
//! on loopback, against a release build. Not a test with a time limit: a
//! command a person runs, whose figures go into `docs/BENCHMARKS.md`.
//!
//! Two protocols, one run each:
//!
//! - [`http`] — `cargo xtask load [--duration SECS] …`: the REST server
//!   under wrk, a GET-heavy and a PUT-heavy mix.
//! - [`http_targets`] — `cargo xtask load --http-targets [--duration SECS]`:
//!   the REST server's targets, `GET` against a bare axum route and
//!   durable `PUT` against Redis's `appendfsync always` SET, in one run.
//! - [`resp`] — `cargo xtask load --resp [--quick] [--write-doc]`: the Redis
//!   protocol under redis-benchmark, beside `redis-server` with
//!   `appendfsync always` and `everysec`, and the targets against Redis.
//!
//! What they share sits in leaf modules that import nothing else here, so
//! the imports run one way (`http` and `resp` down to the leaves):
//!
//! - [`kvstore`] — building the release `kvstore` and running it as the
//!   server under test.
//! - [`child`] — child processes that are killed when dropped or late.
//! - [`scratch`] — the run's temporary directory.
//! - [`host`] — the machine, as the benchmark report describes it.
//!
//! And, for the RESP run only, one concern per file:
//!
//! - [`redis_server`] — the reference `redis-server` instances.
//! - [`redis_benchmark`] — running redis-benchmark and reading its CSV.
//! - [`resp_client`] — the two requests xtask sends itself (`PING`,
//!   `SHUTDOWN NOSAVE`).
//! - [`targets`] — the targets against Redis, a pure function of the figures.
//! - [`report`] — the markdown tables and the marked section of the doc.

mod child;
mod host;
mod http;
mod http_targets;
mod kvstore;
mod redis_benchmark;
mod redis_server;
mod report;
mod resp;
mod resp_client;
mod scratch;
mod targets;

use std::ffi::OsString;

use anyhow::Result;

/// Runs the task: `--resp` anywhere on the command line picks the Redis
/// protocol; everything else is the REST run's.
pub(crate) fn run(args: &[OsString]) -> Result<()> {
    if args.iter().any(|arg| arg == "--http-targets") {
        let rest: Vec<OsString> = args
            .iter()
            .filter(|arg| *arg != "--http-targets")
            .cloned()
            .collect();
        http_targets::run(&rest)
    } else if args.iter().any(|arg| arg == "--resp") {
        let rest: Vec<OsString> = args
            .iter()
            .filter(|arg| *arg != "--resp")
            .cloned()
            .collect();
        resp::run(&rest)
    } else {
        http::run(args)
    }
}
