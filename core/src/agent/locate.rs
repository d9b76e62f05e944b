//! Finding the Amp CLI: the ordered places to look, and how to run what is found.
//!
//! Core does not touch the file system: [`candidates`] lists the places in the contract's
//! order, and the runtime checks them in turn. A [`CliCandidate::Binary`] is usable when
//! the file exists (and, for a native binary, is not the small placeholder an npm install
//! without postinstall leaves; see [`is_placeholder`]). A [`CliCandidate::NpmPackage`] is
//! resolved by reading its `package.json` and passing the text to [`npm_bin_entry`].

use std::ffi::OsString;
use std::path::{Path, PathBuf};

/// Environment variable naming the CLI explicitly.
pub const ENV_CLI_PATH: &str = "AMP_CLI_PATH";
/// Environment variable naming Amp's home folder (default `~/.amp`).
pub const ENV_AMP_HOME: &str = "AMP_HOME";
/// Every environment variable a search reads ([`candidates`], [`default_npm_roots`], and
/// `HOME` for the home folder the runtime passes them). A CLI found by a search is found
/// again while these, the working folder and the found file are unchanged: the runtime may
/// reuse it then instead of searching.
pub const SEARCH_ENV: [&str; 6] = [
    ENV_CLI_PATH,
    ENV_AMP_HOME,
    "HOME",
    "PATH",
    "NPM_CONFIG_PREFIX",
    "npm_config_prefix",
];
/// The npm packages that ship the CLI, in the order they are tried.
pub const NPM_PACKAGES: &[&str] = &["@ampcode/cli", "@sourcegraph/amp"];
/// The official install script.
pub const INSTALL_SCRIPT: &str = "curl -fsSL https://ampcode.com/install.sh | bash";

/// How a found CLI is started.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Launcher {
    /// Run the file itself.
    Direct,
    /// Run `node <file>` (a JavaScript entry point).
    Node,
}

impl Launcher {
    /// The launcher for a file: `.js`, `.cjs` and `.mjs` run with node.
    pub fn for_path(path: &Path) -> Launcher {
        match path.extension().and_then(|e| e.to_str()) {
            Some("js" | "cjs" | "mjs") => Launcher::Node,
            _ => Launcher::Direct,
        }
    }
}

/// One place the CLI may be.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CliCandidate {
    /// A file to run if it exists.
    Binary {
        /// The file.
        path: PathBuf,
        /// How to run it.
        launcher: Launcher,
    },
    /// An npm package folder: read `package_dir/package.json`, resolve its `bin.amp` with
    /// [`npm_bin_entry`], and run `package_dir/<entry>` if it exists (and, when
    /// [`Launcher::Direct`], is not a placeholder).
    NpmPackage {
        /// The package folder (`<node_modules>/@ampcode/cli`).
        package_dir: PathBuf,
    },
}

impl CliCandidate {
    /// The path this candidate points at (the file, or the package folder).
    pub fn path(&self) -> &Path {
        match self {
            CliCandidate::Binary { path, .. } => path,
            CliCandidate::NpmPackage { package_dir } => package_dir,
        }
    }

    /// The binary candidate an npm package resolves to, given its `package.json` text.
    pub fn resolve_npm(package_dir: &Path, package_json: &str) -> Option<CliCandidate> {
        let (rel, launcher) = npm_bin_entry(package_json)?;
        Some(CliCandidate::Binary {
            path: package_dir.join(rel),
            launcher,
        })
    }
}

/// The npm package holding the native binary for the platform ampere was built for, and
/// the binary's name inside it (`@ampcode/cli` resolves to it through a postinstall step).
pub fn native_package() -> Option<(&'static str, &'static str)> {
    let pkg = match (std::env::consts::OS, std::env::consts::ARCH) {
        ("linux", "x86_64") => "@ampcode/cli-linux-x64",
        ("linux", "aarch64") => "@ampcode/cli-linux-arm64",
        ("macos", "aarch64") => "@ampcode/cli-darwin-arm64",
        ("macos", "x86_64") => "@ampcode/cli-darwin-x64",
        ("windows", "x86_64") => return Some(("@ampcode/cli-win32-x64", "amp.exe")),
        _ => return None,
    };
    Some((pkg, "amp"))
}

fn exe_name() -> &'static str {
    if cfg!(windows) {
        "amp.exe"
    } else {
        "amp"
    }
}

/// The ordered places to look for the CLI:
/// 1. `AMP_CLI_PATH` (a `.js`/`.cjs`/`.mjs` file runs with node);
/// 2. `$AMP_HOME/sdk/bin/amp`, `$AMP_HOME/bin/amp` (`AMP_HOME` default `~/.amp`);
/// 3. `~/.local/bin/amp`;
/// 4. `amp` in each folder of `PATH`;
/// 5. for each npm root in `npm_roots` (see [`default_npm_roots`]; the runtime may add
///    `npm root -g`): the native platform package, then `@ampcode/cli`, then
///    `@sourcegraph/amp`.
pub fn candidates(
    env: &dyn Fn(&str) -> Option<OsString>,
    home: Option<&Path>,
    npm_roots: &[PathBuf],
) -> Vec<CliCandidate> {
    let mut out = Vec::new();
    let direct = |path: PathBuf| CliCandidate::Binary {
        path,
        launcher: Launcher::Direct,
    };
    if let Some(p) = env(ENV_CLI_PATH).filter(|v| !v.is_empty()) {
        let path = PathBuf::from(p);
        let launcher = Launcher::for_path(&path);
        out.push(CliCandidate::Binary { path, launcher });
    }
    let amp_home = env(ENV_AMP_HOME)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| home.map(|h| h.join(".amp")));
    if let Some(ah) = amp_home {
        out.push(direct(ah.join("sdk").join("bin").join(exe_name())));
        out.push(direct(ah.join("bin").join(exe_name())));
    }
    if let Some(h) = home {
        out.push(direct(h.join(".local").join("bin").join(exe_name())));
    }
    if let Some(path) = env("PATH") {
        for dir in std::env::split_paths(&path) {
            if dir.as_os_str().is_empty() {
                continue;
            }
            out.push(direct(dir.join(exe_name())));
        }
    }
    for root in npm_roots {
        if let Some((pkg, bin)) = native_package() {
            out.push(direct(package_path(root, pkg).join(bin)));
        }
        for pkg in NPM_PACKAGES {
            out.push(CliCandidate::NpmPackage {
                package_dir: package_path(root, pkg),
            });
        }
    }
    let mut seen = std::collections::HashSet::new();
    out.retain(|c| seen.insert(c.clone()));
    out
}

fn package_path(root: &Path, pkg: &str) -> PathBuf {
    pkg.split('/')
        .fold(root.to_path_buf(), |p, part| p.join(part))
}

/// npm roots core can derive without running npm: `$NPM_CONFIG_PREFIX/lib/node_modules`,
/// `~/.npm-global/lib/node_modules`, then `node_modules` in `cwd` and each of its
/// ancestors. The runtime should append the output of `npm root -g` if it can run npm.
pub fn default_npm_roots(
    env: &dyn Fn(&str) -> Option<OsString>,
    home: Option<&Path>,
    cwd: Option<&Path>,
) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for var in ["NPM_CONFIG_PREFIX", "npm_config_prefix"] {
        if let Some(prefix) = env(var).filter(|v| !v.is_empty()) {
            let prefix = PathBuf::from(prefix);
            if cfg!(windows) {
                out.push(prefix.join("node_modules"));
            } else {
                out.push(prefix.join("lib").join("node_modules"));
            }
        }
    }
    if let Some(h) = home {
        out.push(h.join(".npm-global").join("lib").join("node_modules"));
    }
    if let Some(cwd) = cwd {
        for dir in cwd.ancestors() {
            out.push(dir.join("node_modules"));
        }
    }
    let mut seen = std::collections::HashSet::new();
    out.retain(|p| seen.insert(p.clone()));
    out
}

/// The `amp` entry of an npm package's `package.json`: `bin` as a string, or `bin.amp`.
/// Returns the path relative to the package folder and how to run it (`.js`/`.cjs`/`.mjs`
/// with node, anything else directly). `None` when the text is not JSON or has no entry.
pub fn npm_bin_entry(package_json_text: &str) -> Option<(String, Launcher)> {
    let v: serde_json::Value = serde_json::from_str(package_json_text).ok()?;
    let bin = v.get("bin")?;
    let rel = match bin {
        serde_json::Value::String(s) => s.as_str(),
        serde_json::Value::Object(m) => m.get("amp")?.as_str()?,
        _ => return None,
    };
    let rel = rel.trim();
    let rel = rel.strip_prefix("./").unwrap_or(rel);
    if rel.is_empty() {
        return None;
    }
    let launcher = Launcher::for_path(Path::new(rel));
    Some((rel.to_string(), launcher))
}

/// `true` when a file that should be the native CLI is the small placeholder
/// `@ampcode/cli` ships in `bin/amp.exe` until its postinstall links the real binary
/// (a short shell snippet printing "Amp native binary not installed"). `head` is the
/// start of the file (a few hundred bytes are enough), `len` its size.
pub fn is_placeholder(head: &[u8], len: u64) -> bool {
    const MAGICS: &[&[u8]] = &[
        b"\x7fELF",
        b"MZ",
        b"\xcf\xfa\xed\xfe",
        b"\xce\xfa\xed\xfe",
        b"\xca\xfe\xba\xbe",
        b"#!",
    ];
    if MAGICS.iter().any(|m| head.starts_with(m)) {
        return false;
    }
    len < 4096
}

/// The error text when the CLI is nowhere: how to install it, and where ampere looked.
pub fn not_found_message(searched: &[PathBuf]) -> String {
    let mut s = String::from(
        "Amp CLI not found. Install it with `npm install -g @ampcode/cli` or with the install script \
         (`",
    );
    s.push_str(INSTALL_SCRIPT);
    s.push_str("`), or set AMP_CLI_PATH to the `amp` executable.");
    if searched.is_empty() {
        s.push_str(" No locations were searched.");
    } else {
        s.push_str(" Looked in:");
        for p in searched {
            s.push_str("\n  - ");
            s.push_str(&p.display().to_string());
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<OsString> {
        let pairs: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k: &str| {
            pairs
                .iter()
                .find(|(key, _)| key == k)
                .map(|(_, v)| OsString::from(v))
        }
    }

    fn bin(p: &str) -> CliCandidate {
        CliCandidate::Binary {
            path: PathBuf::from(p),
            launcher: Launcher::Direct,
        }
    }

    #[test]
    fn order_follows_the_contract() {
        let env = env_of(&[
            ("AMP_CLI_PATH", "/opt/amp/main.js"),
            ("PATH", "/usr/bin:/bin"),
        ]);
        let roots = [PathBuf::from("/g/lib/node_modules")];
        let c = candidates(&env, Some(Path::new("/h")), &roots);
        let mut expected = vec![
            CliCandidate::Binary {
                path: "/opt/amp/main.js".into(),
                launcher: Launcher::Node,
            },
            bin("/h/.amp/sdk/bin/amp"),
            bin("/h/.amp/bin/amp"),
            bin("/h/.local/bin/amp"),
            bin("/usr/bin/amp"),
            bin("/bin/amp"),
        ];
        if let Some((pkg, b)) = native_package() {
            expected.push(bin(&format!("/g/lib/node_modules/{pkg}/{b}")));
        }
        expected.push(CliCandidate::NpmPackage {
            package_dir: "/g/lib/node_modules/@ampcode/cli".into(),
        });
        expected.push(CliCandidate::NpmPackage {
            package_dir: "/g/lib/node_modules/@sourcegraph/amp".into(),
        });
        assert_eq!(c, expected);
    }

    #[test]
    fn a_search_reads_only_the_search_env() {
        let asked = std::cell::RefCell::new(Vec::new());
        let env = |name: &str| {
            asked.borrow_mut().push(name.to_string());
            Some(OsString::from("/x"))
        };
        let roots = default_npm_roots(&env, Some(Path::new("/h")), Some(Path::new("/w")));
        candidates(&env, Some(Path::new("/h")), &roots);
        let asked = asked.into_inner();
        assert!(asked.len() >= 5, "{asked:?}");
        for name in &asked {
            assert!(
                SEARCH_ENV.contains(&name.as_str()),
                "{name} is not in SEARCH_ENV"
            );
        }
    }

    #[test]
    fn amp_home_and_no_home() {
        let env = env_of(&[("AMP_HOME", "/ah"), ("AMP_CLI_PATH", "/x/amp")]);
        let c = candidates(&env, None, &[]);
        assert_eq!(
            c,
            vec![bin("/x/amp"), bin("/ah/sdk/bin/amp"), bin("/ah/bin/amp")]
        );
        assert!(candidates(&env_of(&[]), None, &[]).is_empty());
    }

    #[test]
    fn npm_roots() {
        let env = env_of(&[("NPM_CONFIG_PREFIX", "/pre")]);
        let r = default_npm_roots(&env, Some(Path::new("/h")), Some(Path::new("/a/b")));
        let expected: Vec<PathBuf> = [
            "/pre/lib/node_modules",
            "/h/.npm-global/lib/node_modules",
            "/a/b/node_modules",
            "/a/node_modules",
            "/node_modules",
        ]
        .iter()
        .map(PathBuf::from)
        .collect();
        if !cfg!(windows) {
            assert_eq!(r, expected);
        }
    }

    #[test]
    fn bin_entries() {
        // @ampcode/cli (native wrapper).
        let pj = r#"{"name":"@ampcode/cli","bin":{"amp":"bin/amp.exe"}}"#;
        assert_eq!(
            npm_bin_entry(pj),
            Some(("bin/amp.exe".to_string(), Launcher::Direct))
        );
        assert_eq!(
            npm_bin_entry(r#"{"bin":"./dist/main.js"}"#),
            Some(("dist/main.js".to_string(), Launcher::Node))
        );
        assert_eq!(
            npm_bin_entry(r#"{"bin":{"amp":"x.mjs","other":"y"}}"#),
            Some(("x.mjs".to_string(), Launcher::Node))
        );
        assert_eq!(
            npm_bin_entry(r#"{"bin":{"amp":"x.cjs"}}"#).map(|e| e.1),
            Some(Launcher::Node)
        );
        for bad in [
            "",
            "{",
            r#"{"bin":{"other":"y"}}"#,
            r#"{"bin":3}"#,
            r#"{"bin":""}"#,
            "{}",
        ] {
            assert_eq!(npm_bin_entry(bad), None, "{bad}");
        }
        assert_eq!(
            CliCandidate::resolve_npm(Path::new("/n/@ampcode/cli"), pj),
            Some(bin("/n/@ampcode/cli/bin/amp.exe"))
        );
    }

    #[test]
    fn placeholder_detection() {
        let stub = b"echo \"Error: Amp native binary not installed.\" >&2\nexit 1\n";
        assert!(is_placeholder(stub, 141));
        assert!(!is_placeholder(b"\x7fELF\x02\x01", 101_238_240));
        assert!(!is_placeholder(b"#!/usr/bin/env node\n", 300));
        assert!(!is_placeholder(b"whatever", 1_000_000));
    }

    #[test]
    fn not_found_says_how_to_install() {
        let m = not_found_message(&[PathBuf::from("/a/amp"), PathBuf::from("/b/amp")]);
        assert!(m.contains("npm install -g @ampcode/cli"));
        assert!(m.contains("install.sh"));
        assert!(m.contains("/a/amp") && m.contains("/b/amp"));
        assert!(not_found_message(&[]).contains("No locations"));
    }
}
