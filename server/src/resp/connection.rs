//! One client connection: read what arrived, decode every complete request
//! in it, run them in order on the blocking pool (engine calls block, and a
//! write returns only once durable), and send all their replies in one
//! write — so a pipeline costs one round of reads and writes per packet,
//! not per command.
//!
//! A framing error answers `-ERR Protocol error: …` after the replies to
//! the requests before it, and closes this connection only.
//!
//! While it is open the connection is in the server's [`Clients`], which
//! `CLIENT LIST` reads; it leaves however it ends.

use std::sync::Arc;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::watch;

use crate::resp::clients::{Client, Clients};
use crate::resp::codec::{self, Limits};
use crate::resp::commands;
use crate::resp::state::{ServerState, Session};

/// How much a read asks for at least.
const READ_CHUNK: usize = 16 * 1024;

/// A connection's place in [`Clients`], given back however the connection
/// ends.
struct Registered<'a> {
    clients: &'a Clients,
    id: u64,
}

impl Drop for Registered<'_> {
    fn drop(&mut self) {
        self.clients.remove(self.id);
    }
}

/// The socket's descriptor, for `CLIENT LIST`'s `fd=`.
fn descriptor(stream: &TcpStream) -> i64 {
    #[cfg(unix)]
    {
        use std::os::fd::AsRawFd;
        i64::from(stream.as_raw_fd())
    }
    #[cfg(not(unix))]
    {
        let _ = stream;
        -1
    }
}

/// Serves `stream` until the client leaves, sends `QUIT`, breaks the
/// protocol, or `shutdown` turns true while it is idle.
pub(crate) async fn serve_connection(
    mut stream: TcpStream,
    server: Arc<ServerState>,
    mut shutdown: watch::Receiver<bool>,
) {
    let limits = Limits {
        inline: server.config.max_inline_len,
        array: server.config.max_array_len,
        bulk: server.max_bulk_len(),
    };
    let unknown = || std::net::SocketAddr::from(([0, 0, 0, 0], 0));
    let client = Arc::new(Client::new(
        server.next_client_id(),
        stream.peer_addr().unwrap_or_else(|_| unknown()),
        stream.local_addr().unwrap_or_else(|_| unknown()),
        descriptor(&stream),
    ));
    server.clients.register(Arc::clone(&client));
    let _registered = Registered {
        clients: &server.clients,
        id: client.id,
    };
    let mut session = Session::new(client, server.config.token.is_some());
    let mut buf: Vec<u8> = Vec::with_capacity(READ_CHUNK);
    loop {
        let mut requests = Vec::new();
        let mut used = 0;
        let mut broken = None;
        loop {
            match codec::decode(&buf[used..], &limits) {
                Ok(Some((args, len))) => {
                    used += len;
                    if !args.is_empty() {
                        requests.push(args);
                    }
                }
                Ok(None) => break,
                Err(e) => {
                    broken = Some(e);
                    break;
                }
            }
        }
        buf.drain(..used);

        let mut out = Vec::new();
        if !requests.is_empty() {
            let shared = Arc::clone(&server);
            let ran = tokio::task::spawn_blocking(move || {
                let mut out = Vec::new();
                for args in &requests {
                    let reply = commands::execute(&shared, &mut session, args);
                    codec::encode(reply, session.protocol, &mut out);
                    if session.closing {
                        break;
                    }
                }
                (session, out)
            })
            .await;
            match ran {
                Ok((back, replies)) => {
                    session = back;
                    out = replies;
                }
                Err(e) => {
                    tracing::error!(error = %e, "a RESP command task failed");
                    return;
                }
            }
        }
        if let Some(e) = &broken {
            tracing::debug!(error = %e.0, "RESP protocol error; closing the connection");
            codec::encode(e.reply(), session.protocol, &mut out);
        }
        if !out.is_empty() && stream.write_all(&out).await.is_err() {
            return;
        }
        if session.closing || broken.is_some() || *shutdown.borrow() {
            return;
        }

        buf.reserve(READ_CHUNK);
        tokio::select! {
            // Idle at shutdown: close rather than wait for a next command.
            _ = shutdown.changed() => return,
            read = stream.read_buf(&mut buf) => match read {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            },
        }
    }
}
