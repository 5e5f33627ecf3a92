//! A data directory another process holds: one clear line on stderr and a
//! non-zero status, never a panic or a debug dump.

mod common;

use common::Store;
use mini_kvstore::KvStore;

fn assert_one_clear_line(stderr: &[u8]) {
    let stderr = String::from_utf8_lossy(stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.starts_with("kvstore: cannot open the store in "),
        "{stderr}"
    );
    assert!(stderr.contains("locked"), "{stderr}");
    assert!(
        !stderr.contains("panicked") && !stderr.contains("Locked {"),
        "{stderr}"
    );
}

#[test]
fn one_shot_commands_refuse() {
    let store = Store::new();
    let _held = KvStore::open(store.data_dir()).unwrap();
    let output = store
        .cmd(&["set", "a", "1"])
        .assert()
        .code(1)
        .stdout("")
        .get_output()
        .clone();
    assert_one_clear_line(&output.stderr);
}

#[test]
fn the_repl_refuses_to_start() {
    let store = Store::new();
    let _held = KvStore::open(store.data_dir()).unwrap();
    let output = store
        .repl("set a 1\n")
        .assert()
        .code(1)
        .stdout("")
        .get_output()
        .clone();
    assert_one_clear_line(&output.stderr);
}

#[test]
fn commands_without_the_store_still_work() {
    let store = Store::new();
    let _held = KvStore::open(store.data_dir()).unwrap();
    store.cmd(&["help", "get"]).assert().success();
}
