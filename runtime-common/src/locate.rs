//! Finding the Amp CLI on disk, in the order `ampere_core::locate` decides.

use std::ffi::OsString;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use ampere_core::locate::{self, CliCandidate, Launcher};
use ampere_core::run::AgentError;

/// The CLI to run: a program and the arguments that come before ampere's own (the script
/// path, when the CLI is a JavaScript file run with `node`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CliProgram {
    /// The executable to spawn (`node` for a JavaScript entry).
    pub program: PathBuf,
    /// Arguments before ampere's (the script, for `node`).
    pub leading_args: Vec<OsString>,
    /// The file that was found.
    pub found: PathBuf,
}

impl CliProgram {
    fn new(path: PathBuf, launcher: Launcher) -> Self {
        match launcher {
            Launcher::Node => CliProgram {
                program: PathBuf::from("node"),
                leading_args: vec![path.clone().into_os_string()],
                found: path,
            },
            _ => CliProgram {
                program: path.clone(),
                leading_args: Vec::new(),
                found: path,
            },
        }
    }

    /// A `std::process::Command` for this program with its leading arguments.
    pub fn command(&self) -> Command {
        let mut cmd = Command::new(&self.program);
        cmd.args(&self.leading_args);
        cmd
    }
}

/// A usable file: it exists, is a regular file and is not an npm placeholder stub. Its
/// stamp, from the same `stat`, when it is.
fn usable(path: &Path, launcher: Launcher) -> Option<FileStamp> {
    let meta = std::fs::metadata(path).ok()?;
    if !meta.is_file() {
        return None;
    }
    let stamp = FileStamp::of(&meta);
    if launcher == Launcher::Node {
        return Some(stamp);
    }
    let mut head = [0u8; 4];
    let n = std::fs::File::open(path)
        .and_then(|mut f| f.read(&mut head))
        .unwrap_or(0);
    (!locate::is_placeholder(&head[..n], meta.len())).then_some(stamp)
}

/// What tells a file changed without reading it: its device and inode, size, and
/// modification and change times (a rewrite, a replacement or a `chmod` moves one).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct FileStamp {
    dev: u64,
    ino: u64,
    len: u64,
    modified: (i64, i64),
    changed: (i64, i64),
}

impl FileStamp {
    pub(crate) fn of(meta: &std::fs::Metadata) -> FileStamp {
        use std::os::unix::fs::MetadataExt;
        FileStamp {
            dev: meta.dev(),
            ino: meta.ino(),
            len: meta.size(),
            modified: (meta.mtime(), meta.mtime_nsec()),
            changed: (meta.ctime(), meta.ctime_nsec()),
        }
    }
}

fn resolve(candidate: &CliCandidate) -> Option<(CliProgram, FileStamp)> {
    match candidate {
        CliCandidate::Binary { path, launcher } => {
            usable(path, *launcher).map(|stamp| (CliProgram::new(path.clone(), *launcher), stamp))
        }
        CliCandidate::NpmPackage { package_dir } => {
            let text = std::fs::read_to_string(package_dir.join("package.json")).ok()?;
            resolve(&CliCandidate::resolve_npm(package_dir, &text)?)
        }
        _ => None,
    }
}

/// The global `node_modules` folders of the usual npm prefixes.
fn standard_npm_roots() -> Vec<PathBuf> {
    ["/usr/local/lib/node_modules", "/usr/lib/node_modules"]
        .into_iter()
        .map(PathBuf::from)
        .collect()
}

/// `npm root -g`, asked only when every cheaper place failed.
fn npm_global_root() -> Option<PathBuf> {
    let out = Command::new("npm")
        .args(["root", "-g"])
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let text = String::from_utf8(out.stdout).ok()?;
    let root = text.trim();
    (!root.is_empty()).then(|| PathBuf::from(root))
}

/// Finds the Amp CLI: `explicit` when given (it must exist), else the places of the
/// contract in order (`AMP_CLI_PATH`, `~/.amp`, `~/.local/bin`, `PATH`, npm packages).
/// `cwd` is where the execution runs (its `node_modules` ancestors are searched). A client
/// locates through its [`CliCache`](crate::CliCache), which repeats this only when
/// something it depends on changed.
pub fn locate_cli(explicit: Option<&Path>, cwd: Option<&Path>) -> Result<CliProgram, AgentError> {
    locate_with(&|name| std::env::var_os(name), explicit, cwd).map(|(cli, _)| cli)
}

/// [`locate_cli`] with the environment read through `env`; the found file's stamp too.
pub(crate) fn locate_with(
    env: &dyn Fn(&str) -> Option<OsString>,
    explicit: Option<&Path>,
    cwd: Option<&Path>,
) -> Result<(CliProgram, FileStamp), AgentError> {
    if let Some(path) = explicit {
        let launcher = Launcher::for_path(path);
        return match usable(path, launcher) {
            Some(stamp) => Ok((CliProgram::new(path.to_path_buf(), launcher), stamp)),
            None => Err(AgentError::CliNotFound {
                message: format!(
                    "Amp CLI not found at the configured path {} (it does not exist or is not a file)",
                    path.display()
                ),
                searched: vec![path.to_path_buf()],
            }),
        };
    }
    let home = crate::home_dir_in(env);
    let roots_cwd = search_cwd(cwd);
    let mut roots = locate::default_npm_roots(env, home.as_deref(), roots_cwd.as_deref());
    roots.extend(standard_npm_roots());
    let mut searched = Vec::new();
    for candidate in locate::candidates(env, home.as_deref(), &roots) {
        if let Some(found) = resolve(&candidate) {
            return Ok(found);
        }
        searched.push(candidate.path().to_path_buf());
    }
    if let Some(root) = npm_global_root() {
        for candidate in locate::candidates(&|_| None, None, std::slice::from_ref(&root)) {
            if let Some(found) = resolve(&candidate) {
                return Ok(found);
            }
            searched.push(candidate.path().to_path_buf());
        }
    }
    Err(AgentError::CliNotFound {
        message: locate::not_found_message(&searched),
        searched,
    })
}

/// The folder whose `node_modules` ancestors a search looks in: the execution's, else this
/// process's.
pub(crate) fn search_cwd(cwd: Option<&Path>) -> Option<PathBuf> {
    cwd.map(Path::to_path_buf)
        .or_else(|| std::env::current_dir().ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn explicit_path_must_exist_and_js_runs_with_node() {
        let dir = tempfile::tempdir().expect("tempdir");
        let missing = dir.path().join("nope");
        match locate_cli(Some(&missing), None) {
            Err(AgentError::CliNotFound { message, searched }) => {
                assert!(message.contains("nope"), "{message}");
                assert_eq!(searched, vec![missing.clone()]);
            }
            other => panic!("unexpected {other:?}"),
        }
        let js = dir.path().join("amp.js");
        std::fs::write(&js, "console.log(1)").expect("write");
        let p = locate_cli(Some(&js), None).expect("found");
        assert_eq!(p.program, PathBuf::from("node"));
        assert_eq!(p.leading_args, vec![js.clone().into_os_string()]);
        let sh = dir.path().join("amp");
        std::fs::write(&sh, "#!/bin/sh\necho hi\n").expect("write");
        std::fs::set_permissions(&sh, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        let p = locate_cli(Some(&sh), None).expect("found");
        assert_eq!(p.program, sh);
        assert!(p.leading_args.is_empty());
    }

    #[test]
    fn npm_placeholder_is_skipped_for_the_native_package() {
        let root = tempfile::tempdir().expect("tempdir");
        let wrapper = root.path().join("@ampcode").join("cli");
        std::fs::create_dir_all(wrapper.join("bin")).expect("mkdir");
        std::fs::write(
            wrapper.join("package.json"),
            r#"{"name":"@ampcode/cli","bin":{"amp":"bin/amp.exe"}}"#,
        )
        .expect("write");
        std::fs::write(
            wrapper.join("bin").join("amp.exe"),
            "placeholder: run postinstall",
        )
        .expect("write");
        let roots = vec![root.path().to_path_buf()];
        let cands = locate::candidates(&|_| None, None, &roots);
        let found: Vec<_> = cands.iter().filter_map(resolve).map(|(c, _)| c).collect();
        assert!(found.is_empty(), "placeholder must not be used: {found:?}");
        if let Some((pkg, bin)) = locate::native_package() {
            let native = pkg
                .split('/')
                .fold(root.path().to_path_buf(), |p, s| p.join(s));
            std::fs::create_dir_all(&native).expect("mkdir");
            std::fs::write(native.join(bin), b"\x7fELF....").expect("write");
            let found: Vec<_> = cands.iter().filter_map(resolve).map(|(c, _)| c).collect();
            assert_eq!(found[0].found, native.join(bin));
        }
    }
}
