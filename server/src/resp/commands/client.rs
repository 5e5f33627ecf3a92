//! `CLIENT`: `ID`, `GETNAME`, `SETNAME`, `SETINFO`, `INFO`, `LIST`, `HELP`.
//! The connection family's container command, in a file of its own
//! because it has a table of its own: each subcommand is a
//! [`CommandSpec`] named as Redis names it (`client|setname`), so the
//! arity errors read as Redis's do.
//!
//! What `CLIENT LIST` shows of other connections comes from the registry
//! in [`ServerState`](crate::resp::state::ServerState); the other Redis
//! subcommands (`KILL`, `PAUSE`, `TRACKING`, …) answer that they are not
//! built yet.

use std::time::Instant;

use crate::resp::clients::LibAttribute;
use crate::resp::commands::spec::{
    Call, CommandSpec, Family, SUBCOMMANDS, parse_i64, subcommand_not_built, syntax_error,
    wrong_arity,
};
use crate::resp::reply::Reply;

/// Redis's `connection` group.
const CONNECTION: Family = Family("connection");

pub(crate) static SPECS: &[CommandSpec] = &[CONNECTION.spec(
    "client",
    -2,
    SUBCOMMANDS,
    (0, 0, 0),
    "A container for client connection commands.",
    client,
)];

/// The subcommands built here, in `CLIENT HELP`'s order.
static SUBCOMMAND_SPECS: &[CommandSpec] = &[
    CONNECTION.spec(
        "client|id",
        2,
        0,
        (0, 0, 0),
        "Returns the unique client ID of the connection.",
        id,
    ),
    CONNECTION.spec(
        "client|getname",
        2,
        0,
        (0, 0, 0),
        "Returns the name of the connection.",
        getname,
    ),
    CONNECTION.spec(
        "client|setname",
        3,
        0,
        (0, 0, 0),
        "Sets the connection name (an empty one removes it).",
        setname,
    ),
    CONNECTION.spec(
        "client|setinfo",
        4,
        0,
        (0, 0, 0),
        "Sets information specific to the client library (LIB-NAME or LIB-VER).",
        setinfo,
    ),
    CONNECTION.spec(
        "client|info",
        2,
        0,
        (0, 0, 0),
        "Returns information about the connection.",
        info,
    ),
    CONNECTION.spec(
        "client|list",
        -2,
        0,
        (0, 0, 0),
        "Lists open connections: [TYPE NORMAL|MASTER|REPLICA|PUBSUB] [ID id ...].",
        list,
    ),
    CONNECTION.spec("client|help", 2, 0, (0, 0, 0), "Prints this help.", help),
];

/// Redis's other `CLIENT` subcommands.
const NOT_BUILT: &[&str] = &[
    "caching",
    "getredir",
    "kill",
    "no-evict",
    "no-touch",
    "pause",
    "reply",
    "tracking",
    "trackinginfo",
    "unblock",
    "unpause",
];

fn client(call: &mut Call<'_>) -> Reply {
    let sub = String::from_utf8_lossy(call.arg(1)).to_lowercase();
    let full = format!("client|{sub}");
    let Some(spec) = SUBCOMMAND_SPECS.iter().find(|spec| spec.name == full) else {
        if NOT_BUILT.contains(&sub.as_str()) {
            return subcommand_not_built("client", call.arg(1));
        }
        return Reply::err(format!(
            "unknown subcommand '{}'. Try CLIENT HELP.",
            String::from_utf8_lossy(call.arg(1))
        ));
    };
    if !spec.arity_fits(call.args.len()) {
        return wrong_arity(spec.name);
    }
    (spec.run)(call)
}

/// A name `CLIENT SETNAME` or `HELLO … SETNAME` may give: printable ASCII
/// without spaces, so that `CLIENT LIST` lines split on spaces (empty is
/// allowed, and takes the name away).
pub(crate) fn checked_name(name: &[u8]) -> Result<&str, Reply> {
    printable(name).ok_or_else(|| {
        Reply::err("Client names cannot contain spaces, newlines or special characters.")
    })
}

fn printable(text: &[u8]) -> Option<&str> {
    if text.iter().all(|b| (b'!'..=b'~').contains(b)) {
        std::str::from_utf8(text).ok()
    } else {
        None
    }
}

fn id(call: &mut Call<'_>) -> Reply {
    Reply::Integer(call.session.client.id as i64)
}

fn getname(call: &mut Call<'_>) -> Reply {
    Reply::bulk_or_null(call.session.client.name().map(String::into_bytes))
}

fn setname(call: &mut Call<'_>) -> Reply {
    match checked_name(call.arg(2)) {
        Ok(name) => {
            call.session.client.set_name(name);
            Reply::ok()
        }
        Err(e) => e,
    }
}

fn setinfo(call: &mut Call<'_>) -> Reply {
    let given = String::from_utf8_lossy(call.arg(2));
    let attribute = match given.to_ascii_lowercase().as_str() {
        "lib-name" => LibAttribute::Name,
        "lib-ver" => LibAttribute::Version,
        _ => return Reply::err(format!("Unrecognized option '{given}'")),
    };
    let Some(value) = printable(call.arg(3)) else {
        return Reply::err(format!(
            "{given} cannot contain spaces, newlines or special characters."
        ));
    };
    call.session.client.set_lib(attribute, value);
    Reply::ok()
}

fn info(call: &mut Call<'_>) -> Reply {
    Reply::bulk(call.session.client.line(Instant::now()))
}

fn list(call: &mut Call<'_>) -> Reply {
    let clients = call.server.clients.list();
    let now = Instant::now();
    let args = &call.args[2..];
    let lines: String = match args.first().map(|a| a.to_ascii_lowercase()) {
        None => clients.iter().map(|client| client.line(now)).collect(),
        Some(option) if option == b"type" && args.len() == 2 => {
            match args[1].to_ascii_lowercase().as_slice() {
                b"normal" => clients.iter().map(|client| client.line(now)).collect(),
                // No replication and no pub/sub here: no such clients.
                b"master" | b"replica" | b"slave" | b"pubsub" => String::new(),
                _ => {
                    return Reply::err(format!(
                        "Unknown client type '{}'",
                        String::from_utf8_lossy(&args[1])
                    ));
                }
            }
        }
        Some(option) if option == b"id" && args.len() >= 2 => {
            let mut lines = String::new();
            for wanted in &args[1..] {
                let Some(wanted) = parse_i64(wanted) else {
                    return Reply::err("Invalid client ID");
                };
                if let Some(client) = clients.iter().find(|c| c.id as i64 == wanted) {
                    lines.push_str(&client.line(now));
                }
            }
            lines
        }
        Some(_) => return syntax_error(),
    };
    Reply::bulk(lines)
}

fn help(_call: &mut Call<'_>) -> Reply {
    let mut lines = vec![Reply::Simple(
        "CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:".into(),
    )];
    for spec in SUBCOMMAND_SPECS {
        let name = spec.name.trim_start_matches("client|").to_uppercase();
        lines.push(Reply::Simple(name.into()));
        lines.push(Reply::Simple(format!("    {}", spec.summary).into()));
    }
    Reply::Array(lines)
}
