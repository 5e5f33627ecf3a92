//! A body without a length (chunked) counts as `--max-body` in the
//! in-flight budget while it is read, and as its real size once read: a
//! write that arrives meanwhile and finds no room gets 503 with
//! `Retry-After`, one after it gets in, and the budget is whole again once
//! the writes are done. A body over the limit is still 413, and takes no
//! room.

mod common;

use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::{Request, StatusCode};
use common::{app_with, put};
use mini_kvstore_server::InflightBudget;
use tower::ServiceExt;

const MAX_BODY: usize = 64 * 1024;

#[tokio::test]
async fn a_chunked_body_holds_the_body_limit_until_it_is_read() -> anyhow::Result<()> {
    // Room for one body of the limit and a bit: a second such body must wait.
    let budget = InflightBudget::new(MAX_BODY as u64 + 8 * 1024).wait(Duration::from_millis(100));
    let t = app_with(|config| {
        config
            .max_body_bytes(MAX_BODY)
            .inflight_budget(budget.clone())
    });

    // A chunked upload: one chunk now, the rest when the test says.
    let (more, chunks) = tokio::sync::mpsc::channel::<Bytes>(4);
    more.send(Bytes::from_static(b"first ")).await?;
    let stream = futures_util::stream::unfold(chunks, |mut chunks| async move {
        chunks
            .recv()
            .await
            .map(|chunk| (Ok::<_, std::io::Error>(chunk), chunks))
    });
    let request = Request::put("/blobs/chunked").body(Body::from_stream(stream))?;
    let chunked = tokio::spawn(t.app.clone().oneshot(request));
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while budget.in_flight_bytes() < MAX_BODY as u64 {
        assert!(tokio::time::Instant::now() < deadline, "no room taken");
        tokio::time::sleep(Duration::from_millis(2)).await;
    }

    // 10 KiB does not fit beside the limit's worth, and is refused.
    let refused = put(&t.app, "/blobs/waits", vec![b'w'; 10 * 1024]).await;
    refused.assert_error(
        StatusCode::SERVICE_UNAVAILABLE,
        "the most it buffers at once",
    );
    assert_eq!(refused.headers["retry-after"], "1");
    // Over the limit: 413 at once, whatever the budget.
    put(&t.app, "/blobs/huge", vec![b'h'; MAX_BODY + 1])
        .await
        .assert_error(StatusCode::PAYLOAD_TOO_LARGE, "limit of 65536 bytes");

    more.send(Bytes::from_static(b"and last")).await?;
    drop(more);
    let stored = tokio::time::timeout(Duration::from_secs(10), chunked).await???;
    assert_eq!(stored.status(), StatusCode::CREATED);
    assert_eq!(t.store.get("chunked")?, Some(b"first and last".to_vec()));
    assert_eq!(
        budget.in_flight_bytes(),
        0,
        "the chunked body's room is back"
    );

    let now = put(&t.app, "/blobs/waits", vec![b'w'; 10 * 1024]).await;
    assert_eq!(now.status, StatusCode::CREATED);
    assert_eq!(t.store.get("waits")?.map(|v| v.len()), Some(10 * 1024));
    assert!(t.store.get("huge")?.is_none());
    assert_eq!(budget.in_flight_bytes(), 0);
    Ok(())
}
