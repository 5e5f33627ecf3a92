//! Child processes a load run starts: each one is killed and reaped when its
//! guard is dropped, and every wait has a deadline, so a step that fails or
//! hangs leaves no stray server or benchmark behind and the run ends.
//!
//! A tool the run needs and the machine lacks is reported by
//! [`installed`], with the task that installs it.
//!
//! Waiting polls `try_wait` (std has no wait with a timeout); SIGTERM goes
//! through `kill(1)`, since std can only send SIGKILL and xtask depends on
//! `std` and `anyhow` alone.

use std::io::Read;
use std::process::{Child, ChildStdout, Command, ExitStatus, Stdio};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use crate::process;

/// How often a wait looks at the child again.
const POLL: Duration = Duration::from_millis(10);

/// A running child, killed (SIGKILL) and reaped on drop unless it has exited.
pub(crate) struct Guarded {
    child: Child,
    /// The command as [`process::shown`] prints it, for errors.
    shown: String,
}

impl Guarded {
    /// Starts `command` as it is configured (stdio included).
    pub(crate) fn spawn(command: &mut Command) -> Result<Guarded> {
        let shown = process::shown(command);
        let child = command
            .spawn()
            .with_context(|| format!("could not start `{shown}`"))?;
        Ok(Guarded { child, shown })
    }

    /// The child's process id.
    pub(crate) fn id(&self) -> u32 {
        self.child.id()
    }

    /// The child's stdout, if it was piped and not taken yet.
    pub(crate) fn take_stdout(&mut self) -> Option<ChildStdout> {
        self.child.stdout.take()
    }

    /// The exit status if the child has exited, without waiting.
    pub(crate) fn exited(&mut self) -> Result<Option<ExitStatus>> {
        Ok(self.child.try_wait()?)
    }

    /// Waits up to `limit` for the child to exit; past it, kills the child
    /// and fails.
    pub(crate) fn wait_within(&mut self, limit: Duration) -> Result<ExitStatus> {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(status) = self.child.try_wait()? {
                return Ok(status);
            }
            if Instant::now() >= deadline {
                self.kill();
                bail!(
                    "`{}` was still running after {} s and was killed",
                    self.shown,
                    limit.as_secs()
                );
            }
            std::thread::sleep(POLL);
        }
    }

    /// Sends SIGTERM, then waits up to `limit` for the exit status.
    pub(crate) fn terminate_within(&mut self, limit: Duration) -> Result<ExitStatus> {
        if self.child.try_wait()?.is_none() {
            process::run(Command::new("kill").args(["-TERM", &self.id().to_string()]))?;
        }
        self.wait_within(limit)
    }

    fn kill(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

impl Drop for Guarded {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Runs `command` to its end within `limit` and returns its stdout; a
/// non-zero exit is [`process::Failed`] with stderr as context, and a child
/// still running at the deadline is killed.
pub(crate) fn output_within(command: &mut Command, limit: Duration) -> Result<String> {
    command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = Guarded::spawn(command)?;
    // Both pipes are drained while the child runs, so neither fills up.
    let stdout = drain(child.child.stdout.take());
    let stderr = drain(child.child.stderr.take());
    let status = child.wait_within(limit)?;
    let stdout = stdout.join().unwrap_or_default();
    let stderr = stderr.join().unwrap_or_default();
    if !status.success() {
        return Err(anyhow::Error::new(process::Failed {
            command: child.shown.clone(),
            status,
        })
        .context(stderr.trim().to_owned()));
    }
    Ok(stdout)
}

/// `PROGRAM --version`'s output, or an error naming `cargo xtask setup`.
pub(crate) fn installed(program: &str) -> Result<String> {
    match output_within(
        process::command(program).arg("--version"),
        Duration::from_secs(10),
    ) {
        Ok(out) => Ok(out.trim().to_owned()),
        Err(e)
            if e.chain().any(|cause| {
                cause
                    .downcast_ref::<std::io::Error>()
                    .is_some_and(|io| io.kind() == std::io::ErrorKind::NotFound)
            }) =>
        {
            bail!(
                "`{program}` is not installed; run `cargo xtask setup` (it installs Debian's \
                 redis-server and redis-tools), or install them yourself"
            )
        }
        Err(e) => Err(e).with_context(|| format!("could not run `{program} --version`")),
    }
}

/// Reads `pipe` to its end on a thread of its own.
fn drain<R: Read + Send + 'static>(pipe: Option<R>) -> JoinHandle<String> {
    std::thread::spawn(move || {
        let mut text = Vec::new();
        if let Some(mut pipe) = pipe {
            let _ = pipe.read_to_end(&mut text);
        }
        String::from_utf8_lossy(&text).into_owned()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_within_returns_stdout_and_reports_failure() {
        let out = output_within(
            Command::new("sh").args(["-c", "echo hi"]),
            Duration::from_secs(10),
        );
        assert_eq!(out.ok().as_deref(), Some("hi\n"));
        let failed = output_within(
            Command::new("sh").args(["-c", "echo why >&2; exit 3"]),
            Duration::from_secs(10),
        );
        let message = failed
            .map_err(|e| format!("{e:#}"))
            .err()
            .unwrap_or_default();
        assert!(message.contains("why"), "{message}");
    }

    #[test]
    fn a_missing_program_names_the_setup_task() {
        let message = installed("redis-server-that-is-not-there")
            .map_err(|e| format!("{e:#}"))
            .err()
            .unwrap_or_default();
        assert!(message.contains("cargo xtask setup"), "{message}");
    }

    #[test]
    fn a_child_past_its_deadline_is_killed() {
        let started = Instant::now();
        let late = output_within(Command::new("sleep").arg("30"), Duration::from_millis(200));
        assert!(late.is_err());
        assert!(started.elapsed() < Duration::from_secs(10));
    }
}
