//! `kvstore import FILE|-`: a dump into the store, all or nothing.
//!
//! Two passes (see the parent module for why): [`check`] reads every line
//! and writes nothing to the store, then [`apply`] reads them again and
//! writes them in [`WriteBatch`]es of at most [`BATCH_RECORDS`] records or
//! about [`BATCH_BYTES`] bytes. Input that cannot be read twice — stdin, a
//! pipe, a process substitution — is copied to an unnamed temporary file by
//! the first pass. Keys already in the store and not in the dump are left
//! alone; keys in both take the dump's value (a later line wins over an
//! earlier one for the same key).
//!
//! An expiry is turned back into a time to live when its record is put in a
//! batch, and the engine makes it absolute again when the batch is
//! applied, so it moves by no more than the time one batch takes to fill
//! (milliseconds).

use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, Read, Seek, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, anyhow};
use clap::Args;
use mini_kvstore::{KvStore, WriteBatch};
use mini_kvstore_commands::count;

use super::record::{DumpRecord, LineError};
use crate::progress::progress_on_terminal;

/// The most records in one write batch.
const BATCH_RECORDS: usize = 1000;

/// Keys and values beyond which a batch is applied before it has
/// [`BATCH_RECORDS`] records, so big values do not make big batches (a
/// single record larger than this is still one batch).
const BATCH_BYTES: usize = 4 << 20;

/// The most bad lines listed; the rest are counted.
const LISTED_BAD_LINES: usize = 20;

/// Options of `import`.
#[derive(Debug, Clone, Args)]
pub(crate) struct ImportArgs {
    /// The dump: JSON lines as `export` writes them, or `-` for standard
    /// input
    #[arg(value_name = "FILE")]
    file: PathBuf,
}

/// What the first pass found.
#[derive(Debug, Default)]
struct Checked {
    /// Lines read, blank ones included.
    lines: u64,
    /// The first bad lines, with their numbers (from 1).
    listed: Vec<(u64, LineError)>,
    /// Every bad line, listed or not.
    bad: u64,
}

/// What the second pass did.
#[derive(Debug, Default)]
struct Applied {
    imported: u64,
    expired: u64,
}

/// Imports `args.file` into `store`: status 0 with `imported N keys (M
/// expired skipped)` on stdout, or status 1 with every bad line on stderr
/// and nothing written.
pub(crate) fn run(store: &KvStore, args: &ImportArgs) -> anyhow::Result<ExitCode> {
    let max_value_size = store.options().get_max_value_size();
    let from_stdin = args.file == Path::new("-");
    let name = if from_stdin {
        "standard input".to_owned()
    } else {
        args.file.display().to_string()
    };
    let cannot_read = || format!("cannot read {name}");

    let spinner = progress_on_terminal("checking", None);
    let (checked, second): (Checked, Box<dyn BufRead>) = if from_stdin {
        spool(io::stdin().lock(), max_value_size).with_context(cannot_read)?
    } else {
        let file = File::open(&args.file).with_context(cannot_read)?;
        if file.metadata().with_context(cannot_read)?.is_file() {
            let checked =
                check(reader(file), io::sink(), max_value_size).with_context(cannot_read)?;
            let again = File::open(&args.file).with_context(cannot_read)?;
            (checked, Box::new(reader(again)))
        } else {
            spool(file, max_value_size).with_context(cannot_read)?
        }
    };
    if let Some(spinner) = spinner {
        spinner.finish_and_clear();
    }

    if checked.bad > 0 {
        report_bad_lines(&name, &checked);
        return Ok(ExitCode::from(1));
    }

    let bar = progress_on_terminal("importing", Some(checked.lines));
    let applied = apply(store, second, |lines| {
        if let Some(bar) = &bar {
            bar.inc(lines);
        }
    });
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    let applied = applied.map_err(|e| anyhow!("{name}: {e:#}"))?;
    store.sync().map_err(|e| {
        anyhow!(
            "{name}: {} were written but could not be made durable: {e}",
            count(applied.imported, "key")
        )
    })?;
    let mut out = io::stdout().lock();
    writeln!(
        out,
        "imported {} ({} expired skipped)",
        count(applied.imported, "key"),
        applied.expired
    )?;
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// A large buffer: dump lines of big values are long.
fn reader(input: impl Read + 'static) -> BufReader<Box<dyn Read>> {
    BufReader::with_capacity(1 << 16, Box::new(input))
}

/// The first pass over input that cannot be read twice: checked while it is
/// copied to an unnamed temporary file, which the second pass then reads.
fn spool(input: impl Read, max_value_size: u64) -> io::Result<(Checked, Box<dyn BufRead>)> {
    let mut copy = BufWriter::new(tempfile::tempfile()?);
    let checked = check(
        BufReader::with_capacity(1 << 16, input),
        &mut copy,
        max_value_size,
    )?;
    let mut file = copy.into_inner().map_err(io::IntoInnerError::into_error)?;
    file.rewind()?;
    Ok((checked, Box::new(reader(file))))
}

/// The first pass: every line decoded and checked against the store's
/// limits, nothing written to the store; each line is also copied to
/// `copy` as read.
fn check(
    mut input: impl BufRead,
    mut copy: impl Write,
    max_value_size: u64,
) -> io::Result<Checked> {
    let mut checked = Checked::default();
    let mut line = Vec::new();
    while read_line(&mut input, &mut line, &mut copy)? {
        checked.lines += 1;
        let result = DumpRecord::decode(&line)
            .and_then(|record| record.map_or(Ok(()), |r| r.check_limits(max_value_size)));
        if let Err(error) = result {
            checked.bad += 1;
            if checked.listed.len() < LISTED_BAD_LINES {
                checked.listed.push((checked.lines, error));
            }
        }
    }
    copy.flush()?;
    Ok(checked)
}

/// The second pass: the records into the store, in batches. `advanced` is
/// told of every line read.
fn apply(
    store: &KvStore,
    mut input: impl BufRead,
    mut advanced: impl FnMut(u64),
) -> anyhow::Result<Applied> {
    let clock = store.options().get_clock();
    let mut applied = Applied::default();
    let mut batch = Batch::default();
    let mut line = Vec::new();
    let mut number = 0u64;
    while read_line(&mut input, &mut line, io::sink())? {
        number += 1;
        advanced(1);
        // The first pass found this line good; only a file changed since
        // can make it bad now.
        let record = DumpRecord::decode(&line)
            .map_err(|e| anyhow!("changed while being imported: line {number}: {e}"))?;
        let Some(record) = record else { continue };
        let now = clock.now_millis();
        let ttl = match record.expires_at_ms {
            Some(at) if at <= now => {
                applied.expired += 1;
                continue;
            }
            Some(at) => Some(Duration::from_millis(at - now)),
            None => None,
        };
        batch.push(&record, ttl);
        if batch.is_full() {
            applied.imported += batch.apply(store, number, applied.imported)?;
        }
    }
    applied.imported += batch.apply(store, number, applied.imported)?;
    Ok(applied)
}

/// Records waiting to be applied together.
#[derive(Default)]
struct Batch {
    changes: WriteBatch,
    bytes: usize,
}

impl Batch {
    fn push(&mut self, record: &DumpRecord, ttl: Option<Duration>) {
        match ttl {
            Some(ttl) => self.changes.set_with_ttl(&record.key, &record.value, ttl),
            None => self.changes.set(&record.key, &record.value),
        };
        self.bytes += record.key.len() + record.value.len();
    }

    fn is_full(&self) -> bool {
        self.changes.len() >= BATCH_RECORDS || self.bytes >= BATCH_BYTES
    }

    /// Applies the batch (all of it or, on an error, none of it) and returns
    /// how many records it held. `line` is the last line it holds and
    /// `before` the records applied by earlier batches, for the error.
    fn apply(&mut self, store: &KvStore, line: u64, before: u64) -> anyhow::Result<u64> {
        if self.changes.is_empty() {
            return Ok(0);
        }
        let n = self.changes.len() as u64;
        self.bytes = 0;
        store.apply(std::mem::take(&mut self.changes)).map_err(|e| {
            anyhow!(
                "import stopped at the batch ending on line {line}: {e}; the {} before it were written, each batch whole",
                count(before, "key")
            )
        })?;
        Ok(n)
    }
}

/// Reads one line into `line`, without its `\n` or `\r\n`, copying the raw
/// bytes to `copy`; `false` at the end of the input. A last line without a
/// line end counts.
fn read_line(
    input: &mut impl BufRead,
    line: &mut Vec<u8>,
    mut copy: impl Write,
) -> io::Result<bool> {
    line.clear();
    if input.read_until(b'\n', line)? == 0 {
        return Ok(false);
    }
    copy.write_all(line)?;
    if line.last() == Some(&b'\n') {
        line.pop();
        if line.last() == Some(&b'\r') {
            line.pop();
        }
    }
    Ok(true)
}

/// `kvstore: nothing imported: N bad lines in FILE`, then each listed one
/// as `  line N: reason`, on stderr.
fn report_bad_lines(name: &str, checked: &Checked) {
    let mut err = io::stderr().lock();
    let _ = writeln!(
        err,
        "kvstore: nothing imported: {} in {name}",
        count(checked.bad, "bad line")
    );
    for (number, error) in &checked.listed {
        let _ = writeln!(err, "  line {number}: {error}");
    }
    let unlisted = checked.bad - checked.listed.len() as u64;
    if unlisted > 0 {
        let _ = writeln!(err, "  … and {} more", count(unlisted, "bad line"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_lose_their_line_ends_and_are_copied_whole() {
        let mut input = io::Cursor::new(b"a\r\nb\n\nlast".to_vec());
        let mut copy = Vec::new();
        let mut line = Vec::new();
        let mut lines = Vec::new();
        while read_line(&mut input, &mut line, &mut copy).unwrap() {
            lines.push(String::from_utf8(line.clone()).unwrap());
        }
        assert_eq!(lines, ["a", "b", "", "last"]);
        assert_eq!(copy, b"a\r\nb\n\nlast");
    }

    #[test]
    fn the_check_numbers_bad_lines_from_one_and_counts_past_the_list() {
        let mut text = String::from("{\"key\":\"k\",\"value\":\"v\"}\n\nnot json\n");
        for _ in 0..LISTED_BAD_LINES + 5 {
            text.push_str("{\"key\":\"\",\"value\":\"v\"}\n");
        }
        let checked = check(io::Cursor::new(text), io::sink(), 10).unwrap();
        assert_eq!(checked.lines, 3 + LISTED_BAD_LINES as u64 + 5);
        assert_eq!(checked.bad, LISTED_BAD_LINES as u64 + 6);
        assert_eq!(checked.listed.len(), LISTED_BAD_LINES);
        assert_eq!(checked.listed[0].0, 3);
        assert_eq!(checked.listed[1], (4, LineError::EmptyKey));
    }

    #[test]
    fn a_value_over_the_stores_limit_is_a_bad_line() {
        let text = "{\"key\":\"k\",\"value\":\"12345678901\"}\n";
        let checked = check(io::Cursor::new(text), io::sink(), 10).unwrap();
        assert_eq!(
            checked.listed,
            [(1, LineError::ValueTooLarge { len: 11, max: 10 })]
        );
    }
}
