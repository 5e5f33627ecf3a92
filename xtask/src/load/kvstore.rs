//! The server under test: the release `kvstore`, built by cargo and started
//! over a fresh data directory on a port the kernel picks on 127.0.0.1,
//! with the engine's default options — `SyncPolicy::Always`, so whatever
//! it acknowledged is on disk.
//!
//! Both load runs start it the same way and differ only in which listener
//! they ask for (`--port 0`, or `--resp-port 0 --no-http`); the server
//! prints one `listening on <scheme>://ADDR` line per listener, and the
//! address is taken from there.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use anyhow::{Context, Result, bail};

use super::child::Guarded;
use crate::process;

/// How long the server may take to print its address, and to exit after
/// SIGTERM (it drains its connections and syncs the store first).
const START_AND_STOP: Duration = Duration::from_secs(30);

/// `cargo build --release -p kvstore`, and where the binary went.
pub(crate) fn build_release() -> Result<PathBuf> {
    let mut build = process::cargo();
    build.args(["build", "--release", "-p", "kvstore"]);
    eprintln!("==> load: {}", process::shown(&build));
    process::run(&mut build)?;
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| process::workspace_root().join("target"));
    Ok(target.join("release").join("kvstore"))
}

/// A running `kvstore`, killed if dropped before [`Kvstore::terminate`].
pub(crate) struct Kvstore {
    process: Guarded,
    /// Where the listener asked for accepts connections.
    pub(crate) address: SocketAddr,
}

impl Kvstore {
    /// Starts `binary --volume DATA --id load --bind 127.0.0.1 LISTEN…` and
    /// waits for its `listening on SCHEME://ADDR` line.
    pub(crate) fn start(
        binary: &Path,
        data: &Path,
        listen: &[&str],
        scheme: &str,
    ) -> Result<Kvstore> {
        let mut command = Command::new(binary);
        command
            .arg("--volume")
            .arg(data)
            .args(["--id", "load", "--bind", "127.0.0.1"])
            .args(listen)
            .env_remove("KVSTORE_TOKEN")
            .stdin(Stdio::null())
            .stdout(Stdio::piped());
        let mut process = Guarded::spawn(&mut command)?;
        let stdout = process.take_stdout().context("kvstore's stdout")?;
        // Read on a thread, so a server that never prints cannot hang the run.
        let (lines, received) = mpsc::channel();
        let prefix = format!("listening on {scheme}://");
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                let found = line.trim().strip_prefix(&prefix).map(str::to_owned);
                if let Some(address) = found {
                    let _ = lines.send(Ok(address));
                    break;
                }
                if lines.send(Err(line)).is_err() {
                    break;
                }
            }
        });
        let mut printed = Vec::new();
        loop {
            match received.recv_timeout(START_AND_STOP) {
                Ok(Ok(address)) => {
                    let address = address
                        .parse()
                        .with_context(|| format!("kvstore printed the address {address:?}"))?;
                    eprintln!(
                        "==> load: kvstore (pid {}) at {scheme}://{address}",
                        process.id()
                    );
                    return Ok(Kvstore { process, address });
                }
                Ok(Err(other)) => printed.push(other),
                Err(_) => bail!(
                    "kvstore did not print `listening on {scheme}://…` (it printed {printed:?}; exit status {:?})",
                    process.exited()?
                ),
            }
        }
    }

    /// SIGTERM, then the exit status (killed if it takes too long).
    pub(crate) fn terminate(&mut self) -> Result<ExitStatus> {
        self.process.terminate_within(START_AND_STOP)
    }
}
