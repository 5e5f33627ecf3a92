//! `/` and unrouted paths: the built playground's files when its directory
//! exists (noticed without a restart), a page saying how to build it when
//! it does not, and a JSON 404 for anything else.

mod common;

use axum::body::Body;
use axum::http::{Method, StatusCode};
use common::{app, app_with, get, request, send};

#[tokio::test]
async fn without_a_build_the_front_page_says_how_to_build_it() {
    let t = app();
    let reply = get(&t.app, "/").await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.header("content-type"), "text/html; charset=utf-8");
    let page = String::from_utf8_lossy(&reply.body);
    assert!(page.contains("cargo xtask start"), "{page}");
    get(&t.app, "/app.js")
        .await
        .assert_error(StatusCode::NOT_FOUND, "no route for GET /app.js");
}

#[tokio::test]
async fn a_built_playground_is_served_even_if_built_after_start() {
    let dir = tempfile::tempdir().expect("tempdir");
    let dist = dir.path().join("dist");
    let t = app_with(|config| config.playground_dir(&dist));
    assert!(String::from_utf8_lossy(&get(&t.app, "/").await.body).contains("cargo xtask start"));

    std::fs::create_dir_all(&dist).expect("mkdir");
    std::fs::write(dist.join("index.html"), "<h1>playground</h1>").expect("write");
    std::fs::write(dist.join("app.js"), "console.log(1)").expect("write");

    let index = get(&t.app, "/").await;
    assert_eq!(index.status, StatusCode::OK);
    assert_eq!(index.header("content-type"), "text/html");
    assert_eq!(index.body.as_ref(), b"<h1>playground</h1>");
    let script = get(&t.app, "/app.js").await;
    assert_eq!(script.status, StatusCode::OK);
    assert_eq!(
        script.header("content-type"),
        "text/javascript",
        "{script:?}"
    );
    get(&t.app, "/missing.wasm")
        .await
        .assert_error(StatusCode::NOT_FOUND, "no route");
    // The API routes win over files of the same name.
    assert_eq!(get(&t.app, "/health").await.json()["status"], "healthy");
}

#[tokio::test]
async fn unknown_routes_are_json_404_for_every_method() {
    let t = app();
    for method in [Method::GET, Method::POST, Method::PUT, Method::DELETE] {
        send(
            &t.app,
            request(method.clone(), "/nothing/here", &[], Body::empty()),
        )
        .await
        .assert_error(
            StatusCode::NOT_FOUND,
            &format!("no route for {method} /nothing/here"),
        );
    }
}
