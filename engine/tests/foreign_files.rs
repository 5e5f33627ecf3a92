//! Proves that the engine never guesses at bytes it does not understand: a
//! file named like a segment that is not one is `ForeignFile` (garbage, a
//! text-mode-mangled header, a damaged magic), a header of version 2 is
//! `UnsupportedVersion`, a damaged header is refused, and in every case the
//! file is left exactly as it was. Files not named like segments are ignored.

mod common;

use std::fs;
use std::path::Path;

use anyhow::Result;
use common::format::{self, SEGMENT_LOG};
use common::segment_name;
use mini_kvstore::{Error, KvStore, SegmentId};

/// Writes `bytes` as segment 1 of a fresh directory, opens it, and returns the
/// error, after checking the file was left untouched.
fn open_with_segment_bytes(bytes: &[u8]) -> Result<Error> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join(segment_name(1));
    fs::write(&path, bytes)?;
    let error = match KvStore::open(dir.path()) {
        Ok(_) => anyhow::bail!("opened a directory holding {bytes:02x?} as segment 1"),
        Err(e) => e,
    };
    check_untouched(&path, bytes)?;
    Ok(error)
}

fn check_untouched(path: &Path, bytes: &[u8]) -> Result<()> {
    assert!(path.exists(), "a refused file must not be removed");
    assert_eq!(
        fs::read(path)?,
        bytes,
        "a refused file must not be modified"
    );
    Ok(())
}

#[test]
fn segment_id_file_name_is_zero_padded() {
    assert_eq!(SegmentId(1).file_name(), "segment-00000001.dat");
    assert_eq!(SegmentId(42).file_name(), segment_name(42));
    assert_eq!(SegmentId(12_345_678).file_name(), "segment-12345678.dat");
    assert_eq!(SegmentId(7).to_string(), "7");
}

#[test]
fn garbage_segment_is_foreign() -> Result<()> {
    let garbage = b"this is a shopping list, not a segment: eggs, milk, flour\n".to_vec();
    match open_with_segment_bytes(&garbage)? {
        Error::ForeignFile { segment, .. } => assert_eq!(segment.0, 1),
        other => panic!("expected ForeignFile, got {other}"),
    }
    Ok(())
}

#[test]
fn garbage_that_looks_almost_like_a_header_is_foreign() -> Result<()> {
    // The magic with its CR LF turned into a lone LF, as a text-mode copy
    // would leave it, followed by the rest of a header and a record.
    let mut mangled = format::header(SEGMENT_LOG);
    mangled.remove(6); // drop the '\r'
    mangled.extend_from_slice(&format::put(1, b"k", b"v"));
    match open_with_segment_bytes(&mangled)? {
        Error::ForeignFile { segment, .. } => assert_eq!(segment.0, 1),
        other => panic!("expected ForeignFile for a mangled magic, got {other}"),
    }

    // One flipped bit in the magic.
    let mut flipped = format::header(SEGMENT_LOG);
    flipped[2] ^= 0x20;
    flipped.extend_from_slice(&format::put(1, b"k", b"v"));
    match open_with_segment_bytes(&flipped)? {
        Error::ForeignFile { segment, .. } => assert_eq!(segment.0, 1),
        other => panic!("expected ForeignFile for a damaged magic, got {other}"),
    }
    Ok(())
}

#[test]
fn header_with_bad_crc_is_refused() -> Result<()> {
    let mut bytes = format::header(SEGMENT_LOG);
    bytes[13] ^= 0x01; // inside the header CRC
    bytes.extend_from_slice(&format::put(1, b"k", b"v"));
    match open_with_segment_bytes(&bytes)? {
        Error::ForeignFile { segment, .. } | Error::Corruption { segment, .. } => {
            assert_eq!(segment.0, 1)
        }
        other => panic!("expected ForeignFile or Corruption, got {other}"),
    }
    Ok(())
}

#[test]
fn a_future_version_header_is_unsupported() -> Result<()> {
    let mut bytes = format::header_with_version(3, SEGMENT_LOG);
    bytes.extend_from_slice(&format::put(1, b"k", b"v"));
    assert!(
        format::decode_header(&bytes).is_ok(),
        "magic and CRC are valid"
    );
    match open_with_segment_bytes(&bytes)? {
        Error::UnsupportedVersion {
            segment,
            found,
            supported,
            ..
        } => {
            assert_eq!(segment.0, 1);
            assert_eq!(found, 3);
            assert_eq!(supported, 2);
        }
        other => panic!("expected UnsupportedVersion, got {other}"),
    }
    Ok(())
}

#[test]
fn foreign_segment_among_good_ones_is_refused() -> Result<()> {
    let dir = tempfile::tempdir()?;
    {
        let store = KvStore::open(dir.path())?;
        store.set("k", "v")?;
    }
    let (last, _) = common::last_segment(dir.path())?;
    let intruder = dir.path().join(segment_name(last + 5));
    let garbage = vec![0xA5u8; 100];
    fs::write(&intruder, &garbage)?;
    match KvStore::open(dir.path()) {
        Err(Error::ForeignFile { segment, .. }) => assert_eq!(segment.0, last + 5),
        Err(other) => panic!("expected ForeignFile, got {other}"),
        Ok(_) => panic!("opened a directory with a foreign segment"),
    }
    check_untouched(&intruder, &garbage)?;
    fs::remove_file(&intruder)?;
    assert_eq!(KvStore::open(dir.path())?.get("k")?, Some(b"v".to_vec()));
    Ok(())
}

#[test]
fn other_files_are_ignored() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let bystanders: [(&str, &[u8]); 4] = [
        ("README.md", b"# my data\n"),
        (".kvstore_history", b"set a 1\nget a\n"),
        ("segment-00000001.dat.bak", b"backup"),
        ("notes-segment-00000002.dat", b"prefix"),
    ];
    for (name, bytes) in bystanders {
        fs::write(dir.path().join(name), bytes)?;
    }
    fs::create_dir(dir.path().join("subdir"))?;
    {
        let store = KvStore::open(dir.path())?;
        store.set("k", "v")?;
        store.compact()?;
    }
    let store = KvStore::open(dir.path())?;
    assert_eq!(store.get("k")?, Some(b"v".to_vec()));
    for (name, bytes) in bystanders {
        assert_eq!(
            fs::read(dir.path().join(name))?,
            bytes,
            "{name} was touched"
        );
    }
    Ok(())
}
