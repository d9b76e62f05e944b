//! [`CliCache`]: the CLIs found, reused while nothing they were found by changed, so an
//! execution does not search for the CLI and read the start of its file again (one `stat`
//! of the found file instead).

use std::collections::HashMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use ampere_core::locate::SEARCH_ENV;
use ampere_core::run::AgentError;

use crate::locate::{locate_with, search_cwd, CliProgram, FileStamp};

/// The CLIs this process located, reused while nothing they were found by changed.
///
/// A CLI is reused while the explicit path (`cli_path`), the folder searched from (a search
/// looks in the `node_modules` above it) and the environment of the search
/// ([`SEARCH_ENV`]) are the same, and the found file is unchanged (its device and inode,
/// size, modification and change times): a CLI upgraded, replaced or removed is located
/// again. A CLI installed later in a place the search tries earlier is not noticed while
/// the one found is unchanged. Every client shares the process's cache
/// ([`Default`](CliCache::default)); clones share theirs.
#[derive(Debug, Clone)]
pub struct CliCache(Arc<Mutex<HashMap<Key, Found>>>);

/// Searches remembered at most (for as many explicit paths, folders and environments);
/// past that the cache starts over.
const MAX_ENTRIES: usize = 16;

impl Default for CliCache {
    /// The process's cache, shared by every client.
    fn default() -> CliCache {
        static SHARED: OnceLock<CliCache> = OnceLock::new();
        SHARED.get_or_init(CliCache::new).clone()
    }
}

#[derive(Debug)]
struct Found {
    cli: CliProgram,
    stamp: FileStamp,
}

/// What a search depends on besides the file system.
#[derive(Debug, PartialEq, Eq, Hash)]
struct Key {
    explicit: Option<PathBuf>,
    cwd: Option<PathBuf>,
    env: Vec<Option<OsString>>,
}

impl CliCache {
    /// An empty cache of its own (clients use the process's: [`CliCache::default`]).
    pub fn new() -> CliCache {
        CliCache(Arc::new(Mutex::new(HashMap::new())))
    }

    /// The CLI to run for an execution in `cwd` (see [`locate_cli`](crate::locate_cli)).
    pub fn locate(
        &self,
        explicit: Option<&Path>,
        cwd: Option<&Path>,
    ) -> Result<CliProgram, AgentError> {
        self.locate_with(&|name| std::env::var_os(name), explicit, cwd)
    }

    /// [`locate`](Self::locate) with the environment read through `env`.
    fn locate_with(
        &self,
        env: &dyn Fn(&str) -> Option<OsString>,
        explicit: Option<&Path>,
        cwd: Option<&Path>,
    ) -> Result<CliProgram, AgentError> {
        // With an explicit path, neither the folder nor the environment matters.
        let key = match explicit {
            Some(path) => Key {
                explicit: Some(path.to_path_buf()),
                cwd: None,
                env: Vec::new(),
            },
            None => Key {
                explicit: None,
                cwd: search_cwd(cwd),
                env: SEARCH_ENV.iter().map(|name| env(name)).collect(),
            },
        };
        if let Some(cli) = self.reusable(&key) {
            return Ok(cli);
        }
        // Not locked while searching: a search may run `npm root -g`.
        let (cli, stamp) = locate_with(env, explicit, key.cwd.as_deref())?;
        let mut entries = self.entries();
        if entries.len() >= MAX_ENTRIES {
            entries.clear();
        }
        let found = Found {
            cli: cli.clone(),
            stamp,
        };
        entries.insert(key, found);
        Ok(cli)
    }

    fn entries(&self) -> std::sync::MutexGuard<'_, HashMap<Key, Found>> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The CLI found for `key`, if its file is unchanged.
    fn reusable(&self, key: &Key) -> Option<CliProgram> {
        let entries = self.entries();
        let found = entries.get(key)?;
        let now = std::fs::metadata(&found.cli.found).ok()?;
        (now.is_file() && FileStamp::of(&now) == found.stamp).then(|| found.cli.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn cli_at(dir: &Path, text: &str) -> PathBuf {
        std::fs::create_dir_all(dir).expect("mkdir");
        let path = dir.join("amp");
        std::fs::write(&path, text).expect("write");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        path
    }

    /// A search environment of `PATH` alone (no home, no `AMP_CLI_PATH`).
    fn path_env(dirs: &[&Path]) -> impl Fn(&str) -> Option<OsString> {
        let path = std::env::join_paths(dirs).expect("join");
        move |name: &str| (name == "PATH").then(|| path.clone())
    }

    #[test]
    fn a_search_is_reused_until_the_found_file_changes() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let (first, second) = (tmp.path().join("first"), tmp.path().join("second"));
        std::fs::create_dir_all(&first).expect("mkdir");
        let found = cli_at(&second, "#!/bin/sh\nexit 0\n");
        let env = path_env(&[&first, &second]);
        let cache = CliCache::new();
        let cwd = Some(tmp.path());
        assert_eq!(
            cache.locate_with(&env, None, cwd).expect("found").found,
            found
        );
        // A CLI put where the search looks first is not searched for while the one found
        // is unchanged...
        let earlier = cli_at(&first, "#!/bin/sh\nexit 0\n");
        assert_eq!(
            cache.locate_with(&env, None, cwd).expect("found").found,
            found
        );
        // ...a fresh search finds it...
        let fresh = CliCache::new();
        assert_eq!(
            fresh.locate_with(&env, None, cwd).expect("found").found,
            earlier
        );
        // ...and so does this cache once the found file changes (its size here).
        std::fs::write(&found, "#!/bin/sh\nexit 0 # upgraded\n").expect("rewrite");
        assert_eq!(
            cache.locate_with(&env, None, cwd).expect("found").found,
            earlier
        );
    }

    #[test]
    fn another_search_environment_or_folder_searches_again() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
        let in_a = cli_at(&a, "#!/bin/sh\n");
        let in_b = cli_at(&b, "#!/bin/sh\n");
        let cache = CliCache::new();
        let cwd = Some(tmp.path());
        let found = |env: &dyn Fn(&str) -> Option<OsString>, cwd: Option<&Path>| {
            cache.locate_with(env, None, cwd).expect("found").found
        };
        assert_eq!(found(&path_env(&[&a, &b]), cwd), in_a);
        assert_eq!(found(&path_env(&[&b, &a]), cwd), in_b);
        // A CLI in the `node_modules` of another working folder.
        let project = tmp.path().join("project");
        let module = project.join("node_modules").join("@ampcode").join("cli");
        let script = module.join("cli.js");
        std::fs::create_dir_all(&module).expect("mkdir");
        std::fs::write(module.join("package.json"), r#"{"bin":{"amp":"cli.js"}}"#).expect("w");
        std::fs::write(&script, "console.log(1)").expect("write");
        assert_eq!(found(&path_env(&[]), Some(&project)), script);
        assert_eq!(found(&path_env(&[&b]), Some(&project)), in_b);
    }

    #[test]
    fn every_client_shares_the_process_cache() {
        assert!(Arc::ptr_eq(&CliCache::default().0, &CliCache::default().0));
        assert!(!Arc::ptr_eq(&CliCache::new().0, &CliCache::default().0));
    }

    #[test]
    fn an_explicit_path_is_checked_again_when_it_changes() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let path = cli_at(tmp.path(), "#!/bin/sh\nexit 0\n");
        let cache = CliCache::new();
        let no_env = |_: &str| None;
        assert_eq!(
            cache
                .locate_with(&no_env, Some(&path), None)
                .expect("found")
                .found,
            path
        );
        // Replaced by npm's placeholder (no magic, under 4 KiB): not a usable CLI any more.
        std::fs::write(&path, "Amp native binary not installed").expect("write");
        match cache.locate_with(&no_env, Some(&path), None) {
            Err(AgentError::CliNotFound { searched, .. }) => {
                assert_eq!(searched, vec![path.clone()])
            }
            other => panic!("the placeholder was used: {other:?}"),
        }
        // Removed.
        cli_at(tmp.path(), "#!/bin/sh\nexit 0\n");
        assert!(cache.locate_with(&no_env, Some(&path), None).is_ok());
        std::fs::remove_file(&path).expect("rm");
        assert!(matches!(
            cache.locate_with(&no_env, Some(&path), None),
            Err(AgentError::CliNotFound { .. })
        ));
    }
}
