//! Conditional writes racing on one key, on a multi-threaded runtime: of
//! many `If-Match` PUTs sent with the same `ETag`, exactly one is stored and
//! every other gets 412 naming the winner's `ETag`; of many `If-None-Match:
//! *` PUTs, exactly one creates the key.

mod common;

use std::collections::HashSet;

use axum::http::{Method, StatusCode};
use common::{TestApp, app, put, request, send};

const RACERS: usize = 24;

/// Sends `RACERS` PUTs of `/blobs/k`, each with its own body and `headers`,
/// all at once; returns every answer's status and `ETag` with its body.
async fn race(t: &TestApp, headers: &[(&str, &str)]) -> Vec<(StatusCode, String, String)> {
    let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(RACERS));
    let mut racers = Vec::new();
    for racer in 0..RACERS {
        let app = t.app.clone();
        let barrier = barrier.clone();
        let headers: Vec<(String, String)> = headers
            .iter()
            .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
            .collect();
        racers.push(tokio::spawn(async move {
            let body = format!("racer {racer}");
            let pairs: Vec<(&str, &str)> = headers
                .iter()
                .map(|(n, v)| (n.as_str(), v.as_str()))
                .collect();
            let req = request(Method::PUT, "/blobs/k", &pairs, body.clone());
            barrier.wait().await;
            let reply = send(&app, req).await;
            (reply.status, reply.header("etag").to_owned(), body)
        }));
    }
    let mut answers = Vec::new();
    for racer in racers {
        answers.push(racer.await.expect("the racer finished"));
    }
    answers
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn of_many_if_match_puts_with_one_etag_exactly_one_wins() {
    let t = app();
    let etag = put(&t.app, "/blobs/k", "start")
        .await
        .header("etag")
        .to_owned();
    let answers = race(&t, &[("if-match", &etag)]).await;

    let winners: Vec<_> = answers
        .iter()
        .filter(|(s, _, _)| *s == StatusCode::OK)
        .collect();
    assert_eq!(winners.len(), 1, "{answers:?}");
    let (_, winning_etag, winning_body) = winners[0];
    let losers: HashSet<_> = answers
        .iter()
        .filter(|(s, _, _)| *s != StatusCode::OK)
        .map(|(status, etag, _)| (*status, etag.clone()))
        .collect();
    assert_eq!(
        losers,
        HashSet::from([(StatusCode::PRECONDITION_FAILED, winning_etag.clone())])
    );
    assert_eq!(
        t.store.get("k").ok().flatten(),
        Some(winning_body.clone().into_bytes())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn of_many_creates_exactly_one_makes_the_key() {
    let t = app();
    let answers = race(&t, &[("if-none-match", "*")]).await;
    let created: Vec<_> = answers
        .iter()
        .filter(|(s, _, _)| *s == StatusCode::CREATED)
        .collect();
    assert_eq!(created.len(), 1, "{answers:?}");
    let refused = answers
        .iter()
        .filter(|(s, etag, _)| *s == StatusCode::PRECONDITION_FAILED && *etag == created[0].1)
        .count();
    assert_eq!(refused, RACERS - 1, "{answers:?}");
    assert_eq!(
        t.store.get("k").ok().flatten(),
        Some(created[0].2.clone().into_bytes())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn if_match_star_puts_all_pass_while_the_key_exists() {
    // These need the current version first, and retry when another write
    // got in between: each racer loses at most to every other racer once.
    let t = app();
    put(&t.app, "/blobs/k", "start").await;
    let answers = race(&t, &[("if-match", "*")]).await;
    assert!(
        answers.iter().all(|(s, _, _)| *s == StatusCode::OK),
        "{answers:?}"
    );
    let versions: HashSet<_> = answers.iter().map(|(_, etag, _)| etag.clone()).collect();
    assert_eq!(versions.len(), RACERS);
}
