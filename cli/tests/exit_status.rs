//! Exit statuses of one-shot commands: 0 done, 1 not found (message on
//! stderr, nothing on stdout) or partly done, 2 usage errors. (Status 2 for
//! corruption is in `verify_corruption.rs`, status 1 for a conditional
//! write's conflict in `conditional_writes.rs`.)

mod common;

use common::Store;

#[test]
fn found_and_done_is_0() {
    let store = Store::new();
    store.cmd(&["set", "a", "1"]).assert().code(0);
    store.cmd(&["get", "a"]).assert().code(0);
    store.cmd(&["delete", "a"]).assert().code(0);
    store.cmd(&["list"]).assert().code(0);
}

#[test]
fn get_of_a_missing_key_is_1_with_the_message_on_stderr() {
    let store = Store::new();
    store
        .cmd(&["get", "nope"])
        .assert()
        .code(1)
        .stdout("")
        .stderr("Key not found\n");
}

#[test]
fn delete_of_a_missing_key_is_1() {
    let store = Store::new();
    for name in ["delete", "del", "rm"] {
        store
            .cmd(&[name, "nope"])
            .assert()
            .code(1)
            .stdout("")
            .stderr("Key not found\n");
    }
}

#[test]
fn a_load_with_bad_lines_is_1() {
    let store = Store::new();
    let file = store.root().join("pairs.tsv");
    std::fs::write(&file, "a\t1\nno tab\n").unwrap();
    store
        .cmd(&["load", file.to_str().unwrap()])
        .assert()
        .code(1)
        .stdout(format!(
            "Loaded 1 line from {}\n1 bad line not loaded:\n  line 2: no tab between key and value\n",
            file.display()
        ));
}

#[test]
fn a_missing_load_file_is_1_with_one_line() {
    let store = Store::new();
    let file = store.root().join("absent.tsv");
    let output = store
        .cmd(&["load", file.to_str().unwrap()])
        .assert()
        .code(1)
        .stdout("")
        .get_output()
        .clone();
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.starts_with(&format!("kvstore: cannot read {}: ", file.display())),
        "{stderr}"
    );
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
}

#[test]
fn missing_arguments_are_2() {
    let store = Store::new();
    store.cmd(&["set", "only-a-key"]).assert().code(2);
    store.cmd(&["get"]).assert().code(2);
}
