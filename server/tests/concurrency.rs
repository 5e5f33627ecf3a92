//! Many clients at once on the same few keys — PUT, DELETE, GET and
//! compaction interleaved on a multi-threaded runtime — get only the answers
//! their requests allow, never a 5xx, and what is left afterwards is a value
//! somebody wrote.

mod common;

use std::collections::HashSet;

use axum::body::Body;
use axum::http::{Method, StatusCode};
use common::{app, get, request, send};

const CLIENTS: usize = 8;
const OPS_PER_CLIENT: usize = 150;
const KEYS: usize = 4;

/// A small deterministic generator per client: reproducible interleavings
/// are not possible across threads, but the mix of operations is.
fn next(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_writes_deletes_and_compactions_never_fail() {
    let t = app();
    let mut clients = Vec::new();
    for client in 0..CLIENTS {
        let app = t.app.clone();
        clients.push(tokio::spawn(async move {
            let mut rng = 0x9E37_79B9_7F4A_7C15 ^ (client as u64 + 1);
            let mut written = Vec::new();
            for op in 0..OPS_PER_CLIENT {
                let key = format!("/blobs/shared/{}", next(&mut rng) % KEYS as u64);
                let roll = next(&mut rng) % 100;
                let (request, allowed): (_, &[StatusCode]) = if roll < 45 {
                    let value = format!("client {client} op {op}");
                    written.push(value.clone());
                    (
                        request(Method::PUT, &key, &[], value),
                        &[StatusCode::CREATED, StatusCode::OK],
                    )
                } else if roll < 75 {
                    (
                        request(Method::DELETE, &key, &[], Body::empty()),
                        &[StatusCode::NO_CONTENT, StatusCode::NOT_FOUND],
                    )
                } else if roll < 95 {
                    (
                        request(Method::GET, &key, &[], Body::empty()),
                        &[StatusCode::OK, StatusCode::NOT_FOUND],
                    )
                } else {
                    (
                        request(Method::POST, "/compact", &[], Body::empty()),
                        &[StatusCode::OK],
                    )
                };
                let shown = format!("{} {}", request.method(), request.uri());
                let reply = send(&app, request).await;
                assert!(
                    allowed.contains(&reply.status),
                    "{shown} got {}: {:?}",
                    reply.status,
                    String::from_utf8_lossy(&reply.body)
                );
            }
            written
        }));
    }
    let mut written = HashSet::new();
    for client in clients {
        written.extend(client.await.expect("a client panicked"));
    }

    for key in 0..KEYS {
        let reply = get(&t.app, &format!("/blobs/shared/{key}")).await;
        match reply.status {
            StatusCode::OK => {
                let value = String::from_utf8_lossy(&reply.body).into_owned();
                assert!(written.contains(&value), "{value:?} was never written");
            }
            StatusCode::NOT_FOUND => {}
            other => panic!("GET after the storm: {other}"),
        }
    }
    let verify = t.store.verify().expect("verify");
    assert!(verify.is_clean(), "{verify:?}");
}
