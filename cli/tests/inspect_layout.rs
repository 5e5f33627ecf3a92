//! `inspect` on a small store, checked by structure (rows, letters, counts,
//! the plan), not by colour codes or exact spacing.

mod common;

use common::Store;

/// The rows of the segment table: (id, kind, state, strip).
fn segment_rows(out: &str) -> Vec<(u32, String, String, String)> {
    out.lines()
        .filter_map(|line| {
            let words: Vec<&str> = line.split_whitespace().collect();
            let id = words.first()?.parse().ok()?;
            let kind = *words.get(1)?;
            if kind != "log" && kind != "compacted" {
                return None;
            }
            Some((
                id,
                kind.to_owned(),
                words[2].to_owned(),
                words.last()?.to_string(),
            ))
        })
        .collect()
}

/// Runs of equal letters: `ooLLLTT` -> `oLT`.
fn runs(strip: &str) -> String {
    let mut runs = String::new();
    for c in strip.chars() {
        if !runs.ends_with(c) {
            runs.push(c);
        }
    }
    runs
}

#[test]
fn records_are_drawn_in_order_with_their_states() {
    let store = Store::new();
    store.session("set a old\nset a new\nset b kept\nset c gone\ndel c\n");
    let out = store.ok(&["inspect"]);
    let rows = segment_rows(&out);
    assert_eq!(rows.len(), 1, "{out}");
    let (id, kind, state, strip) = &rows[0];
    assert_eq!((*id, kind.as_str(), state.as_str()), (1, "log", "active"));
    // a (overwritten), a + b (live), c (overwritten), c's tombstone.
    assert_eq!(runs(strip), "oLoT", "{out}");
    assert!(
        out.contains("records: 2 live, 2 overwritten, 1 tombstone\n"),
        "{out}"
    );
    assert!(
        out.contains("legend: L live  o overwritten  T tombstone  M seal/commit  X corrupt\n"),
        "{out}"
    );
    assert!(out.contains("compaction plan: rewrite 1 segment "), "{out}");
    assert!(out.contains("keeping 2 records"), "{out}");
}

#[test]
fn after_compaction_the_live_records_sit_in_a_sealed_compacted_segment() {
    let store = Store::new();
    store.session("set a 1\nset a 2\nset b 3\ncompact\n");
    let out = store.ok(&["inspect"]);
    let rows = segment_rows(&out);
    let compacted: Vec<_> = rows.iter().filter(|r| r.1 == "compacted").collect();
    assert_eq!(compacted.len(), 1, "{out}");
    assert_eq!(compacted[0].2, "sealed");
    assert_eq!(runs(&compacted[0].3), "LM", "{out}");
    let active: Vec<_> = rows.iter().filter(|r| r.2 == "active").collect();
    assert_eq!(active.len(), 1, "{out}");
    assert!(
        out.lines()
            .any(|l| l.contains("active") && l.contains("(empty)")),
        "{out}"
    );
}

#[test]
fn verbose_lists_each_record_with_offset_seq_kind_and_crc() {
    let store = Store::new();
    store.session("set a 1\nset a 2\ndel a\n");
    let out = store.ok(&["inspect", "--verbose"]);
    let records: Vec<Vec<&str>> = out
        .lines()
        .filter(|l| l.trim_start().starts_with('@'))
        .map(|l| l.split_whitespace().collect())
        .collect();
    assert_eq!(records.len(), 3, "{out}");
    // @offset, size, B, "seq", n, letter, state, kind, "crc", hex, "ok", …
    let offsets: Vec<&str> = records.iter().map(|r| r[0]).collect();
    assert_eq!(offsets, ["@16", "@39", "@62"], "{out}");
    let seqs: Vec<&str> = records.iter().map(|r| r[4]).collect();
    assert_eq!(seqs, ["1", "2", "3"]);
    let states: Vec<(&str, &str, &str)> = records.iter().map(|r| (r[5], r[6], r[7])).collect();
    assert_eq!(
        states,
        [
            ("o", "overwritten", "put"),
            ("o", "overwritten", "put"),
            ("T", "tombstone", "tombstone")
        ]
    );
    for record in &records {
        assert_eq!(record[8], "crc");
        let crc = record[9];
        assert_eq!(crc.len(), 8, "{out}");
        assert!(
            crc.chars()
                .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c)),
            "{out}"
        );
        assert_eq!(record[10], "ok");
    }
}

#[test]
fn strips_fit_the_width_and_share_a_scale() {
    let store = Store::new();
    let file = store.root().join("many.tsv");
    let lines: String = (0..2000)
        .map(|i| format!("key{i}\t{}\n", "v".repeat(i % 50)))
        .collect();
    std::fs::write(&file, lines).unwrap();
    store.ok(&["load", file.to_str().unwrap()]);
    let out = store.ok(&["inspect"]);
    let header = out.lines().nth(1).unwrap();
    assert!(header.contains("(1 cell = "), "{out}");
    for (_, _, _, strip) in segment_rows(&out) {
        assert!(strip.chars().count() <= 40, "{out}");
    }
}
