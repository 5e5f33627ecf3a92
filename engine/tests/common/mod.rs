//! Helpers shared by the integration tests: a hand-written encoder and
//! decoder of the on-disk format (`format`), and small file-system tools for
//! poking at a data directory from outside the engine (copying it, cutting a
//! segment short, flipping a bit in place).
//!
//! Every test binary compiles this module but uses only part of it, hence the
//! `dead_code` allowance below.
#![allow(dead_code)]

pub(crate) mod format;

use std::fs::{self, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

/// Parses `segment-XXXXXXXX.dat` (exactly eight decimal digits) into its id.
pub(crate) fn parse_segment_name(name: &str) -> Option<u32> {
    let digits = name.strip_prefix("segment-")?.strip_suffix(".dat")?;
    if digits.len() != 8 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// The name a segment with this id has on disk, spelled out independently of
/// the engine's own `SegmentId::file_name`.
pub(crate) fn segment_name(id: u32) -> String {
    format!("segment-{id:08}.dat")
}

/// Every segment file in `dir`, sorted by id.
pub(crate) fn segment_files(dir: &Path) -> Result<Vec<(u32, PathBuf)>> {
    let mut found = Vec::new();
    for entry in fs::read_dir(dir).with_context(|| format!("listing {}", dir.display()))? {
        let entry = entry?;
        let name = entry.file_name();
        if let Some(id) = name.to_str().and_then(parse_segment_name) {
            found.push((id, entry.path()));
        }
    }
    found.sort();
    Ok(found)
}

/// The highest-numbered segment file in `dir`.
pub(crate) fn last_segment(dir: &Path) -> Result<(u32, PathBuf)> {
    match segment_files(dir)?.pop() {
        Some(last) => Ok(last),
        None => bail!("no segment files in {}", dir.display()),
    }
}

/// Sum of the sizes of the segment files in `dir`, as the file system sees
/// them, except that the zeros an open store preallocates after the last
/// record of its active segment do not count.
pub(crate) fn segment_bytes_on_disk(dir: &Path) -> Result<u64> {
    let mut total = 0;
    for (_, path) in segment_files(dir)? {
        let bytes = fs::read(&path)?;
        total += match format::decode_segment(&bytes) {
            Ok((_, records)) => records.last().map_or(format::HEADER_LEN, |r| r.end()),
            Err(_) => bytes.len(),
        } as u64;
    }
    Ok(total)
}

/// Copies every regular file of `src` into `dst` (created if missing), except
/// the lock file, which belongs to whoever has `src` open.
pub(crate) fn copy_dir(src: &Path, dst: &Path) -> Result<()> {
    fs::create_dir_all(dst)?;
    for entry in fs::read_dir(src)? {
        let entry = entry?;
        if !entry.file_type()?.is_file() || entry.file_name() == "LOCK" {
            continue;
        }
        fs::copy(entry.path(), dst.join(entry.file_name()))
            .with_context(|| format!("copying {}", entry.path().display()))?;
    }
    Ok(())
}

/// Inverts bit `bit` (0..8) of the byte at `offset`, editing the file in place
/// (same inode), so a process holding it open sees the change.
pub(crate) fn flip_bit(path: &Path, offset: u64, bit: u8) -> Result<()> {
    let mut file = OpenOptions::new().read(true).write(true).open(path)?;
    let mut byte = [0u8; 1];
    file.seek(SeekFrom::Start(offset))?;
    file.read_exact(&mut byte)
        .with_context(|| format!("reading byte {offset} of {}", path.display()))?;
    byte[0] ^= 1 << bit;
    file.seek(SeekFrom::Start(offset))?;
    file.write_all(&byte)?;
    file.sync_all()?;
    Ok(())
}

/// Cuts `path` down to `len` bytes, as a crash in the middle of an append would.
pub(crate) fn truncate_file(path: &Path, len: u64) -> Result<()> {
    let file = OpenOptions::new().write(true).open(path)?;
    file.set_len(len)?;
    file.sync_all()?;
    Ok(())
}

/// Key `i` of a test's key space, zero-padded so byte order is numeric order.
pub(crate) fn key(i: usize) -> Vec<u8> {
    format!("key-{i:05}").into_bytes()
}

/// A value that names its key and version, so a mix-up is visible.
pub(crate) fn value(i: usize, version: usize) -> Vec<u8> {
    format!("value-{i:05}-v{version:04}").into_bytes()
}
