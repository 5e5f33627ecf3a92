//! Open connections, counted by wrapping the listener: every stream it
//! accepts carries a guard that adds one to `kvstore_open_connections` and
//! takes it away when hyper drops the stream, however the connection ended.
//!
//! Wrapping the listener rather than the service counts connections, not
//! requests: an idle keep-alive connection holds a slot (and a socket)
//! as much as a busy one.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};

use axum::serve::Listener;
use metrics::{Gauge, gauge};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};

use crate::metrics::catalogue::OPEN_CONNECTIONS;

/// A TCP listener whose connections count in `kvstore_open_connections`
/// under one `protocol` label.
#[derive(Debug)]
pub(crate) struct CountedListener {
    inner: TcpListener,
    protocol: &'static str,
}

impl CountedListener {
    pub(crate) fn new(inner: TcpListener, protocol: &'static str) -> Self {
        CountedListener { inner, protocol }
    }
}

impl Listener for CountedListener {
    type Io = Counted<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        // axum's own accept: it logs and waits out errors such as running
        // out of file descriptors.
        let (io, addr) = Listener::accept(&mut self.inner).await;
        let open = gauge!(OPEN_CONNECTIONS, "protocol" => self.protocol);
        open.increment(1.0);
        (Counted { io, open }, addr)
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        self.inner.local_addr()
    }
}

/// A stream that counts as one open connection until dropped.
#[derive(Debug)]
pub(crate) struct Counted<T> {
    io: T,
    open: Gauge,
}

/// One open connection of a server that accepts its own (the RESP
/// listener), counted until dropped.
#[derive(Debug)]
pub(crate) struct OpenConnection(Gauge);

impl OpenConnection {
    pub(crate) fn new(protocol: &'static str) -> Self {
        let open = gauge!(OPEN_CONNECTIONS, "protocol" => protocol);
        open.increment(1.0);
        OpenConnection(open)
    }
}

impl Drop for OpenConnection {
    fn drop(&mut self) {
        self.0.decrement(1.0);
    }
}

impl<T> Drop for Counted<T> {
    fn drop(&mut self) {
        self.open.decrement(1.0);
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for Counted<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_read(cx, buf)
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Counted<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }

    // Passed on so that hyper still writes a response's head and body with
    // one system call.
    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }
}
