//! The README's offline demo (`cargo run -p ampere-tests --bin ampere-demo`) works.

use std::process::Command;

#[test]
fn demo_runs_offline_and_exits_zero() {
    let output = Command::new(env!("CARGO_BIN_EXE_ampere-demo"))
        .env_remove("AMPERE_ACT_AS")
        .env_remove("AMP_CLI_PATH")
        .output()
        .expect("run ampere-demo");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "stdout:\n{stdout}\nstderr:\n{stderr}"
    );
    for expected in [
        "tools (Bash",
        "tool use: Bash",
        "-> ok:",
        "result: Done: ran 3 tools.",
        "turns: 1",
        "platform: POST /actions",
        "(poll #3)",
        "\"invoice_id\":\"inv_123\"",
        "ampere-demo: all done.",
    ] {
        assert!(
            stdout.contains(expected),
            "missing {expected:?} in:\n{stdout}"
        );
    }
}
