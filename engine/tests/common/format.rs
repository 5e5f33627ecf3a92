//! A second, deliberately naive implementation of `docs/FORMAT.md` (version 2,
//! and the version-1 files it still reads),
//! written from the document and not from the engine's source. The golden
//! fixtures are produced by this encoder, and the decoder lets tests find the
//! byte offsets of records in files the engine wrote, so a format drift on
//! either side shows up as a failing test.

/// `MKVSEG\r\n`: the first eight bytes of every segment.
pub(crate) const MAGIC: [u8; 8] = *b"MKVSEG\r\n";
/// The format version this file describes, which the engine writes.
pub(crate) const VERSION: u16 = 2;
/// The first version: no expiring puts.
pub(crate) const VERSION_1: u16 = 1;
/// Length of the segment header.
pub(crate) const HEADER_LEN: usize = 16;
/// Length of a record's fixed part (crc, kind, seq, key_len, value_len).
pub(crate) const RECORD_HEADER_LEN: usize = 21;
/// Longest key a record may carry.
pub(crate) const MAX_KEY_LEN: usize = 65_536;

/// Segment kind: written by `set`/`delete`.
pub(crate) const SEGMENT_LOG: u8 = 1;
/// Segment kind: written by compaction.
pub(crate) const SEGMENT_COMPACTED: u8 = 2;

/// Record kinds.
pub(crate) const PUT: u8 = 1;
pub(crate) const TOMBSTONE: u8 = 2;
pub(crate) const SEAL: u8 = 3;
pub(crate) const COMMIT: u8 = 4;
/// Version 2: a put whose value field starts with its 8-byte expiry.
pub(crate) const EXPIRING_PUT: u8 = 5;

/// The value of the `seq` field in seal and commit records written by this
/// encoder. FORMAT.md gives those records their next-sequence number in the
/// value and does not say what their `seq` field holds; zero claims nothing.
pub(crate) const CONTROL_RECORD_SEQ: u64 = 0;

/// A segment header with an arbitrary version (for refusing future versions).
pub(crate) fn header_with_version(version: u16, kind: u8) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER_LEN);
    out.extend_from_slice(&MAGIC);
    out.extend_from_slice(&version.to_le_bytes());
    out.push(kind);
    out.push(0); // reserved
    let crc = crc32fast::hash(&out);
    out.extend_from_slice(&crc.to_le_bytes());
    out
}

/// A segment header of the given segment kind, of the version the engine
/// writes.
pub(crate) fn header(kind: u8) -> Vec<u8> {
    header_with_version(VERSION, kind)
}

/// One record, framed and checksummed.
pub(crate) fn record(kind: u8, seq: u64, key: &[u8], value: &[u8]) -> Vec<u8> {
    let mut body = Vec::with_capacity(RECORD_HEADER_LEN - 4 + key.len() + value.len());
    body.push(kind);
    body.extend_from_slice(&seq.to_le_bytes());
    body.extend_from_slice(
        &u32::try_from(key.len())
            .expect("key fits u32")
            .to_le_bytes(),
    );
    body.extend_from_slice(
        &u32::try_from(value.len())
            .expect("value fits u32")
            .to_le_bytes(),
    );
    body.extend_from_slice(key);
    body.extend_from_slice(value);
    let mut out = crc32fast::hash(&body).to_le_bytes().to_vec();
    out.extend_from_slice(&body);
    out
}

pub(crate) fn put(seq: u64, key: &[u8], value: &[u8]) -> Vec<u8> {
    record(PUT, seq, key, value)
}

/// A put that expires at `expires_at` (ms since the Unix epoch).
pub(crate) fn expiring_put(seq: u64, key: &[u8], value: &[u8], expires_at: u64) -> Vec<u8> {
    let mut field = expires_at.to_le_bytes().to_vec();
    field.extend_from_slice(value);
    record(EXPIRING_PUT, seq, key, &field)
}

pub(crate) fn tombstone(seq: u64, key: &[u8]) -> Vec<u8> {
    record(TOMBSTONE, seq, key, &[])
}

pub(crate) fn seal(next_seq: u64) -> Vec<u8> {
    record(SEAL, CONTROL_RECORD_SEQ, &[], &next_seq.to_le_bytes())
}

pub(crate) fn commit(next_seq: u64, inputs: &[u32]) -> Vec<u8> {
    let mut value = next_seq.to_le_bytes().to_vec();
    value.extend_from_slice(
        &u32::try_from(inputs.len())
            .expect("few inputs")
            .to_le_bytes(),
    );
    for id in inputs {
        value.extend_from_slice(&id.to_le_bytes());
    }
    record(COMMIT, CONTROL_RECORD_SEQ, &[], &value)
}

/// A whole segment: header followed by the given records back to back.
pub(crate) fn segment(kind: u8, records: &[Vec<u8>]) -> Vec<u8> {
    segment_of_version(VERSION, kind, records)
}

/// A whole segment with a header of `version`.
pub(crate) fn segment_of_version(version: u16, kind: u8, records: &[Vec<u8>]) -> Vec<u8> {
    let mut out = header_with_version(version, kind);
    for r in records {
        out.extend_from_slice(r);
    }
    out
}

/// A decoded segment header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Header {
    pub(crate) version: u16,
    pub(crate) kind: u8,
}

/// A decoded record and where it sits in its file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Record {
    pub(crate) offset: usize,
    pub(crate) kind: u8,
    pub(crate) seq: u64,
    pub(crate) key: Vec<u8>,
    pub(crate) value: Vec<u8>,
}

impl Record {
    /// Bytes the record occupies on disk.
    pub(crate) fn len(&self) -> usize {
        RECORD_HEADER_LEN + self.key.len() + self.value.len()
    }

    pub(crate) fn end(&self) -> usize {
        self.offset + self.len()
    }

    /// Offset of the first value byte in the file.
    pub(crate) fn value_offset(&self) -> usize {
        self.offset + RECORD_HEADER_LEN + self.key.len()
    }

    /// For seal and commit records: the next sequence number they carry.
    pub(crate) fn next_seq(&self) -> Option<u64> {
        match self.kind {
            SEAL | COMMIT => Some(u64::from_le_bytes(self.value[..8].try_into().ok()?)),
            _ => None,
        }
    }

    /// For commit records: the input segments it makes obsolete.
    pub(crate) fn commit_inputs(&self) -> Vec<u32> {
        if self.kind != COMMIT {
            return Vec::new();
        }
        self.value[12..]
            .chunks_exact(4)
            .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect()
    }
}

fn u32_at(bytes: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]])
}

/// Checks a segment header the way FORMAT.md describes it.
pub(crate) fn decode_header(bytes: &[u8]) -> Result<Header, String> {
    if bytes.len() < HEADER_LEN {
        return Err(format!("header cut short: {} bytes", bytes.len()));
    }
    if bytes[..8] != MAGIC {
        return Err(format!("bad magic {:02x?}", &bytes[..8]));
    }
    let crc = u32_at(bytes, 12);
    if crc != crc32fast::hash(&bytes[..12]) {
        return Err("header CRC mismatch".to_owned());
    }
    if bytes[11] != 0 {
        return Err("reserved header byte is not zero".to_owned());
    }
    Ok(Header {
        version: u16::from_le_bytes([bytes[8], bytes[9]]),
        kind: bytes[10],
    })
}

/// The record starting at `offset`, if one that FORMAT.md calls *valid* starts
/// there: header fits, known kind, sane key length, fits in the file, the
/// kind's shape holds and the CRC matches.
pub(crate) fn decode_record_at(bytes: &[u8], offset: usize) -> Option<Record> {
    let rest = bytes.get(offset..)?;
    if rest.len() < RECORD_HEADER_LEN {
        return None;
    }
    let crc = u32_at(rest, 0);
    let kind = rest[4];
    let seq = u64::from_le_bytes(rest[5..13].try_into().ok()?);
    let key_len = u32_at(rest, 13) as usize;
    let value_len = u32_at(rest, 17) as usize;
    if !(PUT..=EXPIRING_PUT).contains(&kind) || key_len > MAX_KEY_LEN {
        return None;
    }
    let total = RECORD_HEADER_LEN
        .checked_add(key_len)?
        .checked_add(value_len)?;
    if total > rest.len() {
        return None;
    }
    let shape_ok = match kind {
        PUT => key_len >= 1,
        TOMBSTONE => key_len >= 1 && value_len == 0,
        SEAL => key_len == 0 && value_len == 8,
        EXPIRING_PUT => key_len >= 1 && value_len >= 8,
        _ => {
            key_len == 0
                && value_len >= 12
                && (value_len - 12).is_multiple_of(4)
                && u32_at(rest, RECORD_HEADER_LEN + 8) as usize == (value_len - 12) / 4
        }
    };
    if !shape_ok || crc32fast::hash(&rest[4..total]) != crc {
        return None;
    }
    let key = rest[RECORD_HEADER_LEN..RECORD_HEADER_LEN + key_len].to_vec();
    let value = rest[RECORD_HEADER_LEN + key_len..total].to_vec();
    Some(Record {
        offset,
        kind,
        seq,
        key,
        value,
    })
}

/// Decodes a whole segment strictly: a valid header, then valid records
/// back to back up to the last byte, or up to zeros that run to the end (the
/// open store's active segment, preallocated). Anything else is an error
/// naming the offset, so a test can say exactly where the engine's output
/// went wrong.
pub(crate) fn decode_segment(bytes: &[u8]) -> Result<(Header, Vec<Record>), String> {
    let header = decode_header(bytes)?;
    let mut records = Vec::new();
    let mut offset = HEADER_LEN;
    while offset < bytes.len() {
        if bytes[offset..].iter().all(|&b| b == 0) {
            break;
        }
        match decode_record_at(bytes, offset) {
            Some(r) => {
                offset = r.end();
                records.push(r);
            }
            None => {
                return Err(format!(
                    "no valid record at offset {offset} of {}",
                    bytes.len()
                ));
            }
        }
    }
    Ok((header, records))
}
