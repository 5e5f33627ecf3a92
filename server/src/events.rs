//! `GET /events`: the store's changes as server-sent events, for the
//! playground's Server tab and anyone with `curl -N` or an `EventSource`.
//!
//! | event | data | sent |
//! |---|---|---|
//! | `stats` | `/stats`' JSON | at connect, and when any of those numbers changes |
//! | `segments` | `/segments?summary=true`'s JSON | at connect, and when the summary changes |
//! | `compaction` | a merge's report, as `/compactions` lists it | when a merge finishes |
//!
//! plus a comment line every 15 s of quiet, so that proxies and clients do
//! not take the stream for dead.
//!
//! One watcher task ([`watch`]) looks at the store every 200 ms for all
//! subscribers, and only while there are some: a look is the store's stats
//! and its list of recent merges, both a few locks and a copy of a few
//! numbers; only when the stats changed does it build the summary (a walk
//! over the index, never a read of the segments). What it sees it publishes
//! on the [`Feed`](crate::feed::Feed), already turned into events, so a
//! change costs one look and one serialization however many watch. Each
//! subscriber's stream ([`next_event`]) then sends what differs from what
//! it sent last.
//!
//! A stream ends when its client goes, or when the server begins to shut
//! down: a graceful shutdown waits for every response to finish, and an
//! event stream would otherwise never do.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use mini_kvstore::{CompactionReport, LayoutSummary, Stats};

use crate::error::ApiError;
use crate::feed::{Picture, Refused, Subscription};
use crate::introspection::StatsReply;
use crate::state::AppState;
use crate::summary::SummaryJson;

/// How often the watcher looks at the store.
const LOOK_EVERY: Duration = Duration::from_millis(200);

/// How long a stream may stay quiet before it sends a comment.
const KEEP_ALIVE: Duration = Duration::from_secs(15);

/// `GET /events`: a stream of `stats`, `segments` and `compaction` events,
/// or 503 when the server takes no more subscribers or is shutting down.
pub(crate) async fn events(State(app): State<AppState>) -> Result<Response, ApiError> {
    let watcher = app.clone();
    let subscription = app
        .feed
        .subscribe(move || tokio::spawn(watch(watcher)))
        .map_err(|refused| match refused {
            Refused::Full { max } => ApiError::TooManySubscribers { max },
            Refused::Closing => ApiError::ShuttingDown,
        })?;
    let stream = futures_util::stream::unfold(Watching::new(subscription), next_event);
    Ok(Sse::new(stream)
        .keep_alive(KeepAlive::new().interval(KEEP_ALIVE))
        .into_response())
}

/// What one subscriber has sent, and what it is about to.
struct Watching {
    subscription: Subscription,
    /// The picture last turned into events.
    sent: Option<Arc<Picture>>,
    /// The number of the last merge accounted for: sent, or already done
    /// when the subscriber connected. `None` before the first picture.
    compactions_seen: Option<u64>,
    queue: VecDeque<Event>,
}

impl Watching {
    fn new(subscription: Subscription) -> Self {
        Watching {
            subscription,
            sent: None,
            compactions_seen: None,
            queue: VecDeque::new(),
        }
    }

    /// Queues the events that tell what `picture` has that the picture
    /// sent last had not: merges first, then the state they left.
    fn take(&mut self, picture: Arc<Picture>) {
        let newest = picture.compactions.last().map_or(0, |(number, _)| *number);
        match self.compactions_seen {
            // The merges done before the subscriber came are history; the
            // first stats and summary already show what they left.
            None => {}
            Some(seen) => {
                let fresh = picture.compactions.iter().filter(|(n, _)| *n > seen);
                self.queue
                    .extend(fresh.map(|(_, event)| Event::clone(event)));
            }
        }
        self.compactions_seen = Some(newest.max(self.compactions_seen.unwrap_or(0)));
        let sent = self.sent.as_ref();
        if !sent.is_some_and(|sent| Arc::ptr_eq(&sent.stats, &picture.stats)) {
            self.queue.push_back(Event::clone(&picture.stats));
        }
        if !sent.is_some_and(|sent| Arc::ptr_eq(&sent.segments, &picture.segments)) {
            self.queue.push_back(Event::clone(&picture.segments));
        }
        self.sent = Some(picture);
    }
}

/// The next event for a subscriber: queued ones first, then those of the
/// next picture; `None` (the stream ends) once the server shuts down.
async fn next_event(mut watching: Watching) -> Option<(Result<Event, Infallible>, Watching)> {
    loop {
        if let Some(event) = watching.queue.pop_front() {
            return Some((Ok(event), watching));
        }
        let latest = watching.subscription.latest.borrow_and_update().clone();
        if let Some(picture) = latest
            && !watching
                .sent
                .as_ref()
                .is_some_and(|sent| Arc::ptr_eq(sent, &picture))
        {
            watching.take(picture);
            continue;
        }
        let subscription = &mut watching.subscription;
        tokio::select! {
            biased;
            _ = subscription.closing.wait_for(|closing| *closing) => return None,
            changed = subscription.latest.changed() => {
                if changed.is_err() {
                    return None;
                }
            }
        }
    }
}

/// The watcher: looks at the store every [`LOOK_EVERY`] and publishes a
/// picture when something changed, until nobody watches or the server shuts
/// down.
async fn watch(app: AppState) {
    let feed = Arc::clone(&app.feed);
    let mut closing = feed.closing();
    let mut seen = Seen::default();
    loop {
        if feed.watcher_may_stop() {
            return;
        }
        let previous = seen.stats.clone();
        let look = app
            .engine(move |store| {
                let stats = store.stats();
                let recent = store.recent_compactions();
                // Every write, merge and expiry moves a number in the stats,
                // so unchanged stats mean an unchanged summary.
                let summary = (previous.as_ref() != Some(&stats)).then(|| store.layout_summary());
                Ok((stats, recent, summary))
            })
            .await;
        match look {
            Ok((stats, recent, summary)) => {
                if let Some(picture) = seen.update(app.config.volume_id(), stats, recent, summary) {
                    feed.publish(picture);
                }
            }
            Err(error) => tracing::warn!(%error, "/events could not look at the store"),
        }
        tokio::select! {
            () = tokio::time::sleep(LOOK_EVERY) => {}
            _ = closing.wait_for(|closing| *closing) => {}
        }
    }
}

/// What the watcher saw last, and the events it made of it.
#[derive(Default)]
struct Seen {
    stats: Option<Stats>,
    stats_event: Option<Arc<Event>>,
    summary: Option<LayoutSummary>,
    segments_event: Option<Arc<Event>>,
    /// The recent merges as last seen, oldest first, numbered.
    compactions: Vec<(u64, CompactionReport, Arc<Event>)>,
}

impl Seen {
    /// Takes in a look at the store; returns the picture to publish if
    /// anything changed. `summary` is `None` when the stats did not change.
    fn update(
        &mut self,
        volume_id: &str,
        stats: Stats,
        recent: Vec<CompactionReport>,
        summary: Option<LayoutSummary>,
    ) -> Option<Picture> {
        let merged = self.number(recent);
        if let Some(summary) = summary {
            if self.summary.as_ref() != Some(&summary) {
                self.segments_event =
                    Some(Arc::new(event("segments", &SummaryJson::from(&summary))?));
                self.summary = Some(summary);
            }
            if self.stats.as_ref() != Some(&stats) {
                self.stats_event = Some(Arc::new(event(
                    "stats",
                    &StatsReply::new(volume_id, stats.clone()),
                )?));
                self.stats = Some(stats);
            }
        } else if !merged {
            return None;
        }
        Some(Picture {
            stats: Arc::clone(self.stats_event.as_ref()?),
            segments: Arc::clone(self.segments_event.as_ref()?),
            compactions: self
                .compactions
                .iter()
                .map(|(number, _, event)| (*number, Arc::clone(event)))
                .collect(),
        })
    }

    /// Numbers the merges in `recent` (the engine's last few reports,
    /// oldest first): those seen before keep their numbers, the ones after
    /// them take the next. Returns whether there are new ones.
    ///
    /// Merges run one at a time and each has inputs no other merge had, so
    /// equal reports are the same merge; a report not found any more was
    /// pushed out by newer ones, all of which are then new.
    fn number(&mut self, recent: Vec<CompactionReport>) -> bool {
        let last = self.compactions.last();
        let last_number = last.map_or(0, |(number, _, _)| *number);
        let first_new = last
            .and_then(|(_, report, _)| recent.iter().rposition(|r| r == report))
            .map_or(0, |at| at + 1);
        if first_new == recent.len() {
            return false;
        }
        let mut numbered = Vec::with_capacity(recent.len());
        for (i, report) in recent.into_iter().enumerate() {
            // `first_new - 1` is the last one seen, numbered `last_number`.
            let number = (last_number + 1 + i as u64).saturating_sub(first_new as u64);
            let Some(event) = event("compaction", &report) else {
                return false;
            };
            numbered.push((number, report, Arc::new(event)));
        }
        self.compactions = numbered;
        true
    }
}

/// An event named `name` with `data` as its JSON.
fn event(name: &str, data: &impl serde::Serialize) -> Option<Event> {
    match Event::default().event(name).json_data(data) {
        Ok(event) => Some(event),
        Err(error) => {
            tracing::error!(%error, event = name, "cannot serialize an /events event");
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use mini_kvstore::{KvStore, MemStorage, Options};

    use super::*;

    /// `n` reports of real merges, oldest first.
    fn reports(n: usize) -> Vec<CompactionReport> {
        let store = KvStore::open_with(MemStorage::new(), Options::default()).expect("open");
        for i in 0..n {
            store.set("k", i.to_string()).expect("set");
            store.compact().expect("compact");
        }
        store.recent_compactions()
    }

    fn numbers(seen: &Seen) -> Vec<u64> {
        seen.compactions.iter().map(|(n, _, _)| *n).collect()
    }

    #[test]
    fn merges_keep_their_numbers_and_new_ones_take_the_next() {
        let all = reports(5);
        let mut seen = Seen::default();
        assert!(!seen.number(Vec::new()), "no merge yet");
        assert!(seen.number(all[..2].to_vec()));
        assert_eq!(numbers(&seen), [1, 2]);
        assert!(!seen.number(all[..2].to_vec()), "nothing new");
        // The engine keeps the last few: the oldest ones drop out.
        assert!(seen.number(all[1..4].to_vec()));
        assert_eq!(numbers(&seen), [2, 3, 4]);
        assert!(!seen.number(all[2..4].to_vec()));
        assert_eq!(numbers(&seen), [2, 3, 4], "unchanged when nothing is new");
        assert!(seen.number(all[4..].to_vec()));
        assert_eq!(numbers(&seen), [5]);
    }

    #[test]
    fn more_new_merges_than_the_engine_keeps_are_all_new() {
        let all = reports(4);
        let mut seen = Seen::default();
        assert!(seen.number(all[..1].to_vec()));
        // The last one seen is gone: every report is new.
        assert!(seen.number(all[2..].to_vec()));
        assert_eq!(numbers(&seen), [2, 3]);
    }
}
