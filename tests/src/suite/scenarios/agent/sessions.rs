//! Streamed input and sessions: turns, `finish`, `close_input`, a CLI that dies or errors
//! mid-session, a session dropped midway.

use super::*;

/// A stream of N user messages gives N turns (`--stream-json-input`), each line carrying
/// its `request_id`, and the input is closed when the stream ends.
pub fn stream_input_turns<R: Runtime>(s: &Suite) {
    let scratch = Scratch::new();
    let turns = ["first question", "second question", "third: 日本語"];
    let messages = turns
        .iter()
        .enumerate()
        .map(|(i, t)| {
            create_user_message(*t)
                .with_request_id(format!("req-{}", i + 1))
                .expect("valid request id")
        })
        .collect();
    let c = R::execute(
        &s.cfg(),
        PromptSpec::Messages(messages),
        scratch.recorded(AmpOptions::new()),
    );
    assert_tags::<R>(
        "stream input",
        &c.items,
        &[
            "system/init",
            "user",
            "assistant",
            "result",
            "user",
            "assistant",
            "result",
            "user",
            "assistant",
            "result",
        ],
    );
    assert_one_session::<R>(&c.items);
    let texts: Vec<String> = assistants(&c.items).iter().map(|a| a.text()).collect();
    assert_eq!(texts, turns, "[{}] one answer per turn", R::NAME);
    let echoed: Vec<String> = users(&c.items).iter().map(|u| u.text()).collect();
    assert_eq!(echoed, turns);
    let n: Vec<u64> = results(&c.items).iter().map(|r| r.num_turns).collect();
    assert_eq!(n, [1, 2, 3]);

    let rec = record_of::<R>(&scratch);
    assert_eq!(
        rec.args(),
        ["--execute", "--stream-json", "--stream-json-input"],
        "[{}] argv",
        R::NAME
    );
    assert_eq!(
        rec.0["stdin_eof"],
        json!(true),
        "[{}] input closed",
        R::NAME
    );
    let lines: Vec<Value> = rec.0["stdin_lines"]
        .as_array()
        .expect("stdin_lines")
        .iter()
        .map(|l| serde_json::from_str(l.as_str().unwrap_or_default()).expect("a JSON line"))
        .collect();
    assert_eq!(lines.len(), 3, "[{}] input lines: {lines:?}", R::NAME);
    for (i, line) in lines.iter().enumerate() {
        assert_eq!(line["type"], "user");
        assert_eq!(line["message"]["role"], "user");
        assert_eq!(line["message"]["content"][0]["text"], turns[i]);
        assert_eq!(
            line["request_id"],
            json!(format!("req-{}", i + 1)),
            "[{}] request_id passthrough",
            R::NAME
        );
    }
    assert_reaped::<R>(&rec);
}

/// An interactive session: each `send_text` is answered before the next is sent, and
/// `finish()` returns the summary of the whole session.
pub fn session_finish<R: Runtime>(s: &Suite) {
    let scratch = Scratch::new();
    let turns: Vec<String> = ["one", "two", "three"].map(String::from).to_vec();
    let out = R::session(
        &s.cfg(),
        scratch.recorded(AmpOptions::new()),
        turns.clone(),
        SessionEnd::Finish,
    );
    assert_tags::<R>(
        "session",
        &out.items,
        &[
            "system/init",
            "user",
            "assistant",
            "result",
            "user",
            "assistant",
            "result",
            "user",
            "assistant",
            "result",
        ],
    );
    let sid = assert_one_session::<R>(&out.items);
    let texts: Vec<String> = assistants(&out.items).iter().map(|a| a.text()).collect();
    assert_eq!(texts, turns);
    let summary = out
        .summary
        .expect("finish() was called")
        .unwrap_or_else(|e| panic!("[{}] finish() failed: {e:?}", R::NAME));
    assert_eq!(summary.result, "three");
    assert_eq!(summary.num_turns, 3);
    assert_eq!(summary.session_id.as_deref(), Some(sid.as_str()));
    assert_eq!(
        summary.message_count,
        10,
        "[{}] the summary counts every message of the session",
        R::NAME
    );
    assert_eq!(counts(&summary.usage), sum_assistant_usage(&out.items));
    assert_eq!(
        counts(&summary.assistant_usage),
        sum_assistant_usage(&out.items)
    );

    let rec = record_of::<R>(&scratch);
    assert_eq!(
        rec.args(),
        ["--execute", "--stream-json", "--stream-json-input"]
    );
    assert_eq!(
        rec.0["stdin_eof"],
        json!(true),
        "[{}] finish closes input",
        R::NAME
    );
    assert_eq!(rec.0["stdin_lines"].as_array().map(Vec::len), Some(3));
    assert_reaped::<R>(&rec);
}

/// `close_input()` ends the session: the stream ends after the last answer, without error.
pub fn session_close_input<R: Runtime>(s: &Suite) {
    let scratch = Scratch::new();
    let out = R::session(
        &s.cfg(),
        scratch.recorded(AmpOptions::new()),
        vec!["alpha".into(), "beta".into()],
        SessionEnd::CloseAndDrain,
    );
    assert_tags::<R>(
        "session close",
        &out.items,
        &[
            "system/init",
            "user",
            "assistant",
            "result",
            "user",
            "assistant",
            "result",
        ],
    );
    assert!(out.summary.is_none());
    let texts: Vec<String> = assistants(&out.items).iter().map(|a| a.text()).collect();
    assert_eq!(texts, ["alpha", "beta"]);
    let rec = record_of::<R>(&scratch);
    assert_eq!(rec.0["stdin_eof"], json!(true));
    assert_reaped::<R>(&rec);
}

/// An empty stream of user messages: stdin is closed at once, the CLI has nothing to do,
/// nothing is yielded; `run` gives `NoResult`.
pub fn empty_stream_input<R: Runtime>(s: &Suite) {
    let scratch = Scratch::new();
    let c = R::execute(
        &s.cfg(),
        PromptSpec::Messages(Vec::new()),
        scratch.recorded(AmpOptions::new()),
    );
    assert_tags::<R>("empty input", &c.items, &[]);
    let rec = record_of::<R>(&scratch);
    assert_eq!(
        rec.args(),
        ["--execute", "--stream-json", "--stream-json-input"]
    );
    assert_eq!(rec.0["stdin_bytes"], json!(0));
    assert_eq!(rec.0["exit_code"], json!(0));
    assert_eq!(
        R::run(
            &s.cfg(),
            PromptSpec::Messages(Vec::new()),
            AmpOptions::new()
        )
        .err(),
        Some(AgentError::NoResult)
    );
}

/// A session whose CLI dies on the first turn: the process error ends the stream; a later
/// send fails (the input is gone) and `finish()` reports the process error.
pub fn session_send_after_exit<R: Runtime>(s: &Suite) {
    let out = R::session(
        &s.cfg(),
        AmpOptions::new(),
        vec![
            StubScenario::Crash
                .param("after", 2)
                .param("code", 3)
                .directive("die"),
            "too late".into(),
        ],
        SessionEnd::Finish,
    );
    assert_tags::<R>(
        "session crash",
        &out.items,
        &["system/init", "user", "process"],
    );
    assert!(
        out.sends[0].is_ok(),
        "[{}] first send: {:?}",
        R::NAME,
        out.sends[0]
    );
    match &out.sends[1] {
        Err(AgentError::Io { kind, .. }) => assert_eq!(*kind, std::io::ErrorKind::BrokenPipe),
        other => panic!(
            "[{}] a send after the CLI exited: expected an Io(BrokenPipe) error, got {other:?}",
            R::NAME
        ),
    }
    match out.summary.expect("finish() was called") {
        Err(AgentError::Process { exit_code, .. }) => assert_eq!(exit_code, Some(3)),
        other => panic!(
            "[{}] finish(): expected the process error, got {other:?}",
            R::NAME
        ),
    }
}

/// `finish()` on a session whose agent answered with an error result gives
/// `AgentError::ErrorResult`.
pub fn session_error_result<R: Runtime>(s: &Suite) {
    let out = R::session(
        &s.cfg(),
        AmpOptions::new(),
        vec![StubScenario::ErrorResult
            .param("message", "nope")
            .directive("try")],
        SessionEnd::Finish,
    );
    assert_tags::<R>(
        "session error result",
        &out.items,
        &["system/init", "user", "assistant", "error_result"],
    );
    match out.summary.expect("finish() was called") {
        Err(AgentError::ErrorResult { subtype, error }) => {
            assert_eq!(subtype, "error_during_execution");
            assert_eq!(error, "nope");
        }
        other => panic!(
            "[{}] finish(): expected ErrorResult, got {other:?}",
            R::NAME
        ),
    }
}

/// Dropping a session with its input still open terminates the CLI and removes the
/// private folder.
pub fn session_drop_midway<R: Runtime>(s: &Suite) {
    let scratch = Scratch::new();
    let mut seen: Option<(Record, PathBuf)> = None;
    let items = R::session_then_drop(
        &cfg_in(s, &scratch),
        with_private_dir(&scratch),
        vec!["first turn".into()],
        &mut |_| {
            let rec = record_of::<R>(&scratch);
            let dir = private_dir_of::<R>(&rec);
            assert!(process_exists(rec.pid()), "[{}] waiting for input", R::NAME);
            seen = Some((rec, dir));
        },
    );
    assert_tags::<R>(
        "session drop",
        &items,
        &["system/init", "user", "assistant", "result"],
    );
    let (rec, dir) = seen.expect("inspected while alive");
    assert_eventually_gone::<R>(&rec, Some(&dir));
    assert_no_leftovers::<R>(&scratch, true);
}
