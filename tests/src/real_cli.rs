//! Locating (and, if needed, installing) the real Amp CLI from npm for conformance tests.
//!
//! The CLI is pinned to [`PINNED_VERSION`], the newest release on the registry that ships a
//! linux-x64 native binary, and installed into `<workspace>/.cache/amp-cli` (git-ignored).
//! `.ci/run` installs it up front; a test that finds it missing installs it itself. When it
//! cannot be had (npm missing or offline), [`real_cli_or_skip`] skips the test with a message
//! saying why, except under CI (the environment variable `CI` set): there the test fails, so a
//! CI run never passes without having run the conformance tests.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The pinned `@ampcode/cli` version used as the conformance oracle.
pub const PINNED_VERSION: &str = "0.0.1790142911-g7618fb";

/// The workspace root (the folder holding the top-level `Cargo.toml`).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")))
}

/// The folder the pinned CLI is installed into.
pub fn cache_dir() -> PathBuf {
    std::env::var_os("AMPERE_CLI_CACHE")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join(".cache").join("amp-cli"))
}

/// The native binary inside an installed cache, if present.
fn installed_binary(cache: &Path) -> Option<PathBuf> {
    let native = cache
        .join("node_modules")
        .join("@ampcode")
        .join("cli-linux-x64")
        .join("amp");
    let wrapper = cache
        .join("node_modules")
        .join("@ampcode")
        .join("cli")
        .join("bin")
        .join("amp.exe");
    [native, wrapper]
        .into_iter()
        .find(|p| p.metadata().map(|m| m.len() > 1_000_000).unwrap_or(false))
}

/// Returns the path of the real CLI's native binary, installing the pinned version with npm
/// when it is not there yet. `Err` says why it could not be had (npm missing or offline).
pub fn ensure_real_cli() -> Result<PathBuf, String> {
    let cache = cache_dir();
    if let Some(bin) = installed_binary(&cache) {
        return Ok(bin);
    }
    std::fs::create_dir_all(&cache)
        .map_err(|e| format!("cannot create {}: {e}", cache.display()))?;
    let out = Command::new("npm")
        .arg("install")
        .arg("--no-save")
        .arg("--no-audit")
        .arg("--no-fund")
        .arg("--prefix")
        .arg(&cache)
        .arg(format!("@ampcode/cli@{PINNED_VERSION}"))
        .output()
        .map_err(|e| format!("cannot run npm: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "npm install @ampcode/cli@{PINNED_VERSION} failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    installed_binary(&cache).ok_or_else(|| {
        format!(
            "npm installed @ampcode/cli@{PINNED_VERSION} into {} but no native linux-x64 binary is there",
            cache.display()
        )
    })
}

/// Whether this is a CI run: the environment variable `CI` is set to anything but empty,
/// `0` or `false` (the convention of GitHub Actions, GitLab and most CI services).
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "0" && !v.eq_ignore_ascii_case("false"))
}

/// [`ensure_real_cli`] for a test named `test`: the CLI's path, or `None` after saying on
/// stderr why the test is skipped. Under CI ([`in_ci`]) a missing CLI panics instead: tests
/// that need the real CLI fail rather than pass silently.
pub fn real_cli_or_skip(test: &str) -> Option<PathBuf> {
    match ensure_real_cli() {
        Ok(bin) => Some(bin),
        Err(why) if in_ci() => panic!(
            "{test}: the real Amp CLI is needed under CI (CI is set) but cannot be had: {why}"
        ),
        Err(why) => {
            eprintln!("SKIP {test}: the real Amp CLI is not available: {why}");
            None
        }
    }
}

/// A scratch `HOME` for running the real CLI so it never touches a real configuration.
pub fn scratch_home() -> std::io::Result<tempfile::TempDir> {
    tempfile::Builder::new().prefix("ampere-home-").tempdir()
}

/// A 0700 folder named `private` inside a fresh temporary root, as an execution's private
/// folder is made: the root (keep it alive, dropping it removes both) and the folder.
pub fn private_dir() -> std::io::Result<(tempfile::TempDir, PathBuf)> {
    use std::os::unix::fs::DirBuilderExt;
    let root = tempfile::tempdir()?;
    let dir = root.path().join("private");
    std::fs::DirBuilder::new().mode(0o700).create(&dir)?;
    Ok((root, dir))
}

/// A `Command` for the real CLI with a scratch `HOME`, `AMP_API_KEY=x` and
/// `AMP_URL=http://127.0.0.1:9`, so that with valid flags it can only fail to connect.
pub fn offline_command(bin: &Path, home: &Path) -> Command {
    let mut cmd = Command::new(bin);
    cmd.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join(".config"))
        .env("XDG_CACHE_HOME", home.join(".cache"))
        .env("AMP_API_KEY", "x")
        .env("AMP_URL", "http://127.0.0.1:9")
        .env("NO_COLOR", "1");
    cmd
}
