//! Metrics: `GET /metrics` in Prometheus's text format, on the REST port
//! and, with `kvstore --metrics-port N`, on a port of its own ([`serve`]).
//!
//! Recordings go through the `metrics` facade to the Prometheus recorder
//! the program installs ([`Metrics::install`]); the engine records its own
//! timings (fsyncs, group commits, merges, recovery) the same way, behind
//! its `metrics` feature. What the engine keeps anyway — keys, bytes,
//! amplification, merges run — is read from its stats at each scrape
//! rather than counted a second time. Every name and help line is in
//! `catalogue`; `server/README.md` lists them.
//!
//! | module | what |
//! |---|---|
//! | `catalogue` | every metric's name, kind and help line |
//! | `recorder` | [`Metrics`]: installing the recorder once per process, rendering |
//! | `http` | the middleware counting and timing requests by method, route template and status |
//! | `connections` | the listener that counts open HTTP connections |
//! | `resp` | counting and timing Redis-protocol commands by name, for the dispatcher |
//! | `store` | the store's gauges and counters, from its stats |
//! | `scrape` | the `/metrics` route, and [`serve`] for a port of its own |
//!
//! Near the bottom of the crate's imports: the configuration, the router
//! and the RESP dispatcher use it; of the rest it uses only `error` and,
//! for [`serve`], `transport`.

mod catalogue;
mod connections;
pub(crate) mod http;
mod recorder;
pub(crate) mod resp;
mod scrape;
mod store;

pub(crate) use connections::{CountedListener, OpenConnection};
pub use recorder::{Metrics, MetricsError};
pub(crate) use scrape::routes;
pub use scrape::serve;
