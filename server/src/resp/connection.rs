//! One client connection: read what arrived, decode every complete request
//! in it, run them in order, wait once for their writes to be durable, and
//! send all their replies in one write — so a pipeline costs one round of
//! reads and writes, and at most one fsync wait, per packet, not per
//! command.
//!
//! Where a batch runs: when every request in it is a command flagged
//! `INLINE` ([`commands::runs_inline`]: `GET`, `SET`, `INCR`, `MGET`,
//! `DEL`, … — work bounded by the request or one stored value, whose
//! writes do not wait for their fsync),
//! on this connection's own task, as Redis runs commands on its event
//! loop; otherwise (`KEYS`, `SCAN`, `FLUSHDB`, `INFO`, `KVSTORE.COMPACT`, …)
//! on the blocking pool.
//!
//! Durability: commands write through the session's handle of the store,
//! which defers each write's wait for its fsync
//! ([`KvStore::deferring_durability`](mini_kvstore::KvStore::deferring_durability)).
//! After an inline batch, if any of its writes is not durable yet, the
//! connection hands the seq to wait through to the server's durability
//! waiter (`durability`: one thread, one fsync for every connection
//! waiting) and awaits its answer; a batch on the blocking pool waits
//! there, on the thread it already has, in the same group commit. Only
//! then are the replies sent, so no reply acknowledges a write that a
//! crash could still lose. If the wait fails, the connection closes
//! without sending any of the batch's replies: none of its writes is
//! acknowledged.
//!
//! A framing error answers `-ERR Protocol error: …` after the replies to
//! the requests before it, and closes this connection only.
//!
//! Memory: once the request being assembled would make the buffer grow
//! past [`LARGE_REQUEST`], the connection reserves the request's announced
//! length ([`codec::announced_len`]) in the in-flight budget before it
//! reads more, waiting at most the budget's wait; a request that gets no
//! room is answered `-ERR …` (after the replies before it) and passed over
//! unread ([`codec::skip`]), and the connection goes on with the next
//! request. The reservation is given back once the request has run, and
//! the large buffer with it. Smaller requests never touch the budget, so
//! the common path pays nothing for it.
//!
//! While it is open the connection is in the server's [`Clients`], which
//! `CLIENT LIST` reads; it leaves however it ends.

use std::sync::Arc;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::watch;

use crate::inflight::OverBudget;
use crate::resp::clients::{Client, Clients};
use crate::resp::codec::{self, Limits, Skip};
use crate::resp::commands;
use crate::resp::durability::NotDurable;
use crate::resp::reply::{Protocol, Reply};
use crate::resp::state::{ServerState, Session};

/// How much a read asks for at least.
const READ_CHUNK: usize = 16 * 1024;

/// The buffer a connection keeps outside the in-flight budget: a request
/// that would make it grow past this reserves its length first. Above the
/// default inline limit (64 KiB), so only arrays with large bulk strings
/// ever reserve.
const LARGE_REQUEST: usize = 64 * 1024 + READ_CHUNK;

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
    let mut session = Session::new(client, &server);
    let mut buf: Vec<u8> = Vec::with_capacity(READ_CHUNK);
    let mut reservation = server.config.inflight_budget.empty();
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
        // The arguments are copies: a large request's buffer can go before
        // the request runs.
        if buf.capacity() > LARGE_REQUEST && buf.len() < READ_CHUNK {
            buf.shrink_to(READ_CHUNK);
        }

        let mut out = Vec::new();
        if !requests.is_empty() {
            match run_durably(&server, session, requests).await {
                Some((back, replies)) => {
                    session = back;
                    out = replies;
                }
                None => return,
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

        if buf.len() + READ_CHUNK > LARGE_REQUEST {
            // Room for what the request announces, and the next read.
            let target = codec::announced_len(&buf, &limits).max(buf.len()) + READ_CHUNK;
            if reservation.bytes() < target as u64 {
                let granted = tokio::select! {
                    _ = shutdown.changed() => return,
                    granted = reservation.grow_to(target as u64) => granted,
                };
                if let Err(over) = granted {
                    if pass_over(
                        &mut stream,
                        &mut buf,
                        &limits,
                        session.protocol,
                        over,
                        &mut shutdown,
                    )
                    .await
                    {
                        continue;
                    }
                    return;
                }
            }
            buf.reserve_exact(target - buf.len());
        } else {
            // Whatever was reserved has run, or been passed over.
            reservation.shrink_to(0);
            buf.reserve(READ_CHUNK);
        }
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

/// Answers the request at the front of `buf`, which found no room in the
/// in-flight budget, with an error, then reads past the rest of it keeping
/// none of it. `true` when the connection can go on with the next request;
/// `false` when it must close (the client left, broke the framing, or the
/// server is shutting down).
async fn pass_over(
    stream: &mut TcpStream,
    buf: &mut Vec<u8>,
    limits: &Limits,
    protocol: Protocol,
    over: OverBudget,
    shutdown: &mut watch::Receiver<bool>,
) -> bool {
    tracing::debug!(
        budget = over.max_bytes,
        "a RESP request found no room in the in-flight budget"
    );
    let mut out = Vec::new();
    let refusal = Reply::err(format!(
        "the server is already reading {} bytes of requests, the most it buffers at once; try again shortly",
        over.max_bytes
    ));
    codec::encode(refusal, protocol, &mut out);
    if stream.write_all(&out).await.is_err() {
        return false;
    }
    let mut state = Skip::default();
    loop {
        match codec::skip(buf, &mut state, limits) {
            Ok(used) => {
                buf.drain(..used);
            }
            Err(e) => {
                let mut out = Vec::new();
                codec::encode(e.reply(), protocol, &mut out);
                let _ = stream.write_all(&out).await;
                return false;
            }
        }
        // What is left is at most the start of a header.
        if buf.capacity() > LARGE_REQUEST {
            buf.shrink_to(READ_CHUNK);
        }
        if state == Skip::Done {
            return true;
        }
        buf.reserve(READ_CHUNK);
        tokio::select! {
            _ = shutdown.changed() => return false,
            read = stream.read_buf(buf) => match read {
                Ok(0) | Err(_) => return false,
                Ok(_) => {}
            },
        }
    }
}

/// Runs `requests` in order for `session` and returns their encoded
/// replies once every write they made is durable — or `None` when it is
/// not known to be (the wait or a task failed, and this was logged): the
/// connection must then close without answering.
async fn run_durably(
    server: &Arc<ServerState>,
    mut session: Session,
    requests: Vec<Vec<Vec<u8>>>,
) -> Option<(Session, Vec<u8>)> {
    let (session, out, durable) = if requests.iter().all(|args| commands::runs_inline(args)) {
        let out = run_batch(server, &mut session, &requests);
        let Some(through) = session.store.durability_pending_through() else {
            return Some((session, out));
        };
        let durable = server.durability.wait_through(through).await;
        (session, out, durable)
    } else {
        let server = Arc::clone(server);
        // The wait runs in the same task as the batch: no second hand-off.
        let ran = tokio::task::spawn_blocking(move || {
            let out = run_batch(&server, &mut session, &requests);
            let durable = session.store.wait_durable();
            (session, out, durable)
        })
        .await;
        match ran {
            Ok((session, out, durable)) => (session, out, durable.map_err(NotDurable::from)),
            Err(e) => {
                tracing::error!(error = %e, "a RESP command task failed");
                return None;
            }
        }
    };
    match durable {
        Ok(()) => Some((session, out)),
        Err(e) => {
            tracing::error!(
                error = %e,
                "the writes of a RESP batch could not be made durable; closing the connection without answering"
            );
            None
        }
    }
}

/// Runs `requests` in order, encoding each reply, until one closes the
/// session (`QUIT`).
fn run_batch(server: &ServerState, session: &mut Session, requests: &[Vec<Vec<u8>>]) -> Vec<u8> {
    let mut out = Vec::new();
    for args in requests {
        let reply = commands::execute(server, session, args);
        codec::encode(reply, session.protocol, &mut out);
        if session.closing {
            break;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use std::io;
    use std::sync::{Arc, Condvar, Mutex};
    use std::time::Duration;

    use mini_kvstore::storage::{CrashMode, Fault, FaultyStorage};
    use mini_kvstore::{CompactionPolicy, Error, KvStore, MemStorage, Options, SegmentId, Storage};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    use crate::resp::{RespConfig, serve};

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    /// `FaultyStorage` that records which thread ran each sync, and can
    /// hold syncs: while held, a sync is recorded as started and does not
    /// finish until released.
    #[derive(Clone)]
    struct WatchedSyncs {
        inner: FaultyStorage,
        /// The name of each sync's thread, in order.
        syncs: Arc<Mutex<Vec<String>>>,
        held: Arc<(Mutex<bool>, Condvar)>,
    }

    impl WatchedSyncs {
        fn new() -> io::Result<Self> {
            Ok(WatchedSyncs {
                inner: FaultyStorage::new(MemStorage::new())?,
                syncs: Arc::default(),
                held: Arc::default(),
            })
        }

        fn syncs(&self) -> Vec<String> {
            self.syncs.lock().unwrap_or_else(|p| p.into_inner()).clone()
        }

        fn hold_syncs(&self, hold: bool) {
            let (held, changed) = &*self.held;
            *held.lock().unwrap_or_else(|p| p.into_inner()) = hold;
            changed.notify_all();
        }
    }

    impl Storage for WatchedSyncs {
        fn list(&self) -> io::Result<Vec<SegmentId>> {
            self.inner.list()
        }
        fn create(&self, id: SegmentId) -> io::Result<()> {
            self.inner.create(id)
        }
        fn append(&self, id: SegmentId, bytes: &[u8]) -> io::Result<u64> {
            self.inner.append(id, bytes)
        }
        fn read_at(&self, id: SegmentId, offset: u64, buf: &mut [u8]) -> io::Result<()> {
            self.inner.read_at(id, offset, buf)
        }
        fn len(&self, id: SegmentId) -> io::Result<u64> {
            self.inner.len(id)
        }
        fn truncate(&self, id: SegmentId, len: u64) -> io::Result<()> {
            self.inner.truncate(id, len)
        }
        fn preallocate(&self, id: SegmentId, len: u64) -> io::Result<()> {
            self.inner.preallocate(id, len)
        }
        fn sync(&self, id: SegmentId) -> io::Result<()> {
            let thread = std::thread::current()
                .name()
                .unwrap_or("unnamed")
                .to_owned();
            self.syncs
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .push(thread);
            let (held, changed) = &*self.held;
            let mut held = held.lock().unwrap_or_else(|p| p.into_inner());
            while *held {
                held = changed.wait(held).unwrap_or_else(|p| p.into_inner());
            }
            drop(held);
            self.inner.sync(id)
        }
        fn remove(&self, id: SegmentId) -> io::Result<()> {
            self.inner.remove(id)
        }
        fn write_hint(&self, id: SegmentId, bytes: &[u8]) -> io::Result<()> {
            self.inner.write_hint(id, bytes)
        }
        fn read_hint(&self, id: SegmentId) -> io::Result<Option<Vec<u8>>> {
            self.inner.read_hint(id)
        }
    }

    /// Polls `done` every millisecond, for at most ten seconds.
    async fn until(what: &str, mut done: impl FnMut() -> bool) -> TestResult {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        while !done() {
            if tokio::time::Instant::now() > deadline {
                return Err(format!("timed out waiting until {what}").into());
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        Ok(())
    }

    /// `SyncPolicy::Always` (the default) and nothing in the background, so
    /// every storage operation is one a command caused.
    fn options() -> Options {
        Options::default()
            .background_hints(false)
            .compaction_policy(CompactionPolicy::default().background(false))
    }

    /// Serves `store` and sends `requests` in one write; returns every byte
    /// the server answered before it closed the connection or `expect` bytes
    /// arrived.
    async fn exchange(store: KvStore, requests: &[u8], expect: usize) -> std::io::Result<Vec<u8>> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(serve(store, listener, RespConfig::new(), async {
            let _ = stopped.await;
        }));
        let mut client = tokio::net::TcpStream::connect(addr).await?;
        client.write_all(requests).await?;
        let mut answer = Vec::new();
        while answer.len() < expect {
            if client.read_buf(&mut answer).await? == 0 {
                break;
            }
        }
        let _ = stop.send(());
        server.await??;
        Ok(answer)
    }

    fn sets(n: usize) -> Vec<u8> {
        (0..n)
            .flat_map(|i| format!("SET key{i} value{i}\r\n").into_bytes())
            .collect()
    }

    #[tokio::test]
    async fn a_pipeline_of_sets_waits_for_one_sync_before_its_replies() -> TestResult {
        let storage = FaultyStorage::new(MemStorage::new())?;
        let store = KvStore::open_with(storage.clone(), options())?;
        let before = storage.ops();
        let answer = exchange(store.clone(), &sets(16), 16 * 5).await?;
        assert_eq!(answer, b"+OK\r\n".repeat(16));
        // 16 appends and one sync for all of them (ran inline: no reads).
        assert_eq!(storage.ops() - before, 17);
        // Answered, so durable: a crash keeping only synced bytes has them.
        let crashed = KvStore::open_with(storage.crash_image(CrashMode::DropUnsynced)?, options())?;
        for i in 0..16 {
            assert_eq!(
                crashed.get(format!("key{i}"))?,
                Some(format!("value{i}").into_bytes())
            );
        }
        Ok(())
    }

    #[tokio::test]
    async fn a_failed_sync_closes_the_connection_without_replies() -> TestResult {
        let storage = FaultyStorage::new(MemStorage::new())?;
        let store = KvStore::open_with(storage.clone(), options())?;
        store.set("acknowledged", "yes")?;
        // Two appends and the GET's read, then the sync that would make the
        // appends durable fails.
        storage.inject(Fault::FailOnce {
            nth: storage.ops() + 3,
            kind: None,
        });
        let answer = exchange(store.clone(), b"SET a 1\r\nSET b 2\r\nGET a\r\n", 1).await?;
        assert_eq!(
            answer, b"",
            "a reply acknowledged a write that is not durable"
        );
        assert!(matches!(store.set("c", "3"), Err(Error::Poisoned)));
        let crashed = KvStore::open_with(storage.crash_image(CrashMode::DropUnsynced)?, options())?;
        assert_eq!(crashed.get("acknowledged")?, Some(b"yes".to_vec()));
        assert_eq!(crashed.get("a")?, None);
        Ok(())
    }

    #[tokio::test]
    async fn a_batch_on_the_blocking_pool_waits_for_its_writes_too() -> TestResult {
        let storage = FaultyStorage::new(MemStorage::new())?;
        let store = KvStore::open_with(storage.clone(), options())?;
        // `DBSIZE` sends the whole batch to the pool.
        let answer = exchange(store, b"SET a 1\r\nSET b 2\r\nDBSIZE\r\n", 14).await?;
        assert_eq!(answer, b"+OK\r\n+OK\r\n:2\r\n");
        let crashed = KvStore::open_with(storage.crash_image(CrashMode::DropUnsynced)?, options())?;
        assert_eq!(crashed.get("b")?, Some(b"2".to_vec()));
        Ok(())
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_connections_share_the_waiters_fsyncs() -> TestResult {
        const CONNECTIONS: usize = 8;
        let storage = WatchedSyncs::new()?;
        let store = KvStore::open_with(storage.clone(), options())?;
        let before = storage.syncs().len();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(serve(store.clone(), listener, RespConfig::new(), async {
            let _ = stopped.await;
        }));
        let mut clients = Vec::new();
        for _ in 0..CONNECTIONS {
            clients.push(tokio::net::TcpStream::connect(addr).await?);
        }

        // The first SET's fsync is held; the others' SETs arrive meanwhile.
        storage.hold_syncs(true);
        clients[0].write_all(b"SET key0 value0\r\n").await?;
        until("the first fsync starts", || storage.syncs().len() > before).await?;
        for (i, client) in clients.iter_mut().enumerate().skip(1) {
            client
                .write_all(format!("SET key{i} value{i}\r\n").as_bytes())
                .await?;
        }
        until("every SET is applied", || store.len() == CONNECTIONS).await?;
        let mut byte = [0; 1];
        let early = tokio::time::timeout(Duration::from_millis(50), clients[0].read(&mut byte));
        assert!(early.await.is_err(), "answered before its fsync ended");
        storage.hold_syncs(false);

        for client in &mut clients {
            let mut reply = [0; 5];
            client.read_exact(&mut reply).await?;
            assert_eq!(&reply, b"+OK\r\n");
        }
        let syncs = storage.syncs().split_off(before);
        // The held fsync covered the first SET only; the next one, every
        // other connection's.
        assert_eq!(
            syncs.len(),
            2,
            "one fsync per connection or more: {syncs:?}"
        );
        assert!(
            syncs.iter().all(|thread| thread == "resp-durability"),
            "a wait did not go through the server's durability waiter: {syncs:?}"
        );
        let crashed = KvStore::open_with(
            storage.inner.crash_image(CrashMode::DropUnsynced)?,
            options(),
        )?;
        for i in 0..CONNECTIONS {
            assert_eq!(
                crashed.get(format!("key{i}"))?,
                Some(format!("value{i}").into_bytes())
            );
        }
        let _ = stop.send(());
        drop(clients);
        server.await??;
        Ok(())
    }
}
