//! The yardstick of `cargo xtask load --http-targets`: axum on tokio, as
//! the server uses them, answering every GET with the same 100 bytes from
//! memory — what an HTTP GET costs with no store behind it. It prints
//! `listening on http://ADDR` (port 0: the kernel picks) and serves until
//! SIGTERM or Ctrl-C.

use axum::Router;

const BODY: &[u8; 100] = &[b'v'; 100];

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    println!("listening on http://{}", listener.local_addr()?);
    let app = Router::new().fallback(|| async { &BODY[..] });
    axum::serve(listener, app)
        .with_graceful_shutdown(mini_kvstore_server::shutdown_signal())
        .await
}
