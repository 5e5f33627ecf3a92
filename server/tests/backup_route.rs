//! `GET /backup`: the store as a tar archive, streamed while it is made,
//! that unpacks (with the same code `kvstore restore` uses) into the same
//! store; the token guards it.

mod common;

use axum::body::Body;
use axum::http::{Method, StatusCode};
use common::{app_with, app_with_options, get, put, request, send};
use mini_kvstore::{CompactionPolicy, KvStore, Options};
use mini_kvstore_server::backup::archive::unpack_archive;

#[tokio::test]
async fn the_archive_unpacks_into_the_same_store() -> Result<(), Box<dyn std::error::Error>> {
    // Merges off, so the backup copies many segments.
    let policy = CompactionPolicy::default().background(false);
    let t = app_with_options(
        Options::default()
            .max_segment_size(4096)
            .compaction_policy(policy),
    );
    for i in 0..200 {
        assert!(
            put(
                &t.app,
                &format!("/blobs/key{i:03}"),
                format!("value {i:>60}")
            )
            .await
            .status
            .is_success()
        );
    }
    put(&t.app, "/blobs/key007", "overwritten").await;
    assert!(t.store.stats().segments > 3);

    let reply = get(&t.app, "/backup").await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.header("content-type"), "application/x-tar");
    assert_eq!(
        reply.header("content-disposition"),
        "attachment; filename=\"kvstore-backup-test-vol.tar\""
    );

    let restored = tempfile::tempdir()?;
    let manifest = unpack_archive(&reply.body[..], restored.path())?;
    assert_eq!(manifest.through_seq, t.store.stats().next_seq - 1);
    assert_eq!(manifest.segments, t.store.stats().segments);
    let copy = KvStore::open(restored.path())?;
    assert!(copy.verify()?.is_clean());
    let all = |store: &KvStore| store.iter().collect::<Result<Vec<_>, _>>();
    assert_eq!(all(&copy)?, all(&t.store)?);
    assert_eq!(copy.get("key007")?.as_deref(), Some(&b"overwritten"[..]));
    Ok(())
}

#[tokio::test]
async fn a_server_with_a_token_asks_for_it() {
    let t = app_with(|config| config.token("sesame"));
    get(&t.app, "/backup")
        .await
        .assert_error(StatusCode::UNAUTHORIZED, "");
    let with_token = send(
        &t.app,
        request(
            Method::GET,
            "/backup",
            &[("authorization", "Bearer sesame")],
            Body::empty(),
        ),
    )
    .await;
    assert_eq!(with_token.status, StatusCode::OK);
    let empty = tempfile::tempdir().expect("a directory");
    let manifest = unpack_archive(&with_token.body[..], empty.path()).expect("a whole archive");
    assert_eq!(
        manifest.through_seq, 0,
        "an empty store backs up as nothing"
    );
}
