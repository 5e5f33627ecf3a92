//! The connection family: `PING`, `ECHO`, `QUIT`, `HELLO`, `AUTH`,
//! `SELECT` — commands about the session rather than the data. `CLIENT`,
//! of the same group, has its own file.

use crate::resp::commands::client::checked_name;
use crate::resp::commands::spec::{
    Call, CommandSpec, FAST, Family, INLINE, NO_AUTH, not_an_integer, parse_i64, syntax_error,
};
use crate::resp::reply::{Protocol, Reply};

/// Redis's `connection` group.
const CONNECTION: Family = Family("connection");

pub(crate) static SPECS: &[CommandSpec] = &[
    CONNECTION.spec(
        "ping",
        -1,
        FAST | NO_AUTH | INLINE,
        (0, 0, 0),
        "Returns the server's liveliness response.",
        ping,
    ),
    CONNECTION.spec(
        "echo",
        2,
        FAST | INLINE,
        (0, 0, 0),
        "Returns the given string.",
        echo,
    ),
    CONNECTION.spec(
        "quit",
        -1,
        FAST | NO_AUTH | INLINE,
        (0, 0, 0),
        "Closes the connection.",
        quit,
    ),
    CONNECTION.spec(
        "hello",
        -1,
        FAST | NO_AUTH | INLINE,
        (0, 0, 0),
        "Handshakes with the server: protocol version, optional AUTH and SETNAME.",
        hello,
    ),
    CONNECTION.spec(
        "auth",
        -2,
        FAST | NO_AUTH | INLINE,
        (0, 0, 0),
        "Authenticates the connection.",
        auth,
    ),
    CONNECTION.spec(
        "select",
        2,
        FAST | INLINE,
        (0, 0, 0),
        "Changes the selected database (only 0 exists).",
        select,
    ),
];

fn ping(call: &mut Call<'_>) -> Reply {
    match call.args.len() {
        1 => Reply::Simple("PONG".into()),
        2 => Reply::bulk(call.arg(1)),
        _ => call.wrong_arity(),
    }
}

fn echo(call: &mut Call<'_>) -> Reply {
    Reply::bulk(call.arg(1))
}

fn quit(call: &mut Call<'_>) -> Reply {
    call.session.closing = true;
    Reply::ok()
}

fn wrong_pass() -> Reply {
    Reply::Error("WRONGPASS invalid username-password pair or user is disabled.".into())
}

/// `AUTH user pass` and `HELLO … AUTH user pass` name the one user there is.
fn authenticate(call: &mut Call<'_>, user: Option<&[u8]>, pass: &[u8]) -> Result<(), Reply> {
    if call.server.config.token.is_none() {
        return Err(Reply::err(
            "AUTH <password> called without any password configured for the default user. \
             Are you sure your configuration is correct?",
        ));
    }
    if user.is_some_and(|user| user != b"default") || !call.server.token_matches(pass) {
        return Err(wrong_pass());
    }
    call.session.authenticated = true;
    Ok(())
}

fn auth(call: &mut Call<'_>) -> Reply {
    let args = call.args;
    let result = match args.len() {
        2 => authenticate(call, None, &args[1]),
        3 => authenticate(call, Some(&args[1]), &args[2]),
        _ => return syntax_error(),
    };
    result.map_or_else(|e| e, |()| Reply::ok())
}

fn hello(call: &mut Call<'_>) -> Reply {
    let args = call.args;
    let mut protocol = call.session.protocol;
    if let Some(version) = args.get(1) {
        protocol = match parse_i64(version) {
            Some(2) => Protocol::Resp2,
            Some(3) => Protocol::Resp3,
            Some(_) => return Reply::Error("NOPROTO unsupported protocol version".into()),
            None => return Reply::err("Protocol version is not an integer or out of range"),
        };
    }
    let mut name = None;
    let mut i = 2;
    while i < args.len() {
        let option = args[i].to_ascii_lowercase();
        match option.as_slice() {
            b"auth" if i + 2 < args.len() => {
                if let Err(e) = authenticate(call, Some(&args[i + 1]), &args[i + 2]) {
                    return e;
                }
                i += 3;
            }
            b"setname" if i + 1 < args.len() => {
                match checked_name(&args[i + 1]) {
                    Ok(valid) => name = Some(valid),
                    Err(e) => return e,
                }
                i += 2;
            }
            _ => {
                return Reply::err(format!(
                    "Syntax error in HELLO option '{}'",
                    String::from_utf8_lossy(&args[i])
                ));
            }
        }
    }
    if !call.session.authenticated {
        return Reply::Error(
            "NOAUTH HELLO must be called with the client already authenticated, otherwise the \
             HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and \
             select the RESP protocol version at the same time"
                .into(),
        );
    }
    call.session.set_protocol(protocol);
    // Named only once authenticated, as in Redis.
    if let Some(name) = name {
        call.session.client.set_name(name);
    }
    Reply::map([
        ("server", Reply::bulk("mini-kvstore")),
        ("version", Reply::bulk(env!("CARGO_PKG_VERSION"))),
        ("proto", Reply::Integer(protocol.version())),
        ("id", Reply::Integer(call.session.client.id as i64)),
        ("mode", Reply::bulk("standalone")),
        ("role", Reply::bulk("master")),
        ("modules", Reply::Array(Vec::new())),
    ])
}

fn select(call: &mut Call<'_>) -> Reply {
    match parse_i64(call.arg(1)) {
        Some(0) => Reply::ok(),
        Some(_) => Reply::err("DB index is out of range"),
        None => not_an_integer(),
    }
}
