//! `kill -9` under Redis-protocol load never loses an acknowledged `SET`.
//!
//! Round after round, the real `kvstore` is started with `--resp-port` on
//! one data directory; `redis-benchmark` hammers it with SETs of its own
//! keys in the background, while this test's clients — one connection
//! each, pipelines of one to eight SETs, new keys and overwrites of a few
//! hot keys, now and then a `KVSTORE.COMPACT` — record which SETs got
//! their `+OK`. After a random number of acknowledged SETs (seeded) the
//! server is killed with SIGKILL, with requests in flight, and restarted.
//! Then every key must hold its last acknowledged value, or a value sent
//! after it that was in flight at the kill; a key whose only SETs were in
//! flight may be absent. What a restart showed must hold at every later
//! restart, and no key outside those written (and redis-benchmark's
//! `key:…`) may appear.
//!
//! redis-benchmark cannot say which of its SETs were acknowledged, so it
//! is only load; the acknowledged set comes from the test's own clients.
//! The server runs with the engine's default `SyncPolicy::Always`, which
//! `kvstore` has no flag to loosen: a reply is sent once its write is on
//! disk. SIGKILL leaves the page cache intact, so this proves the process
//! side of durability (`server_kill9.rs` does the same over HTTP).
//!
//! The seed is printed; `RESP_KILL9_SEED=<n>` replays a run's choices (the
//! timing of the threads is the machine's).

mod common;
mod resp_support;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};
use resp_support::{Connection, RUN_SETUP, RespServer, Value, encode};

const ROUNDS: usize = 5;
const CLIENTS: usize = 3;
/// Hot keys per client, overwritten again and again.
const HOT_KEYS: u64 = 4;
/// The most acknowledged SETs a round waits for before the kill.
const MAX_ACKS_BEFORE_KILL: u64 = 400;
/// The longest pipeline a client sends.
const MAX_PIPELINE: u64 = 8;
/// A client stops on its own after this many pipelines, in case a kill
/// never comes (it always does; this only bounds a broken run).
const MAX_PIPELINES_PER_CLIENT: usize = 5_000;
/// How many GETs the check sends in one pipeline.
const CHECK_BATCH: usize = 200;

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

/// One SET a client sent, and whether its `+OK` arrived.
#[derive(Debug)]
struct Sent {
    key: String,
    value: Vec<u8>,
    acked: bool,
}

/// What one key may hold after the next restart.
#[derive(Debug, Default)]
struct Expected {
    /// The value it must hold unless a later SET landed: the last
    /// acknowledged one, or what the last restart showed (`None`: absent).
    known: Option<Vec<u8>>,
    /// SETs sent after that, in flight at the kill: each may have landed.
    in_flight: Vec<Vec<u8>>,
}

/// A value as a failure shows it: the part that says where it was sent
/// (`r2/17.3`: round 2, pipeline 17, third SET), without the padding.
fn tag(value: &[u8]) -> String {
    let text = String::from_utf8_lossy(value);
    text.split(':').next().unwrap_or_default().to_owned()
}

/// Every key the clients wrote.
#[derive(Debug, Default)]
struct Model {
    keys: BTreeMap<String, Expected>,
}

impl Model {
    /// Folds in one client's round, in the order it sent. Within a
    /// connection the server answers in order, so once one reply did not
    /// arrive none after it did.
    fn apply(&mut self, sent: Vec<Sent>) {
        for Sent { key, value, acked } in sent {
            let expected = self.keys.entry(key).or_default();
            if acked {
                expected.known = Some(value);
                expected.in_flight.clear();
            } else {
                expected.in_flight.push(value);
            }
        }
    }

    /// Reads every key from the restarted server, checks it against the
    /// model, and keeps what it found as known from now on; then checks
    /// that the server holds no key nobody wrote. Returns how many keys
    /// redis-benchmark left.
    fn check(&mut self, server: &RespServer) -> Result<usize> {
        let mut connection = server.connect()?;
        let keys: Vec<String> = self.keys.keys().cloned().collect();
        for batch in keys.chunks(CHECK_BATCH) {
            let mut pipeline = Vec::new();
            for key in batch {
                encode(&[b"GET", key.as_bytes()], &mut pipeline);
            }
            connection.send(&pipeline)?;
            for key in batch {
                let found = connection.read()?.into_bulk()?;
                let expected = self.keys.get_mut(key).context("a key of the model")?;
                let allowed = found == expected.known
                    || found
                        .as_ref()
                        .is_some_and(|value| expected.in_flight.contains(value));
                ensure!(
                    allowed,
                    "{key} holds {:?}; acknowledged (or shown before): {:?}, in flight: {:?}",
                    found.as_deref().map(tag),
                    expected.known.as_deref().map(tag),
                    expected
                        .in_flight
                        .iter()
                        .map(|v| tag(v))
                        .collect::<Vec<_>>()
                );
                // What recovery showed is on disk now: later restarts must
                // agree with it.
                expected.known = found;
                expected.in_flight.clear();
            }
        }

        // redis-cli's own SCAN walk: exactly the keys that hold a value,
        // besides redis-benchmark's.
        let scanned = server.cli(&["--scan"])?;
        let (benchmark, ours): (Vec<&str>, Vec<&str>) =
            scanned.lines().partition(|key| key.starts_with("key:"));
        let listed: BTreeSet<String> = ours.into_iter().map(str::to_owned).collect();
        let present: BTreeSet<String> = self
            .keys
            .iter()
            .filter(|(_, expected)| expected.known.is_some())
            .map(|(key, _)| key.clone())
            .collect();
        ensure!(
            listed == present,
            "listed, never written (or shown absent): {:?}; holding a value, not listed: {:?}",
            listed.difference(&present).collect::<Vec<_>>(),
            present.difference(&listed).collect::<Vec<_>>()
        );
        Ok(benchmark.len())
    }
}

/// What a client needs to know about its round.
struct Round {
    number: usize,
    address: std::net::SocketAddr,
    acks: Arc<AtomicUsize>,
    dead: Arc<AtomicBool>,
}

/// One client's round: pipelines of SETs until the server stops
/// answering. Returns every SET it sent, in order.
fn client(id: usize, round: &Round, seed: u64) -> Result<Vec<Sent>> {
    let mut rng = Rng(seed | 1);
    let mut sent = Vec::new();
    let Ok(mut connection) = Connection::open(round.address) else {
        // Killed before this client got through: nothing sent.
        return Ok(sent);
    };
    for n in 0..MAX_PIPELINES_PER_CLIENT {
        if round.dead.load(Ordering::Relaxed) {
            break;
        }
        if id == 0 && n % 50 == 49 {
            // Kills during compaction are among the moments that matter most.
            match connection.call(&[b"KVSTORE.COMPACT"]) {
                Ok(Value::Error(e)) => bail!("KVSTORE.COMPACT: {e}"),
                Ok(_) => continue,
                Err(_) => break,
            }
        }
        let depth = 1 + rng.below(MAX_PIPELINE) as usize;
        let first = sent.len();
        let mut pipeline = Vec::new();
        for i in 0..depth {
            let key = if rng.below(100) < 60 {
                format!("r{}/c{id}/{n}.{i}", round.number)
            } else {
                format!("hot/c{id}/{}", rng.below(HOT_KEYS))
            };
            // Values of varied length, so records straddle page boundaries;
            // each names the round and place it was sent in, so no two are
            // alike.
            let value = format!(
                "r{}/{n}.{i}:{}",
                round.number,
                "x".repeat(rng.below(300) as usize)
            )
            .into_bytes();
            encode(&[b"SET", key.as_bytes(), &value], &mut pipeline);
            sent.push(Sent {
                key,
                value,
                acked: false,
            });
        }
        if connection.send(&pipeline).is_err() {
            break;
        }
        let mut broken = false;
        for entry in &mut sent[first..] {
            match connection.read() {
                Ok(Value::Simple(ok)) if ok == "OK" => {
                    entry.acked = true;
                    round.acks.fetch_add(1, Ordering::Relaxed);
                }
                Ok(other) => bail!("SET {}: {other:?}", entry.key),
                Err(_) => {
                    // Reset or closed: the server is gone.
                    broken = true;
                    break;
                }
            }
        }
        if broken {
            break;
        }
    }
    Ok(sent)
}

/// `redis-benchmark` SETting random `key:…` keys until it is killed: load
/// beside the clients, not part of what is checked.
struct Benchmark(Child);

impl Benchmark {
    fn start(server: &RespServer) -> Result<Benchmark> {
        let child = Command::new("redis-benchmark")
            .args(["-h", "127.0.0.1", "-p", &server.port().to_string()])
            .args(["-t", "set", "-n", "1000000", "-r", "100000", "-c", "8"])
            .args(["-d", "64", "-q"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .with_context(|| format!("redis-benchmark is not installed: {RUN_SETUP}"))?;
        Ok(Benchmark(child))
    }
}

impl Drop for Benchmark {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start(data: &Path, log: &Path) -> Result<RespServer> {
    RespServer::start_command(resp_support::resp_command(data, "kill9"), log)
}

#[test]
fn kill_9_under_redis_load_never_loses_an_acknowledged_set() -> Result<()> {
    let seed = std::env::var("RESP_KILL9_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(1, |d| d.as_nanos() as u64)
        });
    eprintln!("RESP_KILL9_SEED={seed}");
    let mut rng = Rng(seed | 1);
    let started = Instant::now();
    let dir = tempfile::tempdir()?;
    let data = dir.path().join("data");
    let log = dir.path().join("log");
    let mut model = Model::default();
    let mut acked_total = 0;

    for number in 0..ROUNDS {
        let server = start(&data, &log)?;
        model
            .check(&server)
            .with_context(|| format!("after the kill ending round {}", number.wrapping_sub(1)))?;
        let benchmark = Benchmark::start(&server)?;

        let round = Arc::new(Round {
            number,
            address: server.address,
            acks: Arc::new(AtomicUsize::new(0)),
            dead: Arc::new(AtomicBool::new(false)),
        });
        let kill_after = 1 + rng.below(MAX_ACKS_BEFORE_KILL) as usize;
        let clients: Vec<_> = (0..CLIENTS)
            .map(|id| {
                let (round, seed) = (Arc::clone(&round), rng.next());
                std::thread::spawn(move || client(id, &round, seed))
            })
            .collect();

        // The random moment: once `kill_after` SETs were acknowledged,
        // with the clients and redis-benchmark still sending.
        let deadline = Instant::now() + Duration::from_secs(30);
        while round.acks.load(Ordering::Relaxed) < kill_after {
            ensure!(
                Instant::now() < deadline,
                "round {number}: clients stalled at {} of {kill_after} acknowledged SETs\n{}",
                round.acks.load(Ordering::Relaxed),
                server.log()
            );
            std::thread::sleep(Duration::from_micros(200));
        }
        server.kill9()?;
        round.dead.store(true, Ordering::Relaxed);
        drop(benchmark);

        for handle in clients {
            let sent = handle
                .join()
                .map_err(|_| anyhow::anyhow!("a client panicked"))??;
            acked_total += sent.iter().filter(|s| s.acked).count();
            model.apply(sent);
        }
    }

    let server = start(&data, &log)?;
    let benchmark_keys = model.check(&server).context("after the last kill")?;
    eprintln!(
        "{ROUNDS} kills, {acked_total} acknowledged SETs, {} keys checked \
         ({benchmark_keys} more from redis-benchmark), {:.1?}",
        model.keys.len(),
        started.elapsed()
    );
    ensure!(acked_total >= ROUNDS, "too few SETs to prove anything");
    Ok(())
}
