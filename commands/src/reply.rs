//! What a command answers: structured [`Reply`] values.
//!
//! Replies are data, not text, so each host decides how to show them (the
//! CLI in colour on a terminal, the playground as HTML) and tests can check
//! numbers instead of parsing sentences. [`Reply::to_text`] (in `render`) is
//! the one shared way to turn them into words.

use std::time::Duration;

use mini_kvstore::{
    BackupReport, CompactionPolicy, CompactionReport, Expect, Layout, PolicyPlan, Stats,
    VerifyReport,
};

/// The answer to one command.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Reply {
    /// `set` stored the value; `expire` or `persist` changed the key's
    /// expiry.
    Ok,
    /// A conditional `set` stored the value, which now has this version (the
    /// one a next `set --if-version` expects).
    Stored {
        /// The new value's version.
        version: u64,
    },
    /// A conditional `set` or `delete` changed nothing: the key was not as
    /// its condition said. An expected answer, not an error.
    Conflict {
        /// The key.
        key: String,
        /// What the command expected of it.
        expected: Expect,
        /// Its version now; `None` when it has no value.
        current: Option<u64>,
    },
    /// `get` found this value.
    Value(Vec<u8>),
    /// `get`, `delete`, `expire`, `ttl` or `persist` found no such key.
    NotFound(String),
    /// `delete` removed the key.
    Deleted,
    /// `ttl`: how long the key has left; `None` when it does not expire.
    Ttl(Option<Duration>),
    /// `persist` found the key without an expiry: nothing to take away, and
    /// nothing written.
    NoExpiry,
    /// `list`: keys in order.
    Keys(KeyList),
    /// `scan`: keys in range, in order, with their values.
    Pairs(PairList),
    /// `compact` finished.
    Compacted(CompactionReport),
    /// `compact --policy`: no segment reaches the merge policy's trigger.
    NothingToMerge,
    /// `stats`.
    Stats(Stats),
    /// `inspect`: the segments as they are now (boxed: a view is far
    /// larger than any other reply).
    Layout(Box<LayoutView>),
    /// `verify` read everything.
    Verify(VerifyReport),
    /// `load` stored a file's lines.
    Loaded(LoadReport),
    /// `backup` made a copy in `dest`.
    BackedUp {
        /// The directory, as it was named.
        dest: String,
        /// What was copied.
        report: BackupReport,
    },
    /// `help`: text to show as is.
    Help(String),
    /// `quit`: the host should stop reading commands.
    Quit,
}

/// How a command went, for hosts that turn it into an exit status or a
/// colour: the reply says what happened, this says whether that is a success.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Outcome {
    /// Done as asked.
    Success,
    /// The key does not exist (`get`, `delete`, `expire`, `ttl`,
    /// `persist`).
    NotFound,
    /// Done in part: `load` skipped bad lines.
    Partial,
    /// `verify` found corrupt bytes.
    Corruption,
    /// A conditional write found its key otherwise and wrote nothing.
    Conflict,
}

impl Reply {
    /// Whether this reply is a success, and if not, what kind of failure.
    pub fn outcome(&self) -> Outcome {
        match self {
            Reply::NotFound(_) => Outcome::NotFound,
            Reply::Conflict { .. } => Outcome::Conflict,
            Reply::Loaded(report) if !report.bad_lines.is_empty() => Outcome::Partial,
            Reply::Verify(report) if !report.is_clean() => Outcome::Corruption,
            _ => Outcome::Success,
        }
    }
}

/// The keys `list` found.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct KeyList {
    /// The keys shown, in byte order.
    pub keys: Vec<Vec<u8>>,
    /// How many keys matched before `--limit` cut the list.
    pub matched: usize,
}

/// What `scan` found.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PairList {
    /// The keys in the order scanned (descending with `--rev`), each with
    /// its value; `None` with `--keys-only`, which keeps no values.
    pub entries: Vec<(Vec<u8>, Option<Vec<u8>>)>,
    /// `--keys-only`: the entries have no values, and are counted as keys.
    pub keys_only: bool,
    /// Whether more keys of the range follow the last one shown: `--limit`
    /// ended the scan.
    pub more: bool,
}

/// What `inspect` shows: the layout, already narrowed to one segment when
/// asked, how the compaction policy sees it, and how much detail to draw.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct LayoutView {
    /// Segments, records and the compaction plan.
    pub layout: Layout,
    /// What the compaction policy would merge next, and why.
    pub policy: PolicyPlan,
    /// The policy's settings (its trigger and threshold are drawn).
    pub settings: CompactionPolicy,
    /// Set when the view is one segment of several: summary lines then
    /// describe that segment rather than the store.
    pub segment: Option<u32>,
    /// List every record, not just the map.
    pub verbose: bool,
}

/// What `load` did with a file.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct LoadReport {
    /// The file as it was named.
    pub file: String,
    /// Lines stored (a key that appears twice counts twice; the last wins).
    pub loaded: u64,
    /// Lines that could not be stored, in file order.
    pub bad_lines: Vec<BadLine>,
}

/// A line of a `load` file that was not stored, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct BadLine {
    /// 1-based line number.
    pub line: u64,
    /// What is wrong with it.
    pub reason: String,
}
