//! The real `kvstore` server as a child process, for the tests that need the
//! binary itself (start-up, signals, `kill -9`), and a tiny HTTP/1.1 client
//! over `std::net` to talk to it.
//!
//! The client is hand-rolled on purpose: a test of acknowledged writes must
//! know exactly when an answer arrived, one request per connection, with no
//! pool, retry or async runtime in between.
//!
//! Each test file is its own crate and uses only some of these, hence the
//! `dead_code` allowance. Test files using it declare `mod common;` too.
#![allow(dead_code)]

use crate::common::env;

use std::fs::File;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail, ensure};

/// How long start-up, one request or a shutdown may take before the test
/// gives up: generous, since a debug build on a busy machine is slow, and
/// only reached when something is wrong.
pub(crate) const PATIENCE: Duration = Duration::from_secs(20);

/// `kvstore` with every environment variable it reads removed.
pub(crate) fn kvstore() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_kvstore"));
    for var in env::KVSTORE_ENV {
        cmd.env_remove(var);
    }
    cmd
}

/// `kvstore --volume DIR --id ID --port 0`: a server on a free port.
pub(crate) fn server_command(volume: &Path, id: &str) -> Command {
    let mut cmd = kvstore();
    cmd.arg("--volume")
        .arg(volume)
        .args(["--id", id, "--port", "0"]);
    cmd
}

/// A running server.
pub(crate) struct Server {
    child: Child,
    /// Where it listens, from its start-up line.
    pub(crate) address: SocketAddr,
    /// Where it speaks RESP, with `--resp-port`, from its
    /// `listening on redis://…` line.
    pub(crate) resp_address: Option<SocketAddr>,
    /// That line.
    pub(crate) banner: String,
    stderr: PathBuf,
}

impl Server {
    /// Starts `command` (stdout and stderr are taken over), reads the
    /// `listening on http://…` line (and a `listening on redis://…` one
    /// before it), then waits until `/health` answers.
    /// `stderr_file` keeps the server's log for failure messages.
    pub(crate) fn start(mut command: Command, stderr_file: &Path) -> Result<Server> {
        let log = File::create(stderr_file).context("create the server log")?;
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .context("start kvstore")?;
        let stdout = child.stdout.take().context("no stdout")?;
        // Read the start-up lines on a thread, so a server that neither
        // prints nor exits fails the test instead of hanging it. The thread
        // goes on reading to the end, so that a line printed later (`metrics
        // on …`) never meets a closed pipe.
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let stop = line.is_err();
                let _ = tx.send(line);
                if stop {
                    break;
                }
            }
        });
        // With `--resp-port` the `listening on redis://…` line comes first.
        let mut resp_address = None;
        let deadline = Instant::now() + PATIENCE;
        let banner = loop {
            let wait = deadline.saturating_duration_since(Instant::now());
            match rx.recv_timeout(wait) {
                Ok(Ok(line)) if line.starts_with("listening on redis://") => {
                    resp_address = line["listening on redis://".len()..]
                        .trim_end()
                        .parse()
                        .ok();
                }
                Ok(Ok(line)) => break line.trim_end().to_owned(),
                outcome => {
                    let _ = child.kill();
                    let _ = child.wait();
                    bail!(
                        "no start-up line ({outcome:?}); server log:\n{}",
                        std::fs::read_to_string(stderr_file).unwrap_or_default()
                    );
                }
            }
        };
        let address = banner
            .strip_prefix("listening on http://")
            .and_then(|a| a.parse().ok())
            .ok_or_else(|| {
                anyhow!(
                    "unexpected start-up line {banner:?}; server log:\n{}",
                    std::fs::read_to_string(stderr_file).unwrap_or_default()
                )
            })?;
        let server = Server {
            child,
            address,
            resp_address,
            banner,
            stderr: stderr_file.to_owned(),
        };
        server.wait_healthy()?;
        Ok(server)
    }

    /// Polls `/health` until it answers 200.
    fn wait_healthy(&self) -> Result<()> {
        let deadline = Instant::now() + PATIENCE;
        loop {
            match self.request("GET", "/health", &[], b"") {
                Ok(reply) if reply.status == 200 => return Ok(()),
                outcome if Instant::now() > deadline => {
                    bail!("/health never answered 200: {outcome:?}\n{}", self.log())
                }
                _ => std::thread::yield_now(),
            }
        }
    }

    /// One request on a new connection.
    pub(crate) fn request(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> std::io::Result<Reply> {
        request(self.address, method, path, headers, body)
    }

    /// The server's stderr so far.
    pub(crate) fn log(&self) -> String {
        std::fs::read_to_string(&self.stderr).unwrap_or_default()
    }

    /// The process id, for signals.
    pub(crate) fn pid(&self) -> u32 {
        self.child.id()
    }

    /// SIGKILL (what `Child::kill` sends on Unix), then reap.
    pub(crate) fn kill9(mut self) -> Result<ExitStatus> {
        self.child.kill().context("kill -9")?;
        Ok(self.child.wait()?)
    }

    /// SIGTERM through `kill(1)` (the workspace forbids the `unsafe` a
    /// direct `libc::kill` needs), then waits for the exit.
    pub(crate) fn terminate(mut self) -> Result<ExitStatus> {
        let sent = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .context("run kill -TERM")?;
        ensure!(sent.success(), "kill -TERM failed: {sent}");
        let deadline = Instant::now() + PATIENCE;
        loop {
            if let Some(status) = self.child.try_wait()? {
                return Ok(status);
            }
            ensure!(
                Instant::now() < deadline,
                "no exit after SIGTERM\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        // A test that failed half-way must not leave a server behind.
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// A whole answer.
#[derive(Debug, Clone)]
pub(crate) struct Reply {
    pub(crate) status: u16,
    /// The header block as sent, lower-cased names included as they came.
    pub(crate) head: String,
    pub(crate) body: Vec<u8>,
}

impl Reply {
    /// The value of header `name` (case-insensitive), if present.
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.head.lines().skip(1).find_map(|line| {
            let (n, v) = line.split_once(':')?;
            n.trim().eq_ignore_ascii_case(name).then(|| v.trim())
        })
    }

    pub(crate) fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// Sends one HTTP/1.1 request with `Connection: close` and reads the whole
/// answer. Any I/O failure — refused, reset, cut short — is an error: the
/// request was not acknowledged.
pub(crate) fn request(
    address: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> std::io::Result<Reply> {
    let mut stream = TcpStream::connect_timeout(&address, PATIENCE)?;
    stream.set_read_timeout(Some(PATIENCE))?;
    stream.set_write_timeout(Some(PATIENCE))?;
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nhost: {address}\r\nconnection: close\r\ncontent-length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    let mut message = head.into_bytes();
    message.extend_from_slice(body);
    stream.write_all(&message)?;
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer)?;
    parse(&answer, method == "HEAD").ok_or_else(|| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("not an HTTP answer: {:?}", String::from_utf8_lossy(&answer)),
        )
    })
}

/// The body of a chunked answer, or `None` when it does not end with the
/// last (empty) chunk.
fn dechunk(mut chunked: &[u8]) -> Option<Vec<u8>> {
    let mut body = Vec::new();
    loop {
        let line_end = chunked.windows(2).position(|w| w == b"\r\n")?;
        let size_text = std::str::from_utf8(&chunked[..line_end]).ok()?;
        let size = usize::from_str_radix(size_text.split(';').next()?.trim(), 16).ok()?;
        chunked = &chunked[line_end + 2..];
        if size == 0 {
            return Some(body);
        }
        body.extend_from_slice(chunked.get(..size)?);
        chunked = chunked.get(size + 2..)?;
    }
}

fn parse(answer: &[u8], head_request: bool) -> Option<Reply> {
    let split = answer.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = std::str::from_utf8(&answer[..split]).ok()?.to_owned();
    let status = head.split(' ').nth(1)?.parse().ok()?;
    let mut reply = Reply {
        status,
        head,
        body: answer[split + 4..].to_vec(),
    };
    // A streamed body (`GET /backup`) comes in chunks; one cut short is no
    // answer.
    if reply
        .header("transfer-encoding")
        .is_some_and(|coding| coding.eq_ignore_ascii_case("chunked"))
    {
        reply.body = dechunk(&reply.body)?;
        return Some(reply);
    }
    // With `Connection: close` the server ends the body by closing; a
    // declared length that was not met means the answer was cut short.
    // (HEAD, 204 and 304 answers declare a length without sending a body.)
    let bodiless = head_request || matches!(reply.status, 204 | 304);
    match reply.header("content-length").map(str::parse::<usize>) {
        Some(Ok(len)) if !bodiless && len != reply.body.len() => None,
        _ => Some(reply),
    }
}
