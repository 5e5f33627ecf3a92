//! The server on a real socket (port 0) through `run`, driven by an HTTP
//! client: the original README's curl session, HEAD's `Content-Length` on
//! the wire, and a clean stop when the shutdown future resolves.

use std::net::SocketAddr;

use mini_kvstore::KvStore;
use mini_kvstore_server::{Config, run};
use reqwest::StatusCode;
use serde_json::json;
use tokio::net::TcpListener;
use tokio::sync::oneshot;

struct Running {
    base: String,
    address: SocketAddr,
    stop: oneshot::Sender<()>,
    server: tokio::task::JoinHandle<Result<(), mini_kvstore_server::ServerError>>,
    _dir: tempfile::TempDir,
}

async fn start() -> anyhow::Result<Running> {
    let dir = tempfile::tempdir()?;
    let store = KvStore::open(dir.path().join("data"))?;
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let address = listener.local_addr()?;
    let (stop, stopped) = oneshot::channel::<()>();
    let config = Config::new("my-vol").playground_dir(dir.path().join("none"));
    let server = tokio::spawn(run(listener, store, config, async {
        let _ = stopped.await;
    }));
    Ok(Running {
        base: format!("http://{address}"),
        address,
        stop,
        server,
        _dir: dir,
    })
}

#[tokio::test]
async fn the_original_readme_session_works_over_http() -> anyhow::Result<()> {
    let server = start().await?;
    let client = reqwest::Client::new();
    let base = &server.base;

    // curl http://localhost:8000/health
    let health = client.get(format!("{base}/health")).send().await?;
    assert_eq!(health.status(), StatusCode::OK);
    let health: serde_json::Value = health.json().await?;
    assert_eq!(health["status"], "healthy");
    assert_eq!(health["volume_id"], "my-vol");

    // curl -X POST http://localhost:8000/blobs/user -d 'Alice'
    // (curl sends a form content type; the body is stored as it is.)
    let created = client
        .post(format!("{base}/blobs/user"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("Alice")
        .send()
        .await?;
    assert_eq!(created.status(), StatusCode::CREATED);
    assert_eq!(created.headers()["location"], "/blobs/user");

    // curl http://localhost:8000/blobs/user
    let value = client.get(format!("{base}/blobs/user")).send().await?;
    assert_eq!(value.status(), StatusCode::OK);
    assert_eq!(value.headers()["content-type"], "application/octet-stream");
    assert_eq!(value.text().await?, "Alice");

    // HEAD over the wire keeps the length of the body it leaves out.
    let head = client.head(format!("{base}/blobs/user")).send().await?;
    assert_eq!(head.status(), StatusCode::OK);
    assert_eq!(head.headers()["content-length"], "5");

    // A percent-encoded key with a slash and non-ASCII survives the client.
    let odd = client
        .put(format!("{base}/blobs/caf%C3%A9%2Fmenu"))
        .body("crêpes")
        .send()
        .await?;
    assert_eq!(odd.status(), StatusCode::CREATED);
    assert_eq!(odd.headers()["location"], "/blobs/caf%C3%A9/menu");
    let back = client
        .get(format!("{base}/blobs/caf%C3%A9/menu"))
        .send()
        .await?;
    assert_eq!(back.text().await?, "crêpes");

    // curl -X DELETE http://localhost:8000/blobs/user
    let deleted = client.delete(format!("{base}/blobs/user")).send().await?;
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    let gone = client.get(format!("{base}/blobs/user")).send().await?;
    assert_eq!(gone.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        gone.json::<serde_json::Value>().await?,
        json!({"error": "key not found"})
    );

    // curl http://localhost:8000/blobs
    let listed: serde_json::Value = client
        .get(format!("{base}/blobs"))
        .send()
        .await?
        .json()
        .await?;
    assert_eq!(listed, json!({"keys": ["café/menu"], "next": null}));

    server.stop.send(()).ok();
    server.server.await??;
    // The listener is closed: nobody answers on the port any more.
    let refused = tokio::net::TcpStream::connect(server.address)
        .await
        .map(|_| ())
        .map_err(|e| e.kind());
    assert_eq!(refused, Err(std::io::ErrorKind::ConnectionRefused));
    Ok(())
}
