//! `kvstore backup DEST` (one-shot and in the REPL), the server's `GET
//! /backup`, and `kvstore restore SOURCE --data-dir DIR`: a store goes out
//! and comes back whole; a restore refuses a target that holds anything
//! and a backup that is damaged or cut short, and then leaves no target.

mod common;
mod server_support;

use common::Store;
use predicates::prelude::*;
use predicates::str::contains;

/// Sets `n` keys through one-shot commands.
fn fill(store: &Store, n: usize) {
    for i in 0..n {
        store.ok(&["set", &format!("key{i}"), &format!("value {i}")]);
    }
}

#[test]
fn a_backup_restores_to_the_same_store() {
    let store = Store::new();
    fill(&store, 20);
    store.ok(&["delete", "key3"]);
    let backup = store.root().join("backup");
    let said = store.ok(&["backup", backup.to_str().unwrap()]);
    assert!(said.contains("Backed up"), "{said}");

    let restored = store.root().join("restored");
    // The spelling: the directory after the command.
    common::kvstore()
        .args([
            "restore",
            backup.to_str().unwrap(),
            "--data-dir",
            restored.to_str().unwrap(),
        ])
        .assert()
        .success()
        .stderr(contains("restored 19 keys").and(contains("every record checked")));
    let get = |key: &str| {
        common::kvstore()
            .args(["--data-dir", restored.to_str().unwrap(), "get", key])
            .assert()
    };
    get("key19").success().stdout(contains("value 19"));
    get("key3").failure();
}

#[test]
fn the_repl_backs_up_too() {
    let store = Store::new();
    let backup = store.root().join("from-the-repl");
    let out = store.session(&format!("set a 1\nbackup {}\n", backup.display()));
    assert!(out.contains("Backed up"), "{out}");
    assert!(backup.join("segment-00000001.dat").exists());
}

#[test]
fn restore_refuses_a_target_that_holds_anything() {
    let store = Store::new();
    fill(&store, 3);
    let backup = store.root().join("backup");
    store.ok(&["backup", backup.to_str().unwrap()]);
    // The store's own directory is not empty.
    store
        .cmd(&["restore", backup.to_str().unwrap()])
        .assert()
        .failure()
        .stderr(contains("is not empty"));
    store.ok(&["get", "key2"]);
}

#[test]
fn a_damaged_backup_is_refused_and_leaves_no_target() {
    let store = Store::new();
    fill(&store, 30);
    let backup = store.root().join("backup");
    store.ok(&["backup", backup.to_str().unwrap()]);
    // One byte of a record's value changes: its CRC no longer matches.
    let segment = backup.join("segment-00000001.dat");
    let mut bytes = std::fs::read(&segment).unwrap();
    let at = bytes.windows(8).position(|w| w == b"value 17").unwrap();
    bytes[at] ^= 0x20;
    std::fs::write(&segment, bytes).unwrap();

    let target = store.root().join("restored");
    common::kvstore()
        .args([
            "--data-dir",
            target.to_str().unwrap(),
            "restore",
            backup.to_str().unwrap(),
        ])
        .assert()
        .failure()
        .stderr(contains("damaged"));
    assert!(!target.exists());
    let leftovers: Vec<_> = std::fs::read_dir(store.root())
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().contains("restoring"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn the_servers_archive_restores_and_a_cut_one_is_refused() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let volume = dir.path().join("volume");
    let server = server_support::Server::start(
        server_support::server_command(&volume, "vol-b"),
        &dir.path().join("server.log"),
    )?;
    for i in 0..50 {
        let reply = server.request(
            "PUT",
            &format!("/blobs/key{i}"),
            &[],
            format!("value {i}").as_bytes(),
        )?;
        assert!(reply.status == 201, "{reply:?}");
    }
    let reply = server.request("GET", "/backup", &[], b"")?;
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(reply.header("content-type"), Some("application/x-tar"));
    // Writes go on after the backup; the archive does not have them.
    server.request("PUT", "/blobs/later", &[], b"after")?;
    server.terminate()?;

    let archive = dir.path().join("backup.tar");
    std::fs::write(&archive, &reply.body)?;
    let restored = dir.path().join("restored");
    common::kvstore()
        .args([
            "--data-dir",
            restored.to_str().unwrap(),
            "restore",
            archive.to_str().unwrap(),
        ])
        .assert()
        .success()
        .stderr(contains("restored 50 keys"));
    common::kvstore()
        .args(["--data-dir", restored.to_str().unwrap(), "get", "later"])
        .assert()
        .failure();

    // The same archive without its last entries: a backup cut short.
    let cut = dir.path().join("cut.tar");
    std::fs::write(&cut, &reply.body[..reply.body.len() / 2 / 512 * 512])?;
    let target = dir.path().join("from-cut");
    common::kvstore()
        .args([
            "--data-dir",
            target.to_str().unwrap(),
            "restore",
            cut.to_str().unwrap(),
        ])
        .assert()
        .failure()
        .stderr(contains("not a whole backup").or(contains("cannot restore")));
    assert!(!target.exists());
    Ok(())
}
