//! `/` and every path no route claims: the browser playground's files.
//!
//! The playground is built by trunk into a directory (`dist/` by default);
//! this serves that directory with tower-http's `ServeDir`. Whether it
//! exists is checked per request, not at start-up, so a playground built
//! while the server runs is served without a restart. When there is no file
//! for a path, `/` gets a short page saying how to build the playground, and
//! any other path a JSON 404 like the rest of the API.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{Method, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use tower::ServiceExt;
use tower_http::services::ServeDir;

use crate::error::ApiError;
use crate::state::AppState;

/// The page `/` shows when the playground has not been built.
const NOT_BUILT: &str = r#"<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>mini-kvstore</title></head>
<body>
<h1>mini-kvstore</h1>
<p>The REST API is up: try <a href="/health">/health</a>, <a href="/blobs">/blobs</a>,
<a href="/stats">/stats</a> or <a href="/segments">/segments</a>.</p>
<p>The browser playground has not been built. Build it and start the server in front of it with
<code>cargo xtask start</code>, or point the server at a built copy with <code>--playground DIR</code>.</p>
</body>
</html>
"#;

/// The fallback for every unrouted path: a file of the built playground,
/// else the build hint at `/`, else a JSON 404.
pub(crate) async fn serve(State(app): State<AppState>, request: Request) -> Response {
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    if method == Method::GET || method == Method::HEAD {
        // `ServeDir` is a path and a few flags: making one per request costs
        // nothing and picks up a directory created after start-up.
        let files = ServeDir::new(app.config.get_playground_dir());
        // Its errors are `Infallible`: I/O failures already became 500s.
        let Ok(response) = files.oneshot(request).await;
        if response.status() != StatusCode::NOT_FOUND {
            return response.map(Body::new);
        }
        if matches!(path.as_str(), "/" | "/index.html") {
            return Html(NOT_BUILT).into_response();
        }
    }
    ApiError::NoRoute { method, path }.into_response()
}
