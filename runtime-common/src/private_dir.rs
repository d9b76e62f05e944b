//! The private temporary folder of one execution.

use std::fs::{DirBuilder, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use ampere_core::plan::{PlannedFile, PRIVATE_DIR_MODE};
use ampere_core::run::AgentError;

use crate::callbacks::CallbackHosts;

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// A folder only the current user can read (mode 0700) holding the generated settings and
/// MCP files of one execution. It is removed, with everything in it, when dropped.
///
/// It also owns the hosts of the execution's callbacks (permission bridge, in-process
/// tools) served from it: they are stopped first (pending calls rejected), then the folder
/// goes.
#[derive(Debug)]
pub struct PrivateDir {
    path: PathBuf,
    removed: bool,
    hosts: Option<CallbackHosts>,
}

impl PrivateDir {
    /// Creates a fresh private folder under the system temporary folder.
    pub fn create() -> Result<Self, AgentError> {
        Self::create_in(&std::env::temp_dir())
    }

    /// Creates a fresh private folder under `parent`.
    pub fn create_in(parent: &Path) -> Result<Self, AgentError> {
        let mut last_error = None;
        for _ in 0..16 {
            match Self::create_at(Self::fresh_path(parent)) {
                Err(AgentError::Io {
                    kind: std::io::ErrorKind::AlreadyExists,
                    ..
                }) => last_error = Some(std::io::ErrorKind::AlreadyExists),
                other => return other,
            }
        }
        let kind = last_error.unwrap_or(std::io::ErrorKind::Other);
        Err(AgentError::Io {
            context: format!("creating private folder in {}", parent.display()),
            kind,
            message: "no free name".to_string(),
        })
    }

    /// A fresh name for a private folder under `parent` (pid, counter and time), not yet
    /// created: plan with it, then [`create_at`](Self::create_at) only if a file is needed.
    pub fn fresh_path(parent: &Path) -> PathBuf {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        parent.join(format!(
            "ampere-{}-{}-{:08x}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed),
            nanos
        ))
    }

    /// Creates the private folder `path` (mode 0700); it must not exist yet.
    pub fn create_at(path: PathBuf) -> Result<Self, AgentError> {
        match DirBuilder::new().mode(PRIVATE_DIR_MODE).create(&path) {
            Ok(()) => Ok(Self {
                path,
                removed: false,
                hosts: None,
            }),
            Err(e) => Err(AgentError::io(
                format!("creating private folder {}", path.display()),
                &e,
            )),
        }
    }

    /// The folder's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Writes one planned file (created new, with the plan's mode, normally 0600). The
    /// planned path must lie inside this folder.
    pub fn write(&self, file: &PlannedFile) -> Result<(), AgentError> {
        if !file.path.starts_with(&self.path) {
            return Err(AgentError::Io {
                context: format!("writing {}", file.path.display()),
                kind: std::io::ErrorKind::InvalidInput,
                message: format!("path is outside the private folder {}", self.path.display()),
            });
        }
        let context = || format!("writing {}", file.path.display());
        let mut f = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(file.mode)
            .open(&file.path)
            .map_err(|e| AgentError::io(context(), &e))?;
        f.write_all(&file.contents)
            .and_then(|()| f.sync_all())
            .map_err(|e| AgentError::io(context(), &e))
    }

    /// Ties the callback hosts serving from this folder to its lifetime.
    pub(crate) fn attach(&mut self, hosts: CallbackHosts) {
        self.hosts = Some(hosts);
    }

    /// Removes the folder now (dropping does the same, ignoring errors).
    pub fn remove(mut self) -> Result<(), AgentError> {
        if let Some(hosts) = self.hosts.take() {
            hosts.stop();
        }
        self.removed = true;
        std::fs::remove_dir_all(&self.path)
            .map_err(|e| AgentError::io(format!("removing {}", self.path.display()), &e))
    }
}

impl Drop for PrivateDir {
    fn drop(&mut self) {
        if let Some(hosts) = self.hosts.take() {
            hosts.stop();
        }
        if !self.removed {
            if let Err(e) = std::fs::remove_dir_all(&self.path) {
                if e.kind() != std::io::ErrorKind::NotFound {
                    tracing::warn!(path = %self.path.display(), error = %e, "could not remove private folder");
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn folder_is_0700_files_0600_and_removed_on_drop() {
        let parent = tempfile::tempdir().expect("tempdir");
        let dir = PrivateDir::create_in(parent.path()).expect("create");
        let mode = std::fs::metadata(dir.path())
            .expect("meta")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o700);
        let file = PlannedFile {
            path: dir.path().join("settings.json"),
            contents: b"{}".to_vec(),
            mode: 0o600,
        };
        dir.write(&file).expect("write");
        let fmode = std::fs::metadata(&file.path)
            .expect("meta")
            .permissions()
            .mode();
        assert_eq!(fmode & 0o777, 0o600);
        assert_eq!(std::fs::read(&file.path).expect("read"), b"{}");
        // A second write of the same file is refused (create_new), never a silent overwrite.
        assert!(dir.write(&file).is_err());
        let outside = PlannedFile {
            path: parent.path().join("x"),
            contents: vec![],
            mode: 0o600,
        };
        assert!(dir.write(&outside).is_err());
        let path = dir.path().to_path_buf();
        drop(dir);
        assert!(!path.exists());
    }

    #[test]
    fn two_folders_never_collide() {
        let parent = tempfile::tempdir().expect("tempdir");
        let a = PrivateDir::create_in(parent.path()).expect("a");
        let b = PrivateDir::create_in(parent.path()).expect("b");
        assert_ne!(a.path(), b.path());
        let p = a.path().to_path_buf();
        a.remove().expect("remove");
        assert!(!p.exists());
    }
}
