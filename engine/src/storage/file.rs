//! Segments as files in a directory: `segment-00000001.dat`, …
//!
//! The only code in the engine that touches `std::fs`. Reads and writes are
//! positional (`pread`/`pwrite`), so concurrent readers never move a shared
//! cursor. A new file is only durable once its directory entry is, so the
//! first `sync` of a new segment also syncs the directory, and `remove` syncs
//! the directory before it returns. A `LOCK` file, held with an exclusive
//! advisory lock for as long as the storage lives, fences the directory
//! against a second process.

use std::collections::{HashMap, HashSet};
use std::fs::{self, File, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use super::{SegmentId, Storage, not_found};
use crate::error::{Error, Result};

/// Name of the lock file inside a data directory.
pub(crate) const LOCK_FILE_NAME: &str = "LOCK";

/// [`Storage`] over a directory of segment files.
#[derive(Debug)]
pub struct FileStorage {
    dir: PathBuf,
    handles: Mutex<HashMap<SegmentId, Arc<Handle>>>,
    /// Segments created since the directory was last synced.
    undurable_entries: Mutex<HashSet<SegmentId>>,
    /// Held for the storage's whole life; closing it releases the lock.
    _lock: File,
}

#[derive(Debug)]
struct Handle {
    file: File,
    /// The file's length as this process wrote it; appends go here.
    len: Mutex<u64>,
}

impl FileStorage {
    /// Opens (creating if needed) `dir` and takes its lock.
    ///
    /// Fails with [`Error::Locked`] when another process, or another
    /// `FileStorage` in this one, holds the directory.
    pub fn open(dir: impl AsRef<Path>) -> Result<FileStorage> {
        let dir = dir.as_ref().to_path_buf();
        fs::create_dir_all(&dir)
            .map_err(|e| Error::io(format!("create data directory {}", dir.display()), e))?;
        let lock_path = dir.join(LOCK_FILE_NAME);
        let lock = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(|e| Error::io(format!("open {}", lock_path.display()), e))?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(fs::TryLockError::WouldBlock) => return Err(Error::Locked { path: lock_path }),
            Err(fs::TryLockError::Error(e)) => {
                return Err(Error::io(format!("lock {}", lock_path.display()), e));
            }
        }
        Ok(FileStorage {
            dir,
            handles: Mutex::new(HashMap::new()),
            undurable_entries: Mutex::new(HashSet::new()),
            _lock: lock,
        })
    }

    /// The data directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Path of a segment's file.
    pub fn segment_path(&self, id: SegmentId) -> PathBuf {
        self.dir.join(id.file_name())
    }

    fn handles(&self) -> MutexGuard<'_, HashMap<SegmentId, Arc<Handle>>> {
        // Every critical section is a single map operation: a panic cannot
        // leave the map inconsistent, so a poisoned lock is safe to use.
        self.handles.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn undurable_entries(&self) -> MutexGuard<'_, HashSet<SegmentId>> {
        self.undurable_entries
            .lock()
            .unwrap_or_else(|p| p.into_inner())
    }

    fn handle(&self, id: SegmentId) -> io::Result<Arc<Handle>> {
        if let Some(handle) = self.handles().get(&id) {
            return Ok(Arc::clone(handle));
        }
        let file = match OpenOptions::new()
            .read(true)
            .write(true)
            .open(self.segment_path(id))
        {
            Ok(file) => file,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Err(not_found(id)),
            Err(e) => return Err(e),
        };
        let len = file.metadata()?.len();
        let handle = Arc::new(Handle {
            file,
            len: Mutex::new(len),
        });
        // Another thread may have opened it meanwhile; keep whichever is in the map.
        Ok(Arc::clone(self.handles().entry(id).or_insert(handle)))
    }

    fn sync_dir(&self) -> io::Result<()> {
        sync_directory(&self.dir)
    }
}

impl Handle {
    fn len(&self) -> MutexGuard<'_, u64> {
        self.len.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Storage for FileStorage {
    fn list(&self) -> io::Result<Vec<SegmentId>> {
        let mut ids = Vec::new();
        for entry in fs::read_dir(&self.dir)? {
            let entry = entry?;
            let name = entry.file_name();
            let Some(id) = name.to_str().and_then(SegmentId::from_file_name) else {
                continue;
            };
            if entry.file_type()?.is_file() {
                ids.push(id);
            }
        }
        Ok(ids)
    }

    fn create(&self, id: SegmentId) -> io::Result<()> {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .open(self.segment_path(id))?;
        self.undurable_entries().insert(id);
        self.handles().insert(
            id,
            Arc::new(Handle {
                file,
                len: Mutex::new(0),
            }),
        );
        Ok(())
    }

    fn append(&self, id: SegmentId, bytes: &[u8]) -> io::Result<u64> {
        let handle = self.handle(id)?;
        let mut len = handle.len();
        let offset = *len;
        if let Err(e) = write_all_at(&handle.file, bytes, offset) {
            // Part of the bytes may have landed; learn the real length so the
            // engine's next truncate or append starts from the truth.
            if let Ok(meta) = handle.file.metadata() {
                *len = meta.len();
            }
            return Err(e);
        }
        *len = offset + bytes.len() as u64;
        Ok(offset)
    }

    fn read_at(&self, id: SegmentId, offset: u64, buf: &mut [u8]) -> io::Result<()> {
        let handle = self.handle(id)?;
        read_exact_at(&handle.file, buf, offset)
    }

    fn len(&self, id: SegmentId) -> io::Result<u64> {
        let handle = self.handle(id)?;
        let len = *handle.len();
        Ok(len)
    }

    fn truncate(&self, id: SegmentId, new_len: u64) -> io::Result<()> {
        let handle = self.handle(id)?;
        let mut len = handle.len();
        handle.file.set_len(new_len)?;
        *len = new_len;
        Ok(())
    }

    fn sync(&self, id: SegmentId) -> io::Result<()> {
        let handle = self.handle(id)?;
        handle.file.sync_data()?;
        if self.undurable_entries().contains(&id) {
            self.sync_dir()?;
            self.undurable_entries().remove(&id);
        }
        Ok(())
    }

    fn remove(&self, id: SegmentId) -> io::Result<()> {
        self.handles().remove(&id);
        match fs::remove_file(self.segment_path(id)) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Err(not_found(id)),
            Err(e) => return Err(e),
        }
        self.undurable_entries().remove(&id);
        self.sync_dir()
    }
}

#[cfg(unix)]
fn sync_directory(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

#[cfg(not(unix))]
fn sync_directory(_dir: &Path) -> io::Result<()> {
    // Windows offers no handle on a directory to flush; NTFS journals
    // directory entries itself.
    Ok(())
}

#[cfg(unix)]
fn write_all_at(file: &File, buf: &[u8], offset: u64) -> io::Result<()> {
    std::os::unix::fs::FileExt::write_all_at(file, buf, offset)
}

#[cfg(unix)]
fn read_exact_at(file: &File, buf: &mut [u8], offset: u64) -> io::Result<()> {
    std::os::unix::fs::FileExt::read_exact_at(file, buf, offset)
}

#[cfg(windows)]
fn write_all_at(file: &File, mut buf: &[u8], mut offset: u64) -> io::Result<()> {
    use std::os::windows::fs::FileExt;
    while !buf.is_empty() {
        match file.seek_write(buf, offset) {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(n) => {
                buf = &buf[n..];
                offset += n as u64;
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

#[cfg(windows)]
fn read_exact_at(file: &File, mut buf: &mut [u8], mut offset: u64) -> io::Result<()> {
    use std::os::windows::fs::FileExt;
    while !buf.is_empty() {
        match file.seek_read(buf, offset) {
            Ok(0) => return Err(io::ErrorKind::UnexpectedEof.into()),
            Ok(n) => {
                buf = &mut buf[n..];
                offset += n as u64;
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_dir() -> io::Result<tempfile::TempDir> {
        tempfile::tempdir()
    }

    #[test]
    fn append_read_and_reopen() -> std::result::Result<(), Box<dyn std::error::Error>> {
        let dir = temp_dir()?;
        let id = SegmentId(3);
        {
            let storage = FileStorage::open(dir.path())?;
            storage.create(id)?;
            assert_eq!(storage.append(id, b"abc")?, 0);
            assert_eq!(storage.append(id, b"def")?, 3);
            storage.sync(id)?;
            let mut buf = [0u8; 4];
            storage.read_at(id, 2, &mut buf)?;
            assert_eq!(&buf, b"cdef");
        }
        assert!(dir.path().join("segment-00000003.dat").is_file());
        let storage = FileStorage::open(dir.path())?;
        assert_eq!(storage.list()?, vec![id]);
        assert_eq!(storage.len(id)?, 6);
        storage.truncate(id, 1)?;
        assert_eq!(storage.append(id, b"Z")?, 1);
        storage.remove(id)?;
        assert!(storage.list()?.is_empty());
        assert_eq!(
            storage.read_at(id, 0, &mut [0u8; 1]).map_err(|e| e.kind()),
            Err(io::ErrorKind::NotFound)
        );
        Ok(())
    }

    #[test]
    fn second_open_is_locked_until_the_first_is_dropped()
    -> std::result::Result<(), Box<dyn std::error::Error>> {
        let dir = temp_dir()?;
        let first = FileStorage::open(dir.path())?;
        assert!(matches!(
            FileStorage::open(dir.path()),
            Err(Error::Locked { .. })
        ));
        drop(first);
        FileStorage::open(dir.path())?;
        Ok(())
    }

    #[test]
    fn other_files_are_not_listed() -> std::result::Result<(), Box<dyn std::error::Error>> {
        let dir = temp_dir()?;
        fs::write(dir.path().join("history.txt"), b"x")?;
        fs::create_dir(dir.path().join("segment-00000009.dat"))?;
        let storage = FileStorage::open(dir.path())?;
        assert!(storage.list()?.is_empty());
        Ok(())
    }
}
