//! KEYS and SCAN: Redis globs, and a full SCAN iteration under concurrent
//! writes returning every key present throughout exactly once.

mod resp_common;

use std::collections::HashMap;

use mini_kvstore_server::resp::RespConfig;
use redis::{AsyncCommands, cmd};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_matches_redis_globs() -> anyhow::Result<()> {
    let server = resp_common::start(RespConfig::new()).await;
    let mut c = server.client().await;
    for key in [
        "user:1", "user:2", "user:10", "order:1", "hello", "hallo", "hxllo",
    ] {
        let _: () = c.set(key, "v").await?;
    }
    let mut found: Vec<String> = c.keys("user:?").await?;
    found.sort();
    assert_eq!(found, ["user:1", "user:2"]);
    let mut found: Vec<String> = c.keys("h[ae]llo").await?;
    found.sort();
    assert_eq!(found, ["hallo", "hello"]);
    let found: Vec<String> = c.keys("h[^ae]llo").await?;
    assert_eq!(found, ["hxllo"]);
    let found: Vec<String> = c.keys("*").await?;
    assert_eq!(found.len(), 7);
    server.stop().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_scan_returns_each_stable_key_exactly_once() -> anyhow::Result<()> {
    let server = resp_common::start(RespConfig::new()).await;
    let mut c = server.client().await;
    let mut pipe = redis::pipe();
    for i in 0..500 {
        pipe.cmd("SET")
            .arg(format!("stable:{i:04}"))
            .arg(i)
            .ignore();
    }
    let () = pipe.query_async(&mut c).await?;

    // Meanwhile another client adds and deletes keys all over the key space.
    let mut writer = server.client().await;
    let churn = tokio::spawn(async move {
        for i in 0..300 {
            let key = format!("churn:{}", i % 37);
            let _: () = writer.set(&key, i).await?;
            let _: i64 = writer.del(format!("churn:{}", (i + 11) % 37)).await?;
            let _: () = writer.set(format!("stable:{i:04}x"), i).await?;
        }
        redis::RedisResult::Ok(())
    });

    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut cursor = "0".to_string();
    let mut calls = 0;
    loop {
        let (next, keys): (String, Vec<String>) = cmd("SCAN")
            .arg(&cursor)
            .arg("COUNT")
            .arg(7)
            .query_async(&mut c)
            .await?;
        for key in keys {
            *seen.entry(key).or_default() += 1;
        }
        calls += 1;
        if next == "0" {
            break;
        }
        cursor = next;
        assert!(calls < 10_000, "the scan ends");
    }
    churn.await??;
    for i in 0..500 {
        assert_eq!(
            seen.get(&format!("stable:{i:04}")),
            Some(&1),
            "stable:{i:04}"
        );
    }
    assert!(seen.values().all(|&n| n == 1), "no key twice");

    // redis-rs's own iterator (numeric cursors) with MATCH.
    let mut iter: redis::AsyncIter<String> = c.scan_match("stable:00*").await?;
    let mut matched = Vec::new();
    while let Some(key) = iter.next_item().await {
        matched.push(key?);
    }
    drop(iter);
    matched.sort();
    matched.dedup();
    assert_eq!(matched.len(), 100 + 100, "stable:00NN and stable:00NNx");
    let e = cmd("SCAN")
        .arg("12345678")
        .query_async::<redis::Value>(&mut c)
        .await
        .unwrap_err();
    assert!(e.to_string().contains("invalid cursor"), "{e}");
    server.stop().await;
    Ok(())
}
