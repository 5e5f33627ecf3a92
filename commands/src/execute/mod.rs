//! Running a [`Command`] against a [`KvStore`].
//!
//! The few things a command needs from the program around it — the bytes of
//! the file `load` names, and somewhere to show progress — come through the
//! [`Host`] trait, so this module has no filesystem, terminal or thread of its
//! own and runs unchanged in the browser.
//!
//! Every write command returns only once its writes are durable (it calls
//! [`KvStore::sync`] before replying), whatever the store's
//! [`SyncPolicy`](mini_kvstore::SyncPolicy). A host may therefore open the
//! store with `SyncPolicy::Never` and let `load` share one fsync among all its
//! lines without weakening what a printed reply promises.

use std::io;
use std::ops::Bound;

use mini_kvstore::{BackupReport, Error as StoreError, Expect, KvStore};

use crate::grammar::{Command, InspectArgs, ListArgs, ScanArgs, help_text};
use crate::reply::{BadLine, KeyList, LayoutView, LoadReport, PairList, Reply};

/// A long-running part of a command, for progress displays.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Task {
    /// `compact` rewriting segments.
    Compact,
    /// `verify` reading every segment.
    Verify,
    /// `inspect` reading every segment.
    Inspect,
    /// `load` storing lines; steps are lines.
    Load,
    /// `backup` copying segments; steps are bytes.
    Backup,
}

impl Task {
    /// A short present-tense description: "compacting".
    pub fn describe(self) -> &'static str {
        match self {
            Task::Compact => "compacting",
            Task::Verify => "verifying",
            Task::Inspect => "reading segments",
            Task::Load => "loading",
            Task::Backup => "backing up",
        }
    }
}

/// What a command may ask of the program that runs it.
pub trait Host {
    /// The contents of the file `load FILE` names. A host without files (the
    /// browser) returns an error of kind [`io::ErrorKind::Unsupported`].
    fn read_file(&mut self, path: &str) -> io::Result<Vec<u8>>;

    /// A long task starts; `total` is its number of steps when known
    /// (otherwise only its start and end are reported).
    fn task_started(&mut self, task: Task, total: Option<u64>) {
        let _ = (task, total);
    }

    /// `steps` more steps of the current task are done.
    fn task_advanced(&mut self, steps: u64) {
        let _ = steps;
    }

    /// The current task is over, successfully or not.
    fn task_finished(&mut self) {}
}

/// A host with no files and no progress display: for tests and for consoles
/// that have neither.
#[derive(Debug, Clone, Copy, Default)]
pub struct Sandbox;

impl Host for Sandbox {
    fn read_file(&mut self, path: &str) -> io::Result<Vec<u8>> {
        Err(io::Error::new(
            io::ErrorKind::Unsupported,
            format!("there are no files to read here ({path})"),
        ))
    }
}

/// Why a command could not run.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ExecError {
    /// The store refused: locked, corrupt, poisoned, a key too large, …
    #[error(transparent)]
    Store(#[from] StoreError),
    /// `load` could not read its file.
    #[error("cannot read {path}: {source}")]
    ReadFile {
        /// The file as it was named.
        path: String,
        /// Why.
        #[source]
        source: io::Error,
    },
    /// The command needs something this host does not have (files, in the
    /// browser).
    #[error("{0}")]
    Unsupported(String),
    /// `inspect --segment` named a segment that does not exist.
    #[error("there is no segment {0}; 'inspect' lists them")]
    NoSuchSegment(u32),
    /// `help` was asked about a command that does not exist.
    #[error("unknown command '{0}'; type 'help'")]
    UnknownCommand(String),
    /// A `set` with both a time to live and a condition: the engine has no
    /// conditional write with an expiry, and a `set_if` followed by an
    /// `expire` would let another write in between.
    #[error(
        "--ttl cannot be combined with --if-version or --if-absent: the store has no conditional write with an expiry"
    )]
    ConditionalTtl,
    /// `scan FROM TO` with FROM after TO: a range that holds no key, given
    /// by mistake more often than not.
    #[error(
        "'{from}' comes after '{to}': scan FROM TO shows the keys from FROM up to TO (--rev walks that range backwards)"
    )]
    BackwardRange {
        /// FROM as given.
        from: String,
        /// TO as given.
        to: String,
    },
}

/// The reply to a command that needs no store (`help`, `quit`), or `None`
/// when the command needs one (see [`Command::needs_store`]).
pub fn execute_without_store(command: &Command) -> Option<Result<Reply, ExecError>> {
    match command {
        Command::Help { command } => Some(help(command.as_deref())),
        Command::Quit => Some(Ok(Reply::Quit)),
        _ => None,
    }
}

fn help(command: Option<&str>) -> Result<Reply, ExecError> {
    help_text(command)
        .map(Reply::Help)
        .ok_or_else(|| ExecError::UnknownCommand(command.unwrap_or_default().to_owned()))
}

/// Runs `command` against `store`.
///
/// ```
/// use mini_kvstore::{KvStore, MemStorage, Options};
/// use mini_kvstore_commands::{Reply, Sandbox, execute, parse_line};
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let store = KvStore::open_with(MemStorage::new(), Options::default())?;
/// let mut run = |line: &str| -> Result<Reply, Box<dyn std::error::Error>> {
///     let command = parse_line(line)?.expect("not blank");
///     Ok(execute(&store, &command, &mut Sandbox)?)
/// };
/// assert_eq!(run("set greeting 'hello world'")?, Reply::Ok);
/// assert_eq!(run("get greeting")?, Reply::Value(b"hello world".to_vec()));
/// assert_eq!(run("get greeting")?.to_text().to_string(), "hello world");
/// assert_eq!(run("rm greeting")?, Reply::Deleted);
/// assert_eq!(run("get greeting")?.to_text().to_string(), "Key not found");
/// # Ok(())
/// # }
/// ```
pub fn execute(
    store: &KvStore,
    command: &Command,
    host: &mut dyn Host,
) -> Result<Reply, ExecError> {
    let reply = match command {
        Command::Set {
            key,
            value,
            condition,
            ttl,
        } => match (condition.expect(), ttl) {
            (Expect::Any, None) => {
                store.set(key, value)?;
                store.sync()?;
                Reply::Ok
            }
            (Expect::Any, Some(ttl)) => {
                store.set_with_ttl(key, value, *ttl)?;
                store.sync()?;
                Reply::Ok
            }
            // The grammar refuses this; a host that builds the command
            // itself gets the same answer rather than a write in two steps.
            (_, Some(_)) => return Err(ExecError::ConditionalTtl),
            (expected, None) => match store.set_if(key, value, expected) {
                Ok(outcome) => {
                    store.sync()?;
                    Reply::Stored {
                        version: outcome.seq,
                    }
                }
                Err(StoreError::Conflict { current }) => conflict(key, expected, current),
                Err(error) => return Err(error.into()),
            },
        },
        Command::Get { key } => match store.get(key)? {
            Some(value) => Reply::Value(value),
            None => Reply::NotFound(key.clone()),
        },
        Command::Delete { key, if_version } => {
            let expected = if_version.map_or(Expect::Any, Expect::Version);
            match store.delete_if(key, expected) {
                Ok(true) => {
                    store.sync()?;
                    Reply::Deleted
                }
                Ok(false) => Reply::NotFound(key.clone()),
                Err(StoreError::Conflict { current }) => conflict(key, expected, current),
                Err(error) => return Err(error.into()),
            }
        }
        Command::Expire { key, duration } => {
            if store.expire(key, *duration)? {
                store.sync()?;
                Reply::Ok
            } else {
                Reply::NotFound(key.clone())
            }
        }
        // `ttl` and `persist` answer `None`/`false` both for a key without a
        // value and for one without an expiry; `contains_key` tells which.
        // A write from another handle between the two calls would make the
        // answer the second call's; the REPL and the console have no other
        // writer.
        Command::Ttl { key } => match store.ttl(key) {
            Some(left) => Reply::Ttl(Some(left)),
            None if store.contains_key(key) => Reply::Ttl(None),
            None => Reply::NotFound(key.clone()),
        },
        Command::Persist { key } => {
            if store.persist(key)? {
                store.sync()?;
                Reply::Ok
            } else if store.contains_key(key) {
                Reply::NoExpiry
            } else {
                Reply::NotFound(key.clone())
            }
        }
        Command::List(args) => Reply::Keys(list(store, args)),
        Command::Scan(args) => Reply::Pairs(scan(store, args)?),
        Command::Compact(args) if args.policy => {
            match with_task(host, Task::Compact, None, |_| store.compact_by_policy())? {
                Some(report) => Reply::Compacted(report),
                None => Reply::NothingToMerge,
            }
        }
        Command::Compact(_) => {
            let report = with_task(host, Task::Compact, None, |_| store.compact())?;
            Reply::Compacted(report)
        }
        Command::Stats => Reply::Stats(store.stats()),
        Command::Inspect(args) => Reply::Layout(Box::new(inspect(store, args, host)?)),
        Command::Verify => Reply::Verify(with_task(host, Task::Verify, None, |_| store.verify())?),
        Command::Load { file } => Reply::Loaded(load(store, file, host)?),
        Command::Backup { dest } => Reply::BackedUp {
            dest: dest.clone(),
            report: backup(store, dest, host)?,
        },
        Command::Help { command } => help(command.as_deref())?,
        Command::Quit => Reply::Quit,
    };
    Ok(reply)
}

/// `backup DEST`: the engine's backup into a new directory, its progress
/// reported in bytes.
#[cfg(not(target_arch = "wasm32"))]
fn backup(store: &KvStore, dest: &str, host: &mut dyn Host) -> Result<BackupReport, ExecError> {
    let total = store.stats().total_bytes;
    Ok(with_task(host, Task::Backup, Some(total), |host| {
        let mut reported = 0;
        store.backup(dest, |copied, _| {
            // The total was the store's size a moment before the point;
            // the bar never runs past it.
            let copied = copied.min(total);
            host.task_advanced(copied.saturating_sub(reported));
            reported = reported.max(copied);
        })
    })?)
}

/// In the browser a store lives in IndexedDB: there is no directory to
/// copy it into.
#[cfg(target_arch = "wasm32")]
fn backup(_store: &KvStore, dest: &str, _host: &mut dyn Host) -> Result<BackupReport, ExecError> {
    Err(ExecError::Unsupported(format!(
        "backup writes a directory ({dest}), and the browser has none: use the command-line `kvstore backup`"
    )))
}

/// Runs `work` between `task_started` and `task_finished`, whatever its outcome.
fn with_task<T>(
    host: &mut dyn Host,
    task: Task,
    total: Option<u64>,
    work: impl FnOnce(&mut dyn Host) -> Result<T, StoreError>,
) -> Result<T, StoreError> {
    host.task_started(task, total);
    let result = work(host);
    host.task_finished();
    result
}

fn list(store: &KvStore, args: &ListArgs) -> KeyList {
    let mut keys = store.keys_with_prefix(args.prefix.as_deref().unwrap_or_default());
    let matched = keys.len();
    if let Some(limit) = args.limit {
        keys.truncate(limit);
    }
    KeyList { keys, matched }
}

fn conflict(key: &str, expected: Expect, current: Option<u64>) -> Reply {
    Reply::Conflict {
        key: key.to_owned(),
        expected,
        current,
    }
}

/// Reads the range lazily: at most `--limit` pairs and one more, to tell
/// whether more follow (the engine reads ahead a chunk of keys at a time,
/// never the whole range).
fn scan(store: &KvStore, args: &ScanArgs) -> Result<PairList, ExecError> {
    // '' is below every key (keys are never empty), so it leaves the start
    // open; as an end it would make every range empty, so it leaves the end
    // open too.
    let from = args.from.as_deref().filter(|from| !from.is_empty());
    let to = args.to.as_deref().filter(|to| !to.is_empty());
    if let (Some(from), Some(to)) = (from, to)
        && from > to
    {
        return Err(ExecError::BackwardRange {
            from: from.to_owned(),
            to: to.to_owned(),
        });
    }
    let range = (
        from.map_or(Bound::Unbounded, Bound::Included),
        to.map_or(Bound::Unbounded, Bound::Excluded),
    );
    let pairs = store.range::<&str, _>(range);
    let pairs: Box<dyn Iterator<Item = _>> = if args.rev {
        Box::new(pairs.rev())
    } else {
        Box::new(pairs)
    };
    let limit = args.limit.unwrap_or(usize::MAX);
    let mut entries = Vec::new();
    let mut more = false;
    for pair in pairs {
        let (key, value) = pair?;
        if entries.len() == limit {
            more = true;
            break;
        }
        entries.push((key, (!args.keys_only).then_some(value)));
    }
    Ok(PairList {
        entries,
        keys_only: args.keys_only,
        more,
    })
}

fn inspect(
    store: &KvStore,
    args: &InspectArgs,
    host: &mut dyn Host,
) -> Result<LayoutView, ExecError> {
    let mut layout = with_task(host, Task::Inspect, None, |_| store.layout())?;
    if let Some(id) = args.segment {
        layout.segments.retain(|segment| segment.id.0 == id);
        if layout.segments.is_empty() {
            return Err(ExecError::NoSuchSegment(id));
        }
    }
    Ok(LayoutView {
        layout,
        policy: store.policy_plan(),
        settings: store.compaction_policy().clone(),
        segment: args.segment,
        verbose: args.verbose,
    })
}

/// Stores every `key<TAB>value` line of `file`.
///
/// Format: one pair per line, split at the first tab (so a value may hold
/// more tabs), `\n` or `\r\n` line ends, UTF-8. Empty lines are allowed and
/// ignored. Any other line that cannot be stored — no tab, an empty key, bytes
/// that are not UTF-8, a key or value over the store's limits — is listed
/// with its line number in the report and the rest of the file still loads.
/// Storage failures stop the load.
fn load(store: &KvStore, file: &str, host: &mut dyn Host) -> Result<LoadReport, ExecError> {
    let bytes = host.read_file(file).map_err(|source| ExecError::ReadFile {
        path: file.to_owned(),
        source,
    })?;
    let lines: Vec<&[u8]> = split_lines(&bytes).collect();
    let mut report = LoadReport {
        file: file.to_owned(),
        loaded: 0,
        bad_lines: Vec::new(),
    };
    let stored = with_task(host, Task::Load, Some(lines.len() as u64), |host| {
        for (index, line) in lines.iter().enumerate() {
            let number = index as u64 + 1;
            match parse_pair(line) {
                Ok(None) => {}
                Ok(Some((key, value))) => match store.set(key, value) {
                    Ok(()) => report.loaded += 1,
                    Err(
                        error @ (StoreError::EmptyKey
                        | StoreError::KeyTooLarge { .. }
                        | StoreError::ValueTooLarge { .. }),
                    ) => report.bad_lines.push(BadLine {
                        line: number,
                        reason: error.to_string(),
                    }),
                    Err(error) => return Err(error),
                },
                Err(reason) => report.bad_lines.push(BadLine {
                    line: number,
                    reason: reason.to_owned(),
                }),
            }
            host.task_advanced(1);
        }
        store.sync()
    });
    // Lines stored before a failure stay stored; the error still wins, since
    // the report would claim a load that did not finish.
    stored?;
    Ok(report)
}

/// The lines of a file, without their `\n` or `\r\n`. A final line without a
/// line break counts; the empty "line" after a final break does not.
fn split_lines(bytes: &[u8]) -> impl Iterator<Item = &[u8]> {
    let body = bytes.strip_suffix(b"\n").unwrap_or(bytes);
    let mut lines = body.split(|&b| b == b'\n');
    if bytes.is_empty() {
        // `split` yields one empty piece for empty input; an empty file has no lines.
        lines.next();
    }
    lines.map(|line| line.strip_suffix(b"\r").unwrap_or(line))
}

/// A `key<TAB>value` line as key and value, `None` for an empty line.
fn parse_pair(line: &[u8]) -> Result<Option<(&str, &str)>, &'static str> {
    if line.is_empty() {
        return Ok(None);
    }
    let text = std::str::from_utf8(line).map_err(|_| "not valid UTF-8")?;
    let (key, value) = text
        .split_once('\t')
        .ok_or("no tab between key and value")?;
    if key.is_empty() {
        return Err("empty key");
    }
    Ok(Some((key, value)))
}

#[cfg(test)]
mod tests;
