//! Every command run once from the command line (`kvstore CMD …`), each
//! answering on stdout with status 0.

mod common;

use common::Store;

#[test]
fn set_then_get_prints_the_value() {
    let store = Store::new();
    assert_eq!(store.ok(&["set", "greeting", "hello world"]), "OK\n");
    assert_eq!(store.ok(&["get", "greeting"]), "hello world\n");
}

#[test]
fn values_may_start_with_a_dash() {
    let store = Store::new();
    store.ok(&["set", "n", "-5"]);
    assert_eq!(store.ok(&["get", "n"]), "-5\n");
}

#[test]
fn delete_and_its_aliases() {
    let store = Store::new();
    for (i, name) in ["delete", "del", "rm"].into_iter().enumerate() {
        let key = format!("k{i}");
        store.ok(&["set", &key, "v"]);
        assert_eq!(store.ok(&[name, &key]), "Deleted\n");
    }
    assert_eq!(store.ok(&["list"]), "Keys (0)\n");
}

#[test]
fn list_sorts_filters_and_limits() {
    let store = Store::new();
    for key in ["user:2", "b", "user:1", "a", "user:3"] {
        store.ok(&["set", key, "x"]);
    }
    assert_eq!(
        store.ok(&["list"]),
        "Keys (5): a, b, user:1, user:2, user:3\n"
    );
    assert_eq!(
        store.ok(&["list", "--prefix", "user:"]),
        "Keys (3): user:1, user:2, user:3\n"
    );
    assert_eq!(
        store.ok(&["list", "--prefix", "user:", "--limit", "2"]),
        "Keys (2 of 3): user:1, user:2\n"
    );
}

#[test]
fn compact_reports_what_it_reclaimed() {
    let store = Store::new();
    for value in ["one", "two", "three"] {
        store.ok(&["set", "k", value]);
    }
    store.ok(&["set", "gone", "x"]);
    store.ok(&["delete", "gone"]);
    // Before: a 16-byte header and five records of 21 header bytes plus key
    // and value (25 + 25 + 27 + 26 + 25). After: the output segment (header,
    // `k three`, a 37-byte commit, a 29-byte seal) and the fresh active
    // segment's header.
    assert_eq!(
        store.ok(&["compact"]),
        "Compaction finished\n  segments  1 -> 2\n  bytes     144 B -> 125 B (19 B reclaimed)\n  records   1 live record copied\n"
    );
    assert_eq!(store.ok(&["get", "k"]), "three\n");
}

#[test]
fn stats_shows_every_number_aligned() {
    let store = Store::new();
    store.ok(&["set", "a", "1"]);
    store.ok(&["set", "a", "2"]);
    let out = store.ok(&["stats"]);
    let labels: Vec<&str> = out.lines().map(|l| l[..13].trim_end()).collect();
    assert_eq!(
        labels,
        [
            "keys",
            "segments",
            "total bytes",
            "live bytes",
            "dead bytes",
            "dead ratio",
            "space amp",
            "write amp",
            "merges",
            "next seq"
        ],
        "{out}"
    );
    assert!(out.starts_with("keys         1\n"), "{out}");
    // 62 bytes on disk (header and two records) for 39 live (header and
    // the second record); nothing merged in a one-shot command.
    assert!(out.contains("\nspace amp    1.59×  "), "{out}");
    assert!(out.contains("\nwrite amp    1.00×  "), "{out}");
    assert!(out.contains("\nmerges       0  "), "{out}");
    assert!(out.contains("\nnext seq     3\n"), "{out}");
}

#[test]
fn inspect_draws_the_segments() {
    let store = Store::new();
    store.ok(&["set", "a", "1"]);
    let out = store.ok(&["inspect"]);
    assert!(out.starts_with("1 segment: "), "{out}");
    assert!(out.contains("legend: "), "{out}");
    assert!(out.contains("compaction plan: "), "{out}");
    let verbose = store.ok(&["inspect", "--verbose"]);
    assert!(verbose.contains("key a  value \"1\""), "{verbose}");
}

#[test]
fn verify_of_a_healthy_store() {
    let store = Store::new();
    store.ok(&["set", "a", "1"]);
    assert_eq!(
        store.ok(&["verify"]),
        "Verified 1 segment, 1 record, 39 B: no corruption\n"
    );
}

#[test]
fn load_reads_a_file() {
    let store = Store::new();
    let file = store.root().join("pairs.tsv");
    std::fs::write(&file, "a\t1\nb\ttwo words\n").unwrap();
    let out = store.ok(&["load", file.to_str().unwrap()]);
    assert_eq!(out, format!("Loaded 2 lines from {}\n", file.display()));
    assert_eq!(store.ok(&["get", "b"]), "two words\n");
}

#[test]
fn help_describes_the_command_line_and_each_command() {
    let store = Store::new();
    let help = store.ok(&["help"]);
    assert!(
        help.contains("Usage: kvstore [OPTIONS] [COMMAND]"),
        "{help}"
    );
    assert!(help.contains("--data-dir"), "{help}");
    assert!(help.contains("--volume"), "{help}");
    let set = store.ok(&["help", "set"]);
    assert!(
        set.contains("Usage: kvstore set [OPTIONS] <KEY> <VALUE>"),
        "{set}"
    );
    assert!(set.contains("--if-version <N>"), "{set}");
    let serve = store.ok(&["help", "serve"]);
    assert!(serve.contains("--volume"), "{serve}");
    store.cmd(&["help", "nope"]).assert().code(2);
    // Neither needs the store, so neither creates the directory.
    assert!(!store.data_dir().exists());
}

#[test]
fn quit_does_nothing_and_succeeds() {
    let store = Store::new();
    assert_eq!(store.ok(&["quit"]), "");
    assert_eq!(store.ok(&["exit"]), "");
}

#[test]
fn the_data_dir_comes_from_the_environment_too() {
    let store = Store::new();
    common::kvstore()
        .env("KVSTORE_DATA_DIR", store.data_dir())
        .args(["set", "k", "from env"])
        .assert()
        .success();
    assert_eq!(store.ok(&["get", "k"]), "from env\n");
}
