//! The string commands that change a value in place or its expiry as they
//! read it — GETEX, SETRANGE, INCRBYFLOAT — through redis-rs: Redis's
//! answers, its error texts, the store's limits, and expiries by the
//! store's clock.

mod resp_common;

use mini_kvstore_server::resp::RespConfig;
use redis::{AsyncCommands, RedisResult, cmd};
use resp_common::{START_MS, error_of};

// --- GETEX ---

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn getex_without_options_reads_and_leaves_the_expiry() -> anyhow::Result<()> {
    let server = resp_common::start(RespConfig::new()).await;
    let mut c = server.client().await;
    let _: () = c.set_ex("k", "v", 10).await?;
    let got: Option<String> = cmd("GETEX").arg("k").query_async(&mut c).await?;
    assert_eq!(got.as_deref(), Some("v"));
    assert_eq!(c.ttl::<_, i64>("k").await?, 10);
    let missing: Option<String> = cmd("GETEX").arg("nope").query_async(&mut c).await?;
    assert_eq!(missing, None);
    server.stop().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn getex_ex_and_px_give_a_new_time_to_live() -> anyhow::Result<()> {
    let server = resp_common::start(RespConfig::new()).await;
    let mut c = server.client().await;
    let _: () = c.set("k", "v").await?;
    let got: String = cmd("GETEX")
        .arg("k")
        .arg("EX")
        .arg(5)
        .query_async(&mut c)
        .await?;
    assert_eq!(got, "v");
    assert_eq!(c.ttl::<_, i64>("k").await?, 5);
    let _: String = cmd("GETEX")
        .arg("k")
        .arg("px")
        .arg(2_500)
        .query_async(&mut c)
        .await?;
    assert_eq!(c.pttl::<_, i64>("k").await?, 2_500);
    server.clock.advance(2_501);
    assert_eq!(c.get::<_, Option<String>>("k").await?, None);
    server.stop().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn getex_exat_and_pxat_expire_at_a_unix_time() -> anyhow::Result<()> {
    let server = resp_common::start(RespConfig::new()).await;
    let mut c = server.client().await;
    let _: () = c.set("k", "v").await?;
    let start_secs = START_MS / 1000;
    let _: String = cmd("GETEX")
        .arg("k")
        .arg("EXAT")
        .arg(start_secs + 10)
        .query_async(&mut c)
        .await?;
    assert_eq!(c.ttl::<_, i64>("k").await?, 10);
    let _: String = cmd("GETEX")
        .arg("k")
        .arg("PXAT")
        .arg(START_MS + 4_000)
        .query_async(&mut c)
        .await?;
    assert_eq!(c.pttl::<_, i64>("k").await?, 4_000);
    server.stop().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn getex_at_a_time_gone_by_answers_then_deletes() -> anyhow::Result<()> {
    let server = resp_common::start(RespConfig::new()).await;
    let mut c = server.client().await;
    let _: () = c.set("k", "v").await?;
    let got: String = cmd("GETEX")
        .arg("k")
        .arg("PXAT")
        .arg(START_MS - 1)
        .query_async(&mut c)
        .await?;
    assert_eq!(got, "v");
    assert_eq!(c.exists::<_, i64>("k").await?, 0);
    server.stop().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn getex_persist_takes_the_expiry_away() -> anyhow::Result<()> {
    let server = resp_common::start(RespConfig::new()).await;
    let mut c = server.client().await;
    let _: () = c.set_ex("k", "v", 10).await?;
    let got: String = cmd("GETEX")
        .arg("k")
        .arg("PERSIST")
        .query_async(&mut c)
        .await?;
    assert_eq!(got, "v");
    assert_eq!(c.ttl::<_, i64>("k").await?, -1);
    server.clock.advance(20_000);
    assert_eq!(c.get::<_, Option<String>>("k").await?.as_deref(), Some("v"));
    server.stop().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn getex_refuses_options_as_redis_does() -> anyhow::Result<()> {
    let server = resp_common::start(RespConfig::new()).await;
    let mut c = server.client().await;
    let _: () = c.set("k", "v").await?;
    let getex = |options: &[&str]| {
        let mut command = cmd("GETEX");
        command.arg("k").arg(options);
        command
    };
    assert_eq!(
        error_of(&mut c, &getex(&["EX", "0"])).await,
        "ERR invalid expire time in 'getex' command"
    );
    assert_eq!(
        error_of(&mut c, &getex(&["PX", "-5"])).await,
        "ERR invalid expire time in 'getex' command"
    );
    assert_eq!(
        error_of(&mut c, &getex(&["EX", "soon"])).await,
        "ERR value is not an integer or out of range"
    );
    for options in [
        &["EX", "1", "PX", "2"][..],
        &["EX", "1", "EX", "2"],
        &["PERSIST", "EX", "1"],
        &["EX"],
        &["KEEPTTL"],
        &["NX"],
    ] {
        assert_eq!(
            error_of(&mut c, &getex(options)).await,
            "ERR syntax error",
            "{options:?}"
        );
    }
    assert_eq!(c.ttl::<_, i64>("k").await?, -1, "nothing was changed");
    // The time is looked at once the key is found, as in Redis.
    let missing: Option<String> = cmd("GETEX")
        .arg("nope")
        .arg("EX")
        .arg(0)
        .query_async(&mut c)
        .await?;
    assert_eq!(missing, None);
    server.stop().await;
    Ok(())
}

// --- SETRANGE ---

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn setrange_overwrites_part_of_a_value() -> anyhow::Result<()> {
    let server = resp_common::start(RespConfig::new()).await;
    let mut c = server.client().await;
    let _: () = c.set("k", "Hello World").await?;
    let len: i64 = c.setrange("k", 6, "Redis").await?;
    assert_eq!(len, 11);
    assert_eq!(c.get::<_, String>("k").await?, "Hello Redis");
    let len: i64 = c.setrange("k", 9, "Rust!").await?;
    assert_eq!(len, 14);
    assert_eq!(c.get::<_, String>("k").await?, "Hello RedRust!");
    server.stop().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn setrange_pads_with_zero_bytes() -> anyhow::Result<()> {
    let server = resp_common::start(RespConfig::new()).await;
    let mut c = server.client().await;
    let len: i64 = c.setrange("new", 6, "Redis").await?;
    assert_eq!(len, 11);
    assert_eq!(c.get::<_, Vec<u8>>("new").await?, b"\0\0\0\0\0\0Redis");
    let _: () = c.set("short", "ab").await?;
    let len: i64 = c.setrange("short", 4, "x").await?;
    assert_eq!(len, 5);
    assert_eq!(c.get::<_, Vec<u8>>("short").await?, b"ab\0\0x");
    server.stop().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn setrange_of_nothing_writes_nothing() -> anyhow::Result<()> {
    let server = resp_common::start(RespConfig::new()).await;
    let mut c = server.client().await;
    let len: i64 = c.setrange("missing", 5, "").await?;
    assert_eq!(len, 0);
    assert_eq!(c.exists::<_, i64>("missing").await?, 0, "no key is created");
    let _: () = c.set("k", "abc").await?;
    let len: i64 = c.setrange("k", 10, "").await?;
    assert_eq!(len, 3);
    assert_eq!(c.get::<_, String>("k").await?, "abc");
    server.stop().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn setrange_keeps_the_expiry() -> anyhow::Result<()> {
    let server = resp_common::start(RespConfig::new()).await;
    let mut c = server.client().await;
    let _: () = c.set_ex("k", "value", 10).await?;
    let _: i64 = c.setrange("k", 0, "V").await?;
    assert_eq!(c.get::<_, String>("k").await?, "Value");
    assert_eq!(c.ttl::<_, i64>("k").await?, 10);
    server.stop().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn setrange_refuses_a_bad_offset() -> anyhow::Result<()> {
    let server = resp_common::start(RespConfig::new()).await;
    let mut c = server.client().await;
    let setrange = |offset: &str| {
        let mut command = cmd("SETRANGE");
        command.arg("k").arg(offset).arg("x");
        command
    };
    assert_eq!(
        error_of(&mut c, &setrange("-1")).await,
        "ERR offset is out of range"
    );
    assert_eq!(
        error_of(&mut c, &setrange("ten")).await,
        "ERR value is not an integer or out of range"
    );
    // Redis's own bound: 512 MB is past this server's proto-max-bulk-len
    // (the store's 64 MiB max_value_size by default).
    assert_eq!(
        error_of(&mut c, &setrange("536870911")).await,
        "ERR string exceeds maximum allowed size (proto-max-bulk-len)"
    );
    assert_eq!(c.exists::<_, i64>("k").await?, 0);
    server.stop().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn setrange_respects_the_store_value_limit() -> anyhow::Result<()> {
    // Requests may carry more than the store keeps, so the store's limit is
    // the one a SETRANGE meets.
    let config = RespConfig::new().max_bulk_len(1 << 20);
    let server = resp_common::start_with(config, |options| options.max_value_size(1024)).await;
    let mut c = server.client().await;
    let too_far = cmd("SETRANGE").arg("k").arg(1020).arg("123456").clone();
    assert_eq!(
        error_of(&mut c, &too_far).await,
        "ERR string exceeds the store's max_value_size (1024 bytes)"
    );
    let len: i64 = c.setrange("k", 1018, "123456").await?;
    assert_eq!(len, 1024, "a value of exactly the limit fits");
    let beyond_requests = cmd("SETRANGE").arg("k").arg(1 << 20).arg("x").clone();
    assert_eq!(
        error_of(&mut c, &beyond_requests).await,
        "ERR string exceeds maximum allowed size (proto-max-bulk-len)"
    );
    server.stop().await;
    Ok(())
}

// --- INCRBYFLOAT ---

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn incrbyfloat_formats_as_redis_does() -> anyhow::Result<()> {
    let server = resp_common::start(RespConfig::new()).await;
    let mut c = server.client().await;
    let incr = |key: &str, by: &str| cmd("INCRBYFLOAT").arg(key).arg(by).clone();
    let _: () = c.set("k", "10.50").await?;
    assert_eq!(
        incr("k", "0.1").query_async::<String>(&mut c).await?,
        "10.6"
    );
    assert_eq!(incr("k", "-5").query_async::<String>(&mut c).await?, "5.6");
    assert_eq!(c.get::<_, String>("k").await?, "5.6");
    let _: () = c.set("big", "5.0e3").await?;
    assert_eq!(
        incr("big", "2.0e2").query_async::<String>(&mut c).await?,
        "5200"
    );
    let _: () = c.set("int", "3").await?;
    assert_eq!(
        incr("int", "1.5").query_async::<String>(&mut c).await?,
        "4.5"
    );
    assert_eq!(
        incr("fresh", "-0.25").query_async::<String>(&mut c).await?,
        "-0.25",
        "a missing key starts at 0"
    );
    server.stop().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn incrbyfloat_refuses_what_is_not_a_float() -> anyhow::Result<()> {
    let server = resp_common::start(RespConfig::new()).await;
    let mut c = server.client().await;
    let _: () = c.set("text", "abc").await?;
    let _: () = c.set("n", "1").await?;
    for (key, by) in [
        ("text", "1"),
        ("n", "abc"),
        ("n", " 1"),
        ("n", "1 "),
        ("n", "nan"),
        ("n", ""),
    ] {
        let command = cmd("INCRBYFLOAT").arg(key).arg(by).clone();
        assert_eq!(
            error_of(&mut c, &command).await,
            "ERR value is not a valid float",
            "{key} by {by:?}"
        );
    }
    assert_eq!(c.get::<_, String>("n").await?, "1");
    server.stop().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn incrbyfloat_refuses_to_reach_infinity() -> anyhow::Result<()> {
    let server = resp_common::start(RespConfig::new()).await;
    let mut c = server.client().await;
    let _: () = c.set("huge", "1.7e308").await?;
    for (key, by) in [("huge", "1.7e308"), ("n", "inf"), ("n", "-inf")] {
        let command = cmd("INCRBYFLOAT").arg(key).arg(by).clone();
        assert_eq!(
            error_of(&mut c, &command).await,
            "ERR increment would produce NaN or Infinity",
            "{key} by {by}"
        );
    }
    assert_eq!(c.get::<_, String>("huge").await?, "1.7e308");
    assert_eq!(c.exists::<_, i64>("n").await?, 0);
    server.stop().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn incrbyfloat_keeps_the_expiry() -> anyhow::Result<()> {
    let server = resp_common::start(RespConfig::new()).await;
    let mut c = server.client().await;
    let _: () = c.set_ex("k", "1", 10).await?;
    let _: String = cmd("INCRBYFLOAT")
        .arg("k")
        .arg("0.5")
        .query_async(&mut c)
        .await?;
    assert_eq!(c.ttl::<_, i64>("k").await?, 10);
    server.stop().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_incrbyfloats_lose_nothing() -> anyhow::Result<()> {
    let server = resp_common::start(RespConfig::new()).await;
    let mut tasks = Vec::new();
    for _ in 0..4 {
        let mut c = server.client().await;
        tasks.push(tokio::spawn(async move {
            for _ in 0..25 {
                let _: String = cmd("INCRBYFLOAT")
                    .arg("sum")
                    .arg("0.5")
                    .query_async(&mut c)
                    .await?;
            }
            RedisResult::Ok(())
        }));
    }
    for task in tasks {
        task.await??;
    }
    let mut c = server.client().await;
    assert_eq!(c.get::<_, String>("sum").await?, "50");
    server.stop().await;
    Ok(())
}
