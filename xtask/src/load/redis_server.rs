//! The reference the Redis-protocol figures are read against: `redis-server`
//! (Debian's package, 7.x) with an append-only file and no RDB snapshots,
//! in the foreground on a free loopback port over a directory of its own,
//! stopped with `SHUTDOWN NOSAVE` after its runs.
//!
//! Redis cannot be told to pick its own port (`--port 0` turns TCP off), so
//! a port is reserved by binding port 0 and letting it go just before the
//! start; if another process takes it in between, the start is retried.

use std::fs::File;
use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::path::Path;
use std::process::{ExitStatus, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};

use super::child::{self, Guarded};
use super::resp_client;
use crate::process;

/// How long Redis may take to answer `PING` after starting, and to exit
/// after `SHUTDOWN NOSAVE` (it fsyncs the AOF first).
const START_AND_STOP: Duration = Duration::from_secs(20);

/// Redis's `appendfsync` setting: when the append-only file is fsynced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Appendfsync {
    /// Before a write's reply is sent: an acknowledged write is durable,
    /// the same promise as mini-kvstore's default.
    Always,
    /// Once a second, in the background: up to a second of acknowledged
    /// writes can be lost.
    Everysec,
}

impl Appendfsync {
    /// The value `--appendfsync` takes.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Appendfsync::Always => "always",
            Appendfsync::Everysec => "everysec",
        }
    }
}

/// `redis-server --version`'s version (`7.0.15`), or an error telling the
/// user how to install it.
pub(crate) fn version() -> Result<String> {
    let line = child::installed("redis-server")?;
    // "Redis server v=7.0.15 sha=… malloc=… bits=64 build=…"
    line.split_whitespace()
        .find_map(|word| word.strip_prefix("v="))
        .map(str::to_owned)
        .with_context(|| format!("cannot read the version in {line:?}"))
}

/// A running `redis-server`, killed if dropped before [`RedisServer::stop`].
pub(crate) struct RedisServer {
    process: Guarded,
    /// Where it listens (127.0.0.1).
    pub(crate) address: SocketAddr,
}

impl RedisServer {
    /// Starts `redis-server` over `dir` (its AOF and log go there) and
    /// waits until it answers `PING`.
    pub(crate) fn start(fsync: Appendfsync, dir: &Path) -> Result<RedisServer> {
        let mut last_error = None;
        for _ in 0..3 {
            match Self::start_once(fsync, dir) {
                Ok(server) => return Ok(server),
                Err(e) => {
                    let log = std::fs::read_to_string(dir.join("redis.log")).unwrap_or_default();
                    if !log.contains("Address already in use") {
                        return Err(e);
                    }
                    last_error = Some(e);
                }
            }
        }
        Err(last_error.unwrap_or_else(|| anyhow::anyhow!("redis-server did not start")))
    }

    fn start_once(fsync: Appendfsync, dir: &Path) -> Result<RedisServer> {
        let port = free_port()?;
        let log_path = dir.join("redis.log");
        let log =
            File::create(&log_path).with_context(|| format!("create {}", log_path.display()))?;
        let mut command = process::command("redis-server");
        command
            .args(["--port", &port.to_string()])
            .args(["--bind", "127.0.0.1", "--protected-mode", "no"])
            .args(["--daemonize", "no"])
            .arg("--dir")
            .arg(dir)
            .args(["--appendonly", "yes", "--appendfsync", fsync.as_str()])
            .args(["--save", ""])
            .stdin(Stdio::null())
            .stdout(Stdio::from(log.try_clone()?))
            .stderr(Stdio::from(log));
        eprintln!("==> load: {}", process::shown(&command));
        let mut process = Guarded::spawn(&mut command)?;
        let address = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
        let deadline = Instant::now() + START_AND_STOP;
        while resp_client::ping(address).is_err() {
            if let Some(status) = process.exited()? {
                bail!(
                    "redis-server exited ({status}) before answering PING; its log:\n{}",
                    std::fs::read_to_string(&log_path)
                        .unwrap_or_default()
                        .trim()
                );
            }
            ensure!(
                Instant::now() < deadline,
                "redis-server did not answer PING on {address} within {} s",
                START_AND_STOP.as_secs()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(RedisServer { process, address })
    }

    /// `SHUTDOWN NOSAVE`, then the exit status; SIGTERM if the request
    /// cannot be sent, and SIGKILL (by the guard) if it does not exit.
    pub(crate) fn stop(mut self) -> Result<ExitStatus> {
        match resp_client::shutdown_nosave(self.address) {
            Ok(()) => self.process.wait_within(START_AND_STOP),
            Err(e) => {
                eprintln!("==> load: SHUTDOWN NOSAVE failed ({e:#}); sending SIGTERM");
                self.process.terminate_within(START_AND_STOP)
            }
        }
    }
}

/// A port nothing listens on at this moment.
fn free_port() -> Result<u16> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).context("reserve a port")?;
    Ok(listener.local_addr()?.port())
}
