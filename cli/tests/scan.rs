//! `scan [FROM] [TO] [--rev] [--limit N] [--keys-only]`: the pairs of a
//! half-open key range, one a line, in either direction, in both modes.

mod common;

use common::Store;

fn store_with_keys() -> Store {
    let store = Store::new();
    store.session(
        "set user:1 Alice\nset user:2 'Bob Jones'\nset user:3 Carol\nset team:1 blue\nset 'a key' 'sp ace'\n",
    );
    store
}

#[test]
fn a_range_prints_its_pairs_one_a_line_and_counts_them() {
    let store = store_with_keys();
    assert_eq!(
        store.ok(&["scan", "user:", "user:3"]),
        "user:1  Alice\nuser:2  Bob Jones\n2 pairs\n"
    );
    assert_eq!(
        store.ok(&["scan"]),
        "\"a key\"  sp ace\n\
         team:1   blue\n\
         user:1   Alice\n\
         user:2   Bob Jones\n\
         user:3   Carol\n\
         5 pairs\n"
    );
    assert_eq!(store.ok(&["scan", "zzz"]), "No keys in the range\n");
}

#[test]
fn rev_limit_and_keys_only() {
    let store = store_with_keys();
    assert_eq!(
        store.ok(&["scan", "", "user:3", "--rev", "--limit", "2", "--keys-only"]),
        "user:2\nuser:1\n2 keys; --limit stopped the scan, more follow\n"
    );
    assert_eq!(
        store.session("scan team: user: -r\nscan u -k -l 5\n"),
        "team:1  blue\n1 pair\nuser:1\nuser:2\nuser:3\n3 keys\n"
    );
}

#[test]
fn a_backward_range_is_an_error_naming_both_ends() {
    let store = store_with_keys();
    let output = store.cmd(&["scan", "user:", "team:"]).assert().code(1);
    let stderr = String::from_utf8_lossy(&output.get_output().stderr).into_owned();
    assert!(
        stderr.starts_with("kvstore: 'user:' comes after 'team:'"),
        "{stderr}"
    );
}
