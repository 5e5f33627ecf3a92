//! [`ArchiveStorage`]: a [`Storage`] that a backup writes into and that
//! turns each finished segment into a tar entry on a writer — so `GET
//! /backup` streams the engine's own backup with no copy on disk.
//!
//! The engine's backup creates each segment, appends its bytes and syncs
//! it, one segment at a time, then writes its hint. The segment's bytes
//! are held until that sync (a tar header needs the size first), so memory
//! is bounded by one segment; at the sync they become one entry. Nothing
//! else of the [`Storage`] contract is needed, and the rest refuses.

use std::io::{self, Write};
use std::sync::{Mutex, MutexGuard};

use mini_kvstore::{BackupReport, SegmentId, Storage};

use crate::backup::archive::{MANIFEST, Manifest};

/// See the module documentation.
pub(crate) struct ArchiveStorage<W: Write + Send + 'static> {
    state: Mutex<State<W>>,
}

struct State<W: Write> {
    archive: tar::Builder<W>,
    /// The segment being copied and its bytes so far.
    open: Option<(SegmentId, Vec<u8>)>,
}

fn refused(what: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::Unsupported,
        format!("an archive being written cannot {what}"),
    )
}

impl<W: Write + Send + 'static> ArchiveStorage<W> {
    pub(crate) fn new(out: W) -> Self {
        let mut archive = tar::Builder::new(out);
        archive.mode(tar::HeaderMode::Deterministic);
        ArchiveStorage {
            state: Mutex::new(State {
                archive,
                open: None,
            }),
        }
    }

    fn state(&self) -> MutexGuard<'_, State<W>> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Ends the archive: the manifest of what `report` copied, the two
    /// zero blocks, and a flush of the writer.
    pub(crate) fn finish(self, report: &BackupReport) -> io::Result<()> {
        let mut state = self.state.into_inner().unwrap_or_else(|p| p.into_inner());
        if state.open.is_some() {
            return Err(refused("end with a segment not synced"));
        }
        let manifest = Manifest {
            segments: report.segments,
            bytes: report.bytes,
            through_seq: report.through_seq,
        };
        append_entry(&mut state.archive, MANIFEST, manifest.to_text().as_bytes())?;
        state.archive.into_inner()?.flush()
    }
}

fn append_entry<W: Write>(
    archive: &mut tar::Builder<W>,
    name: &str,
    data: &[u8],
) -> io::Result<()> {
    let mut header = tar::Header::new_ustar();
    header.set_size(data.len() as u64);
    header.set_mode(0o644);
    header.set_mtime(0);
    header.set_entry_type(tar::EntryType::Regular);
    archive.append_data(&mut header, name, data)
}

impl<W: Write + Send + 'static> Storage for ArchiveStorage<W> {
    fn list(&self) -> io::Result<Vec<SegmentId>> {
        Ok(Vec::new())
    }

    fn create(&self, id: SegmentId) -> io::Result<()> {
        let mut state = self.state();
        if state.open.is_some() {
            return Err(refused("copy two segments at once"));
        }
        state.open = Some((id, Vec::new()));
        Ok(())
    }

    fn append(&self, id: SegmentId, bytes: &[u8]) -> io::Result<u64> {
        match &mut self.state().open {
            Some((open, data)) if *open == id => {
                let offset = data.len() as u64;
                data.extend_from_slice(bytes);
                Ok(offset)
            }
            _ => Err(refused("append to a segment it is not copying")),
        }
    }

    fn read_at(&self, _id: SegmentId, _offset: u64, _buf: &mut [u8]) -> io::Result<()> {
        Err(refused("be read"))
    }

    fn len(&self, _id: SegmentId) -> io::Result<u64> {
        Err(refused("be read"))
    }

    fn truncate(&self, _id: SegmentId, _len: u64) -> io::Result<()> {
        Err(refused("cut a segment"))
    }

    fn sync(&self, id: SegmentId) -> io::Result<()> {
        let mut state = self.state();
        match state.open.take() {
            Some((open, data)) if open == id => {
                append_entry(&mut state.archive, &id.file_name(), &data)
            }
            other => {
                state.open = other;
                Err(refused("sync a segment it is not copying"))
            }
        }
    }

    fn remove(&self, _id: SegmentId) -> io::Result<()> {
        Err(refused("remove a segment"))
    }

    fn write_hint(&self, id: SegmentId, bytes: &[u8]) -> io::Result<()> {
        append_entry(&mut self.state().archive, &id.hint_file_name(), bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mini_kvstore::{KvStore, MemStorage, Options};

    /// A writer whose bytes the test can read after the archive took it.
    #[derive(Clone, Default)]
    struct Shared(std::sync::Arc<Mutex<Vec<u8>>>);

    impl Write for Shared {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0
                .lock()
                .map_err(|_| io::Error::other("poisoned"))?
                .extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    fn shared_buffer() -> (Shared, std::sync::Arc<Mutex<Vec<u8>>>) {
        let shared = Shared::default();
        let bytes = std::sync::Arc::clone(&shared.0);
        (shared, bytes)
    }

    #[test]
    fn a_backup_written_into_an_archive_unpacks_to_the_same_store()
    -> Result<(), Box<dyn std::error::Error>> {
        let store =
            KvStore::open_with(MemStorage::new(), Options::default().max_segment_size(4096))?;
        for i in 0..200 {
            store.set(format!("k{i:03}"), vec![b'v'; 50])?;
        }
        let (tar, finished) = shared_buffer();
        let archive = ArchiveStorage::new(tar);
        let report = store.backup_to(&archive, |_, _| {})?;
        assert!(report.segments > 2);
        archive.finish(&report)?;
        let tar = finished.lock().map_err(|_| "poisoned")?.clone();
        let dir = tempfile::tempdir()?;
        let manifest = crate::backup::archive::unpack_archive(&tar[..], dir.path())?;
        assert_eq!(manifest.through_seq, report.through_seq);
        let copy = KvStore::open(dir.path())?;
        assert_eq!(copy.len(), 200);
        assert!(copy.verify()?.is_clean());
        Ok(())
    }
}
