//! Walking a segment's records: shared by recovery, `verify` and the layout
//! view, so all three agree on what is a record, what is corrupt and what is
//! a torn tail.

use crate::format::{self, BatchPart, RecordKind, RecordRef, SEGMENT_HEADER_LEN};

/// What a walk over one segment found, besides the records it handed out.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct SegmentScan {
    /// Valid records seen.
    pub records: u64,
    /// Byte ranges `(offset, len)` that hold no valid record but have valid
    /// records after them.
    pub corrupt: Vec<(u64, u64)>,
    /// Offset where bytes start that hold no valid record up to the end of
    /// the segment (a write cut short by a crash, or junk).
    pub torn_tail: Option<u64>,
    /// Whether the last valid record is a seal.
    pub sealed: bool,
    /// Offset where zero bytes begin that follow the last valid record and
    /// run to the end: space preallocated for appends that never came (see
    /// [`Storage::preallocate`](crate::Storage::preallocate)). Not damage.
    pub unused_from: Option<u64>,
}

impl SegmentScan {
    /// Sealed and without damage: a segment that can have a hint file.
    pub(crate) fn whole_and_sealed(&self) -> bool {
        self.sealed && self.corrupt.is_empty() && self.torn_tail.is_none()
    }
}

/// Walks the records of a whole segment (`bytes` includes the 16-byte header,
/// which the caller has checked), calling `on_record(offset, record)` for each
/// valid one in order.
///
/// Write batches are all or nothing. A batch's records are held back until
/// its last one arrives (first, middles, last: consecutive sequence numbers,
/// back to back). A batch cut off by the end of the segment belongs to the
/// torn tail — cut with it, so no later write can ever seem to complete it.
/// A batch interrupted any other way, and batch records without their
/// first, are corrupt: never half applied.
///
/// No record is all zeros (kind 0 does not exist), so zeros that run to the
/// end of the segment hold no record: after valid records they are unused
/// preallocated space, after junk they are part of the torn tail. The search
/// for a record after damage stops where they begin.
pub(crate) fn scan_segment<'a>(
    bytes: &'a [u8],
    mut on_record: impl FnMut(u64, &RecordRef<'a>),
) -> SegmentScan {
    let data_end = bytes
        .iter()
        .rposition(|&b| b != 0)
        .map_or(0, |last| last + 1);
    let mut scan = SegmentScan::default();
    let mut pos = SEGMENT_HEADER_LEN as usize;
    let mut batch: Vec<(usize, RecordRef<'a>)> = Vec::new();
    while pos < bytes.len() {
        if pos >= data_end {
            if batch.is_empty() {
                scan.unused_from = Some(pos as u64);
            }
            break;
        }
        let record = match format::decode_record(&bytes[pos..]) {
            Ok(record) => record,
            Err(_) => {
                let start = batch.first().map_or(pos, |(offset, _)| *offset);
                batch.clear();
                match next_valid_record(bytes, pos + 1, data_end) {
                    Some(next) => {
                        scan.add_corrupt(start, next);
                        pos = next;
                        continue;
                    }
                    None => {
                        scan.torn_tail = Some(start as u64);
                        return scan;
                    }
                }
            }
        };
        let end = pos + record.len;
        let follows_batch = batch
            .last()
            .is_some_and(|(_, last)| record.seq == last.seq.wrapping_add(1));
        match record.batch {
            Some(BatchPart::Middle | BatchPart::Last) if follows_batch => {
                batch.push((pos, record));
                if record.batch == Some(BatchPart::Last) {
                    for (offset, member) in batch.drain(..) {
                        on_record(offset as u64, &member);
                        scan.records += 1;
                    }
                    scan.sealed = false;
                }
            }
            Some(BatchPart::Middle | BatchPart::Last) => {
                // Its batch's beginning is missing: never apply part of it.
                let start = batch.first().map_or(pos, |(offset, _)| *offset);
                batch.clear();
                scan.add_corrupt(start, end);
            }
            part => {
                if let Some(&(start, _)) = batch.first() {
                    scan.add_corrupt(start, pos);
                    batch.clear();
                }
                if part == Some(BatchPart::First) {
                    batch.push((pos, record));
                } else {
                    on_record(pos as u64, &record);
                    scan.records += 1;
                    scan.sealed = record.kind == RecordKind::Seal;
                }
            }
        }
        pos = end;
    }
    if let Some(&(start, _)) = batch.first() {
        scan.torn_tail = Some(start as u64);
    }
    scan
}

impl SegmentScan {
    /// Records `start..end` as corrupt, merged with a range that ends there.
    fn add_corrupt(&mut self, start: usize, end: usize) {
        let (start, end) = (start as u64, end as u64);
        match self.corrupt.last_mut() {
            Some((offset, len)) if *offset + *len == start => *len = end - *offset,
            _ => self.corrupt.push((start, end - start)),
        }
    }
}

/// The first offset in `from..data_end` where a valid record starts.
///
/// Byte by byte: after corruption there is no framing left to trust. The CRC,
/// plus the kind and length checks that run before it, make a false match
/// vanishingly rare.
fn next_valid_record(bytes: &[u8], from: usize, data_end: usize) -> Option<usize> {
    (from..data_end).find(|&pos| format::decode_record(&bytes[pos..]).is_ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::{SegmentKind, encode_record, encode_segment_header};

    fn segment(records: &[(&[u8], &[u8])]) -> (Vec<u8>, Vec<usize>) {
        let mut bytes = encode_segment_header(SegmentKind::Log).to_vec();
        let mut offsets = Vec::new();
        for (seq, (key, value)) in records.iter().enumerate() {
            offsets.push(bytes.len());
            encode_record(&mut bytes, RecordKind::Put, seq as u64 + 1, key, value);
        }
        (bytes, offsets)
    }

    fn keys_of(bytes: &[u8]) -> (Vec<Vec<u8>>, SegmentScan) {
        let mut keys = Vec::new();
        let scan = scan_segment(bytes, |_, r| keys.push(r.key.to_vec()));
        (keys, scan)
    }

    #[test]
    fn clean_segment() {
        let (bytes, _) = segment(&[(b"a", b"1"), (b"b", b"2")]);
        let (keys, scan) = keys_of(&bytes);
        assert_eq!(keys, vec![b"a".to_vec(), b"b".to_vec()]);
        assert_eq!(scan.records, 2);
        assert!(scan.corrupt.is_empty());
        assert_eq!(scan.torn_tail, None);
        assert!(!scan.sealed);
    }

    #[test]
    fn cut_last_record_is_a_torn_tail() {
        let (bytes, offsets) = segment(&[(b"a", b"1"), (b"b", b"22")]);
        for cut in offsets[1] + 1..bytes.len() {
            let (keys, scan) = keys_of(&bytes[..cut]);
            assert_eq!(keys, vec![b"a".to_vec()]);
            assert_eq!(scan.torn_tail, Some(offsets[1] as u64));
            assert!(scan.corrupt.is_empty());
        }
    }

    #[test]
    fn damage_in_the_middle_is_corruption_and_later_records_survive() {
        let (mut bytes, offsets) = segment(&[(b"a", b"1"), (b"b", b"2"), (b"c", b"3")]);
        bytes[offsets[1] + 22] ^= 0x40; // inside b's key
        let (keys, scan) = keys_of(&bytes);
        assert_eq!(keys, vec![b"a".to_vec(), b"c".to_vec()]);
        assert_eq!(
            scan.corrupt,
            vec![(offsets[1] as u64, (offsets[2] - offsets[1]) as u64)]
        );
        assert_eq!(scan.torn_tail, None);
    }

    fn batch(bytes: &mut Vec<u8>, first_seq: u64, keys: &[&[u8]]) -> Vec<usize> {
        let mut offsets = Vec::new();
        for (i, key) in keys.iter().enumerate() {
            offsets.push(bytes.len());
            let part = match i {
                0 => BatchPart::First,
                i if i + 1 == keys.len() => BatchPart::Last,
                _ => BatchPart::Middle,
            };
            format::encode_batch_record(
                bytes,
                RecordKind::Put,
                Some(part),
                first_seq + i as u64,
                key,
                b"v",
            );
        }
        offsets
    }

    #[test]
    fn a_complete_batch_counts() {
        let (mut bytes, _) = segment(&[(b"a", b"1")]);
        batch(&mut bytes, 2, &[b"x", b"y", b"z"]);
        let (keys, scan) = keys_of(&bytes);
        assert_eq!(
            keys,
            vec![b"a".to_vec(), b"x".to_vec(), b"y".to_vec(), b"z".to_vec()]
        );
        assert_eq!((scan.torn_tail, scan.corrupt.len()), (None, 0));
    }

    #[test]
    fn a_batch_cut_anywhere_is_dropped_whole_as_a_torn_tail() {
        let (mut bytes, _) = segment(&[(b"a", b"1")]);
        let offsets = batch(&mut bytes, 2, &[b"x", b"y", b"z"]);
        for cut in offsets[0] + 1..bytes.len() {
            let (keys, scan) = keys_of(&bytes[..cut]);
            assert_eq!(keys, vec![b"a".to_vec()], "cut at {cut}");
            assert_eq!(scan.torn_tail, Some(offsets[0] as u64), "cut at {cut}");
        }
    }

    #[test]
    fn a_batch_missing_a_member_is_corrupt_not_half_applied() {
        let (mut bytes, _) = segment(&[(b"a", b"1")]);
        let offsets = batch(&mut bytes, 2, &[b"x", b"y", b"z"]);
        bytes[offsets[1] + 22] ^= 1; // damage y
        let end = bytes.len();
        let (mut tail, _) = segment(&[]);
        encode_record(&mut tail, RecordKind::Put, 9, b"after", b"v");
        bytes.extend_from_slice(&tail[16..]);
        let (keys, scan) = keys_of(&bytes);
        assert_eq!(
            keys,
            vec![b"a".to_vec(), b"after".to_vec()],
            "x and z are never applied without y"
        );
        assert_eq!(
            scan.corrupt,
            vec![(offsets[0] as u64, (end - offsets[0]) as u64)]
        );
    }

    #[test]
    fn a_batch_interrupted_by_a_plain_record_is_corrupt() {
        let (mut bytes, _) = segment(&[]);
        let offsets = batch(&mut bytes, 1, &[b"x", b"y", b"z"]);
        // Drop z's bytes and put an unrelated write where it was.
        bytes.truncate(offsets[2]);
        encode_record(&mut bytes, RecordKind::Put, 3, b"plain", b"v");
        let (keys, scan) = keys_of(&bytes);
        assert_eq!(keys, vec![b"plain".to_vec()]);
        assert_eq!(
            scan.corrupt,
            vec![(offsets[0] as u64, (offsets[2] - offsets[0]) as u64)]
        );
    }

    #[test]
    fn zeros_after_the_last_record_are_unused_space() {
        // The last value ends in zero bytes itself: they are still its own.
        let (mut bytes, offsets) = segment(&[(b"a", b"1"), (b"b", b"\0\0")]);
        let end = bytes.len();
        bytes.resize(end + 300, 0);
        let (keys, scan) = keys_of(&bytes);
        assert_eq!(keys, vec![b"a".to_vec(), b"b".to_vec()]);
        assert_eq!(scan.unused_from, Some(end as u64));
        assert_eq!((scan.torn_tail, scan.corrupt.len()), (None, 0));
        assert!(bytes[offsets[1]..end].ends_with(&[0, 0]));
    }

    #[test]
    fn a_record_torn_before_preallocated_zeros_is_a_torn_tail() {
        let (bytes, offsets) = segment(&[(b"a", b"1"), (b"b", b"22")]);
        for cut in offsets[1] + 1..bytes.len() {
            let mut torn = bytes[..cut].to_vec();
            torn.resize(bytes.len() + 100, 0);
            let (keys, scan) = keys_of(&torn);
            assert_eq!(keys, vec![b"a".to_vec()], "cut at {cut}");
            assert_eq!(scan.torn_tail, Some(offsets[1] as u64), "cut at {cut}");
            assert_eq!(scan.unused_from, None);
        }
    }

    #[test]
    fn a_batch_followed_by_zeros_without_its_last_record_is_torn() {
        let (mut bytes, _) = segment(&[(b"a", b"1")]);
        let offsets = batch(&mut bytes, 2, &[b"x", b"y", b"z"]);
        bytes.truncate(offsets[2]);
        bytes.resize(bytes.len() + 64, 0);
        let (keys, scan) = keys_of(&bytes);
        assert_eq!(keys, vec![b"a".to_vec()]);
        assert_eq!(scan.torn_tail, Some(offsets[0] as u64));
    }

    #[test]
    fn junk_after_a_seal_is_a_torn_tail() {
        let (mut bytes, _) = segment(&[(b"a", b"1")]);
        let seal_at = bytes.len();
        encode_record(&mut bytes, RecordKind::Seal, 0, b"", &2u64.to_le_bytes());
        let end = bytes.len();
        bytes.extend_from_slice(b"\x01garbage garbage garbage");
        let (_, scan) = keys_of(&bytes);
        assert!(scan.sealed);
        assert_eq!(scan.torn_tail, Some(end as u64));
        assert!(seal_at < end);
    }
}
