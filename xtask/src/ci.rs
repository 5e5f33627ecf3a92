//! `cargo xtask ci`: every check a reviewer would run, in order, stopping at
//! the first failure.
//!
//! The checks are data: [`STEPS`] lists them, and the runner prints a
//! `==> step: command` header before each and a timed summary at the end.
//! Adding a check (browser tests, the trunk build) means adding one entry.
//!
//! Order matters: the cheap checks that fail most often (formatting, lints)
//! come first, the expensive ones (tests, docs) after.

use std::time::{Duration, Instant};

use anyhow::{Result, bail};

use crate::process;
use crate::setup;

/// One check.
struct Step {
    /// Short name used in headers and the summary.
    name: &'static str,
    action: Action,
}

/// What a step does.
enum Action {
    /// Run `cargo` with these whitespace-separated arguments and extra
    /// environment variables.
    Cargo {
        args: &'static str,
        env: &'static [(&'static str, &'static str)],
    },
    /// Call a function; `shown` is what the header prints for it.
    Task {
        shown: &'static str,
        run: fn() -> Result<()>,
    },
}

impl Step {
    const fn cargo(name: &'static str, args: &'static str) -> Self {
        let action = Action::Cargo { args, env: &[] };
        Self { name, action }
    }

    const fn with_env(self, env: &'static [(&'static str, &'static str)]) -> Self {
        match self.action {
            Action::Cargo { args, .. } => {
                let action = Action::Cargo { args, env };
                Self { action, ..self }
            }
            Action::Task { .. } => panic!("only cargo steps take environment variables"),
        }
    }

    const fn task(name: &'static str, shown: &'static str, run: fn() -> Result<()>) -> Self {
        let action = Action::Task { shown, run };
        Self { name, action }
    }
}

/// The checks, in the order they run.
///
/// Arguments are split on whitespace, so none may contain a space; the wasm
/// target is spelled out because `const` strings cannot be concatenated
/// (a test keeps it equal to [`setup::WASM_TARGET`]).
const STEPS: &[Step] = &[
    Step::task(
        "setup",
        "cargo xtask setup (installs what is missing: the wasm target, wasm-bindgen-cli, trunk, Chromium, npm packages)",
        setup::run,
    ),
    Step::cargo("fmt", "fmt --all -- --check"),
    Step::cargo("clippy", "clippy --workspace --all-targets -- -D warnings"),
    Step::cargo(
        "clippy-wasm",
        "clippy -p mini-kvstore -p mini-kvstore-commands -p mini-kvstore-web --target wasm32-unknown-unknown -- -D warnings",
    ),
    Step::cargo("build", "build --workspace --all-targets"),
    // Includes the doc tests.
    Step::cargo("test", "test --workspace"),
    // Again with its output shown: the number of crash points it explored
    // belongs in the CI log (docs/DURABILITY.md).
    Step::cargo(
        "crash-points",
        "test -p mini-kvstore --test crash_points -- --nocapture --test-threads=1",
    ),
    Step::cargo("doc", "doc --workspace --no-deps").with_env(&[("RUSTDOCFLAGS", "-D warnings")]),
    Step::cargo(
        "check-wasm",
        "check -p mini-kvstore -p mini-kvstore-commands --target wasm32-unknown-unknown",
    ),
    // The playground: its IndexedDB tests in headless Chromium (runner from
    // .cargo/config.toml, browser from web/webdriver.json), the trunk build,
    // then the end-to-end suite against that build.
    Step::cargo(
        "browser-tests",
        "test -p mini-kvstore-web --target wasm32-unknown-unknown",
    )
    .with_env(&[("CHROMEDRIVER", setup::CHROMEDRIVER)]),
    Step::task("trunk", "trunk build --release --offline", build_playground),
    Step::task("e2e", "node --test tests/e2e", run_e2e),
    // Proves the comparison command works (debug build, shrunk sizes, the
    // figures mean nothing and are not written anywhere).
    Step::cargo(
        "bench-quick",
        "run -p mini-kvstore-bench --example bench-compare -- --quick",
    ),
];

/// Builds the playground into `dist/` with the installed wasm-bindgen
/// (`--offline`: trunk must not fetch tools of its own).
pub(crate) fn build_playground() -> Result<()> {
    process::run(process::command("trunk").args(["build", "--release", "--offline"]))
}

/// The Playwright suite (node's test runner) against `dist/`.
fn run_e2e() -> Result<()> {
    process::run(process::command("node").args(["--test", setup::E2E_DIR]))
}

/// How a step ended, for the summary.
enum Outcome {
    Passed(Duration),
    Failed(Duration),
    NotRun,
}

/// Runs [`STEPS`] in order and stops at the first failure.
pub(crate) fn run() -> Result<()> {
    let started = Instant::now();
    let mut outcomes = Vec::with_capacity(STEPS.len());
    let mut failure = None;
    eprintln!("(every cargo step below runs with CARGO_INCREMENTAL=0)");

    for step in STEPS {
        if failure.is_some() {
            outcomes.push(Outcome::NotRun);
            continue;
        }
        eprintln!("\n==> {}: {}", step.name, describe(step));
        let step_started = Instant::now();
        let result = execute(step);
        let took = step_started.elapsed();
        match result {
            Ok(()) => outcomes.push(Outcome::Passed(took)),
            Err(err) => {
                outcomes.push(Outcome::Failed(took));
                failure = Some((step.name, err));
            }
        }
    }

    print_summary(&outcomes, started.elapsed());
    if let Some((name, err)) = failure {
        bail!("ci failed at step `{name}`: {err:#}");
    }
    Ok(())
}

fn describe(step: &Step) -> String {
    match &step.action {
        Action::Cargo { .. } => process::shown(&cargo_command(step)),
        Action::Task { shown, .. } => (*shown).to_owned(),
    }
}

fn execute(step: &Step) -> Result<()> {
    match &step.action {
        // A CI run builds everything once: incremental caches would only
        // take disk (gigabytes of it, on machines that have run out). Set
        // here rather than per step, so the headers show what is particular
        // to each step (see the start of `run`).
        Action::Cargo { .. } => process::run(cargo_command(step).env("CARGO_INCREMENTAL", "0")),
        Action::Task { run, .. } => run(),
    }
}

fn cargo_command(step: &Step) -> std::process::Command {
    let mut command = process::cargo();
    if let Action::Cargo { args, env } = &step.action {
        command
            .args(args.split_whitespace())
            .envs(env.iter().copied());
    }
    command
}

fn print_summary(outcomes: &[Outcome], total: Duration) {
    eprintln!("\n==> summary");
    for (step, outcome) in STEPS.iter().zip(outcomes) {
        match outcome {
            Outcome::Passed(took) => summary_line(step.name, "ok", &seconds(*took)),
            Outcome::Failed(took) => summary_line(step.name, "FAILED", &seconds(*took)),
            Outcome::NotRun => summary_line(step.name, "not run", ""),
        }
    }
    summary_line("total", "", &seconds(total));
}

fn summary_line(name: &str, verdict: &str, took: &str) {
    let line = format!("    {name:<12} {verdict:<8} {took:>8}");
    eprintln!("{}", line.trim_end());
}

fn seconds(duration: Duration) -> String {
    format!("{:.1}s", duration.as_secs_f64())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn step_names_are_unique() {
        for (i, step) in STEPS.iter().enumerate() {
            assert!(
                STEPS[i + 1..].iter().all(|other| other.name != step.name),
                "two steps are named `{}`",
                step.name
            );
        }
    }

    #[test]
    fn wasm_steps_name_the_setup_target() {
        for step in STEPS {
            let shown = describe(step);
            for word in shown.split_whitespace() {
                if word.starts_with("wasm32") {
                    assert_eq!(word, setup::WASM_TARGET, "in `{shown}`");
                }
            }
        }
    }

    #[test]
    fn doc_step_denies_rustdoc_warnings() {
        let doc = STEPS.iter().find(|step| step.name == "doc");
        let shown = doc.map(describe).unwrap_or_default();
        assert_eq!(
            shown,
            r#"RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps"#
        );
    }
}
