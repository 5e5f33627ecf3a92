//! `set --if-version N | --if-absent` and `delete --if-version N`: they write
//! only when the key is as they say, and otherwise answer one line naming
//! the key's current version — on stdout in the REPL, on stderr with status
//! 1 for a one-shot command.

mod common;

use common::Store;

#[test]
fn a_one_shot_conflict_is_1_with_the_current_version_on_stderr() {
    let store = Store::new();
    store
        .cmd(&["set", "k", "a", "--if-absent"])
        .assert()
        .code(0)
        .stdout("OK (version 1)\n");
    store
        .cmd(&["set", "k", "b", "--if-absent"])
        .assert()
        .code(1)
        .stdout("")
        .stderr("Conflict: k exists (version 1); nothing changed\n");
    store
        .cmd(&["set", "k", "b", "--if-version", "7"])
        .assert()
        .code(1)
        .stdout("")
        .stderr("Conflict: k is at version 1, not 7; nothing changed\n");
    store
        .cmd(&["delete", "k", "--if-version", "7"])
        .assert()
        .code(1)
        .stderr("Conflict: k is at version 1, not 7; nothing changed\n");
    assert_eq!(store.ok(&["get", "k"]), "a\n");
    store
        .cmd(&["set", "--if-version", "1", "k", "b"])
        .assert()
        .code(0)
        .stdout("OK (version 2)\n");
    store
        .cmd(&["rm", "k", "--if-version", "2"])
        .assert()
        .code(0)
        .stdout("Deleted\n");
    store
        .cmd(&["set", "k", "c", "--if-version", "2"])
        .assert()
        .code(1)
        .stderr("Conflict: k has no value (not version 2); nothing changed\n");
}

#[test]
fn the_two_conditions_together_are_a_usage_error() {
    let store = Store::new();
    store
        .cmd(&["set", "k", "v", "--if-version", "1", "--if-absent"])
        .assert()
        .code(2);
}

#[test]
fn in_the_repl_a_conflict_is_a_reply_and_the_session_goes_on() {
    let store = Store::new();
    let out =
        store.session("set k a --if-absent\nset k b --if-absent\nset k b --if-version 1\nget k\n");
    assert_eq!(
        out,
        "OK (version 1)\n\
         Conflict: k exists (version 1); nothing changed\n\
         OK (version 2)\n\
         b\n"
    );
}
