//! `cargo xtask setup`: install what the checks and `start` need, skipping
//! whatever is already present, so it is safe to run any number of times.
//!
//! Each [`Requirement`] says how to tell whether it is present and how to
//! install it; adding a tool is one more entry in [`REQUIREMENTS`]. The
//! playground needs the most: wasm-bindgen-cli (the version `web/Cargo.toml`
//! pins, which also brings `wasm-bindgen-test-runner` for the browser tests),
//! trunk to build `dist/`, Debian's Chromium and chromedriver for the browser
//! and end-to-end tests, Debian's redis-tools (`redis-cli`,
//! `redis-benchmark`) for the Redis-protocol tests, twemproxy (Debian's
//! `nutcracker`) for the test that shards over three servers
//! (`cli/tests/resp_twemproxy.rs`), `redis-server` for the load benchmark
//! to compare against, `promtool` (Debian's `prometheus`) for the test that
//! lints `GET /metrics` (`server/tests/metrics.rs`), and the end-to-end
//! suite's npm packages.

use std::io;
use std::path::Path;

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

/// The wasm-bindgen-cli release `web/Cargo.toml` pins `wasm-bindgen` to
/// (`=0.2.130`): the CLI refuses modules made by any other version.
const WASM_BINDGEN_VERSION: &str = "0.2.130";
/// trunk 0.21.x; 0.22 needs a newer rustc than this workspace's.
const TRUNK_VERSION: &str = "0.21.14";
/// Debian's Chromium and its driver, where the browser tests
/// (`web/webdriver.json`) and the end-to-end suite look for them.
pub(crate) const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";
/// Where Debian's `nutcracker` package puts twemproxy (`/usr/sbin` is not
/// on every user's `PATH`; `nutcracker --version` prints to stderr).
const NUTCRACKER: &str = "/usr/sbin/nutcracker";
/// The Playwright suite, with its own `package.json` and lock file.
pub(crate) const E2E_DIR: &str = "tests/e2e";

/// Everything `setup` makes sure of, in order (cheap checks first; trunk
/// takes minutes to compile the first time).
const REQUIREMENTS: &[Requirement] = &[
    WASM_TARGET_REQUIREMENT,
    Requirement {
        name: "wasm-bindgen-cli 0.2.130 (wasm-bindgen, wasm-bindgen-test-runner)",
        is_present: wasm_bindgen_is_installed,
        install: install_wasm_bindgen,
    },
    Requirement {
        name: "trunk 0.21.14",
        is_present: trunk_is_installed,
        install: install_trunk,
    },
    Requirement {
        name: "Chromium and chromedriver (Debian: chromium, chromium-driver)",
        is_present: chromium_is_installed,
        install: install_chromium,
    },
    Requirement {
        name: "redis-cli and redis-benchmark (Debian: redis-tools), real clients of the Redis protocol",
        is_present: redis_tools_are_installed,
        install: install_redis_tools,
    },
    Requirement {
        name: "twemproxy (Debian: nutcracker), the proxy the scale-out test shards through",
        is_present: nutcracker_is_installed,
        install: install_nutcracker,
    },
    Requirement {
        name: "redis-server (Debian: redis-server), what the load benchmark compares against",
        is_present: redis_server_is_installed,
        install: install_redis_server,
    },
    Requirement {
        name: "promtool (Debian: prometheus), Prometheus's linter for the /metrics test",
        is_present: promtool_is_installed,
        install: install_promtool,
    },
    Requirement {
        name: "the end-to-end suite's npm packages (tests/e2e)",
        is_present: e2e_packages_are_installed,
        install: install_e2e_packages,
    },
];

/// Installs every missing requirement, saying what it skipped.
pub(crate) fn run() -> Result<()> {
    REQUIREMENTS.iter().try_for_each(ensure)
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

/// The first line `program --version` prints, or `None` when the program is
/// not installed (or cannot say its version).
fn version_of(program: &str) -> Result<Option<String>> {
    match std::process::Command::new(program)
        .arg("--version")
        .output()
    {
        Ok(output) if output.status.success() => {
            let stdout = String::from_utf8_lossy(&output.stdout);
            Ok(stdout.lines().next().map(|line| line.trim().to_owned()))
        }
        Ok(_) => Ok(None),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e).with_context(|| format!("could not run `{program} --version`")),
    }
}

fn wasm_bindgen_is_installed() -> Result<bool> {
    let wanted = |program: &str| -> Result<bool> {
        Ok(version_of(program)? == Some(format!("{program} {WASM_BINDGEN_VERSION}")))
    };
    Ok(wanted("wasm-bindgen")? && wanted("wasm-bindgen-test-runner")?)
}

fn install_wasm_bindgen() -> Result<()> {
    // Not `--locked`: the CLI's own lock file pins crates that no longer
    // build with current compilers.
    process::run(process::cargo().args([
        "install",
        "wasm-bindgen-cli",
        "--version",
        WASM_BINDGEN_VERSION,
    ]))
}

fn trunk_is_installed() -> Result<bool> {
    Ok(version_of("trunk")?.is_some_and(|version| version.starts_with("trunk 0.21.")))
}

fn install_trunk() -> Result<()> {
    process::run(process::cargo().args([
        "install",
        "trunk",
        "--version",
        TRUNK_VERSION,
        "--locked",
    ]))
}

fn chromium_is_installed() -> Result<bool> {
    Ok(Path::new(CHROMIUM).exists() && Path::new(CHROMEDRIVER).exists())
}

fn install_chromium() -> Result<()> {
    apt_install(&["chromium", "chromium-driver"])
}

/// `apt-get update`, then `apt-get install -y PACKAGES`.
fn apt_install(packages: &[&str]) -> Result<()> {
    let apt = |args: &[&str]| {
        process::run(
            process::command("apt-get")
                .args(args)
                .env("DEBIAN_FRONTEND", "noninteractive"),
        )
        .context("apt-get needs root (and a Debian or Ubuntu machine)")
    };
    apt(&["update"])?;
    let mut install = vec!["install", "-y"];
    install.extend_from_slice(packages);
    apt(&install)
}

fn redis_tools_are_installed() -> Result<bool> {
    Ok(version_of("redis-cli")?.is_some() && version_of("redis-benchmark")?.is_some())
}

fn install_redis_tools() -> Result<()> {
    apt_install(&["redis-tools"])
}

fn nutcracker_is_installed() -> Result<bool> {
    Ok(Path::new(NUTCRACKER).exists())
}

fn install_nutcracker() -> Result<()> {
    apt_install(&["nutcracker"])
}

fn redis_server_is_installed() -> Result<bool> {
    Ok(version_of("redis-server")?.is_some())
}

fn install_redis_server() -> Result<()> {
    apt_install(&["redis-server"])
}

fn promtool_is_installed() -> Result<bool> {
    Ok(version_of("promtool")?.is_some())
}

fn install_promtool() -> Result<()> {
    // Debian ships promtool only inside the server's package. Without its
    // recommendation, node-exporter, which would be one more service.
    apt_install(&["--no-install-recommends", "prometheus"])
}

fn e2e_packages_are_installed() -> Result<bool> {
    let marker = process::workspace_root()
        .join(E2E_DIR)
        .join("node_modules/playwright-core/package.json");
    Ok(marker.exists())
}

fn install_e2e_packages() -> Result<()> {
    // `npm ci` installs exactly the lock file; it never downloads a browser
    // (playwright-core has no install script), the suite uses Debian's.
    process::run(
        process::command("npm")
            .args(["ci", "--no-audit", "--no-fund"])
            .current_dir(process::workspace_root().join(E2E_DIR)),
    )
    .context("the end-to-end suite needs Node.js and npm")
}
