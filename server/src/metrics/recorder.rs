//! [`Metrics`]: the process's Prometheus recorder, installed once, and the
//! text it renders.
//!
//! The `metrics` facade sends every recording to one global recorder, so
//! there is one per process however many servers it runs: installing it
//! twice hands back the first. Installing is the program's choice (the
//! `kvstore` binary does it before it opens the store, so that the
//! recovery's timing is caught), as a tracing subscriber is; until then
//! every recording goes nowhere and costs next to nothing.

use std::sync::Mutex;
use std::time::Duration;

use metrics_exporter_prometheus::{BuildError, Matcher, PrometheusBuilder, PrometheusHandle};
use mini_kvstore::telemetry::GROUP_COMMIT_WRITES;

use crate::metrics::catalogue;

/// Upper bounds of the buckets of every `…_seconds` histogram: from 100 µs
/// (a cached read, a fast fsync) to a minute (a large merge).
const SECONDS_BUCKETS: &[f64] = &[
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
    5.0, 10.0, 30.0, 60.0,
];

/// Upper bounds of the buckets of writes per group commit: one writer
/// alone, then powers of two up to a crowd of pipelined clients.
const WRITES_BUCKETS: &[f64] = &[
    1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0, 512.0, 1024.0, 4096.0,
];

/// How often histograms are drained into their buckets between scrapes,
/// which bounds the memory samples take however rarely someone scrapes.
const UPKEEP_INTERVAL: Duration = Duration::from_secs(5);

/// The one recorder of this process, once installed.
static INSTALLED: Mutex<Option<Metrics>> = Mutex::new(None);

/// Why [`Metrics::install`] failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MetricsError {
    /// Another recorder is the process's already (or the buckets were
    /// refused).
    #[error("cannot install the Prometheus recorder: {0}")]
    Install(#[source] BuildError),

    /// The thread that drains histograms could not start.
    #[error("cannot start the metrics upkeep thread: {0}")]
    Upkeep(#[source] std::io::Error),
}

/// The installed Prometheus recorder: give it to
/// [`Config::metrics`](crate::Config::metrics) to serve `GET /metrics`, or
/// to [`serve`](crate::metrics::serve) for a port of its own. Cheap to
/// clone.
#[derive(Debug, Clone)]
pub struct Metrics {
    handle: PrometheusHandle,
}

impl Metrics {
    /// Installs the Prometheus recorder as the process's `metrics`
    /// recorder, with histogram buckets for every duration and for writes
    /// per group commit and a help line for every metric, and starts a
    /// thread that drains histograms every few seconds. A second call
    /// returns the first call's recorder.
    ///
    /// Install it before serving: what is recorded before goes nowhere,
    /// and the Redis-protocol commands take their counters from the
    /// recorder there is at the first command.
    pub fn install() -> Result<Metrics, MetricsError> {
        let mut installed = INSTALLED.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(metrics) = installed.as_ref() {
            return Ok(metrics.clone());
        }
        let handle = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), SECONDS_BUCKETS)
            .and_then(|builder| {
                builder.set_buckets_for_metric(
                    Matcher::Full(GROUP_COMMIT_WRITES.into()),
                    WRITES_BUCKETS,
                )
            })
            .and_then(PrometheusBuilder::install_recorder)
            .map_err(MetricsError::Install)?;
        catalogue::describe();
        let upkeep = handle.clone();
        std::thread::Builder::new()
            .name("metrics-upkeep".into())
            .spawn(move || {
                loop {
                    std::thread::sleep(UPKEEP_INTERVAL);
                    upkeep.run_upkeep();
                }
            })
            .map_err(MetricsError::Upkeep)?;
        let metrics = Metrics { handle };
        *installed = Some(metrics.clone());
        Ok(metrics)
    }

    /// Everything recorded so far, in Prometheus's text format.
    pub(crate) fn render(&self) -> String {
        self.handle.render()
    }
}
