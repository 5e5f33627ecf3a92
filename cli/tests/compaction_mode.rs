//! `--compaction auto|manual`, `compact --policy` and what `stats` and
//! `inspect` say about merges, from the command line.

mod common;

use common::Store;

/// A store of default 16 MiB segments with one write has no sealed
/// segment: the policy sees nothing to merge.
#[test]
fn a_policy_merge_with_nothing_sealed_says_nothing_is_due() {
    let store = Store::new();
    store.ok(&["set", "a", "1"]);
    let out = store.ok(&["compact", "--policy"]);
    assert!(
        out.starts_with("Nothing to merge: no sealed segment reaches"),
        "{out}"
    );
    let inspect = store.ok(&["inspect"]);
    assert!(
        inspect.contains(
            "\nmerge policy: a sealed segment 60% dead starts a merge; those 40% dead and the small ones join; nothing is due\n"
        ),
        "{inspect}"
    );
}

/// A full compaction leaves one sealed compacted segment (3) holding `a`
/// and `b`; overwriting both makes it almost all dead (500-byte values
/// outweigh its header, commit and seal).
fn script(then: &str) -> String {
    let (one, two) = ("x".repeat(500), "y".repeat(500));
    format!("set a {one}\nset b {two}\ncompact\nset a 3\nset b 4\n{then}")
}

#[test]
fn a_policy_merge_names_its_inputs_and_why() {
    let store = Store::new();
    store.session(&script(""));
    let inspect = store.ok(&["inspect"]);
    assert!(inspect.contains("↳ "), "{inspect}");
    assert!(
        inspect.contains("dead fraction reached the trigger; the next merge takes it"),
        "{inspect}"
    );
    assert!(inspect.contains("; next it merges segment "), "{inspect}");

    let out = store.ok(&["compact", "--policy"]);
    assert!(out.starts_with("Compaction finished\n"), "{out}");
    assert!(
        out.contains("\n  merged    3 (dead fraction reached the trigger)"),
        "{out}"
    );
    assert_eq!(store.ok(&["get", "a"]), "3\n");
    assert_eq!(store.ok(&["get", "b"]), "4\n");
    let after = store.ok(&["inspect"]);
    assert!(after.contains("nothing is due"), "{after}");
}

#[test]
fn the_repl_reports_its_merges_in_stats() {
    let store = Store::new();
    let out = store.session(&script("compact --policy\nstats\n"));
    assert!(out.contains("\nmerges       2  "), "{out}");
}

#[test]
fn an_unknown_mode_is_a_usage_error() {
    let store = Store::new();
    store
        .cmd(&["--compaction", "sometimes", "stats"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "invalid value 'sometimes' for '--compaction <MODE>'",
        ));
}

#[test]
fn manual_and_auto_are_both_accepted() {
    let store = Store::new();
    store.ok(&["--compaction", "manual", "set", "a", "1"]);
    store.ok(&["--compaction", "auto", "set", "a", "2"]);
    assert_eq!(store.ok(&["get", "a"]), "2\n");
}
