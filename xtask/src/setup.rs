//! `cargo xtask setup`: install what the checks and `start` need, skipping
//! whatever is already present, so it is safe to run any number of times.
//!
//! Each [`Requirement`] says how to tell whether it is present and how to
//! install it. Later tools (trunk, wasm-bindgen-cli, browser drivers) are one
//! more entry in [`REQUIREMENTS`].

use anyhow::{Context, Result};

use crate::process;

/// The target the engine and the playground compile to for the browser.
pub(crate) const WASM_TARGET: &str = "wasm32-unknown-unknown";

/// Something the workspace's tasks need on this machine.
struct Requirement {
    /// What it is, as printed.
    name: &'static str,
    /// Whether it is already there.
    is_present: fn() -> Result<bool>,
    /// Installs it; only called when it is missing.
    install: fn() -> Result<()>,
}

const WASM_TARGET_REQUIREMENT: Requirement = Requirement {
    name: "rustup target wasm32-unknown-unknown",
    is_present: wasm_target_is_installed,
    install: add_wasm_target,
};

/// Everything `setup` makes sure of, in order.
const REQUIREMENTS: &[Requirement] = &[WASM_TARGET_REQUIREMENT];

/// Installs every missing requirement, saying what it skipped.
pub(crate) fn run() -> Result<()> {
    REQUIREMENTS.iter().try_for_each(ensure)
}

/// Installs the wasm32 target if it is missing (the first `ci` step).
pub(crate) fn ensure_wasm_target() -> Result<()> {
    ensure(&WASM_TARGET_REQUIREMENT)
}

fn ensure(requirement: &Requirement) -> Result<()> {
    let present = (requirement.is_present)()
        .with_context(|| format!("could not tell whether {} is installed", requirement.name))?;
    if present {
        eprintln!("setup: {} is already installed, skipping", requirement.name);
        return Ok(());
    }
    eprintln!("setup: installing {}", requirement.name);
    (requirement.install)().with_context(|| format!("could not install {}", requirement.name))
}

fn wasm_target_is_installed() -> Result<bool> {
    // Run from the workspace root so a `rust-toolchain.toml` there picks the
    // toolchain whose targets we list, the same one cargo will build with.
    let installed =
        process::output(process::command("rustup").args(["target", "list", "--installed"]))
            .context("rustup is needed to manage compilation targets (https://rustup.rs)")?;
    Ok(installed.lines().any(|line| line.trim() == WASM_TARGET))
}

fn add_wasm_target() -> Result<()> {
    process::run(process::command("rustup").args(["target", "add", WASM_TARGET]))
}
