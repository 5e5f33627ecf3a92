//! The Redis protocol with a client nobody here wrote: the real `kvstore`
//! serving `--resp-port` (and no HTTP), and Debian's `redis-cli` (installed
//! by `cargo xtask setup`) sending one-shot commands, a pipe of mass
//! inserts, and the errors Redis clients know.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};

use anyhow::{Context, Result, ensure};

/// A `kvstore` serving only the Redis protocol, stopped when dropped.
struct RespServer {
    child: Child,
    address: SocketAddr,
}

impl RespServer {
    fn start(volume: &std::path::Path) -> Result<RespServer> {
        let mut command = Command::new(env!("CARGO_BIN_EXE_kvstore"));
        for var in common::env::KVSTORE_ENV {
            command.env_remove(var);
        }
        let mut child = command
            .arg("--volume")
            .arg(volume)
            .args(["--id", "resp", "--resp-port", "0", "--no-http"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()?;
        let stdout = child.stdout.take().context("no stdout")?;
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line)?;
        let address = line
            .trim()
            .strip_prefix("listening on redis://")
            .with_context(|| format!("unexpected start-up line {line:?}"))?
            .parse()?;
        Ok(RespServer { child, address })
    }

    /// `redis-cli -h … -p … ARGS`, its stdout.
    fn cli(&self, args: &[&str]) -> Result<String> {
        let output = redis_cli(self.address)
            .args(args)
            .output()
            .context("redis-cli is not installed: run `cargo xtask setup` (Debian: redis-tools)")?;
        ensure!(
            output.status.success(),
            "redis-cli {args:?} failed: {output:?}"
        );
        Ok(String::from_utf8(output.stdout)?)
    }
}

impl Drop for RespServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn redis_cli(address: SocketAddr) -> Command {
    let mut cmd = Command::new("redis-cli");
    cmd.args([
        "-h",
        &address.ip().to_string(),
        "-p",
        &address.port().to_string(),
    ]);
    cmd
}

#[test]
fn redis_cli_one_shot_commands_read_and_write_the_store() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let server = RespServer::start(dir.path())?;
    assert_eq!(server.cli(&["PING"])?, "PONG\n");
    assert_eq!(server.cli(&["SET", "greeting", "hello world"])?, "OK\n");
    assert_eq!(server.cli(&["GET", "greeting"])?, "hello world\n");
    // Not a terminal, so redis-cli prints bare values: no "(integer)".
    assert_eq!(
        server.cli(&["EXISTS", "greeting", "nope", "greeting"])?,
        "2\n"
    );
    assert_eq!(server.cli(&["INCR", "counter"])?, "1\n");
    assert_eq!(server.cli(&["INCRBY", "counter", "41"])?, "42\n");
    assert_eq!(server.cli(&["SET", "session", "x", "EX", "100"])?, "OK\n");
    let ttl: u64 = server.cli(&["TTL", "session"])?.trim().parse()?;
    assert!((99..=100).contains(&ttl), "{ttl}");
    assert_eq!(server.cli(&["DEL", "greeting", "nope"])?, "1\n");
    assert_eq!(
        server.cli(&["GET", "greeting"])?,
        "\n",
        "a nil reply prints empty"
    );
    assert_eq!(server.cli(&["DBSIZE"])?, "2\n");
    // redis-cli ends an error reply with a blank line.
    let error = server.cli(&["INCR", "session"])?;
    assert_eq!(
        error.trim_end(),
        "ERR value is not an integer or out of range"
    );
    let unknown = server.cli(&["FROBNICATE", "a"])?;
    assert!(
        unknown.starts_with("ERR unknown command 'FROBNICATE'"),
        "{unknown}"
    );
    Ok(())
}

#[test]
fn redis_cli_pipe_mass_insertion_lands_every_key() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let server = RespServer::start(dir.path())?;
    let keys = 20_000;
    let mut input = Vec::new();
    for i in 0..keys {
        let (key, value) = (format!("key:{i:06}"), format!("value {i}"));
        write!(
            input,
            "*3\r\n$3\r\nSET\r\n${}\r\n{key}\r\n${}\r\n{value}\r\n",
            key.len(),
            value.len()
        )?;
    }
    let mut pipe = redis_cli(server.address)
        .arg("--pipe")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .context("redis-cli is not installed: run `cargo xtask setup`")?;
    pipe.stdin.take().context("stdin")?.write_all(&input)?;
    let output = pipe.wait_with_output()?;
    let report = String::from_utf8_lossy(&output.stdout);
    ensure!(output.status.success(), "redis-cli --pipe failed: {report}");
    ensure!(
        report.contains(&format!("errors: 0, replies: {keys}")),
        "{report}"
    );
    assert_eq!(server.cli(&["DBSIZE"])?, format!("{keys}\n"));
    for i in [0, 1, 4_999, 12_345, keys - 1] {
        assert_eq!(
            server.cli(&["GET", &format!("key:{i:06}")])?,
            format!("value {i}\n")
        );
    }
    // And the store holds them after a restart (a kill: every SET was
    // acknowledged durable).
    drop(server);
    let server = RespServer::start(dir.path())?;
    assert_eq!(server.cli(&["DBSIZE"])?, format!("{keys}\n"));
    assert_eq!(server.cli(&["GET", "key:010000"])?, "value 10000\n");
    Ok(())
}
