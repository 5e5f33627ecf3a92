//! `GET /metrics` scraped from running servers after known work — PUTs and
//! GETs over HTTP, Redis-protocol commands through redis-rs, one
//! compaction — checked by Prometheus's own linter (`promtool check
//! metrics`, Debian's `prometheus` package) and against that work: the
//! counters count exactly what was sent, the store's gauges say what its
//! stats say, open connections rise and fall with the sockets.
//!
//! One test in this file: the recorder is global to the process, so a
//! second test running beside it would add to its counters.

use std::collections::BTreeMap;
use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail, ensure};
use mini_kvstore::{CompactionPolicy, KvStore, Options};
use mini_kvstore_server::metrics::Metrics;
use mini_kvstore_server::resp::RespConfig;
use mini_kvstore_server::{Config, run};
use redis::AsyncCommands;
use reqwest::StatusCode;
use tokio::net::TcpListener;

/// What to tell whoever runs this without promtool.
const RUN_SETUP: &str =
    "promtool is not installed: run `cargo xtask setup`, which installs it (Debian: prometheus)";

/// How long a gauge may take to follow a socket closed on the other side.
const PATIENCE: Duration = Duration::from_secs(10);

/// The route template every `/blobs/…` request counts under.
const BLOB_ROUTE: &str = "/blobs/{*key}";

#[tokio::test]
async fn a_scrape_after_known_work_passes_promtool_and_counts_that_work() -> anyhow::Result<()> {
    promtool_version()?;
    // Before the store opens, as the binary does, so its recovery is timed.
    let metrics = Metrics::install()?;
    let dir = tempfile::tempdir()?;
    // No background merges: the one compaction is the test's own.
    let options =
        Options::default().compaction_policy(CompactionPolicy::default().background(false));
    let store = KvStore::open_with_options(dir.path().join("data"), options)?;

    let (stop, stopped) = tokio::sync::watch::channel(false);
    let until_stopped = move || {
        let mut stopped = stopped.clone();
        async move {
            let _ = stopped.wait_for(|stop| *stop).await;
        }
    };
    let http = TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", http.local_addr()?);
    let config = Config::new("metrics-vol")
        .playground_dir(dir.path().join("no-playground"))
        .metrics(metrics.clone());
    let http_server = tokio::spawn(run(http, store.clone(), config, until_stopped()));
    let resp = TcpListener::bind("127.0.0.1:0").await?;
    let resp_address = resp.local_addr()?;
    let resp_server = tokio::spawn(mini_kvstore_server::resp::serve(
        store.clone(),
        resp,
        RespConfig::new(),
        until_stopped(),
    ));
    let own = TcpListener::bind("127.0.0.1:0").await?;
    let own_base = format!("http://{}", own.local_addr()?);
    let own_server = tokio::spawn(mini_kvstore_server::metrics::serve(
        own,
        store.clone(),
        metrics,
        until_stopped(),
    ));

    // The work, over HTTP.
    const PUTS: usize = 7;
    const OVERWRITES: usize = 3;
    const GETS: usize = 5;
    const MISSES: usize = 2;
    let client = reqwest::Client::new();
    for i in 0..PUTS {
        let put = client
            .put(format!("{base}/blobs/key-{i}"))
            .body(format!("value {i}"));
        ensure!(put.send().await?.status() == StatusCode::CREATED);
    }
    for i in 0..OVERWRITES {
        let put = client.put(format!("{base}/blobs/key-{i}")).body("again");
        ensure!(put.send().await?.status() == StatusCode::OK);
    }
    for i in 0..GETS {
        let get = client.get(format!("{base}/blobs/key-{}", i % PUTS));
        ensure!(get.send().await?.status() == StatusCode::OK);
    }
    for i in 0..MISSES {
        let get = client.get(format!("{base}/blobs/absent-{i}"));
        ensure!(get.send().await?.status() == StatusCode::NOT_FOUND);
    }

    // The work, over the Redis protocol.
    const SETS: usize = 4;
    const RESP_GETS: usize = 3;
    let redis = redis::Client::open(format!("redis://{resp_address}/"))?;
    let mut con = redis.get_multiplexed_async_connection().await?;
    for i in 0..SETS {
        let () = con.set(format!("resp-{i}"), i).await?;
    }
    for i in 0..RESP_GETS {
        let value: Option<String> = con.get(format!("resp-{}", i % SETS)).await?;
        ensure!(value == Some((i % SETS).to_string()));
    }
    let unknown: redis::RedisResult<redis::Value> = redis::cmd("NOSUCHCOMMAND")
        .arg("x")
        .query_async(&mut con)
        .await;
    ensure!(unknown.is_err(), "an unknown command answered {unknown:?}");
    let arity: redis::RedisResult<redis::Value> = redis::cmd("GET").query_async(&mut con).await;
    ensure!(arity.is_err(), "GET without a key answered {arity:?}");

    // One compaction.
    let compact = client.post(format!("{base}/compact")).send().await?;
    ensure!(compact.status() == StatusCode::OK);

    // The scrape, and Prometheus's verdict on it.
    let text = scrape(&base).await?;
    promtool_check(&text)?;
    let samples = Samples::parse(&text)?;
    let stats = store.stats();

    let http_requests = |method: &str, route: &str, status: &str| {
        samples.get(
            "kvstore_http_requests_total",
            &[("method", method), ("route", route), ("status", status)],
        )
    };
    assert_eq!(http_requests("PUT", BLOB_ROUTE, "201"), Some(PUTS as f64));
    assert_eq!(
        http_requests("PUT", BLOB_ROUTE, "200"),
        Some(OVERWRITES as f64)
    );
    assert_eq!(http_requests("GET", BLOB_ROUTE, "200"), Some(GETS as f64));
    assert_eq!(http_requests("GET", BLOB_ROUTE, "404"), Some(MISSES as f64));
    assert_eq!(http_requests("POST", "/compact", "200"), Some(1.0));
    assert_eq!(
        samples.get(
            "kvstore_http_request_duration_seconds_count",
            &[("method", "PUT"), ("route", BLOB_ROUTE), ("status", "201")],
        ),
        Some(PUTS as f64),
        "one duration per request"
    );
    // The redis-rs connection above is still open.
    assert_eq!(
        samples.get("kvstore_open_connections", &[("protocol", "resp")]),
        Some(1.0),
        "the RESP client's connection"
    );
    // The raw path never becomes a label.
    assert!(
        !text.contains("key-0"),
        "a raw path in the metrics:\n{text}"
    );

    let commands = |command: &str, result: &str| {
        samples.get(
            "kvstore_resp_commands_total",
            &[("command", command), ("result", result)],
        )
    };
    assert_eq!(commands("set", "ok"), Some(SETS as f64));
    assert_eq!(commands("get", "ok"), Some(RESP_GETS as f64));
    assert_eq!(commands("get", "error"), Some(1.0));
    assert_eq!(commands("unknown", "error"), Some(1.0));
    assert!(
        !text.contains("nosuchcommand"),
        "a client's command name became a label:\n{text}"
    );
    assert_eq!(
        samples.get(
            "kvstore_resp_command_duration_seconds_count",
            &[("command", "set")]
        ),
        Some(SETS as f64)
    );

    // The store's numbers are its stats' (nothing was written since).
    assert_eq!(samples.get("kvstore_keys", &[]), Some((PUTS + SETS) as f64));
    assert_eq!(stats.keys, PUTS + SETS);
    assert_eq!(
        samples.get("kvstore_segments", &[]),
        Some(stats.segments as f64)
    );
    assert_eq!(
        samples.get("kvstore_storage_bytes", &[]),
        Some(stats.total_bytes as f64)
    );
    assert_eq!(
        samples.get("kvstore_live_bytes", &[]),
        Some(stats.live_bytes as f64)
    );
    assert_eq!(
        samples.get("kvstore_dead_bytes", &[]),
        Some(stats.dead_bytes as f64)
    );
    assert_eq!(
        samples.get("kvstore_write_amplification", &[]),
        Some(stats.write_amplification())
    );
    assert_eq!(
        samples.get("kvstore_space_amplification", &[]),
        Some(stats.space_amplification())
    );
    assert_eq!(samples.get("kvstore_poisoned", &[]), Some(0.0));
    assert_eq!(samples.get("kvstore_corrupt_ranges", &[]), Some(0.0));
    assert_eq!(
        samples.get("kvstore_write_bytes_total", &[]),
        Some(stats.user_bytes_written as f64)
    );

    // The compaction.
    assert_eq!(samples.get("kvstore_compactions_total", &[]), Some(1.0));
    assert_eq!(
        samples.get("kvstore_compaction_duration_seconds_count", &[]),
        Some(1.0)
    );
    assert_eq!(
        samples.get("kvstore_compaction_failures_total", &[]),
        Some(0.0)
    );
    let compaction_bytes = samples.get("kvstore_compaction_write_bytes_total", &[]);
    assert_eq!(
        compaction_bytes,
        Some(stats.compaction_bytes_written as f64)
    );
    assert!(compaction_bytes > Some(0.0));
    let compaction_fsyncs = samples.get(
        "kvstore_fsync_duration_seconds_count",
        &[("by", "compaction")],
    );
    assert!(compaction_fsyncs >= Some(1.0), "{compaction_fsyncs:?}");

    // Durability: every write was sent after the last was acknowledged,
    // so each needed an fsync of its own, and group commit made each
    // durable exactly once.
    let writes = (PUTS + OVERWRITES + SETS) as f64;
    let commit_fsyncs = samples.get(
        "kvstore_fsync_duration_seconds_count",
        &[("by", "group_commit")],
    );
    assert!(commit_fsyncs >= Some(writes), "{commit_fsyncs:?}");
    assert_eq!(
        samples.get("kvstore_group_commit_writes_sum", &[]),
        Some(writes)
    );
    let recovery = samples.get("kvstore_recovery_duration_seconds", &[]);
    assert!(recovery >= Some(0.0), "{recovery:?}");

    // Open connections follow the sockets: three idle ones and the scrape's
    // own, then the scrape's alone.
    drop(client);
    let idle = [
        tokio::net::TcpStream::connect(&base["http://".len()..]).await?,
        tokio::net::TcpStream::connect(&base["http://".len()..]).await?,
        tokio::net::TcpStream::connect(&base["http://".len()..]).await?,
    ];
    let open = open_connections_once_they_are(&base, idle.len() + 1).await?;
    assert_eq!(open, idle.len() + 1);
    drop(idle);
    assert_eq!(open_connections_once_they_are(&base, 1).await?, 1);

    // The port of its own renders the same families, and passes too.
    let own_text = scrape(&own_base).await?;
    promtool_check(&own_text)?;
    let own_samples = Samples::parse(&own_text)?;
    assert_eq!(
        own_samples.get("kvstore_keys", &[]),
        Some((PUTS + SETS) as f64)
    );
    assert_eq!(
        own_samples.get(
            "kvstore_resp_commands_total",
            &[("command", "set"), ("result", "ok")]
        ),
        Some(SETS as f64)
    );

    drop(con);
    stop.send(true)?;
    http_server.await??;
    resp_server.await??;
    own_server.await??;
    Ok(())
}

/// `GET {base}/metrics` on a connection of its own, closed once answered.
async fn scrape(base: &str) -> anyhow::Result<String> {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()?;
    let response = client.get(format!("{base}/metrics")).send().await?;
    ensure!(response.status() == StatusCode::OK, "{}", response.status());
    let content_type = response.headers()["content-type"].to_str()?.to_owned();
    ensure!(
        content_type.starts_with("text/plain; version=0.0.4"),
        "{content_type}"
    );
    Ok(response.text().await?)
}

/// Scrapes until `kvstore_open_connections{protocol="http"}` is `wanted`
/// (connections closed by the other side take a moment to be noticed),
/// and returns the last value seen.
async fn open_connections_once_they_are(base: &str, wanted: usize) -> anyhow::Result<usize> {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let samples = Samples::parse(&scrape(base).await?)?;
        let open = samples
            .get("kvstore_open_connections", &[("protocol", "http")])
            .context("no kvstore_open_connections{protocol=\"http\"}")?;
        if open == wanted as f64 || Instant::now() > deadline {
            return Ok(open as usize);
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn promtool_version() -> anyhow::Result<()> {
    match Command::new("promtool").arg("--version").output() {
        Ok(output) if output.status.success() => Ok(()),
        Ok(output) => bail!(
            "`promtool --version` failed ({}): {RUN_SETUP}",
            output.status
        ),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => bail!("{RUN_SETUP}"),
        Err(e) => Err(e).context("cannot run promtool"),
    }
}

/// `promtool check metrics` on `text`: the exposition parses, and every
/// family passes Prometheus's lints (help, `_total` on counters, units).
fn promtool_check(text: &str) -> anyhow::Result<()> {
    let mut child = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("cannot run promtool: {RUN_SETUP}"))?;
    child
        .stdin
        .take()
        .context("no stdin")?
        .write_all(text.as_bytes())?;
    let output = child.wait_with_output()?;
    ensure!(
        output.status.success(),
        "promtool check metrics: {}\n{}{}\non:\n{text}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    Ok(())
}

/// The samples of a text exposition: each series (name and labels) and
/// its value.
struct Samples(Vec<(String, BTreeMap<String, String>, f64)>);

impl Samples {
    fn parse(text: &str) -> anyhow::Result<Samples> {
        let mut samples = Vec::new();
        for line in text.lines() {
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (series, value) = line
                .rsplit_once(' ')
                .with_context(|| format!("no value: {line}"))?;
            let value: f64 = value.parse().with_context(|| format!("value of {line}"))?;
            let (name, labels) = match series.split_once('{') {
                None => (series, BTreeMap::new()),
                Some((name, rest)) => {
                    let inner = rest
                        .strip_suffix('}')
                        .with_context(|| format!("labels of {line}"))?;
                    (name, labels_of(inner).with_context(|| line.to_owned())?)
                }
            };
            samples.push((name.to_owned(), labels, value));
        }
        Ok(Samples(samples))
    }

    /// The value of the series `name` whose labels are exactly `labels`.
    fn get(&self, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
        let wanted: BTreeMap<String, String> = labels
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        self.0
            .iter()
            .find(|(n, l, _)| n == name && *l == wanted)
            .map(|(_, _, value)| *value)
    }
}

/// `a="x",b="y"` as a map; values unescaped (`\"`, `\\`, `\n`).
fn labels_of(mut inner: &str) -> anyhow::Result<BTreeMap<String, String>> {
    let mut labels = BTreeMap::new();
    while !inner.is_empty() {
        let (key, rest) = inner.split_once("=\"").context("a label without a value")?;
        let mut value = String::new();
        let mut chars = rest.char_indices();
        let end = loop {
            match chars.next() {
                Some((_, '\\')) => match chars.next() {
                    Some((_, 'n')) => value.push('\n'),
                    Some((_, c)) => value.push(c),
                    None => bail!("an escape at the end"),
                },
                Some((i, '"')) => break i,
                Some((_, c)) => value.push(c),
                None => bail!("an unterminated label value"),
            }
        };
        labels.insert(key.to_owned(), value);
        inner = rest[end + 1..].trim_start_matches(',');
    }
    Ok(labels)
}
