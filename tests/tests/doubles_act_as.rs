//! The multi-call path: a binary that calls `maybe_run_as_stub()` first thing becomes the
//! stub when `AMPERE_ACT_AS=amp-stub` is set (this test binary re-executes itself).
//! Runs without the libtest harness so that `main` is ours.

use std::io::Write;
use std::process::{Command, Stdio};

fn main() {
    ampere_tests::stub::maybe_run_as_stub();

    let exe = std::env::current_exe().expect("current exe");
    let mut child = Command::new(&exe)
        .args(["--execute", "--stream-json"])
        .env(ampere_tests::stub::ACT_AS_ENV, "amp-stub")
        .env_remove("AMP_STUB_SCENARIO")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("re-exec as stub");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"multi-call works\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let last: serde_json::Value =
        serde_json::from_str(String::from_utf8_lossy(&out.stdout).lines().last().unwrap()).unwrap();
    assert_eq!(last["type"], "result");
    assert_eq!(last["result"], "multi-call works");

    // Without the variable the binary stays itself (here: runs this check, no recursion).
    if std::env::var_os("DOUBLES_ACT_AS_CHILD").is_none() {
        let status = Command::new(&exe)
            .env_remove(ampere_tests::stub::ACT_AS_ENV)
            .env("DOUBLES_ACT_AS_CHILD", "1")
            .stdout(Stdio::null())
            .status()
            .unwrap();
        assert!(status.success());
    }
    println!("doubles_act_as: ok");
}
