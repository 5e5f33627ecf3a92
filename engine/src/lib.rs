//! # mini-kvstore
//!
//! A log-structured key-value store in the Bitcask style: every write is
//! appended to a segment file as a CRC-checked record, an in-memory index maps
//! each key to the place of its latest record, deletes are tombstone records,
//! and compaction rewrites the live records to give back the space that
//! overwritten values and tombstones take.
//!
//! ```
//! use mini_kvstore::KvStore;
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let dir = tempfile::tempdir()?;
//! # let my_data = dir.path().join("my_data");
//! let store = KvStore::open(&my_data)?;            // creates the directory if missing
//! store.set("user:1:name", b"Alice")?;
//! assert_eq!(store.get("user:1:name")?, Some(b"Alice".to_vec()));
//!
//! store.set("user:1:name", b"Alicia")?;            // an overwrite appends a new record
//! assert!(store.delete("user:1:name")?);           // a delete appends a tombstone
//! assert!(!store.delete("user:1:name")?);          // deleting an absent key writes nothing
//!
//! let report = store.compact()?;                   // rewrites live records, drops the rest
//! assert!(report.bytes_after <= report.bytes_before);
//! let stats = store.stats();
//! assert_eq!(stats.keys, 0);
//! store.sync()?;
//! drop(store);
//!
//! let store = KvStore::open(&my_data)?;            // recovery rebuilds the index
//! assert_eq!(store.get("user:1:name")?, None);
//! # Ok(())
//! # }
//! ```
//!
//! ## Where things live
//!
//! In reading order: each module uses only those above it (a test in
//! `xtask` keeps every crate's imports free of cycles).
//!
//! | module | what |
//! |---|---|
//! | `segment_id`, [`storage`] | [`SegmentId`]; the [`Storage`] trait (where segment bytes live) with [`FileStorage`] and [`MemStorage`] |
//! | `error`, `options`, `report` | [`Error`]; [`Options`] and [`SyncPolicy`]; what calls report ([`Stats`], [`CompactionReport`], …) |
//! | [`telemetry`] | fsync, group-commit, merge and recovery timings for a metrics recorder (feature `metrics`) |
//! | [`format`](mod@format) | segment headers and records, byte by byte (`docs/FORMAT.md`) |
//! | `scan`, `hint` | walking a segment's records (valid, corrupt, torn); hint files that summarise a sealed segment |
//! | `key`, `location` | `IndexKey` and its order; [`Location`], where a record lives |
//! | `filter`, `key_map`, `index` | the index: runs of neighbouring keys, each with a Bloom filter, plus per-segment accounting |
//! | `recovery` | `open`: repair, finish an interrupted compaction, rebuild the index |
//! | [`compaction`] | the merge policy, the pure [`CompactionPlan`] and the pure index change that publishes one |
//! | `store` | [`KvStore`]: the handle, and below it the write path, the read path, [`Iter`], group commit, the merge mechanism, background threads |
//! | [`layout`] | the store as data for drawing: segments, records and their states |
//!
//! ## Guarantees
//!
//! - With [`SyncPolicy::Always`] (the default), a `set` or `delete` that
//!   returned `Ok` survives a crash or power loss. Concurrent writers share
//!   one fsync. A handle from [`KvStore::deferring_durability`] puts that
//!   wait off: its writes are acknowledged by its `wait_durable`.
//! - A record is never returned unless its CRC matches: damaged bytes give
//!   [`Error::Corruption`].
//! - Recovery cuts a torn tail (a write a crash interrupted) and skips, with a
//!   warning and a count in [`Stats`], corrupt bytes that have valid records
//!   after them; it keeps every valid record.
//! - Compaction can crash at any point without losing a write or bringing a
//!   deleted key back.
//! - One process per directory: a second gets [`Error::Locked`].
//!
//! A write is visible to readers as soon as it is appended, slightly before
//! it is durable; the writer itself gets `Ok` only once it is durable.

mod batch;
mod clock;
pub mod compaction;
mod error;
mod expect;
mod expiry;
mod filter;
pub mod format;
#[cfg(feature = "test-support")]
pub mod fuzzing;
mod hint;
mod index;
mod key;
mod key_map;
pub mod layout;
mod limits;
mod location;
mod options;
mod recovery;
mod report;
mod scan;
mod segment_id;
pub mod storage;
mod store;
pub mod telemetry;

pub use batch::WriteBatch;
pub use clock::{Clock, ManualClock, SystemClock};
pub use compaction::{
    CompactionPlan, CompactionPolicy, MergeReason, PolicyPlan, SegmentAssessment,
};
pub use error::{Error, Result};
pub use expect::Expect;
pub use format::{
    BatchPart, CommitPayload, FORMAT_VERSION, MAGIC, MAX_KEY_LEN, RECORD_HEADER_LEN, RecordKind,
    SEGMENT_HEADER_LEN, SegmentKind,
};
pub use key::prefix_end;
pub use layout::{
    Layout, LayoutSummary, MetaPayload, RecordLayout, RecordPage, RecordState, SegmentLayout,
    SegmentSummary,
};
pub use location::{Location, TombstoneAt};
pub use options::{
    DEFAULT_MAX_SEGMENT_SIZE, DEFAULT_MAX_VALUE_SIZE, MAX_SEGMENT_SIZE_LIMIT, MAX_VALUE_SIZE_LIMIT,
    MIN_SEGMENT_SIZE, Options, SyncPolicy,
};
pub use report::{
    BackupReport, CompactionReport, CompactionTrigger, CorruptRange, InputReason, RecoveryReport,
    Stats, TruncatedTail, VerifyReport,
};
#[cfg(not(target_arch = "wasm32"))]
pub use storage::FileStorage;
pub use storage::{MemStorage, SegmentId, Storage};
pub use store::Iter;
pub use store::{KvStore, SetOutcome, Versioned};

/// The README's code blocks, compiled and run as doc tests so it stays true.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
struct ReadmeExamples;
