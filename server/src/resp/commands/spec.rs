//! What a command is, as data: [`CommandSpec`] (name, arity as Redis counts
//! it, flags, key positions, a one-line summary, the handler) and [`Call`],
//! what a handler gets. Also the helpers every family shares.
//!
//! A leaf of `commands`: the families declare their specs with these types
//! and the dispatcher (`commands/mod.rs`) gathers them into the table, so
//! no family imports the dispatcher.

use mini_kvstore::{Error, KvStore};

use crate::resp::reply::Reply;
use crate::resp::state::{ServerState, Session};

/// A handler. It may call the engine: it runs on tokio's blocking pool, or
/// on the connection's own task when its spec has [`INLINE`]. Its writes
/// through [`Call::store`] return without waiting to be durable; the
/// connection waits for all of a batch's writes before it answers.
pub(crate) type Handler = fn(&mut Call<'_>) -> Reply;

/// The command writes to the store.
pub(crate) const WRITE: u8 = 1;
/// The command only reads.
pub(crate) const READONLY: u8 = 1 << 1;
/// Constant or logarithmic time.
pub(crate) const FAST: u8 = 1 << 2;
/// Allowed before `AUTH` when a token is set.
pub(crate) const NO_AUTH: u8 = 1 << 3;
/// Administrative (server-wide) command.
pub(crate) const ADMIN: u8 = 1 << 4;
/// A container whose first argument names a subcommand (`CLIENT LIST`):
/// `CLIENT LIST` reports it as `client|list`, as Redis does. Not one of
/// Redis's flags, so `COMMAND` does not show it.
pub(crate) const SUBCOMMANDS: u8 = 1 << 5;
/// Runs on the connection's async task rather than the blocking pool (see
/// `connection`): its work is bounded by its own request or one stored
/// value — no walk over the keys, no merge, no computation over the whole
/// store — and its writes do not wait for their fsync (one that fills the
/// active segment still seals it, with one fsync, as often as segments
/// fill). Not Redis's `fast`, which `SET` and `DEL` lack and `DBSIZE` has
/// (here it counts expired keys one by one); not one of Redis's flags, so
/// `COMMAND` does not show it.
pub(crate) const INLINE: u8 = 1 << 6;

/// Flag bits and the names `COMMAND` gives them (Redis's spelling).
pub(crate) const FLAG_NAMES: &[(u8, &str)] = &[
    (WRITE, "write"),
    (READONLY, "readonly"),
    (FAST, "fast"),
    (NO_AUTH, "no_auth"),
    (ADMIN, "admin"),
];

/// One command of the table.
pub(crate) struct CommandSpec {
    /// Lower case, as `COMMAND` answers and arity errors quote it.
    pub(crate) name: &'static str,
    /// Redis's arity, the command name included: `n` exactly `n`
    /// arguments, `-n` at least `n`.
    pub(crate) arity: i64,
    pub(crate) flags: u8,
    /// First key, last key (`-1`: the last argument) and step, as
    /// `COMMAND` reports them; `(0, 0, 0)` when there are no keys.
    pub(crate) keys: (i64, i64, i64),
    /// Redis's command group (`string`, `generic`, `connection`, `server`).
    pub(crate) group: &'static str,
    pub(crate) summary: &'static str,
    pub(crate) run: Handler,
}

/// A command group, making the specs of its commands: each family's table
/// names its group once.
pub(crate) struct Family(pub(crate) &'static str);

impl Family {
    /// A command this family runs with `handler`.
    pub(crate) const fn spec(
        &self,
        name: &'static str,
        arity: i64,
        flags: u8,
        keys: (i64, i64, i64),
        summary: &'static str,
        handler: Handler,
    ) -> CommandSpec {
        CommandSpec {
            name,
            arity,
            flags,
            keys,
            group: self.0,
            summary,
            run: handler,
        }
    }
}

impl CommandSpec {
    /// Whether `argc` arguments (name included) fit the arity.
    pub(crate) fn arity_fits(&self, argc: usize) -> bool {
        let argc = argc as i64;
        if self.arity >= 0 {
            argc == self.arity
        } else {
            argc >= -self.arity
        }
    }

    pub(crate) fn has(&self, flag: u8) -> bool {
        self.flags & flag != 0
    }
}

/// What a handler works with.
pub(crate) struct Call<'a> {
    pub(crate) server: &'a ServerState,
    pub(crate) session: &'a mut Session,
    /// The arguments, the command name first.
    pub(crate) args: &'a [Vec<u8>],
    /// The whole command table, for `COMMAND`.
    pub(crate) table: &'a [&'static CommandSpec],
}

impl Call<'_> {
    /// The store, through the session's handle: writes return once applied,
    /// and the connection waits for them to be durable before it answers.
    pub(crate) fn store(&self) -> &KvStore {
        &self.session.store
    }

    /// Argument `i` (the command name is 0).
    pub(crate) fn arg(&self, i: usize) -> &[u8] {
        self.args.get(i).map_or(&[], Vec::as_slice)
    }

    /// The command name, lower case.
    pub(crate) fn name(&self) -> String {
        String::from_utf8_lossy(self.arg(0)).to_lowercase()
    }

    /// Redis's answer when the arguments do not fit.
    pub(crate) fn wrong_arity(&self) -> Reply {
        wrong_arity(&self.name())
    }
}

pub(crate) fn wrong_arity(name: &str) -> Reply {
    Reply::err(format!("wrong number of arguments for '{name}' command"))
}

pub(crate) fn not_an_integer() -> Reply {
    Reply::err("value is not an integer or out of range")
}

pub(crate) fn syntax_error() -> Reply {
    Reply::err("syntax error")
}

/// The answer when a subcommand Redis has is not written here.
pub(crate) fn subcommand_not_built(command: &str, sub: &[u8]) -> Reply {
    Reply::err(format!(
        "'{} {}' is not built yet in mini-kvstore",
        command.to_uppercase(),
        String::from_utf8_lossy(sub).to_uppercase()
    ))
}

/// How many times a read-modify-write runs before it gives up. Each retry
/// means another client wrote the key between this command's read and its
/// conditional write, so only a storm of writes to one key reaches this.
pub(crate) const CONFLICT_RETRIES: usize = 100;

/// Runs `attempt` — a read, then a write conditioned on what was read —
/// again while its write finds the key changed ([`Error::Conflict`]), at
/// most [`CONFLICT_RETRIES`] times. The last conflict is returned, and
/// [`store_error`] answers it.
pub(crate) fn retry_on_conflict<T>(
    mut attempt: impl FnMut() -> Result<T, Error>,
) -> Result<T, Error> {
    let mut tries = 1;
    loop {
        match attempt() {
            Err(Error::Conflict { .. }) if tries < CONFLICT_RETRIES => {
                tries += 1;
                // Let the writer that won go on before reading again.
                std::thread::yield_now();
            }
            done => return done,
        }
    }
}

/// Parses an integer argument as Redis does: decimal, no sign but `-`, no
/// spaces, no leading zeros.
pub(crate) fn parse_i64(bytes: &[u8]) -> Option<i64> {
    let text = std::str::from_utf8(bytes).ok()?;
    let number = text.parse::<i64>().ok()?;
    (number.to_string() == text).then_some(number)
}

/// An engine error as a client sees it: limits in full, storage failures
/// logged here and answered without their details.
pub(crate) fn store_error(error: mini_kvstore::Error) -> Reply {
    use mini_kvstore::Error;
    match error {
        Error::EmptyKey | Error::KeyTooLarge { .. } | Error::ValueTooLarge { .. } => {
            Reply::err(error)
        }
        Error::Poisoned => Reply::err(error),
        // Only a write conditioned on a read gets here, after
        // `retry_on_conflict` gave up.
        Error::Conflict { .. } => Reply::err(format!(
            "another client kept changing the key; gave up after {CONFLICT_RETRIES} tries"
        )),
        other => {
            tracing::error!(error = %other, "engine call failed");
            Reply::err("internal error: the store could not complete the command")
        }
    }
}

/// Runs `call` and answers its engine error, if any, with [`store_error`].
pub(crate) fn or_store_error(result: Result<Reply, mini_kvstore::Error>) -> Reply {
    result.unwrap_or_else(store_error)
}
