//! A data directory another process holds: one clear line on stderr and a
//! non-zero status, never a panic or a debug dump.

mod common;

use common::Store;
use mini_kvstore::KvStore;

/// Runs `command` and checks it fails with status 1, prints nothing on
/// stdout, and says in one line on stderr that the store is locked.
fn assert_refused(mut command: assert_cmd::Command) {
    let output = command.assert().code(1).stdout("").get_output().clone();
    let stderr = String::from_utf8_lossy(&output.stderr);
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
    assert_refused(store.cmd(&["set", "a", "1"]));
}

#[test]
fn the_repl_refuses_to_start() {
    let store = Store::new();
    let _held = KvStore::open(store.data_dir()).unwrap();
    assert_refused(store.repl("set a 1\n"));
}

#[test]
fn commands_without_the_store_still_work() {
    let store = Store::new();
    let _held = KvStore::open(store.data_dir()).unwrap();
    store.cmd(&["help", "get"]).assert().success();
}
