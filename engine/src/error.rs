//! The engine's one error type.
//!
//! Every failure a caller can act on has its own variant, so a CLI can say
//! "locked" and a server can answer 413 without parsing messages. I/O errors
//! keep what the engine was doing when they happened (`context`) and the
//! original error as their `source()`.

use std::io;
use std::path::PathBuf;

use crate::segment_id::SegmentId;

/// Shorthand used throughout the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in the engine.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The storage backend failed.
    #[error("{context}: {source}")]
    Io {
        /// What the engine was doing, e.g. "append to segment 3".
        context: String,
        /// The backend's error.
        #[source]
        source: io::Error,
    },

    /// Another process (or another `KvStore` in this one) has the directory open.
    #[error("{} is locked by another process (only one may open a data directory at a time)", path.display())]
    Locked {
        /// The lock file that could not be taken.
        path: PathBuf,
    },

    /// Keys must have at least one byte.
    #[error("key must not be empty")]
    EmptyKey,

    /// The key is longer than [`MAX_KEY_LEN`](crate::MAX_KEY_LEN).
    #[error("key is {len} bytes, the limit is {max}")]
    KeyTooLarge {
        /// Length of the rejected key.
        len: usize,
        /// The limit.
        max: usize,
    },

    /// The value is longer than the store's `max_value_size`.
    #[error("value is {len} bytes, the limit is {max}")]
    ValueTooLarge {
        /// Length of the rejected value.
        len: u64,
        /// The limit.
        max: u64,
    },

    /// Bytes on storage do not match their checksum or framing.
    #[error("corruption in segment {segment} at offset {offset}: {detail}")]
    Corruption {
        /// Segment holding the bad bytes.
        segment: SegmentId,
        /// Byte offset of the bad record within the segment file.
        offset: u64,
        /// What check failed.
        detail: String,
    },

    /// A file named like a segment is not one of ours.
    #[error("segment {segment} is not a mini-kvstore segment: {detail}")]
    ForeignFile {
        /// The segment number from the file name.
        segment: SegmentId,
        /// What did not match.
        detail: String,
    },

    /// A segment was written by a newer (or unknown) version of the format.
    #[error("segment {segment} has format version {found}; this build reads version {supported}")]
    UnsupportedVersion {
        /// The segment number from the file name.
        segment: SegmentId,
        /// The version in the file.
        found: u16,
        /// The version this build reads and writes.
        supported: u16,
    },

    /// An earlier write or fsync failed; the store refuses writes until reopened.
    ///
    /// After a failed fsync the kernel may already have dropped the dirty pages,
    /// so a retried fsync can report success for data that is gone. Refusing
    /// further writes is the only honest answer.
    #[error("the store refuses writes after an earlier storage failure; reopen it")]
    Poisoned,

    /// A conditional write found the key not as it expected (see
    /// [`Expect`](crate::Expect)) and wrote nothing.
    #[error("{}", match current {
        Some(version) => format!("the key's current version is {version}, which the write did not expect"),
        None => "the key has no value, which the write did not expect".to_owned(),
    })]
    Conflict {
        /// The key's current version, `None` when it has no value.
        current: Option<u64>,
    },

    /// The store is closing: a merge it was running stopped, and left the
    /// store as it was before the merge.
    #[error("the store is closing; the merge in progress was abandoned and changed nothing")]
    Closing,

    /// The options passed to `open` make no sense.
    #[error("invalid options: {0}")]
    InvalidOptions(String),
}

impl Error {
    pub(crate) fn io(context: impl Into<String>, source: io::Error) -> Self {
        Error::Io {
            context: context.into(),
            source,
        }
    }
}
