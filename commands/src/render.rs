//! Replies in words: [`Reply::to_text`].
//!
//! Wording and layout live here once, so the REPL, the one-shot commands and
//! the playground's console all say the same thing; the segment map of
//! `inspect` has its own module, `inspect`.
//!
//! Values are printed as text when they are valid UTF-8. A value that is not
//! is printed as hex bytes after a note saying so, never as mangled text, so
//! what is shown always tells exactly what is stored.

use mini_kvstore::{CompactionReport, CompactionTrigger, Expect, Stats, VerifyReport};

use crate::duration::human_duration;
use crate::inspect::render_layout;
use crate::reply::{KeyList, LoadReport, PairList, Reply};
use crate::text::{Line, Text, Tone, count, display_bytes, display_key, human_bytes};

/// How many bad lines of a `load` are listed before the rest are counted.
const BAD_LINES_SHOWN: usize = 20;

/// Characters of a value `scan` shows on its line before cutting it.
const SCAN_VALUE_WIDTH: usize = 72;

/// The widest key `scan` pads its key column to; longer keys push their
/// value along rather than every other line.
const SCAN_KEY_COLUMN: usize = 32;

impl Reply {
    /// The reply in words, tagged for colouring. Its `Display` is plain text.
    pub fn to_text(&self) -> Text {
        match self {
            Reply::Ok => Line::toned("OK", Tone::Good).into(),
            Reply::Stored { version } => Line::toned("OK", Tone::Good)
                .push(format!(" (version {version})"), Tone::Muted)
                .into(),
            Reply::Conflict {
                key,
                expected,
                current,
            } => render_conflict(key, *expected, *current).into(),
            Reply::Value(value) => render_value(value),
            Reply::NotFound(_) => Line::toned("Key not found", Tone::Warning).into(),
            Reply::Deleted => Line::plain("Deleted").into(),
            Reply::Ttl(Some(left)) => Line::plain(human_duration(*left)).into(),
            Reply::Ttl(None) => Line::plain("no expiry").into(),
            Reply::NoExpiry => Line::plain("Key has no expiry")
                .push("; nothing changed", Tone::Muted)
                .into(),
            Reply::Keys(list) => render_keys(list).into(),
            Reply::Pairs(list) => render_pairs(list),
            Reply::Compacted(report) => render_compaction(report),
            Reply::NothingToMerge => Text::from(Line::plain(
                "Nothing to merge: no sealed segment reaches the policy's trigger ('inspect' shows each one's dead share)",
            )),
            Reply::Stats(stats) => render_stats(stats),
            Reply::Layout(view) => render_layout(view),
            Reply::Verify(report) => render_verify(report),
            Reply::Loaded(report) => render_load(report),
            Reply::BackedUp { dest, report } => Text::from(
                Line::toned(
                    format!("Backed up {}", count(report.segments as u64, "segment")),
                    Tone::Good,
                )
                .plain_then(format!(
                    " ({}, writes through version {}) to {dest} in {} ms",
                    count(report.bytes, "byte"),
                    report.through_seq,
                    report.duration.as_millis()
                )),
            ),
            Reply::Help(help) => Text {
                lines: help.lines().map(Line::plain).collect(),
            },
            Reply::Quit => Text::new(),
        }
    }
}

fn render_value(value: &[u8]) -> Text {
    match std::str::from_utf8(value) {
        Ok(text) => Text {
            lines: text.split('\n').map(Line::plain).collect(),
        },
        Err(_) => {
            let hex: Vec<String> = value.iter().map(|b| format!("{b:02x}")).collect();
            Line::toned(
                format!("(not UTF-8; {} in hex) ", human_bytes(value.len() as u64)),
                Tone::Muted,
            )
            .plain_then(hex.join(" "))
            .into()
        }
    }
}

fn render_keys(list: &KeyList) -> Line {
    let heading = if list.keys.len() == list.matched {
        format!("Keys ({})", list.matched)
    } else {
        format!("Keys ({} of {})", list.keys.len(), list.matched)
    };
    let line = Line::toned(heading, Tone::Heading);
    if list.keys.is_empty() {
        return line;
    }
    let keys: Vec<String> = list.keys.iter().map(|k| display_key(k)).collect();
    line.plain_then(": ").plain_then(keys.join(", "))
}

/// Why a conditional write changed nothing, naming what the key is now.
fn render_conflict(key: &str, expected: Expect, current: Option<u64>) -> Line {
    let key = display_key(key.as_bytes());
    let found = match (expected, current) {
        (Expect::Version(wanted), Some(version)) => {
            format!("{key} is at version {version}, not {wanted}")
        }
        (_, Some(version)) => format!("{key} exists (version {version})"),
        (Expect::Version(wanted), None) => format!("{key} has no value (not version {wanted})"),
        (_, None) => format!("{key} has no value"),
    };
    Line::toned("Conflict: ", Tone::Warning)
        .plain_then(found)
        .push("; nothing changed", Tone::Muted)
}

/// One pair a line — the key as `list` shows it, padded to a column, then
/// the value on one line (escaped and cut) — and a count at the end.
fn render_pairs(list: &PairList) -> Text {
    let keys: Vec<String> = list.entries.iter().map(|(k, _)| display_key(k)).collect();
    let column = keys
        .iter()
        .map(|k| k.chars().count())
        .filter(|&width| width <= SCAN_KEY_COLUMN)
        .max()
        .unwrap_or(0);
    let mut text = Text::new();
    for (key, (_, value)) in keys.iter().zip(&list.entries) {
        text.plain(match value {
            Some(value) => {
                let value = display_bytes(value, SCAN_VALUE_WIDTH, false);
                format!("{key:<column$}  {value}")
            }
            None => key.clone(),
        });
    }
    let mut summary = match list.entries.len() {
        0 if !list.more => "No keys in the range".to_owned(),
        n => count(n as u64, if list.keys_only { "key" } else { "pair" }),
    };
    if list.more {
        summary.push_str("; --limit stopped the scan, more follow");
    }
    text.line(Line::toned(summary, Tone::Muted));
    text
}

fn render_compaction(report: &CompactionReport) -> Text {
    let mut text = Text::new();
    text.line(Line::toned("Compaction finished", Tone::Good));
    text.plain(format!(
        "  segments  {} -> {}",
        report.segments_before, report.segments_after
    ));
    text.line(
        Line::plain(format!(
            "  bytes     {} -> {} ",
            human_bytes(report.bytes_before),
            human_bytes(report.bytes_after)
        ))
        .push(
            format!("({} reclaimed)", human_bytes(report.bytes_reclaimed())),
            Tone::Muted,
        ),
    );
    text.plain(format!(
        "  records   {} copied",
        count(report.records_copied, "live record")
    ));
    if report.trigger == CompactionTrigger::Policy {
        let inputs: Vec<String> = report
            .reasons
            .iter()
            .map(|r| format!("{} ({})", r.segment, r.reason.describe()))
            .collect();
        text.plain(format!("  merged    {}", inputs.join(", ")));
    }
    if report.tombstones_kept > 0 {
        text.line(Line::plain("  ").push(
            format!(
                "{} kept: a segment this merge left alone still holds an older put of {}",
                count(report.tombstones_kept, "tombstone"),
                if report.tombstones_kept == 1 {
                    "its key"
                } else {
                    "their keys"
                }
            ),
            Tone::Muted,
        ));
    }
    text
}

/// Label, value, and an optional note in muted tone.
fn aligned(rows: Vec<(&str, String, Option<String>)>) -> Text {
    let width = rows
        .iter()
        .map(|(label, _, _)| label.len())
        .max()
        .unwrap_or(0);
    let mut text = Text::new();
    for (label, value, note) in rows {
        let mut line =
            Line::toned(format!("{label:<width$}"), Tone::Heading).plain_then(format!("  {value}"));
        if let Some(note) = note {
            line = line.push(format!("  {note}"), Tone::Muted);
        }
        text.line(line);
    }
    text
}

fn render_stats(stats: &Stats) -> Text {
    let bytes = |n: u64| -> (String, Option<String>) {
        let note = (n >= 1024).then(|| format!("({n} bytes)"));
        (human_bytes(n), note)
    };
    let (total, total_note) = bytes(stats.total_bytes);
    let (live, live_note) = bytes(stats.live_bytes);
    let (dead, dead_note) = bytes(stats.dead_bytes);
    let mut rows = vec![
        ("keys", stats.keys.to_string(), None),
        (
            "segments",
            stats.segments.to_string(),
            Some(format!("(active: {})", stats.active_segment)),
        ),
        ("total bytes", total, total_note),
        ("live bytes", live, live_note),
        ("dead bytes", dead, dead_note),
        (
            "dead ratio",
            format!("{:.1}%", stats.dead_ratio() * 100.0),
            Some("(what compaction would reclaim)".to_owned()),
        ),
    ];
    if stats.corrupt_ranges > 0 {
        rows.push((
            "corrupt",
            format!(
                "{}, {}",
                count(stats.corrupt_ranges as u64, "range"),
                human_bytes(stats.corrupt_bytes)
            ),
            Some("(skipped when the store was opened; see 'verify')".to_owned()),
        ));
    }
    rows.push((
        "space amp",
        format!("{:.2}×", stats.space_amplification()),
        Some("(bytes on disk per live byte)".to_owned()),
    ));
    rows.push((
        "write amp",
        format!("{:.2}×", stats.write_amplification()),
        Some("(bytes written per byte asked to write, since open)".to_owned()),
    ));
    let failed = match stats.compaction_failures {
        0 => String::new(),
        n => format!(", {} failed", count(n, "merge")),
    };
    rows.push((
        "merges",
        format!("{}{failed}", stats.compactions),
        Some(format!(
            "(since open; {} written by them)",
            human_bytes(stats.compaction_bytes_written)
        )),
    ));
    rows.push(("next seq", stats.next_seq.to_string(), None));
    aligned(rows)
}

fn render_verify(report: &VerifyReport) -> Text {
    let mut text = Text::new();
    let summary = Line::plain(format!(
        "Verified {}, {}, {}: ",
        count(report.segments_checked as u64, "segment"),
        count(report.records_checked, "record"),
        human_bytes(report.bytes_checked)
    ));
    if report.is_clean() {
        text.line(summary.push("no corruption", Tone::Good));
        return text;
    }
    text.line(summary.push(
        format!(
            "{} found",
            count(report.corrupt.len() as u64, "corrupt range")
        ),
        Tone::Bad,
    ));
    for range in &report.corrupt {
        text.line(
            Line::plain(format!(
                "  segment {}, bytes {}..{} ",
                range.segment,
                range.offset,
                range.offset + range.len
            ))
            .push(
                format!(
                    "({}, in {})",
                    human_bytes(range.len),
                    range.segment.file_name()
                ),
                Tone::Muted,
            ),
        );
    }
    text
}

fn render_load(report: &LoadReport) -> Text {
    let mut text = Text::new();
    text.line(
        Line::toned(
            format!("Loaded {}", count(report.loaded, "line")),
            Tone::Good,
        )
        .plain_then(format!(" from {}", report.file)),
    );
    if report.bad_lines.is_empty() {
        return text;
    }
    text.line(Line::toned(
        format!(
            "{} not loaded:",
            count(report.bad_lines.len() as u64, "bad line")
        ),
        Tone::Warning,
    ));
    for bad in report.bad_lines.iter().take(BAD_LINES_SHOWN) {
        text.plain(format!("  line {}: {}", bad.line, bad.reason));
    }
    if report.bad_lines.len() > BAD_LINES_SHOWN {
        text.line(Line::toned(
            format!("  … and {} more", report.bad_lines.len() - BAD_LINES_SHOWN),
            Tone::Muted,
        ));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reply::{BadLine, Outcome};
    use mini_kvstore::{KvStore, MemStorage, Options};

    fn plain(reply: Reply) -> String {
        reply.to_text().to_string()
    }

    #[test]
    fn short_replies() {
        assert_eq!(plain(Reply::Ok), "OK");
        assert_eq!(plain(Reply::Deleted), "Deleted");
        assert_eq!(plain(Reply::NotFound("k".into())), "Key not found");
        assert_eq!(plain(Reply::Quit), "");
    }

    #[test]
    fn expiry_replies() {
        use std::time::Duration;
        assert_eq!(
            plain(Reply::Ttl(Some(Duration::from_millis(29_500)))),
            "29.5 s"
        );
        assert_eq!(plain(Reply::Ttl(None)), "no expiry");
        assert_eq!(plain(Reply::NoExpiry), "Key has no expiry; nothing changed");
        assert_eq!(Reply::Ttl(None).outcome(), Outcome::Success);
        assert_eq!(Reply::NoExpiry.outcome(), Outcome::Success);
    }

    #[test]
    fn values_are_text_or_labelled_hex() {
        assert_eq!(plain(Reply::Value(b"hello world".to_vec())), "hello world");
        assert_eq!(plain(Reply::Value(b"two\nlines".to_vec())), "two\nlines");
        assert_eq!(
            plain(Reply::Value(vec![0x68, 0xff])),
            "(not UTF-8; 2 B in hex) 68 ff"
        );
    }

    #[test]
    fn key_lists() {
        let list = |keys: &[&str], matched| {
            plain(Reply::Keys(KeyList {
                keys: keys.iter().map(|k| k.as_bytes().to_vec()).collect(),
                matched,
            }))
        };
        assert_eq!(list(&["a", "b", "c"], 3), "Keys (3): a, b, c");
        assert_eq!(list(&["a"], 3), "Keys (1 of 3): a");
        assert_eq!(list(&[], 0), "Keys (0)");
        assert_eq!(list(&["a b", "c"], 2), "Keys (2): \"a b\", c");
    }

    #[test]
    fn pairs_line_up_and_keys_only_lists_keys() {
        let pairs = |entries: &[(&str, Option<&[u8]>)], more| {
            plain(Reply::Pairs(PairList {
                entries: entries
                    .iter()
                    .map(|(k, v)| (k.as_bytes().to_vec(), v.map(<[u8]>::to_vec)))
                    .collect(),
                keys_only: entries.first().is_some_and(|(_, v)| v.is_none()),
                more,
            }))
        };
        assert_eq!(
            pairs(
                &[
                    ("greeting", Some(&b"hello world"[..])),
                    ("a b", Some(&b"two\nlines"[..])),
                    ("bin", Some(&b"\xff"[..])),
                    ("empty", Some(&b""[..])),
                ],
                false
            ),
            "greeting  hello world\n\"a b\"     \"two\\nlines\"\nbin       \"\\xff\"\nempty     \"\"\n4 pairs"
        );
        assert_eq!(
            pairs(&[("b", None), ("a", None)], true),
            "b\na\n2 keys; --limit stopped the scan, more follow"
        );
        assert_eq!(pairs(&[], false), "No keys in the range");
        assert_eq!(
            pairs(&[], true),
            "0 pairs; --limit stopped the scan, more follow"
        );
        let long = "v".repeat(200);
        let cut = pairs(&[("k", Some(long.as_bytes()))], false);
        assert_eq!(cut.lines().next().map(|l| l.chars().count()), Some(3 + 72));
        assert!(cut.starts_with("k  vvv") && cut.contains('…'), "{cut}");
    }

    #[test]
    fn conflicts_name_the_current_version() {
        let conflict = |expected, current| {
            plain(Reply::Conflict {
                key: "user:1".into(),
                expected,
                current,
            })
        };
        assert_eq!(
            conflict(Expect::Version(2), Some(4)),
            "Conflict: user:1 is at version 4, not 2; nothing changed"
        );
        assert_eq!(
            conflict(Expect::Absent, Some(4)),
            "Conflict: user:1 exists (version 4); nothing changed"
        );
        assert_eq!(
            conflict(Expect::Version(2), None),
            "Conflict: user:1 has no value (not version 2); nothing changed"
        );
        assert_eq!(plain(Reply::Stored { version: 9 }), "OK (version 9)");
        assert_eq!(
            Reply::Conflict {
                key: "k".into(),
                expected: Expect::Absent,
                current: Some(1)
            }
            .outcome(),
            Outcome::Conflict
        );
    }

    #[test]
    fn stats_are_aligned() {
        let store = KvStore::open_with(MemStorage::new(), Options::default()).unwrap();
        store.set("a", "1").unwrap();
        store.set("a", "2").unwrap();
        let text = plain(Reply::Stats(store.stats()));
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "keys         1");
        assert!(
            lines[1].starts_with("segments     1  (active: 1)"),
            "{text}"
        );
        assert!(
            lines.iter().any(|l| l.starts_with("dead ratio   ")),
            "{text}"
        );
        let value_column = |l: &str| {
            l.find("  ")
                .map(|i| i + l[i..].len() - l[i..].trim_start().len())
        };
        let columns: Vec<_> = lines.iter().map(|l| value_column(l)).collect();
        assert!(columns.windows(2).all(|w| w[0] == w[1]), "{text}");
    }

    #[test]
    fn load_lists_bad_lines_up_to_a_limit() {
        let report = LoadReport {
            file: "x.tsv".into(),
            loaded: 1,
            bad_lines: (1..=25)
                .map(|line| BadLine {
                    line,
                    reason: "no tab between key and value".into(),
                })
                .collect(),
        };
        let text = plain(Reply::Loaded(report));
        assert!(
            text.starts_with(
                "Loaded 1 line from x.tsv\n25 bad lines not loaded:\n  line 1: no tab"
            )
        );
        assert!(text.ends_with("  … and 5 more"), "{text}");
    }
}
