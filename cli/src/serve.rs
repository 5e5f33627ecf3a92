//! The server entry: `kvstore --volume DIR --id ID [--port N] [--bind ADDR]
//! [--token T] [--max-body BYTES] [--playground DIR] [--resp-port N]
//! [--no-http] [--max-connections N] [--metrics-port N]`, or the same flags
//! after `kvstore serve`. With `--resp-port` the Redis protocol is served
//! beside the HTTP API, over the same store; one Ctrl-C or SIGTERM stops
//! both. `GET /metrics` is always on the HTTP API's port, and with
//! `--metrics-port` on a port of its own too; the Prometheus recorder is
//! installed before the store opens, so the recovery's timing is in it.
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

use anyhow::{Context, anyhow};
use clap::Args;
use mini_kvstore::{KvStore, Options};
use mini_kvstore_server::{DEFAULT_MAX_BODY_BYTES, DEFAULT_PLAYGROUND_DIR};

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
    /// Refuse Redis-protocol clients past N at once [default: 10000]
    #[arg(long, value_name = "N")]
    max_connections: Option<usize>,
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
    max_connections: Option<usize>,
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
            max_connections: self.max_connections,
            metrics_port: self.metrics_port,
        })
    }
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
    let mut resp = mini_kvstore_server::resp::RespConfig::new();
    if let Some(n) = max_connections {
        resp = resp.max_connections(n);
    }
    let mut server = mini_kvstore_server::Config::new(id)
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
            let listener = tokio::net::TcpListener::bind((bind, resp_port))
                .await
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
            let listener = tokio::net::TcpListener::bind((bind, metrics_port))
                .await
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
            let listener = tokio::net::TcpListener::bind((bind, port))
                .await
                .with_context(|| format!("cannot listen on {bind}:{port}"))?;
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
