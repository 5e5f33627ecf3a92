//! A budget for bytes in flight: with `--max-inflight-bytes 8MiB`, two
//! dozen concurrent 4 MiB uploads that arrive slowly are not all buffered
//! at once. Those the budget has room for are stored and read back intact;
//! the others, after waiting their second, get `503` with `Retry-After` —
//! whether they sent their body (it is read and thrown away, so the answer
//! is not lost to a reset) or waited for `100 Continue` (they are answered
//! without sending it). Meanwhile the server's peak resident memory stays
//! within the budget plus a margin over what it used idle, where buffering
//! every upload would take 96 MiB.

mod common;
mod server_support;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use anyhow::{Context, Result, bail, ensure};
use server_support::{PATIENCE, Server, server_command};

const UPLOADS: usize = 24;
const BODY: usize = 4 << 20;
const BUDGET: u64 = 8 << 20;
/// The body goes in this many pieces, a pause between each, so an upload
/// the budget let in holds its room for longer than the others wait.
const PIECES: usize = 4;
const PAUSE: Duration = Duration::from_millis(400);
/// What the server may use beyond its idle footprint and the budget:
/// hyper's read buffers, the engine's copy of values being written,
/// allocator slack. Far below the 96 MiB all the uploads together hold.
const MARGIN: u64 = 64 << 20;

/// Upload `i`'s body: different for every upload, so a mix-up shows.
fn body(i: usize) -> Vec<u8> {
    (0..BODY).map(|j| ((j * 31 + i * 7) % 251) as u8).collect()
}

/// A memory figure of the process, in bytes, from `/proc/PID/status`.
fn proc_status_bytes(pid: u32, field: &str) -> Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let line = status
        .lines()
        .find(|line| line.starts_with(field))
        .with_context(|| format!("no {field} in /proc/{pid}/status"))?;
    let kib: u64 = line
        .split_whitespace()
        .nth(1)
        .context("no number")?
        .parse()?;
    Ok(kib * 1024)
}

#[derive(Debug)]
struct Answer {
    status: u16,
    head: String,
    body: String,
    /// Whether the upload's body was sent before the answer came.
    sent_body: bool,
}

/// `PUT /blobs/big-{i}` with a `Content-Length`, the body in [`PIECES`]
/// pieces; with `expect_continue`, the body only after `100 Continue`.
fn upload(address: SocketAddr, i: usize, expect_continue: bool) -> Result<Answer> {
    let mut stream = TcpStream::connect_timeout(&address, PATIENCE)?;
    stream.set_read_timeout(Some(PATIENCE))?;
    stream.set_write_timeout(Some(PATIENCE))?;
    let expect = if expect_continue {
        "expect: 100-continue\r\n"
    } else {
        ""
    };
    write!(
        stream,
        "PUT /blobs/big-{i} HTTP/1.1\r\nhost: {address}\r\nconnection: close\r\n\
         content-length: {BODY}\r\n{expect}\r\n"
    )?;
    let mut answer = Vec::new();
    if expect_continue {
        let head = read_head(&mut stream, &mut answer)?;
        if !head.starts_with("HTTP/1.1 100") {
            // Answered without the body: that is the whole answer.
            stream.read_to_end(&mut answer)?;
            return parse(&answer, false);
        }
        answer.clear();
    }
    let data = body(i);
    for (n, piece) in data.chunks(BODY / PIECES).enumerate() {
        if n > 0 {
            std::thread::sleep(PAUSE);
        }
        stream.write_all(piece)?;
    }
    stream.read_to_end(&mut answer)?;
    parse(&answer, true)
}

/// Reads until a whole response head is in `into`; returns it.
fn read_head(stream: &mut TcpStream, into: &mut Vec<u8>) -> Result<String> {
    let mut buf = [0u8; 4096];
    loop {
        if let Some(end) = into.windows(4).position(|w| w == b"\r\n\r\n") {
            return Ok(String::from_utf8_lossy(&into[..end]).into_owned());
        }
        let n = stream.read(&mut buf)?;
        ensure!(n > 0, "closed before a response head");
        into.extend_from_slice(&buf[..n]);
    }
}

fn parse(answer: &[u8], sent_body: bool) -> Result<Answer> {
    let end = answer
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .with_context(|| format!("not an answer: {:?}", String::from_utf8_lossy(answer)))?;
    let head = String::from_utf8_lossy(&answer[..end]).into_owned();
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .context("no status")?;
    Ok(Answer {
        status,
        head,
        body: String::from_utf8_lossy(&answer[end + 4..]).into_owned(),
        sent_body,
    })
}

/// `GET /blobs/big-{i}`'s body, whole.
fn read_back(address: SocketAddr, i: usize) -> Result<Vec<u8>> {
    let mut stream = TcpStream::connect_timeout(&address, PATIENCE)?;
    stream.set_read_timeout(Some(PATIENCE))?;
    write!(
        stream,
        "GET /blobs/big-{i} HTTP/1.1\r\nhost: {address}\r\nconnection: close\r\n\r\n"
    )?;
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer)?;
    let end = answer
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .context("no head")?;
    ensure!(
        answer.starts_with(b"HTTP/1.1 200"),
        "{:?}",
        String::from_utf8_lossy(&answer[..end])
    );
    Ok(answer[end + 4..].to_vec())
}

#[test]
fn concurrent_uploads_past_the_budget_get_503_and_memory_stays_bounded() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let mut command = server_command(&dir.path().join("data"), "budget");
    command.args(["--max-inflight-bytes", "8MiB"]);
    let server = Server::start(command, &dir.path().join("stderr"))?;
    let address = server.address;

    // Idle, after one small write and read have warmed everything up.
    ensure!(server.request("PUT", "/blobs/warm", &[], b"up")?.status == 201);
    ensure!(server.request("GET", "/blobs/warm", &[], b"")?.status == 200);
    let idle = proc_status_bytes(server.pid(), "VmRSS:")?;

    let answers: Vec<Result<Answer>> = std::thread::scope(|scope| {
        let uploads: Vec<_> = (0..UPLOADS)
            .map(|i| scope.spawn(move || upload(address, i, i % 3 == 2)))
            .collect();
        uploads
            .into_iter()
            .map(|u| {
                u.join()
                    .unwrap_or_else(|_| bail!("an upload thread panicked"))
            })
            .collect()
    });
    let peak = proc_status_bytes(server.pid(), "VmHWM:")?;

    let mut stored = Vec::new();
    let mut refused = 0;
    let mut refused_unsent = 0;
    for (i, answer) in answers.into_iter().enumerate() {
        let answer = answer.with_context(|| format!("upload {i}\n{}", server.log()))?;
        match answer.status {
            201 => stored.push(i),
            503 => {
                refused += 1;
                refused_unsent += usize::from(!answer.sent_body);
                ensure!(
                    answer
                        .head
                        .to_ascii_lowercase()
                        .contains("\r\nretry-after: 1"),
                    "{answer:?}"
                );
                ensure!(
                    answer.body
                        == r#"{"error":"the server is already reading 8388608 bytes of requests, the most it buffers at once; try again shortly"}"#,
                    "{answer:?}"
                );
            }
            _ => bail!("upload {i}: {answer:?}\n{}", server.log()),
        }
    }
    ensure!(
        !stored.is_empty() && refused > 0,
        "{} stored, {refused} refused: the budget never filled, or let nothing in",
        stored.len()
    );
    // Both kinds of refusal happened: after the body was sent (and thrown
    // away), and before, to a client waiting for `100 Continue`.
    ensure!(
        refused_unsent > 0 && refused_unsent < refused,
        "{refused_unsent} of {refused} refusals came before the body"
    );
    for &i in &stored {
        ensure!(
            read_back(address, i)? == body(i),
            "upload {i} does not read back as sent"
        );
    }
    ensure!(
        peak <= idle + BUDGET + MARGIN,
        "peak resident memory {} MiB over an idle {} MiB, more than the budget's 8 MiB and a {} MiB margin",
        (peak - idle.min(peak)) >> 20,
        idle >> 20,
        MARGIN >> 20
    );

    // The budget is all given back: an upload now is let in at once.
    let after = server.request("PUT", "/blobs/after", &[], &body(99))?;
    ensure!(after.status == 201, "{after:?}");
    Ok(())
}
