//! The details panel: what the cell under the pointer (or the picked
//! record) is, in the engine's words and with its bytes — key, value, kind,
//! seq, offset, length, CRC, what a seal or commit says, and for a record
//! with a time to live its countdown.

use mini_kvstore::{Layout, MetaPayload, RecordKind, RecordLayout, RecordState, SegmentLayout};
use mini_kvstore_commands::{count, human_bytes};

use crate::expiry::{Countdown, Now, clock_time};
use crate::render::escape;
use crate::view::{newer_seq, show_bytes};

/// What a state means, in a sentence for a learner that starts with the
/// state's word.
fn explain_state(layout: &Layout, record: &RecordLayout) -> String {
    let meaning = match record.state {
        RecordState::Live if record.expires_at.is_some() => "the index points here: this is the key's current value until its time to live runs out. Then the key reads as absent and these bytes are dead, without any write.".to_owned(),
        RecordState::Live => "the index points here: this is the key's current value.".to_owned(),
        RecordState::Overwritten => match newer_seq(layout, &record.key) {
            Some(seq) if seq > record.seq => format!(
                "a newer record for this key (seq {seq}) exists, so these bytes are dead: compaction will drop them."
            ),
            _ => "this key was deleted later, so these bytes are dead.".to_owned(),
        },
        RecordState::Tombstone => "a deletion marker. It tells recovery that older values of the key are dead; compaction drops it along with them.".to_owned(),
        RecordState::Meta => "bookkeeping, not data. A seal closes a full segment (it may run a few bytes past the size limit); a commit record tells recovery that a compaction finished.".to_owned(),
        RecordState::Expired => "the key's latest value, but its time to live ran out: the key reads as absent and these bytes are dead. Compaction drops them — unless an older value of the key sits in a segment it leaves alone, which this record must keep hidden.".to_owned(),
    };
    format!("{} — {meaning}", record.state.name())
}

/// A record's kind in the engine's word, with what it does.
fn kind_html(kind: RecordKind) -> String {
    let gloss = match kind {
        RecordKind::Put => "a value",
        RecordKind::Tombstone => "a delete",
        RecordKind::Seal => "the segment is full",
        RecordKind::CompactionCommit => "a compaction finished",
    };
    format!("{} <small>({gloss})</small>", kind.name())
}

/// What a seal or commit record says, as the engine decoded it.
fn meta_html(meta: &MetaPayload) -> String {
    match meta {
        MetaPayload::Seal { next_seq } => format!(
            "<dt>says</dt><dd>next seq {next_seq} <small>(recovery starts counting from here)</small></dd>"
        ),
        MetaPayload::Commit(commit) => {
            let inputs: Vec<String> = commit.inputs.iter().map(ToString::to_string).collect();
            format!(
                "<dt>says</dt><dd>{} replaced: {} <small>(recovery deletes any of them still there)</small>; next seq {}</dd>",
                count(commit.inputs.len() as u64, "segment"),
                inputs.join(", "),
                commit.next_seq
            )
        }
    }
}

/// The details panel when no record is picked.
pub const DETAILS_HINT: &str = r#"<p class="hint">Hover over a record to see its bytes: key, value, sequence number, offset, length and CRC. Click one to select its key: every record of that key is outlined, and the one the index points at is marked.</p>"#;

/// The details panel for a segment's header.
pub fn header_details_html(segment: &SegmentLayout) -> String {
    let writer = if segment.is_compacted() {
        "compaction wrote it"
    } else {
        "set and delete append to it"
    };
    format!(
        "<p><b>Segment {}'s header</b> — {} bytes: the magic bytes <code>MKVSEG</code>, the format version and the segment's kind, <code>{}</code> ({writer}). A file without them is refused rather than misread.</p>",
        segment.id,
        mini_kvstore::SEGMENT_HEADER_LEN,
        segment.kind.name(),
    )
}

/// The details panel for bytes at `offset` of `segment` that hold no valid
/// record.
pub fn corrupt_details_html(segment: u32, offset: u64) -> String {
    format!(
        "<p><b>Corrupt bytes</b> at offset {offset} of segment {segment}: no valid record starts here (the CRC check failed). Reads skip them; compaction drops them.</p>"
    )
}

/// When a record with a time to live expires or expired, at `now`: the
/// countdown (`data-countdown`, which the page redraws every second) and
/// the clock time. What it means is the state line's to say.
fn expiry_html(record: &RecordLayout, now: Now) -> String {
    let (Some(at), Some(countdown)) = (record.expires_at, Countdown::of(record, now.millis)) else {
        return String::new();
    };
    format!(
        r#"<dt>expiry</dt><dd><b class="countdown" data-countdown>{}</b> <small>(at {})</small></dd>"#,
        countdown.words(),
        clock_time(at, now)
    )
}

/// The details panel for one record; `now` for the countdown of one that
/// expires.
pub fn record_details_html(
    layout: &Layout,
    segment: u32,
    record: &RecordLayout,
    now: Now,
) -> String {
    let kind = kind_html(record.kind);
    let expiry = expiry_html(record, now);
    let says = record.meta.as_ref().map(meta_html).unwrap_or_default();
    let value = if record.kind == RecordKind::Put {
        let mut shown = show_bytes(&record.value_preview, 40);
        if record.value_len > record.value_preview.len() as u64 && !shown.ends_with('…') {
            shown.push('…');
        }
        format!(
            "<dt>value</dt><dd><code>{}</code> <small>({})</small></dd>",
            escape(&shown),
            human_bytes(record.value_len)
        )
    } else {
        String::new()
    };
    let key = if matches!(record.kind, RecordKind::Put | RecordKind::Tombstone) {
        format!(
            "<dt>key</dt><dd><code>{}</code></dd>",
            escape(&show_bytes(&record.key, 60))
        )
    } else {
        String::new()
    };
    format!(
        r#"<p class="state-line"><span class="swatch {}"></span>{}</p><dl>{key}{value}{expiry}<dt>kind</dt><dd>{kind}</dd>{says}<dt>seq</dt><dd>{}</dd><dt>segment</dt><dd>{segment}</dd><dt>offset</dt><dd>{} <small>(bytes from the segment's start)</small></dd><dt>length</dt><dd>{} bytes <small>(21-byte header + key + value)</small></dd><dt>CRC32</dt><dd><code>{:08x}</code> <small>(checked on every read)</small></dd></dl>"#,
        record.state.name(),
        escape(&explain_state(layout, record)),
        record.seq,
        record.offset,
        record.len,
        record.crc,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::map::fixtures::{T0, TestResult};
    use mini_kvstore::{CompactionPolicy, KvStore, ManualClock, MemStorage, Options};
    use std::sync::Arc;
    use std::time::Duration;

    #[test]
    fn details_use_the_engine_words_and_decoded_payloads() -> TestResult {
        let store =
            KvStore::open_with(MemStorage::new(), Options::default().max_segment_size(256))?;
        for i in 0..8 {
            store.set(
                format!("key{}", i % 2),
                "a value long enough to fill a segment",
            )?;
        }
        store.compact()?;
        let layout = store.layout()?;
        let records = || {
            layout
                .segments
                .iter()
                .flat_map(|s| s.records.iter().map(move |r| (s.id.0, r)))
        };
        let (segment, put) = records()
            .find(|(_, r)| r.kind == RecordKind::Put)
            .ok_or("a put")?;
        let html = record_details_html(&layout, segment, put, Now::default());
        assert!(
            html.contains(r#"<span class="swatch live"></span>live — the index points here"#),
            "{html}"
        );
        assert!(
            html.contains("<dd>put <small>(a value)</small></dd>"),
            "{html}"
        );

        let (segment, commit) = records()
            .find(|(_, r)| r.kind == RecordKind::CompactionCommit)
            .ok_or("a commit record")?;
        let Some(MetaPayload::Commit(payload)) = &commit.meta else {
            return Err(format!("undecoded commit: {commit:?}").into());
        };
        let html = record_details_html(&layout, segment, commit, Now::default());
        assert!(html.contains("meta — bookkeeping, not data."), "{html}");
        assert!(html.contains("<dd>commit <small>(a compaction finished)</small></dd>"));
        let inputs: Vec<String> = payload.inputs.iter().map(ToString::to_string).collect();
        assert!(
            html.contains(&format!(
                "{} replaced: {} <small>",
                count(payload.inputs.len() as u64, "segment"),
                inputs.join(", ")
            )),
            "{html}"
        );

        let compacted = layout
            .segments
            .iter()
            .find(|s| s.is_compacted())
            .ok_or("a compacted segment")?;
        let html = header_details_html(compacted);
        assert!(
            html.contains("<code>compacted</code> (compaction wrote it)"),
            "{html}"
        );
        Ok(())
    }

    #[test]
    fn details_show_the_countdown_and_then_how_long_it_has_been_dead() -> TestResult {
        let clock = Arc::new(ManualClock::new(T0));
        let store = KvStore::open_with(
            MemStorage::new(),
            Options::default()
                .compaction_policy(CompactionPolicy::default().background(false))
                .clock(Arc::clone(&clock)),
        )?;
        store.set_with_ttl("session", "token", Duration::from_secs(27))?;
        let layout = store.layout()?;
        let put = &layout.segments[0].records[0];
        let html = record_details_html(&layout, 1, put, Now::utc(T0 + 15_000));
        assert!(
            html.contains(r#"<dt>expiry</dt><dd><b class="countdown" data-countdown>expires in 12 s</b> <small>(at 14:03:27)</small></dd>"#),
            "{html}"
        );
        assert!(
            html.contains("live — the index points here: this is the key&#39;s current value until its time to live runs out."),
            "{html}"
        );
        let html = record_details_html(&layout, 1, put, Now::utc(T0 + 26_500));
        assert!(html.contains(">expires in 1 s<"), "{html}");

        clock.set(T0 + 30_000);
        let layout = store.layout()?;
        let put = &layout.segments[0].records[0];
        let html = record_details_html(&layout, 1, put, Now::utc(T0 + 30_000));
        assert!(html.contains(">expired 3 s ago<"), "{html}");
        assert!(
            html.contains(r#"<span class="swatch expired"></span>expired — the key&#39;s latest value, but its time to live ran out"#),
            "{html}"
        );
        assert!(html.contains("unless an older value of the key"), "{html}");

        store.set("plain", "1")?;
        let layout = store.layout()?;
        let plain = layout.segments[0].records.last().ok_or("a record")?;
        let html = record_details_html(&layout, 1, plain, Now::utc(T0));
        assert!(!html.contains("expiry"), "{html}");
        Ok(())
    }
}
