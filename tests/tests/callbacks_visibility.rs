//! Where callback failures are visible, and where answers are not: a panicking, failing or
//! late permission handler is a WARN `tracing` event under the target `ampere` naming the
//! tool; the handler's answers and the tools' results never appear in argv or in any log
//! line above DEBUG. (One test: it installs the global subscriber, since the hosts log from
//! their own threads.)

use std::time::Duration;

use ampere_blocking::{Amp, AmpOptions, Decision, Message, PermissionRequest, Tool, ToolResult};
use ampere_tests::capture::Capture;
use ampere_tests::stub::scenario::StubScenario;
use serde_json::{json, Value};

fn handler(request: &PermissionRequest) -> Result<Decision, String> {
    match request.input["cmd"].as_str().unwrap_or_default() {
        "panic" => panic!("boom"),
        "fail" => Err("secret-error-9012".into()),
        "slow" => {
            std::thread::sleep(Duration::from_secs(2));
            Ok(Decision::Allow)
        }
        "ls" => Ok(Decision::Allow),
        _ => Ok(Decision::Reject("secret-answer-1234".into())),
    }
}

#[test]
fn failures_are_warnings_and_answers_stay_out_of_logs_and_argv() {
    let capture = Capture::default();
    let writer = capture.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    tracing::subscriber::set_global_default(subscriber).expect("global subscriber");
    let scratch = tempfile::tempdir().expect("tempdir");
    let record = scratch.path().join("record.json");
    let amp = Amp::builder()
        .cli_path(env!("CARGO_BIN_EXE_amp-stub"))
        .temp_dir(scratch.path())
        .permission_handler(handler)
        .permission_deadline(Duration::from_millis(300))
        .tool(Tool::new(
            "secret",
            "Returns a secret",
            json!({"type": "object"}),
            |_: Value| ToolResult::text("secret-result-5678"),
        ))
        .build();
    let options = || AmpOptions::new().env("AMP_STUB_RECORD", record.to_string_lossy());
    let mut results = Vec::new();
    let prompts = [
        StubScenario::Delegate
            .param("cmds", "panic,fail,slow,ls,rm")
            .directive("go"),
        StubScenario::McpTools
            .param("call", "secret")
            .directive("go"),
    ];
    let mut args = Vec::new();
    for prompt in prompts {
        for item in amp.execute(prompt.as_str(), options()) {
            if let Message::Result(r) = item.expect("message") {
                results.push(r.result);
            }
        }
        let rec: Value =
            serde_json::from_str(&std::fs::read_to_string(&record).expect("record")).expect("json");
        args.push(rec["args"].to_string());
    }
    assert_eq!(results[0], "allowed=1 rejected=4");
    assert!(results[1].contains("secret-result-5678"), "{}", results[1]);
    // Let the late handler finish (its answer is ignored) before reading the logs.
    std::thread::sleep(Duration::from_secs(2));
    let logs = capture.text();
    let warns: Vec<&str> = logs.lines().filter(|l| l.contains(" WARN ")).collect();
    for needle in [
        "the permission handler panicked",
        "the permission handler failed",
        "missed its deadline",
    ] {
        assert!(
            warns
                .iter()
                .any(|l| l.contains(needle) && l.contains("ampere")),
            "no WARN saying {needle:?}: {warns:#?}"
        );
    }
    assert!(
        warns
            .iter()
            .any(|l| l.contains("panicked") && l.contains("tool=Bash")),
        "the warning names the tool: {warns:#?}"
    );
    for secret in [
        "secret-answer-1234",
        "secret-result-5678",
        "secret-error-9012",
    ] {
        for line in logs.lines() {
            let above_debug = [" INFO ", " WARN ", " ERROR "]
                .iter()
                .any(|l| line.contains(l));
            assert!(
                !(above_debug && line.contains(secret)),
                "{secret} logged above DEBUG: {line}"
            );
        }
        for a in &args {
            assert!(!a.contains(secret), "{secret} in argv: {a}");
        }
    }
}
