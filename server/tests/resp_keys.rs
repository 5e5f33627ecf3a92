//! The key commands through redis-rs: RENAME and RENAMENX (the expiry
//! moves with the value, all at once), EXPIREAT/PEXPIREAT and the NX, XX,
//! GT, LT options by Redis's rules and error texts, and FLUSHDB/FLUSHALL.

mod resp_common;

use mini_kvstore_server::resp::RespConfig;
use redis::{AsyncCommands, Cmd, RedisResult, cmd};
use resp_common::{START_MS, error_of};

fn command(name: &str, args: &[&str]) -> Cmd {
    let mut command = cmd(name);
    command.arg(args);
    command
}

// --- RENAME, RENAMENX ---

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rename_moves_the_value_and_its_expiry() -> anyhow::Result<()> {
    let server = resp_common::start(RespConfig::new()).await;
    let mut c = server.client().await;
    let _: () = c.set_ex("a", "1", 10).await?;
    let _: () = c.rename("a", "b").await?;
    assert_eq!(c.get::<_, Option<String>>("a").await?, None);
    assert_eq!(c.get::<_, String>("b").await?, "1");
    assert_eq!(c.ttl::<_, i64>("b").await?, 10);
    server.clock.advance(10_001);
    assert_eq!(c.exists::<_, i64>("b").await?, 0, "the expiry came along");
    server.stop().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rename_replaces_the_destination_and_its_expiry() -> anyhow::Result<()> {
    let server = resp_common::start(RespConfig::new()).await;
    let mut c = server.client().await;
    let _: () = c.set("a", "1").await?;
    let _: () = c.set_ex("b", "2", 10).await?;
    let _: () = c.rename("a", "b").await?;
    assert_eq!(c.get::<_, String>("b").await?, "1");
    assert_eq!(c.ttl::<_, i64>("b").await?, -1);
    assert_eq!(cmd("DBSIZE").query_async::<i64>(&mut c).await?, 1);
    server.stop().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn renaming_a_missing_key_is_an_error() -> anyhow::Result<()> {
    let server = resp_common::start(RespConfig::new()).await;
    let mut c = server.client().await;
    let _: () = c.set("to", "kept").await?;
    for name in ["RENAME", "RENAMENX"] {
        assert_eq!(
            error_of(&mut c, &command(name, &["nope", "to"])).await,
            "ERR no such key",
            "{name}"
        );
    }
    // An expired key is a missing one.
    let _: () = c.pset_ex("gone", "v", 100).await?;
    server.clock.advance(101);
    assert_eq!(
        error_of(&mut c, &command("RENAME", &["gone", "to"])).await,
        "ERR no such key"
    );
    assert_eq!(c.get::<_, String>("to").await?, "kept");
    server.stop().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn renamenx_leaves_an_existing_destination_alone() -> anyhow::Result<()> {
    let server = resp_common::start(RespConfig::new()).await;
    let mut c = server.client().await;
    let _: () = c.set("a", "1").await?;
    let _: () = c.set("b", "2").await?;
    assert!(!c.rename_nx::<_, _, bool>("a", "b").await?);
    assert_eq!(c.get::<_, String>("a").await?, "1");
    assert_eq!(c.get::<_, String>("b").await?, "2");
    assert!(c.rename_nx::<_, _, bool>("a", "c").await?);
    assert_eq!(c.get::<_, Option<String>>("a").await?, None);
    assert_eq!(c.get::<_, String>("c").await?, "1");
    server.stop().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn renamenx_moves_the_expiry_too() -> anyhow::Result<()> {
    let server = resp_common::start(RespConfig::new()).await;
    let mut c = server.client().await;
    let _: () = c.set_ex("t", "v", 5).await?;
    assert!(c.rename_nx::<_, _, bool>("t", "u").await?);
    assert_eq!(c.ttl::<_, i64>("u").await?, 5);
    let _: () = c.set_ex("t2", "w", 5).await?;
    assert!(
        !c.rename_nx::<_, _, bool>("t2", "u").await?,
        "u exists, expiry or not"
    );
    assert_eq!(c.get::<_, String>("u").await?, "v");
    server.stop().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn renaming_a_key_to_itself_changes_nothing() -> anyhow::Result<()> {
    let server = resp_common::start(RespConfig::new()).await;
    let mut c = server.client().await;
    let _: () = c.set_ex("a", "1", 10).await?;
    let _: () = c.rename("a", "a").await?;
    assert!(!c.rename_nx::<_, _, bool>("a", "a").await?);
    assert_eq!(c.get::<_, String>("a").await?, "1");
    assert_eq!(c.ttl::<_, i64>("a").await?, 10);
    server.stop().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn renames_racing_each_other_never_lose_or_copy_the_key() -> anyhow::Result<()> {
    let server = resp_common::start(RespConfig::new()).await;
    let mut c = server.client().await;
    let _: () = c.set("a", "v").await?;
    let mut tasks = Vec::new();
    for (from, to) in [("a", "b"), ("b", "a"), ("a", "b"), ("b", "a")] {
        let mut c = server.client().await;
        tasks.push(tokio::spawn(async move {
            let mut moved = 0;
            for _ in 0..50 {
                // The key is often under the other name: "no such key".
                let done: RedisResult<()> = c.rename(from, to).await;
                moved += i32::from(done.is_ok());
            }
            moved
        }));
    }
    let mut moved = 0;
    for task in tasks {
        moved += task.await?;
    }
    assert!(moved > 0);
    let values: Vec<Option<String>> = c.mget(&["a", "b"]).await?;
    let present: Vec<&String> = values.iter().flatten().collect();
    assert_eq!(present, [&"v".to_string()], "{values:?}");
    server.stop().await;
    Ok(())
}

// --- EXPIREAT, PEXPIREAT ---

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expireat_and_pexpireat_expire_at_a_unix_time() -> anyhow::Result<()> {
    let server = resp_common::start(RespConfig::new()).await;
    let mut c = server.client().await;
    let _: () = c.set("k", "v").await?;
    let start_secs = (START_MS / 1000) as i64;
    assert!(c.expire_at::<_, bool>("k", start_secs + 10).await?);
    assert_eq!(c.ttl::<_, i64>("k").await?, 10);
    assert!(
        c.pexpire_at::<_, bool>("k", START_MS as i64 + 2_500)
            .await?
    );
    assert_eq!(c.pttl::<_, i64>("k").await?, 2_500);
    assert!(!c.expire_at::<_, bool>("nope", start_secs + 10).await?);
    server.clock.advance(2_500);
    assert_eq!(c.exists::<_, i64>("k").await?, 0);
    server.stop().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expireat_a_time_gone_by_deletes_the_key() -> anyhow::Result<()> {
    let server = resp_common::start(RespConfig::new()).await;
    let mut c = server.client().await;
    let _: () = c.set("k", "v").await?;
    let _: () = c.set("k2", "v").await?;
    assert!(c.expire_at::<_, bool>("k", 1).await?);
    assert!(c.pexpire_at::<_, bool>("k2", START_MS as i64).await?);
    assert_eq!(c.exists::<_, i64>(&["k", "k2"]).await?, 0);
    server.stop().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expire_time_that_overflows_is_refused() -> anyhow::Result<()> {
    let server = resp_common::start(RespConfig::new()).await;
    let mut c = server.client().await;
    let _: () = c.set("k", "v").await?;
    let max = i64::MAX.to_string();
    for (name, arg) in [
        ("EXPIRE", max.as_str()),
        ("EXPIREAT", max.as_str()),
        ("PEXPIRE", max.as_str()),
    ] {
        assert_eq!(
            error_of(&mut c, &command(name, &["k", arg])).await,
            format!(
                "ERR invalid expire time in '{}' command",
                name.to_lowercase()
            )
        );
    }
    assert_eq!(c.ttl::<_, i64>("k").await?, -1);
    server.stop().await;
    Ok(())
}

// --- NX, XX, GT, LT ---

/// `EXPIRE key seconds options…`, answered 1 or 0.
async fn expire(
    c: &mut redis::aio::MultiplexedConnection,
    name: &str,
    args: &[&str],
) -> anyhow::Result<i64> {
    Ok(command(name, args).query_async(c).await?)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nx_and_xx_look_at_whether_there_is_an_expiry() -> anyhow::Result<()> {
    let server = resp_common::start(RespConfig::new()).await;
    let mut c = server.client().await;
    let _: () = c.set("k", "v").await?;
    assert_eq!(expire(&mut c, "EXPIRE", &["k", "10", "XX"]).await?, 0);
    assert_eq!(c.ttl::<_, i64>("k").await?, -1);
    assert_eq!(expire(&mut c, "EXPIRE", &["k", "10", "nx"]).await?, 1);
    assert_eq!(expire(&mut c, "EXPIRE", &["k", "20", "NX"]).await?, 0);
    assert_eq!(c.ttl::<_, i64>("k").await?, 10);
    assert_eq!(expire(&mut c, "EXPIRE", &["k", "20", "XX"]).await?, 1);
    assert_eq!(c.ttl::<_, i64>("k").await?, 20);
    assert_eq!(expire(&mut c, "EXPIRE", &["nope", "20", "NX"]).await?, 0);
    server.stop().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gt_and_lt_count_no_expiry_as_infinitely_late() -> anyhow::Result<()> {
    let server = resp_common::start(RespConfig::new()).await;
    let mut c = server.client().await;
    let _: () = c.set("k", "v").await?;
    assert_eq!(expire(&mut c, "EXPIRE", &["k", "10", "GT"]).await?, 0);
    assert_eq!(c.ttl::<_, i64>("k").await?, -1);
    assert_eq!(expire(&mut c, "EXPIRE", &["k", "10", "LT"]).await?, 1);
    assert_eq!(expire(&mut c, "EXPIRE", &["k", "20", "LT"]).await?, 0);
    assert_eq!(expire(&mut c, "EXPIRE", &["k", "5", "lt"]).await?, 1);
    assert_eq!(c.ttl::<_, i64>("k").await?, 5);
    assert_eq!(
        expire(&mut c, "EXPIRE", &["k", "5", "GT"]).await?,
        0,
        "not later"
    );
    assert_eq!(expire(&mut c, "EXPIRE", &["k", "8", "GT"]).await?, 1);
    assert_eq!(expire(&mut c, "EXPIRE", &["k", "9", "XX", "GT"]).await?, 1);
    assert_eq!(c.ttl::<_, i64>("k").await?, 9);
    server.stop().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn options_work_on_every_expire_command() -> anyhow::Result<()> {
    let server = resp_common::start(RespConfig::new()).await;
    let mut c = server.client().await;
    let _: () = c.set_ex("k", "v", 10).await?;
    let at_secs = (START_MS / 1000 + 20).to_string();
    let at_ms = (START_MS + 30_000).to_string();
    assert_eq!(expire(&mut c, "PEXPIRE", &["k", "5000", "GT"]).await?, 0);
    assert_eq!(expire(&mut c, "PEXPIRE", &["k", "5000", "LT"]).await?, 1);
    assert_eq!(c.pttl::<_, i64>("k").await?, 5_000);
    assert_eq!(expire(&mut c, "EXPIREAT", &["k", &at_secs, "NX"]).await?, 0);
    assert_eq!(expire(&mut c, "EXPIREAT", &["k", &at_secs, "GT"]).await?, 1);
    assert_eq!(c.ttl::<_, i64>("k").await?, 20);
    assert_eq!(expire(&mut c, "PEXPIREAT", &["k", &at_ms, "LT"]).await?, 0);
    assert_eq!(expire(&mut c, "PEXPIREAT", &["k", &at_ms, "XX"]).await?, 1);
    assert_eq!(c.pttl::<_, i64>("k").await?, 30_000);
    server.stop().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_option_admitting_a_time_gone_by_deletes_the_key() -> anyhow::Result<()> {
    let server = resp_common::start(RespConfig::new()).await;
    let mut c = server.client().await;
    let _: () = c.set("k", "v").await?;
    let _: () = c.set("kept", "v").await?;
    assert_eq!(expire(&mut c, "EXPIRE", &["k", "-1", "LT"]).await?, 1);
    assert_eq!(c.exists::<_, i64>("k").await?, 0);
    assert_eq!(expire(&mut c, "EXPIRE", &["kept", "-1", "XX"]).await?, 0);
    assert_eq!(c.exists::<_, i64>("kept").await?, 1, "XX refused it first");
    server.stop().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn incompatible_options_get_redis_errors() -> anyhow::Result<()> {
    let server = resp_common::start(RespConfig::new()).await;
    let mut c = server.client().await;
    let _: () = c.set("k", "v").await?;
    let nx_and = "ERR NX and XX, GT or LT options at the same time are not compatible";
    for (args, error) in [
        (&["k", "10", "NX", "XX"][..], nx_and),
        (&["k", "10", "NX", "GT"], nx_and),
        (&["k", "10", "lt", "nx"], nx_and),
        (
            &["k", "10", "GT", "LT"],
            "ERR GT and LT options at the same time are not compatible",
        ),
        (&["k", "10", "SOON"], "ERR Unsupported option SOON"),
        // Options are checked before the time, as in Redis.
        (
            &["k", "ten", "GT", "LT"],
            "ERR GT and LT options at the same time are not compatible",
        ),
        (
            &["k", "ten", "NX"],
            "ERR value is not an integer or out of range",
        ),
    ] {
        assert_eq!(
            error_of(&mut c, &command("EXPIRE", args)).await,
            error,
            "{args:?}"
        );
    }
    assert_eq!(
        error_of(&mut c, &command("PEXPIREAT", &["k", "1", "GT", "LT"])).await,
        "ERR GT and LT options at the same time are not compatible"
    );
    assert_eq!(c.ttl::<_, i64>("k").await?, -1);
    server.stop().await;
    Ok(())
}

// --- FLUSHDB, FLUSHALL ---

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flushdb_removes_every_key() -> anyhow::Result<()> {
    let server = resp_common::start(RespConfig::new()).await;
    let mut c = server.client().await;
    // More keys than one delete batch holds.
    let mut pipe = redis::pipe();
    for i in 0..2_500 {
        pipe.cmd("SET").arg(format!("k{i:05}")).arg(i).ignore();
    }
    pipe.cmd("SET")
        .arg("t")
        .arg("v")
        .arg("EX")
        .arg(100)
        .ignore();
    let () = pipe.query_async(&mut c).await?;
    assert_eq!(cmd("DBSIZE").query_async::<i64>(&mut c).await?, 2_501);
    let _: () = cmd("FLUSHDB").query_async(&mut c).await?;
    assert_eq!(cmd("DBSIZE").query_async::<i64>(&mut c).await?, 0);
    assert_eq!(c.get::<_, Option<String>>("k00042").await?, None);
    assert_eq!(c.get::<_, Option<String>>("t").await?, None);
    assert!(server.store.is_empty(), "the HTTP side sees it too");
    let _: () = c.set("after", "v").await?;
    assert_eq!(c.get::<_, String>("after").await?, "v");
    server.stop().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flushall_takes_async_or_sync_and_nothing_else() -> anyhow::Result<()> {
    let server = resp_common::start(RespConfig::new()).await;
    let mut c = server.client().await;
    for (name, mode) in [
        ("FLUSHALL", None),
        ("FLUSHALL", Some("ASYNC")),
        ("FLUSHALL", Some("sync")),
        ("FLUSHDB", Some("async")),
        ("FLUSHDB", Some("SYNC")),
    ] {
        let _: () = c.set("k", "v").await?;
        let answer: String = command(name, mode.as_slice()).query_async(&mut c).await?;
        assert_eq!(answer, "OK", "{name} {mode:?}");
        assert_eq!(c.exists::<_, i64>("k").await?, 0, "{name} {mode:?}");
    }
    let _: () = c.set("k", "v").await?;
    for args in [&["LATER"][..], &["ASYNC", "SYNC"]] {
        assert_eq!(
            error_of(&mut c, &command("FLUSHDB", args)).await,
            "ERR syntax error"
        );
    }
    assert_eq!(c.exists::<_, i64>("k").await?, 1);
    server.stop().await;
    Ok(())
}
