//! Over RESP a poisoned store refuses every command flagged `write` with
//! the reason `/health` gives, before running it; `PING` and reads go on.

use mini_kvstore::storage::{Fault, FaultyStorage, OpKind};
use mini_kvstore::{KvStore, MemStorage, Options};
use mini_kvstore_server::resp::{RespConfig, serve};
use redis::AsyncCommands;

#[tokio::test]
async fn a_poisoned_store_refuses_writes_and_answers_ping_and_reads() -> anyhow::Result<()> {
    let storage = FaultyStorage::new(MemStorage::new())?;
    let store = KvStore::open_with(storage.clone(), Options::default())?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(serve(
        store.clone(),
        listener,
        RespConfig::default(),
        async {
            let _ = stopped.await;
        },
    ));
    let client = redis::Client::open(format!("redis://{addr}/"))?;
    let mut con = client.get_multiplexed_async_connection().await?;

    let () = con.set("old", "v").await?;
    for nth in 0..64 {
        storage.inject(Fault::FailOnce {
            nth,
            kind: Some(OpKind::Sync),
        });
    }
    // The connections waiting on the failed fsync close without an answer
    // (see the server's `resp::durability`); a new one sees what follows.
    let _failed: redis::RedisResult<()> = con.set("new", "v").await;
    for _ in 0..100 {
        if store.is_poisoned() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert!(store.is_poisoned());
    let mut con = client.get_multiplexed_async_connection().await?;

    for write in [
        redis::cmd("SET").arg("k").arg("v").clone(),
        redis::cmd("DEL").arg("old").clone(),
        redis::cmd("INCR").arg("n").clone(),
        redis::cmd("EXPIRE").arg("old").arg(10).clone(),
    ] {
        let refused: redis::RedisResult<redis::Value> = write.query_async(&mut con).await;
        let error = refused.expect_err("a write on a poisoned store");
        let text = error.to_string();
        assert!(
            text.contains("refuses writes after a storage failure"),
            "{text}"
        );
    }

    let pong: String = redis::cmd("PING").query_async(&mut con).await?;
    assert_eq!(pong, "PONG");
    let old: Option<String> = con.get("old").await?;
    assert_eq!(old.as_deref(), Some("v"));
    let exists: bool = con.exists("old").await?;
    assert!(exists);

    let _ = stop.send(());
    task.await??;
    Ok(())
}
