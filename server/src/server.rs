//! Putting it together: the route table, serving with graceful shutdown,
//! and the shutdown signal the binary waits for.
//!
//! This module imports the handlers; none of them imports it back. The
//! state they share lives in `state`, which both sides import.

use std::future::Future;
use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{Method, Uri};
use axum::routing::{get, post};
use mini_kvstore::KvStore;
use tokio::net::TcpListener;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::{DefaultOnResponse, TraceLayer};

use crate::config::Config;
use crate::error::{ApiError, ServerError};
use crate::metrics::{self, CountedListener};
use crate::request_id::{self, X_REQUEST_ID};
use crate::state::AppState;
use crate::transport::{self, Bounds};
use crate::{backup, blobs, events, introspection, listing, playground, records};

/// The server's routes over `store`:
///
/// | route | does |
/// |---|---|
/// | `GET /health` | liveness and the headline numbers |
/// | `GET /blobs?prefix=&start=&end=&after=&reverse=&limit=&values=` | a page of keys, or of keys and values |
/// | `PUT`/`POST /blobs/{*key}?ttl=` | store the body, expiring after `ttl` seconds if given (201 new, 200 replaced; `If-Match`/`If-None-Match` → 412) |
/// | `GET`/`HEAD /blobs/{*key}` | the value, with `Expires` if it expires (`If-None-Match` → 304) |
/// | `DELETE /blobs/{*key}` | delete (204, or 404; `If-Match`/`If-None-Match` → 412) |
/// | `GET /stats` | the engine's stats |
/// | `GET /segments` | the segment layout, as the playground draws it |
/// | `GET /segments?summary=true` | each segment in numbers, from the index alone |
/// | `GET /segments/{id}/records?after=&limit=` | a page of one segment's records |
/// | `GET /events` | server-sent events: `stats`, `segments` (the summary), `compaction` |
/// | `GET /compactions` | the merge policy, what it would merge next and why, the last merges |
/// | `POST /compact` | compact now, answer with the report |
/// | `GET /backup` | the store as of now, a tar archive streamed as it is made (token required when set) |
/// | `GET /metrics` | Prometheus's text format, when the config has [`Metrics`](crate::metrics::Metrics) |
/// | anything else | the playground's files, or a 404 |
///
/// Every failure is answered with a JSON `{"error": …}` body, 405 and
/// unknown paths included. Every answer carries an `x-request-id`: the
/// client's, when it sent one fit to keep, else a new one (see the
/// `request_id` module).
pub fn router(store: KvStore, config: Config) -> Router {
    routes(AppState::new(store, config))
}

/// The routes over `state`; [`run`] keeps a hold on its `/events` feed.
fn routes(state: AppState) -> Router {
    let body_limit = state.config.get_max_body_bytes();
    let time_limit = state.config.get_request_timeout();
    let blob = get(blobs::get)
        .put(blobs::put)
        .post(blobs::put)
        .delete(blobs::delete);
    let mut router = Router::new();
    if let Some(recorder) = state.config.get_metrics() {
        router = router.route_service(
            "/metrics",
            metrics::routes(state.store.clone(), recorder.clone()),
        );
    }
    router
        .route("/health", get(introspection::health))
        .route("/stats", get(introspection::stats))
        .route("/segments", get(introspection::segments))
        .route("/segments/{id}/records", get(records::list))
        .route("/events", get(events::events))
        .route("/compactions", get(introspection::compactions))
        .route("/compact", post(introspection::compact))
        .route("/backup", get(backup::get_backup))
        .route("/blobs", get(listing::list))
        // `{*key}` needs at least one character, so `/blobs/` is routed on
        // its own, to the same handlers: their key extractor answers 400,
        // after the token check as for any other key.
        .route("/blobs/", blob.clone())
        .route("/blobs/{*key}", blob)
        .method_not_allowed_fallback(method_not_allowed)
        .fallback(playground::serve)
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(axum::middleware::from_fn(move |request, next| {
            within(time_limit, request, next)
        }))
        // Outside the time limit, so a 408 is counted as the client saw it;
        // inside the routing, so the route template is known.
        .layer(axum::middleware::from_fn(metrics::http::track))
        // One line per answered request at `INFO`, in a span that carries
        // the request id; so the id layers sit outside it.
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(request_id::span)
                .on_response(DefaultOnResponse::new().level(tracing::Level::INFO)),
        )
        .layer(PropagateRequestIdLayer::new(X_REQUEST_ID))
        .layer(SetRequestIdLayer::new(X_REQUEST_ID, MakeRequestUuid))
        .layer(axum::middleware::from_fn(request_id::drop_unfit))
        .with_state(state)
}

/// Answers 408 (with the usual JSON body) when a request is not done within
/// `limit`. An engine call already handed to the blocking pool still
/// finishes: like any client timeout, a 408 to a write means "unknown".
async fn within(
    limit: std::time::Duration,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    match tokio::time::timeout(limit, next.run(request)).await {
        Ok(response) => response,
        Err(_) => ApiError::Timeout { after: limit }.into_response(),
    }
}

/// axum's own 405 has an empty body; this one says what was wrong.
async fn method_not_allowed(method: Method, uri: Uri) -> ApiError {
    ApiError::MethodNotAllowed {
        method,
        path: uri.path().to_owned(),
    }
}

/// Serves [`router`] on `listener` until `shutdown` resolves, then stops
/// accepting, ends the `/events` streams, lets the requests in flight
/// finish, and syncs the store.
///
/// Connections are bounded by the config's header-read timeout
/// ([`Config::header_timeout`]) and connection cap
/// ([`Config::connection_limit`]): see the `transport` module.
///
/// Returns once all of that is done, so a caller that exits afterwards has
/// every acknowledged write on disk, whatever the store's sync policy, and
/// no handle on the store is left behind.
pub async fn run(
    listener: TcpListener,
    store: KvStore,
    config: Config,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServerError> {
    let bounds = Bounds {
        header_timeout: config.get_header_timeout(),
        connections: Some(config.get_connection_limit().clone()),
    };
    let state = AppState::new(store.clone(), config);
    let feed = Arc::clone(&state.feed);
    let app = routes(state);
    // An event stream never finishes by itself; a graceful shutdown waits
    // for every response to, so the streams are ended as shutdown begins.
    let closing = Arc::clone(&feed);
    let shutdown = async move {
        shutdown.await;
        closing.close();
    };
    transport::serve(
        CountedListener::new(listener, "http"),
        app,
        bounds,
        shutdown,
    )
    .await;
    // Each holds a store handle; each stops within one look once closed.
    for watcher in feed.take_watchers() {
        if let Err(error) = watcher.await {
            tracing::warn!(%error, "an /events watcher failed");
        }
    }
    tracing::info!("connections drained; syncing the store");
    tokio::task::spawn_blocking(move || store.sync())
        .await
        .map_err(ServerError::SyncTask)?
        .map_err(ServerError::Sync)
}

/// Resolves on Ctrl-C (SIGINT) or, on Unix, SIGTERM: what a terminal, a
/// service manager or `docker stop` sends to ask a server to stop.
///
/// If a handler cannot be installed the failure is logged and that signal
/// is not waited for: the process then dies by the default action, which
/// is what it would have done without this function.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::warn!(%error, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut sigterm) => {
                sigterm.recv().await;
            }
            Err(error) => {
                tracing::warn!(%error, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => tracing::info!("Ctrl-C: shutting down"),
        () = terminate => tracing::info!("SIGTERM: shutting down"),
    }
}
