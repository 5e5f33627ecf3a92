//! The server's durability waiter: one thread that makes the connections'
//! deferred writes durable, for all of them at once.
//!
//! A connection whose batch left writes pending
//! ([`KvStore::durability_pending_through`]) asks [`DurabilityWaiter`] to
//! wait through that seq and awaits the answer before it sends the batch's
//! replies. The thread takes one request, then every other already queued,
//! and makes all of them durable with one
//! [`KvStore::wait_durable_through`] — one fsync, in the engine's group
//! commit, covering every write appended when it starts (none if a sync
//! covered them already). As the group commit's leader that call runs one
//! fsync and returns, so the requests are answered as soon as it covers
//! them; those that arrived meanwhile are the next round. There is no
//! timer: a round is whatever queued while the previous fsync ran. So the
//! wait costs a connection no thread of its own and no hand-off to the
//! blocking pool: an unbounded channel send and a oneshot wake-up.
//!
//! Each request is answered `Ok` only once the sync covered its seq; if the
//! wait fails, every request it served gets the error (the store is
//! poisoned then), and their connections close without answering.
//!
//! [`serve`](crate::resp::serve) starts the thread ([`start`]) and stops it
//! ([`WaiterThread::stop`]) once its connections are gone.

use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::Duration;

use mini_kvstore::{Error, KvStore};
use tokio::sync::oneshot;

/// What the thread is sent.
enum Message {
    /// Answer once every write up to `through` is durable.
    Wait {
        through: u64,
        answer: oneshot::Sender<Result<(), Error>>,
    },
    /// Serve what is queued before this, then end.
    Stop,
}

/// Why a batch's writes are not known durable.
#[derive(Debug, thiserror::Error)]
pub(crate) enum NotDurable {
    /// The engine's wait failed; the store is poisoned.
    #[error(transparent)]
    Engine(#[from] Error),
    /// The waiter thread has ended (the server is stopping) before it
    /// answered.
    #[error("the durability waiter has stopped")]
    Stopped,
}

/// The connections' side: where they send their waits. Shared by every
/// connection, in [`ServerState`](crate::resp::state::ServerState).
#[derive(Debug)]
pub(crate) struct DurabilityWaiter {
    requests: mpsc::Sender<Message>,
}

impl DurabilityWaiter {
    /// Returns once every write with a seq up to `through` is durable.
    pub(crate) async fn wait_through(&self, through: u64) -> Result<(), NotDurable> {
        let (answer, answered) = oneshot::channel();
        self.requests
            .send(Message::Wait { through, answer })
            .map_err(|_| NotDurable::Stopped)?;
        answered.await.map_err(|_| NotDurable::Stopped)??;
        Ok(())
    }
}

/// The running thread, owned by [`serve`](crate::resp::serve). Dropped
/// without [`stop`](Self::stop) (the server's future was dropped), it
/// still tells the thread to end, without waiting for it.
pub(crate) struct WaiterThread {
    requests: mpsc::Sender<Message>,
    thread: Option<JoinHandle<()>>,
}

/// Starts the waiter thread over `store` (an ordinary handle of the
/// server's store, which it keeps open until it ends).
pub(crate) fn start(store: KvStore) -> std::io::Result<(DurabilityWaiter, WaiterThread)> {
    let (requests, received) = mpsc::channel();
    let thread = std::thread::Builder::new()
        .name("resp-durability".to_owned())
        .spawn(move || run(&store, &received))?;
    Ok((
        DurabilityWaiter {
            requests: requests.clone(),
        },
        WaiterThread {
            requests,
            thread: Some(thread),
        },
    ))
}

impl WaiterThread {
    /// Ends the thread once it has answered what is queued, and waits for
    /// it — for at most `timeout`, which only an fsync that hangs exceeds.
    pub(crate) async fn stop(mut self, timeout: Duration) {
        let _ = self.requests.send(Message::Stop);
        let Some(thread) = self.thread.take() else {
            return;
        };
        // Joining blocks until its fsync in progress, if any, ends.
        let joined = tokio::time::timeout(timeout, tokio::task::spawn_blocking(|| thread.join()));
        match joined.await {
            Ok(Ok(Ok(()))) => {}
            Ok(Ok(Err(_)) | Err(_)) => tracing::error!("the RESP durability waiter panicked"),
            Err(_) => tracing::warn!("the RESP durability waiter is still in an fsync; leaving it"),
        }
    }
}

impl Drop for WaiterThread {
    fn drop(&mut self) {
        if self.thread.is_some() {
            let _ = self.requests.send(Message::Stop);
        }
    }
}

/// The thread's loop: until told to stop (or every sender is gone), one
/// engine wait for everything queued.
fn run(store: &KvStore, requests: &mpsc::Receiver<Message>) {
    let mut waiting = Vec::new();
    let mut stopping = false;
    while !stopping {
        let Ok(first) = requests.recv() else {
            return;
        };
        for message in std::iter::once(first).chain(requests.try_iter()) {
            match message {
                Message::Wait { through, answer } => waiting.push((through, answer)),
                Message::Stop => stopping = true,
            }
        }
        let Some(through) = waiting.iter().map(|(through, _)| *through).max() else {
            continue;
        };
        // `Ok` covers every seq up to `through`, so each of them.
        match store.wait_durable_through(through) {
            Ok(()) => {
                for (_, answer) in waiting.drain(..) {
                    // A connection that went away no longer listens.
                    let _ = answer.send(Ok(()));
                }
            }
            Err(e) => {
                for (_, answer) in waiting.drain(..) {
                    let _ = answer.send(Err(same_failure(&e)));
                }
            }
        }
    }
}

/// `e` again, for one more of the requests it failed (`Error` is not
/// `Clone`): an I/O error with its context, kind and message; anything
/// else as [`Error::Poisoned`], which a failed wait leaves the store in.
fn same_failure(e: &Error) -> Error {
    match e {
        Error::Io { context, source } => Error::Io {
            context: context.clone(),
            source: std::io::Error::new(source.kind(), source.to_string()),
        },
        _ => Error::Poisoned,
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use mini_kvstore::storage::{Fault, FaultyStorage};
    use mini_kvstore::{CompactionPolicy, Error, KvStore, MemStorage, Options};

    use super::{NotDurable, start};

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    /// Reopens `dir`, retrying for up to ten seconds while another handle
    /// still holds it.
    async fn reopen(dir: &std::path::Path) -> Result<KvStore, Error> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            match KvStore::open(dir) {
                Err(Error::Locked { .. }) if tokio::time::Instant::now() < deadline => {
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
                opened => return opened,
            }
        }
    }

    #[tokio::test]
    async fn stopping_ends_the_thread_and_closes_its_handle() -> TestResult {
        let dir = tempfile::tempdir()?;
        let store = KvStore::open(dir.path())?;
        let (waiter, thread) = start(store.clone())?;
        let deferring = store.deferring_durability();
        deferring.set("k", "v")?;
        let through = deferring
            .durability_pending_through()
            .ok_or("not pending")?;
        waiter.wait_through(through).await?;
        assert!(!deferring.durability_pending());
        drop((store, deferring));
        thread.stop(Duration::from_secs(10)).await;
        // The thread's handle is gone with it: the directory opens at once.
        assert!(KvStore::open(dir.path())?.get("k")?.is_some());
        assert!(matches!(
            waiter.wait_through(through).await,
            Err(NotDurable::Stopped)
        ));
        Ok(())
    }

    #[tokio::test]
    async fn dropping_the_thread_without_stopping_it_still_ends_it() -> TestResult {
        let dir = tempfile::tempdir()?;
        let store = KvStore::open(dir.path())?;
        let (_waiter, thread) = start(store.clone())?;
        drop((store, thread));
        reopen(dir.path()).await?;
        Ok(())
    }

    #[tokio::test]
    async fn serve_ends_its_waiter_before_it_returns() -> TestResult {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let dir = tempfile::tempdir()?;
        let store = KvStore::open(dir.path())?;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(crate::resp::serve(
            store,
            listener,
            crate::resp::RespConfig::new(),
            async {
                let _ = stopped.await;
            },
        ));
        let mut client = tokio::net::TcpStream::connect(addr).await?;
        client.write_all(b"SET k v\r\n").await?;
        let mut reply = [0; 5];
        client.read_exact(&mut reply).await?;
        assert_eq!(&reply, b"+OK\r\n");
        let _ = stop.send(());
        server.await??;
        // No thread of the server holds the store any more.
        assert_eq!(KvStore::open(dir.path())?.get("k")?, Some(b"v".to_vec()));
        Ok(())
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_failed_wait_fails_every_request_it_served() -> TestResult {
        let storage = FaultyStorage::new(MemStorage::new())?;
        let options = Options::default()
            .background_hints(false)
            .compaction_policy(CompactionPolicy::default().background(false));
        let store = KvStore::open_with(storage.clone(), options)?;
        let (waiter, thread) = start(store.clone())?;
        let (a, b) = (store.deferring_durability(), store.deferring_durability());
        a.set("a", "1")?;
        b.set("b", "2")?;
        let (Some(through_a), Some(through_b)) = (
            a.durability_pending_through(),
            b.durability_pending_through(),
        ) else {
            return Err("not pending".into());
        };
        // The next operation, the waiter's sync, fails.
        storage.inject(Fault::FailOnce {
            nth: storage.ops(),
            kind: None,
        });
        let (answer_a, answer_b) = tokio::join!(
            waiter.wait_through(through_a),
            waiter.wait_through(through_b)
        );
        assert!(
            matches!(answer_a, Err(NotDurable::Engine(_))),
            "{answer_a:?}"
        );
        assert!(
            matches!(answer_b, Err(NotDurable::Engine(_))),
            "{answer_b:?}"
        );
        assert!(a.durability_pending() && b.durability_pending());
        thread.stop(Duration::from_secs(10)).await;
        Ok(())
    }
}
