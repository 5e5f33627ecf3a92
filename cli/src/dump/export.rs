//! `kvstore export [--prefix P | --start A --end B] [--output FILE]`: every
//! live key of a selection, in key order, as dump lines.
//!
//! The export walks the engine's [`Iter`](mini_kvstore::Iter), which reads
//! the index a chunk of keys at a time, and writes each record as it comes,
//! so it holds one chunk and one line in memory whatever the store's size.
//! Each key's expiry is looked up as it is written ([`KvStore::ttl`]) and
//! turned into an absolute time by the store's clock. A key that expires
//! between the walk reading it and that lookup is left out, as it would be
//! had the walk reached it a moment later.
//!
//! To stdout, a closed pipe (`kvstore export | head`) surfaces as a
//! `BrokenPipe` error that `main` turns into a quiet exit. With `--output`,
//! the dump is written to a temporary file beside FILE and renamed over it
//! only once complete and synced, so FILE is never a half-written dump.

use std::io::{self, BufWriter, IsTerminal, Write};
use std::ops::Bound;
use std::path::{Path, PathBuf};

use anyhow::{Context, anyhow};
use clap::Args;
use indicatif::ProgressBar;
use mini_kvstore::{KvStore, prefix_end};
use mini_kvstore_commands::count;

use super::record::DumpRecord;
use crate::progress::progress_on_terminal;

/// Options of `export`.
#[derive(Debug, Clone, Args)]
pub(crate) struct ExportArgs {
    /// Only keys starting with P
    #[arg(long, short, value_name = "P", conflicts_with_all = ["start", "end"])]
    prefix: Option<String>,
    /// The first key to export (inclusive); the first key of all when left
    /// out
    #[arg(long, value_name = "A")]
    start: Option<String>,
    /// Where the export stops (exclusive: B itself is not exported); past
    /// the last key when left out
    #[arg(long, value_name = "B")]
    end: Option<String>,
    /// Write the dump to FILE instead of stdout (FILE is replaced only once
    /// the export is complete)
    #[arg(long, short, value_name = "FILE")]
    output: Option<PathBuf>,
}

/// Options that name no range of keys: `--start` after `--end`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "--start '{start}' comes after --end '{end}': the export covers the keys from A (included) up to B (excluded)"
)]
pub(crate) struct RangeError {
    start: String,
    end: String,
}

/// The keys an export covers: a half-open range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Selection {
    start: Bound<Vec<u8>>,
    end: Bound<Vec<u8>>,
}

impl ExportArgs {
    /// The keys the options select. An empty `--start`, `--end` or
    /// `--prefix` leaves that side open, as `scan ''` does.
    pub(crate) fn selection(&self) -> Result<Selection, RangeError> {
        fn given(bound: &Option<String>) -> Option<&str> {
            bound.as_deref().filter(|b| !b.is_empty())
        }
        if let Some(prefix) = given(&self.prefix) {
            let prefix = prefix.as_bytes();
            return Ok(Selection {
                start: Bound::Included(prefix.to_vec()),
                end: prefix_end(prefix).map_or(Bound::Unbounded, Bound::Excluded),
            });
        }
        let (start, end) = (given(&self.start), given(&self.end));
        if let (Some(start), Some(end)) = (start, end)
            && start > end
        {
            return Err(RangeError {
                start: start.to_owned(),
                end: end.to_owned(),
            });
        }
        Ok(Selection {
            start: start.map_or(Bound::Unbounded, |s| Bound::Included(s.as_bytes().to_vec())),
            end: end.map_or(Bound::Unbounded, |e| Bound::Excluded(e.as_bytes().to_vec())),
        })
    }

    /// `--output`, if given.
    pub(crate) fn output(&self) -> Option<&Path> {
        self.output.as_deref()
    }
}

impl Selection {
    /// Whether this is the whole store.
    fn is_everything(&self) -> bool {
        self.start == Bound::Unbounded && self.end == Bound::Unbounded
    }
}

/// Writes the selected keys to `output` (stdout when `None`), then reports
/// on stderr how many were exported.
pub(crate) fn run(
    store: &KvStore,
    selection: &Selection,
    output: Option<&Path>,
) -> anyhow::Result<()> {
    // The key count is exact only for the whole store; a part gets a
    // spinner. A dump printed on the terminal itself gets neither: the bar
    // would be drawn through it.
    let total = selection.is_everything().then(|| store.len() as u64);
    let bar = (output.is_some() || !io::stdout().is_terminal())
        .then(|| progress_on_terminal("exporting", total))
        .flatten();
    let exported = match output {
        None => {
            let mut out = BufWriter::with_capacity(1 << 16, io::stdout().lock());
            let exported = write_dump(store, selection, &mut out, bar.as_ref())?;
            out.flush()?;
            exported
        }
        Some(path) => to_file(store, selection, path, bar.as_ref())?,
    };
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    // The dump is complete; a summary that cannot be shown changes nothing.
    let _ = writeln!(io::stderr(), "exported {}", count(exported, "key"));
    Ok(())
}

/// The dump into a temporary file beside `path`, synced, then renamed to
/// `path`.
fn to_file(
    store: &KvStore,
    selection: &Selection,
    path: &Path,
    bar: Option<&ProgressBar>,
) -> anyhow::Result<u64> {
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let cannot = || format!("cannot write {}", path.display());
    let file = tempfile::NamedTempFile::new_in(dir).with_context(cannot)?;
    let mut out = BufWriter::new(file);
    let exported = write_dump(store, selection, &mut out, bar)?;
    let file = out
        .into_inner()
        .map_err(io::IntoInnerError::into_error)
        .with_context(cannot)?;
    file.as_file().sync_all().with_context(cannot)?;
    file.persist(path).with_context(cannot)?;
    Ok(exported)
}

/// Writes one dump line per live key of `selection`, in key order, and
/// returns how many. I/O errors come back as they are (so a broken pipe
/// stays recognisable); the store's get a word of context.
fn write_dump(
    store: &KvStore,
    selection: &Selection,
    out: &mut impl Write,
    bar: Option<&ProgressBar>,
) -> anyhow::Result<u64> {
    let clock = store.options().get_clock();
    let mut exported = 0u64;
    let mut line = Vec::new();
    for item in store.range((selection.start.clone(), selection.end.clone())) {
        let (key, value) =
            item.map_err(|e| anyhow!("export stopped after {}: {e}", count(exported, "key")))?;
        let expires_at_ms = match store.ttl(&key) {
            Some(left) => {
                let left = u64::try_from(left.as_millis()).unwrap_or(u64::MAX);
                Some(clock.now_millis().saturating_add(left))
            }
            None if store.contains_key(&key) => None,
            // Expired (or deleted) since the walk read it.
            None => continue,
        };
        line.clear();
        DumpRecord::encode(&key, &value, expires_at_ms, &mut line).map_err(io::Error::other)?;
        out.write_all(&line)?;
        exported += 1;
        if let Some(bar) = bar {
            bar.inc(1);
        }
    }
    Ok(exported)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(prefix: Option<&str>, start: Option<&str>, end: Option<&str>) -> ExportArgs {
        ExportArgs {
            prefix: prefix.map(str::to_owned),
            start: start.map(str::to_owned),
            end: end.map(str::to_owned),
            output: None,
        }
    }

    fn bounds(selection: Selection) -> (Bound<Vec<u8>>, Bound<Vec<u8>>) {
        (selection.start, selection.end)
    }

    #[test]
    fn a_prefix_is_the_range_it_covers() {
        let selection = args(Some("user:"), None, None).selection().unwrap();
        assert_eq!(
            bounds(selection),
            (
                Bound::Included(b"user:".to_vec()),
                Bound::Excluded(b"user;".to_vec())
            )
        );
    }

    #[test]
    fn start_is_included_end_excluded_and_empty_means_open() {
        assert_eq!(
            bounds(args(None, Some("a"), Some("m")).selection().unwrap()),
            (
                Bound::Included(b"a".to_vec()),
                Bound::Excluded(b"m".to_vec())
            )
        );
        assert_eq!(
            bounds(args(Some(""), None, None).selection().unwrap()),
            (Bound::Unbounded, Bound::Unbounded)
        );
        assert_eq!(
            bounds(args(None, Some(""), Some("")).selection().unwrap()),
            (Bound::Unbounded, Bound::Unbounded)
        );
        assert_eq!(
            bounds(args(None, Some("m"), Some("m")).selection().unwrap()),
            (
                Bound::Included(b"m".to_vec()),
                Bound::Excluded(b"m".to_vec())
            )
        );
    }

    #[test]
    fn a_start_after_the_end_is_an_error() {
        let error = args(None, Some("m"), Some("a")).selection().unwrap_err();
        assert_eq!(
            error.to_string(),
            "--start 'm' comes after --end 'a': the export covers the keys from A (included) up to B (excluded)"
        );
    }
}
