//! Helpers shared by the CLI's integration tests: a `kvstore` command bound to
//! a temporary data directory, with an environment that cannot leak in.
//!
//! Each test file is its own crate and uses only some of these, hence the
//! `dead_code` allowance.
#![allow(dead_code)]

pub(crate) mod env;

use std::path::{Path, PathBuf};
use std::time::Duration;

use assert_cmd::Command;
use tempfile::TempDir;

/// A generous limit: the REPL must end on its own at end of input, so a test
/// that reaches it has found a loop.
const TIMEOUT: Duration = Duration::from_secs(60);

/// A temporary data directory, removed when dropped.
pub(crate) struct Store {
    dir: TempDir,
}

impl Store {
    pub(crate) fn new() -> Self {
        Store {
            dir: tempfile::tempdir().expect("create a temporary directory"),
        }
    }

    /// Where the segments live (a directory `kvstore` creates on first use).
    pub(crate) fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// The temporary directory itself, for files next to the data.
    pub(crate) fn root(&self) -> &Path {
        self.dir.path()
    }

    /// `kvstore --data-dir <tmp>/data ARGS…`, with no stdin.
    pub(crate) fn cmd(&self, args: &[&str]) -> Command {
        let mut cmd = kvstore();
        cmd.arg("--data-dir").arg(self.data_dir()).args(args);
        cmd
    }

    /// `kvstore --data-dir <tmp>/data` (the REPL) with `script` piped in.
    pub(crate) fn repl(&self, script: &str) -> Command {
        let mut cmd = self.cmd(&[]);
        cmd.write_stdin(script.to_owned());
        cmd
    }

    /// Runs a one-shot command that must succeed and returns its stdout.
    pub(crate) fn ok(&self, args: &[&str]) -> String {
        let output = self
            .cmd(args)
            .assert()
            .success()
            .get_output()
            .stdout
            .clone();
        String::from_utf8(output).expect("stdout is UTF-8")
    }

    /// Runs a REPL session that must end with status 0 and returns its stdout.
    pub(crate) fn session(&self, script: &str) -> String {
        let output = self.repl(script).assert().success().get_output().clone();
        assert!(
            output.stderr.is_empty(),
            "stderr: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).expect("stdout is UTF-8")
    }

    /// The path of segment `id`.
    pub(crate) fn segment(&self, id: u32) -> PathBuf {
        self.data_dir().join(format!("segment-{id:08}.dat"))
    }
}

/// The `kvstore` binary with every environment variable it reads removed,
/// so a developer's shell cannot change what a test sees.
pub(crate) fn kvstore() -> Command {
    let mut cmd = Command::cargo_bin("kvstore").expect("the kvstore binary is built");
    for var in env::KVSTORE_ENV {
        cmd.env_remove(var);
    }
    cmd.timeout(TIMEOUT);
    cmd
}
