//! What the RESP tests share: a server on port 0 over a fresh store, and
//! redis-rs clients for it.

#![allow(dead_code, unreachable_pub)]

use std::net::SocketAddr;
use std::sync::Arc;

use mini_kvstore::{KvStore, ManualClock, MemStorage, Options};
use mini_kvstore_server::resp::{RespConfig, serve};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// A running RESP server; `stop` shuts it down and waits for it.
pub struct Server {
    pub addr: SocketAddr,
    pub store: KvStore,
    pub clock: Arc<ManualClock>,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<std::io::Result<()>>,
}

/// Unix milliseconds the test clock starts at.
pub const START_MS: u64 = 1_000_000;

/// Starts a server over an in-memory store whose clock the test moves.
pub async fn start(config: RespConfig) -> Server {
    start_with(config, |options| options).await
}

/// Like [`start`], over a store whose options `tweak` adjusts.
pub async fn start_with(config: RespConfig, tweak: impl FnOnce(Options) -> Options) -> Server {
    let clock = Arc::new(ManualClock::new(START_MS));
    let options = tweak(Options::default().clock(Arc::clone(&clock)));
    let store = KvStore::open_with(MemStorage::new(), options).expect("open store");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (stop, stopped) = oneshot::channel();
    let task = tokio::spawn(serve(store.clone(), listener, config, async {
        let _ = stopped.await;
    }));
    Server {
        addr,
        store,
        clock,
        stop: Some(stop),
        task,
    }
}

impl Server {
    pub fn url(&self) -> String {
        format!("redis://{}/", self.addr)
    }

    pub async fn client(&self) -> redis::aio::MultiplexedConnection {
        self.client_at(&self.url()).await
    }

    pub async fn client_at(&self, url: &str) -> redis::aio::MultiplexedConnection {
        redis::Client::open(url)
            .expect("url")
            .get_multiplexed_async_connection()
            .await
            .expect("connect")
    }

    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let done = tokio::time::timeout(std::time::Duration::from_secs(15), self.task)
            .await
            .expect("serve returns after shutdown");
        done.expect("serve task").expect("serve");
    }
}

/// The error `command` gets, as the server sent it (`ERR no such key`);
/// panics if it succeeds.
pub async fn error_of(c: &mut redis::aio::MultiplexedConnection, command: &redis::Cmd) -> String {
    match command.query_async::<redis::Value>(c).await {
        Ok(value) => panic!("expected an error, got {value:?}"),
        Err(e) => format!("{} {}", e.code().unwrap_or("?"), e.detail().unwrap_or("")),
    }
}

/// Sends raw bytes on a fresh socket and reads until the server closes or
/// `expect_len` bytes came.
pub async fn raw(addr: SocketAddr, bytes: &[u8]) -> Vec<u8> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    stream.write_all(bytes).await.expect("write");
    let mut out = Vec::new();
    let _ = tokio::time::timeout(
        std::time::Duration::from_secs(5),
        stream.read_to_end(&mut out),
    )
    .await;
    out
}
