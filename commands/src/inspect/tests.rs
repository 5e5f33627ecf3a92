//! Unit tests of `inspect`, beside it so that the module itself reads as
//! one concern.

use super::*;
use mini_kvstore::{KvStore, MemStorage, Options};

fn view(store: &KvStore, verbose: bool) -> LayoutView {
    LayoutView {
        layout: store.layout().unwrap(),
        policy: store.policy_plan(),
        settings: store.compaction_policy().clone(),
        segment: None,
        verbose,
    }
}

/// The strip of each segment row, as letters.
fn strips(text: &str) -> Vec<String> {
    text.lines()
        .filter(|l| {
            let words: Vec<&str> = l.split_whitespace().collect();
            words.len() > 1 && words[0].parse::<u32>().is_ok() && words[1] == "log"
        })
        .map(|l| l.split_whitespace().last().unwrap_or_default().to_owned())
        .collect()
}

#[test]
fn a_fresh_store_is_one_empty_active_segment() {
    let store = KvStore::open_with(MemStorage::new(), Options::default()).unwrap();
    let text = render_layout(&view(&store, false)).to_string();
    assert!(
        text.starts_with("1 segment: 16 B on disk, 0 B in live records (0%)\n"),
        "{text}"
    );
    assert!(text.contains("  1  log   active"), "{text}");
    assert!(text.contains("(empty)"), "{text}");
    assert!(text.contains("records: 0 live\n"), "{text}");
}

#[test]
fn every_state_has_its_letter() {
    let store = KvStore::open_with(MemStorage::new(), Options::default()).unwrap();
    store.set("a", "first").unwrap();
    store.set("a", "second").unwrap();
    store.set("b", "kept").unwrap();
    store.set("c", "gone").unwrap();
    store.delete("c").unwrap();
    let text = render_layout(&view(&store, false)).to_string();
    let strips = strips(&text);
    assert_eq!(strips.len(), 1, "{text}");
    let strip = &strips[0];
    // a (overwritten), a (live), b (live), c (overwritten), tombstone.
    let letters: String = {
        let mut seen = String::new();
        for c in strip.chars() {
            if !seen.ends_with(c) {
                seen.push(c);
            }
        }
        seen
    };
    assert_eq!(letters, "oLoT", "{text}");
    assert!(
        text.contains("records: 2 live, 2 overwritten, 1 tombstone"),
        "{text}"
    );
    assert!(text.contains("legend: L live  o overwritten  T tombstone  M seal/commit  X corrupt"));
    assert!(
        text.contains("compaction plan: rewrite 1 segment"),
        "{text}"
    );
}

#[test]
fn segments_share_one_scale_and_fit_the_width() {
    let options = Options::default().max_segment_size(200);
    let store = KvStore::open_with(MemStorage::new(), options).unwrap();
    for i in 0..12 {
        store.set(format!("key{i}"), "v".repeat(20)).unwrap();
    }
    let text = render_layout(&view(&store, false)).to_string();
    let strips = strips(&text);
    assert!(strips.len() > 1, "{text}");
    assert!(strips.iter().all(|s| s.chars().count() as u64 <= MAP_WIDTH));
    // Sealed segments end with their seal record.
    assert!(strips[0].ends_with('M'), "{text}");
}

#[test]
fn verbose_lists_every_record() {
    let store = KvStore::open_with(MemStorage::new(), Options::default()).unwrap();
    store.set("a", "hello").unwrap();
    store.delete("a").unwrap();
    store.compact().unwrap();
    store.set("b", "x".repeat(100)).unwrap();
    let text = render_layout(&view(&store, true)).to_string();
    // @offset, size, unit, "seq", n, letter, state, kind, "crc", hex, "ok", …
    let rows: Vec<Vec<&str>> = text
        .lines()
        .filter(|l| l.trim_start().starts_with('@'))
        .map(|l| l.split_whitespace().collect())
        .collect();
    let columns: Vec<[&str; 6]> = rows
        .iter()
        .map(|r| [r[0], r[4], r[5], r[6], r[7], r[10]])
        .collect();
    // The active segment's put, then the compaction's output: its commit
    // record and its seal (the deleted key left nothing to copy).
    assert_eq!(
        columns,
        [
            ["@16", "3", "L", "live", "put", "ok"],
            ["@16", "0", "M", "meta", "commit", "ok"],
            ["@53", "0", "M", "meta", "seal", "ok"],
        ],
        "{text}"
    );
    let [put] = details(&text, "put")[..] else {
        panic!("not one put row: {text}");
    };
    assert!(put.starts_with("key b  value \"xxx"), "{text}");
    assert!(put.ends_with(" (100 B)"), "{text}");
}

#[test]
fn corrupt_ranges_are_drawn_as_x() {
    let segment = SegmentLayout::clone(
        &KvStore::open_with(MemStorage::new(), Options::default())
            .unwrap()
            .layout()
            .unwrap()
            .segments[0],
    );
    let mut segment = segment;
    segment.len = 16 + 64;
    segment.corrupt.push(CorruptRange {
        segment: segment.id,
        offset: 16,
        len: 64,
    });
    let cells = strip(&segment, 8);
    assert_eq!(cells.len(), 8);
    assert!(cells.iter().all(|c| *c == Cell::Corrupt));
}

/// The detail column of every `--verbose` row of records of `kind`.
fn details<'t>(text: &'t str, kind: &str) -> Vec<&'t str> {
    text.lines()
        .filter(|l| l.trim_start().starts_with('@'))
        .filter(|l| l.split_whitespace().nth(7) == Some(kind))
        .map(|l| l.split_once(" ok").map_or("", |(_, rest)| rest.trim()))
        .collect()
}

#[test]
fn seal_and_commit_rows_say_what_their_payloads_hold() {
    // Segments so small that the compaction replaces more of them than a
    // commit record's value preview has room to name.
    let options = Options::default().max_segment_size(200);
    let store = KvStore::open_with(MemStorage::new(), options).unwrap();
    for i in 0..40 {
        store.set(format!("key{i}"), "v".repeat(20)).unwrap();
    }
    let inputs: Vec<String> = store
        .layout()
        .unwrap()
        .plan
        .inputs
        .iter()
        .map(ToString::to_string)
        .collect();
    // A commit's payload is the next seq (8 bytes), a count (4), then 4
    // bytes per input segment.
    let preview_room = (mini_kvstore::layout::VALUE_PREVIEW_LEN - 12) / 4;
    assert!(inputs.len() > preview_room, "{inputs:?}");
    store.compact().unwrap();

    let text = render_layout(&view(&store, true)).to_string();
    assert_eq!(
        details(&text, "commit"),
        [format!("removes segments {}", inputs.join(", "))],
        "{text}"
    );
    // Every compaction output is sealed, each with the next seq after
    // the 40 writes.
    let outputs = store
        .layout()
        .unwrap()
        .segments
        .iter()
        .filter(|s| s.is_compacted())
        .count();
    assert_eq!(
        details(&text, "seal"),
        vec!["next seq 41"; outputs],
        "{text}"
    );
}
