//! The backup archive: what `GET /backup` streams and `kvstore restore`
//! unpacks.
//!
//! A tar archive of plain ustar entries at its top level: segment files
//! (`segment-NNNNNNNN.dat`), their hints (`segment-NNNNNNNN.hint`), and
//! last a [`Manifest`] (`BACKUP-COMPLETE`) saying how many segments and
//! bytes came before it. A stream cut short — a server that failed
//! mid-backup, a dropped connection — can end on an entry boundary and
//! still read as a valid tar; the manifest is what tells a whole backup
//! from the start of one, so unpacking without it, or with other counts,
//! fails. Unpacking accepts exactly those names — one with a directory in
//! it, `..`, a link, a device or any other name is refused before anything
//! is written for it — so an archive from elsewhere cannot write outside
//! the target or plant files a data directory does not hold.

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

use mini_kvstore::SegmentId;

/// Why an archive could not be unpacked.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ArchiveError {
    /// Reading the archive or writing a file failed.
    #[error("{context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// Why it failed.
        #[source]
        source: io::Error,
    },
    /// An entry that a backup never holds.
    #[error("the archive holds '{0}', which is not a segment or hint file of a backup")]
    UnexpectedEntry(String),
    /// The same file twice.
    #[error("the archive holds '{0}' twice")]
    Duplicate(String),
    /// Not a whole backup.
    #[error("the archive is not a whole backup: {0}")]
    Incomplete(String),
}

fn io_error(context: impl Into<String>) -> impl FnOnce(io::Error) -> ArchiveError {
    let context = context.into();
    move |source| ArchiveError::Io { context, source }
}

/// Whether `name` is a file a backup holds.
fn is_backup_file(name: &str) -> bool {
    let segment = name
        .strip_suffix(".hint")
        .map(|stem| format!("{stem}.dat"))
        .unwrap_or_else(|| name.to_owned());
    SegmentId::from_file_name(&segment).is_some()
}

/// The archive's last entry.
pub const MANIFEST: &str = "BACKUP-COMPLETE";

/// What a whole archive holds, written after everything else.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Manifest {
    /// Segment files before it.
    pub segments: usize,
    /// Their bytes.
    pub bytes: u64,
    /// The backup holds every write through this seq.
    pub through_seq: u64,
}

impl Manifest {
    /// `segments N`, `bytes N`, `through_seq N`, a line each.
    pub fn to_text(self) -> String {
        format!(
            "segments {}\nbytes {}\nthrough_seq {}\n",
            self.segments, self.bytes, self.through_seq
        )
    }

    fn parse(text: &str) -> Option<Manifest> {
        let mut fields = std::collections::HashMap::new();
        for line in text.lines() {
            let (name, value) = line.split_once(' ')?;
            fields.insert(name, value.parse::<u64>().ok()?);
        }
        Some(Manifest {
            segments: usize::try_from(*fields.get("segments")?).ok()?,
            bytes: *fields.get("bytes")?,
            through_seq: *fields.get("through_seq")?,
        })
    }
}

/// Unpacks the archive into the directory `into` (which the caller made,
/// empty) and returns its manifest, once every file is written and synced
/// and the manifest matches them.
pub fn unpack_archive(archive: impl Read, into: &Path) -> Result<Manifest, ArchiveError> {
    let mut archive = tar::Archive::new(archive);
    let mut written = std::collections::BTreeSet::new();
    let (mut segments, mut bytes) = (0usize, 0u64);
    let mut manifest = None;
    for entry in archive.entries().map_err(io_error("read the archive"))? {
        let mut entry = entry.map_err(io_error("read the archive"))?;
        let path = entry.path().map_err(io_error("read an entry's name"))?;
        let name = path.to_string_lossy().into_owned();
        if manifest.is_some() {
            return Err(ArchiveError::Incomplete(format!(
                "'{name}' follows the manifest"
            )));
        }
        if name == MANIFEST && entry.header().entry_type().is_file() && entry.size() < 4096 {
            let mut text = String::new();
            entry
                .read_to_string(&mut text)
                .map_err(io_error("read the manifest"))?;
            let parsed = Manifest::parse(&text)
                .ok_or_else(|| ArchiveError::Incomplete("its manifest is not readable".into()))?;
            manifest = Some(parsed);
            continue;
        }
        let plain = entry.header().entry_type().is_file()
            && path.components().count() == 1
            && is_backup_file(&name);
        if !plain {
            return Err(ArchiveError::UnexpectedEntry(name));
        }
        if !written.insert(name.clone()) {
            return Err(ArchiveError::Duplicate(name));
        }
        let target = into.join(&name);
        let mut file =
            File::create(&target).map_err(io_error(format!("create {}", target.display())))?;
        let copied = io::copy(&mut entry, &mut file)
            .map_err(io_error(format!("write {}", target.display())))?;
        file.sync_all()
            .map_err(io_error(format!("sync {}", target.display())))?;
        if name.ends_with(".dat") {
            segments += 1;
            bytes += copied;
        }
    }
    let manifest = manifest.ok_or_else(|| {
        ArchiveError::Incomplete("it ends without its manifest: the backup was cut short".into())
    })?;
    if (manifest.segments, manifest.bytes) != (segments, bytes) {
        return Err(ArchiveError::Incomplete(format!(
            "its manifest names {} segment(s) of {} bytes, it holds {segments} of {bytes}",
            manifest.segments, manifest.bytes
        )));
    }
    Ok(manifest)
}

#[cfg(test)]
mod tests {
    use std::fs;

    use super::*;

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    pub(crate) fn archive_of(entries: &[(&str, &[u8])]) -> io::Result<Vec<u8>> {
        let mut builder = tar::Builder::new(Vec::new());
        for (name, data) in entries {
            let mut header = tar::Header::new_gnu();
            header.set_size(data.len() as u64);
            header.set_mode(0o644);
            header.set_cksum();
            builder.append_data(&mut header, name, *data)?;
        }
        builder.into_inner()
    }

    fn manifest(segments: usize, bytes: u64) -> String {
        Manifest {
            segments,
            bytes,
            through_seq: 9,
        }
        .to_text()
    }

    #[test]
    fn only_segment_and_hint_files_at_the_top_level_are_unpacked() -> TestResult {
        for bad in [
            "notes.txt",
            "sub/segment-00000001.dat",
            "LOCK",
            "segment-1.dat",
        ] {
            let dir = tempfile::tempdir()?;
            let tar = archive_of(&[(bad, b"x")])?;
            let err = unpack_archive(&tar[..], dir.path()).err().ok_or(bad)?;
            assert!(
                matches!(err, ArchiveError::UnexpectedEntry(_)),
                "{bad}: {err}"
            );
            assert_eq!(fs::read_dir(dir.path())?.count(), 0, "{bad} wrote a file");
        }
        let dir = tempfile::tempdir()?;
        let twice = archive_of(&[
            ("segment-00000001.dat", b"a"),
            ("segment-00000001.dat", b"b"),
        ])?;
        assert!(matches!(
            unpack_archive(&twice[..], dir.path()),
            Err(ArchiveError::Duplicate(_))
        ));
        let dir = tempfile::tempdir()?;
        let good = archive_of(&[
            ("segment-00000001.dat", b"ab"),
            ("segment-00000001.hint", b"h"),
            (MANIFEST, manifest(1, 2).as_bytes()),
        ])?;
        let found = unpack_archive(&good[..], dir.path())?;
        assert_eq!((found.segments, found.bytes, found.through_seq), (1, 2, 9));
        assert!(
            unpack_archive(
                &b"not a tar archive at all"[..],
                tempfile::tempdir()?.path()
            )
            .is_err()
        );
        Ok(())
    }

    #[test]
    fn an_archive_cut_short_or_miscounted_is_refused() -> TestResult {
        let cut = archive_of(&[("segment-00000001.dat", b"ab")])?;
        let err = unpack_archive(&cut[..], tempfile::tempdir()?.path())
            .err()
            .ok_or("no manifest")?;
        assert!(matches!(err, ArchiveError::Incomplete(_)), "{err}");
        let miscounted = archive_of(&[
            ("segment-00000001.dat", b"ab"),
            (MANIFEST, manifest(2, 2).as_bytes()),
        ])?;
        assert!(matches!(
            unpack_archive(&miscounted[..], tempfile::tempdir()?.path()),
            Err(ArchiveError::Incomplete(_))
        ));
        let after = archive_of(&[
            (MANIFEST, manifest(0, 0).as_bytes()),
            ("segment-00000001.dat", b"ab"),
        ])?;
        assert!(matches!(
            unpack_archive(&after[..], tempfile::tempdir()?.path()),
            Err(ArchiveError::Incomplete(_))
        ));
        Ok(())
    }
}
