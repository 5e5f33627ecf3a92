//! The only Redis-protocol requests xtask sends itself: `PING`, to know a
//! server is ready, and `SHUTDOWN NOSAVE`, to stop Redis the way it expects.
//! Everything measured goes through redis-benchmark instead.

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use anyhow::{Context, Result, ensure};

/// How long one request may take on loopback before it counts as no answer.
const TIMEOUT: Duration = Duration::from_secs(5);

/// Sends `PING` and expects `+PONG`.
pub(crate) fn ping(address: SocketAddr) -> Result<()> {
    let mut stream = connect(address)?;
    stream.write_all(b"*1\r\n$4\r\nPING\r\n")?;
    let mut line = String::new();
    BufReader::new(stream).read_line(&mut line)?;
    ensure!(line == "+PONG\r\n", "{address} answered PING with {line:?}");
    Ok(())
}

/// Sends `SHUTDOWN NOSAVE`. Redis answers by closing the connection, so
/// there is nothing to read; the caller waits for the process to exit.
pub(crate) fn shutdown_nosave(address: SocketAddr) -> Result<()> {
    let mut stream = connect(address)?;
    stream.write_all(b"*2\r\n$8\r\nSHUTDOWN\r\n$6\r\nNOSAVE\r\n")?;
    Ok(())
}

fn connect(address: SocketAddr) -> Result<TcpStream> {
    let stream = TcpStream::connect_timeout(&address, TIMEOUT)
        .with_context(|| format!("connect to {address}"))?;
    stream.set_read_timeout(Some(TIMEOUT))?;
    stream.set_write_timeout(Some(TIMEOUT))?;
    Ok(stream)
}
