//! Helpers shared by the server's integration tests: a router over a store
//! in a temporary directory, and a way to send it one request and read the
//! whole answer.
//!
//! Each test file is its own crate and uses only some of these, hence the
//! `dead_code` allowance.
#![allow(dead_code)]

use axum::Router;
use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, Method, Request, StatusCode};
use mini_kvstore::{Clock, KvStore, Options};
use mini_kvstore_server::{Config, router};
use tempfile::TempDir;
use tower::ServiceExt;

/// A router over a fresh store on disk (default options, so writes fsync as
/// the real server's do), and the store itself for checking behind its back.
pub(crate) struct TestApp {
    pub(crate) app: Router,
    pub(crate) store: KvStore,
    pub(crate) dir: TempDir,
}

/// The volume id every test server reports.
pub(crate) const VOLUME: &str = "test-vol";

/// A server with the default configuration, except that the playground is
/// looked for in a directory that does not exist, whatever the working
/// directory holds.
pub(crate) fn app() -> TestApp {
    app_with(|config| config)
}

/// A server whose configuration `tweak` adjusts.
pub(crate) fn app_with(tweak: impl FnOnce(Config) -> Config) -> TestApp {
    app_over(Options::default(), tweak)
}

/// A server over a store that tells the time by `clock` (a
/// [`ManualClock`](mini_kvstore::ManualClock), say), so a test moves time
/// instead of sleeping.
pub(crate) fn app_with_clock(clock: impl Clock) -> TestApp {
    app_over(Options::default().clock(clock), |config| config)
}

/// A server over a store opened with `options` (a small segment size, say,
/// to have several segments after a few writes).
pub(crate) fn app_with_options(options: Options) -> TestApp {
    app_over(options, |config| config)
}

fn app_over(options: Options, tweak: impl FnOnce(Config) -> Config) -> TestApp {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let store =
        KvStore::open_with_options(dir.path().join("data"), options).expect("open the store");
    let config = tweak(Config::new(VOLUME).playground_dir(dir.path().join("no-playground")));
    TestApp {
        app: router(store.clone(), config),
        store,
        dir,
    }
}

/// A whole answer.
#[derive(Debug)]
pub(crate) struct Reply {
    pub(crate) status: StatusCode,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Bytes,
}

impl Reply {
    /// The body as JSON; panics with the body shown if it is not.
    pub(crate) fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "body is not JSON ({e}): {:?}",
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    /// A header as text ("" when absent).
    pub(crate) fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    }

    /// Asserts a failure: `status`, a JSON content type and an `error`
    /// message containing `needle`.
    pub(crate) fn assert_error(&self, status: StatusCode, needle: &str) {
        assert_eq!(
            self.status,
            status,
            "body: {:?}",
            String::from_utf8_lossy(&self.body)
        );
        assert_eq!(self.header("content-type"), "application/json");
        let message = self.json()["error"]
            .as_str()
            .unwrap_or_else(|| panic!("no error message in {:?}", self.json()))
            .to_owned();
        assert!(message.contains(needle), "{message:?} lacks {needle:?}");
    }
}

/// Builds a request; `headers` are `(name, value)` pairs.
pub(crate) fn request(
    method: Method,
    uri: &str,
    headers: &[(&str, &str)],
    body: impl Into<Body>,
) -> Request<Body> {
    let mut builder = Request::builder().method(method).uri(uri);
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    builder.body(body.into()).expect("a valid request")
}

/// Sends `request` through the router (no socket) and reads the answer.
pub(crate) async fn send(app: &Router, request: Request<Body>) -> Reply {
    let response = app
        .clone()
        .oneshot(request)
        .await
        .expect("routers do not fail");
    let (parts, body) = response.into_parts();
    let body = axum::body::to_bytes(body, usize::MAX)
        .await
        .expect("read the body");
    Reply {
        status: parts.status,
        headers: parts.headers,
        body,
    }
}

/// `GET uri`.
pub(crate) async fn get(app: &Router, uri: &str) -> Reply {
    send(app, request(Method::GET, uri, &[], Body::empty())).await
}

/// `PUT uri` with `body`.
pub(crate) async fn put(app: &Router, uri: &str, body: impl Into<Body>) -> Reply {
    send(app, request(Method::PUT, uri, &[], body)).await
}

/// `DELETE uri`.
pub(crate) async fn delete(app: &Router, uri: &str) -> Reply {
    send(app, request(Method::DELETE, uri, &[], Body::empty())).await
}

/// A client of `GET /events` over a real socket: reads the stream as it
/// comes and splits it into events.
pub(crate) struct EventStream {
    response: reqwest::Response,
    /// Bytes read but not yet split into events (a chunk may end anywhere,
    /// inside a character too).
    buffer: Vec<u8>,
}

/// One server-sent event: its name and its data, parsed as JSON.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct SentEvent {
    pub(crate) name: String,
    pub(crate) data: serde_json::Value,
}

/// How long a test waits for the next event before it fails.
pub(crate) const EVENT_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

impl EventStream {
    /// Opens `url` (a server's `/events`) and checks that it is a stream of
    /// events.
    pub(crate) async fn open(url: &str) -> anyhow::Result<EventStream> {
        let response = reqwest::get(url).await?;
        anyhow::ensure!(
            response.status() == reqwest::StatusCode::OK,
            "status {}",
            response.status()
        );
        let content_type = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        anyhow::ensure!(
            content_type == "text/event-stream",
            "content type {content_type:?}"
        );
        Ok(EventStream {
            response,
            buffer: Vec::new(),
        })
    }

    /// The next event, comments skipped; `None` once the stream has ended.
    /// Fails after [`EVENT_WAIT`] without one.
    pub(crate) async fn next(&mut self) -> anyhow::Result<Option<SentEvent>> {
        loop {
            while let Some(end) = self.buffer.windows(2).position(|w| w == b"\n\n") {
                let block: Vec<u8> = self.buffer.drain(..end + 2).collect();
                let block = String::from_utf8(block)?;
                let mut name = String::from("message");
                let mut data = String::new();
                for line in block.lines() {
                    if let Some(value) = line.strip_prefix("event:") {
                        name = value.trim_start().to_owned();
                    } else if let Some(value) = line.strip_prefix("data:") {
                        data.push_str(value.trim_start());
                    }
                }
                // A block of comments only (a keep-alive) is no event.
                if !data.is_empty() {
                    let data = serde_json::from_str(&data)?;
                    return Ok(Some(SentEvent { name, data }));
                }
            }
            let chunk = tokio::time::timeout(EVENT_WAIT, self.response.chunk())
                .await
                .map_err(|_| anyhow::anyhow!("no event within {EVENT_WAIT:?}"))??;
            match chunk {
                Some(bytes) => self.buffer.extend_from_slice(&bytes),
                None => return Ok(None),
            }
        }
    }

    /// The next event named `name`, skipping any other; fails if the stream
    /// ends first.
    pub(crate) async fn next_named(&mut self, name: &str) -> anyhow::Result<SentEvent> {
        loop {
            match self.next().await? {
                Some(event) if event.name == name => return Ok(event),
                Some(_) => {}
                None => anyhow::bail!("the stream ended before a {name:?} event"),
            }
        }
    }
}
