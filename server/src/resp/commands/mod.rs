//! The command table and dispatch. Each family declares its commands as
//! [`spec::CommandSpec`]s; [`table`] gathers them, and [`execute`] derives
//! from it everything Redis derives from its own table: lookup, the
//! unknown-command and arity errors, the authentication gate, the refusal
//! of writes by a store that cannot take them, (through
//! [`spec::Call::table`]) `COMMAND`'s answers, and [`runs_inline`]: whether
//! the connection may run a request on its own task.
//!
//! | module | what |
//! |---|---|
//! | `spec` | what a command is, what a handler gets, the helpers every family shares |
//! | `ttl` | expiry times as `EX`/`PX`/`EXAT`/`PXAT` give them |
//! | `connection`, `client` | the session: `PING`, `HELLO`, `AUTH`, …; `CLIENT` |
//! | `strings`, `keys` | the data: string commands; generic key commands |
//! | `server_info`, `kvstore` | the server: `COMMAND`, `CONFIG`, `INFO`, `FLUSHDB`, …; this store's own `KVSTORE.*` |

mod client;
mod connection;
mod keys;
mod kvstore;
mod server_info;
mod spec;
mod strings;
mod ttl;

use std::collections::HashMap;
use std::sync::OnceLock;
use std::sync::atomic::Ordering;

use crate::availability::Unavailable;
use crate::metrics::resp::CommandMetrics;
use crate::resp::commands::spec::{
    Call, CommandSpec, INLINE, NO_AUTH, SUBCOMMANDS, WRITE, wrong_arity,
};
use crate::resp::reply::Reply;
use crate::resp::state::{ServerState, Session};

/// Commands of Redis's other data types: named so that a client learns
/// why, rather than an unknown-command error.
const OTHER_TYPES: &[&str] = &[
    // hashes
    "hset",
    "hget",
    "hmset",
    "hmget",
    "hdel",
    "hgetall",
    "hkeys",
    "hvals",
    "hlen",
    "hexists",
    "hincrby",
    "hincrbyfloat",
    "hsetnx",
    "hstrlen",
    "hscan",
    "hrandfield",
    // lists
    "lpush",
    "rpush",
    "lpushx",
    "rpushx",
    "lpop",
    "rpop",
    "llen",
    "lrange",
    "lindex",
    "lset",
    "lrem",
    "ltrim",
    "linsert",
    "lpos",
    "lmove",
    "blpop",
    "brpop",
    "blmove",
    "rpoplpush",
    "brpoplpush",
    "lmpop",
    "blmpop",
    // sets
    "sadd",
    "srem",
    "smembers",
    "sismember",
    "smismember",
    "scard",
    "spop",
    "srandmember",
    "sinter",
    "sinterstore",
    "sunion",
    "sunionstore",
    "sdiff",
    "sdiffstore",
    "smove",
    "sscan",
    "sintercard",
    // sorted sets
    "zadd",
    "zrem",
    "zrange",
    "zrangebyscore",
    "zrevrange",
    "zrevrangebyscore",
    "zrank",
    "zrevrank",
    "zscore",
    "zmscore",
    "zcard",
    "zcount",
    "zincrby",
    "zscan",
    "zpopmin",
    "zpopmax",
    "bzpopmin",
    "bzpopmax",
    "zrangestore",
    "zunionstore",
    "zinterstore",
    "zdiffstore",
    "zlexcount",
    "zrangebylex",
    "zremrangebyrank",
    "zremrangebyscore",
    "zremrangebylex",
    "zrandmember",
    "zmpop",
    "bzmpop",
    // streams, geo, hyperloglog
    "xadd",
    "xrange",
    "xrevrange",
    "xlen",
    "xread",
    "xreadgroup",
    "xdel",
    "xtrim",
    "geoadd",
    "geodist",
    "geopos",
    "geosearch",
    "pfadd",
    "pfcount",
    "pfmerge",
];

/// Every command, in the order the families list them.
pub(crate) fn table() -> &'static [&'static CommandSpec] {
    static TABLE: OnceLock<Vec<&'static CommandSpec>> = OnceLock::new();
    TABLE.get_or_init(|| {
        [
            connection::SPECS,
            client::SPECS,
            strings::SPECS,
            keys::SPECS,
            server_info::SPECS,
            kvstore::SPECS,
        ]
        .into_iter()
        .flatten()
        .collect()
    })
}

fn lookup(name: &str) -> Option<&'static CommandSpec> {
    static BY_NAME: OnceLock<HashMap<&'static str, &'static CommandSpec>> = OnceLock::new();
    BY_NAME
        .get_or_init(|| table().iter().map(|spec| (spec.name, *spec)).collect())
        .get(name)
        .copied()
}

/// Longer than every command name, so a name that does not fit is unknown.
const LONGEST_NAME: usize = 32;

/// A command name, lower-cased on the stack: looked up for every request,
/// twice, it should not cost an allocation.
struct LowerName {
    bytes: [u8; LONGEST_NAME],
    len: usize,
}

impl LowerName {
    /// `None` when `name` is too long or not UTF-8 — neither names a
    /// command.
    fn of(name: &[u8]) -> Option<LowerName> {
        let mut bytes = [0; LONGEST_NAME];
        bytes.get_mut(..name.len())?.copy_from_slice(name);
        bytes[..name.len()].make_ascii_lowercase();
        let lower = LowerName {
            bytes,
            len: name.len(),
        };
        lower.as_str().is_some().then_some(lower)
    }

    fn as_str(&self) -> Option<&str> {
        std::str::from_utf8(&self.bytes[..self.len]).ok()
    }

    fn spec(&self) -> Option<&'static CommandSpec> {
        self.as_str().and_then(lookup)
    }
}

/// Redis's answer to a command it does not have, quoting the first
/// arguments as Redis 7 does.
fn unknown_command(args: &[Vec<u8>]) -> Reply {
    let quote = |bytes: &[u8]| -> String {
        let text = String::from_utf8_lossy(&bytes[..bytes.len().min(128)]);
        text.replace(['\r', '\n'], " ")
    };
    let mut message = format!(
        "unknown command '{}', with args beginning with: ",
        quote(&args[0])
    );
    for arg in args[1..].iter().take(16) {
        message.push_str(&format!("'{}' ", quote(arg)));
    }
    Reply::err(message)
}

/// Whether the request `args` may run on the connection's async task: a
/// command of the table flagged [`INLINE`] — bounded work that never waits
/// for a sync (see the flag). Anything else, unknown commands included,
/// goes to the blocking pool. Looks the name up as [`execute`] does.
pub(crate) fn runs_inline(args: &[Vec<u8>]) -> bool {
    args.first()
        .and_then(|name| LowerName::of(name))
        .and_then(|name| name.spec())
        .is_some_and(|spec| spec.has(INLINE))
}

/// Runs one command (`args[0]` is its name) for `session`, counted and
/// timed under its spec's name (`unknown` when the table has none: never
/// the client's bytes, so the metrics' series stay bounded).
pub(crate) fn execute(server: &ServerState, session: &mut Session, args: &[Vec<u8>]) -> Reply {
    let started = std::time::Instant::now();
    let spec = LowerName::of(&args[0]).and_then(|name| name.spec());
    let reply = dispatch(server, session, args, spec);
    CommandMetrics::get_or_init(|| table().iter().map(|spec| spec.name)).observe(
        spec.map(|spec| spec.name),
        matches!(reply, Reply::Error(_)),
        started,
    );
    reply
}

/// What [`execute`] runs: `spec` is the command `args[0]` names, if any.
fn dispatch(
    server: &ServerState,
    session: &mut Session,
    args: &[Vec<u8>],
    spec: Option<&'static CommandSpec>,
) -> Reply {
    server.commands_processed.fetch_add(1, Ordering::Relaxed);
    let Some(spec) = spec else {
        let name = String::from_utf8_lossy(&args[0]).to_lowercase();
        if OTHER_TYPES.contains(&name.as_str()) {
            return Reply::err(format!(
                "mini-kvstore stores strings only: '{}' is not supported",
                name.to_uppercase()
            ));
        }
        return unknown_command(args);
    };
    let subcommand = spec
        .has(SUBCOMMANDS)
        .then(|| args.get(1).map(Vec::as_slice))
        .flatten();
    session.client.note_command(spec.name, subcommand);
    if !spec.arity_fits(args.len()) {
        return wrong_arity(spec.name);
    }
    if !session.authenticated && !spec.has(NO_AUTH) {
        return Reply::Error("NOAUTH Authentication required.".into());
    }
    // A poisoned store would refuse the write anyway; refusing it here
    // gives every write command the one sentence `/health` gives, before
    // any of its reads. Reads and `PING` go on.
    if spec.has(WRITE)
        && let Some(reason) = Unavailable::of_writes(&session.store)
    {
        return Reply::err(reason);
    }
    (spec.run)(&mut Call {
        server,
        session,
        args,
        table: table(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_lower_case() {
        let mut seen = std::collections::HashSet::new();
        for spec in table() {
            assert_eq!(spec.name, spec.name.to_lowercase());
            assert!(seen.insert(spec.name), "{} twice", spec.name);
            assert!(spec.arity != 0, "{} has no arity", spec.name);
        }
        for name in OTHER_TYPES {
            assert!(lookup(name).is_none(), "{name} is both built and refused");
        }
        let longest = table().iter().map(|spec| spec.name.len()).max();
        assert!(
            longest < Some(LONGEST_NAME),
            "a name longer than LowerName holds"
        );
    }

    fn request(words: &[&str]) -> Vec<Vec<u8>> {
        words.iter().map(|w| w.as_bytes().to_vec()).collect()
    }

    #[test]
    fn bounded_commands_run_inline_and_store_wide_ones_do_not() {
        for inline in [
            &["GET", "k"][..],
            &["get", "k"],
            &["SET", "k", "v"],
            &["SET", "k", "v", "EX", "10"],
            &["MGET", "a", "b"],
            &["MSET", "a", "1", "b", "2"],
            &["INCR", "n"],
            &["DEL", "a", "b"],
            &["EXPIRE", "k", "10"],
            &["PING"],
        ] {
            assert!(runs_inline(&request(inline)), "{inline:?}");
        }
        for pooled in [
            &["KEYS", "*"][..],
            &["SCAN", "0"],
            &["FLUSHDB"],
            &["FLUSHALL"],
            &["INFO"],
            &["DBSIZE"],
            &["COMMAND"],
            &["CONFIG", "GET", "*"],
            &["CLIENT", "LIST"],
            &["KVSTORE.COMPACT"],
            &["KVSTORE.STATS"],
            &["SETRANGE", "k", "100000000", "v"],
            &["NOSUCHCOMMAND"],
            &["HSET", "h", "f", "v"],
        ] {
            assert!(!runs_inline(&request(pooled)), "{pooled:?}");
        }
    }

    #[test]
    fn every_fast_command_but_dbsize_runs_inline() {
        // A command Redis calls `fast` and this table runs on the pool must
        // say why here: `DBSIZE` counts expired keys one by one.
        let fast_but_pooled = ["dbsize"];
        for spec in table() {
            if spec.has(spec::FAST) {
                assert_eq!(
                    spec.has(INLINE),
                    !fast_but_pooled.contains(&spec.name),
                    "{}",
                    spec.name
                );
            }
        }
    }
}
