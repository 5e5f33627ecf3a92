//! The server entry: `kvstore --volume DIR --id ID [--port N] [--bind ADDR]
//! [--token T]`, or the same flags after `kvstore serve`.
//!
//! The REST server itself belongs to the `mini-kvstore-server` crate, which
//! is not built yet. Until it is, [`run`] says so and exits with status 2,
//! so a script cannot mistake the placeholder for a running server. The
//! flags, their environment fallbacks and [`ServerConfig`] are final: the
//! server issue only has to replace the body of `run` with a call into that
//! crate.

use std::net::{IpAddr, Ipv4Addr};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, CommandFactory};

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
}

/// Everything the server needs to start.
#[derive(Debug, Clone)]
pub(crate) struct ServerConfig {
    volume: PathBuf,
    id: String,
    port: u16,
    bind: IpAddr,
    token: Option<String>,
}

/// Where the server listens unless told otherwise (the original README's port).
const DEFAULT_PORT: u16 = 8000;

impl ServerArgs {
    /// The configuration, or clap's usage error (exit status 2) when
    /// `--volume` or `--id` is missing from both the flags and the environment.
    pub(crate) fn resolve(self) -> ServerConfig {
        let missing = |what: &str| -> ! {
            crate::Cli::command()
                .error(
                    clap::error::ErrorKind::MissingRequiredArgument,
                    format!("the server needs {what}"),
                )
                .exit()
        };
        ServerConfig {
            volume: self
                .volume
                .unwrap_or_else(|| missing("--volume DIR (or DATA_DIR)")),
            id: self.id.unwrap_or_else(|| missing("--id ID (or VOLUME_ID)")),
            port: self.port.unwrap_or(DEFAULT_PORT),
            bind: self.bind.unwrap_or(IpAddr::V4(Ipv4Addr::LOCALHOST)),
            token: self.token,
        }
    }
}

/// Starts the server — for now, explains that it does not exist yet.
pub(crate) fn run(config: ServerConfig) -> anyhow::Result<ExitCode> {
    let ServerConfig {
        volume,
        id,
        port,
        bind,
        token,
    } = config;
    eprintln!(
        "kvstore: the REST server is not built yet (see the REST server issue); \
         it would serve volume '{id}' from {} on {bind}:{port}{}",
        volume.display(),
        if token.is_some() {
            " with a bearer token"
        } else {
            ""
        }
    );
    Ok(ExitCode::from(2))
}
