//! [`Feed`]: what `GET /events` subscribers share — the latest picture of
//! the store, the limit on how many watch at once, and the signal that the
//! server is shutting down.
//!
//! One watcher task looks at the store for all subscribers (it lives in
//! `events`, and runs only while someone watches), and publishes a
//! [`Picture`] when something changed: the events ready to send, built
//! once however many subscribers there are. Each subscriber waits for the
//! next picture and sends what differs from the last one it sent. A
//! subscriber that falls behind skips to the newest picture, which holds
//! the store's state as it is now and the last compactions, numbered so
//! that none is sent twice or skipped.
//!
//! A leaf, like `state`, so that imports run one way: `events` runs the
//! watcher and the streams over this, and `server` closes it at shutdown,
//! so that no stream holds a graceful shutdown open.

use std::sync::{Arc, Mutex, MutexGuard};

use axum::response::sse::Event;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};
use tokio::task::JoinHandle;

/// What a watcher saw at one look, as events ready to send.
#[derive(Debug)]
pub(crate) struct Picture {
    /// `stats`: `/stats`' JSON.
    pub(crate) stats: Arc<Event>,
    /// `segments`: `/segments?summary=true`'s JSON. The same `Arc` as the
    /// picture before when the summary did not change.
    pub(crate) segments: Arc<Event>,
    /// `compaction` events of the last merges, oldest first, each with its
    /// number: a later merge has a higher number, so a subscriber sends
    /// those above the highest it sent.
    pub(crate) compactions: Vec<(u64, Arc<Event>)>,
}

/// Why a subscription was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refused {
    /// As many subscribers as allowed are watching.
    Full { max: usize },
    /// The server is shutting down.
    Closing,
}

/// The subscribers' shared state; one per router.
#[derive(Debug)]
pub(crate) struct Feed {
    latest: watch::Sender<Option<Arc<Picture>>>,
    closing: watch::Sender<bool>,
    permits: Arc<Semaphore>,
    max: usize,
    watchers: Mutex<Watchers>,
}

/// The watcher tasks: the one that runs, and those that stopped or are
/// about to (each holds a store handle until it has).
#[derive(Debug, Default)]
struct Watchers {
    running: Option<JoinHandle<()>>,
    stopping: Vec<JoinHandle<()>>,
}

/// One subscriber's hold on the feed; dropping it lets another in.
#[derive(Debug)]
pub(crate) struct Subscription {
    /// The latest picture; `None` until the watcher's first look.
    pub(crate) latest: watch::Receiver<Option<Arc<Picture>>>,
    /// Turns `true` when the server begins to shut down.
    pub(crate) closing: watch::Receiver<bool>,
    _permit: OwnedSemaphorePermit,
}

impl Feed {
    /// A feed that takes at most `max` subscribers at once.
    pub(crate) fn new(max: usize) -> Self {
        Feed {
            latest: watch::Sender::new(None),
            closing: watch::Sender::new(false),
            permits: Arc::new(Semaphore::new(max)),
            max,
            watchers: Mutex::default(),
        }
    }

    fn watchers(&self) -> MutexGuard<'_, Watchers> {
        // Nothing under this lock can panic half-way through a change.
        self.watchers
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// A new subscriber, unless the feed is full or closing. Starts the
    /// watcher with `start` when none runs.
    pub(crate) fn subscribe(
        &self,
        start: impl FnOnce() -> JoinHandle<()>,
    ) -> Result<Subscription, Refused> {
        if *self.closing.borrow() {
            return Err(Refused::Closing);
        }
        let permit = Arc::clone(&self.permits)
            .try_acquire_owned()
            .map_err(|_| Refused::Full { max: self.max })?;
        // Under the lock the watcher checks before it stops, so that it
        // either sees this subscriber or has stopped and is started again.
        let mut watchers = self.watchers();
        let subscription = Subscription {
            latest: self.latest.subscribe(),
            closing: self.closing.subscribe(),
            _permit: permit,
        };
        // A watcher that finished without asking to stop has panicked.
        if watchers
            .running
            .as_ref()
            .is_none_or(JoinHandle::is_finished)
            && let Some(old) = watchers.running.replace(start())
        {
            watchers.stopping.push(old);
        }
        Ok(subscription)
    }

    /// Gives every subscriber `picture`.
    pub(crate) fn publish(&self, picture: Picture) {
        self.latest.send_replace(Some(Arc::new(picture)));
    }

    /// For the watcher before each look: `true` when it should stop, because
    /// nobody watches any more or the server is shutting down. The picture
    /// is then dropped, so that a later subscriber waits for a fresh one
    /// rather than getting a stale one.
    pub(crate) fn watcher_may_stop(&self) -> bool {
        let mut watchers = self.watchers();
        if self.latest.receiver_count() > 0 && !*self.closing.borrow() {
            return false;
        }
        self.latest.send_replace(None);
        // The task asking is the running one; it is about to return.
        watchers.stopping.retain(|task| !task.is_finished());
        if let Some(task) = watchers.running.take() {
            watchers.stopping.push(task);
        }
        true
    }

    /// A handle on the shutdown signal, for the watcher to wait on.
    pub(crate) fn closing(&self) -> watch::Receiver<bool> {
        self.closing.subscribe()
    }

    /// Shutdown begins: every stream ends, no new one starts, and the
    /// watcher stops.
    pub(crate) fn close(&self) {
        self.closing.send_replace(true);
    }

    /// Every watcher task there was and may still be running, to wait for
    /// after [`close`](Self::close), so that no store handle outlives the
    /// server.
    pub(crate) fn take_watchers(&self) -> Vec<JoinHandle<()>> {
        let mut watchers = self.watchers();
        let mut tasks = std::mem::take(&mut watchers.stopping);
        tasks.extend(watchers.running.take());
        tasks
    }
}
