//! The server entry: `kvstore --volume DIR --id ID [--port N] [--bind ADDR]
//! [--token T] [--max-body BYTES] [--playground DIR] [--resp-port N]
//! [--no-http] [--max-connections N] [--header-timeout SECS]
//! [--max-inflight-bytes SIZE] [--metrics-port N]`, or the same flags
//! after `kvstore serve`. With `--resp-port` the Redis protocol is served
//! beside the HTTP API, over the same store; one Ctrl-C or SIGTERM stops
//! both. `GET /metrics` is always on the HTTP API's port, and with
//! `--metrics-port` on a port of its own too; the Prometheus recorder is
//! installed before the store opens, so the recovery's timing is in it.
//! `--max-connections` is one cap over both listeners' connections, and
//! `--max-inflight-bytes` one budget over both listeners' large requests.
//!
//! The server itself is the `mini-kvstore-server` library; this module only
//! turns flags into its [`Config`](mini_kvstore_server::Config), opens the
//! store, binds, prints the URL and runs it until Ctrl-C or SIGTERM. The
//! store is opened with the engine's default
//! [`SyncPolicy::Always`](mini_kvstore::SyncPolicy::Always), so a PUT that
//! got its 2xx answer is on disk even if the process is killed the next
//! instant.
//!
//! It knows nothing of the rest of the command line: a missing flag comes
//! back as a [`MissingFlag`], and `main`, which owns the parser, turns it
//! into the usage error.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, anyhow};
use clap::Args;
use mini_kvstore::{KvStore, Options};
use mini_kvstore_server::{
    ConnectionLimit, DEFAULT_HEADER_TIMEOUT, DEFAULT_MAX_BODY_BYTES, DEFAULT_MAX_CONNECTIONS,
    DEFAULT_MAX_INFLIGHT_BYTES, DEFAULT_PLAYGROUND_DIR, InflightBudget,
};

use crate::compaction::CompactionMode;

/// The server's flags. All optional here, because at the top level they
/// share the command line with the store commands; [`ServerArgs::resolve`]
/// insists on the required ones.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Server")]
pub(crate) struct ServerArgs {
    /// Serve the store in directory DIR
    #[arg(long, env = "DATA_DIR", value_name = "DIR")]
    volume: Option<PathBuf>,
    /// This volume's name, reported by /health
    #[arg(long, env = "VOLUME_ID", value_name = "ID")]
    id: Option<String>,
    /// Port to listen on [default: 8000]
    #[arg(long, env = "PORT", value_name = "N")]
    port: Option<u16>,
    /// Address to listen on [default: 127.0.0.1]
    #[arg(long, value_name = "ADDR")]
    bind: Option<IpAddr>,
    /// Require `Authorization: Bearer T` on every write
    #[arg(long, env = "KVSTORE_TOKEN", value_name = "T", hide_env_values = true)]
    token: Option<String>,
    /// Refuse bodies (values) over BYTES with 413 [default: 67108864, 64 MiB]
    #[arg(long, env = "KVSTORE_MAX_BODY", value_name = "BYTES")]
    max_body: Option<usize>,
    /// Serve the built browser playground from DIR at / [default: dist]
    #[arg(long, env = "KVSTORE_PLAYGROUND", value_name = "DIR")]
    playground: Option<PathBuf>,
    /// Also speak the Redis protocol (RESP) on port N, over the same store
    #[arg(long, env = "KVSTORE_RESP_PORT", value_name = "N")]
    resp_port: Option<u16>,
    /// Serve only the Redis protocol, no HTTP (needs --resp-port)
    #[arg(long)]
    no_http: bool,
    /// Hold at most N client connections, HTTP and Redis-protocol together;
    /// past it HTTP gets 503, RESP an error [default: 10000]
    #[arg(long, env = "KVSTORE_MAX_CONNECTIONS", value_name = "N",
          value_parser = clap::value_parser!(u32).range(1..))]
    max_connections: Option<u32>,
    /// Close an HTTP connection that has not sent a whole request head
    /// within SECS (idle keep-alive ones too) [default: 10]
    #[arg(long, env = "KVSTORE_HEADER_TIMEOUT", value_name = "SECS",
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    header_timeout: Option<u64>,
    /// Buffer at most SIZE of request bodies and large Redis-protocol
    /// requests at once (bytes, or with KiB, MiB, GiB); past it a request
    /// waits up to 1 s, then gets 503 or an error [default: 512MiB]
    #[arg(long, env = "KVSTORE_MAX_INFLIGHT_BYTES", value_name = "SIZE",
          value_parser = parse_size)]
    max_inflight_bytes: Option<u64>,
    /// Also serve GET /metrics (Prometheus) alone on port N
    #[arg(long, env = "KVSTORE_METRICS_PORT", value_name = "N")]
    metrics_port: Option<u16>,
}

/// Everything the server needs to start.
#[derive(Debug, Clone)]
pub(crate) struct ServerConfig {
    volume: PathBuf,
    id: String,
    port: u16,
    bind: IpAddr,
    token: Option<String>,
    max_body: usize,
    playground: PathBuf,
    resp_port: Option<u16>,
    no_http: bool,
    max_connections: usize,
    header_timeout: Duration,
    max_inflight_bytes: u64,
    metrics_port: Option<u16>,
}

/// Where the server listens unless told otherwise (the original README's port).
const DEFAULT_PORT: u16 = 8000;

impl ServerArgs {
    /// The configuration, or which required flag is missing from both the
    /// command line and the environment (`main` turns that into clap's
    /// usage error, exit status 2).
    pub(crate) fn resolve(self) -> Result<ServerConfig, MissingFlag> {
        Ok(ServerConfig {
            volume: self
                .volume
                .ok_or(MissingFlag("--volume DIR (or DATA_DIR)"))?,
            id: self.id.ok_or(MissingFlag("--id ID (or VOLUME_ID)"))?,
            port: self.port.unwrap_or(DEFAULT_PORT),
            bind: self.bind.unwrap_or(IpAddr::V4(Ipv4Addr::LOCALHOST)),
            token: self.token,
            max_body: self.max_body.unwrap_or(DEFAULT_MAX_BODY_BYTES),
            playground: self
                .playground
                .unwrap_or_else(|| PathBuf::from(DEFAULT_PLAYGROUND_DIR)),
            resp_port: self.resp_port,
            no_http: self.no_http,
            max_connections: self
                .max_connections
                .map_or(DEFAULT_MAX_CONNECTIONS, |n| n as usize),
            header_timeout: self
                .header_timeout
                .map_or(DEFAULT_HEADER_TIMEOUT, Duration::from_secs),
            max_inflight_bytes: self
                .max_inflight_bytes
                .unwrap_or(DEFAULT_MAX_INFLIGHT_BYTES),
            metrics_port: self.metrics_port,
        })
    }
}

/// Connections the kernel completes and queues for a listener before the
/// server accepts them. The 128 that `TcpListener::bind` asks for is
/// overrun by any burst of connections that comes while the server is busy
/// for a moment, and a connection the queue has no room for waits a
/// second for the client's SYN to be sent again — well-behaved clients
/// too, when a flood is the burst. The kernel caps it at
/// `net.core.somaxconn`.
const LISTEN_BACKLOG: u32 = 4096;

/// A listener on `bind:port` with a [`LISTEN_BACKLOG`]-deep queue, set up
/// as `TcpListener::bind` does otherwise (`SO_REUSEADDR` on Unix, so a
/// restart does not wait for the last run's connections to time out).
fn listen(bind: IpAddr, port: u16) -> std::io::Result<tokio::net::TcpListener> {
    let socket = match bind {
        IpAddr::V4(_) => tokio::net::TcpSocket::new_v4()?,
        IpAddr::V6(_) => tokio::net::TcpSocket::new_v6()?,
    };
    #[cfg(unix)]
    socket.set_reuseaddr(true)?;
    socket.bind(std::net::SocketAddr::new(bind, port))?;
    socket.listen(LISTEN_BACKLOG)
}

/// A size in bytes: a whole number, alone or followed by `B`, `KiB`, `MiB`,
/// `GiB` or `TiB` (`512MiB`, `8 MiB`, `1048576`), from 1 MiB to 4 TiB.
fn parse_size(text: &str) -> Result<u64, String> {
    const UNITS: [(&str, u64); 5] = [
        ("TiB", 1 << 40),
        ("GiB", 1 << 30),
        ("MiB", 1 << 20),
        ("KiB", 1 << 10),
        ("B", 1),
    ];
    let text = text.trim();
    let digits_end = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (digits, unit) = text.split_at(digits_end);
    let unit = unit.trim();
    let scale = if unit.is_empty() {
        1
    } else {
        UNITS
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(unit))
            .map(|&(_, scale)| scale)
            .ok_or_else(|| {
                format!("'{unit}' is not a unit: give bytes, or a number with KiB, MiB, GiB or TiB")
            })?
    };
    let size = digits
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(scale))
        .ok_or_else(|| {
            format!("'{text}' is not a size: give bytes, or a number with KiB, MiB, GiB or TiB")
        })?;
    if !(1 << 20..=1 << 42).contains(&size) {
        return Err(format!("{text} is outside 1MiB to 4TiB"));
    }
    Ok(size)
}

/// A flag the server cannot start without, as its usage error names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct MissingFlag(&'static str);

impl fmt::Display for MissingFlag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the server needs {}", self.0)
    }
}

/// Opens the store, serves it until Ctrl-C or SIGTERM, and exits 0 once
/// the requests in flight are answered and the store is synced.
pub(crate) fn run(config: ServerConfig, compaction: CompactionMode) -> anyhow::Result<ExitCode> {
    let ServerConfig {
        volume,
        id,
        port,
        bind,
        token,
        max_body,
        playground,
        resp_port,
        no_http,
        max_connections,
        header_timeout,
        max_inflight_bytes,
        metrics_port,
    } = config;
    if no_http && resp_port.is_none() {
        return Err(anyhow!(
            "--no-http leaves nothing to serve: give --resp-port N too"
        ));
    }
    // Before the store opens, so that its recovery is timed (see the module
    // doc of `mini_kvstore_server::metrics`).
    let metrics =
        mini_kvstore_server::metrics::Metrics::install().context("cannot set up the metrics")?;
    // The value limit follows the body limit, so a body the server accepts
    // is one the store accepts; everything else is the engine's default.
    let options = Options::default()
        .max_value_size(max_body as u64)
        .compaction_policy(compaction.policy());
    let store = KvStore::open_with_options(&volume, options)
        // As in `main::open`: the engine's message names the cause already.
        .map_err(|e| anyhow!("cannot open the store in {}: {e}", volume.display()))?;
    // One cap for both listeners: it stands for the process's sockets and
    // descriptors, whichever protocol holds them.
    let connections = ConnectionLimit::new(max_connections);
    // One budget for both, for the same reason: it stands for the memory.
    let inflight = InflightBudget::new(max_inflight_bytes);
    let mut resp = mini_kvstore_server::resp::RespConfig::new()
        .connection_limit(connections.clone())
        .inflight_budget(inflight.clone());
    let mut server = mini_kvstore_server::Config::new(id)
        .connection_limit(connections)
        .inflight_budget(inflight)
        .header_timeout(header_timeout)
        .max_body_bytes(max_body)
        .playground_dir(playground)
        .metrics(metrics.clone());
    if let Some(token) = token {
        resp = resp.token(token.clone());
        server = server.token(token);
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async move {
        // One signal stops both servers.
        let (stop, stopped) = tokio::sync::watch::channel(false);
        tokio::spawn(async move {
            mini_kvstore_server::shutdown_signal().await;
            let _ = stop.send(true);
        });
        let until_stopped = move || {
            let mut stopped = stopped.clone();
            async move {
                let _ = stopped.wait_for(|stop| *stop).await;
            }
        };
        let mut servers = tokio::task::JoinSet::new();
        if let Some(resp_port) = resp_port {
            let listener = listen(bind, resp_port)
                .with_context(|| format!("cannot listen on {bind}:{resp_port}"))?;
            let address = listener
                .local_addr()
                .context("cannot read the bound address")?;
            println!("listening on redis://{address}");
            let (store, shutdown) = (store.clone(), until_stopped());
            servers.spawn(async move {
                mini_kvstore_server::resp::serve(store, listener, resp, shutdown)
                    .await
                    .context("the Redis-protocol server failed")
            });
        }
        // Bound before the API's, printed after it: a script that waits for
        // the `listening on http://` line finds every port bound by then.
        let mut metrics_address = None;
        if let Some(metrics_port) = metrics_port {
            let listener = listen(bind, metrics_port)
                .with_context(|| format!("cannot listen on {bind}:{metrics_port}"))?;
            metrics_address = Some(
                listener
                    .local_addr()
                    .context("cannot read the bound address")?,
            );
            let (store, shutdown) = (store.clone(), until_stopped());
            servers.spawn(async move {
                mini_kvstore_server::metrics::serve(listener, store, metrics, shutdown)
                    .await
                    .context("the metrics server failed")
            });
        }
        if !no_http {
            let listener =
                listen(bind, port).with_context(|| format!("cannot listen on {bind}:{port}"))?;
            let address = listener
                .local_addr()
                .context("cannot read the bound address")?;
            // One line on stdout, flushed by its newline: people read it, and
            // scripts and tests started with `--port 0` take the port from it.
            println!("listening on http://{address}");
            let shutdown = until_stopped();
            servers.spawn(async move {
                mini_kvstore_server::run(listener, store, server, shutdown)
                    .await
                    .context("the server failed")
            });
        } else {
            drop(store);
        }
        if let Some(address) = metrics_address {
            println!("metrics on http://{address}/metrics");
        }
        while let Some(done) = servers.join_next().await {
            done.context("a server task panicked")??;
        }
        anyhow::Ok(())
    })?;
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::parse_size;

    #[test]
    fn sizes_take_binary_units_and_plain_bytes() {
        assert_eq!(parse_size("512MiB"), Ok(512 << 20));
        assert_eq!(parse_size("8 mib"), Ok(8 << 20));
        assert_eq!(parse_size("1048576"), Ok(1 << 20));
        assert_eq!(parse_size("2GiB"), Ok(2 << 30));
        assert_eq!(parse_size("4TiB"), Ok(4 << 40));
        for bad in [
            "",
            "MiB",
            "12 MB",
            "1.5GiB",
            "-1MiB",
            "1KiB",
            "5TiB",
            "99999999999999999999",
        ] {
            assert!(parse_size(bad).is_err(), "{bad:?} was taken");
        }
    }
}
