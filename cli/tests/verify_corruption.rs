//! `verify` on a segment with a flipped bit: status 2 and the corrupt range,
//! in segment and byte offsets.
//!
//! The segment starts with a 16-byte header, then records with a 21-byte
//! header each (docs/FORMAT.md), so the first record's value starts at
//! 16 + 21 + key length.

mod common;

use common::Store;

const SEGMENT_HEADER: usize = 16;
const RECORD_HEADER: usize = 21;

/// Writes three keys and flips one bit in the value of the first record.
/// Returns the end offset of that record.
fn store_with_a_flipped_bit(store: &Store) -> usize {
    store.ok(&["set", "a", "first-value"]);
    store.ok(&["set", "b", "second"]);
    store.ok(&["set", "c", "third"]);
    let path = store.segment(1);
    let mut bytes = std::fs::read(&path).expect("read the segment");
    let value_at = SEGMENT_HEADER + RECORD_HEADER + "a".len();
    assert_eq!(&bytes[value_at..value_at + 11], b"first-value");
    bytes[value_at + 3] ^= 0x04;
    std::fs::write(&path, bytes).expect("write the segment back");
    value_at + "first-value".len()
}

#[test]
fn one_shot_verify_exits_2_and_lists_the_range() {
    let store = Store::new();
    let end = store_with_a_flipped_bit(&store);
    let output = store.cmd(&["verify"]).assert().code(2).get_output().clone();
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert_eq!(
        stdout,
        format!(
            "Verified 1 segment, 2 records, {size} B: 1 corrupt range found\n  segment 1, bytes 16..{end} ({len} B, in segment-00000001.dat)\n",
            size = std::fs::metadata(store.segment(1)).unwrap().len(),
            len = end - SEGMENT_HEADER,
        )
    );
}

#[test]
fn the_repl_shows_the_same_report_and_goes_on() {
    let store = Store::new();
    let end = store_with_a_flipped_bit(&store);
    let output = store
        .repl("verify\nget b\n")
        .assert()
        .success()
        .get_output()
        .clone();
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(
        stdout.contains(&format!("  segment 1, bytes 16..{end} ")),
        "{stdout}"
    );
    assert!(stdout.ends_with("second\n"), "{stdout}");
}

#[test]
fn stats_and_inspect_show_the_skipped_range() {
    let store = Store::new();
    store_with_a_flipped_bit(&store);
    let stats = store.ok(&["stats"]);
    assert!(stats.contains("\ncorrupt      1 range, "), "{stats}");
    let inspect = store.ok(&["inspect", "--verbose"]);
    let map = inspect.lines().nth(2).unwrap();
    assert!(map.trim_end().ends_with('L'), "{inspect}");
    assert!(map.contains('X'), "{inspect}");
    assert!(
        inspect.contains("X corrupt      no valid record here"),
        "{inspect}"
    );
}

#[test]
fn the_other_keys_are_still_readable() {
    let store = Store::new();
    store_with_a_flipped_bit(&store);
    assert_eq!(store.ok(&["get", "c"]), "third\n");
    // The damaged record was skipped, so its key has no value.
    store.cmd(&["get", "a"]).assert().code(1);
}
