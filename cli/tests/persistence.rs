//! What one invocation writes, the next one reads: the store lives in the
//! data directory, not in the process.

mod common;

use common::Store;

#[test]
fn values_survive_between_invocations() {
    let store = Store::new();
    store.ok(&["set", "a", "1"]);
    store.ok(&["set", "b", "2"]);
    store.ok(&["set", "a", "3"]);
    store.ok(&["delete", "b"]);
    assert_eq!(store.ok(&["get", "a"]), "3\n");
    assert_eq!(store.ok(&["list"]), "Keys (1): a\n");
}

#[test]
fn a_repl_session_and_one_shot_commands_share_the_store() {
    let store = Store::new();
    store.session("set from-repl yes\n");
    assert_eq!(store.ok(&["get", "from-repl"]), "yes\n");
    store.ok(&["set", "from-cli", "also"]);
    assert_eq!(store.session("get from-cli\n"), "also\n");
}

#[test]
fn compaction_keeps_every_value() {
    let store = Store::new();
    for i in 0..20 {
        store.ok(&["set", &format!("k{}", i % 5), &format!("v{i}")]);
    }
    store.ok(&["compact"]);
    let out = store.session("get k0\nget k4\nlist\n");
    assert_eq!(out, "v15\nv19\nKeys (5): k0, k1, k2, k3, k4\n");
}

#[test]
fn the_history_file_does_not_disturb_the_store() {
    let store = Store::new();
    store.ok(&["set", "a", "1"]);
    std::fs::write(store.data_dir().join(".kvstore_history"), "set a 1\n").unwrap();
    assert_eq!(store.ok(&["get", "a"]), "1\n");
}
