//! Backups: a point-in-time copy of the store while reads and writes go on.
//!
//! The point is taken under the compaction lock and then the writer lock
//! (the order of `store/mod.rs`): with the writer held no append is half
//! done, so the point falls between two writes — never inside a batch,
//! whose records are one append — and the segments that exist then, with
//! the active segment's length, are the whole store as of its last seq.
//! The writer is let go at once; the compaction lock is held until the
//! copy ends, because only a merge removes segments and a sealed segment
//! never changes, so what was listed stays there, byte for byte, for as
//! long as the copy reads it. Writes carry on into the active segment past
//! the copied length, or into segments the copy does not list. Merges wait
//! for the backup to end (the background thread tries again at its next
//! check).
//!
//! Before copying, the point is made durable (one group-commit wait), so
//! the backup holds no write a crash of the source could still lose: it
//! holds exactly the writes through [`BackupReport::through_seq`], each of
//! which is or is about to be acknowledged.
//!
//! The copy goes through the [`Storage`] contract on both sides, so it
//! works for any storage and the crash tests can fail any of its steps. On
//! files, [`KvStore::backup`] writes into a temporary directory beside the
//! destination and renames it into place once everything is synced: a
//! crash or an error leaves no destination, never a half one. Segments
//! are copied, not hard-linked: a link would share the file with the
//! source, whose later writes to the active segment the backup must not
//! see, and the copy of a sealed segment costs one sequential read.

use std::time::Duration;

use crate::error::{Error, Result};
use crate::report::BackupReport;
use crate::storage::{SegmentId, Storage};

use super::KvStore;

/// How much of a segment one read and one append move.
const COPY_CHUNK: usize = 1 << 20;

/// One segment to copy: all of a sealed one, the active one up to the point.
struct Source {
    id: SegmentId,
    len: u64,
    sealed: bool,
}

impl KvStore {
    /// Copies the store as of now into `dest`, which must hold no segment,
    /// while reads and writes go on; returns what it copied. See the
    /// module's documentation for what "as of now" means. `progress` is
    /// told the bytes copied so far and the total, after each chunk.
    ///
    /// An error leaves `dest` partly written: [`KvStore::backup`] is the
    /// call that never leaves a half backup behind.
    pub fn backup_to(
        &self,
        dest: &dyn Storage,
        mut progress: impl FnMut(u64, u64),
    ) -> Result<BackupReport> {
        // The store's clock, which also runs in the browser (where
        // `std::time::Instant` does not).
        let started_ms = self.shared.now();
        let existing = dest
            .list()
            .map_err(|e| Error::io("list the backup's destination", e))?;
        if !existing.is_empty() {
            return Err(Error::InvalidOptions(format!(
                "the backup's destination already holds {} segment(s)",
                existing.len()
            )));
        }
        let shared = &self.shared;
        let _no_merges = shared.lock_compaction();
        let (sources, through_seq) = {
            let writer = shared.lock_writer();
            let through_seq = writer.next_seq.saturating_sub(1);
            let ids = shared
                .storage
                .list()
                .map_err(|e| Error::io("list segments for a backup", e))?;
            let mut sources = Vec::with_capacity(ids.len());
            for id in ids {
                if id == writer.active {
                    sources.push(Source {
                        id,
                        len: writer.active_len,
                        sealed: false,
                    });
                } else {
                    let len = shared
                        .storage
                        .len(id)
                        .map_err(|e| Error::io(format!("size segment {id} for a backup"), e))?;
                    sources.push(Source {
                        id,
                        len,
                        sealed: true,
                    });
                }
            }
            (sources, through_seq)
        };
        // Outside the writer lock: writers go on while the point is synced.
        shared
            .commit
            .wait_durable(shared.storage.as_ref(), through_seq, false)?;

        let total: u64 = sources.iter().map(|source| source.len).sum();
        let mut report = BackupReport {
            through_seq,
            segments: 0,
            hints: 0,
            bytes: 0,
            duration: Duration::ZERO,
        };
        let mut chunk = vec![0; COPY_CHUNK];
        for source in &sources {
            copy_segment(
                shared.storage.as_ref(),
                dest,
                source,
                &mut chunk,
                |copied| {
                    progress(report.bytes + copied, total);
                },
            )?;
            report.segments += 1;
            report.bytes += source.len;
            if source.sealed && copy_hint(shared.storage.as_ref(), dest, source.id)? {
                report.hints += 1;
            }
        }
        report.duration = Duration::from_millis(self.shared.now().saturating_sub(started_ms));
        Ok(report)
    }

    /// Backs the store up into the new directory `dest` (it must not exist,
    /// or be empty) while reads and writes go on. The copy is made in a
    /// temporary directory beside `dest` and renamed to `dest` once every
    /// file is synced, so a crash or an error leaves no `dest` at all; the
    /// temporary directory of a failed attempt is removed when possible
    /// (one a crash leaves is named `.NAME.partial-PID`).
    ///
    /// `dest` opens as a store with [`KvStore::open`].
    #[cfg(not(target_arch = "wasm32"))]
    pub fn backup(
        &self,
        dest: impl AsRef<std::path::Path>,
        progress: impl FnMut(u64, u64),
    ) -> Result<BackupReport> {
        let dest = dest.as_ref();
        let io = |what: &str, e| Error::io(format!("{what} {}", dest.display()), e);
        match std::fs::read_dir(dest) {
            Ok(mut entries) => {
                if entries.next().is_some() {
                    return Err(Error::InvalidOptions(format!(
                        "the backup's destination {} exists and is not empty",
                        dest.display()
                    )));
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(io("read the backup's destination", e)),
        }
        let name = dest
            .file_name()
            .ok_or_else(|| {
                Error::InvalidOptions(format!(
                    "the backup's destination {} names no directory",
                    dest.display()
                ))
            })?
            .to_string_lossy()
            .into_owned();
        let parent = match dest.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
            _ => std::path::PathBuf::from("."),
        };
        let partial = parent.join(format!(".{name}.partial-{}", std::process::id()));
        let result = self.backup_into_directory(&partial, dest, &parent, progress);
        if result.is_err() {
            let _ = std::fs::remove_dir_all(&partial);
        }
        result
    }

    #[cfg(not(target_arch = "wasm32"))]
    fn backup_into_directory(
        &self,
        partial: &std::path::Path,
        dest: &std::path::Path,
        parent: &std::path::Path,
        progress: impl FnMut(u64, u64),
    ) -> Result<BackupReport> {
        let io = |what: &str, path: &std::path::Path, e| {
            Error::io(format!("{what} {}", path.display()), e)
        };
        if partial.exists() {
            std::fs::remove_dir_all(partial)
                .map_err(|e| io("remove the leftover partial backup", partial, e))?;
        }
        let report = {
            let storage = crate::storage::FileStorage::open(partial)?;
            let report = self.backup_to(&storage, progress)?;
            // Each segment was synced as it was copied, the directory's
            // entries with the first sync; the lock file goes with the
            // storage, so the backup opens like any data directory.
            report
        };
        let _ = std::fs::remove_file(partial.join(crate::storage::file::LOCK_FILE_NAME));
        // An empty directory left where the backup goes is replaced.
        if dest.exists() {
            std::fs::remove_dir(dest).map_err(|e| io("replace the empty directory", dest, e))?;
        }
        std::fs::rename(partial, dest).map_err(|e| io("move the backup into place at", dest, e))?;
        std::fs::File::open(parent)
            .and_then(|dir| dir.sync_all())
            .map_err(|e| io("sync the directory", parent, e))?;
        Ok(report)
    }
}

/// Copies `source.len` bytes of the segment into a new segment of the same
/// id in `dest`, and syncs it.
fn copy_segment(
    from: &dyn Storage,
    dest: &dyn Storage,
    source: &Source,
    chunk: &mut [u8],
    mut copied: impl FnMut(u64),
) -> Result<()> {
    let id = source.id;
    dest.create(id)
        .map_err(|e| Error::io(format!("create segment {id} in the backup"), e))?;
    let mut offset = 0;
    while offset < source.len {
        let n =
            usize::try_from(source.len - offset).map_or(chunk.len(), |left| left.min(chunk.len()));
        let buf = &mut chunk[..n];
        from.read_at(id, offset, buf)
            .map_err(|e| Error::io(format!("read segment {id} for a backup"), e))?;
        dest.append(id, buf)
            .map_err(|e| Error::io(format!("write segment {id} in the backup"), e))?;
        offset += n as u64;
        copied(offset);
    }
    dest.sync(id)
        .map_err(|e| Error::io(format!("sync segment {id} in the backup"), e))
}

/// Copies a sealed segment's hint, if it has one; whether it did.
fn copy_hint(from: &dyn Storage, dest: &dyn Storage, id: SegmentId) -> Result<bool> {
    // A hint is only a cache: one that cannot be read is left behind, and
    // the backup's open reads the segment instead.
    let Ok(Some(hint)) = from.read_hint(id) else {
        return Ok(false);
    };
    match dest.write_hint(id, &hint) {
        Ok(()) => Ok(true),
        // A destination that keeps no hints rebuilds them from segments.
        Err(e) if e.kind() == std::io::ErrorKind::Unsupported => Ok(false),
        Err(e) => Err(Error::io(
            format!("write the hint of segment {id} in the backup"),
            e,
        )),
    }
}
