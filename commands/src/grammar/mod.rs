//! The command grammar: one clap definition for every way in.
//!
//! [`Command`] is a clap `Subcommand`, so the `kvstore` binary flattens it
//! into its own argument parser for one-shot use (`kvstore set a 1`), while a
//! REPL or the playground's console splits a line shell-style (shlex) and
//! parses it with [`parse_line`], where the first word names the command
//! (clap's `multicall` mode). Both therefore accept exactly the same words,
//! flags and aliases, and `help` describes both from the same source.

use std::time::Duration;

use clap::{Args, CommandFactory, Parser, Subcommand};
use mini_kvstore::Expect;

use crate::duration::parse_duration;

/// One command of the store's language.
#[derive(Debug, Clone, PartialEq, Eq, Subcommand)]
#[command(disable_help_subcommand = true)]
#[non_exhaustive]
pub enum Command {
    /// Store VALUE under KEY (quote a value that has spaces)
    ///
    /// With --if-version or --if-absent the value is stored only if KEY is
    /// as the flag says, checked and written in one step; otherwise nothing
    /// is written and the reply names KEY's current version. A key's
    /// version is the seq of its latest write (`inspect --verbose` shows it
    /// for each record; the server sends it as the ETag). Flags go after
    /// VALUE or before KEY.
    ///
    /// With --ttl the key expires DURATION from now: from then on it reads
    /// as absent everywhere. A set without --ttl stores a value that does
    /// not expire, whatever the key had before. --ttl cannot be combined
    /// with --if-version or --if-absent: the store has no conditional write
    /// with an expiry, and doing the two in turn would not be one step.
    Set {
        /// The key
        key: String,
        /// The value, stored as given (without the quotes)
        #[arg(allow_hyphen_values = true)]
        value: String,
        /// What KEY must be for the value to be stored
        #[command(flatten)]
        condition: SetCondition,
        /// Expire KEY after DURATION: 500ms, 30s, 5m, 2h, 1d, or whole
        /// seconds
        #[arg(
            long,
            value_name = "DURATION",
            value_parser = parse_duration,
            allow_hyphen_values = true,
            conflicts_with_all = ["if_version", "if_absent"]
        )]
        ttl: Option<Duration>,
    },
    /// Print the value stored under KEY
    Get {
        /// The key
        key: String,
    },
    /// Delete KEY
    #[command(visible_aliases = ["del", "rm"])]
    Delete {
        /// The key
        key: String,
        /// Only if KEY's current version is N; otherwise nothing is deleted
        /// and the reply names the current version
        #[arg(long, value_name = "N")]
        if_version: Option<u64>,
    },
    /// Make KEY expire DURATION from now
    ///
    /// The key keeps its value and gets a new version (the value is written
    /// again with the new expiry). 'persist' takes an expiry away.
    Expire {
        /// The key
        key: String,
        /// How long KEY has from now: 500ms, 30s, 5m, 2h, 1d, or whole
        /// seconds
        #[arg(value_parser = parse_duration, allow_hyphen_values = true)]
        duration: Duration,
    },
    /// Print how long KEY has before it expires
    ///
    /// Answers `no expiry` for a key that lives until deleted, and `Key not
    /// found` for one that has no value (or has expired).
    Ttl {
        /// The key
        key: String,
    },
    /// Take KEY's expiry away, so it lives until deleted
    ///
    /// The key keeps its value and gets a new version. A key without an
    /// expiry is left as it is.
    Persist {
        /// The key
        key: String,
    },
    /// List keys in order
    List(ListArgs),
    /// Print key/value pairs with keys in [FROM, TO), in order
    ///
    /// FROM is the first key shown (if it exists), TO the first key past the
    /// end; either may be left out (or given as '') to leave that side open.
    /// --rev walks the same range from its end. Values are shown on one line
    /// each, escaped and cut like keys are; `get` prints a whole value.
    Scan(ScanArgs),
    /// Rewrite live records into new segments and drop the rest
    Compact(CompactArgs),
    /// Keys, segments and bytes (live and dead)
    Stats,
    /// Draw the segments: every record live, overwritten, expired or a
    /// tombstone
    Inspect(InspectArgs),
    /// Check every record of every segment; list corrupt ranges
    Verify,
    /// Copy the store as of now into the new directory DEST, while it
    /// keeps working
    ///
    /// DEST must not exist, or be empty. The copy holds every write made
    /// before the command and none made after; it is made beside DEST and
    /// renamed into place once complete, so an interrupted backup leaves no
    /// DEST. It opens like any data directory (`kvstore -d DEST`), or goes
    /// back with `kvstore restore DEST --data-dir DIR`.
    Backup {
        /// The directory to create
        dest: String,
    },
    /// Store every `key<TAB>value` line of FILE
    Load {
        /// A text file with one `key<TAB>value` per line
        file: String,
    },
    /// List the commands, or describe one
    Help {
        /// The command to describe
        command: Option<String>,
    },
    /// Leave the REPL
    #[command(visible_alias = "exit")]
    Quit,
}

/// Options of `list`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Args)]
#[non_exhaustive]
pub struct ListArgs {
    /// Only keys starting with P
    #[arg(long, short, value_name = "P")]
    pub prefix: Option<String>,
    /// At most N keys
    #[arg(long, short, value_name = "N")]
    pub limit: Option<usize>,
}

/// Options of `scan`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Args)]
#[non_exhaustive]
pub struct ScanArgs {
    /// The first key of the range (inclusive); the first key of all when
    /// left out or ''
    #[arg(value_name = "FROM")]
    pub from: Option<String>,
    /// The end of the range (exclusive); past the last key when left out or
    /// ''
    #[arg(value_name = "TO")]
    pub to: Option<String>,
    /// Descending: from the end of the range to its start
    #[arg(long, short)]
    pub rev: bool,
    /// At most N pairs
    #[arg(long, short, value_name = "N")]
    pub limit: Option<usize>,
    /// Only the keys
    #[arg(long, short)]
    pub keys_only: bool,
}

/// The condition of a `set`: what its key must be for the value to be
/// stored. At most one of the two.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Args)]
#[non_exhaustive]
pub struct SetCondition {
    /// Only if KEY's current version is N
    #[arg(long, value_name = "N", conflicts_with = "if_absent")]
    pub if_version: Option<u64>,
    /// Only if KEY has no value
    #[arg(long)]
    pub if_absent: bool,
}

impl SetCondition {
    /// The engine's form of the condition.
    pub fn expect(&self) -> Expect {
        match (self.if_version, self.if_absent) {
            (Some(version), _) => Expect::Version(version),
            (None, true) => Expect::Absent,
            (None, false) => Expect::Any,
        }
    }
}

/// Options of `compact`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Args)]
#[non_exhaustive]
pub struct CompactArgs {
    /// Only what the merge policy chooses now (nothing when no segment
    /// reaches its trigger), instead of every segment
    #[arg(long)]
    pub policy: bool,
}

/// Options of `inspect`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Args)]
#[non_exhaustive]
pub struct InspectArgs {
    /// Only the segment numbered ID
    #[arg(long, short, value_name = "ID")]
    pub segment: Option<u32>,
    /// List every record: offset, size, seq, kind, state, CRC, key, value
    #[arg(long, short)]
    pub verbose: bool,
}

impl Command {
    /// Whether running the command reads or writes the store. `help` and
    /// `quit` do not, so a host can answer them without opening anything.
    pub fn needs_store(&self) -> bool {
        !matches!(self, Command::Help { .. } | Command::Quit)
    }

    /// Whether the command changes what is stored.
    pub fn writes(&self) -> bool {
        matches!(
            self,
            Command::Set { .. }
                | Command::Expire { .. }
                | Command::Persist { .. }
                | Command::Delete { .. }
                | Command::Load { .. }
                | Command::Compact(_)
        )
    }
}

/// A REPL line: the first word is the command's name.
#[derive(Debug, Parser)]
#[command(name = "kvstore", multicall = true, disable_help_subcommand = true)]
struct ReplLine {
    #[command(subcommand)]
    command: Command,
}

/// Why a line is not a command.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ParseError {
    /// A quote was opened and never closed (or a line ends in a lone `\`).
    #[error("unbalanced quotes; close every \" and ' that you open")]
    Quoting,
    /// The first word is no command's name or alias.
    #[error("unknown command '{0}'; type 'help'")]
    UnknownCommand(String),
    /// The command is known but its arguments are not right.
    #[error("{problem} (usage: {usage})")]
    Usage {
        /// What is wrong, in clap's words, on one line.
        problem: String,
        /// The command's usage line with every option named, e.g. `get <KEY>`.
        usage: String,
    },
}

/// Parses one line of the REPL or console. `Ok(None)` for a blank line.
///
/// Words are split like a POSIX shell does (`set greeting "hello world"`
/// stores `hello world`), and a word starting with `#` starts a comment that
/// runs to the end of the line, so scripts piped into a REPL can explain
/// themselves. `CMD --help` is answered as `help CMD`.
///
/// ```
/// use mini_kvstore_commands::{parse_line, Command};
/// let command = parse_line(r#"set greeting "hello world""#).unwrap();
/// let Some(Command::Set { key, value, .. }) = command else { panic!("not a set") };
/// assert_eq!((key.as_str(), value.as_str()), ("greeting", "hello world"));
/// assert_eq!(parse_line("   ").unwrap(), None);
/// ```
pub fn parse_line(line: &str) -> Result<Option<Command>, ParseError> {
    let words = shlex::split(line).ok_or(ParseError::Quoting)?;
    let Some(first) = words.first() else {
        return Ok(None);
    };
    // Answered here rather than left to clap, so that an unknown word gets
    // one short line instead of clap's error with usage and suggestions.
    if command_named(first).is_none() {
        return Err(ParseError::UnknownCommand(first.clone()));
    }
    match ReplLine::try_parse_from(&words) {
        Ok(parsed) => Ok(Some(parsed.command)),
        Err(error) => match error.kind() {
            clap::error::ErrorKind::DisplayHelp => Ok(Some(Command::Help {
                command: Some(first.clone()),
            })),
            _ => Err(ParseError::Usage {
                problem: first_paragraph(&error.render().to_string()),
                usage: command_named(first)
                    .map(|command| spelled_out_usage(&command))
                    .unwrap_or_default(),
            }),
        },
    }
}

/// Clap's error message without its `error:` label, usage block and tips,
/// folded onto one line: a REPL answers a typo in one line, not six.
fn first_paragraph(rendered: &str) -> String {
    let message = rendered.trim().trim_start_matches("error:");
    let paragraph = message.split("\n\n").next().unwrap_or_default();
    paragraph.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The clap definition of the command named `name` (or one of its aliases).
fn command_named(name: &str) -> Option<clap::Command> {
    ReplLine::command()
        .get_subcommands()
        .find(|sub| sub.get_name() == name || sub.get_all_aliases().any(|alias| alias == name))
        .cloned()
}

/// The text `help` shows: every command with its arguments and purpose, or,
/// given a command's name, that command's full description. `None` when no
/// command has that name.
pub fn help_text(command: Option<&str>) -> Option<String> {
    match command {
        Some(name) => {
            let mut sub = command_named(name)?;
            Some(sub.render_long_help().to_string().trim_end().to_owned())
        }
        None => Some(command_list()),
    }
}

/// A command's usage with every option named (`list [--prefix P] [--limit
/// N]`), where clap's own usage says only `[OPTIONS]`: for the list of
/// commands, where a REPL user sees them all at once, and for the one line
/// that answers a mistyped command.
fn spelled_out_usage(command: &clap::Command) -> String {
    let mut words = vec![command.get_name().to_owned()];
    for arg in command.get_arguments() {
        let id = arg.get_id().as_str();
        if id == "help" {
            continue;
        }
        let value_name = arg
            .get_value_names()
            .and_then(|names| names.first())
            .map(|name| name.to_string())
            .unwrap_or_else(|| id.to_uppercase());
        let word = match arg.get_long() {
            Some(long) if arg.get_action().takes_values() => format!("[--{long} {value_name}]"),
            Some(long) => format!("[--{long}]"),
            None if arg.is_required_set() => format!("<{value_name}>"),
            None => format!("[{value_name}]"),
        };
        words.push(word);
    }
    words.join(" ")
}

/// One line per command: its usage, then what it does.
fn command_list() -> String {
    let root = ReplLine::command();
    let rows: Vec<(String, String)> = root
        .get_subcommands()
        .map(|sub| {
            let usage = spelled_out_usage(sub);
            let aliases: Vec<&str> = sub.get_visible_aliases().collect();
            let mut about = sub.get_about().map(|a| a.to_string()).unwrap_or_default();
            if !aliases.is_empty() {
                about.push_str(&format!(" (also: {})", aliases.join(", ")));
            }
            (usage, about)
        })
        .collect();
    let width = rows.iter().map(|(usage, _)| usage.len()).max().unwrap_or(0);
    let mut text = String::from("Commands:\n");
    for (usage, about) in rows {
        text.push_str(&format!("  {usage:<width$}  {about}\n"));
    }
    text.push_str("\nQuote a value that has spaces: set greeting \"hello world\".\n");
    text.push_str("Type 'help COMMAND' (or 'COMMAND --help') for its options.");
    text
}

#[cfg(test)]
mod tests;
