//! Child processes: how tasks find `cargo`, run commands with the terminal
//! handed through, and report a command that failed.
//!
//! Children inherit stdin, stdout and stderr, so cargo's colours and progress
//! bars and an interactive `kvstore` REPL behave as if run by hand. Every
//! command runs from the workspace root, whatever directory `cargo xtask` was
//! started in.

use std::error::Error;
use std::ffi::OsStr;
use std::fmt;
use std::path::Path;
use std::process::{Command, ExitStatus};

use anyhow::{Context, Result};

/// A child process that ran and exited unsuccessfully.
#[derive(Debug)]
pub(crate) struct Failed {
    /// The command as [`shown`] prints it.
    pub(crate) command: String,
    /// How it ended.
    pub(crate) status: ExitStatus,
}

impl fmt::Display for Failed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}` failed ({})", self.command, self.status)
    }
}

impl Error for Failed {}

/// The workspace root: this crate lives one directory below it.
pub(crate) fn workspace_root() -> &'static Path {
    let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest_dir.parent().unwrap_or(manifest_dir)
}

/// A `cargo` command, run from the workspace root.
///
/// Uses the cargo that launched us (`$CARGO`), so a pinned or `+nightly`
/// toolchain stays the same for every step.
pub(crate) fn cargo() -> Command {
    let program = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    command(program)
}

/// Any program, run from the workspace root.
pub(crate) fn command(program: impl AsRef<OsStr>) -> Command {
    let mut command = Command::new(program);
    command.current_dir(workspace_root());
    command
}

/// Runs `command` with inherited stdio; a non-zero exit becomes [`Failed`].
pub(crate) fn run(command: &mut Command) -> Result<()> {
    let shown = shown(command);
    let status = command
        .status()
        .with_context(|| format!("could not start `{shown}`"))?;
    if status.success() {
        Ok(())
    } else {
        Err(Failed {
            command: shown,
            status,
        }
        .into())
    }
}

/// Runs `command` and returns its stdout; stderr goes into the error on failure.
pub(crate) fn output(command: &mut Command) -> Result<String> {
    let shown = shown(command);
    let output = command
        .output()
        .with_context(|| format!("could not start `{shown}`"))?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        return Err(anyhow::Error::new(Failed {
            command: shown,
            status: output.status,
        })
        .context(stderr.trim().to_owned()));
    }
    String::from_utf8(output.stdout).with_context(|| format!("`{shown}` printed non-UTF-8 output"))
}

/// The command as a person would type it: extra environment variables first,
/// then the program's name (not its full path), then the arguments.
pub(crate) fn shown(command: &Command) -> String {
    let mut words = Vec::new();
    for (key, value) in command.get_envs() {
        if let Some(value) = value {
            words.push(format!("{}={}", key.to_string_lossy(), quoted(value)));
        }
    }
    let program = Path::new(command.get_program());
    let name = program.file_stem().unwrap_or(program.as_os_str());
    words.push(quoted(name));
    words.extend(command.get_args().map(quoted));
    words.join(" ")
}

fn quoted(word: &OsStr) -> String {
    let word = word.to_string_lossy();
    if word.is_empty() || word.contains(char::is_whitespace) {
        format!("{word:?}")
    } else {
        word.into_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shows_environment_short_program_name_and_quoted_arguments() {
        let mut doc = Command::new("/home/me/.cargo/bin/cargo");
        doc.env("RUSTDOCFLAGS", "-D warnings")
            .args(["doc", "--no-deps"]);
        assert_eq!(
            shown(&doc),
            r#"RUSTDOCFLAGS="-D warnings" cargo doc --no-deps"#
        );
    }

    #[test]
    fn workspace_root_holds_the_workspace_manifest() {
        assert!(workspace_root().join("Cargo.toml").is_file());
        assert!(workspace_root().join("xtask").is_dir());
    }
}
