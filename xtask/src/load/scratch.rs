//! The run's temporary directory: data of the servers under test and their
//! logs, removed when the run ends, however it ends.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

/// A directory under the system's temp dir, removed on drop.
pub(crate) struct Scratch(PathBuf);

impl Scratch {
    /// `kvstore-load-<label>-<pid>`, so two runs never share one.
    pub(crate) fn new(label: &str) -> Result<Scratch> {
        let dir = std::env::temp_dir().join(format!("kvstore-load-{label}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).with_context(|| format!("create {}", dir.display()))?;
        Ok(Scratch(dir))
    }

    /// The directory.
    pub(crate) fn path(&self) -> &Path {
        &self.0
    }

    /// A fresh subdirectory, created.
    pub(crate) fn subdir(&self, name: &str) -> Result<PathBuf> {
        let dir = self.0.join(name);
        std::fs::create_dir_all(&dir).with_context(|| format!("create {}", dir.display()))?;
        Ok(dir)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
