//! The store's size limits and defaults: a leaf, so that the options and
//! the compaction policy (whose byte defaults follow the segment size) can
//! both name them without importing each other.

use crate::format::{MAX_KEY_LEN, RECORD_HEADER_LEN, SEGMENT_HEADER_LEN};

/// Default segment size: large enough that rotation is rare, small enough that
/// recovery and compaction read a segment at a time comfortably.
pub const DEFAULT_MAX_SEGMENT_SIZE: u64 = 16 * 1024 * 1024;
/// Default value limit.
pub const DEFAULT_MAX_VALUE_SIZE: u64 = 64 * 1024 * 1024;
/// The smallest segment size accepted (the playground uses a few hundred bytes
/// so that rotation happens within a few writes).
pub const MIN_SEGMENT_SIZE: u64 = 64;
const _: () = assert!(SEGMENT_HEADER_LEN < MIN_SEGMENT_SIZE);
/// The largest value any store accepts: a record's length must fit in 32 bits.
pub const MAX_VALUE_SIZE_LIMIT: u64 =
    u32::MAX as u64 - RECORD_HEADER_LEN as u64 - MAX_KEY_LEN as u64;
/// The largest segment size accepted; recovery reads a segment at a time.
pub const MAX_SEGMENT_SIZE_LIMIT: u64 = 1 << 32;
