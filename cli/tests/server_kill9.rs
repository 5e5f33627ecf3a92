//! `kill -9` never loses an acknowledged write.
//!
//! Round after round, the real `kvstore` server is started on one data
//! directory, several clients write to it concurrently — new keys, deletes
//! of their own keys, overwrites of one hot key each, and now and then a
//! compaction — and the process is killed with SIGKILL at a random moment:
//! after a random number of acknowledged writes, while requests are in
//! flight. After each restart every write that got a 2xx must be there:
//! acknowledged keys with their values, acknowledged deletes gone, each hot
//! key at least as new as its last acknowledged value. Writes that were in
//! flight may have landed or not, but once a restart has shown which, later
//! restarts must agree. A key nobody wrote, or one whose deletion was
//! acknowledged, must never appear.
//!
//! This is the server's default sync policy (`Always`) tested end to end:
//! the answer is sent only after the engine's fsync returned. SIGKILL
//! leaves the kernel's page cache intact, so this proves the process side
//! of durability (nothing acknowledged is still only in the process);
//! power loss is the engine's crash tests' business (`docs/DURABILITY.md`).
//!
//! The seed is printed; `KILL9_SEED=<n>` replays a run's choices (the
//! timing of the threads is the machine's).

mod common;
mod server_support;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};
use server_support::{Server, request, server_command};

const ROUNDS: usize = 30;
const CLIENTS: usize = 4;
/// The most acknowledged writes a round waits for before the kill.
const MAX_ACKS_BEFORE_KILL: u64 = 300;
/// A client stops on its own after this many requests, in case a kill
/// never comes (it always does; this only bounds a broken run).
const MAX_REQUESTS_PER_CLIENT: usize = 5_000;

/// xorshift64*: small, seedable, good enough to pick moments and mixes.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// What one client did in one round, in order.
#[derive(Debug)]
enum Event {
    /// A PUT of a new key, acknowledged or not.
    Put {
        key: String,
        value: Vec<u8>,
        acked: bool,
    },
    /// A DELETE of a key this client had written, acknowledged or not.
    Delete { key: String, acked: bool },
    /// A PUT of the client's hot key with counter `n`.
    Hot { client: usize, n: u64, acked: bool },
}

/// What the data directory must hold.
#[derive(Debug, Default)]
struct Model {
    /// Keys that must exist, with their values.
    present: BTreeMap<String, Vec<u8>>,
    /// Keys that must not exist: acknowledged deletes, and in-flight writes
    /// a restart showed did not land.
    absent: BTreeSet<String>,
    /// Keys whose fate is unknown until the next restart: writes and
    /// deletes in flight at the kill. The value is what a landed PUT wrote
    /// (`None` for a delete of a key that must otherwise exist).
    unknown: BTreeMap<String, Option<Vec<u8>>>,
    /// Per client: the last acknowledged and the last sent hot counter.
    hot: Vec<(Option<u64>, Option<u64>)>,
    /// Keys whose values the next check reads (the last round's).
    recent: BTreeSet<String>,
}

fn hot_key(client: usize) -> String {
    format!("hot/{client}")
}

impl Model {
    fn apply(&mut self, events: Vec<Event>) {
        for event in events {
            match event {
                Event::Put { key, value, acked } => {
                    self.recent.insert(key.clone());
                    if acked {
                        self.present.insert(key, value);
                    } else {
                        self.unknown.insert(key, Some(value));
                    }
                }
                Event::Delete { key, acked } => {
                    if acked {
                        self.present.remove(&key);
                        self.unknown.remove(&key);
                        self.absent.insert(key);
                    } else {
                        // The key was acknowledged, so if the delete did not
                        // land it still holds its value.
                        let value = self.present.remove(&key);
                        self.unknown.insert(key, value);
                    }
                }
                Event::Hot { client, n, acked } => {
                    let (last_acked, last_sent) = &mut self.hot[client];
                    *last_sent = Some(n);
                    if acked {
                        *last_acked = Some(n);
                    }
                }
            }
        }
    }

    /// Checks the restarted server against the model, then folds what it
    /// showed about in-flight writes into the model.
    fn check(&mut self, server: &Server, all_values: bool) -> Result<()> {
        let listed = list_keys(server)?;
        for key in self.present.keys() {
            ensure!(listed.contains(key), "acknowledged key {key:?} is missing");
        }
        for key in &self.absent {
            ensure!(!listed.contains(key), "deleted key {key:?} is back");
        }
        let to_read: Vec<String> = if all_values {
            self.present.keys().cloned().collect()
        } else {
            self.recent
                .iter()
                .filter(|k| self.present.contains_key(*k))
                .cloned()
                .collect()
        };
        for key in to_read {
            let reply = server.request("GET", &format!("/blobs/{key}"), &[], b"")?;
            ensure!(reply.status == 200, "GET {key}: {}", reply.status);
            ensure!(
                Some(&reply.body) == self.present.get(&key),
                "{key:?} holds {:?}",
                reply.text()
            );
        }
        let mut hot_found = BTreeSet::new();
        for (client, (last_acked, last_sent)) in self.hot.iter_mut().enumerate() {
            let key = hot_key(client);
            let reply = server.request("GET", &format!("/blobs/{key}"), &[], b"")?;
            let found = match reply.status {
                404 => None,
                200 => Some(reply.text().parse::<u64>().context("hot value")?),
                other => bail!("GET {key}: {other}"),
            };
            ensure!(
                found >= *last_acked && found <= *last_sent,
                "{key} is {found:?}; acknowledged up to {last_acked:?}, sent up to {last_sent:?}"
            );
            // What recovery showed is on disk now; it may only grow.
            *last_acked = found;
            *last_sent = found;
            if found.is_some() {
                hot_found.insert(key);
            }
        }
        for (key, value) in std::mem::take(&mut self.unknown) {
            if listed.contains(&key) {
                let value = value.context("a delete's key without its value")?;
                self.present.insert(key, value);
            } else {
                self.absent.insert(key);
            }
        }
        // Exactly the keys the model holds and the hot keys that were found:
        // nothing nobody wrote, nothing whose delete was acknowledged.
        let expected: BTreeSet<String> = self.present.keys().cloned().chain(hot_found).collect();
        ensure!(
            listed == expected,
            "listed but never written (or deleted): {:?}; expected but not listed: {:?}",
            listed.difference(&expected).collect::<Vec<_>>(),
            expected.difference(&listed).collect::<Vec<_>>()
        );
        self.recent.clear();
        Ok(())
    }
}

/// Every key, following the `next` cursor.
fn list_keys(server: &Server) -> Result<BTreeSet<String>> {
    let mut keys = BTreeSet::new();
    let mut after = String::new();
    loop {
        let path = format!("/blobs?limit=10000&after={}", encode(&after));
        let reply = server.request("GET", &path, &[], b"")?;
        ensure!(reply.status == 200, "list: {}", reply.status);
        let page: serde_json::Value = serde_json::from_slice(&reply.body)?;
        for key in page["keys"].as_array().into_iter().flatten() {
            keys.insert(key.as_str().context("a text key")?.to_owned());
        }
        match page["next"].as_str() {
            Some(next) => after = next.to_owned(),
            None => return Ok(keys),
        }
    }
}

/// Keys here are `[a-z0-9/]`; only `/` needs escaping in a query.
fn encode(text: &str) -> String {
    text.replace('/', "%2F")
}

/// One client's round: requests until the server stops answering.
fn client(
    id: usize,
    round: usize,
    address: std::net::SocketAddr,
    seed: u64,
    next_hot: u64,
    acks: Arc<AtomicUsize>,
    dead: Arc<AtomicBool>,
) -> Result<Vec<Event>> {
    let mut rng = Rng(seed | 1);
    let mut events = Vec::new();
    let mut mine: Vec<String> = Vec::new();
    let mut hot = next_hot;
    for n in 0..MAX_REQUESTS_PER_CLIENT {
        if dead.load(Ordering::Relaxed) {
            break;
        }
        let roll = rng.below(100);
        let (method, path, body, event): (&str, String, Vec<u8>, Event);
        if id == 0 && n % 40 == 39 {
            // Kills during compaction are among the moments that matter most.
            match request(address, "POST", "/compact", &[], b"") {
                Ok(reply) => ensure!(reply.status == 200, "compact: {}", reply.status),
                Err(_) => break,
            }
            continue;
        } else if roll < 70 || mine.is_empty() {
            let key = format!("r{round}/c{id}/{n}");
            // Values of varied length, so records straddle page boundaries.
            let value = format!("{key}:{}", "x".repeat(rng.below(600) as usize)).into_bytes();
            (method, path, body) = ("PUT", format!("/blobs/{key}"), value.clone());
            event = Event::Put {
                key,
                value,
                acked: false,
            };
        } else if roll < 85 {
            hot += 1;
            (method, path, body) = (
                "PUT",
                format!("/blobs/{}", hot_key(id)),
                hot.to_string().into_bytes(),
            );
            event = Event::Hot {
                client: id,
                n: hot,
                acked: false,
            };
        } else {
            let key = mine.swap_remove(rng.below(mine.len() as u64) as usize);
            (method, path, body) = ("DELETE", format!("/blobs/{key}"), Vec::new());
            event = Event::Delete { key, acked: false };
        }
        let outcome = request(address, method, &path, &[], &body);
        let acked = match &outcome {
            Ok(reply) if (200..300).contains(&reply.status) => true,
            Ok(reply) => bail!("{method} {path}: {} {}", reply.status, reply.text()),
            Err(_) => false,
        };
        let event = match event {
            Event::Put { key, value, .. } => {
                if acked {
                    mine.push(key.clone());
                }
                Event::Put { key, value, acked }
            }
            Event::Delete { key, .. } => Event::Delete { key, acked },
            Event::Hot { client, n, .. } => Event::Hot { client, n, acked },
        };
        events.push(event);
        if !acked {
            // Refused or cut off: the server is gone.
            break;
        }
        acks.fetch_add(1, Ordering::Relaxed);
    }
    Ok(events)
}

fn start(data: &Path, log: &Path) -> Result<Server> {
    Server::start(server_command(data, "kill9"), log)
}

#[test]
fn kill_9_never_loses_an_acknowledged_write() -> Result<()> {
    let seed = std::env::var("KILL9_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(1, |d| d.as_nanos() as u64)
        });
    eprintln!("KILL9_SEED={seed}");
    let mut rng = Rng(seed | 1);
    let started = Instant::now();
    let dir = tempfile::tempdir()?;
    let data = dir.path().join("data");
    let log = dir.path().join("stderr");
    let mut model = Model {
        hot: vec![(None, None); CLIENTS],
        ..Model::default()
    };
    let mut acked_total = 0;

    for round in 0..ROUNDS {
        let server = start(&data, &log)?;
        model
            .check(&server, false)
            .with_context(|| format!("after the kill ending round {}", round.wrapping_sub(1)))?;

        let acks = Arc::new(AtomicUsize::new(0));
        let dead = Arc::new(AtomicBool::new(false));
        let kill_after = 1 + rng.below(MAX_ACKS_BEFORE_KILL) as usize;
        let clients: Vec<_> = (0..CLIENTS)
            .map(|id| {
                let (acks, dead) = (acks.clone(), dead.clone());
                let (address, seed) = (server.address, rng.next());
                let next_hot = model.hot[id].1.unwrap_or(0);
                std::thread::spawn(move || client(id, round, address, seed, next_hot, acks, dead))
            })
            .collect();

        // The random moment: once `kill_after` writes were acknowledged,
        // with the clients still sending.
        let deadline = Instant::now() + Duration::from_secs(20);
        while acks.load(Ordering::Relaxed) < kill_after {
            ensure!(
                Instant::now() < deadline,
                "round {round}: clients stalled\n{}",
                server.log()
            );
            std::thread::sleep(Duration::from_micros(200));
        }
        server.kill9()?;
        dead.store(true, Ordering::Relaxed);

        for handle in clients {
            let events = handle
                .join()
                .map_err(|_| anyhow::anyhow!("a client panicked"))??;
            acked_total += events
                .iter()
                .filter(|e| {
                    matches!(
                        e,
                        Event::Put { acked: true, .. }
                            | Event::Delete { acked: true, .. }
                            | Event::Hot { acked: true, .. }
                    )
                })
                .count();
            model.apply(events);
        }
    }

    let server = start(&data, &log)?;
    model.check(&server, true).context("after the last kill")?;
    let status = server.terminate()?;
    ensure!(status.success(), "the last server exited with {status}");
    eprintln!(
        "{ROUNDS} kills, {acked_total} acknowledged writes, {} keys checked, {:.1?}",
        model.present.len(),
        started.elapsed()
    );
    ensure!(acked_total >= ROUNDS, "too few writes to prove anything");
    Ok(())
}
