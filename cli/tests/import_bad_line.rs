//! `import` of a dump with bad lines writes nothing at all — not even the
//! good lines before the first bad one — names every bad line by number
//! and why, and exits with status 1. From a file and from stdin.

mod common;

use common::Store;
use predicates::prelude::*;

/// Two good lines, then a bad one at line 3, then a good one.
const DUMP: &str = "{\"key\":\"a\",\"value\":\"1\"}\n\
                    {\"key\":\"b\",\"value\":\"2\"}\n\
                    {\"key\":\"c\",\"value_b64\":\"not base64!\"}\n\
                    {\"key\":\"d\",\"value\":\"4\"}\n";

fn store_with_a_key() -> Store {
    let store = Store::new();
    assert_eq!(store.ok(&["set", "before", "untouched"]), "OK\n");
    store
}

fn assert_nothing_written(store: &Store) {
    assert_eq!(store.ok(&["list"]), "Keys (1): before\n");
    assert_eq!(store.ok(&["get", "before"]), "untouched\n");
}

#[test]
fn a_bad_line_3_in_a_file_writes_nothing_and_says_line_3() {
    let store = store_with_a_key();
    let file = store.root().join("dump.jsonl");
    std::fs::write(&file, DUMP).unwrap();
    store
        .cmd(&["import", file.to_str().unwrap()])
        .assert()
        .code(1)
        .stdout("")
        .stderr(format!(
            "kvstore: nothing imported: 1 bad line in {}\n  \
             line 3: \"value_b64\" is not base64 (standard alphabet, with padding): Invalid symbol 32, offset 3.\n",
            file.display()
        ));
    assert_nothing_written(&store);
}

#[test]
fn a_bad_line_3_on_stdin_writes_nothing_and_says_line_3() {
    let store = store_with_a_key();
    store
        .cmd(&["import", "-"])
        .write_stdin(DUMP)
        .assert()
        .code(1)
        .stdout("")
        .stderr(predicate::str::starts_with(
            "kvstore: nothing imported: 1 bad line in standard input\n  line 3: ",
        ));
    assert_nothing_written(&store);
}

#[test]
fn every_bad_line_is_listed_with_its_reason() {
    let store = store_with_a_key();
    let long_key = "k".repeat(mini_kvstore::MAX_KEY_LEN + 1);
    let dump = format!(
        "{{\"key\":\"ok\",\"value\":\"fine\"}}\n\
         key\tvalue\n\
         {{\"key\":\"k\"}}\n\
         {{\"key\":\"k\",\"value\":\"v\",\"value_b64\":\"dg==\"}}\n\
         {{\"key\":\"\",\"value\":\"v\"}}\n\
         {{\"key\":\"{long_key}\",\"value\":\"v\"}}\n\
         {{\"key\":\"k\",\"value\":\"v\",\"expires_at_ms\":-5}}\n\
         {{\"key\":\"k\",\"vaule\":\"v\"}}\n\
         {{\"key\":\"k\",\"value\":\"v\"\n\
         ?\n"
    );
    let mut bytes = dump.into_bytes();
    // The last line is not UTF-8 (format! would not write it).
    let at = bytes.len() - 2;
    bytes[at] = 0xff;
    let output = store
        .cmd(&["import", "-"])
        .write_stdin(bytes)
        .assert()
        .code(1)
        .get_output()
        .clone();
    let stderr = String::from_utf8(output.stderr).unwrap();
    let expected = [
        "kvstore: nothing imported: 9 bad lines in standard input",
        "  line 2: not a JSON object; each line is one {\"key\": …, \"value\": …}",
        "  line 3: no \"value\" or \"value_b64\" field",
        "  line 4: both \"value\" and \"value_b64\"; give one",
        "  line 5: key must not be empty",
        "  line 6: key is 65537 bytes, the limit is 65536",
        "  line 7: \"expires_at_ms\" must be a whole number of milliseconds since the Unix epoch (leave it out for no expiry)",
        "  line 8: unknown field \"vaule\" (a record has key or key_b64, value or value_b64, and maybe expires_at_ms)",
        "  line 9: not JSON: EOF while parsing an object (column 22)",
        "  line 10: not valid UTF-8",
    ];
    assert_eq!(stderr.lines().collect::<Vec<_>>(), expected, "{stderr}");
    assert_nothing_written(&store);
}

#[test]
fn a_missing_file_is_an_error() {
    let store = store_with_a_key();
    store
        .cmd(&["import", "no-such-dump.jsonl"])
        .assert()
        .code(1)
        .stderr(predicate::str::starts_with(
            "kvstore: cannot read no-such-dump.jsonl: ",
        ));
    assert_nothing_written(&store);
}
