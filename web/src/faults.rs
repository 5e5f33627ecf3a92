//! The fault buttons: what "tear the last write" and "flip a bit" do to a
//! segment's bytes, worked out from the layout.
//!
//! Both model real failures the engine's recovery is built for (and that
//! `FaultyStorage` injects in the engine's own tests): a write cut short by a
//! crash or power loss leaves part of a record at the end of the newest
//! segment (a torn tail), and bit rot or a bad sector changes a byte that was
//! written long ago (a CRC mismatch in the middle of a segment). They are
//! pure functions from bytes to bytes so they are tested natively; the page
//! writes the result into `IdbStorage` (memory and, with the next flush,
//! IndexedDB) and asks the learner to reload.

use mini_kvstore::{Layout, RECORD_HEADER_LEN, RecordLayout, RecordState, SegmentId};

use crate::view::{is_data, show_bytes};

/// A fault ready to apply: the segment's new bytes and what was done.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault {
    /// The damaged segment.
    pub segment: SegmentId,
    /// Offset of the damaged record.
    pub record_offset: u64,
    /// The segment's bytes after the fault.
    pub bytes: Vec<u8>,
    /// What happened, for the learner.
    pub description: String,
}

/// Why there is nothing to damage.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NoTarget {
    /// The active segment has no record to tear.
    #[error(
        "the active segment holds no record yet (it was just started), so there is no write to tear; write something first"
    )]
    NothingToTear,
    /// No segment has a record to flip a bit in.
    #[error("there is no record to damage yet; write something first")]
    NothingToFlip,
    /// The segment's bytes are not there (it was removed meanwhile).
    #[error("segment {0} is gone")]
    SegmentGone(SegmentId),
}

/// Cuts the newest record of the active segment in half, as a crash in the
/// middle of that write would.
pub fn tear_last_write(layout: &Layout, bytes: &[u8]) -> Result<Fault, NoTarget> {
    let segment = layout
        .segments
        .iter()
        .find(|s| s.active)
        .ok_or(NoTarget::NothingToTear)?;
    let record = segment
        .records
        .iter()
        .rev()
        .find(|r| is_data(r))
        .ok_or(NoTarget::NothingToTear)?;
    let keep = (record.len / 2).max(1);
    let end = usize::try_from(record.offset + keep).unwrap_or(usize::MAX);
    let kept = bytes.get(..end).ok_or(NoTarget::SegmentGone(segment.id))?;
    Ok(Fault {
        segment: segment.id,
        record_offset: record.offset,
        bytes: kept.to_vec(),
        description: format!(
            "Tore the last write: segment {} now ends {keep} bytes into the {}-byte record of '{}' (seq {}), as if the power failed in the middle of writing it.",
            segment.id,
            record.len,
            show_bytes(&record.key, 24),
            record.seq
        ),
    })
}

/// Flips one bit inside `target` (a `(segment, record index)` the learner
/// picked), or inside the oldest live record: bit rot in data written long
/// ago, with valid records after it.
pub fn flip_a_bit(
    layout: &Layout,
    target: Option<(u32, usize)>,
    segment_bytes: impl Fn(SegmentId) -> Option<Vec<u8>>,
) -> Result<Fault, NoTarget> {
    let picked = target.and_then(|(segment, index)| {
        let layout_segment = layout.segments.iter().find(|s| s.id.0 == segment)?;
        let record = layout_segment.records.get(index).filter(|r| is_data(r))?;
        Some((layout_segment.id, record))
    });
    let oldest = |state: Option<RecordState>| {
        layout
            .segments
            .iter()
            .flat_map(|s| s.records.iter().map(move |r| (s.id, r)))
            .filter(|(_, r)| is_data(r) && state.is_none_or(|state| r.state == state))
            .min_by_key(|(_, r)| r.seq)
    };
    let (segment, record) = picked
        .or_else(|| oldest(Some(RecordState::Live)))
        .or_else(|| oldest(None))
        .ok_or(NoTarget::NothingToFlip)?;
    let mut bytes = segment_bytes(segment).ok_or(NoTarget::SegmentGone(segment))?;
    let (at, inside) = flip_position(record);
    let byte = bytes
        .get_mut(usize::try_from(at).unwrap_or(usize::MAX))
        .ok_or(NoTarget::SegmentGone(segment))?;
    *byte ^= 0x04;
    Ok(Fault {
        segment,
        record_offset: record.offset,
        bytes,
        description: format!(
            "Flipped one bit of byte {at} in segment {segment}, inside the {inside} of the record for '{}' (seq {}). Its CRC no longer matches its bytes.",
            show_bytes(&record.key, 24),
            record.seq
        ),
    })
}

/// Where in a record to flip a bit: the middle of its value, or of its key
/// when the value is empty (a tombstone).
fn flip_position(record: &RecordLayout) -> (u64, &'static str) {
    let key_start = record.offset + RECORD_HEADER_LEN as u64;
    let key_len = record.key.len() as u64;
    if record.value_len > 0 {
        (key_start + key_len + record.value_len / 2, "value")
    } else {
        (key_start + key_len / 2, "key")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::IdbStorage;
    use mini_kvstore::{KvStore, Options, SyncPolicy};

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    fn options() -> Options {
        Options::default()
            .max_segment_size(256)
            .sync_policy(SyncPolicy::Never)
            // As in the browser, which has no threads: a background merge
            // would rewrite the segments the faults are aimed at.
            .compaction_policy(mini_kvstore::CompactionPolicy::default().background(false))
    }

    fn filled() -> Result<(IdbStorage, KvStore), mini_kvstore::Error> {
        let storage = IdbStorage::new();
        let store = KvStore::open_with(storage.clone(), options())?;
        for i in 0..12 {
            store.set(format!("key{}", i % 5), format!("value number {i}"))?;
        }
        Ok((storage, store))
    }

    #[test]
    fn a_torn_write_is_cut_by_recovery() -> TestResult {
        let (storage, store) = filled()?;
        let layout = store.layout()?;
        let active = layout.segments.iter().find(|s| s.active).ok_or("active")?;
        let bytes = storage.segment_bytes(active.id).ok_or("bytes")?;
        let fault = tear_last_write(&layout, &bytes)?;
        drop(store);
        storage.put_segment_bytes(fault.segment, fault.bytes);
        let store = KvStore::open_with(storage, options())?;
        let report = store.recovery_report();
        assert_eq!(report.truncated.len(), 1);
        assert_eq!(report.truncated[0].offset, fault.record_offset);
        assert_eq!(
            store.get("key1")?,
            Some(b"value number 6".to_vec()),
            "the torn write of key1 (value 11) is gone; its previous value is back"
        );
        assert_eq!(store.get("key0")?, Some(b"value number 10".to_vec()));
        Ok(())
    }

    #[test]
    fn a_flipped_bit_is_a_corrupt_range_recovery_skips() -> TestResult {
        let (storage, store) = filled()?;
        let layout = store.layout()?;
        let fault = flip_a_bit(&layout, None, |id| storage.segment_bytes(id))?;
        // With nothing picked, the oldest live record: key2's second write.
        assert!(
            fault
                .description
                .ends_with("inside the value of the record for 'key2' (seq 8). Its CRC no longer matches its bytes."),
            "{}",
            fault.description
        );
        drop(store);
        storage.put_segment_bytes(fault.segment, fault.bytes);
        let store = KvStore::open_with(storage, options())?;
        let report = store.recovery_report();
        assert_eq!(report.corrupt.len(), 1, "{report:?}");
        assert_eq!(report.corrupt[0].offset, fault.record_offset);
        assert!(report.truncated.is_empty(), "{report:?}");
        assert_eq!(store.len(), 5, "no key is lost");
        assert_eq!(
            store.get("key2")?,
            Some(b"value number 2".to_vec()),
            "key2 is rolled back to its first write"
        );
        assert_eq!(store.get("key3")?, Some(b"value number 8".to_vec()));
        Ok(())
    }

    #[test]
    fn an_empty_store_has_nothing_to_damage() -> TestResult {
        let storage = IdbStorage::new();
        let store = KvStore::open_with(storage.clone(), options())?;
        let layout = store.layout()?;
        assert_eq!(tear_last_write(&layout, &[]), Err(NoTarget::NothingToTear));
        assert_eq!(
            flip_a_bit(&layout, None, |id| storage.segment_bytes(id)),
            Err(NoTarget::NothingToFlip)
        );
        Ok(())
    }
}
