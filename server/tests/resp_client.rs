//! CLIENT through redis-rs: ids, names (by CLIENT SETNAME and by HELLO),
//! the library attributes redis-rs sends on connecting, CLIENT INFO and
//! CLIENT LIST lines in Redis's format across connections, and Redis's
//! errors for what is not allowed or not built.

mod resp_common;

use std::collections::HashMap;
use std::time::Duration;

use mini_kvstore_server::resp::RespConfig;
use redis::aio::MultiplexedConnection;
use redis::{Cmd, Value, cmd};
use resp_common::error_of;

fn client(args: &[&str]) -> Cmd {
    let mut command = cmd("CLIENT");
    command.arg(args);
    command
}

/// One `CLIENT LIST` line's fields.
fn fields(line: &str) -> HashMap<String, String> {
    line.split(' ')
        .filter_map(|field| field.split_once('='))
        .map(|(name, value)| (name.to_owned(), value.to_owned()))
        .collect()
}

async fn info(c: &mut MultiplexedConnection) -> anyhow::Result<HashMap<String, String>> {
    let line: String = client(&["INFO"]).query_async(c).await?;
    assert!(line.ends_with('\n'), "{line:?}");
    assert_eq!(line.lines().count(), 1, "{line:?}");
    Ok(fields(line.trim_end()))
}

async fn id(c: &mut MultiplexedConnection) -> anyhow::Result<i64> {
    Ok(client(&["ID"]).query_async(c).await?)
}

async fn list(c: &mut MultiplexedConnection, args: &[&str]) -> anyhow::Result<Vec<String>> {
    let mut all = vec!["LIST"];
    all.extend_from_slice(args);
    let text: String = client(&all).query_async(c).await?;
    Ok(text.lines().map(str::to_owned).collect())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_connection_has_its_own_id() -> anyhow::Result<()> {
    let server = resp_common::start(RespConfig::new()).await;
    let mut one = server.client().await;
    let mut two = server.client().await;
    let (first, second) = (id(&mut one).await?, id(&mut two).await?);
    assert_ne!(first, second);
    assert_eq!(id(&mut one).await?, first, "an id stays");
    let hello: HashMap<String, Value> = cmd("HELLO").query_async(&mut two).await?;
    assert_eq!(hello["id"], Value::Int(second), "HELLO tells the same id");
    server.stop().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn setname_names_and_an_empty_name_unnames() -> anyhow::Result<()> {
    let server = resp_common::start(RespConfig::new()).await;
    let mut c = server.client().await;
    let name: Option<String> = client(&["GETNAME"]).query_async(&mut c).await?;
    assert_eq!(name, None);
    let ok: String = client(&["SETNAME", "worker-1"]).query_async(&mut c).await?;
    assert_eq!(ok, "OK");
    let name: Option<String> = client(&["GETNAME"]).query_async(&mut c).await?;
    assert_eq!(name.as_deref(), Some("worker-1"));
    assert_eq!(info(&mut c).await?["name"], "worker-1");
    let _: () = client(&["SETNAME", ""]).query_async(&mut c).await?;
    let name: Option<String> = client(&["GETNAME"]).query_async(&mut c).await?;
    assert_eq!(name, None);
    server.stop().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_name_with_spaces_or_controls_is_refused() -> anyhow::Result<()> {
    let server = resp_common::start(RespConfig::new()).await;
    let mut c = server.client().await;
    let _: () = client(&["SETNAME", "kept"]).query_async(&mut c).await?;
    for bad in ["two words", "line\nbreak", "tab\t", "caf\u{e9}"] {
        assert_eq!(
            error_of(&mut c, &client(&["SETNAME", bad])).await,
            "ERR Client names cannot contain spaces, newlines or special characters.",
            "{bad:?}"
        );
    }
    let name: Option<String> = client(&["GETNAME"]).query_async(&mut c).await?;
    assert_eq!(name.as_deref(), Some("kept"));
    server.stop().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hello_setname_names_the_client() -> anyhow::Result<()> {
    let server = resp_common::start(RespConfig::new()).await;
    let mut c = server.client().await;
    let _: Value = cmd("HELLO")
        .arg(2)
        .arg("SETNAME")
        .arg("from-hello")
        .query_async(&mut c)
        .await?;
    let name: Option<String> = client(&["GETNAME"]).query_async(&mut c).await?;
    assert_eq!(name.as_deref(), Some("from-hello"));
    let bad = cmd("HELLO").arg(2).arg("SETNAME").arg("a b").clone();
    assert_eq!(
        error_of(&mut c, &bad).await,
        "ERR Client names cannot contain spaces, newlines or special characters."
    );
    server.stop().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_info_describes_this_connection() -> anyhow::Result<()> {
    let server = resp_common::start(RespConfig::new()).await;
    let mut c = server.client().await;
    let my_id = id(&mut c).await?;
    let line: String = client(&["INFO"]).query_async(&mut c).await?;
    let names: Vec<&str> = line
        .trim_end()
        .split(' ')
        .filter_map(|field| field.split_once('=').map(|(name, _)| name))
        .collect();
    assert_eq!(
        names,
        [
            "id", "addr", "laddr", "fd", "name", "age", "idle", "flags", "db", "sub", "psub",
            "ssub", "multi", "cmd", "user", "redir", "resp", "lib-name", "lib-ver"
        ],
        "Redis's fields, in Redis's order: {line}"
    );
    let info = fields(line.trim_end());
    assert_eq!(info["id"], my_id.to_string());
    assert_eq!(info["laddr"], server.addr.to_string());
    assert!(info["addr"].starts_with("127.0.0.1:"), "{line}");
    assert_ne!(info["addr"], info["laddr"]);
    assert_eq!(info["cmd"], "client|info");
    assert_eq!(info["db"], "0");
    assert_eq!(info["flags"], "N");
    assert_eq!(info["resp"], "2");
    assert_eq!(info["user"], "default");
    assert_eq!(info["idle"], "0");
    assert!(info["fd"].parse::<i64>()? >= 0 || cfg!(not(unix)), "{line}");
    // redis-rs sends CLIENT SETINFO as it connects.
    assert_eq!(info["lib-name"], "redis-rs");
    assert!(!info["lib-ver"].is_empty(), "{line}");
    server.stop().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_info_shows_resp3_after_hello_3() -> anyhow::Result<()> {
    let server = resp_common::start(RespConfig::new()).await;
    let mut c = server
        .client_at(&format!("{}?protocol=resp3", server.url()))
        .await;
    assert_eq!(info(&mut c).await?["resp"], "3");
    server.stop().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn setinfo_sets_the_library_attributes() -> anyhow::Result<()> {
    let server = resp_common::start(RespConfig::new()).await;
    let mut c = server.client().await;
    let ok: String = client(&["SETINFO", "LIB-NAME", "mylib"])
        .query_async(&mut c)
        .await?;
    assert_eq!(ok, "OK");
    let _: () = client(&["setinfo", "lib-ver", "2.0"])
        .query_async(&mut c)
        .await?;
    let info = info(&mut c).await?;
    assert_eq!(
        (info["lib-name"].as_str(), info["lib-ver"].as_str()),
        ("mylib", "2.0")
    );
    assert_eq!(
        error_of(&mut c, &client(&["SETINFO", "lib-ver", "1 2"])).await,
        "ERR lib-ver cannot contain spaces, newlines or special characters."
    );
    assert_eq!(
        error_of(&mut c, &client(&["SETINFO", "LIB-COLOUR", "red"])).await,
        "ERR Unrecognized option 'LIB-COLOUR'"
    );
    server.stop().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_list_shows_every_connection_until_it_closes() -> anyhow::Result<()> {
    let server = resp_common::start(RespConfig::new()).await;
    let mut me = server.client().await;
    let mut other = server.client().await;
    let (my_id, other_id) = (id(&mut me).await?, id(&mut other).await?);
    let _: () = client(&["SETNAME", "other"])
        .query_async(&mut other)
        .await?;
    let _: Option<String> = cmd("GET").arg("x").query_async(&mut other).await?;

    let lines = list(&mut me, &[]).await?;
    let by_id: HashMap<String, HashMap<String, String>> = lines
        .iter()
        .map(|line| fields(line))
        .map(|fields| (fields["id"].clone(), fields))
        .collect();
    assert_eq!(by_id.len(), 2, "{lines:?}");
    assert_eq!(by_id[&my_id.to_string()]["cmd"], "client|list");
    let theirs = &by_id[&other_id.to_string()];
    assert_eq!(theirs["name"], "other");
    assert_eq!(theirs["cmd"], "get", "the last command they ran");

    drop(other);
    let mut left = false;
    for _ in 0..100 {
        if list(&mut me, &[]).await?.len() == 1 {
            left = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(left, "a closed connection leaves the list");
    server.stop().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_list_filters_by_type_and_id() -> anyhow::Result<()> {
    let server = resp_common::start(RespConfig::new()).await;
    let mut me = server.client().await;
    let mut other = server.client().await;
    let other_id = id(&mut other).await?.to_string();
    assert_eq!(list(&mut me, &["TYPE", "normal"]).await?.len(), 2);
    assert!(list(&mut me, &["TYPE", "pubsub"]).await?.is_empty());
    assert!(list(&mut me, &["type", "replica"]).await?.is_empty());
    let only = list(&mut me, &["ID", &other_id, "999999"]).await?;
    assert_eq!(only.len(), 1, "{only:?}");
    assert_eq!(fields(&only[0])["id"], other_id);
    assert_eq!(
        error_of(&mut me, &client(&["LIST", "TYPE", "robot"])).await,
        "ERR Unknown client type 'robot'"
    );
    assert_eq!(
        error_of(&mut me, &client(&["LIST", "ID", "one"])).await,
        "ERR Invalid client ID"
    );
    assert_eq!(
        error_of(&mut me, &client(&["LIST", "EVERYONE"])).await,
        "ERR syntax error"
    );
    server.stop().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn other_subcommands_get_redis_errors() -> anyhow::Result<()> {
    let server = resp_common::start(RespConfig::new()).await;
    let mut c = server.client().await;
    for (args, error) in [
        (
            &["KILL", "ID", "1"][..],
            "ERR 'CLIENT KILL' is not built yet in mini-kvstore",
        ),
        (
            &["pause", "10"],
            "ERR 'CLIENT PAUSE' is not built yet in mini-kvstore",
        ),
        (&["FROB"], "ERR unknown subcommand 'FROB'. Try CLIENT HELP."),
        (
            &["SETNAME"],
            "ERR wrong number of arguments for 'client|setname' command",
        ),
        (
            &["ID", "extra"],
            "ERR wrong number of arguments for 'client|id' command",
        ),
        (&[], "ERR wrong number of arguments for 'client' command"),
    ] {
        assert_eq!(error_of(&mut c, &client(args)).await, error, "{args:?}");
    }
    let help: Vec<String> = client(&["HELP"]).query_async(&mut c).await?;
    assert!(help.iter().any(|line| line == "SETNAME"), "{help:?}");
    server.stop().await;
    Ok(())
}
