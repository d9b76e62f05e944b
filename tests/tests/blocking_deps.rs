//! `ampere-blocking` must not pull an async runtime into its users' builds.

use std::process::Command;

/// Crates (or crate-name prefixes) that mean an async runtime or an async IO stack.
const FORBIDDEN: &[&str] = &[
    "tokio",
    "async-std",
    "async-io",
    "async-process",
    "async-executor",
    "async-global-executor",
    "smol",
    "futures",
    "mio",
    "hyper",
    "reqwest",
];

#[test]
fn no_async_runtime_in_the_dependency_tree() {
    let root = ampere_tests::real_cli::workspace_root();
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let out = Command::new(cargo)
        .args([
            "tree",
            "-p",
            "ampere-blocking",
            "-e",
            "normal,build",
            "--prefix",
            "none",
            "--offline",
        ])
        .current_dir(&root)
        .output()
        .expect("cargo tree runs");
    assert!(
        out.status.success(),
        "cargo tree failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let tree = String::from_utf8_lossy(&out.stdout);
    let crates: Vec<&str> = tree
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    assert!(crates.contains(&"ureq"), "the tree was read: {tree}");
    let bad: Vec<&str> = crates
        .iter()
        .copied()
        .filter(|name| {
            FORBIDDEN
                .iter()
                .any(|f| *name == *f || name.starts_with(&format!("{f}-")))
        })
        .collect();
    assert!(
        bad.is_empty(),
        "async crates in ampere-blocking's tree: {bad:?}"
    );
}
