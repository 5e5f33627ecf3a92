//! `?ttl=SECONDS` on `PUT` and `POST`, and `Expires` on reads, by a
//! `ManualClock`: a value with a time to live is served with `Expires` (the
//! store's clock plus what is left, as an HTTP-date) and `Cache-Control:
//! no-cache`, on 200, `HEAD` and 304 alike, and reads as absent once the
//! clock passes it; a write without `ttl` stores a value that does not
//! expire; a bad `ttl` is 400, and so is a `ttl` with `If-Match` or
//! `If-None-Match`, with nothing written.

mod common;

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Method, StatusCode};
use common::{TestApp, app_with_clock, delete, get, put, request, send};
use mini_kvstore::ManualClock;

/// 29.5 s before RFC 9110 §5.6.7's example date, `Sun, 06 Nov 1994
/// 08:49:37 GMT`: a time to live of 30 s set then expires half a second
/// after the example, and `Expires` rounds down to it.
const START_MS: u64 = 784_111_747_500;
const THIRTY_SECONDS_ON: &str = "Sun, 06 Nov 1994 08:49:37 GMT";

fn clocked() -> (TestApp, Arc<ManualClock>) {
    let clock = Arc::new(ManualClock::new(START_MS));
    (app_with_clock(clock.clone()), clock)
}

#[tokio::test]
async fn a_value_with_a_ttl_carries_expires_until_it_is_gone() {
    let (t, clock) = clocked();
    let created = put(&t.app, "/blobs/session?ttl=30", "token").await;
    assert_eq!(created.status, StatusCode::CREATED);
    let etag = created.header("etag").to_owned();

    for method in [Method::GET, Method::HEAD] {
        let reply = send(
            &t.app,
            request(method.clone(), "/blobs/session", &[], Body::empty()),
        )
        .await;
        assert_eq!(reply.status, StatusCode::OK, "{method}");
        assert_eq!(reply.header("expires"), THIRTY_SECONDS_ON, "{method}");
        assert_eq!(reply.header("cache-control"), "no-cache", "{method}");
        assert_eq!(reply.header("etag"), etag, "{method}");
    }

    // The clock moves; the expiry does not.
    clock.advance(29_000);
    let reply = get(&t.app, "/blobs/session").await;
    assert_eq!(reply.header("expires"), THIRTY_SECONDS_ON);
    assert_eq!(reply.body.as_ref(), b"token");

    clock.advance(1_000);
    get(&t.app, "/blobs/session")
        .await
        .assert_error(StatusCode::NOT_FOUND, "key not found");
    let listing = get(&t.app, "/blobs").await.json();
    assert_eq!(listing["keys"], serde_json::json!([]));
    delete(&t.app, "/blobs/session")
        .await
        .assert_error(StatusCode::NOT_FOUND, "key not found");
    // Written again, an expired key is new.
    assert_eq!(
        put(&t.app, "/blobs/session", "again").await.status,
        StatusCode::CREATED
    );
}

#[tokio::test]
async fn post_takes_a_ttl_and_a_write_without_one_clears_it() {
    let (t, _clock) = clocked();
    let posted = send(&t.app, request(Method::POST, "/blobs/k?ttl=30", &[], "v1")).await;
    assert_eq!(posted.status, StatusCode::CREATED);
    assert_eq!(
        get(&t.app, "/blobs/k").await.header("expires"),
        THIRTY_SECONDS_ON
    );
    assert_eq!(t.store.ttl("k").map(|left| left.as_secs()), Some(30));

    let replaced = put(&t.app, "/blobs/k", "v2").await;
    assert_eq!(replaced.status, StatusCode::OK);
    let reply = get(&t.app, "/blobs/k").await;
    assert_eq!(reply.header("expires"), "");
    assert_eq!(reply.header("cache-control"), "");
    assert_eq!(t.store.ttl("k"), None);

    // A ttl among other parameters, on a key that exists: 200, expiring.
    let again = put(&t.app, "/blobs/k?other=1&ttl=86400", "v3").await;
    assert_eq!(again.status, StatusCode::OK);
    assert_eq!(
        get(&t.app, "/blobs/k").await.header("expires"),
        "Mon, 07 Nov 1994 08:49:07 GMT"
    );
}

#[tokio::test]
async fn a_304_carries_the_expiry_too() {
    let (t, _clock) = clocked();
    let etag = put(&t.app, "/blobs/k?ttl=30", "v")
        .await
        .header("etag")
        .to_owned();
    let reply = send(
        &t.app,
        request(
            Method::GET,
            "/blobs/k",
            &[("if-none-match", &etag)],
            Body::empty(),
        ),
    )
    .await;
    assert_eq!(reply.status, StatusCode::NOT_MODIFIED);
    assert_eq!(reply.header("etag"), etag);
    assert_eq!(reply.header("expires"), THIRTY_SECONDS_ON);
    assert_eq!(reply.header("cache-control"), "no-cache");
    assert!(reply.body.is_empty());
}

#[tokio::test]
async fn a_bad_ttl_is_400_and_writes_nothing() {
    let (t, _clock) = clocked();
    for query in [
        "ttl=0",
        "ttl=-5",
        "ttl=soon",
        "ttl=1.5",
        "ttl=30s",
        "ttl=",
        "ttl=99999999999999999999",
    ] {
        for method in [Method::PUT, Method::POST] {
            let uri = format!("/blobs/k?{query}");
            send(&t.app, request(method.clone(), &uri, &[], "v"))
                .await
                .assert_error(
                    StatusCode::BAD_REQUEST,
                    "ttl must be a whole number of seconds",
                );
        }
    }
    assert_eq!(t.store.get("k").expect("read the store"), None);
}

#[tokio::test]
async fn a_ttl_with_a_condition_is_400_and_writes_nothing() {
    let (t, _clock) = clocked();
    let etag = put(&t.app, "/blobs/k", "v1")
        .await
        .header("etag")
        .to_owned();
    for condition in [
        ("if-match", etag.as_str()),
        ("if-match", "*"),
        ("if-none-match", "*"),
        ("if-none-match", "\"999\""),
    ] {
        send(
            &t.app,
            request(Method::PUT, "/blobs/k?ttl=30", &[condition], "v2"),
        )
        .await
        .assert_error(
            StatusCode::BAD_REQUEST,
            "?ttl cannot be combined with If-Match or If-None-Match",
        );
    }
    assert_eq!(
        t.store.get("k").expect("read the store"),
        Some(b"v1".to_vec())
    );
    assert_eq!(t.store.ttl("k"), None);

    // Conditions without a ttl still work on an expiring key (and, like
    // any write without a ttl, leave it without an expiry).
    let expiring = put(&t.app, "/blobs/k?ttl=30", "v3").await;
    let etag = expiring.header("etag").to_owned();
    let stale = send(
        &t.app,
        request(Method::PUT, "/blobs/k", &[("if-match", "\"1\"")], "v4"),
    )
    .await;
    assert_eq!(stale.status, StatusCode::PRECONDITION_FAILED);
    assert_eq!(stale.header("etag"), etag);
    let current = send(
        &t.app,
        request(Method::PUT, "/blobs/k", &[("if-match", &etag)], "v4"),
    )
    .await;
    assert_eq!(current.status, StatusCode::OK);
    assert_eq!(t.store.ttl("k"), None);
}

#[tokio::test]
async fn an_expiry_past_the_year_9999_is_sent_as_its_last_second() {
    let (t, _clock) = clocked();
    assert_eq!(
        put(&t.app, "/blobs/k?ttl=18446744073709551615", "v")
            .await
            .status,
        StatusCode::CREATED
    );
    assert_eq!(
        get(&t.app, "/blobs/k").await.header("expires"),
        "Fri, 31 Dec 9999 23:59:59 GMT"
    );
}
