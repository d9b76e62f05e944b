//! ampere-testing end to end: record runs of the stand-in CLI (`amp-stub`) with
//! `record_to`, replay them under all three runtimes, and compare message for message;
//! faults against the stand-in's own fault scenarios; mismatches; secrets.

use std::path::Path;
use std::time::Duration;

use ampere_blocking::{AgentError, AmpOptions, Effort, McpConfigSource, Message, RunSummary};
use ampere_runtime_common::RunLog;
use ampere_testing::{Replay, ReplayBuilder, MISMATCH_EXIT_CODE, MISMATCH_PREFIX};
use ampere_tests::stub::scenario::StubScenario;

const STUB: &str = env!("CARGO_BIN_EXE_amp-stub");

type Item = Result<Message, AgentError>;

fn blocking(cli: &Path) -> ampere_blocking::Amp {
    ampere_blocking::Amp::builder()
        .cli_path(cli)
        .kill_grace(Duration::from_millis(300))
        .build()
}

/// Runs the prompt on the stand-in with recording on; the items it gave.
fn record(path: &Path, prompt: &str, options: AmpOptions) -> Vec<Item> {
    let amp = ampere_blocking::Amp::builder()
        .cli_path(STUB)
        .record_to(path)
        .build();
    amp.execute(prompt, options).collect()
}

fn summary_of(items: &[Item]) -> Result<RunSummary, AgentError> {
    let mut log = RunLog::default();
    for item in items {
        log.observe(item, false);
    }
    log.finish()
}

fn messages(items: &[Item]) -> Vec<Message> {
    items
        .iter()
        .filter_map(|i| i.as_ref().ok().cloned())
        .collect()
}

fn tokio_rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime")
}

/// The items and the run-to-completion outcome of one execution under each runtime.
fn all_runtimes(
    cli: &Path,
    prompt: &str,
    options: &AmpOptions,
) -> Vec<(&'static str, Vec<Item>, Result<RunSummary, AgentError>)> {
    let mut out = Vec::new();
    let amp = blocking(cli);
    let items: Vec<Item> = amp.execute(prompt, options.clone()).collect();
    out.push(("blocking", items, amp.run(prompt, options.clone())));

    let rt = tokio_rt();
    let (items, summary) = rt.block_on(async {
        let amp = ampere_tokio::Amp::builder().cli_path(cli).build();
        let mut execution = amp.execute(prompt, options.clone());
        let mut items = Vec::new();
        while let Some(item) = execution.next().await {
            items.push(item);
        }
        (items, amp.run(prompt, options.clone()).await)
    });
    out.push(("tokio", items, summary));

    let (items, summary) = async_std::task::block_on(async {
        let amp = ampere_async_std::Amp::builder().cli_path(cli).build();
        let mut execution = amp.execute(prompt, options.clone());
        let mut items = Vec::new();
        while let Some(item) = execution.next().await {
            items.push(item);
        }
        (items, amp.run(prompt, options.clone()).await)
    });
    out.push(("async-std", items, summary));
    out
}

#[test]
fn a_recorded_stub_run_replays_message_for_message_in_every_runtime() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("tools.jsonl");
    let prompt = StubScenario::Tools
        .param("count", 3)
        .directive("fix the bug");
    let options = AmpOptions::default().labels(["sdk", "replay"]);
    let recorded = record(&path, &prompt, options.clone());
    let expected = messages(&recorded);
    assert!(
        expected.len() >= 8,
        "a real multi-message run: {expected:?}"
    );
    let expected_summary = summary_of(&recorded).expect("the stub run succeeded");

    let replay = Replay::open(&path).expect("the recording replays");
    for (runtime, items, summary) in all_runtimes(replay.cli_path(), &prompt, &options) {
        assert!(
            items.iter().all(Result::is_ok),
            "[{runtime}] no error: {items:?}"
        );
        assert_eq!(messages(&items), expected, "[{runtime}] the same stream");
        assert_eq!(
            summary.as_ref(),
            Ok(&expected_summary),
            "[{runtime}] the same summary"
        );
    }
    assert_eq!(replay.runs(), 6, "every run went to the replay script");
    assert_eq!(replay.mismatch(), None);
}

#[test]
fn a_recorded_session_replays_turn_by_turn() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("session.jsonl");
    let turns = ["first question", "second: 日本語"];
    let session_run = |cli: &Path, record: bool| {
        let mut builder = ampere_blocking::Amp::builder().cli_path(cli);
        if record {
            builder = builder.record_to(&path);
        }
        let amp = builder.build();
        let mut session = amp.session(AmpOptions::default());
        let mut seen = Vec::new();
        for turn in turns {
            session.send_text(turn).expect("send");
            for item in session.by_ref() {
                let message = item.expect("a message");
                let done = matches!(message, Message::Result(_));
                seen.push(message);
                if done {
                    break;
                }
            }
        }
        (seen, session.finish())
    };
    let (expected, expected_summary) = session_run(Path::new(STUB), true);
    assert!(expected.len() >= 6, "{expected:?}");
    let replay = Replay::open(&path).expect("replay");
    let (seen, summary) = session_run(replay.cli_path(), false);
    assert_eq!(seen, expected, "the same messages, turn by turn");
    assert_eq!(summary, expected_summary, "the same summary");

    // The same session under tokio.
    let rt = tokio_rt();
    let (seen, summary) = rt.block_on(async {
        let amp = ampere_tokio::Amp::builder()
            .cli_path(replay.cli_path())
            .build();
        let mut session = amp.session(AmpOptions::default());
        let mut seen = Vec::new();
        for turn in turns {
            session.send_text(turn).await.expect("send");
            while let Some(item) = session.next().await {
                let message = item.expect("a message");
                let done = matches!(message, Message::Result(_));
                seen.push(message);
                if done {
                    break;
                }
            }
        }
        (seen, session.finish().await)
    });
    assert_eq!(seen, expected, "[tokio] the same messages");
    assert_eq!(summary, expected_summary, "[tokio] the same summary");
    assert_eq!(replay.mismatch(), None);
}

/// What matters about an item when comparing a replayed fault with a real one.
fn shape(item: &Item) -> String {
    match item {
        Ok(_) => "message".into(),
        Err(AgentError::Process {
            exit_code, signal, ..
        }) => format!("process exit={exit_code:?} signal={signal:?}"),
        Err(AgentError::Decode(_)) => "decode".into(),
        Err(AgentError::Timeout { kind, after }) => format!("timeout {kind:?} {after:?}"),
        Err(other) => format!("{other:?}"),
    }
}

fn shapes(items: &[Item]) -> Vec<String> {
    items.iter().map(shape).collect()
}

/// Runs the stand-in's fault scenario, and the replay (built by `fault` from a recording of
/// a healthy run) under every runtime; both must give the same items and final error.
fn compare_fault(
    healthy: StubScenario,
    scenario: ampere_tests::stub::scenario::Scenario,
    fault: impl Fn(ReplayBuilder) -> ReplayBuilder,
) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("healthy.jsonl");
    let prompt = healthy.param("count", 3).directive("go");
    let healthy = record(&path, &prompt, AmpOptions::default());
    assert!(healthy.iter().all(Result::is_ok));
    let amp = ampere_blocking::Amp::builder()
        .cli_path(STUB)
        .idle_timeout(Duration::from_millis(600))
        .kill_grace(Duration::from_millis(300))
        .build();
    let real: Vec<Item> = amp
        .execute(scenario.directive("go"), AmpOptions::default())
        .collect();
    let expected = shapes(&real);
    let builder = Replay::builder_from_file(&path)
        .expect("recording")
        .check_invocation(false);
    let replay = fault(builder).build().expect("replay");
    let amp = ampere_blocking::Amp::builder()
        .cli_path(replay.cli_path())
        .idle_timeout(Duration::from_millis(600))
        .kill_grace(Duration::from_millis(300))
        .build();
    let items: Vec<Item> = amp.execute(&prompt, AmpOptions::default()).collect();
    assert_eq!(
        shapes(&items),
        expected,
        "blocking: {items:?}\nreal: {real:?}"
    );
    let rt = tokio_rt();
    let items = rt.block_on(async {
        let amp = ampere_tokio::Amp::builder()
            .cli_path(replay.cli_path())
            .idle_timeout(Duration::from_millis(600))
            .kill_grace(Duration::from_millis(300))
            .build();
        let mut execution = amp.execute(prompt.as_str(), AmpOptions::default());
        let mut items = Vec::new();
        while let Some(item) = execution.next().await {
            items.push(item);
        }
        items
    });
    assert_eq!(shapes(&items), expected, "tokio: {items:?}");
    let items = async_std::task::block_on(async {
        let amp = ampere_async_std::Amp::builder()
            .cli_path(replay.cli_path())
            .idle_timeout(Duration::from_millis(600))
            .kill_grace(Duration::from_millis(300))
            .build();
        let mut execution = amp.execute(prompt.as_str(), AmpOptions::default());
        let mut items = Vec::new();
        while let Some(item) = execution.next().await {
            items.push(item);
        }
        items
    });
    assert_eq!(shapes(&items), expected, "async-std: {items:?}");
}

#[test]
fn crash_mid_stream_matches_the_stub_crash() {
    compare_fault(
        StubScenario::Tools,
        StubScenario::Crash.param("after", 3).param("code", 7),
        |b| b.cut_at_line(3).crash_with(7),
    );
}

#[test]
fn a_partial_line_matches_the_stub_partial_crash() {
    compare_fault(
        StubScenario::Tools,
        StubScenario::Crash
            .param("after", 2)
            .param("partial", 1)
            .param("code", 2),
        |b| b.cut_at_line(2).partial_line().crash_with(2),
    );
}

#[test]
fn a_crash_by_signal_matches_the_stub_signal_crash() {
    compare_fault(
        StubScenario::Tools,
        StubScenario::Crash
            .param("after", 1)
            .param("signal", "KILL"),
        |b| b.cut_at_line(1).crash_with_signal(9),
    );
}

#[test]
fn a_stall_trips_the_idle_timeout_like_the_stub_hang() {
    // The stub's `hang` prints the init message, then sleeps.
    compare_fault(
        StubScenario::Tools,
        ampere_tests::stub::scenario::Scenario::new(StubScenario::Hang),
        |b| b.cut_at_line(1).stall(),
    );
}

#[test]
fn a_nonzero_exit_after_success_matches_the_stub() {
    // A healthy echo run (init, user, assistant, success result) exiting 3 instead of 0:
    // the success result stands, as with the stub's `exit-after-success`.
    compare_fault(
        StubScenario::Echo,
        StubScenario::ExitAfterSuccess.param("code", 3),
        |b| b.crash_with(3),
    );
}

fn mismatch_of(replay: &Replay, prompt: &str, options: AmpOptions) -> String {
    let result = blocking(replay.cli_path()).run(prompt, options);
    let Err(AgentError::Process {
        exit_code, stderr, ..
    }) = result
    else {
        panic!("a mismatch is a process error: {result:?}");
    };
    assert_eq!(exit_code, Some(MISMATCH_EXIT_CODE));
    let line = stderr
        .lines()
        .find(|l| l.starts_with(MISMATCH_PREFIX))
        .unwrap_or_else(|| panic!("no mismatch line in {stderr:?}"))
        .to_string();
    assert_eq!(
        replay.mismatch().as_deref(),
        Some(line.as_str()),
        "the report"
    );
    line
}

#[test]
fn a_changed_prompt_or_option_is_reported_as_a_mismatch() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("echo.jsonl");
    let options = AmpOptions::default().labels(["nightly"]);
    assert!(record(&path, "review the diff", options.clone())
        .iter()
        .all(Result::is_ok));
    let replay = Replay::open(&path).expect("replay");
    assert!(blocking(replay.cli_path())
        .run("review the diff", options.clone())
        .is_ok());
    assert_eq!(replay.mismatch(), None, "the same invocation matches");

    let line = mismatch_of(&replay, "review the whole repo", options.clone());
    assert!(line.contains("the prompt differs"), "{line}");
    assert!(line.contains("review the diff") && line.contains("review the whole repo"));

    let replay = Replay::open(&path).expect("replay");
    let line = mismatch_of(
        &replay,
        "review the diff",
        AmpOptions::default().labels(["weekly"]),
    );
    assert!(
        line.contains("recorded 'nightly', this run 'weekly'"),
        "{line}"
    );

    let replay = Replay::open(&path).expect("replay");
    let line = mismatch_of(
        &replay,
        "review the diff",
        AmpOptions {
            effort: Some(Effort::High),
            ..options.clone()
        },
    );
    assert!(line.contains("'--effort'"), "names the new option: {line}");
}

#[test]
fn recordings_never_contain_a_secret() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("secrets.jsonl");
    let options = AmpOptions::default()
        .env("MY_SERVICE_PASSWORD", "env-secret-1234")
        .env("AMP_API_KEY", "sk-amp-token-5678")
        .system_prompt("system-secret-2468")
        .mcp_config(McpConfigSource::Json(
            r#"{"db": {"command": "node", "args": ["--token", "arg-secret-1357"], "env": {"DB_PASSWORD": "mcp-env-secret-9012"}},
               "remote": {"url": "https://mcp.example.com", "headers": {"Authorization": "Bearer mcp-header-secret-3456"}}}"#
                .into(),
        ));
    let items = record(&path, "hello there", options);
    assert!(items.iter().all(Result::is_ok), "{items:?}");
    let bytes = std::fs::read(&path).expect("the recording");
    let text = String::from_utf8_lossy(&bytes);
    for secret in [
        "env-secret-1234",
        "sk-amp-token-5678",
        "system-secret-2468",
        "arg-secret-1357",
        "mcp-env-secret-9012",
        "mcp-header-secret-3456",
    ] {
        assert!(!text.contains(secret), "{secret} leaked into:\n{text}");
    }
    // What is kept: the shape (names, not values), and the prompt.
    for kept in [
        "MY_SERVICE_PASSWORD",
        "DB_PASSWORD",
        "hello there",
        "--mcp-config",
    ] {
        assert!(text.contains(kept), "{kept} missing from:\n{text}");
    }
    assert!(
        text.contains("{private}/"),
        "the private folder is a placeholder"
    );
}
