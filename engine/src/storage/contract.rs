//! The [`Storage`] trait — the durability contract every place that keeps
//! segments meets — and the helpers its implementations share.

use std::io;

use crate::segment_id::SegmentId;

/// A place to keep segments: append-only byte sequences named by [`SegmentId`].
///
/// Implementations must be safe to call from several threads at once; the
/// engine serialises appends to one segment itself, but reads run concurrently
/// with appends and with each other.
///
/// **Durability contract.** Appended bytes may be lost in a crash until
/// [`sync`](Storage::sync) for that segment returns `Ok`. After a crash, a
/// segment holds some prefix of what was appended to it that includes at least
/// everything synced (the unsynced tail may be partly there: a torn write),
/// and, if space was [preallocated](Storage::preallocate), possibly zero
/// bytes after it up to the preallocated length.
pub trait Storage: Send + Sync + 'static {
    /// Every segment that exists, in any order.
    fn list(&self) -> io::Result<Vec<SegmentId>>;

    /// Makes a new, empty segment. Fails if it already exists.
    ///
    /// Durable: the segment survives a crash once `sync(id)` has returned.
    fn create(&self, id: SegmentId) -> io::Result<()>;

    /// Appends `bytes` at the end of the segment and returns the offset they
    /// start at. Durable only after a later `sync(id)`.
    fn append(&self, id: SegmentId, bytes: &[u8]) -> io::Result<u64>;

    /// Fills `buf` with the bytes at `offset`; fails with
    /// [`io::ErrorKind::UnexpectedEof`] if the segment is shorter.
    fn read_at(&self, id: SegmentId, offset: u64, buf: &mut [u8]) -> io::Result<()>;

    /// The segment's length in bytes, as visible to `read_at` now.
    fn len(&self, id: SegmentId) -> io::Result<u64>;

    /// Cuts the segment to `len` bytes and gives back any space preallocated
    /// beyond them. Durable after a later `sync(id)`.
    fn truncate(&self, id: SegmentId, len: u64) -> io::Result<()>;

    /// Reserves room for the segment to grow to `len` bytes, so that appends
    /// below that length do not change the size of the file and a sync has
    /// only data to flush. Only an optimisation (the default does nothing);
    /// `len` and reads still see exactly the appended bytes. The price is in
    /// the durability contract above: after a crash, zero bytes may follow
    /// the appended ones, which recovery treats as unused space.
    fn preallocate(&self, id: SegmentId, len: u64) -> io::Result<()> {
        let _ = (id, len);
        Ok(())
    }

    /// Makes everything appended to the segment, its length and its existence
    /// durable: when this returns `Ok`, a crash loses none of it.
    fn sync(&self, id: SegmentId) -> io::Result<()>;

    /// Deletes the segment (and its hint). Durable when it returns `Ok`:
    /// after a crash the segment is gone.
    fn remove(&self, id: SegmentId) -> io::Result<()>;

    /// Stores the *hint* of a sealed segment: an index snapshot that lets
    /// `open` skip reading the segment. A hint is only a cache — checked
    /// against its segment and rebuilt from it when missing or bad — so
    /// nothing about it is durable, and a backend may keep none (the default).
    fn write_hint(&self, id: SegmentId, bytes: &[u8]) -> io::Result<()> {
        let _ = (id, bytes);
        Err(io::ErrorKind::Unsupported.into())
    }

    /// The hint stored for the segment, if there is one.
    fn read_hint(&self, id: SegmentId) -> io::Result<Option<Vec<u8>>> {
        let _ = id;
        Ok(None)
    }
}

impl<S: Storage + ?Sized> Storage for std::sync::Arc<S> {
    fn list(&self) -> io::Result<Vec<SegmentId>> {
        (**self).list()
    }
    fn create(&self, id: SegmentId) -> io::Result<()> {
        (**self).create(id)
    }
    fn append(&self, id: SegmentId, bytes: &[u8]) -> io::Result<u64> {
        (**self).append(id, bytes)
    }
    fn read_at(&self, id: SegmentId, offset: u64, buf: &mut [u8]) -> io::Result<()> {
        (**self).read_at(id, offset, buf)
    }
    fn len(&self, id: SegmentId) -> io::Result<u64> {
        (**self).len(id)
    }
    fn truncate(&self, id: SegmentId, len: u64) -> io::Result<()> {
        (**self).truncate(id, len)
    }
    fn preallocate(&self, id: SegmentId, len: u64) -> io::Result<()> {
        (**self).preallocate(id, len)
    }
    fn sync(&self, id: SegmentId) -> io::Result<()> {
        (**self).sync(id)
    }
    fn remove(&self, id: SegmentId) -> io::Result<()> {
        (**self).remove(id)
    }
    fn write_hint(&self, id: SegmentId, bytes: &[u8]) -> io::Result<()> {
        (**self).write_hint(id, bytes)
    }
    fn read_hint(&self, id: SegmentId) -> io::Result<Option<Vec<u8>>> {
        (**self).read_hint(id)
    }
}

/// The error [`Storage`] methods give for a segment that does not exist.
pub fn not_found(id: SegmentId) -> io::Error {
    io::Error::new(
        io::ErrorKind::NotFound,
        format!("segment {id} does not exist"),
    )
}

/// [`Storage::read_at`] over a segment held in memory: fills `buf` from
/// `segment` at `offset`, or fails with `UnexpectedEof` past its end. For
/// backends that keep segments as bytes ([`MemStorage`](super::MemStorage), the browser's).
pub fn read_from_bytes(
    segment: &[u8],
    id: SegmentId,
    offset: u64,
    buf: &mut [u8],
) -> io::Result<()> {
    let src = usize::try_from(offset)
        .ok()
        .and_then(|start| segment.get(start..start.checked_add(buf.len())?))
        .ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!("read past the end of segment {id}"),
            )
        })?;
    buf.copy_from_slice(src);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_round_trip() {
        let id = SegmentId(42);
        assert_eq!(id.file_name(), "segment-00000042.dat");
        assert_eq!(SegmentId::from_file_name(&id.file_name()), Some(id));
        assert_eq!(
            SegmentId::from_file_name("segment-123456789.dat"),
            Some(SegmentId(123_456_789))
        );
    }

    #[test]
    fn other_names_are_not_segments() {
        for name in [
            "LOCK",
            "segment-1.dat",
            "segment-0000000x.dat",
            "segment-00000001.dat.tmp",
            "xsegment-00000001.dat",
            "segment-99999999999999.dat",
        ] {
            assert_eq!(SegmentId::from_file_name(name), None, "{name}");
        }
    }
}
