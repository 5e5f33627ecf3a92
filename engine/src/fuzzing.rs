//! Entry points for the fuzz targets in `engine/fuzz/`, kept here so the
//! regression corpus runs as ordinary tests (`engine/tests/fuzz_regressions.rs`)
//! on the stable toolchain, through exactly the code the fuzzer ran.
//!
//! Each function panics when an invariant breaks, which is how a fuzzer
//! notices; on any input at all it must otherwise return normally.
//! Built only with the `test-support` feature.

use crate::format::{self, RecordKind, SegmentKind};
use crate::storage::{MemStorage, SegmentId};
use crate::{Error, KvStore, Options, SyncPolicy};

/// Decodes arbitrary bytes as a record. A record that decodes must encode
/// back to exactly the bytes it came from.
pub fn decode_record(data: &[u8]) {
    if let Ok(record) = format::decode_record(data) {
        let mut again = Vec::new();
        match record.kind {
            RecordKind::Put => format::encode_put(
                &mut again,
                record.batch,
                record.seq,
                record.key,
                record.value,
                record.expires_at,
            ),
            kind => format::encode_batch_record(
                &mut again,
                kind,
                record.batch,
                record.seq,
                record.key,
                record.value,
            ),
        }
        assert_eq!(&again[..], &data[..record.len], "decode/encode round trip");
    }
}

/// Decodes arbitrary bytes as a hint file: never a panic or an allocation
/// beyond the input, and a hint that decodes encodes back to the same bytes.
pub fn decode_hint(data: &[u8]) {
    if let Some(hint) = crate::hint::decode(data) {
        assert_eq!(hint.encode(), data, "hint decode/encode round trip");
    }
}

/// Builds a data directory from arbitrary bytes and opens a store on it.
///
/// Layout of the input: one byte for the number of segments (1..=4), then
/// per segment a flags byte (bit 0: start with a valid log header, bit 1:
/// with a valid compacted header, bit 2: append a valid record built from
/// the next bytes, bit 3: give the segment a hint built from its bytes,
/// bit 4: then damage that hint with the raw bytes, bit 5: the record is a
/// put that expires), a 2-byte little-endian
/// length and that many raw bytes.
/// Valid headers and records are offered so the fuzzer spends its time past
/// the first checks.
///
/// Invariants: open returns a store or a clear error, never panics; an
/// opened store lists only keys it can read back, `verify` and `layout` work,
/// and a new write survives a reopen.
pub fn open_directory(data: &[u8]) {
    let storage = MemStorage::new();
    let mut input = data;
    let count = take(&mut input, 1).map_or(1, |b| b[0] % 4 + 1);
    for n in 0..count {
        let Some(flags) = take(&mut input, 1).map(|b| b[0]) else {
            break;
        };
        let len = take(&mut input, 2).map_or(0, |b| u16::from_le_bytes([b[0], b[1]]) as usize);
        let available = len.min(input.len());
        let raw = take(&mut input, available).unwrap_or_default();
        let mut bytes = Vec::new();
        if flags & 1 != 0 {
            bytes.extend_from_slice(&format::encode_segment_header(SegmentKind::Log));
        } else if flags & 2 != 0 {
            bytes.extend_from_slice(&format::encode_segment_header(SegmentKind::Compacted));
        }
        bytes.extend_from_slice(raw);
        if flags & 4 != 0 {
            let key = raw
                .get(..raw.len().min(8))
                .filter(|k| !k.is_empty())
                .unwrap_or(b"k");
            // Bit 5: the put expires, at a time taken from the raw bytes
            // (so some have expired by now and some have not).
            let expires_at = (flags & 32 != 0).then(|| {
                let mut when = [0u8; 8];
                for (slot, byte) in when.iter_mut().zip(raw) {
                    *slot = *byte;
                }
                u64::from_le_bytes(when) >> 24
            });
            format::encode_put(&mut bytes, None, u64::from(n) + 1, key, raw, expires_at);
        }
        if flags & 8 != 0
            && let Some(mut hint) = crate::hint::build(&bytes)
        {
            if flags & 16 != 0 {
                for (i, b) in raw.iter().enumerate() {
                    let at = i % hint.len();
                    hint[at] ^= b;
                }
            }
            storage.put_hint_bytes(SegmentId(u32::from(n) + 1), Some(hint));
        }
        storage.put_segment_bytes(SegmentId(u32::from(n) + 1), bytes);
    }

    let options = Options::default()
        .max_segment_size(256)
        .sync_policy(SyncPolicy::Never);
    let store = match KvStore::open_with(storage.clone(), options.clone()) {
        Ok(store) => store,
        Err(Error::ForeignFile { .. } | Error::UnsupportedVersion { .. }) => return,
        Err(other) => panic!("open failed with an unexpected error: {other}"),
    };
    for key in store.keys() {
        match store.get(&key) {
            Ok(Some(_)) => {}
            other => panic!("listed key {key:?} does not read back: {other:?}"),
        }
    }
    // Torn tails are cut; corrupt ranges stay, and verify must see exactly
    // the ones recovery skipped.
    let verify = store.verify().expect("verify runs");
    assert_eq!(
        verify.corrupt,
        store.recovery_report().corrupt,
        "verify and recovery disagree"
    );
    store.layout().expect("layout");
    let keys = store.keys();
    store
        .set("fuzz-probe", b"written after recovery")
        .expect("write after recovery");
    drop(store);
    let store = KvStore::open_with(storage, options).expect("second open");
    assert_eq!(
        store.get("fuzz-probe").expect("read"),
        Some(b"written after recovery".to_vec())
    );
    let mut expected = keys;
    expected.push(b"fuzz-probe".to_vec());
    expected.sort();
    expected.dedup();
    assert_eq!(store.keys(), expected, "the second open sees the same keys");
}

fn take<'a>(input: &mut &'a [u8], n: usize) -> Option<&'a [u8]> {
    if input.len() < n {
        return None;
    }
    let (head, tail) = input.split_at(n);
    *input = tail;
    Some(head)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sample_inputs_run() {
        decode_hint(b"");
        decode_hint(&[0u8; 64]);
        decode_record(b"");
        decode_record(&[0xff; 40]);
        open_directory(b"");
        open_directory(&[3, 1, 4, 0, b'a', b'b', b'c', b'd', 5, 2, 0, 9, 9, 0]);
        open_directory(&[0, 0, 0, 0]);
    }
}
