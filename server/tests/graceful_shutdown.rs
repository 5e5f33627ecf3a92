//! Shutdown stops accepting at once but answers the request in flight, then
//! `run` returns with the store synced: a PUT whose body was still arriving
//! when shutdown began gets its 201 and is in the store afterwards.

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
