//! What the connections share ([`ServerState`]: the store, the durability
//! waiter, the configuration, counters, the connected [`Clients`], `SCAN`
//! cursors) and
//! what each one keeps ([`Session`]: its handle of the store, protocol,
//! authentication, its entry in the registry).
//!
//! A leaf, so that the listener, the connection loop and the commands all
//! import it and none of them imports another.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use mini_kvstore::{KvStore, MAX_KEY_LEN};

use crate::resp::clients::{Client, Clients};
use crate::resp::config::RespConfig;
use crate::resp::durability::DurabilityWaiter;
use crate::resp::reply::Protocol;

/// `SCAN` cursors handed out and not yet finished, at most this many; the
/// oldest is forgotten first (and answers `-ERR invalid cursor`).
const MAX_OPEN_CURSORS: usize = 16 * 1024;

/// State every connection of one [`serve`](crate::resp::serve) shares.
#[derive(Debug)]
pub(crate) struct ServerState {
    /// Private: commands reach the store through their session's handle,
    /// so that every write defers its durability wait to the connection.
    store: KvStore,
    /// Where a connection waits for its batch's writes to be durable.
    pub(crate) durability: DurabilityWaiter,
    pub(crate) config: RespConfig,
    pub(crate) started: Instant,
    pub(crate) port: u16,
    pub(crate) connected: AtomicUsize,
    pub(crate) connections_received: AtomicU64,
    pub(crate) rejected_connections: AtomicU64,
    pub(crate) commands_processed: AtomicU64,
    next_client_id: AtomicU64,
    pub(crate) clients: Clients,
    pub(crate) cursors: Mutex<ScanCursors>,
}

impl ServerState {
    pub(crate) fn new(
        store: KvStore,
        durability: DurabilityWaiter,
        config: RespConfig,
        port: u16,
    ) -> Self {
        ServerState {
            store,
            durability,
            config,
            started: Instant::now(),
            port,
            connected: AtomicUsize::new(0),
            connections_received: AtomicU64::new(0),
            rejected_connections: AtomicU64::new(0),
            commands_processed: AtomicU64::new(0),
            next_client_id: AtomicU64::new(1),
            clients: Clients::default(),
            cursors: Mutex::new(ScanCursors::default()),
        }
    }

    pub(crate) fn next_client_id(&self) -> u64 {
        self.next_client_id.fetch_add(1, Ordering::Relaxed)
    }

    /// The longest bulk string a request may carry: the configured limit,
    /// else whichever of a key and a value may be longer.
    pub(crate) fn max_bulk_len(&self) -> usize {
        self.config.max_bulk_len.unwrap_or_else(|| {
            let value =
                usize::try_from(self.store.options().get_max_value_size()).unwrap_or(usize::MAX);
            value.max(MAX_KEY_LEN)
        })
    }

    /// Whether `given` is the configured token (always true without one).
    /// Compares every byte, so the time taken does not tell how much of a
    /// guess was right.
    pub(crate) fn token_matches(&self, given: &[u8]) -> bool {
        match &self.config.token {
            None => true,
            Some(token) => {
                let token = token.as_bytes();
                token.len() == given.len()
                    && token
                        .iter()
                        .zip(given)
                        .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                        == 0
            }
        }
    }
}

/// One connection's own state.
#[derive(Debug)]
pub(crate) struct Session {
    /// The server's store through a handle that defers durability waits:
    /// every command of this connection writes through it, and the
    /// connection waits once per batch of requests (through the server's
    /// [`DurabilityWaiter`]), before any reply to them goes out, for all of
    /// their writes to be durable.
    pub(crate) store: KvStore,
    /// This connection in the registry: its id, and what other
    /// connections' `CLIENT LIST` shows of it.
    pub(crate) client: Arc<Client>,
    /// Read for every reply; [`Session::set_protocol`] changes it.
    pub(crate) protocol: Protocol,
    pub(crate) authenticated: bool,
    /// Set by `QUIT`: answer, then close.
    pub(crate) closing: bool,
}

impl Session {
    /// A new connection's session on `server`.
    pub(crate) fn new(client: Arc<Client>, server: &ServerState) -> Self {
        Session {
            store: server.store.deferring_durability(),
            client,
            protocol: Protocol::Resp2,
            authenticated: server.config.token.is_none(),
            closing: false,
        }
    }

    /// Switches protocol, for the replies and for `CLIENT LIST`.
    pub(crate) fn set_protocol(&mut self, protocol: Protocol) {
        self.protocol = protocol;
        self.client.set_protocol(protocol);
    }
}

/// `SCAN` cursors: clients (redis-cli, redis-rs) parse a cursor as a
/// 64-bit number, so the key a scan stopped at stays here under a number.
/// Keys are walked in order from just after that key, so a full iteration
/// returns every key present throughout exactly once.
#[derive(Debug, Default)]
pub(crate) struct ScanCursors {
    next: u64,
    after: HashMap<u64, Vec<u8>>,
    order: VecDeque<u64>,
}

impl ScanCursors {
    /// A new cursor that resumes after `key`. Never 0, which means "start"
    /// and "done".
    pub(crate) fn open(&mut self, key: Vec<u8>) -> u64 {
        self.next = self.next.wrapping_add(1).max(1);
        let id = self.next;
        self.after.insert(id, key);
        self.order.push_back(id);
        while self.order.len() > MAX_OPEN_CURSORS {
            if let Some(old) = self.order.pop_front() {
                self.after.remove(&old);
            }
        }
        id
    }

    /// The key cursor `id` resumes after. The cursor stays valid (a client
    /// may retry a call) until newer ones push it out.
    pub(crate) fn resume(&self, id: u64) -> Option<Vec<u8>> {
        self.after.get(&id).cloned()
    }
}
