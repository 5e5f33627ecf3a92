//! Large RESP requests are read under the in-flight budget: a `SET` whose
//! value would not fit beside one still arriving waits the budget's wait,
//! then is answered `-ERR …` and passed over unread — the requests
//! pipelined after it are answered as usual, on the same connection, and
//! the refused one can be sent again once there is room. redis-rs sees the
//! refusal as an ordinary error and keeps its connection.

mod resp_common;

use std::time::Duration;

use mini_kvstore_server::InflightBudget;
use mini_kvstore_server::resp::RespConfig;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const BUDGET: u64 = 1 << 20;
const HELD: usize = 800_000;
const REFUSED: usize = 600_000;
const REFUSAL: &str = "-ERR the server is already reading 1048576 bytes of requests, the most it buffers at once; try again shortly\r\n";

fn set(key: &str, value: &[u8]) -> Vec<u8> {
    let mut request = format!(
        "*3\r\n$3\r\nSET\r\n${}\r\n{key}\r\n${}\r\n",
        key.len(),
        value.len()
    )
    .into_bytes();
    request.extend_from_slice(value);
    request.extend_from_slice(b"\r\n");
    request
}

/// Reads from `stream` until `expected.len()` bytes came, for at most ten
/// seconds.
async fn read_exactly(stream: &mut TcpStream, expected: &[u8]) -> anyhow::Result<()> {
    let mut got = vec![0u8; expected.len()];
    tokio::time::timeout(Duration::from_secs(10), stream.read_exact(&mut got)).await??;
    assert_eq!(
        String::from_utf8_lossy(&got),
        String::from_utf8_lossy(expected)
    );
    Ok(())
}

/// Polls `done` every 5 ms for at most ten seconds.
async fn until(what: &str, done: impl Fn() -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !done() {
        assert!(tokio::time::Instant::now() < deadline, "never: {what}");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_without_room_is_refused_and_the_connection_goes_on() -> anyhow::Result<()> {
    let budget = InflightBudget::new(BUDGET).wait(Duration::from_millis(200));
    let server = resp_common::start(RespConfig::new().inflight_budget(budget.clone())).await;

    // A holds most of the budget: its value's header and a first part.
    let held = vec![b'h'; HELD];
    let request = set("held", &held);
    let (first, rest) = request.split_at(120_000);
    let mut a = TcpStream::connect(server.addr).await?;
    a.write_all(first).await?;
    until("the held value reserves its room", || {
        budget.in_flight_bytes() >= HELD as u64
    })
    .await;

    // B pipelines a SET that cannot fit, then small commands.
    let mut pipeline = set("refused", &vec![b'r'; REFUSED]);
    pipeline.extend_from_slice(b"SET small yes\r\nGET small\r\n");
    let b = TcpStream::connect(server.addr).await?;
    let (mut b_read, mut b_write) = b.into_split();
    let writer = tokio::spawn(async move {
        b_write.write_all(&pipeline).await?;
        anyhow::Ok(b_write)
    });
    let expected = format!("{REFUSAL}+OK\r\n$3\r\nyes\r\n");
    let mut got = vec![0u8; expected.len()];
    tokio::time::timeout(Duration::from_secs(10), b_read.read_exact(&mut got)).await??;
    assert_eq!(String::from_utf8_lossy(&got), expected);
    let b_write = writer.await??;
    let mut b = b_read.reunite(b_write)?;
    b.write_all(b"PING\r\n").await?;
    read_exactly(&mut b, b"+PONG\r\n").await?;
    assert_eq!(server.store.get("refused")?, None, "a refused SET wrote");

    // redis-rs: the same refusal is an error, and its connection goes on.
    let mut client = server.client().await;
    let refused: redis::RedisResult<()> = redis::cmd("SET")
        .arg("by-redis-rs")
        .arg(vec![b'x'; REFUSED])
        .query_async(&mut client)
        .await;
    let error = refused.expect_err("a SET past the budget was taken");
    assert!(
        error.to_string().contains("the most it buffers at once"),
        "{error}"
    );
    let pong: String = redis::cmd("PING").query_async(&mut client).await?;
    assert_eq!(pong, "PONG");

    // A's value arrives and is stored; then there is room for B's again.
    a.write_all(rest).await?;
    read_exactly(&mut a, b"+OK\r\n").await?;
    assert_eq!(server.store.get("held")?, Some(held));
    b.write_all(&set("refused", &vec![b'r'; REFUSED])).await?;
    read_exactly(&mut b, b"+OK\r\n").await?;
    assert_eq!(server.store.get("refused")?.map(|v| v.len()), Some(REFUSED));
    until("every reservation is given back", || {
        budget.in_flight_bytes() == 0
    })
    .await;

    drop((a, b, client));
    server.stop().await;
    Ok(())
}
