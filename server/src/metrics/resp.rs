//! The Redis-protocol side: every command counted by name and result and
//! timed, as the dispatcher (`resp::commands::execute`) reports it.
//!
//! The dispatcher runs for every command, many thousands a second, so the
//! counters and histograms are looked up once per command name and kept:
//! after the first use of a name, recording one is an atomic add and a
//! sample stored, with no lookup in the recorder's registry. A
//! name's series appear once it is first used, not for all the table's
//! commands at once. The names come from the command table, never from
//! the client's bytes: a command the server does not have counts as
//! `unknown`, so clients cannot make new series.

use std::collections::HashMap;
use std::sync::OnceLock;
use std::time::Instant;

use metrics::{Counter, Histogram, counter, histogram};

use crate::metrics::catalogue::{RESP_COMMAND_DURATION, RESP_COMMANDS};

/// The `command` of a name the table does not have.
const UNKNOWN_COMMAND: &str = "unknown";

/// One command name's series, registered at its first use.
struct Series {
    name: &'static str,
    ok: OnceLock<Counter>,
    error: OnceLock<Counter>,
    duration: OnceLock<Histogram>,
}

impl Series {
    fn new(name: &'static str) -> Self {
        Series {
            name,
            ok: OnceLock::new(),
            error: OnceLock::new(),
            duration: OnceLock::new(),
        }
    }

    fn observe(&self, failed: bool, started: Instant) {
        let (cell, result) = if failed {
            (&self.error, "error")
        } else {
            (&self.ok, "ok")
        };
        cell.get_or_init(|| counter!(RESP_COMMANDS, "command" => self.name, "result" => result))
            .increment(1);
        self.duration
            .get_or_init(|| histogram!(RESP_COMMAND_DURATION, "command" => self.name))
            .record(started.elapsed());
    }
}

/// The series of every command of the table, and of `unknown`.
pub(crate) struct CommandMetrics {
    by_name: HashMap<&'static str, Series>,
    unknown: Series,
}

impl CommandMetrics {
    /// The one set of this process, made at the first call from the
    /// command table's `names`.
    pub(crate) fn get_or_init<I>(names: impl FnOnce() -> I) -> &'static CommandMetrics
    where
        I: IntoIterator<Item = &'static str>,
    {
        static COMMANDS: OnceLock<CommandMetrics> = OnceLock::new();
        COMMANDS.get_or_init(|| CommandMetrics {
            by_name: names().into_iter().map(|n| (n, Series::new(n))).collect(),
            unknown: Series::new(UNKNOWN_COMMAND),
        })
    }

    /// Counts and times one command: `name` is its spec's name (`None`
    /// when the table has none), `failed` whether it answered an error.
    pub(crate) fn observe(&self, name: Option<&'static str>, failed: bool, started: Instant) {
        name.and_then(|name| self.by_name.get(name))
            .unwrap_or(&self.unknown)
            .observe(failed, started);
    }
}
