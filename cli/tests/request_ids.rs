//! JSON logs and request ids: with `--log-format json` and `RUST_LOG=info`
//! every line the real server writes on stderr is a JSON object, and every
//! answered request has one whose span carries its id. The id is the
//! client's `x-request-id` when it is fit to keep, and a new UUID when it
//! is missing or not fit (a space in it, too long); either way the answer
//! returns it in `x-request-id`.

mod common;
mod server_support;

use anyhow::{Context, Result, ensure};
use serde_json::Value;
use server_support::{Reply, Server, server_command};

/// Whether `id` looks like what the server makes: a hyphenated UUID.
fn is_uuid(id: &str) -> bool {
    id.len() == 36
        && id.char_indices().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => c == '-',
            _ => c.is_ascii_hexdigit(),
        })
}

/// The request id an answer carries.
fn id_of(reply: &Reply) -> Result<String> {
    reply
        .header("x-request-id")
        .map(str::to_owned)
        .with_context(|| format!("no x-request-id in {reply:?}"))
}

#[test]
fn json_log_lines_carry_the_request_id_the_answer_returns() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let mut command = server_command(&dir.path().join("data"), "logs");
    command
        .args(["--log-format", "json"])
        .env("RUST_LOG", "info");
    let server = Server::start(command, &dir.path().join("stderr"))?;

    let kept = server.request(
        "GET",
        "/health",
        &[("x-request-id", "client-7/retry:1")],
        b"",
    )?;
    ensure!(kept.status == 200, "{kept:?}");
    ensure!(id_of(&kept)? == "client-7/retry:1", "{kept:?}");

    let made = server.request("PUT", "/blobs/logged", &[], b"v")?;
    ensure!(made.status == 201, "{made:?}");
    let made_id = id_of(&made)?;
    ensure!(is_uuid(&made_id), "{made_id:?}");

    let too_long = "x".repeat(129);
    let mut replaced = Vec::new();
    for unfit in ["has space", too_long.as_str()] {
        let reply = server.request("GET", "/blobs/logged", &[("x-request-id", unfit)], b"")?;
        ensure!(reply.status == 200, "{reply:?}");
        let id = id_of(&reply)?;
        ensure!(is_uuid(&id), "an unfit id {unfit:?} came back as {id:?}");
        replaced.push(id);
    }
    ensure!(
        replaced[0] != replaced[1] && !replaced.contains(&made_id),
        "ids repeat: {made_id} {replaced:?}"
    );

    // Each answer's log line was written before the answer went out.
    let log = server.log();
    let lines: Vec<Value> = log
        .lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| serde_json::from_str(line).with_context(|| format!("not JSON: {line:?}")))
        .collect::<Result<_>>()?;
    let answered = |id: &str, status: u64, uri: &str| {
        lines.iter().any(|line| {
            line["span"]["request_id"] == id
                && line["span"]["uri"] == uri
                && line["status"] == status
                && line["level"] == "INFO"
                && line["timestamp"].is_string()
        })
    };
    ensure!(
        answered("client-7/retry:1", 200, "/health"),
        "no line for the client's id:\n{log}"
    );
    ensure!(
        answered(&made_id, 201, "/blobs/logged"),
        "no line for {made_id}:\n{log}"
    );
    for id in &replaced {
        ensure!(
            answered(id, 200, "/blobs/logged"),
            "no line for {id}:\n{log}"
        );
    }
    ensure!(
        !log.contains("has space") && !log.contains(&too_long),
        "an unfit id reached the log:\n{log}"
    );
    Ok(())
}
