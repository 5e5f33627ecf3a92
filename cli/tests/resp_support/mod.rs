//! The real `kvstore` serving the Redis protocol as a child process, the
//! real Redis tools pointed at it, and a tiny blocking RESP2 client over
//! `std::net`, for the tests that check the protocol with tools nobody
//! here wrote (`redis-cli`, `redis-benchmark`, twemproxy).
//!
//! The client is hand-rolled for the reason `server_support`'s HTTP client
//! is: a test of acknowledged writes must know exactly which reply arrived
//! before the connection broke, with no pool, retry or async runtime in
//! between. It speaks RESP2 only (it never sends `HELLO 3`).
//!
//! Each test file is its own crate and uses only some of these, hence the
//! `dead_code` allowance. Test files using it declare `mod common;` too.
#![allow(dead_code)]

use crate::common::env;

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail, ensure};

/// How long start-up or one reply may take before a test gives up:
/// generous, since a debug build on a busy machine is slow, and only
/// reached when something is wrong.
pub(crate) const PATIENCE: Duration = Duration::from_secs(20);

/// What to tell whoever runs a test without the tools it drives.
pub(crate) const RUN_SETUP: &str = "run `cargo xtask setup`, which installs redis-cli and \
     redis-benchmark (Debian: redis-tools) and twemproxy (Debian: nutcracker)";

/// `kvstore --volume DIR --id ID --resp-port 0 --no-http`: the Redis
/// protocol alone, on a free loopback port, with every environment
/// variable `kvstore` reads removed. The store opens with the engine's
/// default `SyncPolicy::Always` (there is no flag to loosen it), so a
/// reply to a write means the write is on disk.
pub(crate) fn resp_command(volume: &Path, id: &str) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_kvstore"));
    for var in env::KVSTORE_ENV {
        cmd.env_remove(var);
    }
    cmd.arg("--volume")
        .arg(volume)
        .args(["--id", id, "--resp-port", "0", "--no-http"]);
    cmd
}

/// A running `kvstore` serving RESP, killed (SIGKILL) when dropped.
pub(crate) struct RespServer {
    child: Child,
    /// Where it listens, from its `listening on redis://…` line.
    pub(crate) address: SocketAddr,
    log: PathBuf,
}

impl RespServer {
    /// [`resp_command`] on `volume`, its stderr kept in `log`.
    pub(crate) fn start(volume: &Path, log: &Path) -> Result<RespServer> {
        RespServer::start_command(resp_command(volume, "resp"), log)
    }

    /// Starts `command` (stdout and stderr are taken over) and reads the
    /// `listening on redis://…` line; the listener is bound by then.
    pub(crate) fn start_command(mut command: Command, log: &Path) -> Result<RespServer> {
        let stderr = File::create(log).context("create the server log")?;
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .context("start kvstore")?;
        let stdout = child.stdout.take().context("no stdout")?;
        // Read the line on a thread, so a server that neither prints nor
        // exits fails the test instead of hanging it.
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let read = BufReader::new(stdout).read_line(&mut line).map(|_| line);
            let _ = tx.send(read);
        });
        let banner = match rx.recv_timeout(PATIENCE) {
            Ok(Ok(line)) => line.trim_end().to_owned(),
            outcome => {
                let _ = child.kill();
                let _ = child.wait();
                bail!(
                    "no start-up line ({outcome:?}); server log:\n{}",
                    std::fs::read_to_string(log).unwrap_or_default()
                );
            }
        };
        let Some(address) = banner
            .strip_prefix("listening on redis://")
            .and_then(|a| a.parse().ok())
        else {
            let _ = child.kill();
            let _ = child.wait();
            bail!(
                "unexpected start-up line {banner:?}; server log:\n{}",
                std::fs::read_to_string(log).unwrap_or_default()
            );
        };
        Ok(RespServer {
            child,
            address,
            log: log.to_owned(),
        })
    }

    pub(crate) fn port(&self) -> u16 {
        self.address.port()
    }

    /// The server's stderr so far.
    pub(crate) fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// A new connection.
    pub(crate) fn connect(&self) -> Result<Connection> {
        Connection::open(self.address)
    }

    /// `redis-cli -h … -p … ARGS`, which must succeed; its stdout.
    pub(crate) fn cli(&self, args: &[&str]) -> Result<String> {
        cli_output(redis_cli(self.address).args(args))
    }

    /// SIGKILL (what `Child::kill` sends on Unix), then reap.
    pub(crate) fn kill9(mut self) -> Result<ExitStatus> {
        self.child.kill().context("kill -9")?;
        Ok(self.child.wait()?)
    }
}

impl Drop for RespServer {
    fn drop(&mut self) {
        // A test that failed half-way must not leave a server behind.
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// `redis-cli -h IP -p PORT`, arguments to follow.
pub(crate) fn redis_cli(address: SocketAddr) -> Command {
    let mut cmd = Command::new("redis-cli");
    cmd.args([
        "-h",
        &address.ip().to_string(),
        "-p",
        &address.port().to_string(),
    ]);
    cmd
}

/// How long one run of a Redis tool may take: a `--scan` of 100,000 keys
/// is 10,000 calls to a debug build on a busy machine. Only reached when
/// something hangs; then the tool is killed and the test fails.
pub(crate) const TOOL_PATIENCE: Duration = Duration::from_secs(180);

/// Runs a Redis tool with `input` on its stdin (none: `/dev/null`), killed
/// if it takes longer than [`TOOL_PATIENCE`]; what it printed and how it
/// ended. A tool that is not installed says to run the setup.
pub(crate) fn run_tool(command: &mut Command, input: Option<Vec<u8>>) -> Result<Output> {
    let shown = format!("{command:?}");
    let mut child = command
        .stdin(if input.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("cannot run {shown}: is it installed? {RUN_SETUP}"))?;
    // Fed and drained from threads: the tool reads its input while it
    // prints, and a pipe's buffer is far smaller than either.
    let writer = match (input, child.stdin.take()) {
        (Some(bytes), Some(mut stdin)) => Some(std::thread::spawn(move || stdin.write_all(&bytes))),
        _ => None,
    };
    let drain = |pipe: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            if let Some(mut pipe) = pipe {
                let _ = pipe.read_to_end(&mut bytes);
            }
            bytes
        })
    };
    let stdout = drain(
        child
            .stdout
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let stderr = drain(
        child
            .stderr
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let deadline = Instant::now() + TOOL_PATIENCE;
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            bail!("{shown} did not finish within {TOOL_PATIENCE:?}");
        }
        std::thread::sleep(Duration::from_millis(2));
    };
    let output = Output {
        status,
        stdout: stdout.join().map_err(|_| anyhow!("a reader panicked"))?,
        stderr: stderr.join().map_err(|_| anyhow!("a reader panicked"))?,
    };
    if let Some(writer) = writer {
        let written = writer.join().map_err(|_| anyhow!("the writer panicked"))?;
        // A tool that failed early breaks the pipe; its own output says why.
        if output.status.success() {
            written.with_context(|| format!("feeding {shown}"))?;
        }
    }
    Ok(output)
}

/// Runs a tool that must succeed; its stdout.
fn successful(command: &mut Command, input: Option<Vec<u8>>) -> Result<String> {
    let shown = format!("{command:?}");
    let output = run_tool(command, input)?;
    ensure!(
        output.status.success(),
        "{shown} failed ({}): {}{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    Ok(String::from_utf8(output.stdout)?)
}

/// Runs a `redis-cli` command that must succeed; its stdout.
pub(crate) fn cli_output(command: &mut Command) -> Result<String> {
    successful(command, None)
}

/// `redis-cli … --pipe` fed `input` (raw RESP); its report, checked to
/// say no errors and `replies` replies.
pub(crate) fn cli_pipe(address: SocketAddr, input: &[u8], replies: usize) -> Result<String> {
    let report = successful(redis_cli(address).arg("--pipe"), Some(input.to_vec()))?;
    ensure!(
        report.contains(&format!("errors: 0, replies: {replies}")),
        "{report}"
    );
    Ok(report)
}

/// `redis-cli -h … -p …` reading commands from stdin, one a line (split
/// as its prompt splits them, `"…"` quoting included); its stdout, one
/// reply per command.
pub(crate) fn cli_stdin(address: SocketAddr, commands: &str) -> Result<String> {
    successful(&mut redis_cli(address), Some(commands.as_bytes().to_vec()))
}

/// A free loopback port for a program that takes a port number rather
/// than binding port 0 itself (nutcracker). Another process could take it
/// before the program binds it; the program then fails to start and says
/// so in its log, which the test shows.
pub(crate) fn free_port() -> Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// One command in RESP's request form: an array of bulk strings.
pub(crate) fn encode(args: &[&[u8]], out: &mut Vec<u8>) {
    out.extend_from_slice(format!("*{}\r\n", args.len()).as_bytes());
    for arg in args {
        out.extend_from_slice(format!("${}\r\n", arg.len()).as_bytes());
        out.extend_from_slice(arg);
        out.extend_from_slice(b"\r\n");
    }
}

/// A RESP2 reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Value {
    Simple(String),
    Error(String),
    Integer(i64),
    /// `None` is the nil bulk string.
    Bulk(Option<Vec<u8>>),
    /// `None` is the nil array.
    Array(Option<Vec<Value>>),
}

impl Value {
    /// The bytes of a bulk reply, `None` for nil; anything else is an error.
    pub(crate) fn into_bulk(self) -> Result<Option<Vec<u8>>> {
        match self {
            Value::Bulk(bytes) => Ok(bytes),
            other => bail!("expected a bulk string, got {other:?}"),
        }
    }

    /// The elements of an array reply; anything else is an error.
    pub(crate) fn into_array(self) -> Result<Vec<Value>> {
        match self {
            Value::Array(Some(items)) => Ok(items),
            other => bail!("expected an array, got {other:?}"),
        }
    }
}

/// A blocking connection: send commands (several at once make a
/// pipeline), then read their replies one by one, in order.
pub(crate) struct Connection {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
}

impl Connection {
    pub(crate) fn open(address: SocketAddr) -> Result<Connection> {
        let stream = TcpStream::connect_timeout(&address, PATIENCE)
            .with_context(|| format!("connect to {address}"))?;
        stream.set_read_timeout(Some(PATIENCE))?;
        stream.set_write_timeout(Some(PATIENCE))?;
        stream.set_nodelay(true)?;
        Ok(Connection {
            reader: BufReader::new(stream.try_clone()?),
            writer: stream,
        })
    }

    /// Sends already encoded commands in one write.
    pub(crate) fn send(&mut self, encoded: &[u8]) -> io::Result<()> {
        self.writer.write_all(encoded)
    }

    /// Reads one whole reply. Any I/O failure — reset, closed, cut short,
    /// timed out — is an error: that reply did not arrive.
    pub(crate) fn read(&mut self) -> io::Result<Value> {
        let line = self.line()?;
        let (kind, rest) = line
            .split_at_checked(1)
            .ok_or_else(|| invalid("an empty line"))?;
        let number = || -> io::Result<i64> { rest.parse().map_err(|_| invalid(&line)) };
        Ok(match kind {
            "+" => Value::Simple(rest.to_owned()),
            "-" => Value::Error(rest.to_owned()),
            ":" => Value::Integer(number()?),
            "$" => match number()? {
                -1 => Value::Bulk(None),
                len => {
                    let len = usize::try_from(len).map_err(|_| invalid(&line))?;
                    let mut bytes = vec![0; len + 2];
                    self.reader.read_exact(&mut bytes)?;
                    if !bytes.ends_with(b"\r\n") {
                        return Err(invalid("a bulk string without its CRLF"));
                    }
                    bytes.truncate(len);
                    Value::Bulk(Some(bytes))
                }
            },
            "*" => match number()? {
                -1 => Value::Array(None),
                len => {
                    let len = usize::try_from(len).map_err(|_| invalid(&line))?;
                    let items = (0..len).map(|_| self.read()).collect::<io::Result<_>>()?;
                    Value::Array(Some(items))
                }
            },
            _ => return Err(invalid(&line)),
        })
    }

    /// One command, then its reply.
    pub(crate) fn call(&mut self, args: &[&[u8]]) -> Result<Value> {
        let mut encoded = Vec::new();
        encode(args, &mut encoded);
        self.send(&encoded)?;
        Ok(self.read()?)
    }

    /// A line without its CRLF.
    fn line(&mut self) -> io::Result<String> {
        let mut line = Vec::new();
        self.reader.read_until(b'\n', &mut line)?;
        if !line.ends_with(b"\r\n") {
            // EOF (or a bare LF) in the middle of a reply.
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!("connection ended in a reply: {line:?}"),
            ));
        }
        line.truncate(line.len() - 2);
        String::from_utf8(line).map_err(|_| invalid("a reply line that is not UTF-8"))
    }
}

fn invalid(what: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!("not a RESP reply: {what:?}"),
    )
}
