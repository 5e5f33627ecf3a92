//! The connected clients, as `CLIENT INFO` and `CLIENT LIST` show them:
//! [`Clients`], the registry every connection is in while it is open, and
//! each one's [`Client`].
//!
//! A client's own connection is the only writer of its entry, once per
//! command (the command's name and the time), under a lock only a
//! `CLIENT LIST` reading the entry ever contends for — so keeping the
//! registry costs a command an uncontended lock and no allocation after
//! the first.
//!
//! A leaf: the state, the connection loop and the commands import it.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use crate::resp::reply::Protocol;

/// One connected client.
#[derive(Debug)]
pub(crate) struct Client {
    pub(crate) id: u64,
    /// The client's end of the connection.
    addr: SocketAddr,
    /// The server's end.
    laddr: SocketAddr,
    /// The socket's file descriptor, where there is one (`-1` elsewhere, as
    /// Redis shows a client without a socket).
    fd: i64,
    connected: Instant,
    state: Mutex<ClientState>,
}

/// What changes while a client is connected.
#[derive(Debug)]
struct ClientState {
    /// `None` until `CLIENT SETNAME` or `HELLO … SETNAME` gives one.
    name: Option<String>,
    /// `CLIENT SETINFO LIB-NAME`
    lib_name: Option<String>,
    /// `CLIENT SETINFO LIB-VER`
    lib_ver: Option<String>,
    protocol: Protocol,
    /// The last command run, as Redis names it (`get`, `client|list`).
    last_command: String,
    last_active: Instant,
}

/// Which `CLIENT SETINFO` attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LibAttribute {
    Name,
    Version,
}

impl Client {
    pub(crate) fn new(id: u64, addr: SocketAddr, laddr: SocketAddr, fd: i64) -> Self {
        let now = Instant::now();
        Client {
            id,
            addr,
            laddr,
            fd,
            connected: now,
            state: Mutex::new(ClientState {
                name: None,
                lib_name: None,
                lib_ver: None,
                protocol: Protocol::Resp2,
                last_command: String::new(),
                last_active: now,
            }),
        }
    }

    fn state(&self) -> MutexGuard<'_, ClientState> {
        // The state is plain fields, whole after any panic.
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Notes that the client runs `command` (and its subcommand, for a
    /// container such as `CLIENT`), now.
    pub(crate) fn note_command(&self, command: &str, subcommand: Option<&[u8]>) {
        let mut state = self.state();
        state.last_active = Instant::now();
        state.last_command.clear();
        state.last_command.push_str(command);
        if let Some(sub) = subcommand {
            state.last_command.push('|');
            let sub = String::from_utf8_lossy(sub);
            state
                .last_command
                .extend(sub.chars().map(|c| c.to_ascii_lowercase()));
        }
    }

    pub(crate) fn name(&self) -> Option<String> {
        self.state().name.clone()
    }

    /// Names the client; an empty name takes the name away, as in Redis.
    pub(crate) fn set_name(&self, name: &str) {
        self.state().name = (!name.is_empty()).then(|| name.to_owned());
    }

    pub(crate) fn set_lib(&self, attribute: LibAttribute, value: &str) {
        let value = (!value.is_empty()).then(|| value.to_owned());
        let mut state = self.state();
        match attribute {
            LibAttribute::Name => state.lib_name = value,
            LibAttribute::Version => state.lib_ver = value,
        }
    }

    pub(crate) fn set_protocol(&self, protocol: Protocol) {
        self.state().protocol = protocol;
    }

    /// The client as one line of `CLIENT LIST`, newline included: Redis's
    /// fields in Redis's order, those this server knows. `sub`, `psub`,
    /// `ssub` (no pub/sub here), `multi` (no `MULTI`) and `redir` (no
    /// tracking) are what Redis shows for a client that uses none of them;
    /// buffer and memory sizes are left out.
    pub(crate) fn line(&self, now: Instant) -> String {
        let state = self.state();
        let secs = |since: Instant| now.saturating_duration_since(since).as_secs();
        let mut line = String::with_capacity(256);
        let _ = write!(
            line,
            "id={} addr={} laddr={} fd={} name={} age={} idle={} flags=N db=0 sub=0 psub=0 \
             ssub=0 multi=-1 cmd={} user=default redir=-1 resp={} lib-name={} lib-ver={}",
            self.id,
            self.addr,
            self.laddr,
            self.fd,
            state.name.as_deref().unwrap_or_default(),
            secs(self.connected),
            secs(state.last_active),
            if state.last_command.is_empty() {
                "NULL"
            } else {
                &state.last_command
            },
            state.protocol.version(),
            state.lib_name.as_deref().unwrap_or_default(),
            state.lib_ver.as_deref().unwrap_or_default(),
        );
        line.push('\n');
        line
    }
}

/// Every client connected now, by id (the order they connected in).
#[derive(Debug, Default)]
pub(crate) struct Clients {
    by_id: Mutex<BTreeMap<u64, Arc<Client>>>,
}

impl Clients {
    fn by_id(&self) -> MutexGuard<'_, BTreeMap<u64, Arc<Client>>> {
        self.by_id
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub(crate) fn register(&self, client: Arc<Client>) {
        self.by_id().insert(client.id, client);
    }

    pub(crate) fn remove(&self, id: u64) {
        self.by_id().remove(&id);
    }

    /// The clients connected now, in the order they connected; the entries
    /// are read after the registry's lock is let go.
    pub(crate) fn list(&self) -> Vec<Arc<Client>> {
        self.by_id().values().cloned().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_reads_like_redis() {
        let addr: SocketAddr = "127.0.0.1:50000".parse().unwrap();
        let laddr: SocketAddr = "127.0.0.1:6379".parse().unwrap();
        let client = Client::new(7, addr, laddr, 9);
        client.set_name("worker");
        client.note_command("client", Some(b"INFO"));
        let line = client.line(Instant::now());
        assert!(
            line.starts_with(
                "id=7 addr=127.0.0.1:50000 laddr=127.0.0.1:6379 fd=9 name=worker age=0 idle=0 "
            ),
            "{line}"
        );
        assert!(line.contains(" cmd=client|info "), "{line}");
        assert!(line.ends_with(" resp=2 lib-name= lib-ver=\n"), "{line}");
        client.set_name("");
        assert_eq!(client.name(), None);
    }
}
