//! The server family: `COMMAND` (derived from the command table), `CONFIG
//! GET`, `INFO`, `DBSIZE`, `TIME`, `FLUSHDB` and `FLUSHALL`. This store's
//! own commands, of the same group, are in `kvstore`.

use std::fmt::Write as _;
use std::sync::atomic::Ordering;
use std::time::{SystemTime, UNIX_EPOCH};

use mini_kvstore::{Error, KvStore, SyncPolicy, WriteBatch};

use crate::resp::commands::kvstore::stats_fields;
use crate::resp::commands::spec::{
    ADMIN, Call, CommandSpec, FAST, FLAG_NAMES, Family, INLINE, READONLY, SUBCOMMANDS, WRITE,
    or_store_error, subcommand_not_built, syntax_error,
};
use crate::resp::glob;
use crate::resp::reply::Reply;

/// The Redis version `INFO` claims, for clients that gate features on it:
/// the string commands here behave as Redis 7.0's.
const REDIS_VERSION: &str = "7.0.0";

/// Keys `FLUSHDB` deletes per batch: one append (and one fsync) each, so
/// a big store is neither flushed in one huge batch nor fsynced per key.
const FLUSH_BATCH: usize = 1024;

/// Redis's `server` group.
const SERVER: Family = Family("server");

pub(crate) static SPECS: &[CommandSpec] = &[
    SERVER.spec(
        "command",
        -1,
        SUBCOMMANDS,
        (0, 0, 0),
        "Returns detailed information about all commands.",
        command,
    ),
    SERVER.spec(
        "config",
        -2,
        ADMIN | SUBCOMMANDS,
        (0, 0, 0),
        "A container for server configuration commands (GET only).",
        config,
    ),
    SERVER.spec(
        "info",
        -1,
        0,
        (0, 0, 0),
        "Returns information and statistics about the server.",
        info,
    ),
    SERVER.spec(
        "dbsize",
        1,
        READONLY | FAST,
        (0, 0, 0),
        "Returns the number of keys in the database.",
        dbsize,
    ),
    SERVER.spec(
        "time",
        1,
        FAST | INLINE,
        (0, 0, 0),
        "Returns the server time.",
        time,
    ),
    SERVER.spec(
        "flushdb",
        -1,
        WRITE,
        (0, 0, 0),
        "Removes all keys from the current database.",
        flush,
    ),
    SERVER.spec(
        "flushall",
        -1,
        WRITE,
        (0, 0, 0),
        "Removes all keys from all databases.",
        flush,
    ),
];

/// One command as `COMMAND` and `COMMAND INFO` describe it (Redis 7's ten
/// fields; ACL categories, tips, key specs and subcommands left empty).
fn command_info(spec: &CommandSpec) -> Reply {
    let flags = FLAG_NAMES
        .iter()
        .filter(|(bit, _)| spec.has(*bit))
        .map(|(_, name)| Reply::Simple((*name).into()))
        .collect();
    let (first, last, step) = spec.keys;
    Reply::Array(vec![
        Reply::bulk(spec.name),
        Reply::Integer(spec.arity),
        Reply::Array(flags),
        Reply::Integer(first),
        Reply::Integer(last),
        Reply::Integer(step),
        Reply::Array(Vec::new()),
        Reply::Array(Vec::new()),
        Reply::Array(Vec::new()),
        Reply::Array(Vec::new()),
    ])
}

fn command_docs(spec: &CommandSpec) -> Reply {
    Reply::map([
        ("summary", Reply::bulk(spec.summary)),
        ("since", Reply::bulk("0.1.0")),
        ("group", Reply::bulk(spec.group)),
    ])
}

fn command(call: &mut Call<'_>) -> Reply {
    let built = || call.table.iter().copied();
    let named = |names: &[Vec<u8>]| -> Vec<Option<&'static CommandSpec>> {
        names
            .iter()
            .map(|name| {
                let name = String::from_utf8_lossy(name).to_lowercase();
                built().find(|spec| spec.name == name)
            })
            .collect()
    };
    let Some(sub) = call.args.get(1) else {
        return Reply::Array(built().map(command_info).collect());
    };
    match sub.to_ascii_uppercase().as_slice() {
        b"COUNT" => Reply::Integer(built().count() as i64),
        b"LIST" => Reply::Array(built().map(|spec| Reply::bulk(spec.name)).collect()),
        b"INFO" => Reply::Array(
            named(&call.args[2..])
                .into_iter()
                .map(|spec| spec.map_or(Reply::Null, command_info))
                .collect(),
        ),
        b"DOCS" => {
            let specs: Vec<&CommandSpec> = if call.args.len() > 2 {
                named(&call.args[2..]).into_iter().flatten().collect()
            } else {
                built().collect()
            };
            Reply::map(
                specs
                    .into_iter()
                    .map(|spec| (spec.name, command_docs(spec))),
            )
        }
        _ => Reply::err(format!(
            "unknown subcommand '{}'. Try COMMAND HELP.",
            String::from_utf8_lossy(sub)
        )),
    }
}

/// The parameters `CONFIG GET` knows, from the store's real settings where
/// there is one.
fn config_params(call: &Call<'_>) -> Vec<(&'static str, String)> {
    let options = call.store().options();
    let appendfsync = match options.get_sync_policy() {
        SyncPolicy::Always => "always",
        SyncPolicy::EveryMillis(_) => "everysec",
        _ => "no",
    };
    vec![
        // No snapshots: the log is the store.
        ("save", String::new()),
        ("appendonly", "yes".into()),
        ("appendfsync", appendfsync.into()),
        ("databases", "1".into()),
        ("maxclients", call.server.config.max_connections.to_string()),
        ("proto-max-bulk-len", call.server.max_bulk_len().to_string()),
        ("port", call.server.port.to_string()),
    ]
}

fn config(call: &mut Call<'_>) -> Reply {
    let sub = call.arg(1).to_ascii_uppercase();
    if sub.as_slice() != b"GET" {
        return subcommand_not_built("config", &sub);
    }
    if call.args.len() < 3 {
        return call.wrong_arity();
    }
    let params = config_params(call);
    let found = params.into_iter().filter(|(name, _)| {
        call.args[2..]
            .iter()
            .any(|pattern| glob::matches(&pattern.to_ascii_lowercase(), name.as_bytes()))
    });
    Reply::map(found.map(|(name, value)| (name, Reply::bulk(value))))
}

fn info(call: &mut Call<'_>) -> Reply {
    let server = call.server;
    let stats = call.store().stats();
    let uptime = server.started.elapsed().as_secs();
    let sections: Vec<(&str, Vec<(&str, String)>)> = vec![
        (
            "server",
            vec![
                ("redis_version", REDIS_VERSION.into()),
                ("mini_kvstore_version", env!("CARGO_PKG_VERSION").into()),
                ("redis_mode", "standalone".into()),
                ("process_id", std::process::id().to_string()),
                ("tcp_port", server.port.to_string()),
                ("uptime_in_seconds", uptime.to_string()),
                ("uptime_in_days", (uptime / 86_400).to_string()),
            ],
        ),
        (
            "clients",
            vec![
                (
                    "connected_clients",
                    server.connected.load(Ordering::Relaxed).to_string(),
                ),
                ("maxclients", server.config.max_connections.to_string()),
            ],
        ),
        (
            "persistence",
            vec![
                ("loading", "0".into()),
                ("aof_enabled", "1".into()),
                ("rdb_changes_since_last_save", "0".into()),
            ],
        ),
        (
            "stats",
            vec![
                (
                    "total_connections_received",
                    server
                        .connections_received
                        .load(Ordering::Relaxed)
                        .to_string(),
                ),
                (
                    "total_commands_processed",
                    server
                        .commands_processed
                        .load(Ordering::Relaxed)
                        .to_string(),
                ),
                (
                    "rejected_connections",
                    server
                        .rejected_connections
                        .load(Ordering::Relaxed)
                        .to_string(),
                ),
            ],
        ),
        (
            "keyspace",
            vec![("db0", format!("keys={},expires=0,avg_ttl=0", stats.keys))],
        ),
        ("kvstore", stats_fields(&stats)),
    ];
    let wanted: Vec<String> = call.args[1..]
        .iter()
        .map(|s| String::from_utf8_lossy(s).to_lowercase())
        .collect();
    let everything = wanted.is_empty()
        || wanted
            .iter()
            .any(|w| matches!(w.as_str(), "all" | "everything" | "default"));
    let mut text = String::new();
    for (name, fields) in sections {
        if !everything && !wanted.iter().any(|w| w == name) {
            continue;
        }
        if !text.is_empty() {
            text.push_str("\r\n");
        }
        let mut title = name.to_string();
        if let Some(first) = title.get_mut(0..1) {
            first.make_ascii_uppercase();
        }
        let _ = write!(text, "# {title}\r\n");
        for (key, value) in fields {
            let _ = write!(text, "{key}:{value}\r\n");
        }
    }
    Reply::bulk(text)
}

fn dbsize(call: &mut Call<'_>) -> Reply {
    Reply::Integer(call.store().len() as i64)
}

fn time(_call: &mut Call<'_>) -> Reply {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    Reply::Array(vec![
        Reply::bulk(now.as_secs().to_string()),
        Reply::bulk(now.subsec_micros().to_string()),
    ])
}

/// Deletes every key: pages of keys in order, each page one batch of
/// deletes. Not atomic: a client sees the store part flushed meanwhile, and
/// a key written during the flush, before the page being deleted, stays.
/// The engine has no clear, and a store-wide batch would hold every key in
/// memory at once.
fn flush_store(store: &KvStore) -> Result<(), Error> {
    let mut after: Option<Vec<u8>> = None;
    loop {
        let mut page = store.keys_page(b"", after.as_deref(), FLUSH_BATCH);
        let full = page.len() == FLUSH_BATCH;
        let mut batch = WriteBatch::new();
        for key in &page {
            // A key that expired since the page was read writes nothing.
            batch.delete(key);
        }
        if !batch.is_empty() {
            store.apply(batch)?;
        }
        if !full {
            return Ok(());
        }
        after = page.pop();
    }
}

/// `FLUSHDB` and `FLUSHALL` (one database here, so the same): `ASYNC` and
/// `SYNC` are accepted, and both flush before answering.
fn flush(call: &mut Call<'_>) -> Reply {
    match call.args.get(1).map(|mode| mode.to_ascii_uppercase()) {
        None => {}
        Some(mode) if call.args.len() == 2 && (mode == b"ASYNC" || mode == b"SYNC") => {}
        Some(_) => return syntax_error(),
    }
    or_store_error(flush_store(call.store()).map(|()| Reply::ok()))
}
