//! `GET /events` over a real socket: a subscriber gets the store's `stats`
//! and `segments` (the summary) at once, new ones after a write, a
//! `compaction` event with the merge's report after `POST /compact`, and
//! nothing while the store stands still; the request time limit does not
//! cut a stream; past the subscriber limit a client gets a JSON 503, and a
//! subscriber that leaves makes room.

mod common;

use std::time::Duration;

use axum::http::StatusCode;
use common::{EVENT_WAIT, EventStream, app_with, get, put};
use futures_util::StreamExt;
use mini_kvstore::KvStore;
use mini_kvstore_server::{Config, run};
use serde_json::json;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tower::ServiceExt;

struct Running {
    base: String,
    client: reqwest::Client,
    stop: oneshot::Sender<()>,
    server: tokio::task::JoinHandle<Result<(), mini_kvstore_server::ServerError>>,
    _dir: tempfile::TempDir,
}

async fn start() -> anyhow::Result<Running> {
    let dir = tempfile::tempdir()?;
    let store = KvStore::open(dir.path().join("data"))?;
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    let (stop, stopped) = oneshot::channel::<()>();
    let config = Config::new("events-vol").playground_dir(dir.path().join("none"));
    let server = tokio::spawn(run(listener, store, config, async {
        let _ = stopped.await;
    }));
    Ok(Running {
        base,
        client: reqwest::Client::new(),
        stop,
        server,
        _dir: dir,
    })
}

#[tokio::test]
async fn a_subscriber_sees_the_state_then_each_change() -> anyhow::Result<()> {
    let server = start().await?;
    let base = &server.base;
    let mut events = EventStream::open(&format!("{base}/events")).await?;

    // At connect: the stats, as /stats has them, then the summary.
    let first = events.next().await?.expect("a first event");
    assert_eq!(first.name, "stats");
    let stats: serde_json::Value = server
        .client
        .get(format!("{base}/stats"))
        .send()
        .await?
        .json()
        .await?;
    assert_eq!(first.data, stats);
    assert_eq!(first.data["keys"], 0);
    let second = events.next().await?.expect("a second event");
    assert_eq!(second.name, "segments");
    let summary: serde_json::Value = server
        .client
        .get(format!("{base}/segments?summary=true"))
        .send()
        .await?
        .json()
        .await?;
    assert_eq!(second.data, summary);
    assert_eq!(second.data["totals"]["live_records"], 0);

    // A write: new stats and a new summary.
    let put = server
        .client
        .put(format!("{base}/blobs/user"))
        .body("Alice")
        .send()
        .await?;
    assert_eq!(put.status(), StatusCode::CREATED);
    let stats = events.next().await?.expect("stats after the write");
    assert_eq!(stats.name, "stats");
    assert_eq!(stats.data["keys"], 1);
    assert_eq!(stats.data["next_seq"], 2);
    let segments = events.next().await?.expect("segments after the write");
    assert_eq!(segments.name, "segments");
    assert_eq!(segments.data["totals"]["live_records"], 1);
    assert_eq!(segments.data["segments"][0]["live_bytes"], 21 + 4 + 5);

    // A merge: its report first, as /compactions lists it, then the state
    // it left.
    let compacted: serde_json::Value = server
        .client
        .post(format!("{base}/compact"))
        .send()
        .await?
        .json()
        .await?;
    let compaction = events.next().await?.expect("a compaction event");
    assert_eq!(compaction.name, "compaction");
    let recent: serde_json::Value = server
        .client
        .get(format!("{base}/compactions"))
        .send()
        .await?
        .json()
        .await?;
    assert_eq!(compaction.data, recent["recent"][0]);
    assert_eq!(compaction.data["inputs"], json!([1]));
    assert_eq!(compaction.data["outputs"], compacted["outputs"]);
    assert_eq!(compaction.data["trigger"], "full");
    let stats = events.next_named("stats").await?;
    assert_eq!(stats.data["compactions"], 1);
    let segments = events.next_named("segments").await?;
    assert_eq!(segments.data["segments"][1]["kind"], "compacted");

    // A store standing still sends nothing (no keep-alive within 15 s).
    let quiet = tokio::time::timeout(Duration::from_millis(800), events.next()).await;
    assert!(quiet.is_err(), "an event with nothing changed: {quiet:?}");

    server.stop.send(()).ok();
    tokio::time::timeout(Duration::from_secs(10), server.server).await???;
    Ok(())
}

#[tokio::test]
async fn a_second_subscriber_gets_the_current_state_and_no_old_merges() -> anyhow::Result<()> {
    let server = start().await?;
    let base = &server.base;
    let mut early = EventStream::open(&format!("{base}/events")).await?;
    early.next_named("segments").await?;
    server
        .client
        .put(format!("{base}/blobs/a"))
        .body("1")
        .send()
        .await?;
    server.client.post(format!("{base}/compact")).send().await?;
    early.next_named("compaction").await?;
    let seen = early.next_named("stats").await?;
    early.next_named("segments").await?;

    // The watcher is running: a new subscriber starts from what it saw.
    let mut late = EventStream::open(&format!("{base}/events")).await?;
    let first = late.next().await?.expect("stats");
    assert_eq!((first.name.as_str(), &first.data), ("stats", &seen.data));
    assert_eq!(
        late.next().await?.map(|e| e.name).as_deref(),
        Some("segments")
    );
    // The merge done before it came is not sent as news.
    server
        .client
        .put(format!("{base}/blobs/b"))
        .body("2")
        .send()
        .await?;
    assert_eq!(late.next().await?.map(|e| e.name).as_deref(), Some("stats"));
    assert_eq!(
        early.next().await?.map(|e| e.name).as_deref(),
        Some("stats")
    );

    server.stop.send(()).ok();
    tokio::time::timeout(Duration::from_secs(10), server.server).await???;
    Ok(())
}

/// `GET /events` through the router, without a socket.
async fn subscribe(app: &axum::Router) -> axum::response::Response {
    app.clone()
        .oneshot(common::request(
            axum::http::Method::GET,
            "/events",
            &[],
            axum::body::Body::empty(),
        ))
        .await
        .expect("routers do not fail")
}

#[tokio::test]
async fn the_request_time_limit_does_not_cut_a_stream() -> anyhow::Result<()> {
    let t = app_with(|config| config.request_timeout(Duration::from_millis(100)));
    let response = subscribe(&t.app).await;
    assert_eq!(response.status(), StatusCode::OK);
    let mut body = response.into_body().into_data_stream();
    let mut next = async || -> anyhow::Result<String> {
        let frame = tokio::time::timeout(EVENT_WAIT, body.next()).await?;
        let bytes = frame.ok_or_else(|| anyhow::anyhow!("the stream ended"))??;
        Ok(String::from_utf8(bytes.to_vec())?)
    };
    assert!(next().await?.starts_with("event: stats\n"));
    assert!(next().await?.starts_with("event: segments\n"));
    // Well past the limit, the stream still tells of a write.
    tokio::time::sleep(Duration::from_millis(400)).await;
    put(&t.app, "/blobs/late", "1").await;
    let stats = next().await?;
    assert!(stats.starts_with("event: stats\n"), "{stats}");
    assert!(stats.contains("\"keys\":1,"), "{stats}");
    Ok(())
}

#[tokio::test]
async fn subscribers_past_the_limit_get_503_until_one_leaves() {
    let t = app_with(|config| config.max_event_subscribers(2));
    let open = || subscribe(&t.app);
    let first = open().await;
    let second = open().await;
    assert_eq!(first.status(), StatusCode::OK);
    assert_eq!(second.status(), StatusCode::OK);
    assert_eq!(first.headers()["content-type"], "text/event-stream");

    let refused = get(&t.app, "/events").await;
    refused.assert_error(
        StatusCode::SERVICE_UNAVAILABLE,
        "2 clients are watching /events",
    );
    assert_eq!(refused.header("retry-after"), "10");

    // A stream dropped (its client gone) makes room.
    drop(first);
    let third = open().await;
    assert_eq!(third.status(), StatusCode::OK);
    drop((second, third));
}
