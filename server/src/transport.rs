//! The HTTP transport: accepting connections and serving each with hyper's
//! HTTP/1, bounded against clients that connect and then send little or
//! nothing.
//!
//! `axum::serve` builds its hyper connections itself, with no timer and so
//! no header-read timeout, and takes every connection it is offered. This
//! does the same job — a task per connection, graceful shutdown — with two
//! bounds of its own:
//!
//! - **a header-read timeout**: a connection must deliver a whole request
//!   head within it, counted from when the server starts waiting for one
//!   (on connect, and again after each response on a keep-alive
//!   connection), or it is closed without an answer. The clock is not reset
//!   by each byte, so trickling a header a byte at a time does not hold a
//!   connection any longer than sending nothing. Bodies are not under it;
//!   the request time limit (`Config::request_timeout`) covers those.
//! - **a [`ConnectionLimit`]**: a connection past it gets a
//!   `503 Service Unavailable` with `Retry-After` and `Connection: close`,
//!   served by a refusal that reads one request head for at most
//!   [`REFUSAL_TIME`]; past [`MAX_REFUSALS`] refusals at once a connection
//!   is closed as soon as it is accepted, so a flood cannot turn refusals
//!   into a second unbounded pool of connections.
//!
//! Only HTTP/1 is spoken, as before: axum's default features leave HTTP/2
//! out, and hyper's version-sniffing `auto` builder would read from a
//! client before any header timeout starts.

use std::convert::Infallible;
use std::fmt::Debug;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::response::IntoResponse;
use axum::serve::Listener;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinSet;

use crate::connection_limit::{ConnectionLimit, ConnectionSlot};
use crate::error::ApiError;

/// How long a connection may take to send a request head unless told
/// otherwise: counted from when the server starts waiting for one (on
/// connect, and after each response on a kept-alive connection), so it is
/// also how long an idle keep-alive connection stays open. Any real client
/// sends its head at once; a connection that has not in ten seconds is
/// stalled, or idle, and holds a slot under the connection cap.
pub const DEFAULT_HEADER_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// The longest a refused connection is kept to send it its 503: long
/// enough for a client to send a request head, short enough that refusals
/// come and go.
pub(crate) const REFUSAL_TIME: Duration = Duration::from_secs(2);

/// Refusals being served at once, at most; past it a connection over the
/// cap is closed without an answer.
pub(crate) const MAX_REFUSALS: usize = 64;

/// How the transport bounds its clients.
#[derive(Debug, Clone)]
pub(crate) struct Bounds {
    /// How long a connection may take to send a request head.
    pub(crate) header_timeout: Duration,
    /// The connections it may hold; `None` for no cap (the metrics port).
    pub(crate) connections: Option<ConnectionLimit>,
}

/// Serves `app` on `listener` until `shutdown` resolves; then stops
/// accepting, lets each connection finish the request it is answering
/// (idle ones close at once), and returns once every connection is closed.
pub(crate) async fn serve<L>(
    mut listener: L,
    app: Router,
    bounds: Bounds,
    shutdown: impl Future<Output = ()> + Send + 'static,
) where
    L: Listener,
    L::Io: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    L::Addr: Debug,
{
    let (stop, stopping) = watch::channel(false);
    let refusals = Arc::new(Semaphore::new(MAX_REFUSALS));
    let mut connections = JoinSet::new();
    tokio::pin!(shutdown);
    loop {
        let (io, peer) = tokio::select! {
            () = &mut shutdown => break,
            // Errors (out of descriptors, say) are logged and waited out
            // inside `accept`, as `axum::serve` does.
            accepted = listener.accept() => accepted,
        };
        while connections.try_join_next().is_some() {}
        let slot = match &bounds.connections {
            None => None,
            Some(limit) => match limit.try_acquire() {
                Some(slot) => Some(slot),
                None => {
                    tracing::debug!(?peer, max = limit.max(), "connection cap reached");
                    if let Ok(refusal) = Arc::clone(&refusals).try_acquire_owned() {
                        let (max, timeout) = (limit.max(), bounds.header_timeout);
                        connections.spawn(async move {
                            refuse(io, max, timeout).await;
                            drop(refusal);
                        });
                    }
                    continue;
                }
            },
        };
        connections.spawn(serve_connection(
            io,
            app.clone(),
            bounds.header_timeout,
            stopping.clone(),
            slot,
        ));
    }
    drop(listener);
    let _ = stop.send(true);
    while connections.join_next().await.is_some() {}
}

/// One connection, until the client leaves, breaks the protocol, misses the
/// header timeout, or shutdown finds it idle; `slot` is given back then.
async fn serve_connection<I>(
    io: I,
    app: Router,
    header_timeout: Duration,
    mut stopping: watch::Receiver<bool>,
    slot: Option<ConnectionSlot>,
) where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(header_timeout);
    let connection = builder
        .serve_connection(TokioIo::new(io), TowerToHyperService::new(app))
        .with_upgrades();
    tokio::pin!(connection);
    let stopped = async {
        // An error means the sender is gone, which `serve` allows only
        // once every connection has ended: shut down either way.
        let _ = stopping.wait_for(|stop| *stop).await;
    };
    let result = tokio::select! {
        result = connection.as_mut() => result,
        () = stopped => {
            connection.as_mut().graceful_shutdown();
            connection.await
        }
    };
    if let Err(error) = result {
        // Clients that leave mid-request, miss the header timeout or
        // send garbage: theirs to know, not the server's log.
        tracing::trace!(%error, "HTTP connection ended with an error");
    }
    drop(slot);
}

/// Answers one request on a connection over the cap with 503, and closes.
async fn refuse<I>(io: I, max: usize, header_timeout: Duration)
where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let answer = hyper::service::service_fn(move |_request| async move {
        let mut response = ApiError::TooManyConnections { max }.into_response();
        response.headers_mut().insert(
            axum::http::header::CONNECTION,
            axum::http::HeaderValue::from_static("close"),
        );
        Ok::<_, Infallible>(response)
    });
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(header_timeout.min(REFUSAL_TIME))
        .keep_alive(false);
    let refusal = builder.serve_connection(TokioIo::new(io), answer);
    // The client may never send a head, or never read the answer.
    let _ = tokio::time::timeout(REFUSAL_TIME, refusal).await;
}
