//! `ampere-blocking` against the `amp-stub` double: executions, run to completion,
//! streamed input, sessions, timeouts, teardown, and thread commands.

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use ampere_blocking::{
    create_user_message, AgentError, Amp, AmpOptions, ContentBlock, DecodeErrorKind, Message,
    MultiplayerSetting, Prompt, TimeoutKind, TtlDuration, Visibility,
};
use ampere_tests::stub::{big_line_content, fnv1a64};

const STUB: &str = env!("CARGO_BIN_EXE_amp-stub");
/// Generous bound for anything that should happen "soon" on a loaded 2-core machine.
const SOON: Duration = Duration::from_secs(20);

fn amp() -> Amp {
    Amp::builder()
        .cli_path(STUB)
        .kill_grace(Duration::from_millis(500))
        .build()
}

/// A scratch folder for private folders (so a test can check it is left empty) plus a
/// base settings file, so the options below need a generated settings overlay.
struct Scratch {
    dir: tempfile::TempDir,
}

impl Scratch {
    fn new() -> Scratch {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir(dir.path().join("private")).expect("mkdir");
        std::fs::write(dir.path().join("base.json"), "{}").expect("write base settings");
        Scratch { dir }
    }

    fn amp(&self) -> Amp {
        Amp::builder()
            .cli_path(STUB)
            .kill_grace(Duration::from_millis(500))
            .temp_dir(self.dir.path().join("private"))
            .build()
    }

    /// Options that make the run write a private settings file.
    fn options(&self) -> AmpOptions {
        AmpOptions {
            settings_file: Some(self.dir.path().join("base.json")),
            system_prompt: Some("be terse".into()),
            ..AmpOptions::default()
        }
    }

    fn private_entries(&self) -> usize {
        std::fs::read_dir(self.dir.path().join("private"))
            .expect("read private root")
            .count()
    }
}

fn process_gone(pid: u32) -> bool {
    !Path::new(&format!("/proc/{pid}")).exists()
}

/// Waits until `/proc/<pid>` is gone (the child exited *and* was reaped).
fn assert_gone_soon(pid: u32) {
    let start = Instant::now();
    while !process_gone(pid) {
        assert!(
            start.elapsed() < SOON,
            "process {pid} still exists after {SOON:?}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn assert_removed_soon(path: &Path) {
    let start = Instant::now();
    while path.exists() {
        assert!(start.elapsed() < SOON, "{} still exists", path.display());
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn collect(
    iter: impl Iterator<Item = Result<Message, AgentError>>,
) -> (Vec<Message>, Vec<AgentError>) {
    let mut messages = Vec::new();
    let mut errors = Vec::new();
    for item in iter {
        match item {
            Ok(m) => messages.push(m),
            Err(e) => errors.push(e),
        }
    }
    (messages, errors)
}

fn result_text(messages: &[Message]) -> Option<&str> {
    messages.iter().find_map(|m| m.result_text())
}

#[test]
fn text_prompt_streams_messages_in_order_and_cleans_up() {
    let scratch = Scratch::new();
    let mut execution = scratch
        .amp()
        .execute("hello from blocking", scratch.options());
    let pid = execution.pid().expect("spawned");
    let private = execution
        .private_dir()
        .expect("overlay folder")
        .to_path_buf();
    assert!(private.join("settings.json").exists());
    let first = execution.next().expect("a message").expect("ok");
    assert!(
        matches!(first, Message::System(ref s) if s.is_init()),
        "{first:?}"
    );
    let (rest, errors) = collect(execution.by_ref());
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(result_text(&rest), Some("hello from blocking"));
    assert!(rest.last().is_some_and(Message::is_success_result));
    assert!(execution.next().is_none(), "fused after the end");
    assert!(execution.is_finished());
    // The run is over only once the child was reaped and the folder removed.
    assert!(process_gone(pid), "child reaped before the iterator ended");
    assert!(!private.exists(), "private folder removed at the end");
    assert_eq!(scratch.private_entries(), 0);
}

#[test]
fn run_to_completion_sums_up_tool_calls() {
    let summary = amp()
        .run("[[scenario:tools count=3]] go", AmpOptions::default())
        .expect("run");
    assert_eq!(summary.tool_calls.len(), 3);
    assert!(summary.tool_calls.iter().all(|c| c.result.is_some()));
    assert!(summary
        .session_id
        .as_deref()
        .is_some_and(|s| s.starts_with("T-")));
    assert!(summary.message_count >= 5);
    assert!(!summary.result.is_empty());
}

#[test]
fn error_result_is_an_error_result_error() {
    let err = amp()
        .run(
            "[[scenario:error-result message=it-broke]] x",
            AmpOptions::default(),
        )
        .expect_err("error result");
    match err {
        AgentError::ErrorResult { error, subtype } => {
            assert!(error.contains("it-broke"), "{error}");
            assert_eq!(subtype, "error_during_execution");
        }
        other => panic!("expected ErrorResult, got {other:?}"),
    }
}

#[test]
fn crash_delivers_every_message_then_the_process_error() {
    let (messages, errors) =
        collect(amp().execute("[[scenario:crash after=3 code=7]] x", AmpOptions::default()));
    assert_eq!(messages.len(), 3, "{messages:?}");
    assert_eq!(errors.len(), 1, "{errors:?}");
    match &errors[0] {
        AgentError::Process {
            exit_code,
            signal,
            stderr,
        } => {
            assert_eq!(*exit_code, Some(7));
            assert!(signal.is_none());
            assert!(stderr.contains("simulated crash after 3 lines"), "{stderr}");
        }
        other => panic!("expected Process, got {other:?}"),
    }
    let text = errors[0].to_string();
    assert!(
        text.contains("code 7") && text.contains("simulated crash"),
        "{text}"
    );
}

#[test]
fn killed_by_a_signal_is_named_and_a_half_line_is_reported() {
    let (messages, errors) = collect(amp().execute(
        "[[scenario:crash after=2 signal=SIGSEGV partial=1]] x",
        AmpOptions::default(),
    ));
    assert_eq!(messages.len(), 2, "{messages:?}");
    // The cut-off line is a per-line error (naming its line), then the process error.
    assert_eq!(errors.len(), 2, "{errors:?}");
    match &errors[0] {
        AgentError::Decode(e) => assert_eq!(e.line, 3, "{e}"),
        other => panic!("expected a decode error, got {other:?}"),
    }
    match &errors[1] {
        AgentError::Process { signal, .. } => {
            assert!(
                signal.as_deref().is_some_and(|s| s.contains("SIGSEGV")),
                "{signal:?}"
            );
        }
        other => panic!("expected Process, got {other:?}"),
    }
}

#[test]
fn non_zero_exit_after_success_is_fine() {
    let (messages, errors) = collect(amp().execute(
        "[[scenario:exit-after-success code=3]] x",
        AmpOptions::default(),
    ));
    assert!(errors.is_empty(), "{errors:?}");
    assert!(messages.len() >= 3, "{messages:?}");
}

#[test]
fn garbage_lines_are_per_line_errors_and_the_stream_goes_on() {
    let (messages, errors) =
        collect(amp().execute("[[scenario:garbage]] still here", AmpOptions::default()));
    assert!(errors.len() >= 5, "{errors:?}");
    assert!(
        errors.iter().all(|e| matches!(e, AgentError::Decode(_))),
        "{errors:?}"
    );
    assert!(errors
        .iter()
        .any(|e| matches!(e, AgentError::Decode(d) if d.kind == DecodeErrorKind::InvalidUtf8)));
    assert_eq!(result_text(&messages), Some("still here"));
    // Decode errors name their line.
    let lines: Vec<u64> = errors
        .iter()
        .filter_map(|e| match e {
            AgentError::Decode(d) => Some(d.line),
            _ => None,
        })
        .collect();
    assert!(lines.windows(2).all(|w| w[0] < w[1]), "{lines:?}");
    // Run to completion skips them.
    let summary = amp()
        .run("[[scenario:garbage]] again", AmpOptions::default())
        .expect("run");
    assert_eq!(summary.result, "again");
}

#[test]
fn unknown_message_types_are_kept() {
    let (messages, errors) =
        collect(amp().execute("[[scenario:unknown-types]] x", AmpOptions::default()));
    assert!(errors.is_empty(), "{errors:?}");
    assert!(messages.iter().any(|m| matches!(m, Message::Unknown(_))));
    assert!(messages.iter().any(Message::is_success_result));
}

#[test]
fn a_20_mb_line_arrives_intact() {
    let size = 20 * 1024 * 1024;
    let (messages, errors) =
        collect(amp().execute("[[scenario:big-line mb=20]] x", AmpOptions::default()));
    assert!(errors.is_empty(), "{errors:?}");
    let content = messages
        .iter()
        .find_map(|m| match m {
            Message::User(u) => u.message.content.iter().find_map(|b| match b {
                ContentBlock::ToolResult { content, .. } => Some(content.text().into_owned()),
                _ => None,
            }),
            _ => None,
        })
        .expect("the big tool result");
    assert_eq!(content.len(), size);
    let expected = big_line_content(size);
    assert_eq!(fnv1a64(content.as_bytes()), fnv1a64(expected.as_bytes()));
    assert!(content == expected);
    let result = result_text(&messages).expect("result");
    assert!(
        result.contains(&format!("{:016x}", fnv1a64(expected.as_bytes())))
            || result.contains(&format!("{:x}", fnv1a64(expected.as_bytes()))),
        "{result}"
    );
}

#[test]
fn a_10_mb_stderr_flood_does_not_block() {
    let start = Instant::now();
    let amp = Amp::builder()
        .cli_path(STUB)
        .overall_timeout(Duration::from_secs(120))
        .build();
    let summary = amp
        .run(
            "[[scenario:stderr-flood mb=10]] flooded",
            AmpOptions::default(),
        )
        .expect("run");
    assert_eq!(summary.result, "flooded");
    assert!(start.elapsed() < Duration::from_secs(60));
}

#[test]
fn a_stderr_flood_is_kept_as_a_bounded_tail() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("tempdir");
    let script = dir.path().join("amp");
    std::fs::write(
        &script,
        "#!/bin/sh\nhead -c 3000000 /dev/zero | tr '\\0' 'e' >&2\necho >&2\necho 'the last words' >&2\nexit 3\n",
    )
    .expect("write");
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let amp = Amp::builder()
        .cli_path(&script)
        .stderr_tail_bytes(1000)
        .build();
    let (messages, errors) = collect(amp.execute("x", AmpOptions::default()));
    assert!(messages.is_empty());
    match errors.as_slice() {
        [AgentError::Process {
            exit_code: Some(3),
            stderr,
            ..
        }] => {
            assert!(stderr.len() <= 1000 + '…'.len_utf8(), "{}", stderr.len());
            assert!(stderr.starts_with('…'));
            assert!(stderr.trim_end().ends_with("the last words"), "{stderr}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn idle_timeout_ends_a_hung_cli_after_its_messages() {
    let scratch = Scratch::new();
    let amp = Amp::builder()
        .cli_path(STUB)
        .temp_dir(scratch.dir.path().join("private"))
        .idle_timeout(Duration::from_millis(700))
        .kill_grace(Duration::from_millis(500))
        .build();
    let start = Instant::now();
    let mut execution = amp.execute("[[scenario:hang]] x", scratch.options());
    let pid = execution.pid().expect("pid");
    let private = execution.private_dir().expect("private").to_path_buf();
    let (messages, errors) = collect(execution.by_ref());
    assert!(!messages.is_empty(), "init was delivered before the error");
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        matches!(
            errors[0],
            AgentError::Timeout {
                kind: TimeoutKind::Idle,
                ..
            }
        ),
        "{errors:?}"
    );
    assert!(start.elapsed() >= Duration::from_millis(700));
    assert!(process_gone(pid));
    assert!(!private.exists());
}

#[test]
fn overall_timeout_ends_a_slow_cli() {
    let scratch = Scratch::new();
    let amp = Amp::builder()
        .cli_path(STUB)
        .temp_dir(scratch.dir.path().join("private"))
        .overall_timeout(Duration::from_millis(800))
        .kill_grace(Duration::from_millis(500))
        .build();
    let mut execution = amp.execute(
        "[[scenario:slow-drip byte_delay_us=20000]] x",
        scratch.options(),
    );
    let pid = execution.pid().expect("pid");
    let private = execution.private_dir().expect("private").to_path_buf();
    let (_, errors) = collect(execution.by_ref());
    assert!(
        matches!(
            errors.last(),
            Some(AgentError::Timeout {
                kind: TimeoutKind::Overall,
                ..
            })
        ),
        "{errors:?}"
    );
    assert!(process_gone(pid));
    assert!(!private.exists());
    assert_eq!(scratch.private_entries(), 0);
}

#[test]
fn drop_mid_run_kills_reaps_and_removes_the_private_folder() {
    let scratch = Scratch::new();
    let mut execution = scratch
        .amp()
        .execute("[[scenario:hang]] x", scratch.options());
    let pid = execution.pid().expect("pid");
    let private = execution.private_dir().expect("private").to_path_buf();
    let first = execution.next().expect("init").expect("ok");
    assert!(matches!(first, Message::System(_)));
    assert!(!process_gone(pid));
    drop(execution);
    assert!(!private.exists(), "the private folder goes at once");
    assert_gone_soon(pid);
    assert_eq!(scratch.private_entries(), 0);
}

#[test]
fn drop_does_not_wait_for_the_grace_period() {
    let grace = Duration::from_secs(3);
    let amp = Amp::builder().cli_path(STUB).kill_grace(grace).build();
    let mut execution = amp.execute("[[scenario:ignore-sigterm]] x", AmpOptions::default());
    let pid = execution.pid().expect("pid");
    execution.next().expect("init").expect("ok");
    let start = Instant::now();
    drop(execution);
    assert!(
        start.elapsed() < Duration::from_millis(1500),
        "drop returned after {:?}",
        start.elapsed()
    );
    // SIGTERM is ignored: the child lives on until the background SIGKILL.
    assert!(!process_gone(pid), "still alive during the grace period");
    assert_gone_soon(pid);
    assert!(start.elapsed() >= grace, "killed only after the grace");
}

#[test]
fn a_cli_that_never_reads_stdin_is_not_a_stdin_error() {
    // The pinned CLI does not know `--effort`: it fails at once without reading stdin, so
    // writing a 4 MiB prompt hits a closed pipe. The error is the CLI's, not the pipe's.
    let prompt = "x".repeat(4 << 20);
    let options = AmpOptions::new().effort(ampere_blocking::Effort::High);
    let (messages, errors) = collect(amp().execute(prompt, options));
    assert!(messages.is_empty());
    assert_eq!(errors.len(), 1, "{errors:?}");
    match &errors[0] {
        AgentError::Process {
            exit_code, stderr, ..
        } => {
            assert_eq!(*exit_code, Some(1));
            assert!(stderr.contains("unknown option"), "{stderr}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn drop_before_reading_anything_cleans_up() {
    let scratch = Scratch::new();
    let execution = scratch
        .amp()
        .execute("[[scenario:hang]] x", scratch.options());
    let pid = execution.pid().expect("pid");
    let private = execution.private_dir().expect("private").to_path_buf();
    drop(execution);
    assert_gone_soon(pid);
    assert_removed_soon(&private);
}

#[test]
fn cancel_waits_for_the_teardown() {
    let scratch = Scratch::new();
    let mut execution = scratch
        .amp()
        .execute("[[scenario:hang]] x", scratch.options());
    let pid = execution.pid().expect("pid");
    let private = execution.private_dir().expect("private").to_path_buf();
    execution.next().expect("init").expect("ok");
    execution.cancel();
    assert!(process_gone(pid), "reaped when cancel returns");
    assert!(!private.exists(), "removed when cancel returns");
}

#[test]
fn a_child_ignoring_sigterm_gets_sigkill_after_the_grace() {
    let grace = Duration::from_millis(600);
    let amp = Amp::builder().cli_path(STUB).kill_grace(grace).build();
    let mut execution = amp.execute("[[scenario:ignore-sigterm]] x", AmpOptions::default());
    let pid = execution.pid().expect("pid");
    execution.next().expect("init").expect("ok");
    let start = Instant::now();
    execution.cancel();
    let took = start.elapsed();
    assert!(process_gone(pid));
    assert!(
        took >= grace,
        "SIGKILL came only after the grace ({took:?})"
    );
    assert!(took < SOON, "{took:?}");

    // The same through a timeout: the error is the timeout, not the SIGKILL.
    let amp = Amp::builder()
        .cli_path(STUB)
        .kill_grace(grace)
        .idle_timeout(Duration::from_millis(500))
        .build();
    let mut execution = amp.execute("[[scenario:ignore-sigterm]] x", AmpOptions::default());
    let pid = execution.pid().expect("pid");
    let (_, errors) = collect(execution.by_ref());
    assert!(
        matches!(errors.last(), Some(AgentError::Timeout { .. })),
        "{errors:?}"
    );
    assert!(process_gone(pid));
}

#[test]
fn multi_turn_through_a_channel() {
    let (tx, rx) = mpsc::channel();
    tx.send(create_user_message("[[scenario:echo]] first turn"))
        .expect("send");
    let mut execution = amp().execute(Prompt::messages(rx), AmpOptions::default());
    let mut results = Vec::new();
    for item in execution.by_ref() {
        let message = item.expect("message");
        if let Some(text) = message.result_text() {
            results.push(text.to_string());
            if results.len() == 1 {
                // The next turn is sent only after the first one finished.
                tx.send(create_user_message("second turn")).expect("send");
            } else {
                break;
            }
        }
    }
    assert_eq!(results, ["first turn", "second turn"]);
    drop(tx);
    let (_, errors) = collect(execution);
    assert!(errors.is_empty(), "{errors:?}");
}

#[test]
fn streamed_prompt_from_a_vec() {
    let summary = amp()
        .run(
            Prompt::messages(vec![
                create_user_message("one"),
                create_user_message("two")
                    .with_request_id("req-2")
                    .expect("request id"),
            ]),
            AmpOptions::default(),
        )
        .expect("run");
    assert_eq!(summary.result, "two");
}

#[test]
fn session_send_read_finish() {
    let mut session = amp().session(AmpOptions::default());
    assert!(session.pid().is_some());
    session.send_text("hello session").expect("send");
    let mut first = None;
    for item in session.by_ref() {
        if let Some(text) = item.expect("message").result_text() {
            first = Some(text.to_string());
            break;
        }
    }
    assert_eq!(first.as_deref(), Some("hello session"));
    session.send_text("second").expect("send");
    let summary = session.finish().expect("finish");
    assert_eq!(summary.result, "second");
    assert!(
        summary.message_count >= 5,
        "counts messages read before finish too"
    );
}

#[test]
fn session_send_after_close_fails() {
    let mut session = amp().session(AmpOptions::default());
    session.close_input();
    assert!(!session.is_input_open());
    let err = session.send_text("late").expect_err("closed");
    assert!(matches!(
        err,
        AgentError::Io {
            kind: std::io::ErrorKind::BrokenPipe,
            ..
        }
    ));
    // No message at all: the CLI exits without a result.
    assert!(matches!(session.finish(), Err(AgentError::NoResult)));
}

#[test]
fn session_cancel_tears_down() {
    let mut session = amp().session(AmpOptions::default());
    let pid = session.pid().expect("pid");
    session.send_text("[[scenario:hang]] x").expect("send");
    session.next().expect("init").expect("ok");
    session.cancel();
    assert!(process_gone(pid));
}

#[test]
fn invalid_options_fail_before_spawning() {
    let options = AmpOptions {
        labels: Some(vec!["not a label!".into()]),
        ..AmpOptions::default()
    };
    let mut execution = amp().execute("x", options);
    assert!(execution.pid().is_none());
    assert!(matches!(
        execution.next(),
        Some(Err(AgentError::Validation(_)))
    ));
    assert!(execution.next().is_none());
}

#[test]
fn a_missing_cli_is_cli_not_found() {
    let amp = Amp::builder().cli_path("/nonexistent/ampere/amp").build();
    let mut execution = amp.execute("x", AmpOptions::default());
    match execution.next() {
        Some(Err(e @ AgentError::CliNotFound { .. })) => {
            assert!(e.to_string().contains("/nonexistent/ampere/amp"), "{e}");
        }
        other => panic!("{other:?}"),
    }
    assert!(execution.next().is_none());
    assert!(matches!(
        amp.thread_new(None),
        Err(AgentError::CliNotFound { .. })
    ));
}

#[test]
fn options_reach_the_cli() {
    let dir = tempfile::tempdir().expect("tempdir");
    let record = dir.path().join("record.json");
    let options = AmpOptions {
        cwd: Some(dir.path().to_path_buf()),
        labels: Some(vec!["sdk".into(), "blocking".into()]),
        ..AmpOptions::default()
    }
    .env("AMP_STUB_RECORD", record.to_string_lossy())
    .env("MY_VAR", "mine");
    let summary = amp().run("recorded", options).expect("run");
    assert_eq!(summary.result, "recorded");
    let text = std::fs::read_to_string(&record).expect("record");
    let value: serde_json::Value = serde_json::from_str(&text).expect("json");
    let args: Vec<&str> = value["args"]
        .as_array()
        .expect("args")
        .iter()
        .filter_map(|a| a.as_str())
        .collect();
    assert!(
        args.starts_with(&["--execute", "--stream-json"]),
        "{args:?}"
    );
    assert!(
        args.windows(2).any(|w| w == ["--label", "blocking"]),
        "{args:?}"
    );
    assert_eq!(value["env"]["MY_VAR"], "mine");
    assert!(value["env"]["AMP_SDK_VERSION"]
        .as_str()
        .is_some_and(|v| v.starts_with("ampere-rust/")));
    assert_eq!(value["stdin"], "recorded\n");
    assert_eq!(value["stdin_eof"], true);
    let cwd = PathBuf::from(value["cwd"].as_str().expect("cwd"));
    assert_eq!(
        cwd.canonicalize().expect("canon"),
        dir.path().canonicalize().expect("canon")
    );
}

#[test]
fn thread_commands() {
    let amp = amp();
    let id = amp.thread_new(Some(Visibility::Private)).expect("new");
    assert!(id.starts_with("T-"), "{id}");
    let markdown = amp.thread_markdown(&id).expect("markdown");
    assert!(!markdown.is_empty());
    let on = amp
        .thread_multiplayer(&id, MultiplayerSetting::Ttl(TtlDuration::hours(2)))
        .expect("multiplayer");
    assert!(!on.is_empty());
    amp.thread_multiplayer(&id, MultiplayerSetting::Off)
        .expect("off");
    // Validation happens before anything runs.
    assert!(matches!(
        amp.thread_markdown("not a thread id"),
        Err(AgentError::Validation(_))
    ));
    assert!(matches!(
        amp.thread_multiplayer(&id, MultiplayerSetting::Ttl(TtlDuration::minutes(1))),
        Err(AgentError::Validation(_))
    ));
}

#[test]
fn a_failing_thread_command_reports_exit_code_and_stderr() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("tempdir");
    let script = dir.path().join("amp");
    std::fs::write(
        &script,
        "#!/bin/sh\necho 'cannot reach the server' >&2\nexit 3\n",
    )
    .expect("write");
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let amp = Amp::builder().cli_path(&script).build();
    match amp.thread_new(None) {
        Err(AgentError::Process {
            exit_code, stderr, ..
        }) => {
            assert_eq!(exit_code, Some(3));
            assert!(stderr.contains("cannot reach the server"), "{stderr}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn many_executions_in_parallel_threads() {
    let amp = amp();
    let handles: Vec<_> = (0..8)
        .map(|i| {
            let amp = amp.clone();
            std::thread::spawn(move || amp.run(format!("parallel {i}"), AmpOptions::default()))
        })
        .collect();
    for (i, h) in handles.into_iter().enumerate() {
        let summary = h.join().expect("thread").expect("run");
        assert_eq!(summary.result, format!("parallel {i}"));
    }
}

#[test]
fn a_hung_thread_command_is_killed_at_the_overall_timeout() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("tempdir");
    let script = dir.path().join("amp");
    // A grandchild holding the pipes: the whole group must go.
    std::fs::write(&script, "#!/bin/sh\nsleep 60 &\nsleep 60\n").expect("write");
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let amp = Amp::builder()
        .cli_path(&script)
        .overall_timeout(Duration::from_millis(500))
        .build();
    let start = Instant::now();
    let err = amp.thread_new(None).expect_err("timeout");
    assert!(
        matches!(
            err,
            AgentError::Timeout {
                kind: TimeoutKind::Overall,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(
        start.elapsed() < Duration::from_secs(15),
        "{:?}",
        start.elapsed()
    );
}

#[test]
fn thread_new_reads_the_id_out_of_a_thread_url() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("tempdir");
    let script = dir.path().join("amp");
    std::fs::write(
        &script,
        "#!/bin/sh\necho 'https://ampcode.com/threads/T-0123abcd-1111-7222-8333-444455556666'\n",
    )
    .expect("write");
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let amp = Amp::builder().cli_path(&script).build();
    assert_eq!(
        amp.thread_new(None).expect("new"),
        "T-0123abcd-1111-7222-8333-444455556666"
    );
}

#[test]
fn secrets_stay_off_the_command_line_and_user_env_wins() {
    use ampere_blocking::{McpConfig, McpServer};
    let dir = tempfile::tempdir().expect("tempdir");
    let record = dir.path().join("record.json");
    let secret = "s3cr3t-db-password";
    let options = AmpOptions::new()
        .mcp_config(
            McpConfig::new().server(
                "db",
                McpServer::stdio("node")
                    .arg("server.js")
                    .env("DB_PASSWORD", secret),
            ),
        )
        .env("AMP_STUB_RECORD", record.to_string_lossy())
        .env("AMP_SDK_VERSION", "mine");
    let mut execution = amp().execute("with mcp", options);
    let private = execution
        .private_dir()
        .expect("inline MCP config is a file")
        .to_path_buf();
    let (messages, errors) = collect(execution.by_ref());
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(result_text(&messages), Some("with mcp"));
    let value: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&record).expect("record")).expect("json");
    let args = value["args"].to_string();
    assert!(!args.contains(secret), "{args}");
    assert!(value["mcp_config_content"]
        .as_str()
        .is_some_and(|c| c.contains(secret)));
    assert_eq!(value["mcp_config_mode"], "600");
    assert_eq!(value["env"]["AMP_SDK_VERSION"], "mine");
    assert!(!private.exists(), "the MCP file is gone with its folder");
}

#[test]
fn a_panicking_consumer_still_stops_the_cli() {
    let (tx, rx) = mpsc::channel();
    let consumer = std::thread::spawn(move || {
        let mut execution = amp().execute("[[scenario:hang]] x", AmpOptions::default());
        let _ = tx.send(execution.pid());
        let _ = execution.next();
        panic!("the consumer fails while holding the execution");
    });
    let pid = rx.recv().expect("pid sent").expect("spawned");
    assert!(consumer.join().is_err(), "the consumer panicked");
    assert_gone_soon(pid);
}

#[test]
fn a_slow_consumer_does_not_make_a_chatty_cli_look_idle() {
    let amp = Amp::builder()
        .cli_path(STUB)
        .idle_timeout(Duration::from_millis(2000))
        .build();
    // Four lines 100 ms apart, then a clean exit without a result message (so a timeout
    // would not be excused by a success result).
    let mut execution = amp.execute(
        "[[scenario:crash after=4 code=0 delay_ms=100]] x",
        AmpOptions::default(),
    );
    // The CLI writes everything within about half a second; the consumer looks only
    // after the idle timeout would have passed.
    std::thread::sleep(Duration::from_millis(4500));
    let first = execution.next().expect("a message");
    assert!(first.is_ok(), "{first:?}");
    let (messages, errors) = collect(execution);
    assert!(errors.is_empty(), "{errors:?}");
    assert!(messages.len() >= 3, "{messages:?}");
}

#[test]
fn timeouts_fire_while_nobody_calls_next() {
    // The loop's clock thread ends a hung CLI at its idle timeout even though the consumer
    // is not in `next`; the private folder goes with it.
    let scratch = Scratch::new();
    let amp = Amp::builder()
        .cli_path(STUB)
        .temp_dir(scratch.dir.path().join("private"))
        .idle_timeout(Duration::from_millis(300))
        .build();
    let execution = amp.execute("[[scenario:hang]] x", scratch.options());
    let pid = execution.pid().expect("pid");
    let private = execution.private_dir().expect("private").to_path_buf();
    assert_gone_soon(pid);
    assert_removed_soon(&private);
    assert!(!execution.is_finished(), "its items wait for the consumer");
    let (messages, errors) = collect(execution);
    assert!(
        matches!(messages.first(), Some(Message::System(_))),
        "{messages:?}"
    );
    assert!(
        matches!(
            errors.last(),
            Some(AgentError::Timeout {
                kind: TimeoutKind::Idle,
                ..
            })
        ),
        "{errors:?}"
    );
}

#[test]
fn above_the_buffer_bound_the_pipe_makes_the_cli_wait() {
    // 320 KB of output: with a 16 KiB bound and nobody reading, ampere stops reading stdout
    // and the stub blocks on its full pipe instead of finishing; once the consumer reads,
    // everything arrives. With the default bound (4 MiB) it runs to its end unread.
    let spec = "[[scenario:tools count=400]] lots";
    let bounded = Amp::builder()
        .cli_path(STUB)
        .max_buffered_bytes(16 * 1024)
        .build();
    let execution = bounded.execute(spec, AmpOptions::default());
    let pid = execution.pid().expect("pid");
    std::thread::sleep(Duration::from_millis(1500));
    assert!(!process_gone(pid), "the stub waits on its full pipe");
    let (messages, errors) = collect(execution);
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(messages.len(), 2 + 2 * 400 + 2);
    assert_gone_soon(pid);

    let execution = amp().execute(spec, AmpOptions::default());
    let pid = execution.pid().expect("pid");
    assert_gone_soon(pid);
    assert_eq!(collect(execution).0.len(), 2 + 2 * 400 + 2);
}

/// Where [`drop_then_exit_child`] puts its private folders (set only for that child).
const DROP_EXIT_DIR: &str = "AMPERE_TEST_DROP_EXIT_DIR";

#[test]
fn a_program_exiting_right_after_a_drop_leaves_nothing() {
    // The CLI ignores SIGTERM and the grace is long: only the exit hook's SIGKILL can stop
    // it before the test gives up. The private folder is removed inside `drop`.
    let scratch = Scratch::new();
    let private_root = scratch.dir.path().join("private");
    let out = std::process::Command::new(std::env::current_exe().expect("test binary"))
        .args([
            "--exact",
            "drop_then_exit_child",
            "--ignored",
            "--nocapture",
        ])
        .env(DROP_EXIT_DIR, &private_root)
        .output()
        .expect("run the child");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let pid: u32 = stdout
        .lines()
        .find_map(|l| l.strip_prefix("cli pid "))
        .and_then(|p| p.trim().parse().ok())
        .unwrap_or_else(|| panic!("no pid in {stdout}"));
    assert_gone_soon(pid);
    assert_eq!(scratch.private_entries(), 0, "no private folder left");
}

#[test]
#[ignore = "the child of a_program_exiting_right_after_a_drop_leaves_nothing"]
fn drop_then_exit_child() {
    let Some(root) = std::env::var_os(DROP_EXIT_DIR) else {
        return;
    };
    let amp = Amp::builder()
        .cli_path(STUB)
        .kill_grace(Duration::from_secs(120))
        .temp_dir(root)
        .build();
    let options = AmpOptions {
        system_prompt: Some("be terse".into()),
        ..AmpOptions::default()
    };
    let mut execution = amp.execute("[[scenario:ignore-sigterm]] x", options);
    assert!(execution.private_dir().is_some());
    execution.next().expect("init").expect("ok");
    println!("cli pid {}", execution.pid().expect("pid"));
    drop(execution);
    std::process::exit(0);
}

#[test]
fn a_thread_command_past_its_timeout_gets_sigterm_first_and_its_group_goes() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("tempdir");
    let (mark, grandchild) = (dir.path().join("term"), dir.path().join("sleep.pid"));
    let script = dir.path().join("amp");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\ntrap 'echo term > {}; exit 3' TERM\nsleep 60 &\necho $! > {}\nwait\n",
            mark.display(),
            grandchild.display()
        ),
    )
    .expect("write");
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let amp = Amp::builder()
        .cli_path(&script)
        .overall_timeout(Duration::from_millis(500))
        .kill_grace(Duration::from_secs(10))
        .build();
    let start = Instant::now();
    let err = amp.thread_markdown("T-x").expect_err("timeout");
    assert!(
        matches!(
            err,
            AgentError::Timeout {
                kind: TimeoutKind::Overall,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "SIGTERM, not the grace's SIGKILL"
    );
    assert_eq!(
        std::fs::read_to_string(&mark).expect("trapped").trim(),
        "term"
    );
    let pid: u32 = std::fs::read_to_string(&grandchild)
        .expect("pid file")
        .trim()
        .parse()
        .expect("pid");
    assert_gone_soon(pid);
}

#[test]
fn handles_can_move_between_threads() {
    fn send<T: Send>() {}
    fn send_sync<T: Send + Sync>() {}
    send::<ampere_blocking::Execution>();
    send::<ampere_blocking::Session>();
    send::<Prompt>();
    send_sync::<Amp>();
    send_sync::<ampere_blocking::ActionExecutor>();
}
