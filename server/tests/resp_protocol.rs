//! The protocol around the commands: pipelines answered in order, RESP3
//! after HELLO 3, AUTH with a token, a broken client closed alone, random
//! bytes never taking the server down, the client limit, and shutdown.

mod resp_common;

use mini_kvstore_server::resp::RespConfig;
use redis::{AsyncCommands, ProtocolVersion, Value, cmd};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pipeline_of_a_thousand_is_answered_in_order() -> anyhow::Result<()> {
    let server = resp_common::start(RespConfig::new()).await;
    let mut c = server.client().await;
    let mut pipe = redis::pipe();
    for i in 0..1000 {
        pipe.cmd("SET").arg(format!("k{i}")).arg(i).ignore();
        pipe.cmd("INCR").arg("counter");
    }
    let counts: Vec<i64> = pipe.query_async(&mut c).await?;
    assert_eq!(counts, (1..=1000).collect::<Vec<i64>>());
    let mut pipe = redis::pipe();
    for i in 0..1000 {
        pipe.cmd("GET").arg(format!("k{i}"));
    }
    let values: Vec<i64> = pipe.query_async(&mut c).await?;
    assert_eq!(values, (0..1000).collect::<Vec<i64>>());
    server.stop().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hello_3_switches_to_resp3() -> anyhow::Result<()> {
    let server = resp_common::start(RespConfig::new()).await;
    // Raw, to see the wire: a RESP3 map, and `_` for a null.
    let out = resp_common::raw(
        server.addr,
        b"GET x\r\nHELLO 3\r\nGET x\r\nHELLO 2\r\nGET x\r\nQUIT\r\n",
    )
    .await;
    let text = String::from_utf8_lossy(&out);
    assert!(text.starts_with("$-1\r\n%7\r\n$6\r\nserver\r\n"), "{text}");
    assert!(text.contains("$5\r\nproto\r\n:3\r\n"), "{text}");
    assert!(
        text.contains("\r\n_\r\n*14\r\n"),
        "HELLO 2 answers a flat array: {text}"
    );
    assert!(text.ends_with("$-1\r\n+OK\r\n"), "{text}");

    // And redis-rs in RESP3 mode (it sends HELLO 3 itself).
    let mut c = server
        .client_at(&format!("{}?protocol=resp3", server.url()))
        .await;
    let _: () = c.set("k", "v").await?;
    let hello: Value = cmd("HELLO").arg(3).query_async(&mut c).await?;
    let Value::Map(entries) = hello else {
        panic!("HELLO 3 answers a map, got {hello:?}");
    };
    assert!(entries.contains(&(
        Value::BulkString(b"mode".to_vec()),
        Value::BulkString(b"standalone".to_vec())
    )));
    assert_eq!(c.get::<_, Option<String>>("nope").await?, None);
    let stats: Value = cmd("KVSTORE.STATS").query_async(&mut c).await?;
    assert!(matches!(stats, Value::Map(_)), "{stats:?}");
    let _ = ProtocolVersion::RESP3;
    server.stop().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_gates_every_command_but_the_handshake() -> anyhow::Result<()> {
    let server = resp_common::start(RespConfig::new().token("s3cret")).await;
    let out = resp_common::raw(
        server.addr,
        b"PING\r\nGET k\r\nAUTH wrong\r\nAUTH s3cret\r\nGET k\r\nQUIT\r\n",
    )
    .await;
    assert_eq!(
        String::from_utf8(out)?,
        "+PONG\r\n-NOAUTH Authentication required.\r\n\
         -WRONGPASS invalid username-password pair or user is disabled.\r\n+OK\r\n$-1\r\n+OK\r\n"
    );
    let url = format!("redis://:s3cret@{}/", server.addr);
    let mut c = server.client_at(&url).await;
    let _: () = c.set("k", "v").await?;
    // HELLO 3 AUTH, as RESP3 clients authenticate.
    let url3 = format!("redis://default:s3cret@{}/?protocol=resp3", server.addr);
    let mut c3 = server.client_at(&url3).await;
    assert_eq!(c3.get::<_, String>("k").await?, "v");
    let bad = redis::Client::open(format!("redis://:nope@{}/", server.addr))?
        .get_multiplexed_async_connection()
        .await;
    assert!(bad.is_err(), "a wrong token is refused");
    server.stop().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_protocol_error_closes_only_that_connection() -> anyhow::Result<()> {
    let server = resp_common::start(RespConfig::new().max_array_len(16).max_bulk_len(64)).await;
    let mut good = server.client().await;
    let _: () = good.set("k", "v").await?;
    let out = resp_common::raw(server.addr, b"PING\r\n*1\r\n$100\r\n").await;
    assert_eq!(
        String::from_utf8(out)?,
        "+PONG\r\n-ERR Protocol error: invalid bulk length\r\n"
    );
    let out = resp_common::raw(server.addr, b"*17\r\n").await;
    assert_eq!(
        String::from_utf8(out)?,
        "-ERR Protocol error: invalid multibulk length\r\n"
    );
    let out = resp_common::raw(server.addr, b"*1\r\n:5\r\n").await;
    assert!(String::from_utf8(out)?.starts_with("-ERR Protocol error: expected '$'"));
    assert_eq!(good.get::<_, String>("k").await?, "v");
    server.stop().await;
    Ok(())
}

/// A small deterministic generator (no dependency for a test's dice).
struct Dice(u64);

impl Dice {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn random_and_truncated_bytes_never_bring_it_down() -> anyhow::Result<()> {
    let server =
        resp_common::start(RespConfig::new().max_bulk_len(1024).max_inline_len(1024)).await;
    let mut dice = Dice(0x9e37_79b9_7f4a_7c15);
    let pieces: &[&[u8]] = &[
        b"*",
        b"$",
        b"\r\n",
        b"3",
        b"-1",
        b"GET",
        b"SET",
        b"k",
        b"\n",
        b" ",
        b"*2\r\n",
        b"$3\r\nGET\r\n",
        b":",
        b"+",
        b"99999999999999999999",
        b"HELLO 3\r\n",
        b"\x00",
        b"\xff",
    ];
    for round in 0..300u32 {
        let mut frame = Vec::new();
        for _ in 0..(dice.next() % 12) {
            if dice.next().is_multiple_of(3) {
                frame.push(dice.next() as u8);
            } else {
                frame.extend_from_slice(pieces[(dice.next() as usize) % pieces.len()]);
            }
        }
        let mut stream = tokio::net::TcpStream::connect(server.addr).await?;
        stream.write_all(&frame).await?;
        // Half the time hang up mid-frame, half the time wait for what comes.
        if round.is_multiple_of(2) {
            stream.shutdown().await?;
            let mut sink = Vec::new();
            let _ = tokio::time::timeout(
                std::time::Duration::from_millis(200),
                stream.read_to_end(&mut sink),
            )
            .await;
        }
    }
    let mut c = server.client().await;
    let _: () = c.set("still", "here").await?;
    assert_eq!(c.get::<_, String>("still").await?, "here");
    server.stop().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clients_beyond_the_limit_are_told_and_closed() -> anyhow::Result<()> {
    let server = resp_common::start(RespConfig::new().max_connections(1)).await;
    let mut first = server.client().await;
    let out = resp_common::raw(server.addr, b"PING\r\n").await;
    assert_eq!(
        String::from_utf8(out)?,
        "-ERR max number of clients reached\r\n"
    );
    let pong: String = cmd("PING").query_async(&mut first).await?;
    assert_eq!(pong, "PONG");
    server.stop().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_closes_idle_clients_and_returns() -> anyhow::Result<()> {
    let server = resp_common::start(RespConfig::new()).await;
    let mut idle = tokio::net::TcpStream::connect(server.addr).await?;
    idle.write_all(b"PING\r\n").await?;
    let mut pong = [0; 7];
    idle.read_exact(&mut pong).await?;
    assert_eq!(&pong, b"+PONG\r\n");
    let addr = server.addr;
    server.stop().await;
    let mut rest = Vec::new();
    assert_eq!(
        idle.read_to_end(&mut rest).await?,
        0,
        "closed by the server"
    );
    assert!(
        tokio::net::TcpStream::connect(addr).await.is_err(),
        "no longer accepting"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inline_commands_work_as_from_telnet() -> anyhow::Result<()> {
    let server = resp_common::start(RespConfig::new()).await;
    let out = resp_common::raw(server.addr, b"SET a 1\r\nINCR a\nECHO hi\r\n\r\nQUIT\r\n").await;
    assert_eq!(String::from_utf8(out)?, "+OK\r\n:2\r\n$2\r\nhi\r\n+OK\r\n");
    server.stop().await;
    Ok(())
}
