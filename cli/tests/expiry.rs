//! `set --ttl`, `expire`, `ttl` and `persist` in both modes, by the system
//! clock: the answers, the exit statuses (a missing key is 1, like `get`),
//! the usage errors, an expiry that outlives the process, and a key that
//! expires. Times to live are long (a day) where only the answer matters,
//! so a slow machine reads the same `ttl`; the one key that must expire
//! gets half a second.

mod common;

use std::time::Duration;

use common::Store;

#[test]
fn one_shot_answers_and_exit_statuses() {
    let store = Store::new();
    assert_eq!(store.ok(&["set", "k", "v", "--ttl", "1d"]), "OK\n");
    // Opened again by a new process: the expiry is in the record.
    assert_eq!(store.ok(&["ttl", "k"]), "1.0 d\n");
    assert_eq!(store.ok(&["expire", "k", "2h"]), "OK\n");
    assert_eq!(store.ok(&["ttl", "k"]), "2.0 h\n");
    assert_eq!(store.ok(&["persist", "k"]), "OK\n");
    assert_eq!(store.ok(&["ttl", "k"]), "no expiry\n");
    assert_eq!(
        store.ok(&["persist", "k"]),
        "Key has no expiry; nothing changed\n"
    );
    assert_eq!(store.ok(&["get", "k"]), "v\n");

    for args in [
        &["ttl", "nope"][..],
        &["expire", "nope", "5s"],
        &["persist", "nope"],
    ] {
        store
            .cmd(args)
            .assert()
            .code(1)
            .stdout("")
            .stderr("Key not found\n");
    }
}

#[test]
fn bad_durations_and_a_ttl_with_a_condition_are_usage_errors() {
    let store = Store::new();
    for (args, says) in [
        (&["set", "k", "v", "--ttl", "0"][..], "more than 0"),
        (&["set", "k", "v", "--ttl", "-5s"], "more than 0"),
        (
            &["expire", "k", "soon"],
            "whole number with ms, s, m, h or d",
        ),
        (
            &["set", "k", "v", "--ttl", "1d", "--if-absent"],
            "cannot be used with",
        ),
        (
            &["set", "k", "v", "--if-version", "1", "--ttl", "1d"],
            "cannot be used with",
        ),
    ] {
        store
            .cmd(args)
            .assert()
            .code(2)
            .stderr(predicates::str::contains(says));
    }
    store
        .cmd(&["get", "k"])
        .assert()
        .code(1)
        .stderr("Key not found\n");
}

#[test]
fn in_the_repl_each_answer_is_a_line() {
    let store = Store::new();
    let out = store.session(
        "set s token --ttl 1d\nttl s\nset plain v\nttl plain\nttl nope\n\
         expire s 90\nttl s\npersist s\npersist s\nexpire s 0\nlist\n",
    );
    assert_eq!(
        out,
        "OK\n\
         1.0 d\n\
         OK\n\
         no expiry\n\
         Key not found\n\
         OK\n\
         1.5 min\n\
         OK\n\
         Key has no expiry; nothing changed\n\
         error: invalid value '0' for '<DURATION>': a time to live must be more than 0 (usage: expire <KEY> <DURATION>)\n\
         Keys (2): plain, s\n"
    );
}

#[test]
fn an_expired_key_reads_as_absent() {
    let store = Store::new();
    store.ok(&["set", "brief", "v", "--ttl", "500ms"]);
    store.ok(&["set", "kept", "v"]);
    std::thread::sleep(Duration::from_millis(600));
    store
        .cmd(&["get", "brief"])
        .assert()
        .code(1)
        .stderr("Key not found\n");
    store.cmd(&["ttl", "brief"]).assert().code(1);
    assert_eq!(store.ok(&["list"]), "Keys (1): kept\n");
    assert_eq!(store.ok(&["scan", "--keys-only"]), "kept\n1 key\n");
    let map = store.ok(&["inspect"]);
    assert!(map.contains("records: 1 live, 1 expired"), "{map}");
}
