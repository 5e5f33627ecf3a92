//! What every handler can reach: [`AppState`], the store handle, the
//! configuration, the `/events` feed and the merge watch `/health` reads, and the bridge that runs engine
//! calls off the runtime.
//!
//! A leaf of its own so that imports run one way: the router (`server`)
//! builds an `AppState` and hands it to the handlers, and the handlers and
//! extractors (`blobs`, `introspection`, `events`, `playground`, `auth`)
//! take it back from here, never from the module that routes to them.

use std::sync::Arc;

use mini_kvstore::KvStore;

use crate::availability::MergeWatch;
use crate::config::Config;
use crate::error::ApiError;
use crate::feed::Feed;

/// The state behind every route. Cheap to clone: a store handle and `Arc`s.
#[derive(Debug, Clone)]
pub(crate) struct AppState {
    pub(crate) store: KvStore,
    pub(crate) config: Arc<Config>,
    /// What `/events` subscribers share; `run` closes it at shutdown.
    pub(crate) feed: Arc<Feed>,
    /// Merge failures in a row, for `/health`.
    pub(crate) merges: Arc<MergeWatch>,
}

impl AppState {
    /// The state for a router over `store` configured by `config`.
    pub(crate) fn new(store: KvStore, config: Config) -> Self {
        AppState {
            store,
            feed: Arc::new(Feed::new(config.get_max_event_subscribers())),
            config: Arc::new(config),
            merges: Arc::default(),
        }
    }

    /// Runs `call` against the store on tokio's blocking pool.
    ///
    /// Engine calls block: a write waits for its fsync (or for the group
    /// commit it joined), a read may wait for the writer's lock or for a
    /// disk read, compaction rewrites whole segments. On a runtime worker any
    /// of these would stall every other connection on that worker.
    pub(crate) async fn engine<T, F>(&self, call: F) -> Result<T, ApiError>
    where
        F: FnOnce(&KvStore) -> Result<T, mini_kvstore::Error> + Send + 'static,
        T: Send + 'static,
    {
        let store = self.store.clone();
        tokio::task::spawn_blocking(move || call(&store))
            .await
            .map_err(ApiError::TaskFailed)?
            .map_err(ApiError::from)
    }
}
