//! Slow clients are bounded: hundreds of connections that send half a
//! request head and stall, send nothing at all, or trickle a head a byte at
//! a time are each closed by the real server once `--header-timeout` has
//! passed — not before, and not much after — while a client that sends
//! whole requests is served in the meantime.

mod common;
mod server_support;

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};
use server_support::{PATIENCE, Server, server_command};

/// Stalled connections opened, a third of each kind.
const STALLED: usize = 300;
/// The server's `--header-timeout`, in seconds.
const HEADER_TIMEOUT: u64 = 1;
/// How late after its deadline a connection may be closed: a debug build
/// on a busy machine is slow to run its timers, but a connection held
/// indefinitely is far past this.
const SLACK: Duration = Duration::from_secs(5);

#[derive(Debug, Clone, Copy)]
enum Stall {
    /// The request line and one header, never the blank line ending them.
    HalfHead,
    /// Connects and sends nothing.
    Silent,
    /// One byte of a head every [`TRICKLE_EVERY`]: the timeout is a
    /// deadline for the whole head, not for each byte.
    Trickle,
}

const TRICKLE_EVERY: Duration = Duration::from_millis(100);
const TRICKLED_HEAD: &[u8] = b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Padding: aaaaaaaaaaaa";

struct Stalled {
    stream: TcpStream,
    kind: Stall,
    opened: Instant,
    closed: Option<Instant>,
}

impl Stalled {
    fn open(server: &Server, kind: Stall) -> Result<Stalled> {
        let mut stream = TcpStream::connect_timeout(&server.address, PATIENCE)?;
        let opened = Instant::now();
        match kind {
            Stall::HalfHead => stream.write_all(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n")?,
            Stall::Silent => {}
            Stall::Trickle => stream.write_all(&TRICKLED_HEAD[..1])?,
        }
        stream.set_nonblocking(true)?;
        Ok(Stalled {
            stream,
            kind,
            opened,
            closed: None,
        })
    }

    /// Whether the server has closed the connection: end of stream or a
    /// reset. Anything it sent instead is an error — a stalled head gets no
    /// answer.
    fn check_closed(&mut self) -> Result<bool> {
        if self.closed.is_some() {
            return Ok(true);
        }
        let mut buf = [0u8; 256];
        match self.stream.read(&mut buf) {
            Ok(0) => {}
            Ok(n) => bail!(
                "a {:?} connection was answered: {:?}",
                self.kind,
                String::from_utf8_lossy(&buf[..n])
            ),
            Err(e) if e.kind() == ErrorKind::WouldBlock => return Ok(false),
            Err(e) if e.kind() == ErrorKind::ConnectionReset => {}
            Err(e) => return Err(e).context("reading a stalled connection"),
        }
        self.closed = Some(Instant::now());
        Ok(true)
    }
}

/// Sends each stream that comes through `streams` the next byte of
/// [`TRICKLED_HEAD`] every [`TRICKLE_EVERY`] from when it opened, until a
/// write fails (the server closed it) or the head is all sent; returns how
/// many bytes each got out, in the order they came. The streams are
/// non-blocking (a clone shares that with the original, which is polled),
/// but a one-byte write to a socket with room in its buffer never waits.
fn trickle(streams: mpsc::Receiver<(TcpStream, Instant)>) -> Vec<usize> {
    let mut trickling: Vec<(TcpStream, Instant, usize, bool)> = Vec::new();
    let mut open = true;
    while open || trickling.iter().any(|t| t.3) {
        loop {
            match streams.try_recv() {
                Ok((stream, opened)) => trickling.push((stream, opened, 1, true)),
                Err(mpsc::TryRecvError::Empty) => break,
                Err(mpsc::TryRecvError::Disconnected) => {
                    open = false;
                    break;
                }
            }
        }
        for (stream, opened, sent, live) in &mut trickling {
            let due = *opened + TRICKLE_EVERY * u32::try_from(*sent).unwrap_or(u32::MAX);
            if !*live || Instant::now() < due {
                continue;
            }
            if *sent == TRICKLED_HEAD.len() {
                *live = false;
                continue;
            }
            match stream.write(&TRICKLED_HEAD[*sent..=*sent]) {
                Ok(n) => *sent += n,
                Err(e) if e.kind() == ErrorKind::WouldBlock => {}
                Err(_) => *live = false,
            }
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    trickling.into_iter().map(|t| t.2).collect()
}

#[test]
fn stalled_connections_are_closed_once_the_header_timeout_passes() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let mut command = server_command(&dir.path().join("data"), "slow");
    command.args(["--header-timeout", &HEADER_TIMEOUT.to_string()]);
    let server = Server::start(command, &dir.path().join("stderr"))?;
    let timeout = Duration::from_secs(HEADER_TIMEOUT);

    // The trickling goes on beside everything else, on clones, each
    // connection from the moment it opened.
    let (tricklers, streams) = mpsc::channel();
    let trickling = std::thread::spawn(move || trickle(streams));
    let kinds = [Stall::HalfHead, Stall::Silent, Stall::Trickle];
    let mut stalled = Vec::with_capacity(STALLED);
    for i in 0..STALLED {
        let connection = Stalled::open(&server, kinds[i % kinds.len()])?;
        if matches!(connection.kind, Stall::Trickle) {
            tricklers.send((connection.stream.try_clone()?, connection.opened))?;
        }
        stalled.push(connection);
    }
    drop(tricklers);

    // A client sending whole requests, each on a new connection, is served
    // while stalled connections are held; then every stalled connection
    // closes, each about a timeout after it opened.
    let put = server.request("PUT", "/blobs/meanwhile", &[], b"served")?;
    ensure!(put.status == 201, "{put:?}\n{}", server.log());
    let mut served_meanwhile = 0;
    let deadline = Instant::now() + timeout + SLACK;
    loop {
        let get = server.request("GET", "/blobs/meanwhile", &[], b"")?;
        ensure!(get.status == 200 && get.text() == "served", "{get:?}");
        let mut open = 0;
        for connection in &mut stalled {
            if !connection.check_closed()? {
                open += 1;
            }
        }
        if open == 0 {
            break;
        }
        served_meanwhile += 1;
        ensure!(
            Instant::now() < deadline,
            "{open} of {STALLED} stalled connections still open {SLACK:?} after the header timeout"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    ensure!(
        served_meanwhile > 0,
        "every stalled connection was closed before a whole request was answered"
    );
    for connection in &stalled {
        let held = connection.closed.unwrap_or_else(Instant::now) - connection.opened;
        ensure!(
            held >= timeout.mul_f64(0.9) && held <= timeout + SLACK,
            "a {:?} connection was held {held:?} with a header timeout of {timeout:?}",
            connection.kind
        );
    }
    let sent = trickling
        .join()
        .map_err(|_| anyhow::anyhow!("the trickling thread panicked"))?;
    let least = sent.iter().copied().min().unwrap_or(0);
    ensure!(
        least >= 4,
        "a trickling connection sent only {least} bytes before being closed"
    );

    // And the server goes on serving.
    let after = server.request("GET", "/blobs/meanwhile", &[], b"")?;
    ensure!(after.status == 200, "{after:?}");
    Ok(())
}
