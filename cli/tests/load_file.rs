//! `load FILE`: `key<TAB>value` lines; how many were loaded; bad lines listed
//! by number, never skipped in silence.

mod common;

use common::Store;

#[test]
fn every_good_line_is_stored_and_every_bad_one_listed() {
    let store = Store::new();
    let file = store.root().join("mixed.tsv");
    std::fs::write(
        &file,
        b"name\tAlice\r\n\nno-tab-here\ntabs\tin\tvalue\n\tempty key\nbin\t\xff\nlast\tline"
            .as_slice(),
    )
    .unwrap();
    let output = store
        .cmd(&["load", file.to_str().unwrap()])
        .assert()
        .code(1)
        .get_output()
        .clone();
    assert_eq!(
        String::from_utf8(output.stdout).unwrap(),
        format!(
            "Loaded 3 lines from {}\n3 bad lines not loaded:\n  line 3: no tab between key and value\n  line 5: empty key\n  line 6: not valid UTF-8\n",
            file.display()
        )
    );
    assert_eq!(store.ok(&["get", "name"]), "Alice\n");
    assert_eq!(store.ok(&["get", "tabs"]), "in\tvalue\n");
    assert_eq!(store.ok(&["get", "last"]), "line\n");
    assert_eq!(store.ok(&["list"]), "Keys (3): last, name, tabs\n");
}

#[test]
fn a_large_file_loads_and_later_lines_win() {
    let store = Store::new();
    let file = store.root().join("large.tsv");
    let mut text = String::new();
    for i in 0..5000 {
        text.push_str(&format!("k{}\tv{i}\n", i % 1000));
    }
    std::fs::write(&file, text).unwrap();
    let out = store.ok(&["load", file.to_str().unwrap()]);
    assert_eq!(out, format!("Loaded 5000 lines from {}\n", file.display()));
    assert_eq!(store.ok(&["get", "k7"]), "v4007\n");
    let stats = store.ok(&["stats"]);
    assert!(stats.starts_with("keys         1000\n"), "{stats}");
}

#[test]
fn an_empty_file_loads_nothing() {
    let store = Store::new();
    let file = store.root().join("empty.tsv");
    std::fs::write(&file, "").unwrap();
    assert_eq!(
        store.ok(&["load", file.to_str().unwrap()]),
        format!("Loaded 0 lines from {}\n", file.display())
    );
}
