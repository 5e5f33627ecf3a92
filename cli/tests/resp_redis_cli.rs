//! The Redis protocol with a client nobody here wrote: the real `kvstore`
//! serving `--resp-port` (and no HTTP), and Debian's `redis-cli` (installed
//! by `cargo xtask setup`) sending one-shot commands, a pipe of mass
//! inserts, and the errors Redis clients know.

mod common;
mod resp_support;

use std::collections::BTreeSet;
use std::io::Write;

use anyhow::{Result, ensure};
use resp_support::{RespServer, cli_pipe};

/// The keys `redis-cli --pipe` inserts: the number the Redis docs' mass
/// insertion example is about.
const MASS_KEYS: usize = 100_000;

fn mass_key(i: usize) -> String {
    format!("key:{i:06}")
}

#[test]
fn redis_cli_one_shot_commands_read_and_write_the_store() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let server = RespServer::start(&dir.path().join("data"), &dir.path().join("log"))?;
    assert_eq!(server.cli(&["PING"])?, "PONG\n");
    assert_eq!(server.cli(&["SET", "greeting", "hello world"])?, "OK\n");
    assert_eq!(server.cli(&["GET", "greeting"])?, "hello world\n");
    // Not a terminal, so redis-cli prints bare values: no "(integer)".
    assert_eq!(
        server.cli(&["EXISTS", "greeting", "nope", "greeting"])?,
        "2\n"
    );
    assert_eq!(server.cli(&["INCR", "counter"])?, "1\n");
    assert_eq!(server.cli(&["INCRBY", "counter", "41"])?, "42\n");
    assert_eq!(server.cli(&["SET", "session", "x", "EX", "100"])?, "OK\n");
    let ttl: u64 = server.cli(&["TTL", "session"])?.trim().parse()?;
    assert!((99..=100).contains(&ttl), "{ttl}");
    assert_eq!(server.cli(&["DEL", "greeting", "nope"])?, "1\n");
    assert_eq!(
        server.cli(&["GET", "greeting"])?,
        "\n",
        "a nil reply prints empty"
    );
    assert_eq!(server.cli(&["DBSIZE"])?, "2\n");
    // redis-cli ends an error reply with a blank line.
    let error = server.cli(&["INCR", "session"])?;
    assert_eq!(
        error.trim_end(),
        "ERR value is not an integer or out of range"
    );
    let unknown = server.cli(&["FROBNICATE", "a"])?;
    assert!(
        unknown.starts_with("ERR unknown command 'FROBNICATE'"),
        "{unknown}"
    );
    Ok(())
}

/// What the store must hold after the mass insertion, checked through
/// redis-cli: the count, a sample of values, and a full `--scan` that
/// returns every key exactly once.
fn check_mass_insertion(server: &RespServer) -> Result<()> {
    assert_eq!(server.cli(&["DBSIZE"])?, format!("{MASS_KEYS}\n"));

    // Every 97th key and both ends, in one MGET.
    let sample: Vec<usize> = (0..MASS_KEYS)
        .step_by(97)
        .chain([1, MASS_KEYS - 1])
        .collect();
    let keys: Vec<String> = sample.iter().map(|&i| mass_key(i)).collect();
    let mut args = vec!["MGET"];
    args.extend(keys.iter().map(String::as_str));
    let values = server.cli(&args)?;
    let expected: String = sample.iter().map(|i| format!("value {i}\n")).collect();
    assert_eq!(values, expected);

    // `--scan` follows SCAN's cursor to the end (10 keys a call).
    let scanned = server.cli(&["--scan"])?;
    let lines: Vec<&str> = scanned.lines().collect();
    let distinct: BTreeSet<&str> = lines.iter().copied().collect();
    ensure!(
        lines.len() == MASS_KEYS && distinct.len() == MASS_KEYS,
        "--scan returned {} keys, {} distinct",
        lines.len(),
        distinct.len()
    );
    let all: Vec<String> = (0..MASS_KEYS).map(mass_key).collect();
    ensure!(
        distinct.iter().copied().eq(all.iter().map(String::as_str)),
        "--scan returned keys nobody wrote"
    );
    // A pattern narrows the same walk: key:010000 to key:019999.
    let narrowed = server.cli(&["--scan", "--pattern", "key:01*"])?;
    assert_eq!(narrowed.lines().count(), 10_000);
    ensure!(narrowed.lines().all(|k| k.starts_with("key:01")));
    Ok(())
}

#[test]
fn redis_cli_pipe_mass_insertion_lands_every_key() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let (data, log) = (dir.path().join("data"), dir.path().join("log"));
    let server = RespServer::start(&data, &log)?;
    let mut input = Vec::new();
    for i in 0..MASS_KEYS {
        let (key, value) = (mass_key(i), format!("value {i}"));
        write!(
            input,
            "*3\r\n$3\r\nSET\r\n${}\r\n{key}\r\n${}\r\n{value}\r\n",
            key.len(),
            value.len()
        )?;
    }
    cli_pipe(server.address, &input, MASS_KEYS)?;
    check_mass_insertion(&server)?;

    // And the store holds them after a restart (a kill: every SET was
    // acknowledged durable).
    server.kill9()?;
    let server = RespServer::start(&data, &log)?;
    check_mass_insertion(&server)
}
