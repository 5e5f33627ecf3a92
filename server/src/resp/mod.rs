//! The Redis protocol (RESP2, and RESP3 after `HELLO 3`) over the same
//! [`KvStore`] as the HTTP API, so `redis-cli`, `redis-benchmark` and any
//! Redis client library can talk to the store.
//!
//! [`serve`] takes a listener the caller bound and a shutdown future, like
//! [`run`](crate::run). Only strings exist here — the store maps bytes to
//! bytes — so hash, list, set and sorted-set commands answer that they are
//! not supported, and the subcommands of Redis's not written yet
//! (`CONFIG SET`, `CLIENT KILL`, …) answer
//! `-ERR 'X Y' is not built yet in mini-kvstore`.
//!
//! | module | what |
//! |---|---|
//! | `config` | [`RespConfig`]: token, client limit (its own, or a `ConnectionLimit` shared with the HTTP API), request size limits |
//! | `clients` | the connected clients, as `CLIENT LIST` shows them |
//! | `state` | what connections share (store, durability waiter, counters, clients, `SCAN` cursors) and each one's session |
//! | `durability` | the one thread that makes every connection's pending writes durable, many connections per fsync |
//! | `connection` | the read loop: buffering, pipelining, bounded commands on the connection's task, one durability wait and one write per read |
//! | `codec` | requests (RESP arrays and inline lines) in, replies out per protocol |
//! | `reply` | a reply, whatever the protocol |
//! | `serde_reply` | any `Serialize` value as a reply, for answers the HTTP API sends as JSON |
//! | `commands` | the command table, dispatch, and one module per family |
//! | `glob` | Redis's glob patterns for `KEYS`, `SCAN MATCH`, `CONFIG GET` |
//!
//! ```
//! use mini_kvstore::{KvStore, MemStorage, Options};
//! use mini_kvstore_server::resp::{RespConfig, serve};
//! use tokio::io::{AsyncReadExt, AsyncWriteExt};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let store = KvStore::open_with(MemStorage::new(), Options::default())?;
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
//! let addr = listener.local_addr()?;
//! let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
//! let server = tokio::spawn(serve(store, listener, RespConfig::new(), async {
//!     let _ = stopped.await;
//! }));
//!
//! let mut client = tokio::net::TcpStream::connect(addr).await?;
//! client.write_all(b"SET greeting hello\r\nGET greeting\r\n").await?;
//! let mut reply = vec![0; 16];
//! client.read_exact(&mut reply).await?;
//! assert_eq!(reply, b"+OK\r\n$5\r\nhello\r\n");
//!
//! let _ = stop.send(());
//! server.await??;
//! # Ok(())
//! # }
//! ```

mod clients;
mod codec;
mod commands;
mod config;
mod connection;
mod durability;
mod glob;
mod reply;
mod serde_reply;
mod state;

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use mini_kvstore::KvStore;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinSet;

use crate::connection_limit::ConnectionLimit;
pub use crate::resp::config::{
    DEFAULT_MAX_ARRAY_LEN, DEFAULT_MAX_CONNECTIONS, DEFAULT_MAX_INLINE_LEN, RespConfig,
};
use crate::resp::state::ServerState;

/// How long [`serve`] waits, once shut down, for commands in flight. Idle
/// connections close at once; this only bounds a client that stopped
/// reading its replies, or a long `KVSTORE.COMPACT`.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(10);

/// Serves RESP on `listener` until `shutdown` resolves; then stops
/// accepting, closes idle connections, lets commands in flight finish
/// (for at most ten seconds) and returns.
///
/// One thread of its own, started here and ended before it returns, makes
/// the connections' writes durable (see the `durability` module).
pub async fn serve(
    store: KvStore,
    listener: TcpListener,
    config: RespConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let port = listener.local_addr()?.port();
    let slots = config
        .connection_limit
        .clone()
        .unwrap_or_else(|| ConnectionLimit::new(config.max_connections));
    let (durability, waiter) = durability::start(store.clone())?;
    let server = Arc::new(ServerState::new(store, durability, config, port));
    let (stop, stopping) = watch::channel(false);
    let mut connections = JoinSet::new();
    tokio::pin!(shutdown);
    loop {
        let (mut stream, peer) = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file descriptors and the like: wait and go on
                    // rather than end the server.
                    tracing::warn!(error = %e, "accepting a RESP connection failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        while connections.try_join_next().is_some() {}
        server.connections_received.fetch_add(1, Ordering::Relaxed);
        let _ = stream.set_nodelay(true);
        let Some(slot) = slots.try_acquire() else {
            server.rejected_connections.fetch_add(1, Ordering::Relaxed);
            tracing::debug!(%peer, "RESP client limit reached");
            connections.spawn(async move {
                let _ = stream
                    .write_all(b"-ERR max number of clients reached\r\n")
                    .await;
            });
            continue;
        };
        let server = Arc::clone(&server);
        let stopping = stopping.clone();
        connections.spawn(async move {
            server.connected.fetch_add(1, Ordering::Relaxed);
            let _open = crate::metrics::OpenConnection::new("resp");
            connection::serve_connection(stream, Arc::clone(&server), stopping).await;
            server.connected.fetch_sub(1, Ordering::Relaxed);
            drop(slot);
        });
    }
    drop(listener);
    let _ = stop.send(true);
    let drained = tokio::time::timeout(DRAIN_TIMEOUT, async {
        while connections.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        tracing::warn!("RESP connections still busy after {DRAIN_TIMEOUT:?}; closing them");
        connections.shutdown().await;
    }
    // Every connection is gone: nobody waits for durability any more.
    waiter.stop(DRAIN_TIMEOUT).await;
    Ok(())
}
