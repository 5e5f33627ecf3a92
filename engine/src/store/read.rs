//! The read path: find a key's record through the index, read it, and check
//! it is the record the index means — for `get` and for [`Iter`](crate::Iter)
//! alike.
//!
//! Reads take no lock during I/O: a reader copies a key's location, reads the
//! record, and if compaction removed the segment meanwhile, looks the key up
//! again (it has moved) and retries. A record is only handed out after its
//! CRC, kind and key check out, so damaged bytes are an
//! [`Error::Corruption`], never a wrong value.

use std::sync::RwLock;

use crate::clock::Clock;
use crate::error::{Error, Result};
use crate::format::{self, EXPIRY_LEN, RECORD_HEADER_LEN, RecordKind};
use crate::index::{self, Index};
use crate::location::Location;
use crate::storage::{SegmentId, Storage};

/// A value and its version, from [`KvStore::get_versioned`](crate::KvStore::get_versioned).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Versioned {
    /// The sequence number of the write that stored the value.
    pub seq: u64,
    /// The value.
    pub value: Vec<u8>,
}

/// Values at least this long are read straight into the buffer `get`
/// returns (see [`Reader::read_record_direct`]). Chosen, not tuned: the
/// second read is a second system call, about what copying 16 KiB in
/// memory costs, so shorter values keep the one read and the copy.
const DIRECT_VALUE: usize = 16 * 1024;

/// How many times a read follows a record that compaction moved before it
/// reports the error it got.
const MAX_ATTEMPTS: usize = 8;

/// What a read needs: the index and the bytes.
#[derive(Clone, Copy)]
pub(crate) struct Reader<'a> {
    pub(crate) index: &'a RwLock<Index>,
    pub(crate) storage: &'a dyn Storage,
    /// Decides which keys have expired.
    pub(crate) clock: &'a dyn Clock,
}

impl Reader<'_> {
    /// `key`'s value and version, if it has one that has not expired.
    pub(crate) fn get_versioned(&self, key: &[u8]) -> Result<Option<Versioned>> {
        let mut attempts = 0;
        loop {
            let now = self.clock.now_millis();
            let Some(location) = index::read(self.index).get_live(key, now) else {
                return Ok(None);
            };
            match self.read_record(key, location) {
                Ok((seq, value)) => return Ok(Some(Versioned { seq, value })),
                // Compaction may have moved the record and removed its old
                // segment between the lookup and the read.
                Err(e) => {
                    attempts += 1;
                    let moved = index::read(self.index).get(key) != Some(location);
                    if !moved || attempts >= MAX_ATTEMPTS {
                        return Err(e);
                    }
                }
            }
        }
    }

    /// Reads `buf.len()` bytes of segment `id` from `offset`, as they are.
    pub(crate) fn read_raw(
        &self,
        id: SegmentId,
        offset: u64,
        buf: &mut [u8],
    ) -> std::io::Result<()> {
        self.storage.read_at(id, offset, buf)
    }

    /// Reads the record at `location` and returns its seq and value after
    /// checking that it is the record the index expects.
    fn read_record(&self, key: &[u8], location: Location) -> Result<(u64, Vec<u8>)> {
        let len = location.len as usize;
        if len >= RECORD_HEADER_LEN + key.len() + EXPIRY_LEN + DIRECT_VALUE {
            return self.read_record_direct(key, location);
        }
        let mut buf = vec![0u8; len];
        self.read_part(location, 0, &mut buf)?;
        let (seq, value) = check_record(key, location, &buf)?;
        buf.truncate(value.end);
        buf.drain(..value.start);
        Ok((seq, buf))
    }

    /// [`read_record`](Self::read_record) for a large value: the header,
    /// key and first bytes after it are read on their own, then the value
    /// straight into the buffer that is returned, the CRC computed over
    /// both pieces — where reading the whole record and moving the value to
    /// the front of its buffer would copy every byte of it once more.
    fn read_record_direct(&self, key: &[u8], location: Location) -> Result<(u64, Vec<u8>)> {
        let len = location.len as usize;
        // Enough for the expiry if the record has one; otherwise its last
        // bytes are the value's first.
        let mut prefix = vec![0u8; RECORD_HEADER_LEN + key.len() + EXPIRY_LEN];
        self.read_part(location, 0, &mut prefix)?;
        let header = prefix
            .first_chunk::<RECORD_HEADER_LEN>()
            .ok_or_else(|| corrupt_at(location, "record is cut short"))
            .and_then(|header| {
                format::decode_header(header).map_err(|e| match e {
                    format::RecordError::Incomplete => corrupt_at(location, "record is cut short"),
                    format::RecordError::Invalid(why) => corrupt_at(location, why),
                })
            })?;
        let key_end = RECORD_HEADER_LEN + key.len();
        if header.kind != RecordKind::Put
            || header.record_len() != len
            || header.key_len != key.len()
            || prefix[RECORD_HEADER_LEN..key_end] != *key
        {
            return Err(not_the_record(location));
        }
        let value_start = key_end + if header.expiring { EXPIRY_LEN } else { 0 };
        let in_prefix = prefix.len() - value_start;
        let mut value = vec![0u8; len - value_start];
        value[..in_prefix].copy_from_slice(&prefix[value_start..]);
        self.read_part(location, prefix.len() as u64, &mut value[in_prefix..])?;
        let mut crc = crc32fast::Hasher::new();
        crc.update(&prefix[4..]);
        crc.update(&value[in_prefix..]);
        if crc.finalize() != header.crc {
            return Err(corrupt_at(location, "checksum mismatch"));
        }
        Ok((header.seq, value))
    }

    /// Reads `buf.len()` bytes of the record at `location`, from `at` bytes
    /// into it.
    fn read_part(&self, location: Location, at: u64, buf: &mut [u8]) -> Result<()> {
        self.storage
            .read_at(location.segment, location.offset + at, buf)
            .map_err(|e| {
                if e.kind() == std::io::ErrorKind::UnexpectedEof {
                    corrupt_at(location, "the segment is shorter than the index expects")
                } else {
                    Error::io(
                        format!("read segment {} at {}", location.segment, location.offset),
                        e,
                    )
                }
            })
    }
}

/// Checks that `bytes`, read at `location`, are the put record of `key` the
/// index expects there; returns its seq and where in `bytes` its value is.
pub(crate) fn check_record(
    key: &[u8],
    location: Location,
    bytes: &[u8],
) -> Result<(u64, std::ops::Range<usize>)> {
    let record = format::decode_record(bytes).map_err(|e| match e {
        format::RecordError::Incomplete => corrupt_at(location, "record is cut short"),
        format::RecordError::Invalid(why) => corrupt_at(location, why),
    })?;
    if record.kind != RecordKind::Put || record.key != key || record.len != bytes.len() {
        return Err(not_the_record(location));
    }
    Ok((record.seq, bytes.len() - record.value.len()..bytes.len()))
}

fn not_the_record(location: Location) -> Error {
    corrupt_at(
        location,
        "the record there is not the one the index points at",
    )
}

fn corrupt_at(location: Location, detail: &str) -> Error {
    Error::Corruption {
        segment: location.segment,
        offset: location.offset,
        detail: detail.to_string(),
    }
}

/// A whole segment's bytes up to `len`, or `None` if it no longer exists.
pub(crate) fn read_segment(
    storage: &dyn Storage,
    id: SegmentId,
    len: u64,
) -> Result<Option<Vec<u8>>> {
    let len = usize::try_from(len).map_err(|_| Error::Corruption {
        segment: id,
        offset: 0,
        detail: "segment too large for this platform".into(),
    })?;
    let mut bytes = vec![0u8; len];
    match storage.read_at(id, 0, &mut bytes) {
        Ok(()) => Ok(Some(bytes)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::io(format!("read segment {id}"), e)),
    }
}
