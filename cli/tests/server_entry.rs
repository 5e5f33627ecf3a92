//! The server entry: `kvstore --volume DIR --id ID` (or `kvstore serve`)
//! starts the REST server with its flags or their environment fallbacks,
//! prints one `listening on http://…` line, binds 127.0.0.1 unless told
//! otherwise, exits 0 on SIGTERM with its writes on disk, and refuses bad
//! or conflicting flags as usage errors.

mod common;
mod server_support;

use common::kvstore;
use predicates::prelude::*;
use server_support::{Server, server_command};

#[test]
fn the_original_readme_command_starts_the_server() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let server = Server::start(
        server_command(&dir.path().join("data"), "my-vol"),
        &dir.path().join("stderr"),
    )?;
    assert!(
        server.banner.starts_with("listening on http://127.0.0.1:"),
        "{}",
        server.banner
    );
    let health = server.request("GET", "/health", &[], b"")?;
    assert_eq!(health.status, 200);
    assert!(
        health.text().contains(r#""volume_id":"my-vol""#),
        "{}",
        health.text()
    );
    let created = server.request("POST", "/blobs/user", &[], b"Alice")?;
    assert_eq!(created.status, 201, "{}", created.text());
    assert_eq!(
        server.request("GET", "/blobs/user", &[], b"")?.text(),
        "Alice"
    );
    Ok(())
}

#[test]
fn sigterm_exits_0_and_the_writes_are_on_disk() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let data = dir.path().join("data");
    let server = Server::start(server_command(&data, "v"), &dir.path().join("stderr"))?;
    for i in 0..20 {
        let reply = server.request(
            "PUT",
            &format!("/blobs/k{i}"),
            &[],
            format!("v{i}").as_bytes(),
        )?;
        assert_eq!(reply.status, 201);
    }
    let log = dir.path().join("stderr");
    let status = server.terminate()?;
    assert_eq!(
        status.code(),
        Some(0),
        "{status}; log:\n{}",
        std::fs::read_to_string(log).unwrap_or_default()
    );
    // The directory is unlocked and holds every write.
    kvstore()
        .arg("--data-dir")
        .arg(&data)
        .args(["get", "k19"])
        .assert()
        .success()
        .stdout("v19\n");
    Ok(())
}

#[test]
fn serve_takes_the_same_flags() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let playground = dir.path().join("site");
    std::fs::create_dir(&playground)?;
    std::fs::write(playground.join("index.html"), "<p>built</p>")?;
    let mut command = server_support::kvstore();
    command
        .arg("serve")
        .arg("--volume")
        .arg(dir.path().join("data"))
        .args(["--id", "x", "--port", "0", "--bind", "127.0.0.1"])
        .args(["--token", "secret", "--max-body", "8"])
        .arg("--playground")
        .arg(&playground);
    let server = Server::start(command, &dir.path().join("stderr"))?;

    assert_eq!(server.request("PUT", "/blobs/k", &[], b"v")?.status, 401);
    let auth = [("authorization", "Bearer secret")];
    assert_eq!(
        server
            .request("PUT", "/blobs/k", &auth, b"12345678")?
            .status,
        201
    );
    assert_eq!(
        server
            .request("PUT", "/blobs/k", &auth, b"123456789")?
            .status,
        413
    );
    assert_eq!(server.request("GET", "/", &[], b"")?.text(), "<p>built</p>");
    // The token is never printed.
    assert!(!server.banner.contains("secret") && !server.log().contains("secret"));
    Ok(())
}

#[test]
fn environment_fallbacks() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let mut command = server_support::kvstore();
    command
        .arg("serve")
        .env("DATA_DIR", dir.path().join("envdir"))
        .env("VOLUME_ID", "env-vol")
        .env("PORT", "0")
        .env("KVSTORE_TOKEN", "t")
        .env("KVSTORE_MAX_BODY", "4");
    let server = Server::start(command, &dir.path().join("stderr"))?;
    assert!(
        server
            .request("GET", "/health", &[], b"")?
            .text()
            .contains("env-vol")
    );
    assert_eq!(server.request("DELETE", "/blobs/k", &[], b"")?.status, 401);
    let auth = [("authorization", "Bearer t")];
    assert_eq!(
        server.request("PUT", "/blobs/k", &auth, b"12345")?.status,
        413
    );
    assert_eq!(
        server.request("PUT", "/blobs/k", &auth, b"1234")?.status,
        201
    );
    drop(server);
    assert!(dir.path().join("envdir").is_dir());
    Ok(())
}

#[test]
fn a_port_in_use_is_an_error() -> anyhow::Result<()> {
    let taken = std::net::TcpListener::bind("127.0.0.1:0")?;
    let port = taken.local_addr()?.port().to_string();
    let dir = tempfile::tempdir()?;
    kvstore()
        .arg("--volume")
        .arg(dir.path())
        .args(["--id", "v", "--port", &port])
        .assert()
        .code(1)
        .stdout("")
        .stderr(predicate::str::contains(format!(
            "cannot listen on 127.0.0.1:{port}"
        )));
    Ok(())
}

#[test]
fn a_locked_directory_is_an_error() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let data = dir.path().join("data");
    let _first = Server::start(server_command(&data, "one"), &dir.path().join("stderr"))?;
    kvstore()
        .arg("--volume")
        .arg(&data)
        .args(["--id", "two", "--port", "0"])
        .assert()
        .code(1)
        .stdout("")
        .stderr(
            predicate::str::contains("cannot open the store")
                .and(predicate::str::contains("locked")),
        );
    Ok(())
}

#[test]
fn missing_or_conflicting_flags_are_usage_errors() {
    kvstore()
        .arg("serve")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("the server needs --volume DIR"));
    kvstore()
        .args(["--volume", "v"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("the server needs --id ID"));
    for flag in [
        &["--port", "8000"][..],
        &["--bind", "0.0.0.0"],
        &["--token", "t"],
        &["--max-body", "5"],
        &["--playground", "dist"],
    ] {
        kvstore()
            .args(flag)
            .assert()
            .code(2)
            .stderr(predicate::str::contains(
                "give --volume DIR and --id ID too",
            ));
    }
    kvstore()
        .args(["--volume", "v", "--id", "x", "list"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("take no command"));
    kvstore()
        .args(["--volume", "v", "--id", "x", "--port", "not-a-port"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("invalid value 'not-a-port'"));
}

#[test]
fn server_variables_in_the_environment_do_not_start_a_server() {
    let store = common::Store::new();
    store
        .cmd(&["list"])
        .env("DATA_DIR", "elsewhere")
        .env("VOLUME_ID", "v")
        .env("PORT", "1")
        .assert()
        .success()
        .stdout("Keys (0)\n");
}
