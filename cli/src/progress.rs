//! The CLI's [`Host`]: files from the filesystem, progress on the terminal.
//!
//! A `load` draws a bar (its steps are the file's lines), and so do
//! `export` and `import` (their steps are dump lines). `compact`,
//! `verify` and `inspect` draw a spinner: the engine runs each as one call
//! with no progress callback, so there is nothing to count, only something
//! to show that work is under way. Bars go to stderr and only when stderr is
//! a terminal, so they never mix with replies in a pipe or a file, and only
//! once a task has run for [`SHOW_AFTER`], so quick commands do not flicker.

use std::io::{self, IsTerminal};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use mini_kvstore_commands::{Host, Task};

/// How long a task runs before its progress is drawn.
const SHOW_AFTER: Duration = Duration::from_millis(300);

/// A bar counting lines (of `total`, when known) or else a spinner,
/// labelled `message`, that draws itself on stderr once it has been
/// running for [`SHOW_AFTER`]; `None` when stderr is not a terminal.
/// `export` and `import` use it directly; `load` through [`TerminalHost`].
pub(crate) fn progress_on_terminal(message: &str, total: Option<u64>) -> Option<ProgressBar> {
    io::stderr()
        .is_terminal()
        .then(|| line_bar(message, total, Unit::Lines))
}

/// Like [`progress_on_terminal`], counting bytes (`restore`'s copy).
pub(crate) fn bytes_on_terminal(message: &str, total: u64) -> Option<ProgressBar> {
    io::stderr()
        .is_terminal()
        .then(|| line_bar(message, Some(total), Unit::Bytes))
}

/// What a bar counts.
#[derive(Clone, Copy)]
enum Unit {
    Lines,
    Bytes,
}

/// The bar or spinner of [`progress_on_terminal`], whose caller has checked
/// that stderr is a terminal.
fn line_bar(message: &str, total: Option<u64>, unit: Unit) -> ProgressBar {
    let template = match unit {
        Unit::Lines => "{msg} [{bar:30}] {human_pos}/{human_len} lines, eta {eta}",
        Unit::Bytes => "{msg} [{bar:30}] {binary_bytes}/{binary_total_bytes}, eta {eta}",
    };
    let bar = match total {
        Some(total) => ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::hidden())
            .with_style(
                ProgressStyle::with_template(template)
                    .unwrap_or_else(|_| ProgressStyle::default_bar())
                    .progress_chars("=> "),
            ),
        None => ProgressBar::with_draw_target(None, ProgressDrawTarget::hidden()).with_style(
            ProgressStyle::with_template("{spinner} {msg} ({elapsed})")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        ),
    };
    bar.set_message(message.to_owned());
    let shown = bar.clone();
    std::thread::spawn(move || {
        std::thread::sleep(SHOW_AFTER);
        if !shown.is_finished() {
            shown.set_draw_target(ProgressDrawTarget::stderr());
            // Ticks keep a spinner turning while the engine works in one call.
            shown.enable_steady_tick(Duration::from_millis(100));
        }
    });
    bar
}

/// Reads files with `std::fs` and draws progress with indicatif.
#[derive(Debug)]
pub(crate) struct TerminalHost {
    draw: bool,
    bar: Option<ProgressBar>,
}

impl TerminalHost {
    /// A host that draws progress if stderr is a terminal.
    pub(crate) fn new() -> Self {
        TerminalHost {
            draw: io::stderr().is_terminal(),
            bar: None,
        }
    }
}

impl Host for TerminalHost {
    fn read_file(&mut self, path: &str) -> io::Result<Vec<u8>> {
        std::fs::read(path)
    }

    fn task_started(&mut self, task: Task, total: Option<u64>) {
        if self.draw {
            let unit = match task {
                Task::Backup => Unit::Bytes,
                _ => Unit::Lines,
            };
            self.bar = Some(line_bar(task.describe(), total, unit));
        }
    }

    fn task_advanced(&mut self, steps: u64) {
        if let Some(bar) = &self.bar {
            bar.inc(steps);
        }
    }

    fn task_finished(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }
}
