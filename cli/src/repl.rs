//! The REPL: one command per line, the same grammar as the one-shot commands.
//!
//! On a terminal it is interactive: a `kvstore> ` prompt, rustyline's line
//! editing, and history kept in the data directory (`.kvstore_history`; the
//! engine ignores every file not named like a segment, so it can live
//! there, and each store remembers its own commands). Ctrl-C abandons the
//! line being typed; Ctrl-D or `quit` leaves.
//!
//! When stdin is not a terminal (a script piped in), lines are read plainly:
//! no prompt, no banner, no history, only the replies — so the output of
//! `kvstore < script` is exactly what the commands answered. End of input
//! ends the session with status 0, like `quit`.
//!
//! In both modes a failing command prints one `error: …` line and the
//! session goes on. Errors go to stdout with the replies rather than to
//! stderr, so a transcript shows each next to the command that caused it.

use std::io::{self, BufRead, IsTerminal};
use std::path::Path;

use anyhow::Context;
use mini_kvstore::KvStore;
use mini_kvstore_commands::{Line, ParseError, Reply, Tone, count, execute, parse_line};
use rustyline::error::ReadlineError;
use rustyline::{Config, DefaultEditor};

use crate::output::Painter;
use crate::progress::TerminalHost;

/// The prompt on a terminal.
const PROMPT: &str = "kvstore> ";
/// History file, inside the data directory.
const HISTORY_FILE: &str = ".kvstore_history";
/// Lines of history kept.
const HISTORY_LINES: usize = 1000;

/// Whether the session goes on after a line.
enum Flow {
    Continue,
    Quit,
}

/// Runs the REPL on `store` until `quit` or end of input.
pub(crate) fn run(store: &KvStore, data_dir: &Path, painter: &Painter) -> anyhow::Result<()> {
    let mut session = Session {
        store,
        painter,
        host: TerminalHost::new(),
    };
    if io::stdin().is_terminal() {
        session.interactive(data_dir)
    } else {
        session.piped(io::stdin().lock())
    }
}

struct Session<'a> {
    store: &'a KvStore,
    painter: &'a Painter,
    host: TerminalHost,
}

impl Session<'_> {
    fn interactive(&mut self, data_dir: &Path) -> anyhow::Result<()> {
        let config = Config::builder()
            .max_history_size(HISTORY_LINES)
            .context("configure line editing")?
            .history_ignore_dups(true)
            .context("configure line editing")?
            .auto_add_history(false)
            .build();
        let mut editor = DefaultEditor::with_config(config).context("start line editing")?;
        let history = data_dir.join(HISTORY_FILE);
        match editor.load_history(&history) {
            Ok(()) => {}
            Err(ReadlineError::Io(e)) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => eprintln!(
                "kvstore: cannot read the history in {}: {e}",
                history.display()
            ),
        }

        let banner = Line::toned(
            format!(
                "mini-kvstore on {} ({}).",
                data_dir.display(),
                count(self.store.len() as u64, "key")
            ),
            Tone::Heading,
        )
        .push(
            " Type 'help' for the commands, 'quit' or Ctrl-D to leave.",
            Tone::Muted,
        );
        self.painter.print(&banner.into())?;
        loop {
            match editor.readline(PROMPT) {
                Ok(line) => {
                    if !line.trim().is_empty() {
                        // Failing to remember a line is no reason to stop.
                        let _ = editor.add_history_entry(line.as_str());
                    }
                    if let Flow::Quit = self.line(&line)? {
                        break;
                    }
                }
                Err(ReadlineError::Interrupted) => continue,
                Err(ReadlineError::Eof) => break,
                Err(e) => return Err(e).context("read a line"),
            }
        }
        if let Err(e) = editor.save_history(&history) {
            eprintln!(
                "kvstore: cannot save the history to {}: {e}",
                history.display()
            );
        }
        Ok(())
    }

    fn piped(&mut self, mut input: impl BufRead) -> anyhow::Result<()> {
        let mut buffer = Vec::new();
        let mut number = 0u64;
        loop {
            buffer.clear();
            if input.read_until(b'\n', &mut buffer).context("read stdin")? == 0 {
                return Ok(());
            }
            number += 1;
            let flow = match std::str::from_utf8(&buffer) {
                Ok(line) => self.line(line.trim_end_matches(['\n', '\r']))?,
                Err(_) => {
                    let message = format!("line {number} is not valid UTF-8; skipped");
                    self.painter.print_error(&message)?;
                    Flow::Continue
                }
            };
            if let Flow::Quit = flow {
                return Ok(());
            }
        }
    }

    /// Runs one line and prints its reply or error.
    fn line(&mut self, line: &str) -> io::Result<Flow> {
        let command = match parse_line(line) {
            Ok(Some(command)) => command,
            Ok(None) => return Ok(Flow::Continue),
            Err(ParseError::UnknownCommand(word))
                if matches!(word.as_str(), "export" | "import") =>
            {
                // They stream files and stdin, which the command language
                // (shared with the browser) has no way to: see cli/README.md.
                let message = format!(
                    "'{word}' runs from the shell, not the REPL: quit, then `kvstore {word} …` (one process at a time opens a store)"
                );
                self.painter.print_error(&message)?;
                return Ok(Flow::Continue);
            }
            Err(e) => {
                self.painter.print_error(&e.to_string())?;
                return Ok(Flow::Continue);
            }
        };
        match execute(self.store, &command, &mut self.host) {
            Ok(Reply::Quit) => Ok(Flow::Quit),
            Ok(reply) => {
                self.painter.print(&reply.to_text())?;
                Ok(Flow::Continue)
            }
            Err(e) => {
                self.painter.print_error(&e.to_string())?;
                Ok(Flow::Continue)
            }
        }
    }
}
