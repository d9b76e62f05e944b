//! A CLI that fails: garbage lines, crashes, signals, exit codes, error results, and how
//! `run` reports each.

use super::*;

/// Garbage lines give one decode error each, naming the 1-based line number (blank lines
/// count), and the stream goes on to the result; no final error.
pub fn garbage_lines<R: Runtime>(s: &Suite) {
    let c = R::execute(
        &s.cfg(),
        directive(StubScenario::Garbage, "survived"),
        AmpOptions::new(),
    );
    assert_tags::<R>(
        "garbage",
        &c.items,
        &[
            "system/init",
            "user",
            "decode@3:json",
            "assistant",
            "decode@6:utf8",
            "decode@7:json",
            "decode@8:shape",
            "decode@9:json",
            "decode@10:shape",
            "assistant",
            "decode@12:shape",
            "result",
        ],
    );
    match &c.items[2] {
        Err(AgentError::Decode(e)) => assert_eq!(e.excerpt, "this is not json"),
        other => panic!("{other:?}"),
    }
    let texts: Vec<String> = assistants(&c.items).iter().map(|a| a.text()).collect();
    assert_eq!(texts, ["first part", "survived"]);
}

/// A crash mid-stream: every printed message is delivered, then one process error with the
/// exit code and the stderr tail.
pub fn crash_mid_stream<R: Runtime>(s: &Suite) {
    let scratch = Scratch::new();
    let c = R::execute(
        &s.cfg(),
        directive(StubScenario::Crash.param("after", 3).param("code", 7), "go"),
        scratch.recorded(AmpOptions::new()),
    );
    assert_tags::<R>(
        "crash",
        &c.items,
        &["system/init", "user", "assistant", "process"],
    );
    let (code, signal, stderr) = expect_process(&c.items[3]);
    assert_eq!(code, Some(7));
    assert_eq!(signal, None);
    assert_eq!(stderr, "amp-stub: simulated crash after 3 lines\n");
    assert_eq!(
        c.items[3].as_ref().unwrap_err().to_string(),
        "Amp CLI exited with code 7: amp-stub: simulated crash after 3 lines"
    );
    assert_reaped::<R>(&record_of::<R>(&scratch));
}

/// A crash that leaves half a line: the half line is one decode error at end of output,
/// then the process error.
pub fn crash_partial_line<R: Runtime>(s: &Suite) {
    let c = R::execute(
        &s.cfg(),
        directive(
            StubScenario::Crash
                .param("after", 3)
                .param("code", 2)
                .param("partial", 1),
            "go",
        ),
        AmpOptions::new(),
    );
    assert_tags::<R>(
        "crash partial",
        &c.items,
        &[
            "system/init",
            "user",
            "assistant",
            "decode@4:json",
            "process",
        ],
    );
    assert_eq!(expect_process(&c.items[4]).0, Some(2));
}

/// Killed by a signal: the error names the signal and has no exit code.
pub fn killed_by_signal<R: Runtime>(s: &Suite) {
    let c = R::execute(
        &s.cfg(),
        directive(
            StubScenario::Crash
                .param("after", 2)
                .param("signal", "KILL"),
            "go",
        ),
        AmpOptions::new(),
    );
    assert_tags::<R>("killed", &c.items, &["system/init", "user", "process"]);
    let (code, signal, stderr) = expect_process(&c.items[2]);
    assert_eq!(code, None);
    assert_eq!(signal.as_deref(), Some("SIGKILL (9)"));
    assert_eq!(stderr, "amp-stub: simulated crash after 2 lines\n");
    assert!(c.items[2]
        .as_ref()
        .unwrap_err()
        .to_string()
        .starts_with("Amp CLI was killed by SIGKILL (9)"));
}

/// A non-zero exit after a success result is not an error (stream and `run`).
pub fn exit_nonzero_after_success<R: Runtime>(s: &Suite) {
    let scratch = Scratch::new();
    let c = R::execute(
        &s.cfg(),
        directive(StubScenario::ExitAfterSuccess.param("code", 3), "done"),
        scratch.recorded(AmpOptions::new()),
    );
    assert_tags::<R>(
        "exit after success",
        &c.items,
        &["system/init", "user", "assistant", "result"],
    );
    assert_eq!(record_of::<R>(&scratch).0["exit_code"], json!(3));
    let summary = R::run(
        &s.cfg(),
        directive(StubScenario::ExitAfterSuccess.param("code", 3), "done"),
        AmpOptions::new(),
    )
    .unwrap_or_else(|e| panic!("[{}] run failed: {e:?}", R::NAME));
    assert_eq!(summary.result, "done");
}

/// An error result is delivered as a message (then the exit 1 is a process error); `run`
/// gives `AgentError::ErrorResult`.
pub fn error_result<R: Runtime>(s: &Suite) {
    let prompt = || {
        directive(
            StubScenario::ErrorResult.param("message", "kaboom"),
            "fail please",
        )
    };
    let c = R::execute(&s.cfg(), prompt(), AmpOptions::new());
    assert_tags::<R>(
        "error result",
        &c.items,
        &[
            "system/init",
            "user",
            "assistant",
            "error_result",
            "process",
        ],
    );
    match &c.items[3] {
        Ok(Message::ErrorResult(e)) => {
            assert_eq!(e.error, "kaboom");
            assert_eq!(e.subtype.as_str(), "error_during_execution");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(expect_process(&c.items[4]), (Some(1), None, String::new()));
    match R::run(&s.cfg(), prompt(), AmpOptions::new()) {
        Err(AgentError::ErrorResult { subtype, error }) => {
            assert_eq!(subtype, "error_during_execution");
            assert_eq!(error, "kaboom");
        }
        other => panic!("[{}] run: expected ErrorResult, got {other:?}", R::NAME),
    }
}

/// An error result with a subtype this version does not know keeps it as text, in the
/// message and in `run`'s error; a custom exit code is reported.
pub fn error_result_unknown_subtype<R: Runtime>(s: &Suite) {
    let prompt = || {
        directive(
            StubScenario::ErrorResult
                .param("subtype", "error_from_the_future")
                .param("code", 4)
                .param("message", "odd"),
            "x",
        )
    };
    let c = R::execute(&s.cfg(), prompt(), AmpOptions::new());
    assert_tags::<R>(
        "unknown subtype",
        &c.items,
        &[
            "system/init",
            "user",
            "assistant",
            "error_result",
            "process",
        ],
    );
    match &c.items[3] {
        Ok(Message::ErrorResult(e)) => {
            assert_eq!(e.subtype.as_str(), "error_from_the_future");
            assert_eq!(e.error, "odd");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(expect_process(&c.items[4]).0, Some(4));
    assert_eq!(
        R::run(&s.cfg(), prompt(), AmpOptions::new()),
        Err(AgentError::ErrorResult {
            subtype: "error_from_the_future".into(),
            error: "odd".into()
        }),
        "[{}]",
        R::NAME
    );
}

/// A CLI that exits 0 without a result: no error in the stream; `run` gives `NoResult`.
pub fn exit_zero_without_result<R: Runtime>(s: &Suite) {
    let prompt = || {
        directive(
            StubScenario::Crash.param("after", 2).param("code", 0),
            "quiet",
        )
    };
    let c = R::execute(&s.cfg(), prompt(), AmpOptions::new());
    assert_tags::<R>("exit 0, no result", &c.items, &["system/init", "user"]);
    assert_eq!(
        R::run(&s.cfg(), prompt(), AmpOptions::new()).err(),
        Some(AgentError::NoResult),
        "[{}] run",
        R::NAME
    );
}

/// `run` skips per-line decode errors and sums up the messages that did decode.
pub fn run_skips_garbage<R: Runtime>(s: &Suite) {
    let summary = R::run(
        &s.cfg(),
        directive(StubScenario::Garbage, "survived"),
        AmpOptions::new(),
    )
    .unwrap_or_else(|e| panic!("[{}] run failed: {e:?}", R::NAME));
    assert_eq!(summary.result, "survived");
    assert_eq!(
        summary.message_count,
        5,
        "[{}] init, user, 2 assistant, result",
        R::NAME
    );
}

/// `run` of a crashing CLI gives the process error (exit code and stderr).
pub fn run_process_error<R: Runtime>(s: &Suite) {
    assert_eq!(
        R::run(
            &s.cfg(),
            directive(StubScenario::Crash.param("after", 3).param("code", 7), "go"),
            AmpOptions::new()
        ),
        Err(AgentError::Process {
            exit_code: Some(7),
            signal: None,
            stderr: "amp-stub: simulated crash after 3 lines\n".into()
        }),
        "[{}]",
        R::NAME
    );
}

/// `run` of a hanging CLI gives the idle timeout.
pub fn run_idle_timeout<R: Runtime>(s: &Suite) {
    let cfg = AmpCfg {
        idle_timeout: Some(Duration::from_millis(700)),
        kill_grace: Some(Duration::from_secs(2)),
        ..s.cfg()
    };
    assert_eq!(
        R::run(
            &cfg,
            directive(StubScenario::Hang, "wait"),
            AmpOptions::new()
        ),
        Err(AgentError::Timeout {
            kind: TimeoutKind::Idle,
            after: Duration::from_millis(700)
        }),
        "[{}]",
        R::NAME
    );
}
