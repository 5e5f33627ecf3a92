//! The bytes on storage: segment headers and records (format version 1).
//!
//! `docs/FORMAT.md` is the prose version of this module; the two must agree,
//! and the golden fixtures in `engine/tests/fixtures/` hold them to it.
//!
//! Decoding never trusts a length field further than the bytes it was given:
//! every length is checked against the buffer before anything is sliced or
//! allocated, so a corrupt file cannot cause a panic or a huge allocation.

use serde::Serialize;

/// First bytes of every segment. The CR LF pair catches files mangled by
/// line-ending conversion.
pub const MAGIC: [u8; 8] = *b"MKVSEG\r\n";
/// The format version this build writes. Version 2 added puts with an
/// expiry time; this build reads every version from
/// [`OLDEST_FORMAT_VERSION`] on (a version-1 segment simply holds none).
pub const FORMAT_VERSION: u16 = 2;
/// The oldest format version this build reads.
pub const OLDEST_FORMAT_VERSION: u16 = 1;
/// Size of the segment header.
pub const SEGMENT_HEADER_LEN: u64 = 16;
/// Size of a record's fixed header (crc, kind, seq, key_len, value_len).
pub const RECORD_HEADER_LEN: usize = 21;
/// Longest key accepted.
pub const MAX_KEY_LEN: usize = 64 * 1024;

/// Who wrote a segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SegmentKind {
    /// Written by `set`/`delete`, in sequence order.
    Log,
    /// Written by compaction: surviving records, with their original seqs.
    Compacted,
}

impl SegmentKind {
    /// The word for this kind, as every front shows it (and as it is
    /// serialized): `log` or `compacted`.
    pub fn name(self) -> &'static str {
        match self {
            SegmentKind::Log => "log",
            SegmentKind::Compacted => "compacted",
        }
    }

    fn to_byte(self) -> u8 {
        match self {
            SegmentKind::Log => 1,
            SegmentKind::Compacted => 2,
        }
    }

    fn from_byte(byte: u8) -> Option<Self> {
        match byte {
            1 => Some(SegmentKind::Log),
            2 => Some(SegmentKind::Compacted),
            _ => None,
        }
    }
}

/// The segment header's bytes.
pub fn encode_segment_header(kind: SegmentKind) -> [u8; SEGMENT_HEADER_LEN as usize] {
    let mut header = [0u8; SEGMENT_HEADER_LEN as usize];
    header[..8].copy_from_slice(&MAGIC);
    header[8..10].copy_from_slice(&FORMAT_VERSION.to_le_bytes());
    header[10] = kind.to_byte();
    header[11] = 0;
    let crc = crc32fast::hash(&header[..12]);
    header[12..16].copy_from_slice(&crc.to_le_bytes());
    header
}

/// Why a segment header was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HeaderError {
    /// Fewer than 16 bytes, all of them a prefix of a valid header: a segment
    /// whose creation a crash interrupted.
    Unfinished,
    /// Not our file.
    Foreign(String),
    /// Our magic, another version.
    Version(u16),
}

/// Checks a segment's first bytes (up to 16) and returns its kind.
pub fn decode_segment_header(bytes: &[u8]) -> Result<SegmentKind, HeaderError> {
    if bytes.len() < SEGMENT_HEADER_LEN as usize {
        let prefix_of_valid = [SegmentKind::Log, SegmentKind::Compacted]
            .iter()
            .any(|kind| encode_segment_header(*kind).starts_with(bytes));
        return if prefix_of_valid {
            Err(HeaderError::Unfinished)
        } else {
            Err(HeaderError::Foreign(format!(
                "only {} bytes long and not a segment header",
                bytes.len()
            )))
        };
    }
    if bytes[..8] != MAGIC {
        return Err(HeaderError::Foreign("wrong magic bytes".into()));
    }
    let version = u16::from_le_bytes([bytes[8], bytes[9]]);
    if !(OLDEST_FORMAT_VERSION..=FORMAT_VERSION).contains(&version) {
        return Err(HeaderError::Version(version));
    }
    let stored_crc = u32::from_le_bytes([bytes[12], bytes[13], bytes[14], bytes[15]]);
    if crc32fast::hash(&bytes[..12]) != stored_crc {
        return Err(HeaderError::Foreign("header checksum mismatch".into()));
    }
    SegmentKind::from_byte(bytes[10])
        .ok_or_else(|| HeaderError::Foreign(format!("unknown segment kind {}", bytes[10])))
}

/// What a record says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RecordKind {
    /// A key's value.
    Put,
    /// The key was deleted.
    Tombstone,
    /// The segment is finished; its value is the next seq at that time.
    Seal,
    /// A compaction's outputs are durable; its value lists the inputs.
    CompactionCommit,
}

impl RecordKind {
    /// The word for this kind, as every front shows it: `put`, `tombstone`,
    /// `seal` or `commit` (serialized as `compaction_commit`).
    pub fn name(self) -> &'static str {
        match self {
            RecordKind::Put => "put",
            RecordKind::Tombstone => "tombstone",
            RecordKind::Seal => "seal",
            RecordKind::CompactionCommit => "commit",
        }
    }

    fn to_byte(self) -> u8 {
        match self {
            RecordKind::Put => 1,
            RecordKind::Tombstone => 2,
            RecordKind::Seal => 3,
            RecordKind::CompactionCommit => 4,
        }
    }

    fn from_byte(byte: u8) -> Option<Self> {
        match byte {
            1 => Some(RecordKind::Put),
            2 => Some(RecordKind::Tombstone),
            3 => Some(RecordKind::Seal),
            4 => Some(RecordKind::CompactionCommit),
            _ => None,
        }
    }
}

/// Kind-byte flag: the record belongs to a write batch of two or more records.
pub const BATCH_MEMBER: u8 = 0x80;
/// Kind-byte flag, with [`BATCH_MEMBER`]: the batch's first record.
pub const BATCH_FIRST: u8 = 0x40;
/// Kind-byte flag, with [`BATCH_MEMBER`]: the batch's last record.
pub const BATCH_LAST: u8 = 0x20;
const BATCH_FLAGS: u8 = BATCH_MEMBER | BATCH_FIRST | BATCH_LAST;

/// A record's place in a write batch of two or more records. A batch counts
/// only when all of it is there: first, middles, last, with consecutive
/// sequence numbers, back to back in one segment (see `scan`). A write that
/// is not part of a batch is a batch of one and carries no flags.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BatchPart {
    /// Opens a batch.
    First,
    /// Inside a batch.
    Middle,
    /// Closes a batch.
    Last,
}

impl BatchPart {
    fn flags(part: Option<BatchPart>) -> u8 {
        match part {
            None => 0,
            Some(BatchPart::First) => BATCH_MEMBER | BATCH_FIRST,
            Some(BatchPart::Middle) => BATCH_MEMBER,
            Some(BatchPart::Last) => BATCH_MEMBER | BATCH_LAST,
        }
    }

    fn from_flags(flags: u8) -> Result<Option<BatchPart>, RecordError> {
        match flags {
            0 => Ok(None),
            f if f == BATCH_MEMBER | BATCH_FIRST => Ok(Some(BatchPart::First)),
            BATCH_MEMBER => Ok(Some(BatchPart::Middle)),
            f if f == BATCH_MEMBER | BATCH_LAST => Ok(Some(BatchPart::Last)),
            _ => Err(RecordError::Invalid("impossible batch flags")),
        }
    }
}

/// Length of the record holding a key and value of these sizes.
pub fn record_len(key_len: usize, value_len: usize) -> usize {
    RECORD_HEADER_LEN + key_len + value_len
}

/// Kind byte of a put that carries an expiry time (format version 2): its
/// value field is the expiry, 8 bytes (milliseconds since the Unix epoch,
/// little-endian), then the value.
const EXPIRING_PUT: u8 = 5;

/// Bytes an expiry takes in a put.
pub const EXPIRY_LEN: usize = 8;

/// Length of the put record of a key and value of these sizes, with or
/// without an expiry.
pub fn put_len(key_len: usize, value_len: usize, expiring: bool) -> usize {
    record_len(key_len, value_len) + if expiring { EXPIRY_LEN } else { 0 }
}

/// Appends a put to `out`, flagged with its place in a write batch, with an
/// expiry time (ms since the Unix epoch) when `expires_at` is given.
pub fn encode_put(
    out: &mut Vec<u8>,
    batch: Option<BatchPart>,
    seq: u64,
    key: &[u8],
    value: &[u8],
    expires_at: Option<u64>,
) {
    let Some(expires_at) = expires_at else {
        return encode_batch_record(out, RecordKind::Put, batch, seq, key, value);
    };
    let start = out.len();
    out.reserve(put_len(key.len(), value.len(), true));
    out.extend_from_slice(&[0; 4]);
    out.push(EXPIRING_PUT | BatchPart::flags(batch));
    out.extend_from_slice(&seq.to_le_bytes());
    out.extend_from_slice(&(key.len() as u32).to_le_bytes());
    out.extend_from_slice(&((EXPIRY_LEN + value.len()) as u32).to_le_bytes());
    out.extend_from_slice(key);
    out.extend_from_slice(&expires_at.to_le_bytes());
    out.extend_from_slice(value);
    let crc = crc32fast::hash(&out[start + 4..]);
    out[start..start + 4].copy_from_slice(&crc.to_le_bytes());
}

/// Appends one record to `out`.
///
/// Callers check key and value limits first; lengths here must fit in `u32`.
pub fn encode_record(out: &mut Vec<u8>, kind: RecordKind, seq: u64, key: &[u8], value: &[u8]) {
    encode_batch_record(out, kind, None, seq, key, value);
}

/// Appends one record to `out`, flagged with its place in a write batch.
pub fn encode_batch_record(
    out: &mut Vec<u8>,
    kind: RecordKind,
    batch: Option<BatchPart>,
    seq: u64,
    key: &[u8],
    value: &[u8],
) {
    let start = out.len();
    out.reserve(record_len(key.len(), value.len()));
    out.extend_from_slice(&[0; 4]);
    out.push(kind.to_byte() | BatchPart::flags(batch));
    out.extend_from_slice(&seq.to_le_bytes());
    out.extend_from_slice(&(key.len() as u32).to_le_bytes());
    out.extend_from_slice(&(value.len() as u32).to_le_bytes());
    out.extend_from_slice(key);
    out.extend_from_slice(value);
    let crc = crc32fast::hash(&out[start + 4..]);
    out[start..start + 4].copy_from_slice(&crc.to_le_bytes());
}

/// The payload of a compaction commit record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CommitPayload {
    /// The store's next seq when the compaction committed.
    pub next_seq: u64,
    /// Segments the compaction replaced.
    pub inputs: Vec<crate::storage::SegmentId>,
}

impl CommitPayload {
    /// The record value's bytes.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(12 + 4 * self.inputs.len());
        out.extend_from_slice(&self.next_seq.to_le_bytes());
        out.extend_from_slice(&(self.inputs.len() as u32).to_le_bytes());
        for id in &self.inputs {
            out.extend_from_slice(&id.0.to_le_bytes());
        }
        out
    }

    fn decode(value: &[u8]) -> Option<Self> {
        let next_seq = u64::from_le_bytes(value.get(0..8)?.try_into().ok()?);
        let count = u32::from_le_bytes(value.get(8..12)?.try_into().ok()?) as usize;
        let ids = value.get(12..)?;
        if ids.len() != count.checked_mul(4)? {
            return None;
        }
        let inputs = ids
            .chunks_exact(4)
            .map(|c| crate::storage::SegmentId(u32::from_le_bytes([c[0], c[1], c[2], c[3]])))
            .collect();
        Some(CommitPayload { next_seq, inputs })
    }
}

/// A record decoded in place: slices borrow the buffer it came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordRef<'a> {
    /// What the record says.
    pub kind: RecordKind,
    /// Its sequence number.
    pub seq: u64,
    /// The key (empty for seal and commit records).
    pub key: &'a [u8],
    /// The value (empty for tombstones).
    pub value: &'a [u8],
    /// The stored CRC.
    pub crc: u32,
    /// Total bytes, header included.
    pub len: usize,
    /// Its place in a write batch of two or more records.
    pub batch: Option<BatchPart>,
    /// For a put that expires: when, in ms since the Unix epoch.
    pub expires_at: Option<u64>,
}

impl RecordRef<'_> {
    /// For a seal record: the next seq stored in it.
    pub fn seal_next_seq(&self) -> Option<u64> {
        (self.kind == RecordKind::Seal)
            .then(|| self.value.try_into().ok().map(u64::from_le_bytes))
            .flatten()
    }

    /// For a commit record: its payload.
    pub fn commit(&self) -> Option<CommitPayload> {
        (self.kind == RecordKind::CompactionCommit)
            .then(|| CommitPayload::decode(self.value))
            .flatten()
    }
}

/// Why bytes are not a valid record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecordError {
    /// The buffer ends before the record does.
    Incomplete,
    /// The bytes cannot be a record (bad kind, length, shape or CRC).
    Invalid(&'static str),
}

/// A record's fixed header, checked on its own: what the bytes after it
/// must be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Header {
    pub(crate) crc: u32,
    pub(crate) kind: RecordKind,
    pub(crate) batch: Option<BatchPart>,
    /// A put whose value starts with its expiry time.
    pub(crate) expiring: bool,
    pub(crate) seq: u64,
    pub(crate) key_len: usize,
    /// Bytes after the key: the expiry, if any, and the value.
    pub(crate) value_len: usize,
}

impl Header {
    /// The whole record's length.
    pub(crate) fn record_len(&self) -> usize {
        RECORD_HEADER_LEN + self.key_len + self.value_len
    }
}

/// Decodes and checks a record's header: kind, batch flags, and lengths
/// that fit the kind. The CRC, over the rest of the record, is the
/// caller's to check.
pub(crate) fn decode_header(header: &[u8; RECORD_HEADER_LEN]) -> Result<Header, RecordError> {
    let crc = u32::from_le_bytes([header[0], header[1], header[2], header[3]]);
    let batch = BatchPart::from_flags(header[4] & BATCH_FLAGS)?;
    let expiring = header[4] & !BATCH_FLAGS == EXPIRING_PUT;
    let kind = if expiring {
        RecordKind::Put
    } else {
        RecordKind::from_byte(header[4] & !BATCH_FLAGS)
            .ok_or(RecordError::Invalid("unknown kind"))?
    };
    if batch.is_some() && !matches!(kind, RecordKind::Put | RecordKind::Tombstone) {
        return Err(RecordError::Invalid(
            "only puts and tombstones belong to batches",
        ));
    }
    let seq = u64::from_le_bytes(header[5..13].try_into().unwrap_or([0; 8]));
    let key_len = u32::from_le_bytes([header[13], header[14], header[15], header[16]]) as usize;
    let value_len = u32::from_le_bytes([header[17], header[18], header[19], header[20]]) as usize;
    if key_len > MAX_KEY_LEN {
        return Err(RecordError::Invalid("key length beyond the limit"));
    }
    let shape_ok = match kind {
        RecordKind::Put if expiring => key_len > 0 && value_len >= EXPIRY_LEN,
        RecordKind::Put => key_len > 0,
        RecordKind::Tombstone => key_len > 0 && value_len == 0,
        RecordKind::Seal => key_len == 0 && value_len == 8,
        RecordKind::CompactionCommit => key_len == 0 && value_len >= 12,
    };
    if !shape_ok {
        return Err(RecordError::Invalid("lengths do not fit the record kind"));
    }
    Ok(Header {
        crc,
        kind,
        batch,
        expiring,
        seq,
        key_len,
        value_len,
    })
}

/// Decodes the record at the start of `buf`.
///
/// `buf` may hold more bytes after the record; they are ignored.
pub fn decode_record(buf: &[u8]) -> Result<RecordRef<'_>, RecordError> {
    let Some(header) = buf.first_chunk::<RECORD_HEADER_LEN>() else {
        return Err(RecordError::Incomplete);
    };
    let Header {
        crc,
        kind,
        batch,
        expiring,
        seq,
        key_len,
        value_len,
    } = decode_header(header)?;
    let len = RECORD_HEADER_LEN + key_len + value_len;
    let Some(record) = buf.get(..len) else {
        return Err(RecordError::Incomplete);
    };
    if crc32fast::hash(&record[4..]) != crc {
        return Err(RecordError::Invalid("checksum mismatch"));
    }
    let key = &record[RECORD_HEADER_LEN..RECORD_HEADER_LEN + key_len];
    let mut value = &record[RECORD_HEADER_LEN + key_len..];
    let mut expires_at = None;
    if expiring {
        let (when, rest) = value.split_at(EXPIRY_LEN);
        expires_at = Some(u64::from_le_bytes(when.try_into().unwrap_or([0; 8])));
        value = rest;
    }
    let decoded = RecordRef {
        kind,
        seq,
        key,
        value,
        crc,
        len,
        batch,
        expires_at,
    };
    if kind == RecordKind::CompactionCommit && decoded.commit().is_none() {
        return Err(RecordError::Invalid("malformed compaction commit"));
    }
    Ok(decoded)
}

/// Turns a batch member's bytes into a plain record (clears the batch flags
/// and recomputes the CRC): compaction copies the live members of committed
/// batches one by one, and a copy must not wait for the rest of its batch.
pub(crate) fn clear_batch_flags(record: &mut [u8]) {
    if record.len() >= RECORD_HEADER_LEN && record[4] & BATCH_FLAGS != 0 {
        record[4] &= !BATCH_FLAGS;
        let crc = crc32fast::hash(&record[4..]);
        record[..4].copy_from_slice(&crc.to_le_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::SegmentId;

    #[test]
    fn batch_members_carry_the_continued_bit() {
        let mut out = Vec::new();
        encode_batch_record(
            &mut out,
            RecordKind::Tombstone,
            Some(BatchPart::Middle),
            3,
            b"k",
            b"",
        );
        let record = decode_record(&out).expect("valid");
        assert_eq!(record.batch, Some(BatchPart::Middle));
        assert_eq!(record.kind, RecordKind::Tombstone);
        clear_batch_flags(&mut out);
        let record = decode_record(&out).expect("still valid");
        assert_eq!(record.batch, None);
        assert_eq!(
            (record.kind, record.seq, record.key),
            (RecordKind::Tombstone, 3, &b"k"[..])
        );

        let mut seal = Vec::new();
        encode_batch_record(
            &mut seal,
            RecordKind::Seal,
            Some(BatchPart::First),
            0,
            b"",
            &1u64.to_le_bytes(),
        );
        assert!(
            decode_record(&seal).is_err(),
            "a seal is never part of a batch"
        );
        for part in [BatchPart::First, BatchPart::Middle, BatchPart::Last] {
            let mut out = Vec::new();
            encode_batch_record(&mut out, RecordKind::Put, Some(part), 1, b"k", b"v");
            assert_eq!(decode_record(&out).map(|r| r.batch), Ok(Some(part)));
        }
    }

    fn put(seq: u64, key: &[u8], value: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        encode_record(&mut out, RecordKind::Put, seq, key, value);
        out
    }

    #[test]
    fn record_round_trip() {
        let bytes = put(7, b"key", b"value");
        assert_eq!(bytes.len(), record_len(3, 5));
        let record = decode_record(&bytes).expect("valid record");
        assert_eq!(record.kind, RecordKind::Put);
        assert_eq!(record.seq, 7);
        assert_eq!(record.key, b"key");
        assert_eq!(record.value, b"value");
        assert_eq!(record.len, bytes.len());
    }

    #[test]
    fn every_truncation_is_incomplete() {
        let bytes = put(1, b"k", b"some value");
        for cut in 0..bytes.len() {
            assert_eq!(
                decode_record(&bytes[..cut]),
                Err(RecordError::Incomplete),
                "cut at {cut}"
            );
        }
    }

    #[test]
    fn every_single_bit_flip_is_rejected() {
        let bytes = put(1, b"key", b"value");
        for bit in 0..bytes.len() * 8 {
            let mut flipped = bytes.clone();
            flipped[bit / 8] ^= 1 << (bit % 8);
            assert!(decode_record(&flipped).is_err(), "bit {bit} went unnoticed");
        }
    }

    #[test]
    fn huge_length_fields_do_not_allocate_or_panic() {
        let mut bytes = put(1, b"k", b"v");
        bytes[17..21].copy_from_slice(&u32::MAX.to_le_bytes());
        assert_eq!(decode_record(&bytes), Err(RecordError::Incomplete));
        bytes[13..17].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(matches!(
            decode_record(&bytes),
            Err(RecordError::Invalid(_))
        ));
    }

    #[test]
    fn seal_and_commit_payloads() {
        let mut out = Vec::new();
        encode_record(&mut out, RecordKind::Seal, 9, b"", &42u64.to_le_bytes());
        assert_eq!(
            decode_record(&out).ok().and_then(|r| r.seal_next_seq()),
            Some(42)
        );

        let payload = CommitPayload {
            next_seq: 10,
            inputs: vec![SegmentId(1), SegmentId(4)],
        };
        let mut out = Vec::new();
        encode_record(
            &mut out,
            RecordKind::CompactionCommit,
            9,
            b"",
            &payload.encode(),
        );
        assert_eq!(
            decode_record(&out).ok().and_then(|r| r.commit()),
            Some(payload)
        );
    }

    #[test]
    fn an_expiring_put_carries_its_expiry_before_the_value() {
        let mut out = Vec::new();
        encode_put(
            &mut out,
            Some(BatchPart::First),
            9,
            b"key",
            b"value",
            Some(1234),
        );
        assert_eq!(out.len(), put_len(3, 5, true));
        assert_eq!(out[4], EXPIRING_PUT | BATCH_MEMBER | BATCH_FIRST);
        let record = decode_record(&out).expect("valid");
        assert_eq!(record.kind, RecordKind::Put);
        assert_eq!(record.expires_at, Some(1234));
        assert_eq!((record.key, record.value), (&b"key"[..], &b"value"[..]));
        let mut plain = Vec::new();
        encode_put(&mut plain, None, 9, b"key", b"value", None);
        assert_eq!(decode_record(&plain).map(|r| r.expires_at), Ok(None));
        // An expiring put too short to hold its expiry is refused.
        let mut short = out.clone();
        short[17..21].copy_from_slice(&4u32.to_le_bytes());
        assert!(decode_record(&short).is_err());
    }

    #[test]
    fn headers() {
        for kind in [SegmentKind::Log, SegmentKind::Compacted] {
            let header = encode_segment_header(kind);
            assert_eq!(decode_segment_header(&header), Ok(kind));
            for cut in 0..header.len() {
                assert_eq!(
                    decode_segment_header(&header[..cut]),
                    Err(HeaderError::Unfinished)
                );
            }
        }
        let mut future = encode_segment_header(SegmentKind::Log);
        future[8] = 3;
        assert_eq!(decode_segment_header(&future), Err(HeaderError::Version(3)));
        // A version-1 header (with its own CRC) still reads.
        let mut old = encode_segment_header(SegmentKind::Compacted);
        old[8] = 1;
        let crc = crc32fast::hash(&old[..12]);
        old[12..16].copy_from_slice(&crc.to_le_bytes());
        assert_eq!(decode_segment_header(&old), Ok(SegmentKind::Compacted));
        let mut before_one = old;
        before_one[8] = 0;
        assert_eq!(
            decode_segment_header(&before_one),
            Err(HeaderError::Version(0))
        );
        assert!(matches!(
            decode_segment_header(b"hello world, not a segment"),
            Err(HeaderError::Foreign(_))
        ));
        assert!(matches!(
            decode_segment_header(b"PK"),
            Err(HeaderError::Foreign(_))
        ));
    }
}
