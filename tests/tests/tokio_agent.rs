//! `ampere-tokio` agent executions against `amp-stub` (the stand-in CLI).
//!
//! Waits are generous (the suite must pass on a loaded 2-core machine); only the tests that
//! are about timeouts use short ones.

use std::path::Path;
use std::time::{Duration, Instant};

use ampere_tests::stub::{big_line_content, fnv1a64};
use ampere_tokio::{
    create_user_message, AgentError, Amp, AmpOptions, ContentBlock, Execution, McpConfigSource,
    Message, MultiplayerSetting, Permission, Prompt, TimeoutKind, ToolResultContent,
    UserInputMessage,
};
use serde_json::Value;

const STUB: &str = env!("CARGO_BIN_EXE_amp-stub");
/// How long a test waits for something that should happen "at once".
const PATIENCE: Duration = Duration::from_secs(30);

struct Fixture {
    amp: Amp,
    temp: tempfile::TempDir,
}

fn fixture() -> Fixture {
    fixture_with(|b| b)
}

fn fixture_with(f: impl FnOnce(ampere_tokio::AmpBuilder) -> ampere_tokio::AmpBuilder) -> Fixture {
    let temp = tempfile::tempdir().expect("tempdir");
    let amp = f(Amp::builder().cli_path(STUB).temp_dir(temp.path())).build();
    Fixture { amp, temp }
}

impl Fixture {
    /// Asserts the private-folder root is empty (nothing left behind).
    fn assert_clean(&self) {
        let left: Vec<_> = std::fs::read_dir(self.temp.path())
            .expect("read temp root")
            .map(|e| e.map(|e| e.path()))
            .collect();
        assert!(left.is_empty(), "left behind: {left:?}");
    }
}

/// Options that need a private folder (the settings overlay).
fn private_options() -> AmpOptions {
    AmpOptions {
        system_prompt: Some("You are a careful test agent.".into()),
        ..AmpOptions::default()
    }
}

/// Everything an execution yielded: messages, per-line errors, and the final error.
#[derive(Debug, Default)]
struct Collected {
    messages: Vec<Message>,
    line_errors: Vec<AgentError>,
    end: Option<AgentError>,
    /// Order of events: 'm' message, 'd' decode error, 'E' final error.
    order: String,
}

async fn collect(execution: Execution) -> Collected {
    collect_within(execution, Some(Duration::from_secs(120))).await
}

async fn collect_within(mut execution: Execution, patience: Option<Duration>) -> Collected {
    let mut c = Collected::default();
    let deadline = patience.map(|p| tokio::time::Instant::now() + p);
    loop {
        let item = match deadline {
            Some(deadline) => tokio::time::timeout_at(deadline, execution.next())
                .await
                .expect("the execution ended in time"),
            None => execution.next().await,
        };
        let Some(item) = item else { break };
        assert!(c.end.is_none(), "nothing may follow the final error");
        match item {
            Ok(m) => {
                c.order.push('m');
                c.messages.push(m);
            }
            Err(e @ AgentError::Decode(_)) => {
                c.order.push('d');
                c.line_errors.push(e);
            }
            Err(e) => {
                c.order.push('E');
                c.end = Some(e);
            }
        }
    }
    c
}

fn result_text(c: &Collected) -> Option<&str> {
    c.messages.iter().find_map(|m| match m {
        Message::Result(r) => Some(r.result.as_str()),
        _ => None,
    })
}

/// Whether any process is still in process group `pgid` (or the process itself exists).
fn group_alive(pgid: u32) -> bool {
    if Path::new(&format!("/proc/{pgid}")).exists() {
        return true;
    }
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return false;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name.to_str().and_then(|s| s.parse::<u32>().ok()) else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        // Fields after the `(comm)`: state ppid pgrp ...
        if let Some(rest) = stat.rsplit_once(')').map(|(_, r)| r) {
            let fields: Vec<&str> = rest.split_whitespace().collect();
            if fields.get(2).and_then(|p| p.parse::<u32>().ok()) == Some(pgid) {
                return true;
            }
        }
    }
    false
}

async fn eventually(what: &str, mut cond: impl FnMut() -> bool) {
    let start = Instant::now();
    while !cond() {
        assert!(start.elapsed() < PATIENCE, "timed out waiting for: {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Reads messages until the first one matching `pred` (panics on the end or an error).
async fn until(execution: &mut Execution, mut pred: impl FnMut(&Message) -> bool) -> Vec<Message> {
    let mut seen = Vec::new();
    loop {
        let item = tokio::time::timeout(PATIENCE, execution.next())
            .await
            .expect("a message in time")
            .expect("the stream is still open")
            .expect("a message, not an error");
        let hit = pred(&item);
        seen.push(item);
        if hit {
            return seen;
        }
    }
}

fn is_init(m: &Message) -> bool {
    matches!(m, Message::System(s) if s.is_init())
}

// ---------------------------------------------------------------------------------------
// Happy paths
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn text_prompt_streams_init_assistant_result() {
    let fx = fixture();
    let c = collect(fx.amp.execute("Hello there", AmpOptions::default())).await;
    assert!(c.end.is_none(), "{:?}", c.end);
    assert!(c.line_errors.is_empty());
    assert!(is_init(&c.messages[0]), "{:?}", c.messages[0]);
    assert!(c
        .messages
        .iter()
        .any(|m| matches!(m, Message::Assistant(a) if a.text().contains("Hello there"))));
    assert_eq!(result_text(&c), Some("Hello there"));
    assert!(c.messages.last().is_some_and(Message::is_success_result));
}

#[tokio::test]
async fn run_returns_summary_with_tool_calls() {
    let fx = fixture();
    let summary = fx
        .amp
        .run(
            "[[scenario:tools count=4]] do things",
            AmpOptions::default(),
        )
        .await
        .expect("run succeeds");
    assert_eq!(summary.tool_calls.len(), 4);
    assert!(summary.tool_calls.iter().all(|t| t.result.is_some()));
    assert_eq!(summary.result, "Done: ran 4 tools.");
    assert!(summary
        .session_id
        .as_deref()
        .is_some_and(|s| s.starts_with("T-")));
    assert!(summary.num_turns >= 1);
}

#[tokio::test]
async fn error_result_is_an_error_from_run() {
    let fx = fixture();
    let err = fx
        .amp
        .run(
            "[[scenario:error-result message=quota-exceeded]] x",
            AmpOptions::default(),
        )
        .await
        .expect_err("error result");
    match err {
        AgentError::ErrorResult { subtype, error } => {
            assert_eq!(subtype, "error_during_execution");
            assert_eq!(error, "quota-exceeded");
        }
        other => panic!("expected ErrorResult, got {other:?}"),
    }
}

#[tokio::test]
async fn free_function_execute_uses_amp_cli_path_env() {
    // The free function finds the CLI itself; this only checks that a validation error
    // surfaces as one error before anything is spawned (no CLI needed).
    let options = AmpOptions {
        labels: Some(vec!["not a label!".into()]),
        ..AmpOptions::default()
    };
    let execution = ampere_tokio::execute("x", options);
    assert_eq!(execution.pid(), None);
    let c = collect(execution).await;
    assert!(c.messages.is_empty());
    assert!(
        matches!(&c.end, Some(AgentError::Validation(v)) if v.field.starts_with("labels")),
        "{:?}",
        c.end
    );
}

#[tokio::test]
async fn missing_cli_is_cli_not_found_with_install_hint() {
    let fx = fixture_with(|b| b.cli_path("/nonexistent/amp-cli-for-ampere-tests"));
    let c = collect(fx.amp.execute("x", AmpOptions::default())).await;
    let err = c.end.expect("an error");
    assert!(matches!(err, AgentError::CliNotFound { .. }), "{err:?}");
    assert!(
        err.to_string()
            .contains("/nonexistent/amp-cli-for-ampere-tests"),
        "{err}"
    );
    fx.assert_clean();
}

#[tokio::test]
async fn unknown_message_types_pass_through() {
    let fx = fixture();
    let c = collect(
        fx.amp
            .execute("[[scenario:unknown-types]] x", AmpOptions::default()),
    )
    .await;
    assert!(c.end.is_none(), "{:?}", c.end);
    assert!(c.line_errors.is_empty(), "{:?}", c.line_errors);
    let unknown: Vec<&str> = c
        .messages
        .iter()
        .filter_map(|m| match m {
            Message::Unknown(u) => Some(u.message_type()),
            _ => None,
        })
        .collect();
    assert!(unknown.contains(&"telemetry"), "{unknown:?}");
    assert!(c.messages.iter().any(|m| matches!(m, Message::Assistant(a)
        if a.message.content.iter().any(|b| matches!(b, ContentBlock::Unknown(_))))));
    assert!(c.messages.last().is_some_and(Message::is_success_result));
}

#[tokio::test]
async fn garbage_lines_are_per_line_errors_and_decoding_continues() {
    let fx = fixture();
    let c = collect(
        fx.amp
            .execute("[[scenario:garbage]] tidy", AmpOptions::default()),
    )
    .await;
    assert!(c.end.is_none(), "{:?}", c.end);
    assert!(c.line_errors.len() >= 5, "{:?}", c.line_errors);
    // Errors came in place, between messages, and the run went on to its result.
    assert!(
        c.order.starts_with('m') && c.order.ends_with('m'),
        "{}",
        c.order
    );
    assert!(
        c.order.contains("mdd") || c.order.contains("md"),
        "{}",
        c.order
    );
    assert_eq!(result_text(&c), Some("tidy"));
    let text = c.line_errors[0].to_string();
    assert!(
        text.contains("this is not json"),
        "error shows the line: {text}"
    );
}

// ---------------------------------------------------------------------------------------
// Nothing is lost
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn crash_delivers_every_message_then_the_exit_code_and_stderr() {
    let fx = fixture();
    let c = collect(
        fx.amp
            .execute("[[scenario:crash after=3 code=7]] x", private_options()),
    )
    .await;
    assert_eq!(c.messages.len(), 3, "{:?}", c.messages);
    assert_eq!(c.order, "mmmE");
    match c.end.as_ref().expect("process error") {
        AgentError::Process {
            exit_code,
            signal,
            stderr,
        } => {
            assert_eq!(*exit_code, Some(7));
            assert_eq!(*signal, None);
            assert!(stderr.contains("simulated crash after 3 lines"), "{stderr}");
        }
        other => panic!("expected Process, got {other:?}"),
    }
    let text = c.end.as_ref().map(ToString::to_string).unwrap_or_default();
    assert!(
        text.contains("code 7") && text.contains("simulated crash"),
        "{text}"
    );
    fx.assert_clean();
}

#[tokio::test]
async fn crash_by_signal_names_the_signal() {
    let fx = fixture();
    let c = collect(fx.amp.execute(
        "[[scenario:crash after=2 signal=SIGSEGV]] x",
        AmpOptions::default(),
    ))
    .await;
    assert_eq!(c.messages.len(), 2);
    match c.end.as_ref().expect("process error") {
        AgentError::Process { signal, .. } => {
            assert!(
                signal.as_deref().is_some_and(|s| s.contains("SIGSEGV")),
                "{signal:?}"
            )
        }
        other => panic!("expected Process, got {other:?}"),
    }
}

#[tokio::test]
async fn crash_mid_line_reports_the_broken_line_then_the_exit() {
    let fx = fixture();
    let c = collect(fx.amp.execute(
        "[[scenario:crash after=2 partial=1 code=3]] x",
        AmpOptions::default(),
    ))
    .await;
    assert_eq!(c.order, "mmdE", "{c:?}");
    let line_error = c.line_errors[0].to_string();
    assert!(
        line_error.contains("line 3") && line_error.contains("assistant"),
        "the error names the line and shows it: {line_error}"
    );
    assert!(matches!(
        c.end,
        Some(AgentError::Process {
            exit_code: Some(3),
            ..
        })
    ));
}

#[tokio::test]
async fn non_zero_exit_after_success_is_ok() {
    let fx = fixture();
    let c = collect(fx.amp.execute(
        "[[scenario:exit-after-success code=3]] fine",
        AmpOptions::default(),
    ))
    .await;
    assert!(c.end.is_none(), "{:?}", c.end);
    assert_eq!(result_text(&c), Some("fine"));
    let summary = fx
        .amp
        .run(
            "[[scenario:exit-after-success code=3]] fine",
            AmpOptions::default(),
        )
        .await
        .expect("run is ok too");
    assert_eq!(summary.result, "fine");
}

#[tokio::test]
async fn twenty_megabyte_line_is_delivered_intact() {
    let fx = fixture();
    let started = Instant::now();
    let c = collect(
        fx.amp
            .execute("[[scenario:big-line mb=20]] x", AmpOptions::default()),
    )
    .await;
    let elapsed = started.elapsed();
    assert!(c.end.is_none(), "{:?}", c.end);
    assert!(c.line_errors.is_empty());
    let expected = big_line_content(20 << 20);
    let got = c
        .messages
        .iter()
        .find_map(|m| match m {
            Message::User(u) => u.message.content.iter().find_map(|b| match b {
                ContentBlock::ToolResult {
                    content: ToolResultContent::Text(t),
                    ..
                } => Some(t.clone()),
                _ => None,
            }),
            _ => None,
        })
        .expect("the big tool result");
    assert_eq!(got.len(), expected.len());
    assert!(got == expected, "content differs");
    assert_eq!(
        result_text(&c),
        Some(
            format!(
                "big-line bytes={} fnv1a64={:016x}",
                expected.len(),
                fnv1a64(expected.as_bytes())
            )
            .as_str()
        )
    );
    eprintln!("20 MiB line: {elapsed:?}");
}

#[tokio::test]
async fn ten_megabyte_stderr_flood_does_not_block() {
    let fx = fixture();
    let started = Instant::now();
    let c = collect(fx.amp.execute(
        "[[scenario:stderr-flood mb=10]] loud",
        AmpOptions::default(),
    ))
    .await;
    assert!(c.end.is_none(), "{:?}", c.end);
    assert_eq!(result_text(&c), Some("loud"));
    eprintln!("10 MiB stderr flood: {:?}", started.elapsed());
}

// ---------------------------------------------------------------------------------------
// Timeouts, cancellation, cleanup
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn idle_timeout_ends_a_hung_cli_and_cleans_up() {
    let fx = fixture_with(|b| b.idle_timeout(Duration::from_secs(3)));
    let execution = fx.amp.execute("[[scenario:hang]] x", private_options());
    let pid = execution.pid().expect("spawned");
    let dir = execution.private_dir().expect("private dir").to_path_buf();
    assert!(dir.exists());
    let c = collect(execution).await;
    assert!(
        c.messages.first().is_some_and(is_init),
        "init delivered first"
    );
    assert!(
        matches!(
            c.end,
            Some(AgentError::Timeout {
                kind: TimeoutKind::Idle,
                ..
            })
        ),
        "{:?}",
        c.end
    );
    assert!(!dir.exists(), "private dir removed before the stream ended");
    assert!(!group_alive(pid), "process group gone");
    fx.assert_clean();
}

#[tokio::test]
async fn overall_timeout_ends_a_slow_cli() {
    let fx = fixture_with(|b| b.overall_timeout(Duration::from_millis(1500)));
    let started = Instant::now();
    let execution = fx.amp.execute("[[scenario:hang]] x", AmpOptions::default());
    let pid = execution.pid().expect("spawned");
    let c = collect(execution).await;
    assert!(
        matches!(
            c.end,
            Some(AgentError::Timeout {
                kind: TimeoutKind::Overall,
                ..
            })
        ),
        "{:?}",
        c.end
    );
    assert!(started.elapsed() >= Duration::from_millis(1500));
    assert!(!group_alive(pid));
}

#[tokio::test]
async fn cli_ignoring_sigterm_is_killed_after_the_grace() {
    let fx = fixture_with(|b| {
        b.overall_timeout(Duration::from_millis(500))
            .kill_grace(Duration::from_millis(700))
    });
    let started = Instant::now();
    let execution = fx
        .amp
        .execute("[[scenario:ignore-sigterm]] x", private_options());
    let pid = execution.pid().expect("spawned");
    let c = collect(execution).await;
    let elapsed = started.elapsed();
    assert!(
        matches!(c.end, Some(AgentError::Timeout { .. })),
        "{:?}",
        c.end
    );
    assert!(
        elapsed >= Duration::from_millis(1200),
        "SIGKILL only after the grace: {elapsed:?}"
    );
    assert!(!group_alive(pid));
    fx.assert_clean();
}

/// With the clock paused, an hour-long idle timeout passes in no (real) time: the driver
/// takes `now` from tokio's clock.
#[tokio::test(start_paused = true)]
async fn timeouts_follow_tokios_clock() {
    let fx = fixture_with(|b| b.idle_timeout(Duration::from_secs(3600)));
    let started = Instant::now();
    let execution = fx.amp.execute("[[scenario:hang]] x", AmpOptions::default());
    let pid = execution.pid().expect("spawned");
    // No collect deadline: it would be virtual too, and tokio jumps to it while the child
    // dies in real time.
    let c = collect_within(execution, None).await;
    assert!(
        matches!(
            c.end,
            Some(AgentError::Timeout {
                kind: TimeoutKind::Idle,
                ..
            })
        ),
        "{:?}",
        c.end
    );
    assert!(started.elapsed() < Duration::from_secs(60));
    assert!(!group_alive(pid));
}

#[tokio::test]
async fn dropping_the_execution_kills_the_group_and_removes_the_private_dir() {
    let fx = fixture();
    let mut execution = fx.amp.execute("[[scenario:hang]] x", private_options());
    let pid = execution.pid().expect("spawned");
    let dir = execution.private_dir().expect("private dir").to_path_buf();
    until(&mut execution, is_init).await;
    assert!(group_alive(pid));
    drop(execution);
    eventually("process group gone", || !group_alive(pid)).await;
    eventually("private dir removed", || !dir.exists()).await;
    fx.assert_clean();
}

#[tokio::test]
async fn aborting_the_consumer_task_kills_the_group() {
    let fx = fixture();
    let (pid_tx, pid_rx) = tokio::sync::oneshot::channel();
    let amp = fx.amp.clone();
    let consumer = tokio::spawn(async move {
        let mut execution = amp.execute("[[scenario:hang]] x", private_options());
        let _ = pid_tx.send((
            execution.pid().expect("spawned"),
            execution.private_dir().map(Path::to_path_buf),
        ));
        while execution.next().await.is_some() {}
    });
    let (pid, dir) = pid_rx.await.expect("pid");
    let dir = dir.expect("private dir");
    eventually("the CLI runs", || group_alive(pid)).await;
    consumer.abort();
    assert!(consumer.await.is_err_and(|e| e.is_cancelled()));
    eventually("process group gone", || !group_alive(pid)).await;
    eventually("private dir removed", || !dir.exists()).await;
}

#[tokio::test]
async fn a_panicking_consumer_kills_the_group() {
    let fx = fixture();
    let (pid_tx, pid_rx) = tokio::sync::oneshot::channel();
    let amp = fx.amp.clone();
    let consumer = tokio::spawn(async move {
        let mut execution = amp.execute("[[scenario:hang]] x", AmpOptions::default());
        let _ = pid_tx.send(execution.pid().expect("spawned"));
        let _ = execution.next().await;
        panic!("consumer bug");
    });
    let pid = pid_rx.await.expect("pid");
    assert!(consumer.await.is_err_and(|e| e.is_panic()));
    eventually("process group gone", || !group_alive(pid)).await;
}

#[tokio::test]
async fn cancel_waits_until_everything_is_gone() {
    let fx = fixture_with(|b| b.kill_grace(Duration::from_millis(500)));
    let mut execution = fx
        .amp
        .execute("[[scenario:ignore-sigterm]] x", private_options());
    let pid = execution.pid().expect("spawned");
    let dir = execution.private_dir().expect("private dir").to_path_buf();
    until(&mut execution, is_init).await;
    let started = Instant::now();
    tokio::time::timeout(PATIENCE, execution.cancel())
        .await
        .expect("cancel returns");
    assert!(
        started.elapsed() >= Duration::from_millis(500),
        "waited for SIGKILL"
    );
    assert!(!group_alive(pid), "gone when cancel returns");
    assert!(!dir.exists(), "removed when cancel returns");
    fx.assert_clean();
}

#[test]
fn runtime_shutdown_kills_the_group() {
    // The driver task is dropped with its runtime: the last-resort guard kills the group.
    let temp = tempfile::tempdir().expect("tempdir");
    let amp = Amp::builder().cli_path(STUB).temp_dir(temp.path()).build();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let (pid, dir, execution) = rt.block_on(async {
        let mut execution = amp.execute("[[scenario:hang]] x", private_options());
        until(&mut execution, is_init).await;
        let pid = execution.pid().expect("spawned");
        let dir = execution.private_dir().expect("dir").to_path_buf();
        (pid, dir, execution)
    });
    drop(rt);
    drop(execution);
    let start = Instant::now();
    while group_alive(pid) || dir.exists() {
        assert!(
            start.elapsed() < PATIENCE,
            "group or dir left after runtime shutdown"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

// ---------------------------------------------------------------------------------------
// Secrets, environment, files
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn secrets_never_reach_the_command_line() {
    let fx = fixture();
    let mcp = r#"{"db": {"command": "node", "args": ["server.js"], "env": {"DB_PASSWORD": "mcp-secret-4711"}}}"#;
    let options = AmpOptions {
        system_prompt: Some("system-secret-0815".into()),
        permissions: Some(vec![Permission::builder_for_tests()]),
        mcp_config: Some(McpConfigSource::Json(mcp.into())),
        ..AmpOptions::default()
    };
    let mut execution = fx.amp.execute("[[scenario:hang]] x", options);
    let pid = execution.pid().expect("spawned");
    let dir = execution.private_dir().expect("private dir").to_path_buf();
    until(&mut execution, is_init).await;
    let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).expect("cmdline");
    let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
    for secret in ["mcp-secret-4711", "system-secret-0815", "perm-secret-rm"] {
        assert!(!cmdline.contains(secret), "{secret} in {cmdline}");
    }
    assert!(
        cmdline.contains("--settings-file") && cmdline.contains("--mcp-config"),
        "{cmdline}"
    );
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&dir).expect("dir").permissions().mode() & 0o777;
    assert_eq!(mode, 0o700);
    for file in std::fs::read_dir(&dir).expect("ls") {
        let file = file.expect("entry");
        let mode = file.metadata().expect("meta").permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{:?}", file.path());
    }
    execution.cancel().await;
    assert!(!dir.exists());
    fx.assert_clean();
}

trait PermissionForTests {
    fn builder_for_tests() -> Permission;
}

impl PermissionForTests for Permission {
    fn builder_for_tests() -> Permission {
        Permission::reject("Bash")
            .matching(
                "cmd",
                ampere_tokio::MatchCondition::glob("perm-secret-rm *"),
            )
            .build()
            .expect("valid rule")
    }
}

#[tokio::test]
async fn environment_user_values_win_and_sdk_version_is_set() {
    let fx = fixture();
    let run = |options: AmpOptions| {
        let amp = fx.amp.clone();
        async move {
            let summary = amp
                .run(
                    "[[scenario:echo-env vars=AMP_SDK_VERSION,AMPERE_TEST_VAR,AMP_TOOLBOX]] x",
                    options,
                )
                .await
                .expect("run");
            serde_json::from_str::<Value>(&summary.result).expect("report is JSON")
        }
    };
    let report = run(AmpOptions::default()
        .env("AMPERE_TEST_VAR", "from-options")
        .toolbox("/opt/toolbox"))
    .await;
    let env = &report["env"];
    assert!(
        env["AMP_SDK_VERSION"]
            .as_str()
            .is_some_and(|v| v.starts_with("ampere-rust/")),
        "{env}"
    );
    assert_eq!(env["AMPERE_TEST_VAR"], "from-options");
    assert_eq!(env["AMP_TOOLBOX"], "/opt/toolbox");
    let report = run(AmpOptions::default().env("AMP_SDK_VERSION", "mine/1.0")).await;
    assert_eq!(
        report["env"]["AMP_SDK_VERSION"], "mine/1.0",
        "the user's value wins"
    );
}

#[tokio::test]
async fn cwd_option_sets_the_working_folder() {
    let fx = fixture();
    let work = tempfile::tempdir().expect("tempdir");
    let summary = fx
        .amp
        .run(
            "[[scenario:echo-env]] x",
            AmpOptions::default().cwd(work.path()),
        )
        .await
        .expect("run");
    let report: Value = serde_json::from_str(&summary.result).expect("JSON");
    let cwd = report["cwd"].as_str().expect("cwd");
    assert_eq!(
        std::fs::canonicalize(cwd).expect("cwd exists"),
        std::fs::canonicalize(work.path()).expect("tempdir")
    );
}

// ---------------------------------------------------------------------------------------
// Multi-turn input, sessions, threads
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn multi_turn_stream_input() {
    let fx = fixture();
    let (tx, rx) = tokio::sync::mpsc::channel::<UserInputMessage>(4);
    let mut execution = fx.amp.execute(rx, AmpOptions::default());
    tx.send(create_user_message("first question"))
        .await
        .expect("send");
    let first = until(&mut execution, Message::is_result).await;
    assert!(first
        .iter()
        .any(|m| matches!(m, Message::Result(r) if r.result == "first question")));
    tx.send(
        create_user_message("second question")
            .with_request_id("req-2")
            .expect("valid id"),
    )
    .await
    .expect("send");
    let second = until(&mut execution, Message::is_result).await;
    assert!(second
        .iter()
        .any(|m| matches!(m, Message::Result(r) if r.result == "second question")));
    drop(tx); // end of input: the CLI exits
    let rest = collect(execution).await;
    assert!(rest.end.is_none(), "{:?}", rest.end);
}

#[tokio::test]
async fn prompt_stream_from_any_stream() {
    let fx = fixture();
    let messages = futures_util::stream::iter(vec![
        create_user_message("one"),
        create_user_message("two"),
        create_user_message("three"),
    ]);
    let c = collect(
        fx.amp
            .execute(Prompt::stream(messages), AmpOptions::default()),
    )
    .await;
    assert!(c.end.is_none(), "{:?}", c.end);
    let results: Vec<&str> = c
        .messages
        .iter()
        .filter_map(|m| match m {
            Message::Result(r) => Some(r.result.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(results, ["one", "two", "three"]);
}

#[tokio::test]
async fn session_send_and_finish() {
    let fx = fixture();
    let mut session = fx.amp.session(AmpOptions::default());
    session
        .send_text("[[scenario:tools count=2]] go")
        .await
        .expect("send");
    loop {
        let m = tokio::time::timeout(PATIENCE, session.next())
            .await
            .expect("in time")
            .expect("open")
            .expect("message");
        if m.is_result() {
            break;
        }
    }
    session.send_text("and again").await.expect("send");
    let summary = tokio::time::timeout(PATIENCE, session.finish())
        .await
        .expect("in time")
        .expect("finish");
    assert_eq!(summary.tool_calls.len(), 4, "both turns are in the summary");
    assert!(summary.message_count > 6);
}

#[tokio::test]
async fn session_send_after_close_fails() {
    let fx = fixture();
    let mut session = fx.amp.session(AmpOptions::default());
    session.close_input();
    let err = session.send_text("late").await.expect_err("closed");
    assert!(
        matches!(
            err,
            AgentError::Io {
                kind: std::io::ErrorKind::BrokenPipe,
                ..
            }
        ),
        "{err:?}"
    );
    let summary = session.finish().await;
    assert!(matches!(summary, Err(AgentError::NoResult)), "{summary:?}");
}

#[tokio::test]
async fn thread_commands() {
    let fx = fixture();
    let id = fx
        .amp
        .thread_new(Some(ampere_tokio::Visibility::Private))
        .await
        .expect("threads new");
    assert!(id.starts_with("T-"), "{id}");
    let markdown = fx.amp.thread_markdown(&id).await.expect("markdown");
    assert!(markdown.contains(&id), "{markdown}");
    let on = fx
        .amp
        .thread_multiplayer(&id, MultiplayerSetting::On)
        .await
        .expect("multiplayer on");
    assert!(!on.is_empty());
    let err = fx
        .amp
        .thread_multiplayer(
            &id,
            MultiplayerSetting::Ttl(ampere_tokio::TtlDuration::minutes(1)),
        )
        .await
        .expect_err("too short");
    assert!(matches!(err, AgentError::Validation(_)), "{err:?}");
    let err = fx
        .amp
        .thread_markdown("not a thread id")
        .await
        .expect_err("invalid");
    assert!(matches!(err, AgentError::Validation(_)), "{err:?}");
}

// ---------------------------------------------------------------------------------------
// Framing and flow control
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn byte_by_byte_output_decodes_the_same() {
    let fx = fixture();
    let c = collect(fx.amp.execute(
        "[[scenario:slow-drip byte_delay_us=20]] drip drop",
        AmpOptions::default(),
    ))
    .await;
    assert!(c.end.is_none(), "{:?}", c.end);
    assert!(c.line_errors.is_empty());
    assert_eq!(result_text(&c), Some("drip drop"));
}

#[tokio::test]
async fn a_slow_consumer_loses_nothing() {
    // Far more output than the channel holds; the consumer starts late and reads slowly.
    let fx = fixture();
    let mut execution = fx
        .amp
        .execute("[[scenario:tools count=300]] many", AmpOptions::default());
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mut count = 0usize;
    let mut tool_uses = 0usize;
    while let Some(item) = tokio::time::timeout(PATIENCE, execution.next())
        .await
        .expect("in time")
    {
        let message = item.expect("no errors");
        if let Message::Assistant(a) = &message {
            tool_uses += a.tool_uses().count();
        }
        count += 1;
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    assert_eq!(tool_uses, 300);
    assert!(count > 600, "{count}");
}

#[tokio::test]
async fn thinking_blocks_with_the_thinking_option() {
    let fx = fixture();
    let c = collect(fx.amp.execute(
        "[[scenario:thinking blocks=2]] ponder",
        AmpOptions::default().thinking(true),
    ))
    .await;
    assert!(c.end.is_none(), "{:?}", c.end);
    let thinking = c
        .messages
        .iter()
        .filter_map(|m| match m {
            Message::Assistant(a) => Some(
                a.message
                    .content
                    .iter()
                    .filter(|b| matches!(b, ContentBlock::Thinking { .. }))
                    .count(),
            ),
            _ => None,
        })
        .sum::<usize>();
    assert_eq!(thinking, 2);
}

#[test]
fn public_types_are_thread_safe() {
    fn send_sync<T: Send + Sync>() {}
    fn send_unpin<T: Send + Unpin>() {}
    fn spawnable<F: std::future::Future + Send + 'static>(_: F) {}
    send_sync::<Amp>();
    send_sync::<ampere_tokio::ActionExecutor>();
    send_unpin::<Execution>();
    send_unpin::<ampere_tokio::Session>();
    send_sync::<AgentError>();
    let amp = Amp::new();
    spawnable({
        let amp = amp.clone();
        async move { amp.run("x", AmpOptions::default()).await }
    });
    spawnable(async move {
        let s = amp.session(AmpOptions::default());
        s.send_text("x").await?;
        s.finish().await
    });
    spawnable(async move {
        ampere_tokio::ActionExecutor::new()
            .execute::<Value>("a", serde_json::json!({}))
            .await
    });
}

/// Numbers for the report: `cargo test --release -p ampere-tests --test tokio_agent --
/// --ignored --nocapture measure`.
#[tokio::test]
#[ignore = "measurement, not a check"]
async fn measure_throughput() {
    let fx = fixture();
    for (label, prompt) in [
        ("echo (spawn to end)", "[[scenario:echo]] hi"),
        ("tools count=5000", "[[scenario:tools count=5000]] x"),
        ("big-line mb=20", "[[scenario:big-line mb=20]] x"),
        (
            "big-line mb=100 (>64MiB: 1 line error)",
            "[[scenario:big-line mb=100]] x",
        ),
        ("stderr-flood mb=10", "[[scenario:stderr-flood mb=10]] x"),
        ("stderr-flood mb=100", "[[scenario:stderr-flood mb=100]] x"),
    ] {
        let started = Instant::now();
        let c = collect(fx.amp.execute(prompt, AmpOptions::default())).await;
        let elapsed = started.elapsed();
        assert!(c.end.is_none(), "{label}: {:?}", c.end);
        let bytes: usize = c
            .messages
            .iter()
            .map(|m| serde_json::to_vec(m).map(|v| v.len()).unwrap_or(0))
            .sum();
        eprintln!(
            "{label:>40}: {:>6} messages, {:>9} bytes of JSON, {:>8.1} ms",
            c.messages.len(),
            bytes,
            elapsed.as_secs_f64() * 1e3
        );
    }
    let started = Instant::now();
    let mut set = tokio::task::JoinSet::new();
    for _ in 0..20 {
        let amp = fx.amp.clone();
        set.spawn(async move {
            amp.run("[[scenario:tools count=5]] x", AmpOptions::default())
                .await
        });
    }
    while let Some(r) = set.join_next().await {
        r.expect("task").expect("run");
    }
    eprintln!(
        "20 concurrent runs (tools count=5): {:.1} ms",
        started.elapsed().as_secs_f64() * 1e3
    );
}

#[tokio::test]
async fn plan_warnings_are_exposed() {
    let fx = fixture();
    let options = AmpOptions::default()
        .executor(ampere_tokio::Executor::orb())
        .dangerously_allow_all(true);
    let execution = fx.amp.execute("hello", options);
    assert!(
        execution
            .warnings()
            .iter()
            .any(|w| w.contains("dangerously_allow_all")),
        "{:?}",
        execution.warnings()
    );
    let c = collect(execution).await;
    assert!(c.end.is_none(), "{:?}", c.end);
}

#[tokio::test]
async fn is_finished_after_the_last_item() {
    let fx = fixture();
    let mut execution = fx.amp.execute("done?", AmpOptions::default());
    assert!(!execution.is_finished());
    while execution.next().await.is_some() {}
    assert!(execution.is_finished());
    assert!(execution.next().await.is_none(), "stays ended");
}

#[test]
fn outside_a_runtime_the_stream_says_so() {
    let amp = Amp::builder().cli_path(STUB).build();
    let mut execution = amp.execute("x", AmpOptions::default());
    assert_eq!(execution.pid(), None, "nothing spawned");
    let first = futures_lite::future::block_on(execution.next());
    match first {
        Some(Err(AgentError::Io { message, .. })) => {
            assert!(message.contains("Tokio runtime"), "{message}")
        }
        other => panic!("expected an Io error, got {other:?}"),
    }
    assert!(futures_lite::future::block_on(execution.next()).is_none());
}

#[tokio::test]
async fn an_overlong_line_is_one_error_and_the_stream_goes_on() {
    let fx = fixture_with(|b| b.max_line_len(4096).stderr_tail_bytes(64));
    let c = collect(fx.amp.execute(
        "[[scenario:big-line bytes=100000]] x",
        AmpOptions::default(),
    ))
    .await;
    assert!(c.end.is_none(), "{:?}", c.end);
    assert_eq!(c.line_errors.len(), 1, "{:?}", c.line_errors);
    match &c.line_errors[0] {
        AgentError::Decode(e) => assert!(
            matches!(
                e.kind,
                ampere_tokio::DecodeErrorKind::LineTooLong { limit: 4096 }
            ),
            "{e:?}"
        ),
        other => panic!("{other:?}"),
    }
    assert!(c.messages.last().is_some_and(Message::is_success_result));
}

#[tokio::test]
async fn the_stderr_tail_is_bounded() {
    let fx = fixture_with(|b| b.stderr_tail_bytes(16));
    let c = collect(
        fx.amp
            .execute("[[scenario:crash after=3 code=5]] x", AmpOptions::default()),
    )
    .await;
    match &c.end {
        Some(AgentError::Process { stderr, .. }) => {
            // "…" and the last 16 bytes of "amp-stub: simulated crash after 3 lines\n".
            assert_eq!(stderr, "…h after 3 lines\n", "{stderr:?}");
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn execution_works_with_stream_combinators() {
    use futures_util::StreamExt;
    let fx = fixture();
    let items: Vec<Result<Message, AgentError>> = fx
        .amp
        .execute("[[scenario:tools count=2]] x", AmpOptions::default())
        .collect()
        .await;
    assert!(items.iter().all(Result::is_ok));
    assert!(items
        .last()
        .is_some_and(|m| m.as_ref().is_ok_and(Message::is_success_result)));
    let texts: Vec<String> = fx
        .amp
        .execute("filter me", AmpOptions::default())
        .filter_map(|m| async move {
            match m {
                Ok(Message::Result(r)) => Some(r.result),
                _ => None,
            }
        })
        .collect()
        .await;
    assert_eq!(texts, ["filter me"]);
}

#[tokio::test]
async fn a_slow_consumer_does_not_trip_the_idle_timeout() {
    // The CLI is never silent for 1 s, but the consumer does not read for 2 s: the idle
    // timeout measures the CLI's silence, not the consumer's.
    let fx = fixture_with(|b| b.idle_timeout(Duration::from_secs(1)));
    let execution = fx.amp.execute(
        "[[scenario:tools count=40 delay_ms=20]] x",
        AmpOptions::default(),
    );
    tokio::time::sleep(Duration::from_secs(2)).await;
    let c = collect(execution).await;
    assert!(c.end.is_none(), "{:?}", c.end);
    assert_eq!(result_text(&c), Some("Done: ran 40 tools."));
}
