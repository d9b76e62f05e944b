//! Messages: text, tool calls, thinking, usage and summaries, unknown types; the free
//! `execute`, concurrent runs and a big prompt.

use super::*;

/// A text prompt is echoed: init, user echo, assistant, success result, in that order, with
/// the prompt on stdin (newline-terminated, then closed) and the child reaped at the end.
pub fn echo_text<R: Runtime>(s: &Suite) {
    let scratch = Scratch::new();
    let prompt = "Hello, stub! What is 2+2? üñí 日本語";
    let c = R::execute(&s.cfg(), prompt.into(), scratch.recorded(AmpOptions::new()));
    assert_tags::<R>(
        "echo",
        &c.items,
        &["system/init", "user", "assistant", "result"],
    );
    let sid = assert_one_session::<R>(&c.items);
    let Ok(Message::System(init)) = &c.items[0] else {
        unreachable!()
    };
    assert!(init.is_init());
    assert_eq!(init.tools, stub::TOOLS, "[{}] init tools", R::NAME);
    assert!(init.mcp_servers.is_empty());
    assert_eq!(users(&c.items)[0].text(), prompt);
    let a = assistants(&c.items)[0];
    assert_eq!(a.text(), prompt);
    assert_eq!(a.message.stop_reason, Some(StopReason::EndTurn));
    let r = results(&c.items)[0];
    assert_eq!(r.result, prompt);
    assert_eq!(r.num_turns, 1);
    assert_eq!(
        counts(r.usage.as_ref().expect("result usage")),
        sum_assistant_usage(&c.items),
        "[{}] result usage = sum of assistant usage",
        R::NAME
    );

    let rec = record_of::<R>(&scratch);
    assert_eq!(
        rec.args(),
        ["--execute", "--stream-json"],
        "[{}] argv",
        R::NAME
    );
    assert_eq!(
        rec.str("stdin").as_deref(),
        Some(format!("{prompt}\n").as_str())
    );
    assert_eq!(
        rec.0["stdin_eof"],
        json!(true),
        "[{}] stdin closed",
        R::NAME
    );
    assert_eq!(rec.str("session_id").as_deref(), Some(sid.as_str()));
    assert_eq!(rec.0["exit_code"], json!(0));
    assert_reaped::<R>(&rec);
}

/// A finished stream stays finished: after its end (a success, a process error, a
/// validation error) asking for more gives `None`.
pub fn stream_ends_for_good<R: Runtime>(s: &Suite) {
    let scratch = Scratch::new();
    let cases: [(&str, PromptSpec, AmpOptions, &[&str]); 3] = [
        (
            "success",
            "done".into(),
            AmpOptions::new(),
            &["system/init", "user", "assistant", "result"],
        ),
        (
            "crash",
            directive(StubScenario::Crash.param("after", 1).param("code", 9), "x"),
            AmpOptions::new(),
            &["system/init", "process"],
        ),
        (
            "validation",
            "x".into(),
            scratch.recorded(AmpOptions::new().labels(["no spaces"])),
            &["validation:labels[0]"],
        ),
    ];
    for (what, prompt, options, expected) in cases {
        let (items, after) = R::execute_past_end(&s.cfg(), prompt, options);
        assert_tags::<R>(what, &items, expected);
        assert!(
            after.iter().all(Option::is_none),
            "[{}] {what}: items after the end: {after:?}",
            R::NAME
        );
    }
}

fn expected_tool_output(k: usize) -> (String, String) {
    let name = ["Bash", "Read", "Grep"][k % 3];
    (
        name.to_string(),
        format!(
            "output of {name} #{}: ok \"quoted\" \\ üñíçødé 日本語\n",
            k + 1
        ),
    )
}

/// `run` to completion: the summary has the final answer, the turns, the duration, the
/// usage (adding up) and every tool call paired with its result.
pub fn run_summary_tools<R: Runtime>(s: &Suite) {
    let started = std::time::Instant::now();
    let summary: RunSummary = R::run(
        &s.cfg(),
        directive(StubScenario::Tools.param("count", 3), "use three tools"),
        AmpOptions::new(),
    )
    .unwrap_or_else(|e| panic!("[{}] run failed: {e:?}", R::NAME));
    let elapsed = started.elapsed();
    assert_eq!(summary.result, "Done: ran 3 tools.");
    assert_eq!(summary.num_turns, 1);
    assert!(
        summary.duration_ms <= elapsed.as_millis() as u64,
        "[{}] duration {} ms > wall time {elapsed:?}",
        R::NAME,
        summary.duration_ms
    );
    assert!(summary
        .session_id
        .as_deref()
        .is_some_and(stub::args::is_thread_id));
    // init, user, 3 x (assistant tool_use, user tool_result), assistant, result
    assert_eq!(summary.message_count, 10);
    assert_eq!(counts(&summary.usage), counts(&summary.assistant_usage));
    assert!(summary.usage.input_tokens > 0 && summary.usage.output_tokens > 0);
    assert!(summary.permission_denials.is_empty());
    assert_eq!(
        summary.tool_calls.len(),
        3,
        "[{}] {:?}",
        R::NAME,
        summary.tool_calls
    );
    for (k, call) in summary.tool_calls.iter().enumerate() {
        let (name, output) = expected_tool_output(k);
        assert_eq!(call.id, format!("toolu_stub_{k:04}"));
        assert_eq!(call.name, name);
        assert_eq!(
            call.result.as_deref(),
            Some(output.as_str()),
            "[{}] call {k}",
            R::NAME
        );
        assert!(!call.is_error);
        assert_eq!(call.parent_tool_use_id, None);
    }
    assert_eq!(
        summary.tool_calls[0].input,
        json!({"cmd": "cargo test", "cwd": "/home/user/project"})
    );
}

/// Usage adds up over several assistant messages of one run; `num_turns` comes from the
/// result.
pub fn run_summary_usage_adds_up<R: Runtime>(s: &Suite) {
    let c = R::execute(
        &s.cfg(),
        directive(StubScenario::Multi.param("turns", 4), "count"),
        AmpOptions::new(),
    );
    assert_tags::<R>(
        "multi",
        &c.items,
        &[
            "system/init",
            "user",
            "assistant",
            "assistant",
            "assistant",
            "assistant",
            "result",
        ],
    );
    let texts: Vec<String> = assistants(&c.items).iter().map(|a| a.text()).collect();
    assert_eq!(
        texts,
        [
            "turn 1: count",
            "turn 2: count",
            "turn 3: count",
            "turn 4: count"
        ]
    );
    let sum = sum_assistant_usage(&c.items);
    let summary = R::run(
        &s.cfg(),
        directive(StubScenario::Multi.param("turns", 4), "count"),
        AmpOptions::new(),
    )
    .unwrap_or_else(|e| panic!("[{}] run failed: {e:?}", R::NAME));
    assert_eq!(summary.num_turns, 4);
    assert_eq!(summary.result, "turn 4: count");
    assert_eq!(summary.message_count, 7);
    assert_eq!(
        counts(&summary.assistant_usage),
        sum,
        "[{}] usage adds up",
        R::NAME
    );
    assert_eq!(counts(&summary.usage), sum);
}

/// Tool calls in the stream: `tool_use` blocks in assistant messages (stop reason
/// `tool_use`), `tool_result` blocks (string and block-list forms) in user messages.
pub fn tool_calls_stream<R: Runtime>(s: &Suite) {
    let c = R::execute(
        &s.cfg(),
        directive(StubScenario::Tools.param("count", 2), "go"),
        AmpOptions::new(),
    );
    assert_tags::<R>(
        "tools",
        &c.items,
        &[
            "system/init",
            "user",
            "assistant",
            "user",
            "assistant",
            "user",
            "assistant",
            "result",
        ],
    );
    let a = assistants(&c.items);
    for (k, msg) in a.iter().take(2).enumerate() {
        let (name, _) = expected_tool_output(k);
        assert_eq!(msg.message.stop_reason, Some(StopReason::ToolUse));
        assert_eq!(msg.message.content.len(), 2);
        assert_eq!(
            msg.message.content[0],
            ContentBlock::text(format!("Running tool {}.", k + 1))
        );
        match &msg.message.content[1] {
            ContentBlock::ToolUse { id, name: n, .. } => {
                assert_eq!(id, &format!("toolu_stub_{k:04}"));
                assert_eq!(n, &name);
            }
            other => panic!("[{}] expected tool_use, got {other:?}", R::NAME),
        }
    }
    let u = users(&c.items);
    for (k, msg) in u.iter().skip(1).enumerate() {
        let (_, output) = expected_tool_output(k);
        match &msg.message.content[..] {
            [ContentBlock::ToolResult {
                tool_use_id,
                content,
                is_error,
            }] => {
                assert_eq!(tool_use_id, &format!("toolu_stub_{k:04}"));
                assert!(!is_error);
                assert_eq!(content.text(), output);
                let is_text = matches!(content, ToolResultContent::Text(_));
                assert_eq!(
                    is_text,
                    k % 2 == 0,
                    "[{}] string / block-list forms",
                    R::NAME
                );
            }
            other => panic!("[{}] expected one tool_result, got {other:?}", R::NAME),
        }
    }
    assert_eq!(a[2].text(), "Done: ran 2 tools.");
}

/// `thinking: true` passes `--stream-json-thinking` and thinking blocks come through.
pub fn thinking_blocks<R: Runtime>(s: &Suite) {
    let scratch = Scratch::new();
    let c = R::execute(
        &s.cfg(),
        directive(StubScenario::Thinking.param("blocks", 2), "ponder"),
        scratch.recorded(AmpOptions::new().thinking(true)),
    );
    assert_tags::<R>(
        "thinking",
        &c.items,
        &["system/init", "user", "assistant", "result"],
    );
    let a = assistants(&c.items)[0];
    let sig = Some("c3R1Yi1zaWduYXR1cmU=".to_string());
    assert_eq!(
        a.message.content,
        vec![
            ContentBlock::Thinking {
                thinking: "Thinking step 1: the user said \"ponder\".".into(),
                signature: sig.clone(),
            },
            ContentBlock::Thinking {
                thinking: "Thinking step 2: the user said \"ponder\".".into(),
                signature: sig,
            },
            ContentBlock::text("ponder"),
        ],
        "[{}] thinking blocks",
        R::NAME
    );
    assert_eq!(
        record_of::<R>(&scratch).args(),
        ["--execute", "--stream-json-thinking"]
    );
}

/// Without `thinking`, the plain `--stream-json` is used and no thinking block appears.
pub fn thinking_off_by_default<R: Runtime>(s: &Suite) {
    let scratch = Scratch::new();
    let c = R::execute(
        &s.cfg(),
        directive(StubScenario::Thinking.param("blocks", 2), "ponder"),
        scratch.recorded(AmpOptions::new()),
    );
    assert_tags::<R>(
        "no thinking",
        &c.items,
        &["system/init", "user", "assistant", "result"],
    );
    assert_eq!(
        assistants(&c.items)[0].message.content,
        vec![ContentBlock::text("ponder")]
    );
    assert_eq!(
        record_of::<R>(&scratch).args(),
        ["--execute", "--stream-json"]
    );
}

/// Unknown message types, system subtypes, content blocks, enum values and fields pass
/// through without ending the stream or producing errors.
pub fn unknown_types_pass_through<R: Runtime>(s: &Suite) {
    let c = R::execute(
        &s.cfg(),
        directive(StubScenario::UnknownTypes, "still fine"),
        AmpOptions::new(),
    );
    assert_tags::<R>(
        "unknown types",
        &c.items,
        &[
            "system/init",
            "user",
            "unknown:telemetry",
            "system/compaction",
            "assistant",
            "assistant",
            "result",
        ],
    );
    let Ok(Message::System(init)) = &c.items[0] else {
        unreachable!()
    };
    let future = init
        .mcp_servers
        .iter()
        .find(|m| m.name == "future-server")
        .expect("future-server listed");
    assert_eq!(future.status, McpServerState::Other("hibernating".into()));
    let Ok(Message::Unknown(telemetry)) = &c.items[2] else {
        unreachable!()
    };
    assert_eq!(telemetry.raw["event"], "tick");
    let a = assistants(&c.items)[0];
    let types: Vec<&str> = a.message.content.iter().map(|b| b.block_type()).collect();
    assert_eq!(types, ["image", "redacted_thinking", "text"]);
    match &a.message.content[0] {
        ContentBlock::Unknown(raw) => assert_eq!(raw["source"]["data"], "iVBORw0KGgo="),
        other => panic!("[{}] expected an unknown block, got {other:?}", R::NAME),
    }
    assert_eq!(a.message.content[2], ContentBlock::text("still fine"));
    assert_eq!(a.message.stop_reason, Some(StopReason::PauseTurn));
    assert_eq!(a.message.model.as_deref(), Some("claude-future"));
    assert_eq!(results(&c.items)[0].result, "still fine");
}

/// The free function `execute` finds the CLI the standard way (`AMP_CLI_PATH` here).
pub fn execute_free_function<R: Runtime>(s: &Suite) {
    let scratch = Scratch::new();
    let c = {
        let _env = env_lock();
        let _patch = EnvPatch::apply(&[("AMP_CLI_PATH", Some(s.stub.as_os_str()))]);
        R::execute_default("free function".into(), scratch.recorded(AmpOptions::new()))
    };
    assert_tags::<R>(
        "free execute",
        &c.items,
        &["system/init", "user", "assistant", "result"],
    );
    assert_eq!(results(&c.items)[0].result, "free function");
    let rec = record_of::<R>(&scratch);
    assert_eq!(rec.str("argv0").as_deref(), s.stub.to_str());
    assert_reaped::<R>(&rec);
}

/// Eight executions at once on one `Amp`: each gets exactly its own messages, and together
/// they take far less time than one after the other.
pub fn concurrent_executions<R: Runtime>(s: &Suite) {
    let n = 8;
    let runs = (0..n)
        .map(|i| {
            (
                directive(
                    StubScenario::Echo.param("delay_ms", 200),
                    &format!("run {i}"),
                ),
                AmpOptions::new(),
            )
        })
        .collect();
    let started = std::time::Instant::now();
    let all = R::execute_concurrently(&s.cfg(), runs);
    let elapsed = started.elapsed();
    assert_eq!(all.len(), n);
    let mut sessions = std::collections::BTreeSet::new();
    for (i, c) in all.iter().enumerate() {
        assert_tags::<R>(
            &format!("run {i}"),
            &c.items,
            &["system/init", "user", "assistant", "result"],
        );
        assert_eq!(results(&c.items)[0].result, format!("run {i}"));
        sessions.insert(assert_one_session::<R>(&c.items));
    }
    assert_eq!(sessions.len(), n, "[{}] one thread per execution", R::NAME);
    // Each run takes 4 x 200 ms; one after the other that is 6.4 s.
    assert!(
        elapsed < Duration::from_millis(4500),
        "[{}] {n} concurrent executions took {elapsed:?}",
        R::NAME
    );
}

/// A 4 MiB text prompt is written whole to stdin (then closed) and echoed back.
pub fn big_prompt<R: Runtime>(s: &Suite) {
    let scratch = Scratch::new();
    let prompt = big_line_content(4 << 20).replace('\n', " ");
    let c = R::execute(
        &s.cfg(),
        prompt.clone().into(),
        scratch.recorded(AmpOptions::new()),
    );
    assert_tags::<R>(
        "big prompt",
        &c.items,
        &["system/init", "user", "assistant", "result"],
    );
    let echoed = &results(&c.items)[0].result;
    assert_eq!(echoed.len(), prompt.len());
    assert_eq!(
        fnv1a64(echoed.as_bytes()),
        fnv1a64(prompt.trim().as_bytes())
    );
    assert_eq!(
        record_of::<R>(&scratch).0["stdin_bytes"],
        json!(prompt.len() + 1)
    );
}
