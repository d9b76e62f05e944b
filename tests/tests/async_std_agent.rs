//! The async-std / smol adapter (`ampere-async-std`) against the `amp-stub` CLI: streaming,
//! failures, timeouts, cancellation, cleanup, big output, stream input, sessions and thread
//! commands. Bodies run under async-std's executor here; `async_std_executors.rs` repeats a
//! representative subset under smol.

mod async_std_support;

use std::time::{Duration, Instant};

use ampere_async_std::{
    create_user_message, AgentError, Amp, AmpOptions, ContentBlock, Message, MultiplayerSetting,
    Prompt, TimeoutKind, TtlDuration, Visibility,
};
use ampere_tests::stub::{big_line_content, fnv1a64};
use async_std_support::*;

#[test]
fn text_prompt_streams_every_message_then_ends_cleanly() {
    on_async_std(async {
        let root = scratch();
        let record = root.path().join("record.json");
        let amp = builder(root.path()).build();
        let options = AmpOptions::default().env("AMP_STUB_RECORD", record.display().to_string());
        let got = collect(amp.execute("hello there", options)).await;
        assert!(got.errors.is_empty(), "{:?}", got.errors);
        assert_eq!(got.types(), ["system", "user", "assistant", "result"]);
        assert_eq!(got.result_text().as_deref(), Some("hello there"));
        // The prompt went to stdin followed by a newline, then stdin was closed.
        let text = std::fs::read_to_string(&record).expect("record");
        let record_json: serde_json::Value = serde_json::from_str(&text).expect("json");
        assert_eq!(record_json["stdin"], "hello there\n");
        assert_eq!(record_json["stdin_eof"], true);
        assert_eq!(
            record_json["args"],
            serde_json::json!(["--execute", "--stream-json"])
        );
        assert_eq!(
            record_json["env"]["AMP_SDK_VERSION"],
            ampere_async_std::core::plan::SDK_VERSION
        );
        assert_eq!(leftovers(root.path()), vec![record]);
    });
}

#[test]
fn run_returns_the_summary() {
    on_async_std(async {
        let root = scratch();
        let amp = builder(root.path()).build();
        let summary = amp
            .run(scenario("tools count=3", "go"), AmpOptions::default())
            .await
            .expect("run succeeds");
        assert_eq!(summary.tool_calls.len(), 3);
        assert!(summary.tool_calls.iter().all(|c| c.result.is_some()));
        assert!(summary.result.contains("ran 3 tools"), "{}", summary.result);
        assert!(summary
            .session_id
            .as_deref()
            .is_some_and(|s| s.starts_with("T-")));
    });
}

#[test]
fn crash_delivers_messages_then_a_process_error_with_code_and_stderr() {
    on_async_std(async {
        let root = scratch();
        let amp = builder(root.path()).build();
        let got =
            collect(amp.execute(scenario("crash after=4 code=3", "x"), AmpOptions::default()))
                .await;
        assert_eq!(got.messages.len(), 4, "{:?}", got.types());
        match got.final_error() {
            Some(AgentError::Process {
                exit_code, stderr, ..
            }) => {
                assert_eq!(*exit_code, Some(3));
                assert!(stderr.contains("simulated crash after 4 lines"), "{stderr}");
            }
            other => panic!("expected a process error, got {other:?} / {:?}", got.errors),
        }
        let text = got.final_error().map(|e| e.to_string()).unwrap_or_default();
        assert!(
            text.contains("code 3") && text.contains("simulated crash"),
            "{text}"
        );
    });
}

#[test]
fn a_signal_is_named_and_a_cut_line_is_reported() {
    on_async_std(async {
        let root = scratch();
        let amp = builder(root.path()).build();
        let got = collect(amp.execute(
            scenario("crash after=2 signal=KILL partial=1", "x"),
            AmpOptions::default(),
        ))
        .await;
        assert_eq!(got.messages.len(), 2, "{:?}", got.types());
        // The half-written line comes out as a decode error, in place, before the final error.
        assert_eq!(got.decode_errors(), 1, "{:?}", got.errors);
        match &got.errors[0].1 {
            AgentError::Decode(e) => assert!(e.excerpt.contains("assistant"), "{e:?}"),
            other => panic!("{other:?}"),
        }
        match got.final_error() {
            Some(AgentError::Process { signal, .. }) => {
                assert!(
                    signal.as_deref().is_some_and(|s| s.contains("SIGKILL")),
                    "{signal:?}"
                )
            }
            other => panic!("expected a process error, got {other:?}"),
        }
    });
}

#[test]
fn error_result_is_delivered_and_run_reports_it() {
    on_async_std(async {
        let root = scratch();
        let amp = builder(root.path()).build();
        let prompt = scenario("error-result message=kaboom", "x");
        let got = collect(amp.execute(prompt.clone(), AmpOptions::default())).await;
        assert!(got
            .messages
            .iter()
            .any(|m| matches!(m, Message::ErrorResult(e) if e.error == "kaboom")));
        assert!(matches!(
            got.final_error(),
            Some(AgentError::Process {
                exit_code: Some(1),
                ..
            })
        ));
        let err = amp
            .run(prompt, AmpOptions::default())
            .await
            .expect_err("error result");
        assert!(
            matches!(err, AgentError::ErrorResult { ref error, .. } if error == "kaboom"),
            "{err:?}"
        );
    });
}

#[test]
fn non_zero_exit_after_success_is_not_an_error() {
    on_async_std(async {
        let root = scratch();
        let amp = builder(root.path()).build();
        let prompt = scenario("exit-after-success code=3", "fine");
        let got = collect(amp.execute(prompt.clone(), AmpOptions::default())).await;
        assert!(got.errors.is_empty(), "{:?}", got.errors);
        assert_eq!(got.result_text().as_deref(), Some("fine"));
        let summary = amp.run(prompt, AmpOptions::default()).await.expect("ok");
        assert_eq!(summary.result, "fine");
    });
}

#[test]
fn garbage_lines_are_reported_in_place_and_the_run_goes_on() {
    on_async_std(async {
        let root = scratch();
        let amp = builder(root.path()).build();
        let prompt = scenario("garbage", "survived");
        let got = collect(amp.execute(prompt.clone(), AmpOptions::default())).await;
        assert!(got.decode_errors() >= 4, "{:?}", got.errors);
        assert!(got.final_error().is_none(), "{:?}", got.errors);
        assert_eq!(got.result_text().as_deref(), Some("survived"));
        // Decode errors sit between messages, not all at the end.
        assert!(got.errors.iter().any(|(at, _)| *at < got.messages.len()));
        let summary = amp.run(prompt, AmpOptions::default()).await.expect("ok");
        assert_eq!(summary.result, "survived");
    });
}

#[test]
fn unknown_message_types_do_not_end_the_stream() {
    on_async_std(async {
        let root = scratch();
        let amp = builder(root.path()).build();
        let got = collect(amp.execute(
            scenario("unknown-types", "still here"),
            AmpOptions::default(),
        ))
        .await;
        assert!(got.errors.is_empty(), "{:?}", got.errors);
        assert!(got
            .messages
            .iter()
            .any(|m| matches!(m, Message::Unknown(_))));
        assert_eq!(got.result_text().as_deref(), Some("still here"));
    });
}

#[test]
fn a_20_mb_line_arrives_intact() {
    on_async_std(async {
        let root = scratch();
        let amp = builder(root.path()).build();
        let got =
            collect(amp.execute(scenario("big-line mb=20", "x"), AmpOptions::default())).await;
        assert!(got.errors.is_empty(), "{:?}", got.errors);
        let content = got
            .messages
            .iter()
            .find_map(|m| match m {
                Message::User(u) => u.message.content.iter().find_map(|b| match b {
                    ContentBlock::ToolResult { content, .. } => Some(content.text().into_owned()),
                    _ => None,
                }),
                _ => None,
            })
            .expect("the big tool result");
        let expected_len = 20 << 20;
        assert_eq!(content.len(), expected_len);
        let summary = got.result_text().expect("result");
        assert_eq!(
            summary,
            format!(
                "big-line bytes={expected_len} fnv1a64={:016x}",
                fnv1a64(content.as_bytes())
            )
        );
        assert!(content == big_line_content(expected_len));
    });
}

#[test]
fn a_10_mb_stderr_flood_does_not_block_the_run() {
    on_async_std(async {
        let root = scratch();
        let amp = builder(root.path())
            .overall_timeout(Duration::from_secs(60))
            .build();
        let got = collect(amp.execute(
            scenario("stderr-flood mb=10", "loud"),
            AmpOptions::default(),
        ))
        .await;
        assert!(got.errors.is_empty(), "{:?}", got.errors);
        assert_eq!(got.result_text().as_deref(), Some("loud"));
    });
}

#[test]
fn dropping_the_stream_kills_the_child_and_removes_the_private_folder() {
    on_async_std(async {
        let root = scratch();
        let amp = builder(root.path()).build();
        let mut execution = amp.execute(scenario("hang", "x"), options_with_private_dir());
        let first = within(Instant::now() + PATIENCE, execution.next()).await;
        assert!(matches!(first, Some(Ok(Message::System(_)))), "{first:?}");
        let pid = execution.pid().expect("pid once a message arrived");
        let dir = execution
            .private_dir()
            .expect("overlay folder")
            .to_path_buf();
        assert!(dir.starts_with(root.path()) && dir.exists());
        assert!(process_exists(pid));
        drop(execution);
        assert!(
            eventually(PATIENCE, || !process_exists(pid)),
            "child {pid} still there"
        );
        assert!(
            eventually(PATIENCE, || !dir.exists()),
            "private folder left behind"
        );
        assert!(leftovers(root.path()).is_empty());
    });
}

#[test]
fn cancel_waits_until_the_child_is_reaped_and_the_folder_removed() {
    on_async_std(async {
        let root = scratch();
        let amp = builder(root.path()).build();
        let mut execution = amp.execute(scenario("hang", "x"), options_with_private_dir());
        let _ = within(Instant::now() + PATIENCE, execution.next()).await;
        let pid = execution.pid().expect("pid");
        let dir = execution.private_dir().expect("folder").to_path_buf();
        within(Instant::now() + PATIENCE, execution.cancel()).await;
        assert!(
            !process_exists(pid),
            "child {pid} not reaped when cancel returned"
        );
        assert!(!dir.exists(), "folder still there when cancel returned");
    });
}

#[test]
fn a_child_ignoring_sigterm_is_killed_after_the_grace() {
    on_async_std(async {
        let root = scratch();
        let amp = builder(root.path())
            .kill_grace(Duration::from_millis(300))
            .build();
        let mut execution = amp.execute(scenario("ignore-sigterm", "x"), AmpOptions::default());
        let _ = within(Instant::now() + PATIENCE, execution.next()).await;
        let pid = execution.pid().expect("pid");
        let started = Instant::now();
        within(Instant::now() + PATIENCE, execution.cancel()).await;
        let took = started.elapsed();
        assert!(!process_exists(pid));
        assert!(
            took >= Duration::from_millis(250),
            "SIGKILL came too early: {took:?}"
        );
        assert!(
            took < Duration::from_secs(10),
            "SIGKILL came too late: {took:?}"
        );
    });
}

#[test]
fn idle_timeout_ends_a_silent_cli_after_its_messages() {
    on_async_std(async {
        let root = scratch();
        let amp = builder(root.path())
            .idle_timeout(Duration::from_millis(1000))
            .kill_grace(Duration::from_millis(500))
            .build();
        let started = Instant::now();
        let mut execution = amp.execute(scenario("hang", "x"), options_with_private_dir());
        let first = within(Instant::now() + PATIENCE, execution.next()).await;
        assert!(matches!(first, Some(Ok(Message::System(_)))), "{first:?}");
        let pid = execution.pid().expect("pid");
        let mut got = collect(execution).await;
        assert!(
            !process_exists(pid),
            "the stream ended before the child was reaped"
        );
        if let Some(Ok(message)) = first {
            got.messages.insert(0, message);
            for (at, _) in &mut got.errors {
                *at += 1;
            }
        }
        assert_eq!(got.types().first().map(String::as_str), Some("system"));
        assert!(
            matches!(
                got.final_error(),
                Some(AgentError::Timeout {
                    kind: TimeoutKind::Idle,
                    ..
                })
            ),
            "{:?}",
            got.errors
        );
        assert!(started.elapsed() < Duration::from_secs(15));
        assert!(leftovers(root.path()).is_empty());
    });
}

#[test]
fn overall_timeout_ends_a_busy_cli() {
    on_async_std(async {
        let root = scratch();
        // Busy: a message every 100 ms keeps the idle timer quiet.
        let amp = builder(root.path())
            .idle_timeout(Duration::from_secs(5))
            .overall_timeout(Duration::from_millis(1500))
            .kill_grace(Duration::from_millis(500))
            .build();
        let got = collect(amp.execute(
            scenario("tools count=100 delay_ms=100", "x"),
            AmpOptions::default(),
        ))
        .await;
        assert!(got.messages.len() >= 2, "{:?}", got.types());
        assert!(
            matches!(
                got.final_error(),
                Some(AgentError::Timeout {
                    kind: TimeoutKind::Overall,
                    ..
                })
            ),
            "{:?}",
            got.errors
        );
    });
}

#[test]
fn a_slow_consumer_does_not_make_the_cli_look_idle() {
    on_async_std(async {
        let root = scratch();
        let amp = builder(root.path())
            .idle_timeout(Duration::from_millis(1500))
            .build();
        // The CLI prints everything at once; reading it all takes the consumer ~3 s.
        let mut execution = amp.execute(scenario("multi turns=60", "x"), AmpOptions::default());
        let mut count = 0;
        let deadline = Instant::now() + PATIENCE;
        while let Some(item) = within(deadline, execution.next()).await {
            item.expect("no error: the driver keeps reading while we dawdle");
            count += 1;
            async_io::Timer::after(Duration::from_millis(50)).await;
        }
        assert_eq!(count, 63);
    });
}

#[test]
fn the_private_folder_is_gone_when_the_stream_ends() {
    on_async_std(async {
        let root = scratch();
        let record = root.path().join("record.json");
        let amp = builder(root.path()).build();
        let options =
            options_with_private_dir().env("AMP_STUB_RECORD", record.display().to_string());
        let mut execution = amp.execute("hi", options);
        let mut dir = None;
        while let Some(item) = within(Instant::now() + PATIENCE, execution.next()).await {
            item.expect("ok");
            dir = dir.or_else(|| execution.private_dir().map(|p| p.to_path_buf()));
        }
        let dir = dir.expect("the execution had a private folder");
        assert!(!dir.exists(), "{dir:?} left behind");
        // The CLI saw the generated settings file inside it, with 0600 in a 0700 folder.
        let text = std::fs::read_to_string(&record).expect("record");
        let record: serde_json::Value = serde_json::from_str(&text).expect("json");
        let settings_file = record["settings_file"].as_str().expect("settings file");
        assert!(
            std::path::Path::new(settings_file).starts_with(&dir),
            "{record}"
        );
        assert!(record["settings"]
            .as_str()
            .is_some_and(|s| s.contains("be terse")));
        assert_eq!(record["settings_mode"], "600");
        assert_eq!(record["settings_dir_mode"], "700");
        assert_eq!(
            leftovers(root.path()),
            vec![root.path().join("record.json")]
        );
    });
}

#[test]
fn invalid_options_fail_before_anything_is_spawned() {
    on_async_std(async {
        let root = scratch();
        let amp = builder(root.path()).build();
        let options = AmpOptions {
            labels: Some(vec!["not a label!".into()]),
            ..AmpOptions::default()
        };
        let execution = amp.execute("x", options);
        let got = collect(execution).await;
        assert!(got.messages.is_empty());
        assert!(
            matches!(got.final_error(), Some(AgentError::Validation(v)) if v.field.starts_with("labels")),
            "{:?}",
            got.errors
        );
        assert!(leftovers(root.path()).is_empty());
    });
}

#[test]
fn a_missing_cli_is_a_clear_error() {
    on_async_std(async {
        let amp = Amp::builder()
            .cli_path("/nonexistent/ampere-test/amp")
            .build();
        let got = collect(amp.execute("x", AmpOptions::default())).await;
        assert_eq!(got.errors.len(), 1, "{:?}", got.errors);
        let err = amp
            .run("x", AmpOptions::default())
            .await
            .expect_err("no CLI");
        assert!(
            err.to_string().contains("/nonexistent/ampere-test/amp"),
            "{err}"
        );
    });
}

#[test]
fn stream_input_writes_each_message_and_closes_stdin() {
    on_async_std(async {
        let root = scratch();
        let record = root.path().join("record.json");
        let amp = builder(root.path()).build();
        let (tx, rx) = async_channel::unbounded();
        let options = AmpOptions::default().env("AMP_STUB_RECORD", record.display().to_string());
        let mut execution = amp.execute(Prompt::stream(rx), options);
        let deadline = Instant::now() + PATIENCE;
        let mut results = Vec::new();
        for turn in ["first", "second", "third"] {
            tx.send(create_user_message(turn)).await.expect("send");
            // Wait for this turn's result before sending the next: a real conversation.
            loop {
                match within(deadline, execution.next()).await {
                    Some(Ok(Message::Result(r))) => {
                        results.push(r.result);
                        break;
                    }
                    Some(Ok(_)) => {}
                    other => panic!("unexpected {other:?}"),
                }
            }
        }
        drop(tx);
        let rest = collect(execution).await;
        assert!(rest.errors.is_empty(), "{:?}", rest.errors);
        assert_eq!(results, ["first", "second", "third"]);
        let text = std::fs::read_to_string(&record).expect("record");
        let record: serde_json::Value = serde_json::from_str(&text).expect("json");
        assert_eq!(record["stdin_eof"], true, "{record}");
        assert_eq!(record["stdin_lines"].as_array().map(Vec::len), Some(3));
        assert!(record["args"]
            .as_array()
            .is_some_and(|a| a.last() == Some(&serde_json::json!("--stream-json-input"))));
    });
}

#[test]
fn prompt_stream_from_an_iterator() {
    on_async_std(async {
        let root = scratch();
        let amp = builder(root.path()).build();
        let turns = futures_lite::stream::iter(vec![
            create_user_message("one"),
            create_user_message("two"),
        ]);
        let got = collect(amp.execute(Prompt::stream(turns), AmpOptions::default())).await;
        assert!(got.errors.is_empty(), "{:?}", got.errors);
        let results: Vec<_> = got
            .messages
            .iter()
            .filter_map(|m| match m {
                Message::Result(r) => Some(r.result.as_str()),
                _ => None,
            })
            .collect();
        assert_eq!(results, ["one", "two"]);
    });
}

#[test]
fn session_multi_turn_and_finish() {
    on_async_std(async {
        let root = scratch();
        let amp = builder(root.path()).build();
        let mut session = amp.session(AmpOptions::default());
        session.send_text("hello").await.expect("send");
        let deadline = Instant::now() + PATIENCE;
        loop {
            match within(deadline, session.next()).await {
                Some(Ok(Message::Result(r))) => {
                    assert_eq!(r.result, "hello");
                    break;
                }
                Some(Ok(_)) => {}
                other => panic!("unexpected {other:?}"),
            }
        }
        assert!(session.pid().is_some());
        session.send_text("again").await.expect("send");
        let summary = within(deadline, session.finish()).await.expect("summary");
        assert_eq!(summary.result, "again");
        assert!(summary.num_turns >= 1);
        // system + (user + assistant + result) per turn
        assert!(summary.message_count >= 7, "{}", summary.message_count);
    });
}

#[test]
fn session_send_after_the_cli_exited_is_an_error() {
    on_async_std(async {
        let root = scratch();
        let amp = builder(root.path()).build();
        let mut session = amp.session(AmpOptions::default());
        session
            .send_text("[[scenario:crash after=0 code=4]] x")
            .await
            .expect("send");
        let mut final_error = None;
        while let Some(item) = within(Instant::now() + PATIENCE, session.next()).await {
            if let Err(e) = item {
                final_error = Some(e);
            }
        }
        assert!(matches!(
            final_error,
            Some(AgentError::Process {
                exit_code: Some(4),
                ..
            })
        ));
        assert!(session.send_text("anyone?").await.is_err());
    });
}

#[test]
fn thread_commands() {
    on_async_std(async {
        let root = scratch();
        let amp = builder(root.path()).build();
        let id = amp
            .thread_new(Some(Visibility::Private))
            .await
            .expect("new");
        assert!(id.starts_with("T-"), "{id}");
        let markdown = amp.thread_markdown(&id).await.expect("markdown");
        assert!(!markdown.is_empty());
        let shared = amp
            .thread_multiplayer(&id, MultiplayerSetting::Ttl(TtlDuration::hours(2)))
            .await
            .expect("multiplayer");
        assert!(!shared.is_empty());
        let err = amp
            .thread_multiplayer(&id, MultiplayerSetting::Ttl(TtlDuration::minutes(1)))
            .await
            .expect_err("too short");
        assert!(matches!(err, AgentError::Validation(_)), "{err:?}");
        let err = amp.thread_markdown("").await.expect_err("empty id");
        assert!(matches!(err, AgentError::Validation(_)), "{err:?}");
    });
}

#[test]
fn a_failing_thread_command_is_a_process_error() {
    on_async_std(async {
        let amp = Amp::builder().cli_path("/bin/false").build();
        let err = amp.thread_new(None).await.expect_err("false fails");
        assert!(
            matches!(
                err,
                AgentError::Process {
                    exit_code: Some(1),
                    ..
                }
            ),
            "{err:?}"
        );
    });
}

#[test]
fn a_panicking_input_stream_is_reported_and_the_child_killed() {
    on_async_std(async {
        let root = scratch();
        let amp = builder(root.path()).build();
        let input = futures_lite::stream::poll_fn(
            |_| -> std::task::Poll<Option<ampere_async_std::UserInputMessage>> {
                panic!("input stream exploded")
            },
        );
        let mut execution = amp.execute(Prompt::stream(input), options_with_private_dir());
        let mut last = None;
        while let Some(item) = within(Instant::now() + PATIENCE, execution.next()).await {
            last = Some(item);
        }
        match last {
            Some(Err(AgentError::Io {
                context, message, ..
            })) => {
                assert!(context.contains("panicked"), "{context}");
                assert!(message.contains("input stream exploded"), "{message}");
            }
            other => panic!("expected the panic to be reported, got {other:?}"),
        }
        let pid = execution.pid().expect("the child was started");
        assert!(
            eventually(PATIENCE, || !process_exists(pid)),
            "child {pid} left running"
        );
        assert!(eventually(PATIENCE, || leftovers(root.path()).is_empty()));
    });
}

#[test]
fn a_hanging_thread_command_hits_the_overall_timeout_and_is_killed() {
    use std::os::unix::fs::PermissionsExt;
    on_async_std(async {
        let root = scratch();
        let pidfile = root.path().join("pid");
        let script = root.path().join("slow-amp");
        std::fs::write(
            &script,
            format!(
                "#!/bin/sh\necho $$ > '{}'\nexec sleep 30\n",
                pidfile.display()
            ),
        )
        .expect("write script");
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        let amp = Amp::builder()
            .cli_path(&script)
            .overall_timeout(Duration::from_millis(500))
            .build();
        let mut attempts = 0;
        let (err, started) = loop {
            let started = Instant::now();
            let err = amp.thread_new(None).await.expect_err("times out");
            attempts += 1;
            // A script written a moment ago can be "text file busy" while another test's
            // fork still holds it open: try again.
            if matches!(err, AgentError::Io { .. }) && attempts < 5 {
                async_io::Timer::after(Duration::from_millis(100)).await;
                continue;
            }
            break (err, started);
        };
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
        assert!(started.elapsed() < Duration::from_secs(10));
        let pid: u32 = std::fs::read_to_string(&pidfile)
            .ok()
            .and_then(|t| t.trim().parse().ok())
            .expect("the script wrote its pid");
        assert!(
            eventually(PATIENCE, || !process_exists(pid)),
            "{pid} still running"
        );
    });
}

#[test]
fn cancelling_a_session_stops_the_cli() {
    on_async_std(async {
        let root = scratch();
        let amp = builder(root.path()).build();
        let mut session = amp.session(options_with_private_dir());
        session
            .send_text("[[scenario:hang]] x")
            .await
            .expect("send");
        let first = within(Instant::now() + PATIENCE, session.next()).await;
        assert!(matches!(first, Some(Ok(Message::System(_)))), "{first:?}");
        let pid = session.pid().expect("pid");
        within(Instant::now() + PATIENCE, session.cancel()).await;
        assert!(!process_exists(pid));
        assert!(leftovers(root.path()).is_empty());
    });
}

#[test]
fn executions_can_run_side_by_side() {
    on_async_std(async {
        let root = scratch();
        let amp = builder(root.path()).build();
        let tasks: Vec<_> = (0..8)
            .map(|i| {
                let amp = amp.clone();
                async_std::task::spawn(async move {
                    amp.run(
                        scenario("tools count=2 delay_ms=20", &format!("job {i}")),
                        options_with_private_dir(),
                    )
                    .await
                })
            })
            .collect();
        for task in tasks {
            let summary = within(Instant::now() + PATIENCE, task).await.expect("run");
            assert_eq!(summary.tool_calls.len(), 2);
        }
        assert!(leftovers(root.path()).is_empty());
    });
}

#[test]
fn a_cli_that_never_reads_stdin_is_not_a_stdin_error() {
    on_async_std(async {
        // `true` exits at once without reading: writing the 4 MB prompt hits a closed pipe,
        // which is not an error in itself; the exit status tells the story (0, no result).
        let amp = Amp::builder().cli_path("/bin/true").build();
        let prompt = "x".repeat(4 << 20);
        let got = collect(amp.execute(prompt.clone(), AmpOptions::default())).await;
        assert!(got.messages.is_empty());
        assert!(got.errors.is_empty(), "{:?}", got.errors);
        let err = amp
            .run(prompt, AmpOptions::default())
            .await
            .expect_err("no result");
        assert!(matches!(err, AgentError::NoResult), "{err:?}");
    });
}
