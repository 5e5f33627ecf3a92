//! `kvstore restore SOURCE --data-dir DIR`: a backup back into a data
//! directory — from a directory `kvstore backup` made or an archive
//! `GET /backup` streamed.
//!
//! Nothing is written to DIR until the whole backup has been checked:
//! the files are unpacked (or copied) into `.NAME.restoring-PID` beside it,
//! opened as a store — recovery must find nothing to repair, since a
//! backup holds only whole, synced segments — and every record's CRC is
//! read back by `verify`. Only then is the directory renamed to DIR. A DIR
//! that holds anything is refused before anything is read, so a restore
//! never mixes two stores. On a terminal a progress bar follows the bytes
//! unpacked or copied.

use std::fs::{self, File};
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};

use anyhow::{Context, anyhow, bail};
use clap::Args;
use mini_kvstore::{KvStore, Options, SegmentId, SyncPolicy};
use mini_kvstore_commands::count;
use mini_kvstore_server::backup::archive::unpack_archive;

use crate::progress::bytes_on_terminal;

/// Options of `restore`.
#[derive(Debug, Clone, Args)]
pub(crate) struct RestoreArgs {
    /// The backup: a directory `kvstore backup` made, or a tar archive from
    /// `GET /backup`
    #[arg(value_name = "SOURCE")]
    source: PathBuf,
}

/// Restores `args.source` into `target`, which must not exist or be empty.
pub(crate) fn run(args: &RestoreArgs, target: &Path) -> anyhow::Result<()> {
    refuse_unless_empty(target)?;
    let name = target
        .file_name()
        .ok_or_else(|| anyhow!("--data-dir {} names no directory", target.display()))?
        .to_string_lossy()
        .into_owned();
    let parent = match target.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let staging = parent.join(format!(".{name}.restoring-{}", std::process::id()));
    if staging.exists() {
        fs::remove_dir_all(&staging)
            .with_context(|| format!("cannot remove the leftover {}", staging.display()))?;
    }
    fs::create_dir_all(&staging).with_context(|| format!("cannot create {}", staging.display()))?;
    let restored = fill_and_check(&args.source, &staging);
    let keys = match restored {
        Ok(keys) => keys,
        Err(e) => {
            let _ = fs::remove_dir_all(&staging);
            return Err(e);
        }
    };
    if target.exists() {
        fs::remove_dir(target)
            .with_context(|| format!("cannot replace the empty {}", target.display()))?;
    }
    fs::rename(&staging, target)
        .with_context(|| format!("cannot move the restored store to {}", target.display()))?;
    File::open(&parent)
        .and_then(|dir| dir.sync_all())
        .with_context(|| format!("cannot sync {}", parent.display()))?;
    eprintln!(
        "restored {} from {} into {} (every record checked)",
        count(keys as u64, "key"),
        args.source.display(),
        target.display()
    );
    Ok(())
}

fn refuse_unless_empty(target: &Path) -> anyhow::Result<()> {
    match fs::read_dir(target) {
        Ok(mut entries) => match entries.next() {
            Some(_) => bail!(
                "{} is not empty: restore writes into a new or empty directory only",
                target.display()
            ),
            None => Ok(()),
        },
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e).with_context(|| format!("cannot read {}", target.display())),
    }
}

/// Puts the backup's files into `staging` and checks them as a store;
/// returns its number of keys.
fn fill_and_check(source: &Path, staging: &Path) -> anyhow::Result<usize> {
    let meta = fs::metadata(source).with_context(|| format!("cannot read {}", source.display()))?;
    if meta.is_dir() {
        copy_backup_directory(source, staging)?;
    } else {
        let archive =
            File::open(source).with_context(|| format!("cannot open {}", source.display()))?;
        let bar = bytes_on_terminal("unpacking", meta.len());
        let reading = Counting {
            inner: BufReader::new(archive),
            bar: bar.clone(),
        };
        let unpacked = unpack_archive(reading, staging);
        if let Some(bar) = bar {
            bar.finish_and_clear();
        }
        unpacked.map_err(|e| anyhow!("cannot restore {}: {e}", source.display()))?;
    }
    let options = Options::default()
        .sync_policy(SyncPolicy::Never)
        .compaction_policy(mini_kvstore::CompactionPolicy::default().background(false));
    let store = KvStore::open_with_options(staging, options)
        .map_err(|e| anyhow!("the backup in {} does not open: {e}", source.display()))?;
    let recovery = store.recovery_report();
    if !recovery.is_clean() {
        bail!(
            "the backup in {} is damaged: opening it had to repair {} torn tail(s) and skip {} corrupt range(s)",
            source.display(),
            recovery.truncated.len(),
            recovery.corrupt.len()
        );
    }
    let verify = store
        .verify()
        .map_err(|e| anyhow!("cannot check the backup in {}: {e}", source.display()))?;
    if !verify.is_clean() {
        bail!(
            "the backup in {} is damaged: {} corrupt range(s) found by verify",
            source.display(),
            verify.corrupt.len()
        );
    }
    Ok(store.len())
}

/// A reader that moves a progress bar by the bytes it reads.
struct Counting<R> {
    inner: R,
    bar: Option<indicatif::ProgressBar>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        if let Some(bar) = &self.bar {
            bar.inc(n as u64);
        }
        Ok(n)
    }
}

/// Copies the segment and hint files of a backup directory; anything else
/// in it is left behind (a directory with no segment is no backup).
fn copy_backup_directory(source: &Path, staging: &Path) -> anyhow::Result<()> {
    let mut segments = 0;
    let total = fs::read_dir(source)
        .with_context(|| format!("cannot read {}", source.display()))?
        .filter_map(Result::ok)
        .filter_map(|entry| entry.metadata().ok())
        .map(|meta| meta.len())
        .sum();
    let bar = bytes_on_terminal("copying", total);
    for entry in
        fs::read_dir(source).with_context(|| format!("cannot read {}", source.display()))?
    {
        let entry = entry?;
        let Ok(name) = entry.file_name().into_string() else {
            continue;
        };
        let stem = name.strip_suffix(".hint").map(|s| format!("{s}.dat"));
        let is_segment = SegmentId::from_file_name(&name).is_some();
        let is_hint = stem
            .as_deref()
            .and_then(SegmentId::from_file_name)
            .is_some();
        if !(is_segment || is_hint) || !entry.file_type()?.is_file() {
            continue;
        }
        let to = staging.join(&name);
        let copied = fs::copy(entry.path(), &to).with_context(|| format!("cannot copy {name}"))?;
        if let Some(bar) = &bar {
            bar.inc(copied);
        }
        File::open(&to)
            .and_then(|f| f.sync_all())
            .with_context(|| format!("cannot sync {}", to.display()))?;
        segments += usize::from(is_segment);
    }
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    if segments == 0 {
        bail!("{} holds no segment: it is not a backup", source.display());
    }
    Ok(())
}
