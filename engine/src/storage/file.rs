//! Segments as files in a directory: `segment-00000001.dat`, …
//!
//! The only code in the engine that touches `std::fs`. Reads and writes are
//! positional (`pread`/`pwrite`), so concurrent readers never move a shared
//! cursor. Appends collect in a small per-segment buffer (up to
//! [`WRITE_BUFFER`] bytes) and reach the file in one `pwrite` when it fills,
//! on `sync`, `truncate` and close: one system call per record would cap
//! unsynced writes at a few hundred thousand a second. A buffer written
//! because it is full is written up to the file's last page boundary only,
//! the rest staying for the next write, so that no page is written in two
//! halves; and it is small, because the append that fills it pays for the
//! write, which sets the slowest percent of appends (docs/BENCHMARKS.md;
//! handing full buffers to a thread instead was tried and was slower on two
//! cores, where that thread takes turns with the writer and the merges).
//! The `Storage` contract allows it — unsynced appends may be lost in a crash — and reads
//! see buffered bytes like any others. A new file is only durable once its
//! directory entry is, so the first `sync` of a new segment also syncs the
//! directory, and `remove` syncs the directory before it returns.
//!
//! [`preallocate`](Storage::preallocate) sets the file's size ahead of the
//! appends (a sparse extension: no bytes are written). A file that grows on
//! every append makes every `fdatasync` commit its new size to the file
//! system's journal as well; within preallocated space the size stays put,
//! so a sync flushes data only (what that is worth: docs/BENCHMARKS.md).
//! The appended length is tracked apart
//! from the file's size, and the spare space is given back on `truncate` and
//! when the file is closed. A `LOCK` file, held with an exclusive
//! advisory lock for as long as the storage lives, fences the directory
//! against a second process.

use std::collections::{HashMap, HashSet};
use std::fs::{self, File, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};

use super::contract::{Storage, not_found};
use crate::error::{Error, Result};
use crate::segment_id::SegmentId;

/// Name of the lock file inside a data directory.
pub(crate) const LOCK_FILE_NAME: &str = "LOCK";

/// [`Storage`] over a directory of segment files.
#[derive(Debug)]
pub struct FileStorage {
    dir: PathBuf,
    /// Read-locked by every read and append, write-locked only to open,
    /// create or remove a segment's file.
    handles: RwLock<HashMap<SegmentId, Arc<Handle>>>,
    /// Segments created since the directory was last synced.
    undurable_entries: Mutex<HashSet<SegmentId>>,
    /// Held for the storage's whole life; closing it releases the lock.
    _lock: File,
}

/// Appends are buffered up to this many bytes per segment before they are
/// written to the file. A larger buffer gains little throughput and makes
/// the append that pays for the write much slower.
pub(crate) const WRITE_BUFFER: usize = 16 * 1024;

#[derive(Debug)]
struct Handle {
    file: File,
    tail: Mutex<Tail>,
    /// A copy of `tail.written`, stored whenever it changes: a read that
    /// ends before it is served from the file without taking the tail lock,
    /// which appends hold. Only a `truncate` lowers it, and nothing reads
    /// what a truncate cuts off.
    in_file: AtomicU64,
}

/// The end of a segment: what is in the file, and what is still buffered.
#[derive(Debug, Default)]
struct Tail {
    /// Bytes written to the file.
    written: u64,
    /// Appended bytes not yet written; they belong right after `written`.
    buffer: Vec<u8>,
    /// The file's size: `written`, or more where space was preallocated.
    file_len: u64,
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
            handles: RwLock::new(HashMap::new()),
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

    /// Path of a segment's hint file.
    pub fn hint_path(&self, id: SegmentId) -> PathBuf {
        self.dir.join(id.hint_file_name())
    }

    // Every critical section is a single map operation: a panic cannot
    // leave the map inconsistent, so a poisoned lock is safe to use.
    fn handles(&self) -> RwLockReadGuard<'_, HashMap<SegmentId, Arc<Handle>>> {
        self.handles.read().unwrap_or_else(|p| p.into_inner())
    }

    fn handles_mut(&self) -> RwLockWriteGuard<'_, HashMap<SegmentId, Arc<Handle>>> {
        self.handles.write().unwrap_or_else(|p| p.into_inner())
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
        let handle = Arc::new(Handle::new(file, len));
        // Another thread may have opened it meanwhile; keep whichever is in the map.
        Ok(Arc::clone(self.handles_mut().entry(id).or_insert(handle)))
    }

    fn sync_dir(&self) -> io::Result<()> {
        sync_directory(&self.dir)
    }
}

impl Handle {
    fn new(file: File, len: u64) -> Self {
        Handle {
            file,
            tail: Mutex::new(Tail {
                written: len,
                buffer: Vec::new(),
                file_len: len,
            }),
            in_file: AtomicU64::new(len),
        }
    }

    /// Records that the file holds `tail.written` bytes now.
    fn publish(&self, tail: &Tail) {
        self.in_file.store(tail.written, Ordering::Release);
    }

    fn tail(&self) -> MutexGuard<'_, Tail> {
        self.tail.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Writes the buffer to the file. On failure the buffer is kept (reads
    /// still see it) and `written` is re-learned from the file.
    fn flush(&self, tail: &mut Tail) -> io::Result<()> {
        self.write_front(tail, tail.buffer.len())?;
        if tail.buffer.capacity() > 4 * WRITE_BUFFER {
            tail.buffer = Vec::new();
        }
        Ok(())
    }

    /// Writes the buffered bytes up to the last page boundary of the file
    /// and keeps the rest: a write of whole pages is cheaper than one that
    /// starts or ends inside a page (the kernel must zero, and later
    /// revisit, a page it only partly fills). A buffer that reaches no
    /// boundary is written whole.
    fn flush_pages(&self, tail: &mut Tail) -> io::Result<()> {
        let end = tail.written + tail.buffer.len() as u64;
        let whole_pages = (end - end % PAGE).saturating_sub(tail.written) as usize;
        if whole_pages == 0 {
            return self.flush(tail);
        }
        self.write_front(tail, whole_pages)
    }

    /// Writes the first `len` buffered bytes to the file and drops them
    /// from the buffer. On failure nothing moves.
    fn write_front(&self, tail: &mut Tail, len: usize) -> io::Result<()> {
        if len == 0 {
            return Ok(());
        }
        write_all_at(&self.file, &tail.buffer[..len], tail.written)?;
        tail.written += len as u64;
        tail.file_len = tail.file_len.max(tail.written);
        self.publish(tail);
        tail.buffer.drain(..len);
        Ok(())
    }
}

/// The page size the file's writes are aligned to.
const PAGE: u64 = 4096;

impl Drop for Handle {
    fn drop(&mut self) {
        // Best effort: a store closed without `sync` (SyncPolicy::Never)
        // still hands its last appends to the OS, and leaves no spare space.
        let mut tail = std::mem::take(&mut *self.tail());
        if self.flush(&mut tail).is_ok() && tail.file_len > tail.written {
            let _ = self.file.set_len(tail.written);
        }
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
        self.handles_mut()
            .insert(id, Arc::new(Handle::new(file, 0)));
        Ok(())
    }

    fn append(&self, id: SegmentId, bytes: &[u8]) -> io::Result<u64> {
        let handle = self.handle(id)?;
        let mut tail = handle.tail();
        let offset = tail.written + tail.buffer.len() as u64;
        if bytes.len() >= WRITE_BUFFER {
            // Too big to be worth copying: straight to the file, after what
            // is buffered.
            handle.flush(&mut tail)?;
            write_all_at(&handle.file, bytes, tail.written).inspect_err(|_| {
                // Part of it may have landed; nothing after `written` counts.
                let _ = handle.file.set_len(tail.written);
            })?;
            tail.written += bytes.len() as u64;
            tail.file_len = tail.file_len.max(tail.written);
            handle.publish(&tail);
        } else {
            if tail.buffer.len() + bytes.len() > WRITE_BUFFER {
                handle.flush_pages(&mut tail)?;
            }
            tail.buffer.extend_from_slice(bytes);
        }
        Ok(offset)
    }

    fn read_at(&self, id: SegmentId, offset: u64, buf: &mut [u8]) -> io::Result<()> {
        let handle = self.handle(id)?;
        let end = offset + buf.len() as u64;
        if end <= handle.in_file.load(Ordering::Acquire) {
            return read_exact_at(&handle.file, buf, offset);
        }
        {
            let tail = handle.tail();
            if end > tail.written {
                // Some of it is still in the buffer: serve that part from
                // memory, the rest from the file, while appends wait.
                let buffered_end = tail.written + tail.buffer.len() as u64;
                if end > buffered_end {
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        format!("read past the end of segment {id}"),
                    ));
                }
                let from_file = tail.written.saturating_sub(offset) as usize;
                let from_file = from_file.min(buf.len());
                let (head, rest) = buf.split_at_mut(from_file);
                if !head.is_empty() {
                    read_exact_at(&handle.file, head, offset)?;
                }
                let start = (offset + from_file as u64 - tail.written) as usize;
                rest.copy_from_slice(&tail.buffer[start..start + rest.len()]);
                return Ok(());
            }
        }
        read_exact_at(&handle.file, buf, offset)
    }

    fn len(&self, id: SegmentId) -> io::Result<u64> {
        let handle = self.handle(id)?;
        let tail = handle.tail();
        Ok(tail.written + tail.buffer.len() as u64)
    }

    fn truncate(&self, id: SegmentId, new_len: u64) -> io::Result<()> {
        let handle = self.handle(id)?;
        let mut tail = handle.tail();
        let buffered_end = tail.written + tail.buffer.len() as u64;
        if new_len >= tail.written && new_len <= buffered_end {
            // Only buffered bytes go: never written, nothing to cut on disk
            // unless there is preallocated space to give back.
            let keep = (new_len - tail.written) as usize;
            tail.buffer.truncate(keep);
            if tail.file_len <= tail.written {
                return Ok(());
            }
        }
        handle.flush(&mut tail)?;
        handle.file.set_len(new_len)?;
        tail.written = new_len;
        tail.file_len = new_len;
        handle.publish(&tail);
        Ok(())
    }

    fn preallocate(&self, id: SegmentId, len: u64) -> io::Result<()> {
        let handle = self.handle(id)?;
        let mut tail = handle.tail();
        if len > tail.file_len.max(tail.written + tail.buffer.len() as u64) {
            // Buffered bytes go first: otherwise a process killed between
            // the two leaves a file of zeros where its header belongs.
            handle.flush(&mut tail)?;
            handle.file.set_len(len)?;
            tail.file_len = len;
        }
        Ok(())
    }

    fn sync(&self, id: SegmentId) -> io::Result<()> {
        let handle = self.handle(id)?;
        handle.flush(&mut handle.tail())?;
        handle.file.sync_data()?;
        if self.undurable_entries().contains(&id) {
            self.sync_dir()?;
            self.undurable_entries().remove(&id);
        }
        Ok(())
    }

    fn remove(&self, id: SegmentId) -> io::Result<()> {
        self.handles_mut().remove(&id);
        match fs::remove_file(self.segment_path(id)) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Err(not_found(id)),
            Err(e) => return Err(e),
        }
        self.undurable_entries().remove(&id);
        // A hint left behind would only be refused later (it names its
        // segment's length and seal); removing it keeps the directory tidy.
        let _ = fs::remove_file(self.hint_path(id));
        self.sync_dir()
    }

    fn write_hint(&self, id: SegmentId, bytes: &[u8]) -> io::Result<()> {
        // Written aside and renamed into place, so a reader sees a whole hint
        // or none; not synced, since a lost hint only costs a slower open.
        let tmp = self.dir.join(format!("{}.tmp", id.hint_file_name()));
        fs::write(&tmp, bytes)?;
        fs::rename(&tmp, self.hint_path(id))
    }

    fn read_hint(&self, id: SegmentId) -> io::Result<Option<Vec<u8>>> {
        match fs::read(self.hint_path(id)) {
            Ok(bytes) => Ok(Some(bytes)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
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
    fn buffered_appends_read_back_across_the_file_and_the_buffer()
    -> std::result::Result<(), Box<dyn std::error::Error>> {
        let dir = temp_dir()?;
        let storage = FileStorage::open(dir.path())?;
        let id = SegmentId(1);
        storage.create(id)?;
        let mut expected = Vec::new();
        // Small appends that cross the buffer limit several times, and one
        // larger than the buffer.
        for i in 0..3000u32 {
            let chunk = i.to_le_bytes().repeat(1 + (i % 9) as usize);
            assert_eq!(storage.append(id, &chunk)?, expected.len() as u64);
            expected.extend_from_slice(&chunk);
        }
        let big = vec![7u8; WRITE_BUFFER + 10];
        assert_eq!(storage.append(id, &big)?, expected.len() as u64);
        expected.extend_from_slice(&big);
        storage.append(id, b"tail in the buffer")?;
        expected.extend_from_slice(b"tail in the buffer");
        assert_eq!(storage.len(id)?, expected.len() as u64);
        // Every window, including ones that straddle the file and the buffer.
        for (offset, len) in [
            (0, 10),
            (60_000, 9_000),
            (expected.len() - 30, 30),
            (5, expected.len() - 5),
        ] {
            let mut buf = vec![0u8; len];
            storage.read_at(id, offset as u64, &mut buf)?;
            assert_eq!(buf, expected[offset..offset + len], "window at {offset}");
        }
        let mut past = [0u8; 2];
        assert!(
            storage
                .read_at(id, expected.len() as u64 - 1, &mut past)
                .is_err()
        );
        // Cutting inside the buffer and inside the file.
        storage.truncate(id, expected.len() as u64 - 4)?;
        expected.truncate(expected.len() - 4);
        storage.append(id, b"!")?;
        expected.push(b'!');
        storage.truncate(id, 100)?;
        expected.truncate(100);
        storage.append(id, b"after the cut")?;
        expected.extend_from_slice(b"after the cut");
        // Bytes the file held before the cut are gone from it: a read there
        // must find the new ones, still in the buffer.
        let mut again = [0u8; 13];
        storage.read_at(id, 100, &mut again)?;
        assert_eq!(&again, b"after the cut");
        storage.sync(id)?;
        assert_eq!(std::fs::read(storage.segment_path(id))?, expected);
        Ok(())
    }

    #[test]
    fn a_full_buffer_is_written_up_to_a_page_boundary()
    -> std::result::Result<(), Box<dyn std::error::Error>> {
        let dir = temp_dir()?;
        let storage = FileStorage::open(dir.path())?;
        let id = SegmentId(1);
        storage.create(id)?;
        let record = [5u8; 1000];
        let mut appended = 0u64;
        let mut writes = 0;
        while writes < 5 {
            let before = std::fs::metadata(storage.segment_path(id))?.len();
            storage.append(id, &record)?;
            appended += record.len() as u64;
            let after = std::fs::metadata(storage.segment_path(id))?.len();
            if after != before {
                writes += 1;
                assert_eq!(after % PAGE, 0, "a write by fullness ends on a page");
                assert!(appended - after < PAGE + record.len() as u64);
            }
        }
        assert_eq!(storage.len(id)?, appended);
        let mut all = vec![0u8; appended as usize];
        storage.read_at(id, 0, &mut all)?;
        assert!(all.iter().all(|&b| b == 5));
        Ok(())
    }

    #[test]
    fn unsynced_appends_reach_the_file_when_the_storage_closes()
    -> std::result::Result<(), Box<dyn std::error::Error>> {
        let dir = temp_dir()?;
        {
            let storage = FileStorage::open(dir.path())?;
            storage.create(SegmentId(1))?;
            storage.append(SegmentId(1), b"buffered")?;
        }
        assert_eq!(
            std::fs::read(dir.path().join("segment-00000001.dat"))?,
            b"buffered"
        );
        Ok(())
    }

    #[test]
    fn preallocated_space_is_invisible_and_given_back()
    -> std::result::Result<(), Box<dyn std::error::Error>> {
        let dir = temp_dir()?;
        let id = SegmentId(1);
        let file_size = |storage: &FileStorage| std::fs::metadata(storage.segment_path(id));
        {
            let storage = FileStorage::open(dir.path())?;
            storage.create(id)?;
            storage.append(id, b"head")?;
            storage.preallocate(id, 4096)?;
            assert_eq!(file_size(&storage)?.len(), 4096);
            // A process killed now leaves the header in the file, not zeros.
            assert_eq!(std::fs::read(storage.segment_path(id))?[..4], *b"head");
            storage.append(id, b"-more")?;
            storage.sync(id)?;
            assert_eq!(storage.len(id)?, 9, "reads see appended bytes only");
            assert!(storage.read_at(id, 8, &mut [0u8; 2]).is_err());
            assert_eq!(file_size(&storage)?.len(), 4096, "a sync keeps the space");
            assert_eq!(std::fs::read(storage.segment_path(id))?[..9], *b"head-more");

            // A cut inside the buffer still gives the space back.
            storage.append(id, b"xyz")?;
            storage.truncate(id, 10)?;
            assert_eq!(file_size(&storage)?.len(), 10);
            assert_eq!(storage.len(id)?, 10);

            // Closing gives it back too.
            storage.preallocate(id, 8192)?;
            storage.append(id, b"!")?;
        }
        assert_eq!(
            std::fs::read(dir.path().join(id.file_name()))?,
            b"head-morex!"
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
