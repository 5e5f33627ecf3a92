//! The README's `redis-cli` session, run: `kvstore` started as the
//! session's first line says, then each `redis-cli` command of
//! `tests/transcript/redis_cli_session.txt` run against it in order, every
//! output compared with the lines that follow it in the file — and the
//! root `README.md` must show that file verbatim, so the README cannot
//! drift from what the server answers.
//!
//! The session is written as it looks on a terminal: lines starting with
//! `$ ` are commands, every other line is output. The server really
//! listens on a free port, not 6380, so the test puts the real port in
//! each command and in the start-up line. On a terminal `redis-cli`
//! formats replies (`(integer) 1`, quoted strings, numbered arrays); piped,
//! it prints them bare, so the test passes `--no-raw` to get what a reader
//! typing the commands sees.

mod common;
mod resp_support;

use anyhow::{Context, Result, bail, ensure};
use resp_support::{RespServer, cli_output, redis_cli, resp_command};

const SESSION: &str = include_str!("transcript/redis_cli_session.txt");
const ROOT_README: &str = include_str!("../../README.md");

/// The session's first line: how the README starts the server.
const START: &str = "$ kvstore --volume data --id my-vol --resp-port 6380 --no-http &";
/// The port the session shows.
const SHOWN_PORT: &str = "6380";
const CLI_PREFIX: &str = "$ redis-cli -p 6380 ";

/// One command of the session and the output shown after it.
struct Step {
    line: String,
    output: String,
}

fn steps() -> Vec<Step> {
    let mut steps: Vec<Step> = Vec::new();
    for line in SESSION.lines() {
        match steps.last_mut() {
            Some(step) if !line.starts_with("$ ") => {
                step.output.push_str(line);
                step.output.push('\n');
            }
            _ => steps.push(Step {
                line: line.to_owned(),
                output: String::new(),
            }),
        }
    }
    steps
}

/// Splits a command line the way a shell would for the words used here:
/// bare words, and `'…'` or `"…"` quoted ones (no escapes, no expansion).
fn words(line: &str) -> Result<Vec<String>> {
    ensure!(
        !line.contains('\\') && line.matches(['\'', '"']).count().is_multiple_of(2),
        "the session's commands use plain quoting only: {line}"
    );
    let mut words = Vec::new();
    let mut chars = line.chars().peekable();
    while let Some(&c) = chars.peek() {
        if c == ' ' {
            chars.next();
            continue;
        }
        let mut word = String::new();
        while let Some(&c) = chars.peek() {
            match c {
                ' ' => break,
                '\'' | '"' => {
                    chars.next();
                    let quoted: String = chars.by_ref().take_while(|&q| q != c).collect();
                    word.push_str(&quoted);
                }
                _ => {
                    word.push(c);
                    chars.next();
                }
            }
        }
        words.push(word);
    }
    Ok(words)
}

#[test]
fn redis_cli_prints_the_session() -> Result<()> {
    let steps = steps();
    let (start, commands) = steps.split_first().context("an empty session")?;
    ensure!(
        start.line == START,
        "the session must start the server with {START:?}, not {:?}",
        start.line
    );
    let dir = tempfile::tempdir()?;
    let server = RespServer::start_command(
        resp_command(&dir.path().join("data"), "my-vol"),
        &dir.path().join("log"),
    )?;
    let port = server.port().to_string();
    assert_eq!(
        start.output.replace(SHOWN_PORT, &port),
        format!("listening on redis://127.0.0.1:{port}\n"),
        "the start-up line"
    );

    for (i, step) in commands.iter().enumerate() {
        let Some(command) = step.line.strip_prefix(CLI_PREFIX) else {
            bail!("line {:?} is not `{CLI_PREFIX}…`", step.line);
        };
        let args = words(command)?;
        let output = cli_output(redis_cli(server.address).arg("--no-raw").args(&args))?;
        assert_eq!(
            output,
            step.output,
            "command {} of the session: {}\nserver log:\n{}",
            i + 1,
            step.line,
            server.log()
        );
    }
    Ok(())
}

#[test]
fn the_readme_shows_the_session() {
    assert!(
        ROOT_README.contains(&format!("```text\n{SESSION}```")),
        "README.md must show cli/tests/transcript/redis_cli_session.txt verbatim in a ```text block"
    );
}
