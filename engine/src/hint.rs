//! Hint files: an index snapshot of one sealed segment, so `open` can skip
//! reading the segment itself.
//!
//! A hint lists, sorted by key, the newest put or tombstone of every key in
//! its segment with the record's place and sequence number, plus what
//! recovery otherwise learns from the segment's bookkeeping records (the
//! seal's next sequence number, a compaction commit's inputs). Sorted by key,
//! the hints of all segments are runs that recovery merges instead of sorting
//! every key from scratch.
//!
//! A hint is a cache and is never trusted blindly: it is used only when its
//! own CRC matches and it names the segment's exact length and the CRC32 of
//! the segment's bytes as they are now. Recovery still reads each segment
//! and checks that CRC (at memory speed), so bit rot in a sealed segment is
//! found at open exactly as without hints — what a hint saves is decoding
//! every record and sorting every key. Anything amiss and recovery decodes
//! the segment as if there were no hint (and writes a new one). Layout in
//! `docs/FORMAT.md`.

use crate::format::{self, RecordKind, RecordRef, SEGMENT_HEADER_LEN, SegmentKind};
use crate::scan::scan_segment;
use crate::storage::SegmentId;

const MAGIC: [u8; 8] = *b"MKVHINT\n";
/// Version 2 added the expiry of expiring puts; a hint of another version
/// is not read (the segment is scanned instead, and a new hint written).
const VERSION: u16 = 2;

/// A key's put or tombstone in the segment (in a hint: its newest one).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct HintEntry<'a> {
    pub key: &'a [u8],
    pub seq: u64,
    pub offset: u64,
    pub len: u32,
    pub tombstone: bool,
    /// For a put that expires: when (ms since the Unix epoch).
    pub expires_at: Option<u64>,
}

/// What recovery needs from one segment: read from its hint file, or
/// gathered from its records by [`Hint::observe`] while it is scanned — the
/// same summary either way, so recovery treats both alike, and a scanned
/// sealed segment's hint is encoded from it without a second scan. Entries
/// borrow the bytes they were read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Hint<'a> {
    pub kind: SegmentKind,
    /// Set when encoding (a summary being gathered does not know it yet).
    pub segment_len: u64,
    /// CRC32 of the whole segment; set when encoding.
    pub segment_crc: u32,
    /// The largest next sequence number stored in a seal or commit record.
    pub next_seq: u64,
    /// Header, seal and commit bytes.
    pub meta_bytes: u64,
    /// Valid records in the segment.
    pub records: u64,
    /// Inputs named by a compaction commit in the segment.
    pub commit_inputs: Vec<SegmentId>,
    /// In a hint file: the newest per key, sorted by key. While gathering:
    /// every put and tombstone, in segment order.
    pub entries: Vec<HintEntry<'a>>,
}

/// Builds the hint of a whole segment's bytes; `None` unless the segment is
/// sealed and entirely valid (a damaged segment is always read in full).
pub(crate) fn build(bytes: &[u8]) -> Option<Vec<u8>> {
    let kind = format::decode_segment_header(bytes.get(..SEGMENT_HEADER_LEN as usize)?).ok()?;
    let mut hint = Hint::new(kind);
    let scan = scan_segment(bytes, |offset, record| hint.observe(offset, record));
    scan.whole_and_sealed().then(|| hint.encode_for(bytes))
}

impl<'a> Hint<'a> {
    /// An empty summary of a segment of `kind`, for [`Hint::observe`] to fill.
    pub(crate) fn new(kind: SegmentKind) -> Self {
        Hint {
            kind,
            segment_len: 0,
            segment_crc: 0,
            next_seq: 0,
            meta_bytes: SEGMENT_HEADER_LEN,
            records: 0,
            commit_inputs: Vec::new(),
            entries: Vec::new(),
        }
    }

    /// Takes in one valid record of the segment, as `scan_segment` hands
    /// them out.
    pub(crate) fn observe(&mut self, offset: u64, record: &RecordRef<'a>) {
        self.records += 1;
        match record.kind {
            RecordKind::Put | RecordKind::Tombstone => self.entries.push(HintEntry {
                key: record.key,
                seq: record.seq,
                offset,
                len: record.len as u32,
                tombstone: record.kind == RecordKind::Tombstone,
                expires_at: record.expires_at,
            }),
            RecordKind::Seal => {
                self.meta_bytes += record.len as u64;
                if let Some(next) = record.seal_next_seq() {
                    self.next_seq = self.next_seq.max(next);
                }
            }
            RecordKind::CompactionCommit => {
                self.meta_bytes += record.len as u64;
                if let Some(commit) = record.commit() {
                    self.next_seq = self.next_seq.max(commit.next_seq);
                    self.commit_inputs = commit.inputs;
                }
            }
        }
    }

    /// Encodes the summary gathered from `segment` — which must be sealed
    /// and entirely valid — as its hint file.
    pub(crate) fn encode_for(mut self, segment: &[u8]) -> Vec<u8> {
        // Newest per key: sort by key, newest first, keep the first of each.
        self.entries
            .sort_by(|a, b| a.key.cmp(b.key).then(b.seq.cmp(&a.seq)));
        self.entries.dedup_by(|later, kept| later.key == kept.key);
        self.segment_len = segment.len() as u64;
        self.segment_crc = crc32fast::hash(segment);
        self.encode()
    }
}

impl Hint<'_> {
    pub(crate) fn encode(&self) -> Vec<u8> {
        let keys: usize = self.entries.iter().map(|e| e.key.len()).sum();
        let mut out =
            Vec::with_capacity(64 + 4 * self.commit_inputs.len() + 25 * self.entries.len() + keys);
        out.extend_from_slice(&MAGIC);
        out.extend_from_slice(&VERSION.to_le_bytes());
        out.push(match self.kind {
            SegmentKind::Log => 1,
            SegmentKind::Compacted => 2,
        });
        out.push(0);
        out.extend_from_slice(&self.segment_len.to_le_bytes());
        out.extend_from_slice(&self.segment_crc.to_le_bytes());
        out.extend_from_slice(&self.next_seq.to_le_bytes());
        out.extend_from_slice(&self.meta_bytes.to_le_bytes());
        out.extend_from_slice(&self.records.to_le_bytes());
        out.extend_from_slice(&(self.commit_inputs.len() as u32).to_le_bytes());
        for id in &self.commit_inputs {
            out.extend_from_slice(&id.0.to_le_bytes());
        }
        out.extend_from_slice(&(self.entries.len() as u32).to_le_bytes());
        for entry in &self.entries {
            // 0 put, 1 tombstone, 2 put with its expiry after the seq.
            out.push(match (entry.tombstone, entry.expires_at) {
                (true, _) => 1,
                (false, None) => 0,
                (false, Some(_)) => 2,
            });
            out.extend_from_slice(&entry.seq.to_le_bytes());
            if let Some(at) = entry.expires_at {
                out.extend_from_slice(&at.to_le_bytes());
            }
            out.extend_from_slice(&entry.offset.to_le_bytes());
            out.extend_from_slice(&entry.len.to_le_bytes());
            out.extend_from_slice(&(entry.key.len() as u32).to_le_bytes());
            out.extend_from_slice(entry.key);
        }
        let crc = crc32fast::hash(&out);
        out.extend_from_slice(&crc.to_le_bytes());
        out
    }
}

/// Reads `n` bytes off the front of `input`.
fn take<'a>(input: &mut &'a [u8], n: usize) -> Option<&'a [u8]> {
    if input.len() < n {
        return None;
    }
    let (head, tail) = input.split_at(n);
    *input = tail;
    Some(head)
}

fn u32_le(input: &mut &[u8]) -> Option<u32> {
    Some(u32::from_le_bytes(take(input, 4)?.try_into().ok()?))
}

fn u64_le(input: &mut &[u8]) -> Option<u64> {
    Some(u64::from_le_bytes(take(input, 8)?.try_into().ok()?))
}

/// Decodes a hint; `None` for anything but a whole, well-formed one. Every
/// count is checked against the bytes left before it is used.
pub(crate) fn decode(bytes: &[u8]) -> Option<Hint<'_>> {
    let (body, crc) = bytes.split_at_checked(bytes.len().checked_sub(4)?)?;
    if crc32fast::hash(body) != u32::from_le_bytes(crc.try_into().ok()?) {
        return None;
    }
    let mut input = body;
    if take(&mut input, 8)? != MAGIC
        || u16::from_le_bytes(take(&mut input, 2)?.try_into().ok()?) != VERSION
    {
        return None;
    }
    let kind = match take(&mut input, 2)?[0] {
        1 => SegmentKind::Log,
        2 => SegmentKind::Compacted,
        _ => return None,
    };
    let segment_len = u64_le(&mut input)?;
    let segment_crc = u32_le(&mut input)?;
    let next_seq = u64_le(&mut input)?;
    let meta_bytes = u64_le(&mut input)?;
    let records = u64_le(&mut input)?;
    let inputs = u32_le(&mut input)? as usize;
    if inputs.checked_mul(4)? > input.len() {
        return None;
    }
    let commit_inputs = (0..inputs)
        .map(|_| u32_le(&mut input).map(SegmentId))
        .collect::<Option<Vec<_>>>()?;
    let count = u32_le(&mut input)? as usize;
    // Each entry takes at least 25 bytes: never allocate for more than fit.
    if count.checked_mul(25)? > input.len() {
        return None;
    }
    let mut entries = Vec::with_capacity(count);
    for _ in 0..count {
        let (tombstone, expiring) = match take(&mut input, 1)?[0] {
            0 => (false, false),
            1 => (true, false),
            2 => (false, true),
            _ => return None,
        };
        let seq = u64_le(&mut input)?;
        let expires_at = if expiring {
            Some(u64_le(&mut input)?)
        } else {
            None
        };
        let offset = u64_le(&mut input)?;
        let len = u32_le(&mut input)?;
        let key_len = u32_le(&mut input)? as usize;
        let key = take(&mut input, key_len)?;
        if key.is_empty() || offset.checked_add(u64::from(len))? > segment_len {
            return None;
        }
        entries.push(HintEntry {
            key,
            seq,
            offset,
            len,
            tombstone,
            expires_at,
        });
    }
    if !input.is_empty() || !entries.windows(2).all(|w| w[0].key < w[1].key) {
        return None;
    }
    Some(Hint {
        kind,
        segment_len,
        segment_crc,
        next_seq,
        meta_bytes,
        records,
        commit_inputs,
        entries,
    })
}

impl Hint<'_> {
    /// Whether this hint describes exactly these segment bytes.
    pub(crate) fn fits(&self, segment: &[u8]) -> bool {
        self.segment_len == segment.len() as u64
            && self.segment_crc == crc32fast::hash(segment)
            && segment
                .get(..SEGMENT_HEADER_LEN as usize)
                .is_some_and(|header| format::decode_segment_header(header) == Ok(self.kind))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::{encode_record, encode_segment_header};

    fn sealed_segment() -> Vec<u8> {
        let mut bytes = encode_segment_header(SegmentKind::Log).to_vec();
        encode_record(&mut bytes, RecordKind::Put, 1, b"b", b"old");
        encode_record(&mut bytes, RecordKind::Put, 2, b"a", b"1");
        encode_record(&mut bytes, RecordKind::Put, 3, b"b", b"new");
        encode_record(&mut bytes, RecordKind::Tombstone, 4, b"c", b"");
        encode_record(&mut bytes, RecordKind::Seal, 0, b"", &5u64.to_le_bytes());
        bytes
    }

    #[test]
    fn a_sealed_segment_round_trips() {
        let segment = sealed_segment();
        let bytes = build(&segment).expect("sealed and clean");
        let hint = decode(&bytes).expect("valid");
        assert!(hint.fits(&segment));
        let mut rotted = segment.clone();
        rotted[30] ^= 1;
        assert!(
            !hint.fits(&rotted),
            "a hint never covers for a changed segment"
        );
        assert_eq!(hint.segment_len, segment.len() as u64);
        assert_eq!(hint.next_seq, 5);
        assert_eq!(hint.records, 5);
        let keys: Vec<(&[u8], u64, bool)> = hint
            .entries
            .iter()
            .map(|e| (e.key, e.seq, e.tombstone))
            .collect();
        assert_eq!(
            keys,
            vec![(&b"a"[..], 2, false), (b"b", 3, false), (b"c", 4, true)]
        );
    }

    #[test]
    fn unsealed_or_damaged_segments_get_no_hint() {
        let segment = sealed_segment();
        assert!(build(&segment[..segment.len() - 1]).is_none(), "unsealed");
        let mut flipped = segment.clone();
        flipped[40] ^= 1;
        assert!(build(&flipped).is_none(), "corrupt");
    }

    #[test]
    fn every_damaged_hint_is_refused() {
        let bytes = build(&sealed_segment()).expect("hint");
        for cut in 0..bytes.len() {
            assert!(decode(&bytes[..cut]).is_none(), "cut at {cut}");
        }
        for bit in 0..bytes.len() * 8 {
            let mut flipped = bytes.clone();
            flipped[bit / 8] ^= 1 << (bit % 8);
            assert!(decode(&flipped).is_none(), "bit {bit}");
        }
    }
}
