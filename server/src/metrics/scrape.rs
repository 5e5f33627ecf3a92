//! `GET /metrics`: the store's gauges brought up to date, then everything
//! rendered in Prometheus's text format — as a router of its own, so the
//! REST server mounts it and [`serve`] runs it alone on a port of its own.
//!
//! Reads are open, as every `GET` is: a token guards writes only.

use std::future::Future;

use axum::Router;
use axum::extract::State;
use axum::http::{Method, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use mini_kvstore::KvStore;
use tokio::net::TcpListener;

use crate::error::{ApiError, ServerError};
use crate::metrics::recorder::Metrics;
use crate::metrics::store;
use crate::transport::{self, Bounds};

/// The content type of Prometheus's text format, version 0.0.4.
const TEXT_FORMAT: &str = "text/plain; version=0.0.4; charset=utf-8";

/// What a scrape reads.
#[derive(Debug, Clone)]
struct Scrape {
    store: KvStore,
    metrics: Metrics,
}

/// `GET /metrics` over `store`, rendered by `metrics`; other methods get
/// 405, other paths 404, both with the usual JSON body.
pub(crate) fn routes(store: KvStore, metrics: Metrics) -> Router {
    Router::new()
        .route("/metrics", get(scrape))
        .method_not_allowed_fallback(|method: Method, uri: Uri| async move {
            ApiError::MethodNotAllowed {
                method,
                path: uri.path().to_owned(),
            }
        })
        .fallback(|method: Method, uri: Uri| async move {
            ApiError::NoRoute {
                method,
                path: uri.path().to_owned(),
            }
        })
        .with_state(Scrape { store, metrics })
}

async fn scrape(State(scrape): State<Scrape>) -> Result<Response, ApiError> {
    let store = scrape.store.clone();
    // `stats` takes the writer's lock, which an append holds through its
    // I/O: off the runtime, like every engine call.
    let (stats, poisoned) =
        tokio::task::spawn_blocking(move || (store.stats(), store.is_poisoned()))
            .await
            .map_err(ApiError::TaskFailed)?;
    store::record(&stats, poisoned);
    Ok((
        [(header::CONTENT_TYPE, TEXT_FORMAT)],
        scrape.metrics.render(),
    )
        .into_response())
}

/// Serves `GET /metrics` alone on `listener` (`kvstore --metrics-port N`)
/// until `shutdown` resolves: a port a scraper can reach when the API's
/// port is kept private, or with no HTTP API at all (`--no-http`).
/// Scrapes here are not counted in `kvstore_http_requests_total`.
///
/// Its connections are under the default header-read timeout
/// ([`DEFAULT_HEADER_TIMEOUT`](crate::DEFAULT_HEADER_TIMEOUT)) and not
/// under the connection cap, so that a flood on the API cannot keep a
/// scraper out.
pub async fn serve(
    listener: TcpListener,
    store: KvStore,
    metrics: Metrics,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServerError> {
    let bounds = Bounds {
        header_timeout: transport::DEFAULT_HEADER_TIMEOUT,
        connections: None,
    };
    transport::serve(listener, routes(store, metrics), bounds, shutdown).await;
    Ok(())
}
