//! A client that stalls mid-request gets a 408 with a JSON error once the
//! request time limit passes, instead of holding its connection (and any
//! graceful shutdown) forever; a stalled PUT stores nothing.

use std::time::{Duration, Instant};

use mini_kvstore::KvStore;
use mini_kvstore_server::{Config, run};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

#[tokio::test]
async fn a_stalled_upload_is_answered_408_and_stores_nothing() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let store = KvStore::open(dir.path().join("data"))?;
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let address = listener.local_addr()?;
    let config = Config::new("vol")
        .playground_dir(dir.path().join("none"))
        .request_timeout(Duration::from_millis(300));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(run(listener, store.clone(), config, async {
        let _ = stopped.await;
    }));

    // Announce ten bytes of body, send three, then stall.
    let mut client = TcpStream::connect(address).await?;
    client
        .write_all(b"PUT /blobs/slow HTTP/1.1\r\nHost: test\r\nContent-Length: 10\r\n\r\nabc")
        .await?;
    let started = Instant::now();
    let mut answer = Vec::new();
    let mut buf = [0u8; 1024];
    while !answer.windows(4).any(|w| w == b"\r\n\r\n") || !answer.ends_with(b"}") {
        let n = tokio::time::timeout(Duration::from_secs(10), client.read(&mut buf)).await??;
        if n == 0 {
            break;
        }
        answer.extend_from_slice(&buf[..n]);
    }
    let text = String::from_utf8_lossy(&answer);
    assert!(text.starts_with("HTTP/1.1 408"), "{text}");
    assert!(text.contains("application/json"), "{text}");
    assert!(
        text.contains(r#"{"error":"the request took longer than 0.3 s"}"#),
        "{text}"
    );
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(
        store.get("slow")?,
        None,
        "nothing of the stalled upload is stored"
    );

    let _ = stop.send(());
    server.await??;
    Ok(())
}
