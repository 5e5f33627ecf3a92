//! Walking a segment's records: shared by recovery, `verify` and the layout
//! view, so all three agree on what is a record, what is corrupt and what is
//! a torn tail.

use crate::format::{self, RecordKind, RecordRef, SEGMENT_HEADER_LEN};

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
}

/// Walks the records of a whole segment (`bytes` includes the 16-byte header,
/// which the caller has checked), calling `on_record(offset, record)` for each
/// valid one in order.
pub(crate) fn scan_segment(
    bytes: &[u8],
    mut on_record: impl FnMut(u64, &RecordRef<'_>),
) -> SegmentScan {
    let mut scan = SegmentScan::default();
    let mut pos = SEGMENT_HEADER_LEN as usize;
    while pos < bytes.len() {
        match format::decode_record(&bytes[pos..]) {
            Ok(record) => {
                on_record(pos as u64, &record);
                scan.records += 1;
                scan.sealed = record.kind == RecordKind::Seal;
                pos += record.len;
            }
            Err(_) => match next_valid_record(bytes, pos + 1) {
                Some(next) => {
                    scan.corrupt.push((pos as u64, (next - pos) as u64));
                    pos = next;
                }
                None => {
                    scan.torn_tail = Some(pos as u64);
                    break;
                }
            },
        }
    }
    scan
}

/// The first offset at or after `from` where a valid record starts.
///
/// Byte by byte: after corruption there is no framing left to trust. The CRC,
/// plus the kind and length checks that run before it, make a false match
/// vanishingly rare.
fn next_valid_record(bytes: &[u8], from: usize) -> Option<usize> {
    (from..bytes.len()).find(|&pos| format::decode_record(&bytes[pos..]).is_ok())
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
