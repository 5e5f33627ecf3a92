//! `export --prefix P` and `export --start A --end B` select exactly their
//! keys — A included, B excluded — and `--prefix` with `--start` or
//! `--end`, or A after B, is a usage error (status 2) that exports
//! nothing.

mod common;

use common::Store;
use predicates::prelude::*;

fn store_with_keys() -> Store {
    let store = Store::new();
    store.session(
        "set a 1\nset b 2\nset ba 3\nset bb 4\nset c 5\nset user 6\nset user:1 7\nset user:2 8\nset users 9\nset v 10\n",
    );
    store
}

/// The keys of `kvstore export ARGS…`, in the order written, and the
/// stderr summary.
fn exported(store: &Store, args: &[&str]) -> (Vec<String>, String) {
    let mut all = vec!["export"];
    all.extend_from_slice(args);
    let output = store.cmd(&all).assert().success().get_output().clone();
    let keys = String::from_utf8(output.stdout)
        .expect("the dump is UTF-8")
        .lines()
        .map(|line| {
            let record: serde_json::Value = serde_json::from_str(line).expect("a JSON line");
            record["key"].as_str().expect("a text key").to_owned()
        })
        .collect();
    let stderr = String::from_utf8(output.stderr).expect("stderr is UTF-8");
    (keys, stderr)
}

#[test]
fn everything_in_key_order_without_options() {
    let (keys, stderr) = exported(&store_with_keys(), &[]);
    assert_eq!(
        keys,
        [
            "a", "b", "ba", "bb", "c", "user", "user:1", "user:2", "users", "v"
        ]
    );
    assert_eq!(stderr, "exported 10 keys\n");
}

#[test]
fn a_prefix_selects_the_keys_that_start_with_it() {
    let store = store_with_keys();
    let (keys, stderr) = exported(&store, &["--prefix", "user:"]);
    assert_eq!(keys, ["user:1", "user:2"]);
    assert_eq!(stderr, "exported 2 keys\n");
    assert_eq!(
        exported(&store, &["--prefix", "user"]).0,
        ["user", "user:1", "user:2", "users"]
    );
    assert_eq!(exported(&store, &["-p", "b"]).0, ["b", "ba", "bb"]);
    let (none, stderr) = exported(&store, &["--prefix", "zzz"]);
    assert!(none.is_empty());
    assert_eq!(stderr, "exported 0 keys\n");
}

#[test]
fn start_is_included_and_end_excluded() {
    let store = store_with_keys();
    assert_eq!(
        exported(&store, &["--start", "b", "--end", "c"]).0,
        ["b", "ba", "bb"]
    );
    assert_eq!(
        exported(&store, &["--start", "ba", "--end", "bb"]).0,
        ["ba"]
    );
    assert_eq!(
        exported(&store, &["--start", "user:2"]).0,
        ["user:2", "users", "v"]
    );
    assert_eq!(exported(&store, &["--end", "b"]).0, ["a"]);
    // Bounds need not be keys.
    assert_eq!(
        exported(&store, &["--start", "bab", "--end", "user:"]).0,
        ["bb", "c", "user"]
    );
    assert!(
        exported(&store, &["--start", "c", "--end", "c"])
            .0
            .is_empty()
    );
}

#[test]
fn a_prefix_with_a_range_or_a_backward_range_is_a_usage_error() {
    let store = store_with_keys();
    for args in [
        &["export", "--prefix", "user:", "--start", "a"][..],
        &["export", "--end", "z", "--prefix", "user:"],
    ] {
        store
            .cmd(args)
            .assert()
            .code(2)
            .stdout("")
            .stderr(predicate::str::contains("cannot be used with"));
    }
    store
        .cmd(&["export", "--start", "m", "--end", "b"])
        .assert()
        .code(2)
        .stdout("")
        .stderr(predicate::str::contains(
            "--start 'm' comes after --end 'b'",
        ));
}
