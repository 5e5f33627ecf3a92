//! The string and key commands through redis-rs over a real socket: GET,
//! SET and its options, DEL, EXISTS, the INCR family's errors, expiry by
//! the store's clock, MSET/MSETNX all or nothing, and the error answers.

mod resp_common;

use mini_kvstore_server::resp::RespConfig;
use redis::{AsyncCommands, RedisResult, Value, cmd};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_set_del_exists() -> anyhow::Result<()> {
    let server = resp_common::start(RespConfig::new()).await;
    let mut c = server.client().await;
    let _: () = c.set("k", "v").await?;
    assert_eq!(c.get::<_, Option<String>>("k").await?, Some("v".into()));
    assert_eq!(c.get::<_, Option<String>>("nope").await?, None);
    let _: () = c.set("k2", b"\x00\xffbin".as_slice()).await?;
    assert_eq!(c.get::<_, Vec<u8>>("k2").await?, b"\x00\xffbin");
    let n: i64 = cmd("EXISTS")
        .arg("k")
        .arg("k")
        .arg("nope")
        .query_async(&mut c)
        .await?;
    assert_eq!(n, 2, "repeats count, as in Redis");
    assert_eq!(c.del::<_, i64>(&["k", "k2", "nope"]).await?, 2);
    assert_eq!(c.exists::<_, i64>("k").await?, 0);
    let t: String = cmd("TYPE").arg("k").query_async(&mut c).await?;
    assert_eq!(t, "none");
    assert_eq!(
        server.store.get("k")?,
        None,
        "the HTTP side sees the same store"
    );
    server.stop().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn set_options() -> anyhow::Result<()> {
    let server = resp_common::start(RespConfig::new()).await;
    let mut c = server.client().await;
    let r: Option<String> = cmd("SET")
        .arg("a")
        .arg("1")
        .arg("NX")
        .query_async(&mut c)
        .await?;
    assert_eq!(r.as_deref(), Some("OK"));
    let r: Option<String> = cmd("SET")
        .arg("a")
        .arg("2")
        .arg("NX")
        .query_async(&mut c)
        .await?;
    assert_eq!(r, None);
    let r: Option<String> = cmd("SET")
        .arg("b")
        .arg("2")
        .arg("XX")
        .query_async(&mut c)
        .await?;
    assert_eq!(r, None);
    let old: Option<String> = cmd("SET")
        .arg("a")
        .arg("3")
        .arg("GET")
        .query_async(&mut c)
        .await?;
    assert_eq!(old.as_deref(), Some("1"));
    let old: Option<String> = cmd("GETSET").arg("a").arg("4").query_async(&mut c).await?;
    assert_eq!(old.as_deref(), Some("3"));
    assert_eq!(
        cmd("GETDEL")
            .arg("a")
            .query_async::<Option<String>>(&mut c)
            .await?
            .as_deref(),
        Some("4")
    );
    assert_eq!(
        cmd("SETNX")
            .arg("n")
            .arg("x")
            .query_async::<i64>(&mut c)
            .await?,
        1
    );
    assert_eq!(
        cmd("SETNX")
            .arg("n")
            .arg("y")
            .query_async::<i64>(&mut c)
            .await?,
        0
    );
    assert_eq!(
        cmd("APPEND")
            .arg("n")
            .arg("yz")
            .query_async::<i64>(&mut c)
            .await?,
        3
    );
    assert_eq!(cmd("STRLEN").arg("n").query_async::<i64>(&mut c).await?, 3);
    assert_eq!(
        cmd("GETRANGE")
            .arg("n")
            .arg(1)
            .arg(-1)
            .query_async::<String>(&mut c)
            .await?,
        "yz"
    );
    let err = cmd("SET")
        .arg("a")
        .arg("1")
        .arg("NX")
        .arg("XX")
        .query_async::<Value>(&mut c)
        .await;
    assert!(err.unwrap_err().to_string().contains("syntax error"));
    let err = cmd("SET")
        .arg("a")
        .arg("1")
        .arg("EX")
        .arg(0)
        .query_async::<Value>(&mut c)
        .await;
    assert!(
        err.unwrap_err()
            .to_string()
            .contains("invalid expire time in 'set' command")
    );
    server.stop().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn incr_family_and_its_errors() -> anyhow::Result<()> {
    let server = resp_common::start(RespConfig::new()).await;
    let mut c = server.client().await;
    assert_eq!(c.incr::<_, _, i64>("n", 1).await?, 1);
    assert_eq!(
        cmd("INCRBY")
            .arg("n")
            .arg(41)
            .query_async::<i64>(&mut c)
            .await?,
        42
    );
    assert_eq!(cmd("DECR").arg("n").query_async::<i64>(&mut c).await?, 41);
    assert_eq!(
        cmd("DECRBY")
            .arg("n")
            .arg(50)
            .query_async::<i64>(&mut c)
            .await?,
        -9
    );
    let _: () = c.set("s", "abc").await?;
    let e = cmd("INCR")
        .arg("s")
        .query_async::<i64>(&mut c)
        .await
        .unwrap_err();
    assert!(
        e.to_string()
            .contains("value is not an integer or out of range"),
        "{e}"
    );
    let _: () = c.set("s", " 1").await?;
    assert!(
        cmd("INCR")
            .arg("s")
            .query_async::<i64>(&mut c)
            .await
            .is_err()
    );
    let _: () = c.set("max", i64::MAX.to_string()).await?;
    let e = cmd("INCR")
        .arg("max")
        .query_async::<i64>(&mut c)
        .await
        .unwrap_err();
    assert!(
        e.to_string()
            .contains("increment or decrement would overflow"),
        "{e}"
    );
    let e = cmd("INCRBY")
        .arg("n")
        .arg("x")
        .query_async::<i64>(&mut c)
        .await
        .unwrap_err();
    assert!(e.to_string().contains("not an integer"), "{e}");

    // Concurrent INCRs lose nothing: each read-modify-write is conditional.
    let mut tasks = Vec::new();
    for _ in 0..4 {
        let mut c = server.client().await;
        tasks.push(tokio::spawn(async move {
            for _ in 0..50 {
                let _: i64 = c.incr("race", 1).await?;
            }
            RedisResult::Ok(())
        }));
    }
    for task in tasks {
        task.await??;
    }
    assert_eq!(c.get::<_, i64>("race").await?, 200);
    server.stop().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expiry_follows_the_store_clock() -> anyhow::Result<()> {
    let server = resp_common::start(RespConfig::new()).await;
    let mut c = server.client().await;
    let _: () = cmd("SET")
        .arg("t")
        .arg("v")
        .arg("EX")
        .arg(10)
        .query_async(&mut c)
        .await?;
    assert_eq!(c.ttl::<_, i64>("t").await?, 10);
    assert_eq!(c.pttl::<_, i64>("t").await?, 10_000);
    // INCR and APPEND keep the expiry, as in Redis.
    let _: () = cmd("SET")
        .arg("ctr")
        .arg("1")
        .arg("PX")
        .arg(5_000)
        .query_async(&mut c)
        .await?;
    let _: i64 = c.incr("ctr", 1).await?;
    assert!(c.pttl::<_, i64>("ctr").await? > 0);
    let _: () = cmd("SET")
        .arg("t2")
        .arg("v")
        .arg("NX")
        .arg("EX")
        .arg(3)
        .query_async(&mut c)
        .await?;
    assert_eq!(c.ttl::<_, i64>("t2").await?, 3);
    let _: () = cmd("SET")
        .arg("t2")
        .arg("w")
        .arg("XX")
        .arg("KEEPTTL")
        .query_async(&mut c)
        .await?;
    assert_eq!(c.ttl::<_, i64>("t2").await?, 3);
    assert_eq!(c.ttl::<_, i64>("absent").await?, -2);
    let _: () = c.set("forever", "v").await?;
    assert_eq!(c.ttl::<_, i64>("forever").await?, -1);
    assert_eq!(
        cmd("EXPIRE")
            .arg("forever")
            .arg(2)
            .query_async::<i64>(&mut c)
            .await?,
        1
    );
    assert_eq!(
        cmd("PERSIST")
            .arg("forever")
            .query_async::<i64>(&mut c)
            .await?,
        1
    );
    assert_eq!(c.ttl::<_, i64>("forever").await?, -1);
    assert_eq!(
        cmd("PEXPIRE")
            .arg("forever")
            .arg(1_500)
            .query_async::<i64>(&mut c)
            .await?,
        1
    );
    let _: () = cmd("SETEX")
        .arg("se")
        .arg(1)
        .arg("v")
        .query_async(&mut c)
        .await?;

    server.clock.advance(3_000);
    assert_eq!(c.get::<_, Option<String>>("t2").await?, None);
    assert_eq!(c.get::<_, Option<String>>("se").await?, None);
    assert_eq!(c.get::<_, Option<String>>("forever").await?, None);
    assert_eq!(c.get::<_, Option<String>>("t").await?.as_deref(), Some("v"));
    server.clock.advance(8_000);
    assert_eq!(c.exists::<_, i64>("t").await?, 0);
    assert_eq!(c.ttl::<_, i64>("t").await?, -2);

    // A time to live that is not positive deletes, as in Redis.
    let _: () = c.set("gone", "v").await?;
    assert_eq!(
        cmd("EXPIRE")
            .arg("gone")
            .arg(0)
            .query_async::<i64>(&mut c)
            .await?,
        1
    );
    assert_eq!(c.exists::<_, i64>("gone").await?, 0);
    server.stop().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mset_and_msetnx_are_all_or_nothing() -> anyhow::Result<()> {
    let server = resp_common::start(RespConfig::new()).await;
    let mut c = server.client().await;
    let _: () = cmd("MSET")
        .arg("a")
        .arg(1)
        .arg("b")
        .arg(2)
        .query_async(&mut c)
        .await?;
    let got: Vec<Option<String>> = cmd("MGET")
        .arg("a")
        .arg("b")
        .arg("c")
        .query_async(&mut c)
        .await?;
    assert_eq!(got, [Some("1".into()), Some("2".into()), None]);
    let n: i64 = cmd("MSETNX")
        .arg("c")
        .arg(3)
        .arg("a")
        .arg(9)
        .query_async(&mut c)
        .await?;
    assert_eq!(n, 0, "a exists, so nothing is written");
    assert_eq!(c.get::<_, Option<String>>("c").await?, None);
    assert_eq!(c.get::<_, String>("a").await?, "1");
    let n: i64 = cmd("MSETNX")
        .arg("c")
        .arg(3)
        .arg("d")
        .arg(4)
        .query_async(&mut c)
        .await?;
    assert_eq!(n, 1);
    assert_eq!(cmd("DBSIZE").query_async::<i64>(&mut c).await?, 4);
    let e = cmd("MSET")
        .arg("a")
        .arg(1)
        .arg("b")
        .query_async::<Value>(&mut c)
        .await
        .unwrap_err();
    assert!(
        e.to_string()
            .contains("wrong number of arguments for 'mset' command"),
        "{e}"
    );
    server.stop().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errors_have_redis_shapes() -> anyhow::Result<()> {
    let server = resp_common::start(RespConfig::new()).await;
    let out = resp_common::raw(
        server.addr,
        b"GET\r\nFOO a b\r\nHSET h f v\r\nCONFIG SET save x\r\nSELECT 1\r\nSELECT 0\r\nQUIT\r\n",
    )
    .await;
    let text = String::from_utf8(out)?;
    assert_eq!(
        text,
        "-ERR wrong number of arguments for 'get' command\r\n\
         -ERR unknown command 'FOO', with args beginning with: 'a' 'b' \r\n\
         -ERR mini-kvstore stores strings only: 'HSET' is not supported\r\n\
         -ERR 'CONFIG SET' is not built yet in mini-kvstore\r\n\
         -ERR DB index is out of range\r\n\
         +OK\r\n\
         +OK\r\n"
    );
    let mut c = server.client().await;
    let count: i64 = cmd("COMMAND").arg("COUNT").query_async(&mut c).await?;
    let all: Vec<Value> = cmd("COMMAND").query_async(&mut c).await?;
    assert_eq!(all.len() as i64, count);
    let cfg: Vec<String> = cmd("CONFIG")
        .arg("GET")
        .arg("save")
        .query_async(&mut c)
        .await?;
    assert_eq!(cfg, ["save", ""]);
    let cfg: Vec<String> = cmd("CONFIG")
        .arg("GET")
        .arg("appendonly")
        .query_async(&mut c)
        .await?;
    assert_eq!(cfg, ["appendonly", "yes"]);
    let cfg: Vec<String> = cmd("CONFIG")
        .arg("GET")
        .arg("nosuch")
        .query_async(&mut c)
        .await?;
    assert!(cfg.is_empty());
    let info: String = cmd("INFO").query_async(&mut c).await?;
    for section in [
        "# Server",
        "# Clients",
        "# Persistence",
        "# Stats",
        "# Keyspace",
        "# Kvstore",
    ] {
        assert!(info.contains(section), "{section} missing from {info}");
    }
    let stats: std::collections::HashMap<String, Value> =
        cmd("KVSTORE.STATS").query_async(&mut c).await?;
    assert!(stats.contains_key("dead_bytes"));
    server.stop().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn command_info_describes_the_newer_commands() -> anyhow::Result<()> {
    let server = resp_common::start(RespConfig::new()).await;
    let mut c = server.client().await;
    let names = [
        "getex",
        "setrange",
        "incrbyfloat",
        "rename",
        "renamenx",
        "expireat",
        "pexpireat",
        "flushdb",
        "flushall",
        "client",
        "kvstore.segments",
    ];
    let infos: Vec<Value> = cmd("COMMAND")
        .arg("INFO")
        .arg(&names)
        .arg("hset")
        .query_async(&mut c)
        .await?;
    assert_eq!(infos.len(), names.len() + 1);
    for (name, info) in names.iter().zip(&infos) {
        let Value::Array(fields) = info else {
            panic!("{name}: {info:?}");
        };
        assert_eq!(fields[0], Value::BulkString(name.as_bytes().to_vec()));
    }
    assert_eq!(infos[names.len()], Value::Nil, "HSET is not a command here");
    let listed: Vec<String> = cmd("COMMAND").arg("LIST").query_async(&mut c).await?;
    for name in names {
        assert!(
            listed.iter().any(|l| l == name),
            "{name} not in COMMAND LIST"
        );
    }
    server.stop().await;
    Ok(())
}
