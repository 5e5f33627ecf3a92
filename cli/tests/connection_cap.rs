//! One connection cap (`--max-connections`) covers the HTTP API and the
//! Redis protocol together: with the cap held by stalled HTTP connections
//! and idle RESP ones, one more HTTP client gets `503` with `Retry-After`
//! and `Connection: close`, one more RESP client `-ERR max number of
//! clients reached`; a slot freed on either side is taken up by the other.

mod common;
mod server_support;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, ensure};
use server_support::{PATIENCE, Server, request, server_command};

const CAP: usize = 40;
/// Of the cap: HTTP connections stalled half way through a request head
/// (the header timeout is left long enough not to end them during the
/// test), the rest idle RESP connections.
const STALLED_HTTP: usize = 25;
const IDLE_RESP: usize = CAP - STALLED_HTTP;

/// Sends `PING` on a new RESP connection and returns it with the first
/// reply line.
fn resp_ping(address: SocketAddr) -> Result<(TcpStream, String)> {
    let mut stream = TcpStream::connect_timeout(&address, PATIENCE)?;
    stream.set_read_timeout(Some(PATIENCE))?;
    stream.write_all(b"PING\r\n")?;
    let mut line = Vec::new();
    let mut byte = [0u8; 1];
    while !line.ends_with(b"\r\n") {
        if stream.read(&mut byte).context("reading a RESP reply")? == 0 {
            break;
        }
        line.push(byte[0]);
    }
    Ok((stream, String::from_utf8_lossy(&line).into_owned()))
}

/// Retries `attempt` until it says yes, every 20 ms, for at most
/// [`PATIENCE`]: a closed connection frees its slot once the server has
/// read the close, not at once.
fn eventually(what: &str, mut attempt: impl FnMut() -> Result<bool>) -> Result<()> {
    let deadline = Instant::now() + PATIENCE;
    while !attempt()? {
        ensure!(Instant::now() < deadline, "never: {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
    Ok(())
}

#[test]
fn one_cap_covers_http_and_resp_and_refuses_past_it() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let mut command = server_command(&dir.path().join("data"), "cap");
    command.args([
        "--resp-port",
        "0",
        "--max-connections",
        &CAP.to_string(),
        "--header-timeout",
        "60",
    ]);
    let server = Server::start(command, &dir.path().join("stderr"))?;
    let resp = server.resp_address.context("no RESP address")?;

    let mut idle_resp = Vec::new();
    for _ in 0..IDLE_RESP {
        let (stream, reply) = resp_ping(resp)?;
        ensure!(reply == "+PONG\r\n", "{reply:?}");
        idle_resp.push(stream);
    }
    let mut stalled_http = Vec::new();
    for _ in 0..STALLED_HTTP {
        let mut stream = TcpStream::connect_timeout(&server.address, PATIENCE)?;
        stream.write_all(b"PUT /blobs/stalled HTTP/1.1\r\nHost: 127.0.0.1\r\n")?;
        stalled_http.push(stream);
    }

    // The server accepts an HTTP listener's connections in order, so this
    // one comes after every stalled one: past the cap.
    let refused = server.request("GET", "/health", &[], b"")?;
    ensure!(refused.status == 503, "{refused:?}\n{}", server.log());
    ensure!(refused.header("retry-after") == Some("1"), "{refused:?}");
    ensure!(
        refused
            .header("connection")
            .is_some_and(|c| c.eq_ignore_ascii_case("close")),
        "{refused:?}"
    );
    ensure!(
        refused.text()
            == format!(
                r#"{{"error":"the server holds {CAP} connections already, the most it takes; try again shortly"}}"#
            ),
        "{}",
        refused.text()
    );
    let (mut closed, reply) = resp_ping(resp)?;
    ensure!(
        reply == "-ERR max number of clients reached\r\n",
        "{reply:?}"
    );
    // Closed after the error: the end of the stream, or a reset, since the
    // server closes without reading the PING.
    match closed.read(&mut [0u8; 16]) {
        Ok(0) => {}
        Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => {}
        other => anyhow::bail!("a refused RESP client was kept: {other:?}"),
    }

    // A slot freed by an HTTP connection goes to a RESP client, after which
    // the cap is full again…
    drop(stalled_http.pop());
    eventually("a RESP client is let in", || {
        let (stream, reply) = resp_ping(resp)?;
        if reply == "+PONG\r\n" {
            idle_resp.push(stream);
            return Ok(true);
        }
        ensure!(
            reply == "-ERR max number of clients reached\r\n",
            "{reply:?}"
        );
        Ok(false)
    })?;
    let refused = server.request("GET", "/health", &[], b"")?;
    ensure!(refused.status == 503, "{refused:?}");
    // … and one freed by a RESP client to an HTTP client, who is served
    // (refused only until the server has seen the RESP client go).
    drop(idle_resp.pop());
    eventually("an HTTP client is served", || {
        let answer = request(server.address, "GET", "/health", &[], b"")?;
        ensure!(
            matches!(answer.status, 200 | 503),
            "{answer:?}\n{}",
            server.log()
        );
        Ok(answer.status == 200)
    })?;

    // Stalled and idle connections are still held: nothing was shed to
    // make room.
    for stream in &mut idle_resp {
        stream.write_all(b"PING\r\n")?;
        let mut reply = [0u8; 7];
        stream.read_exact(&mut reply)?;
        ensure!(
            &reply == b"+PONG\r\n",
            "{:?}",
            String::from_utf8_lossy(&reply)
        );
    }
    Ok(())
}
