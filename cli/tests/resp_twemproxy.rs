//! Growing past one machine: three `kvstore` instances behind twemproxy
//! (`nutcracker`, installed by `cargo xtask setup`), set up exactly as
//! `server/README.md` describes. `redis-benchmark` runs SET and GET
//! through the proxy, then keys written through it with `redis-cli`
//! must each sit on exactly one instance, with the value written, spread
//! over all three, and read back through the proxy one by one and in one
//! `MGET` that the proxy splits across the instances.
//!
//! Everything listens on loopback. The instances bind port 0; nutcracker
//! takes its ports as numbers, so the test picks free ones.

mod common;
mod resp_support;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};
use resp_support::{
    Connection, PATIENCE, RUN_SETUP, RespServer, Value, cli_output, cli_stdin, encode, free_port,
    redis_cli, resp_command, run_tool,
};

/// Where Debian's package puts the binary (`/usr/sbin` is not on every
/// user's `PATH`).
const NUTCRACKER: &str = "/usr/sbin/nutcracker";
const INSTANCES: usize = 3;
/// Keys written through the proxy and then looked for on every instance.
const KEYS: usize = 300;

/// The nutcracker configuration for `servers` (named `s1`, `s2`, …): the
/// one `server/README.md` shows. Ketama places each server on the hash
/// ring by its name, so where a key goes does not depend on the ports;
/// md5 spreads keys such as `user:1`, `user:2`, … evenly, which fnv1a_64
/// does not.
fn config(listen: SocketAddr, servers: &[SocketAddr]) -> String {
    let mut yaml = format!(
        "kvstore:\n  listen: {listen}\n  hash: md5\n  distribution: ketama\n  redis: true\n  \
         auto_eject_hosts: false\n  timeout: 10000\n  servers:\n"
    );
    for (i, server) in servers.iter().enumerate() {
        let _ = writeln!(yaml, "   - {server}:1 s{}", i + 1);
    }
    yaml
}

/// A running nutcracker, killed when dropped.
struct Proxy {
    child: Child,
    address: SocketAddr,
    log: PathBuf,
}

impl Proxy {
    fn start(dir: &Path, servers: &[SocketAddr]) -> Result<Proxy> {
        let program = nutcracker()?;
        let address: SocketAddr = format!("127.0.0.1:{}", free_port()?).parse()?;
        let conf = dir.join("nutcracker.yml");
        std::fs::write(&conf, config(address, servers))?;
        let log = dir.join("nutcracker.log");
        let check = Command::new(&program)
            .arg("-t")
            .arg("-c")
            .arg(&conf)
            .output()?;
        ensure!(
            check.status.success(),
            "nutcracker -t refused the configuration: {}",
            String::from_utf8_lossy(&check.stderr)
        );
        let child = Command::new(&program)
            .arg("-c")
            .arg(&conf)
            .args(["-s", &free_port()?.to_string(), "-a", "127.0.0.1"])
            .arg("-o")
            .arg(&log)
            .arg("-p")
            .arg(dir.join("nutcracker.pid"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("start nutcracker")?;
        let mut proxy = Proxy {
            child,
            address,
            log,
        };
        proxy.wait_listening()?;
        Ok(proxy)
    }

    /// Polls until the proxy answers PING (nutcracker answers it itself).
    fn wait_listening(&mut self) -> Result<()> {
        let deadline = Instant::now() + PATIENCE;
        loop {
            if let Some(status) = self.child.try_wait()? {
                bail!("nutcracker exited with {status}; its log:\n{}", self.log());
            }
            let answer = Connection::open(self.address).and_then(|mut c| c.call(&[b"PING"]));
            match answer {
                Ok(Value::Simple(pong)) if pong == "PONG" => return Ok(()),
                outcome if Instant::now() > deadline => {
                    bail!(
                        "nutcracker never answered PING: {outcome:?}; its log:\n{}",
                        self.log()
                    )
                }
                _ => std::thread::sleep(Duration::from_millis(20)),
            }
        }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// nutcracker from `PATH`, or where Debian puts it. Missing is a failure,
/// never a skip: CI runs `cargo xtask setup` first.
fn nutcracker() -> Result<PathBuf> {
    let on_path = Command::new("nutcracker")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    if on_path.is_ok_and(|status| status.success()) {
        return Ok(PathBuf::from("nutcracker"));
    }
    ensure!(
        Path::new(NUTCRACKER).exists(),
        "nutcracker (twemproxy) is not installed: {RUN_SETUP}"
    );
    Ok(PathBuf::from(NUTCRACKER))
}

/// Every key on `server`, by redis-cli's `--scan`.
fn keys_on(server: &RespServer) -> Result<Vec<String>> {
    Ok(server
        .cli(&["--scan"])?
        .lines()
        .map(str::to_owned)
        .collect())
}

fn key(i: usize) -> String {
    format!("user:{i}")
}

fn value(i: usize) -> String {
    format!("profile of user {i}")
}

#[test]
fn three_instances_behind_twemproxy_hold_each_key_once() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let servers: Vec<RespServer> = (1..=INSTANCES)
        .map(|i| {
            let id = format!("s{i}");
            RespServer::start_command(
                resp_command(&dir.path().join(&id), &id),
                &dir.path().join(format!("{id}.log")),
            )
        })
        .collect::<Result<_>>()?;
    let addresses: Vec<SocketAddr> = servers.iter().map(|s| s.address).collect();
    let proxy = Proxy::start(dir.path(), &addresses)?;
    let logs = || {
        let mut all = format!("nutcracker's log:\n{}", proxy.log());
        for (i, server) in servers.iter().enumerate() {
            let _ = write!(all, "\ns{}'s log:\n{}", i + 1, server.log());
        }
        all
    };

    // redis-benchmark first asks for CONFIG GET, which nutcracker does not
    // forward (it closes that connection); the benchmark warns and goes on.
    let benchmark = run_tool(
        Command::new("redis-benchmark")
            .args(["-h", "127.0.0.1", "-p", &proxy.address.port().to_string()])
            .args(["-t", "set,get", "-n", "2000", "-r", "1000", "-q"]),
        None,
    )?;
    let report = String::from_utf8_lossy(&benchmark.stdout);
    ensure!(
        benchmark.status.success(),
        "redis-benchmark through the proxy failed: {report}{}\n{}",
        String::from_utf8_lossy(&benchmark.stderr),
        logs()
    );
    for test in ["SET: ", "GET: "] {
        ensure!(
            report.contains(test) && report.contains("requests per second"),
            "redis-benchmark did not report {test}: {report}"
        );
    }
    // Its SETs reached the instances: 2,000 SETs of random keys among
    // 1,000 touch about 865 of them.
    let mut benchmark_keys = 0;
    for server in &servers {
        let keys = keys_on(server)?;
        ensure!(
            keys.iter().all(|k| k.starts_with("key:")),
            "a key redis-benchmark did not write: {keys:?}"
        );
        ensure!(
            !keys.is_empty(),
            "an instance got none of the benchmark's keys"
        );
        benchmark_keys += keys.len();
    }
    ensure!(
        (700..=1000).contains(&benchmark_keys),
        "the benchmark left {benchmark_keys} keys on the instances"
    );

    // Keys written through the proxy by redis-cli reading commands from
    // stdin, one a line. (`--pipe` cannot go through nutcracker: it ends
    // its input with an ECHO to find the last reply, and nutcracker does
    // not forward ECHO.)
    let commands: String = (0..KEYS)
        .map(|i| format!("SET {} \"{}\"\n", key(i), value(i)))
        .collect();
    let written = cli_stdin(proxy.address, &commands)?;
    ensure!(
        written == "OK\n".repeat(KEYS),
        "SETs through the proxy: {written}\n{}",
        logs()
    );

    // Each key on exactly one instance, with its value.
    let mut holder: BTreeMap<String, usize> = BTreeMap::new();
    for (n, server) in servers.iter().enumerate() {
        for k in keys_on(server)? {
            if let Some(other) = holder.insert(k.clone(), n) {
                bail!("{k} is on both s{} and s{}", other + 1, n + 1);
            }
        }
    }
    let mut per_instance = [0; INSTANCES];
    let mut direct: Vec<Connection> = servers
        .iter()
        .map(RespServer::connect)
        .collect::<Result<_>>()?;
    for i in 0..KEYS {
        let k = key(i);
        let n = *holder
            .get(&k)
            .with_context(|| format!("{k}, written through the proxy, is on no instance"))?;
        per_instance[n] += 1;
        let found = direct[n].call(&[b"GET", k.as_bytes()])?.into_bulk()?;
        ensure!(
            found.as_deref() == Some(value(i).as_bytes()),
            "{k} on s{} holds {found:?}",
            n + 1
        );
    }
    // Ketama over md5 spreads 300 keys near evenly (the placement is
    // fixed by the servers' names); far from even means the proxy is not
    // sharding.
    eprintln!("keys per instance: {per_instance:?}");
    ensure!(
        per_instance.iter().all(|&n| n >= KEYS / 6),
        "the keys spread unevenly: {per_instance:?}"
    );

    // Readable through the proxy: one GET each, pipelined, ...
    let mut through = Connection::open(proxy.address)?;
    let mut pipeline = Vec::new();
    for i in 0..KEYS {
        encode(&[b"GET", key(i).as_bytes()], &mut pipeline);
    }
    through.send(&pipeline)?;
    for i in 0..KEYS {
        let found = through.read()?.into_bulk()?;
        ensure!(
            found.as_deref() == Some(value(i).as_bytes()),
            "GET {} through the proxy: {found:?}",
            key(i)
        );
    }
    // ... and all in one MGET, which nutcracker splits by instance and
    // reassembles in the order asked.
    let keys: Vec<String> = (0..KEYS).map(key).collect();
    let mut mget: Vec<&[u8]> = vec![b"MGET"];
    mget.extend(keys.iter().map(|k| k.as_bytes()));
    let values = through.call(&mget)?.into_array()?;
    ensure!(
        values.len() == KEYS,
        "MGET returned {} values",
        values.len()
    );
    for (i, found) in values.into_iter().enumerate() {
        ensure!(
            found.into_bulk()?.as_deref() == Some(value(i).as_bytes()),
            "MGET through the proxy, {}",
            key(i)
        );
    }
    // redis-cli one-shot through the proxy, as the README shows it.
    assert_eq!(
        cli_output(redis_cli(proxy.address).args(["GET", "user:42"]))?,
        "profile of user 42\n"
    );
    // A multi-key DEL is split the same way and its counts summed.
    let del: Vec<&[u8]> = [b"DEL".as_slice()]
        .into_iter()
        .chain(keys[..30].iter().map(|k| k.as_bytes()))
        .collect();
    assert_eq!(through.call(&del)?, Value::Integer(30));
    let left: usize = servers
        .iter()
        .map(|s| keys_on(s).map(|k| k.iter().filter(|k| k.starts_with("user:")).count()))
        .sum::<Result<usize>>()?;
    assert_eq!(left, KEYS - 30);
    Ok(())
}
