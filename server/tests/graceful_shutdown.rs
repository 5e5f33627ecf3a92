//! Shutdown stops accepting at once but answers the request in flight, then
//! `run` returns with the store synced: a PUT whose body was still arriving
//! when shutdown began gets its 201 and is in the store afterwards. An open
//! `/events` stream, which never finishes by itself, is ended instead of
//! holding the shutdown open.

use std::time::Duration;

use mini_kvstore::KvStore;
use mini_kvstore_server::{Config, run};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;

#[tokio::test]
async fn an_in_flight_put_completes_and_is_durable() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let data = dir.path().join("data");
    let store = KvStore::open(&data)?;
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let address = listener.local_addr()?;
    let (stop, stopped) = oneshot::channel::<()>();
    let server = tokio::spawn(run(listener, store, Config::new("v"), async {
        let _ = stopped.await;
    }));

    // Half a request: the headers, then 5 of the 10 promised body bytes.
    // `Expect: 100-continue` makes the server say when the handler starts
    // reading the body, so the shutdown below surely finds the request in
    // flight (a connection whose request was not read yet is idle, and an
    // idle connection is closed at once).
    let mut client = TcpStream::connect(address).await?;
    client
        .write_all(
            b"PUT /blobs/late HTTP/1.1\r\nhost: test\r\ncontent-length: 10\r\n\
              expect: 100-continue\r\n\r\n",
        )
        .await?;
    let interim = b"HTTP/1.1 100 Continue\r\n\r\n";
    let mut seen = vec![0; interim.len()];
    tokio::time::timeout(Duration::from_secs(10), client.read_exact(&mut seen)).await??;
    assert_eq!(
        String::from_utf8_lossy(&seen),
        String::from_utf8_lossy(interim)
    );
    client.write_all(b"hello").await?;
    client.flush().await?;

    stop.send(()).ok();
    // Readiness, not a sleep: once new connections are refused the server
    // has seen the shutdown, and our request is the one in flight.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while TcpStream::connect(address).await.is_ok() {
        assert!(tokio::time::Instant::now() < deadline, "still accepting");
        tokio::task::yield_now().await;
    }
    assert!(
        !server.is_finished(),
        "run returned with a request in flight"
    );

    client.write_all(b"world").await?;
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), client.read_to_end(&mut answer)).await??;
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 201 Created"), "{answer}");

    tokio::time::timeout(Duration::from_secs(10), server).await???;
    // `run` has returned and dropped its handle, so the directory is free.
    let reopened = KvStore::open(&data)?;
    assert_eq!(reopened.get("late")?, Some(b"helloworld".to_vec()));
    Ok(())
}

#[tokio::test]
async fn an_open_event_stream_ends_and_does_not_hold_shutdown() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let data = dir.path().join("data");
    let store = KvStore::open(&data)?;
    store.set("before", "1")?;
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let address = listener.local_addr()?;
    let (stop, stopped) = oneshot::channel::<()>();
    let server = tokio::spawn(run(listener, store, Config::new("v"), async {
        let _ = stopped.await;
    }));

    let mut client = TcpStream::connect(address).await?;
    client
        .write_all(b"GET /events HTTP/1.1\r\nhost: test\r\n\r\n")
        .await?;
    // Read until the first event has come: the stream is open and watched.
    let mut seen = Vec::new();
    let mut buffer = [0u8; 4096];
    while !String::from_utf8_lossy(&seen).contains("event: stats") {
        let n = tokio::time::timeout(Duration::from_secs(10), client.read(&mut buffer)).await??;
        assert!(
            n > 0,
            "closed before an event: {}",
            String::from_utf8_lossy(&seen)
        );
        seen.extend_from_slice(&buffer[..n]);
    }
    assert!(String::from_utf8_lossy(&seen).starts_with("HTTP/1.1 200 OK"));

    stop.send(()).ok();
    tokio::time::timeout(Duration::from_secs(10), server)
        .await
        .map_err(|_| anyhow::anyhow!("shutdown hung with an /events stream open"))???;
    // The stream was ended (the chunked body finished), and the connection
    // closed.
    let mut rest = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), client.read_to_end(&mut rest)).await??;
    seen.extend_from_slice(&rest);
    assert!(
        String::from_utf8_lossy(&seen).ends_with("0\r\n\r\n"),
        "{}",
        String::from_utf8_lossy(&seen)
    );
    // No handle on the store is left: the directory opens again.
    let reopened = KvStore::open(&data)?;
    assert_eq!(reopened.get("before")?, Some(b"1".to_vec()));
    Ok(())
}
