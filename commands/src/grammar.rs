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
mod tests {
    use super::*;

    fn parse(line: &str) -> Command {
        match parse_line(line) {
            Ok(Some(command)) => command,
            other => panic!("{line:?} parsed as {other:?}"),
        }
    }

    fn set(key: &str, value: &str) -> Command {
        set_if(key, value, None, false)
    }

    fn set_if(key: &str, value: &str, if_version: Option<u64>, if_absent: bool) -> Command {
        Command::Set {
            key: key.into(),
            value: value.into(),
            condition: SetCondition {
                if_version,
                if_absent,
            },
            ttl: None,
        }
    }

    #[test]
    fn quoted_values_keep_their_spaces_and_lose_their_quotes() {
        assert_eq!(
            parse(r#"set greeting "hello world""#),
            set("greeting", "hello world")
        );
        assert_eq!(parse("set 'a key' 'it''s'"), set("a key", "its"));
        assert_eq!(parse(r#"set k "say \"hi\"""#), set("k", r#"say "hi""#));
        assert_eq!(parse("  set   a    1  "), set("a", "1"));
    }

    #[test]
    fn values_may_start_with_a_dash() {
        assert_eq!(parse("set n -5"), set("n", "-5"));
        assert_eq!(parse("set n --verbose"), set("n", "--verbose"));
        assert_eq!(parse("set -- -k v"), set("-k", "v"));
    }

    #[test]
    fn empty_values_are_values() {
        assert_eq!(parse(r#"set k """#), set("k", ""));
    }

    #[test]
    fn blank_lines_and_comments_are_nothing() {
        assert_eq!(parse_line(""), Ok(None));
        assert_eq!(parse_line(" \t "), Ok(None));
        assert_eq!(parse_line("# a script may explain itself"), Ok(None));
        assert_eq!(parse("set a 1 # the first key"), set("a", "1"));
        assert_eq!(parse("set tag '#1'"), set("tag", "#1"));
        assert_eq!(parse("set a#1 b"), set("a#1", "b"));
    }

    #[test]
    fn aliases_name_the_same_command() {
        for line in ["delete k", "del k", "rm k"] {
            assert_eq!(
                parse(line),
                Command::Delete {
                    key: "k".into(),
                    if_version: None
                }
            );
        }
        assert_eq!(parse("exit"), Command::Quit);
        assert_eq!(parse("quit"), Command::Quit);
    }

    #[test]
    fn list_and_inspect_take_options() {
        assert_eq!(parse("list"), Command::List(ListArgs::default()));
        assert_eq!(
            parse("list --prefix user: --limit 2"),
            Command::List(ListArgs {
                prefix: Some("user:".into()),
                limit: Some(2),
            })
        );
        assert_eq!(
            parse("inspect -v --segment 3"),
            Command::Inspect(InspectArgs {
                segment: Some(3),
                verbose: true,
            })
        );
    }

    #[test]
    fn set_and_delete_take_a_condition() {
        assert_eq!(
            parse("set k v --if-version 7"),
            set_if("k", "v", Some(7), false)
        );
        assert_eq!(parse("set --if-absent k v"), set_if("k", "v", None, true));
        assert_eq!(parse("set k -5 --if-absent"), set_if("k", "-5", None, true));
        assert!(parse("set k v --if-absent").writes());
        assert_eq!(
            parse("rm k --if-version 3"),
            Command::Delete {
                key: "k".into(),
                if_version: Some(3)
            }
        );
        let Command::Set { condition, .. } = parse("set k v --if-version 7") else {
            panic!("not a set");
        };
        assert_eq!(condition.expect(), Expect::Version(7));
        assert_eq!(SetCondition::default().expect(), Expect::Any);
    }

    #[test]
    fn a_set_cannot_expect_a_version_and_no_value_at_once() {
        let error = parse_line("set k v --if-version 1 --if-absent").unwrap_err();
        let text = error.to_string();
        assert!(text.contains("cannot be used with"), "{text}");
        assert!(text.contains("(usage: set "), "{text}");
        assert!(matches!(
            parse_line("set k v --if-version soon"),
            Err(ParseError::Usage { .. })
        ));
    }

    #[test]
    fn expiry_commands_take_a_duration() {
        let Command::Set { ttl, condition, .. } = parse("set k v --ttl 30s") else {
            panic!("not a set");
        };
        assert_eq!(ttl, Some(Duration::from_secs(30)));
        assert_eq!(condition.expect(), Expect::Any);
        assert!(matches!(
            parse("set --ttl 500ms k v"),
            Command::Set { ttl: Some(t), .. } if t == Duration::from_millis(500)
        ));
        assert_eq!(
            parse("expire k 90"),
            Command::Expire {
                key: "k".into(),
                duration: Duration::from_secs(90)
            }
        );
        assert_eq!(parse("ttl k"), Command::Ttl { key: "k".into() });
        assert_eq!(parse("persist k"), Command::Persist { key: "k".into() });
        assert!(parse("expire k 1d").writes());
        assert!(parse("persist k").writes());
        assert!(!parse("ttl k").writes());
        assert!(parse("ttl k").needs_store());
    }

    #[test]
    fn a_bad_duration_is_a_usage_error_that_says_why() {
        for (line, says) in [
            ("set k v --ttl 0", "must be more than 0"),
            ("set k v --ttl -5s", "must be more than 0"),
            (
                "set k v --ttl soon",
                "invalid value 'soon' for '--ttl <DURATION>': give a whole",
            ),
            ("expire k 0s", "must be more than 0"),
            ("expire k -1", "must be more than 0"),
            ("expire k 1.5h", "whole number with ms, s, m, h or d"),
            ("expire k", "<DURATION>"),
        ] {
            match parse_line(line) {
                Err(error @ ParseError::Usage { .. }) => {
                    let text = error.to_string();
                    assert!(text.contains(says), "{line:?}: {text}");
                    assert!(!text.contains('\n'), "{line:?}: {text}");
                }
                other => panic!("{line:?} gave {other:?}"),
            }
        }
    }

    #[test]
    fn a_ttl_cannot_come_with_a_condition() {
        for line in [
            "set k v --ttl 30s --if-absent",
            "set k v --if-version 3 --ttl 30s",
        ] {
            let text = parse_line(line).unwrap_err().to_string();
            assert!(text.contains("cannot be used with"), "{line:?}: {text}");
            assert!(text.contains("--ttl"), "{line:?}: {text}");
        }
    }

    #[test]
    fn scan_takes_an_open_or_closed_range_and_options() {
        assert_eq!(parse("scan"), Command::Scan(ScanArgs::default()));
        assert_eq!(
            parse("scan a m --rev --limit 2 --keys-only"),
            Command::Scan(ScanArgs {
                from: Some("a".into()),
                to: Some("m".into()),
                rev: true,
                limit: Some(2),
                keys_only: true,
            })
        );
        assert_eq!(
            parse("scan '' m -r -k"),
            Command::Scan(ScanArgs {
                from: Some(String::new()),
                to: Some("m".into()),
                rev: true,
                keys_only: true,
                ..ScanArgs::default()
            })
        );
        assert!(!parse("scan").writes());
        assert!(parse("scan").needs_store());
    }

    #[test]
    fn unknown_words_get_a_one_line_hint() {
        let error = parse_line("foo bar").unwrap_err();
        assert_eq!(error, ParseError::UnknownCommand("foo".into()));
        assert_eq!(error.to_string(), "unknown command 'foo'; type 'help'");
        // Flags are no commands either.
        assert_eq!(
            parse_line("--help"),
            Err(ParseError::UnknownCommand("--help".into()))
        );
    }

    #[test]
    fn wrong_arguments_explain_themselves_with_usage() {
        for line in [
            "set onlykey",
            "get",
            "get a b",
            "list --limit many",
            "stats now",
        ] {
            match parse_line(line) {
                Err(error @ ParseError::Usage { .. }) => {
                    let text = error.to_string();
                    assert!(!text.contains('\n'), "{line:?}: {text}");
                    assert!(!text.starts_with("error"), "{line:?}: {text}");
                    assert!(!text.contains('\u{1b}'), "{line:?} has colour codes");
                    let command = line.split(' ').next().unwrap();
                    assert!(text.contains(&format!("(usage: {command}")), "{text}");
                }
                other => panic!("{line:?} gave {other:?}"),
            }
        }
    }

    #[test]
    fn a_missing_value_names_it() {
        assert_eq!(
            parse_line("set onlykey").unwrap_err().to_string(),
            "the following required arguments were not provided: <VALUE> \
             (usage: set <KEY> <VALUE> [--if-version N] [--if-absent] [--ttl DURATION])"
        );
    }

    #[test]
    fn unbalanced_quotes_are_refused() {
        assert_eq!(parse_line(r#"set k "open"#), Err(ParseError::Quoting));
    }

    #[test]
    fn dash_dash_help_is_help_for_that_command() {
        assert_eq!(
            parse("set --help"),
            Command::Help {
                command: Some("set".into())
            }
        );
        assert_eq!(
            parse("rm -h"),
            Command::Help {
                command: Some("rm".into())
            }
        );
    }

    #[test]
    fn help_lists_every_command_and_describes_each() {
        let list = help_text(None).unwrap();
        for name in [
            "set <KEY> <VALUE> [--if-version N] [--if-absent] [--ttl DURATION]",
            "get <KEY>",
            "delete <KEY> [--if-version N]",
            "expire <KEY> <DURATION>",
            "ttl <KEY>",
            "persist <KEY>",
            "list [--prefix P] [--limit N]",
            "scan [FROM] [TO] [--rev] [--limit N] [--keys-only]",
            "compact",
            "stats",
            "inspect [--segment ID] [--verbose]",
            "verify",
            "load <FILE>",
            "help [COMMAND]",
            "quit",
        ] {
            assert!(list.contains(name), "{name} missing from\n{list}");
        }
        assert!(list.contains("del, rm"));
        let set = help_text(Some("set")).unwrap();
        assert!(set.contains("<VALUE>"), "{set}");
        assert_eq!(help_text(Some("del")), help_text(Some("delete")));
        assert_eq!(help_text(Some("nope")), None);
    }

    #[test]
    fn who_needs_the_store() {
        assert!(!parse("help").needs_store());
        assert!(!parse("quit").needs_store());
        assert!(parse("stats").needs_store());
        assert!(parse("set a b").writes());
        assert!(!parse("get a").writes());
    }
}
