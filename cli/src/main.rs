//! `kvstore`, the command line of mini-kvstore.
//!
//! ```text
//! kvstore [--data-dir DIR] [--compaction auto|manual] [COMMAND]
//!                                           one command, or the REPL without one
//! kvstore --volume DIR --id ID [--port N]   the REST server (`kvstore serve …` too)
//! ```
//!
//! The command language itself — grammar, execution, wording — is the
//! `mini-kvstore-commands` crate, shared with the browser playground. This
//! binary is the terminal around it: it flattens that grammar into its own
//! clap parser (so `kvstore set a 1` and the REPL line `set a 1` are the same
//! grammar), opens the store, and adds what only a terminal has: colour,
//! progress bars, line editing and history, exit statuses.
//!
//! | module | what |
//! |---|---|
//! | `main` | arguments, opening the store, one-shot commands and their exit status |
//! | `repl` | the REPL: rustyline on a terminal, plain line reading from a pipe |
//! | `output` | printing replies, in colour when stdout is a terminal |
//! | `progress` | the [`Host`](mini_kvstore_commands::Host): files and indicatif progress bars |
//! | `serve` | the server entry (`--volume`/`--id`, `serve`) |
//! | `compaction` | `--compaction auto\|manual` and the policy each means |
//! | `logging` | `--log-format text\|json`: the tracing subscriber for stderr |
//! | `dump` | `export` and `import`: the dump format (JSON lines), its encoder and decoder |
//! | `restore` | `restore`: a backup directory or archive back into a data directory, checked first |
//!
//! Exit status: 0 success; 1 a key not found, a conditional `set` or
//! `delete` that found its key otherwise, a `load` or `import` with bad
//! lines, or an error (the store could not be opened, a command failed); 2
//! a usage error, or corruption found by `verify`.

mod compaction;
mod dump;
mod logging;
mod output;
mod progress;
mod repl;
mod restore;
mod serve;

use std::io;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::anyhow;
use clap::error::ErrorKind;
use clap::parser::ValueSource;
use clap::{ArgMatches, CommandFactory, FromArgMatches, Parser, Subcommand};
use mini_kvstore::{KvStore, Options, SyncPolicy};
use mini_kvstore_commands::{Command, Outcome, Reply, execute, execute_without_store};

use crate::compaction::CompactionMode;
use crate::dump::{ExportArgs, ImportArgs};
use crate::logging::LogFormat;
use crate::output::Painter;
use crate::progress::TerminalHost;
use crate::restore::RestoreArgs;
use crate::serve::{ServerArgs, ServerConfig};

/// The command line.
#[derive(Debug, Parser)]
#[command(
    name = "kvstore",
    version,
    about = "A log-structured key-value store: one-shot commands, a REPL, or the REST server",
    long_about = "A log-structured key-value store.\n\n\
        With a command, runs it once and exits. Without one, opens the REPL \
        (the same commands, one per line; line editing and history on a \
        terminal, or a script piped into stdin).",
    disable_help_subcommand = true,
    after_help = "Start the REST server with `kvstore --volume DIR --id ID [--port N]` or `kvstore serve`."
)]
struct Cli {
    /// The directory holding the store's segments (created if missing)
    // Global, so it may come after the command too (`kvstore restore
    // SOURCE --data-dir DIR`, as people write it).
    #[arg(
        long,
        short = 'd',
        global = true,
        env = "KVSTORE_DATA_DIR",
        value_name = "DIR",
        default_value = "data"
    )]
    data_dir: PathBuf,

    /// When segments are merged: `auto` in the background by the merge
    /// policy, `manual` only on `compact` [default: auto for the REPL and the
    /// server, manual for a one-shot command]
    #[arg(long, env = "KVSTORE_COMPACTION", value_name = "MODE", value_enum)]
    compaction: Option<CompactionMode>,

    /// How log lines on stderr are written: `text`, or `json` (one object a
    /// line, a request's log lines carrying its `request_id`); `RUST_LOG`
    /// says which are written
    #[arg(
        long,
        env = "KVSTORE_LOG_FORMAT",
        value_name = "FORMAT",
        value_enum,
        default_value_t = LogFormat::Text,
        global = true
    )]
    log_format: LogFormat,

    #[command(flatten)]
    server: ServerArgs,

    #[command(subcommand)]
    command: Option<CliCommand>,
}

#[derive(Debug, Subcommand)]
enum CliCommand {
    #[command(flatten)]
    Store(Command),
    /// Write the store's keys as JSON lines, in key order, to stdout or
    /// --output FILE
    ///
    /// One object per line: {"key": …, "value": …}, with "key_b64" or
    /// "value_b64" (base64) for bytes that are not UTF-8, and
    /// "expires_at_ms" (Unix time in milliseconds) for a key that expires.
    /// --prefix selects the keys starting with P; --start and --end the
    /// keys from A (included) up to B (excluded). The count goes to stderr.
    Export(ExportArgs),
    /// Store every record of a dump that `export` wrote, all or nothing
    ///
    /// Every line is checked before anything is written: if any is bad,
    /// each is reported by number and the store is left as it was.
    /// Records past their expiry are skipped and counted; keys not in the
    /// dump are left alone.
    Import(ImportArgs),
    /// Put a backup back: SOURCE (a directory `backup` made, or an archive
    /// from the server's GET /backup) into --data-dir DIR
    ///
    /// DIR must not exist or be empty. The backup is unpacked beside DIR,
    /// opened and every record's CRC checked before it is renamed to DIR;
    /// a damaged or cut-short backup is refused and DIR is left as it was.
    Restore(RestoreArgs),
    /// Start the REST server (the same as `kvstore --volume DIR --id ID`)
    Serve(ServerArgs),
}

/// Exit status for each outcome (see the module docs).
const EXIT_FAILURE: u8 = 1;
const EXIT_CORRUPTION: u8 = 2;
const EXIT_USAGE: u8 = 2;

fn main() -> ExitCode {
    let matches = Cli::command().get_matches();
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(error) => error.exit(),
    };
    logging::init(cli.log_format);
    match run(cli, &matches) {
        Ok(code) => code,
        Err(error) if is_broken_pipe(&error) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("kvstore: {error:#}");
            ExitCode::from(EXIT_FAILURE)
        }
    }
}

fn run(cli: Cli, matches: &ArgMatches) -> anyhow::Result<ExitCode> {
    if server_requested(matches) {
        if cli.command.is_some() {
            usage_error(
                ErrorKind::ArgumentConflict,
                "--volume and --id start the server and take no command",
            );
        }
        let mode = cli.compaction.unwrap_or(CompactionMode::Auto);
        return serve::run(server_config(cli.server), mode);
    }
    let painter = Painter::for_stdout();
    match cli.command {
        Some(CliCommand::Serve(args)) => serve::run(
            server_config(args),
            cli.compaction.unwrap_or(CompactionMode::Auto),
        ),
        None => {
            let mode = cli.compaction.unwrap_or(CompactionMode::Auto);
            let store = open(&cli.data_dir, mode)?;
            repl::run(&store, &cli.data_dir, &painter)?;
            Ok(ExitCode::SUCCESS)
        }
        // The one-shot `help` describes this command line (flags, `serve`),
        // not the REPL's.
        Some(CliCommand::Store(Command::Help { command })) => help(command.as_deref(), &painter),
        Some(CliCommand::Export(args)) => {
            let selection = args.selection().unwrap_or_else(|e| {
                subcommand_usage_error("export", ErrorKind::ValueValidation, e)
            });
            let store = open(
                &cli.data_dir,
                cli.compaction.unwrap_or(CompactionMode::Manual),
            )?;
            dump::export(&store, &selection, args.output())?;
            Ok(ExitCode::SUCCESS)
        }
        Some(CliCommand::Import(args)) => {
            let store = open(
                &cli.data_dir,
                cli.compaction.unwrap_or(CompactionMode::Manual),
            )?;
            dump::import(&store, &args)
        }
        Some(CliCommand::Restore(args)) => {
            restore::run(&args, &cli.data_dir)?;
            Ok(ExitCode::SUCCESS)
        }
        Some(CliCommand::Store(command)) => {
            let mode = cli.compaction.unwrap_or(CompactionMode::Manual);
            one_shot(&cli.data_dir, mode, &command, &painter)
        }
    }
}

/// `kvstore help [COMMAND]`: clap's help for the whole command line or one
/// of its subcommands, with `kvstore` in the usage lines.
fn help(topic: Option<&str>, painter: &Painter) -> anyhow::Result<ExitCode> {
    let mut cli = Cli::command();
    cli.build();
    let command = match topic {
        None => Some(&mut cli),
        Some(name) => cli.find_subcommand_mut(name),
    };
    let Some(command) = command else {
        eprintln!(
            "kvstore: unknown command '{}'; try 'kvstore help'",
            topic.unwrap_or_default()
        );
        return Ok(ExitCode::from(EXIT_USAGE));
    };
    let help = command.render_long_help();
    if painter.colour() {
        output::print_raw(&help.ansi().to_string())?;
    } else {
        output::print_raw(&help.to_string())?;
    }
    Ok(ExitCode::SUCCESS)
}

/// Whether the top-level server flags were given. Only the command line
/// counts: their environment fallbacks (`DATA_DIR`, `PORT`, …) are common
/// names in other programs' environments, and must not turn a plain
/// `kvstore` into a server.
fn server_requested(matches: &ArgMatches) -> bool {
    let given = |id: &str| matches.value_source(id) == Some(ValueSource::CommandLine);
    let starts = given("volume") || given("id");
    let configures = [
        "port",
        "bind",
        "token",
        "max_body",
        "playground",
        "resp_port",
        "no_http",
        "max_connections",
        "header_timeout",
        "max_inflight_bytes",
        "metrics_port",
    ];
    if !starts && configures.into_iter().any(given) {
        usage_error(
            ErrorKind::MissingRequiredArgument,
            "--port, --bind, --token, --max-body, --playground, --resp-port, --no-http, --max-connections, --header-timeout, --max-inflight-bytes and --metrics-port configure the server: give --volume DIR and --id ID too",
        );
    }
    starts
}

/// The server's configuration from its flags, or clap's usage error (exit
/// status 2) naming the required flag that is missing.
fn server_config(args: ServerArgs) -> ServerConfig {
    args.resolve()
        .unwrap_or_else(|missing| usage_error(ErrorKind::MissingRequiredArgument, missing))
}

/// Exits with clap's usage error for this command line: the message, the
/// usage line, status 2.
fn usage_error(kind: ErrorKind, message: impl std::fmt::Display) -> ! {
    Cli::command().error(kind, message).exit()
}

/// Like [`usage_error`], with the usage line of subcommand `name`.
fn subcommand_usage_error(name: &str, kind: ErrorKind, message: impl std::fmt::Display) -> ! {
    let mut cli = Cli::command();
    cli.build();
    match cli.find_subcommand_mut(name) {
        Some(command) => command.error(kind, message).exit(),
        None => usage_error(kind, message),
    }
}

/// Opens the store for the CLI. Writes are made durable by the commands
/// themselves (each write command syncs before it replies), so the store
/// needs no per-write fsync: `SyncPolicy::Never` lets `load` share one
/// fsync among all its lines.
fn open(dir: &Path, mode: CompactionMode) -> anyhow::Result<KvStore> {
    let options = Options::default()
        .sync_policy(SyncPolicy::Never)
        .compaction_policy(mode.policy());
    KvStore::open_with_options(dir, options)
        // The engine's messages already name the cause; a source chain would
        // repeat it, so the error is flattened to one line.
        .map_err(|e| anyhow!("cannot open the store in {}: {e}", dir.display()))
}

fn one_shot(
    dir: &Path,
    mode: CompactionMode,
    command: &Command,
    painter: &Painter,
) -> anyhow::Result<ExitCode> {
    let result = match execute_without_store(command) {
        Some(result) => result,
        None => {
            let store = open(dir, mode)?;
            execute(&store, command, &mut TerminalHost::new())
        }
    };
    let reply = result.map_err(|e| anyhow!("{e}"))?;
    let code = match reply.outcome() {
        Outcome::Success => ExitCode::SUCCESS,
        Outcome::NotFound | Outcome::Conflict => {
            // Scripts read stdout for the value (or the `OK`); "not found"
            // and a conflict's current version are for people.
            output::print_stderr(&reply.to_text())?;
            return Ok(ExitCode::from(EXIT_FAILURE));
        }
        Outcome::Partial => ExitCode::from(EXIT_FAILURE),
        Outcome::Corruption => ExitCode::from(EXIT_CORRUPTION),
        _ => ExitCode::from(EXIT_FAILURE),
    };
    if reply != Reply::Quit {
        painter.print(&reply.to_text())?;
    }
    Ok(code)
}

/// Whether `error` is stdout closing under us (`kvstore list | head`), which
/// ends the program quietly rather than with an error message.
fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error
        .downcast_ref::<io::Error>()
        .is_some_and(|e| e.kind() == io::ErrorKind::BrokenPipe)
}
