//! An unknown command: a one-line hint in the REPL, which goes on; clap's
//! usage error (status 2) on the command line.

mod common;

use common::Store;
use predicates::prelude::*;

#[test]
fn the_repl_hints_and_continues() {
    let store = Store::new();
    let out = store.session("frobnicate now\nset a 1\n");
    assert_eq!(
        out,
        "error: unknown command 'frobnicate'; type 'help'\nOK\n"
    );
}

#[test]
fn one_shot_is_a_usage_error() {
    let store = Store::new();
    store
        .cmd(&["frobnicate"])
        .assert()
        .code(2)
        .stdout("")
        .stderr(predicate::str::contains(
            "unrecognized subcommand 'frobnicate'",
        ));
}

#[test]
fn a_wrong_flag_is_a_usage_error() {
    let store = Store::new();
    store
        .cmd(&["--no-such-flag"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("Usage: kvstore"));
    store
        .cmd(&["list", "--limit", "lots"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("invalid value 'lots'"));
}
