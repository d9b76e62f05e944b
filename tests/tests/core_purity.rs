//! ampere-core must stay sans-IO: this test fails when its dependency tree gains a crate
//! outside the allow-list, or when `core/src` starts doing IO or reading a clock.

use std::process::Command;

#[test]
fn core_dependency_tree_and_sources_are_pure() {
    let root = ampere_tests::real_cli::workspace_root();
    let out = Command::new("bash")
        .arg(root.join("scripts").join("check-core-purity.sh"))
        .current_dir(&root)
        .output()
        .expect("bash runs");
    assert!(
        out.status.success(),
        "core purity check failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
