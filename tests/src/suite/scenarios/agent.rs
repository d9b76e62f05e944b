//! Agent scenarios: the Amp CLI (played by `amp-stub`) driven through a runtime.
//!
//! The stub's scenario is chosen with a `[[scenario:NAME key=value]]` directive in the
//! prompt, built from [`StubScenario`]; `AMP_STUB_RECORD` (set through `AmpOptions::env`)
//! makes it write what it saw.

use std::path::PathBuf;
use std::time::Duration;

use ampere_core::decode::DecodeErrorKind;
use ampere_core::mcp::{McpConfig, McpServer};
use ampere_core::message::{
    create_user_message, AssistantMessage, ContentBlock, McpServerState, Message, StopReason,
    ToolResultContent, Usage, UserMessage,
};
use ampere_core::options::{AmpOptions, ContinueThread, Effort, LogLevel, Mode, Visibility};
use ampere_core::permission::{create_permission, PermissionAction, PermissionOptions};
use ampere_core::run::{AgentError, RunSummary, TimeoutKind};
use ampere_core::threads::{MultiplayerSetting, TtlDuration};
use serde_json::{json, Value};

use crate::stub::scenario::{Scenario, StubScenario};
use crate::stub::{self, big_line_content, fnv1a64};
use crate::suite::{
    env_lock, eventually, process_exists, tag, tags, AmpCfg, EnvPatch, Item, PromptSpec, Record,
    Runtime, Scratch, SessionEnd, Suite, EVENTUALLY,
};

// ---------------------------------------------------------------------------------------------
// helpers
// ---------------------------------------------------------------------------------------------

/// A text prompt selecting a stub scenario.
fn directive(scenario: impl Into<Scenario>, text: &str) -> PromptSpec {
    PromptSpec::Text(scenario.into().directive(text))
}

fn ok_messages(items: &[Item]) -> Vec<&Message> {
    items.iter().filter_map(|i| i.as_ref().ok()).collect()
}

fn assistants(items: &[Item]) -> Vec<&AssistantMessage> {
    items
        .iter()
        .filter_map(|i| match i {
            Ok(Message::Assistant(a)) => Some(a),
            _ => None,
        })
        .collect()
}

fn users(items: &[Item]) -> Vec<&UserMessage> {
    items
        .iter()
        .filter_map(|i| match i {
            Ok(Message::User(u)) => Some(u),
            _ => None,
        })
        .collect()
}

fn results(items: &[Item]) -> Vec<&ampere_core::message::ResultMessage> {
    items
        .iter()
        .filter_map(|i| match i {
            Ok(Message::Result(r)) => Some(r),
            _ => None,
        })
        .collect()
}

fn assert_tags<R: Runtime>(what: &str, items: &[Item], expected: &[&str]) {
    let got = tags(items);
    assert_eq!(
        got,
        expected,
        "[{}] {what}: item sequence differs; items: {items:#?}",
        R::NAME
    );
}

/// Every message of a run carries the same session id (the init's).
fn assert_one_session<R: Runtime>(items: &[Item]) -> String {
    let ids: Vec<&str> = ok_messages(items)
        .iter()
        .filter_map(|m| m.session_id())
        .collect();
    let first = ids.first().copied().unwrap_or_default().to_string();
    assert!(
        stub::args::is_thread_id(&first),
        "[{}] session id {first:?} is not a thread id",
        R::NAME
    );
    assert!(
        ids.iter().all(|id| *id == first),
        "[{}] session ids differ: {ids:?}",
        R::NAME
    );
    first
}

/// The counters of a usage (`service_tier` / `max_tokens` left out).
fn counts(u: &Usage) -> [u64; 4] {
    [
        u.input_tokens,
        u.output_tokens,
        u.cache_creation_input_tokens,
        u.cache_read_input_tokens,
    ]
}

fn sum_assistant_usage(items: &[Item]) -> [u64; 4] {
    let mut sum = [0u64; 4];
    for a in assistants(items) {
        if let Some(u) = &a.message.usage {
            for (s, v) in sum.iter_mut().zip(counts(u)) {
                *s += v;
            }
        }
    }
    sum
}

fn record_of<R: Runtime>(scratch: &Scratch) -> Record {
    scratch
        .record()
        .unwrap_or_else(|| panic!("[{}] the stub wrote no invocation record", R::NAME))
}

/// After the stream ended, the child has been reaped (its exit was reported).
fn assert_reaped<R: Runtime>(record: &Record) {
    let pid = record.pid();
    assert!(
        !process_exists(pid),
        "[{}] child {pid} still exists (not reaped) after the stream ended",
        R::NAME
    );
}

/// The child and the private folder disappear within [`EVENTUALLY`].
fn assert_eventually_gone<R: Runtime>(record: &Record, dir: Option<&PathBuf>) {
    let pid = record.pid();
    assert!(
        eventually(EVENTUALLY, || !process_exists(pid)),
        "[{}] child {pid} still exists {EVENTUALLY:?} later (not killed or not reaped)",
        R::NAME
    );
    if let Some(dir) = dir {
        assert!(
            eventually(EVENTUALLY, || !dir.exists()),
            "[{}] private folder {} still exists {EVENTUALLY:?} later",
            R::NAME,
            dir.display()
        );
    }
}

/// The suite's configuration with private folders created in the scratch folder.
fn cfg_in(s: &Suite, scratch: &Scratch) -> AmpCfg {
    AmpCfg {
        temp_dir: Some(scratch.temp_root()),
        ..s.cfg()
    }
}

/// Nothing is left in the scratch temp root (within [`EVENTUALLY`] if `wait`).
fn assert_no_leftovers<R: Runtime>(scratch: &Scratch, wait: bool) {
    let clean = if wait {
        eventually(EVENTUALLY, || scratch.temp_leftovers().is_empty())
    } else {
        scratch.temp_leftovers().is_empty()
    };
    assert!(
        clean,
        "[{}] left behind in the temp folder: {:?}",
        R::NAME,
        scratch.temp_leftovers()
    );
}

/// Options that make ampere generate a settings file (so the execution has a private
/// folder), recorded.
fn with_private_dir(scratch: &Scratch) -> AmpOptions {
    scratch.recorded(AmpOptions::new().system_prompt("You are the suite's test agent."))
}

fn private_dir_of<R: Runtime>(record: &Record) -> PathBuf {
    record.private_dir().unwrap_or_else(|| {
        panic!(
            "[{}] no --settings-file was passed: {:?}",
            R::NAME,
            record.0
        )
    })
}

fn expect_process(item: &Item) -> (Option<i32>, Option<String>, String) {
    match item {
        Err(AgentError::Process {
            exit_code,
            signal,
            stderr,
        }) => (*exit_code, signal.clone(), stderr.clone()),
        other => panic!("expected a process error, got {other:?}"),
    }
}

// ---------------------------------------------------------------------------------------------
// messages
// ---------------------------------------------------------------------------------------------

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

/// A 20 MiB line arrives intact (checksum) and the stream goes on.
pub fn big_line_20mb<R: Runtime>(s: &Suite) {
    let bytes = 20usize << 20;
    let c = R::execute(
        &s.cfg(),
        directive(StubScenario::BigLine.param("mb", 20), "read it"),
        AmpOptions::new(),
    );
    assert_tags::<R>(
        "big line",
        &c.items,
        &[
            "system/init",
            "user",
            "assistant",
            "user",
            "assistant",
            "result",
        ],
    );
    let big = match &users(&c.items)[1].message.content[..] {
        [ContentBlock::ToolResult {
            content: ToolResultContent::Text(t),
            ..
        }] => t,
        other => panic!(
            "[{}] expected a string tool_result, got {} blocks",
            R::NAME,
            other.len()
        ),
    };
    assert_eq!(big.len(), bytes, "[{}] length of the big content", R::NAME);
    let sum = fnv1a64(big.as_bytes());
    assert_eq!(sum, fnv1a64(big_line_content(bytes).as_bytes()));
    assert_eq!(
        results(&c.items)[0].result,
        format!("big-line bytes={bytes} fnv1a64={sum:016x}")
    );
}

/// 10 MiB of stderr (half before stdout, half while it is written) does not block the
/// run, which succeeds with exactly the echo.
pub fn stderr_flood<R: Runtime>(s: &Suite) {
    let c = R::execute(
        &s.cfg(),
        directive(StubScenario::StderrFlood.param("mb", 10), "flooded"),
        AmpOptions::new(),
    );
    assert_tags::<R>(
        "stderr flood",
        &c.items,
        &["system/init", "user", "assistant", "result"],
    );
    assert_eq!(results(&c.items)[0].result, "flooded");
}

/// The stderr kept for the process error is bounded by `stderr_tail_bytes` (the last
/// bytes, marked as cut).
pub fn stderr_tail_bounded<R: Runtime>(s: &Suite) {
    let cfg = AmpCfg {
        stderr_tail_bytes: Some(16),
        ..s.cfg()
    };
    let c = R::execute(
        &cfg,
        directive(StubScenario::Crash.param("after", 1).param("code", 5), "go"),
        AmpOptions::new(),
    );
    assert_tags::<R>("tail", &c.items, &["system/init", "process"]);
    let full = "amp-stub: simulated crash after 1 lines\n";
    let (code, _, stderr) = expect_process(&c.items[1]);
    assert_eq!(code, Some(5));
    assert_eq!(stderr, format!("…{}", &full[full.len() - 16..]));
}

/// Output written one byte at a time is assembled into the same messages.
pub fn slow_drip<R: Runtime>(s: &Suite) {
    let c = R::execute(
        &s.cfg(),
        directive(
            StubScenario::SlowDrip.param("byte_delay_us", 100),
            "drip drop",
        ),
        AmpOptions::new(),
    );
    assert_tags::<R>(
        "slow drip",
        &c.items,
        &["system/init", "user", "assistant", "result"],
    );
    assert_eq!(assistants(&c.items)[0].text(), "drip drop");
    assert_eq!(results(&c.items)[0].result, "drip drop");
}

/// Bytes keep the idle timer alive even when no line is complete yet: a slow drip (a byte
/// per millisecond, about two seconds in all) under a 0.5 s idle timeout is not idle.
pub fn slow_drip_not_idle<R: Runtime>(s: &Suite) {
    let cfg = AmpCfg {
        idle_timeout: Some(Duration::from_millis(500)),
        ..s.cfg()
    };
    let c = R::execute(
        &cfg,
        directive(StubScenario::SlowDrip.param("byte_delay_us", 1000), "drip"),
        AmpOptions::new(),
    );
    assert_tags::<R>(
        "slow drip, idle timeout",
        &c.items,
        &["system/init", "user", "assistant", "result"],
    );
    assert!(
        c.elapsed > Duration::from_millis(500),
        "[{}] {:?}",
        R::NAME,
        c.elapsed
    );
}

/// A line over `max_line_len` is one `LineTooLong` error and the stream continues.
pub fn max_line_len_small<R: Runtime>(s: &Suite) {
    let cfg = AmpCfg {
        max_line_len: Some(100_000),
        ..s.cfg()
    };
    let c = R::execute(
        &cfg,
        directive(StubScenario::BigLine.param("bytes", 200_000), "too long"),
        AmpOptions::new(),
    );
    assert_tags::<R>(
        "line too long",
        &c.items,
        &[
            "system/init",
            "user",
            "assistant",
            "decode@4:too_long",
            "assistant",
            "result",
        ],
    );
    match &c.items[3] {
        Err(AgentError::Decode(e)) => {
            assert_eq!(e.kind, DecodeErrorKind::LineTooLong { limit: 100_000 })
        }
        other => panic!("{other:?}"),
    }
}

// ---------------------------------------------------------------------------------------------
// timeouts, cancellation, cleanup
// ---------------------------------------------------------------------------------------------

/// A CLI that hangs with stdout open: the idle timeout ends it with a `Timeout` error, the
/// child is reaped and the private folder removed.
pub fn idle_timeout_hang<R: Runtime>(s: &Suite) {
    let scratch = Scratch::new();
    let cfg = AmpCfg {
        idle_timeout: Some(Duration::from_secs(1)),
        kill_grace: Some(Duration::from_secs(2)),
        ..cfg_in(s, &scratch)
    };
    let c = R::execute(
        &cfg,
        directive(StubScenario::Hang, "wait"),
        with_private_dir(&scratch),
    );
    assert_tags::<R>("idle timeout", &c.items, &["system/init", "timeout:idle"]);
    assert_eq!(
        c.items[1].as_ref().unwrap_err(),
        &AgentError::Timeout {
            kind: TimeoutKind::Idle,
            after: Duration::from_secs(1)
        }
    );
    assert!(
        c.elapsed >= Duration::from_secs(1) && c.elapsed < Duration::from_secs(8),
        "[{}] elapsed {:?}",
        R::NAME,
        c.elapsed
    );
    let rec = record_of::<R>(&scratch);
    let dir = private_dir_of::<R>(&rec);
    assert_reaped::<R>(&rec);
    assert_eventually_gone::<R>(&rec, Some(&dir));
    assert_no_leftovers::<R>(&scratch, true);
}

/// The overall timeout ends a run that keeps printing.
pub fn overall_timeout<R: Runtime>(s: &Suite) {
    let scratch = Scratch::new();
    let cfg = AmpCfg {
        overall_timeout: Some(Duration::from_millis(1500)),
        kill_grace: Some(Duration::from_secs(2)),
        ..cfg_in(s, &scratch)
    };
    let c = R::execute(
        &cfg,
        directive(
            StubScenario::Multi
                .param("turns", 200)
                .param("delay_ms", 50),
            "tick",
        ),
        with_private_dir(&scratch),
    );
    let (last, before) = c.items.split_last().expect("items");
    assert_eq!(
        last.as_ref().err(),
        Some(&AgentError::Timeout {
            kind: TimeoutKind::Overall,
            after: Duration::from_millis(1500)
        }),
        "[{}] last item",
        R::NAME
    );
    assert!(before.iter().all(Result::is_ok), "[{}] {before:?}", R::NAME);
    assert!(before.len() >= 2 && results(before).is_empty());
    assert!(
        c.elapsed >= Duration::from_millis(1500) && c.elapsed < Duration::from_secs(8),
        "[{}] elapsed {:?}",
        R::NAME,
        c.elapsed
    );
    let rec = record_of::<R>(&scratch);
    let dir = private_dir_of::<R>(&rec);
    assert_reaped::<R>(&rec);
    assert_eventually_gone::<R>(&rec, Some(&dir));
    assert_no_leftovers::<R>(&scratch, true);
}

/// A CLI that ignores SIGTERM is killed with SIGKILL after the (short) grace.
pub fn ignore_sigterm_kill_after_grace<R: Runtime>(s: &Suite) {
    let scratch = Scratch::new();
    let cfg = AmpCfg {
        idle_timeout: Some(Duration::from_millis(500)),
        kill_grace: Some(Duration::from_secs(1)),
        ..s.cfg()
    };
    let c = R::execute(
        &cfg,
        directive(StubScenario::IgnoreSigterm, "stubborn"),
        scratch.recorded(AmpOptions::new()),
    );
    assert_tags::<R>("ignore sigterm", &c.items, &["system/init", "timeout:idle"]);
    // idle 0.5 s + grace 1 s; the default grace (5 s) would take over 5.5 s.
    assert!(
        c.elapsed >= Duration::from_millis(1500) && c.elapsed < Duration::from_millis(5000),
        "[{}] elapsed {:?}",
        R::NAME,
        c.elapsed
    );
    assert_reaped::<R>(&record_of::<R>(&scratch));
}

/// Dropping the execution after its first message terminates the child and removes the
/// private folder.
pub fn drop_after_first_message<R: Runtime>(s: &Suite) {
    let scratch = Scratch::new();
    let mut seen: Option<(Record, PathBuf)> = None;
    let items = R::execute_then_drop(
        &cfg_in(s, &scratch),
        directive(StubScenario::Hang, "drop me"),
        with_private_dir(&scratch),
        1,
        &mut |_items| {
            let rec = record_of::<R>(&scratch);
            let dir = private_dir_of::<R>(&rec);
            assert!(
                process_exists(rec.pid()),
                "[{}] child alive before drop",
                R::NAME
            );
            assert!(
                dir.is_dir(),
                "[{}] private folder exists before drop",
                R::NAME
            );
            seen = Some((rec, dir));
        },
    );
    assert_tags::<R>("drop", &items, &["system/init"]);
    let (rec, dir) = seen.expect("inspected while alive");
    assert_eventually_gone::<R>(&rec, Some(&dir));
    assert_no_leftovers::<R>(&scratch, true);
}

/// Dropping an execution whose CLI ignores SIGTERM: SIGKILL after the grace, then gone.
pub fn drop_ignoring_sigterm<R: Runtime>(s: &Suite) {
    let scratch = Scratch::new();
    let cfg = AmpCfg {
        kill_grace: Some(Duration::from_secs(1)),
        ..cfg_in(s, &scratch)
    };
    let mut seen: Option<(Record, PathBuf)> = None;
    R::execute_then_drop(
        &cfg,
        directive(StubScenario::IgnoreSigterm, "drop me"),
        with_private_dir(&scratch),
        1,
        &mut |_| {
            let rec = record_of::<R>(&scratch);
            let dir = private_dir_of::<R>(&rec);
            seen = Some((rec, dir));
        },
    );
    let (rec, dir) = seen.expect("inspected while alive");
    assert_eventually_gone::<R>(&rec, Some(&dir));
    assert_no_leftovers::<R>(&scratch, true);
}

/// The default grace between SIGTERM and SIGKILL is 5 s: a dropped CLI that ignores SIGTERM
/// lives on for about that long, then is killed.
pub fn default_kill_grace_5s<R: Runtime>(s: &Suite) {
    let scratch = Scratch::new();
    let cfg = AmpCfg {
        kill_grace: None,
        ..s.cfg()
    };
    let mut pid = None;
    R::execute_then_drop(
        &cfg,
        directive(StubScenario::IgnoreSigterm, "stubborn"),
        scratch.recorded(AmpOptions::new()),
        1,
        &mut |_| pid = Some(record_of::<R>(&scratch).pid()),
    );
    let dropped = std::time::Instant::now();
    let pid = pid.expect("inspected while alive");
    assert!(
        eventually(Duration::from_secs(15), || !process_exists(pid)),
        "[{}] child {pid} still alive 15 s after the drop",
        R::NAME
    );
    let lived = dropped.elapsed();
    assert!(
        lived >= Duration::from_millis(4500),
        "[{}] killed {lived:?} after the drop, before the 5 s grace",
        R::NAME
    );
}

/// `cancel()` returns only once the child is reaped and the private folder removed.
pub fn cancel_reaps_and_cleans<R: Runtime>(s: &Suite) {
    let scratch = Scratch::new();
    let mut seen: Option<(Record, PathBuf)> = None;
    let items = R::execute_then_cancel(
        &cfg_in(s, &scratch),
        directive(StubScenario::Hang, "cancel me"),
        with_private_dir(&scratch),
        1,
        &mut |_| {
            let rec = record_of::<R>(&scratch);
            let dir = private_dir_of::<R>(&rec);
            seen = Some((rec, dir));
        },
    );
    assert_tags::<R>("cancel", &items, &["system/init"]);
    let (rec, dir) = seen.expect("inspected while alive");
    assert!(
        !process_exists(rec.pid()),
        "[{}] child {} not reaped when cancel() returned",
        R::NAME,
        rec.pid()
    );
    assert!(
        !dir.exists(),
        "[{}] private folder not removed when cancel() returned",
        R::NAME
    );
    assert_no_leftovers::<R>(&scratch, false);
}

// ---------------------------------------------------------------------------------------------
// invocation: environment, secrets, argv, validation, finding the CLI
// ---------------------------------------------------------------------------------------------

/// The user's `env` wins over the inherited environment, `AMP_SDK_VERSION` is set, and
/// `toolbox` sets `AMP_TOOLBOX`; other variables are inherited.
pub fn env_user_wins_and_sdk_version<R: Runtime>(s: &Suite) {
    let _env = env_lock();
    let scratch = Scratch::new();
    if std::env::var_os("AMP_SDK_VERSION").is_some() {
        panic!("AMP_SDK_VERSION is set in the test environment; unset it to run the suite");
    }
    let home = scratch.path().join("home-from-options");
    let toolbox = scratch.path().join("toolbox");
    let options = scratch.recorded(
        AmpOptions::new()
            .env("HOME", home.to_string_lossy())
            .env("AMPERE_SUITE_VAR", "from options")
            .toolbox(&toolbox),
    );
    let c = R::execute(&s.cfg(), directive(StubScenario::EchoEnv, "env"), options);
    assert_tags::<R>(
        "env",
        &c.items,
        &["system/init", "user", "assistant", "result"],
    );
    let rec = record_of::<R>(&scratch);
    assert_eq!(
        rec.env("HOME").as_deref(),
        home.to_str(),
        "[{}] user env wins",
        R::NAME
    );
    assert_eq!(rec.env("AMPERE_SUITE_VAR").as_deref(), Some("from options"));
    assert_eq!(
        rec.env("AMP_SDK_VERSION").as_deref(),
        Some(ampere_core::plan::SDK_VERSION),
        "[{}] AMP_SDK_VERSION",
        R::NAME
    );
    assert_eq!(rec.env("AMP_TOOLBOX").as_deref(), toolbox.to_str());
    let path = std::env::var("PATH").ok();
    assert_eq!(rec.env("PATH"), path, "[{}] PATH inherited", R::NAME);
    // The echo-env report tells the same story as the record.
    let report: Value = serde_json::from_str(&results(&c.items)[0].result).expect("report");
    assert_eq!(report["env"]["AMP_TOOLBOX"].as_str(), toolbox.to_str());
}

/// An `AMP_SDK_VERSION` given in `env` is kept.
pub fn env_sdk_version_user_given<R: Runtime>(s: &Suite) {
    let scratch = Scratch::new();
    let options = scratch.recorded(AmpOptions::new().env("AMP_SDK_VERSION", "my-app/9.9"));
    let c = R::execute(&s.cfg(), "hi".into(), options);
    assert_tags::<R>(
        "env",
        &c.items,
        &["system/init", "user", "assistant", "result"],
    );
    assert_eq!(
        record_of::<R>(&scratch).env("AMP_SDK_VERSION").as_deref(),
        Some("my-app/9.9")
    );
}

/// Secrets (inline MCP env values, the system prompt, permission rules) never appear on the
/// command line (`/proc/<pid>/cmdline`) and live only in 0600 files in a 0700 folder, which
/// is removed afterwards.
pub fn secrets_not_on_command_line<R: Runtime>(s: &Suite) {
    use std::os::unix::fs::PermissionsExt;
    let scratch = Scratch::new();
    let sys = "sys-secret-7f3a9c";
    let mcp = "mcp-secret-91bc2d";
    let perm = "perm-secret-c0de42";
    let rule = create_permission(
        "Bash",
        PermissionAction::Reject,
        PermissionOptions {
            message: Some(format!("denied: {perm}")),
            ..PermissionOptions::default()
        },
    )
    .expect("valid rule");
    let options = scratch.recorded(
        AmpOptions::new()
            .system_prompt(format!("You are careful. {sys}"))
            .mcp_config(
                McpConfig::new()
                    .server("db", McpServer::stdio("db-server").env("DB_PASSWORD", mcp)),
            )
            .permissions([rule]),
    );
    let mut seen: Option<(Record, PathBuf)> = None;
    R::execute_then_drop(
        &cfg_in(s, &scratch),
        directive(StubScenario::Hang, "keep it secret"),
        options,
        1,
        &mut |_| {
            let rec = record_of::<R>(&scratch);
            let pid = rec.pid();
            let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).expect("read cmdline");
            let cmdline = String::from_utf8_lossy(&cmdline).into_owned();
            for secret in [sys, mcp, perm] {
                assert!(
                    !cmdline.contains(secret),
                    "[{}] secret {secret} on the command line: {cmdline:?}",
                    R::NAME
                );
            }
            let dir = private_dir_of::<R>(&rec);
            let dir_mode = std::fs::metadata(&dir).expect("dir").permissions().mode() & 0o7777;
            assert_eq!(dir_mode, 0o700, "[{}] private folder mode", R::NAME);
            let mut found = String::new();
            for entry in std::fs::read_dir(&dir).expect("list private folder") {
                let path = entry.expect("entry").path();
                let mode = std::fs::metadata(&path).expect("file").permissions().mode() & 0o7777;
                assert_eq!(mode, 0o600, "[{}] mode of {}", R::NAME, path.display());
                found.push_str(&std::fs::read_to_string(&path).expect("read private file"));
            }
            for secret in [sys, mcp, perm] {
                assert!(
                    found.contains(secret),
                    "[{}] {secret} not in the private files",
                    R::NAME
                );
            }
            let args = rec.args();
            let settings = rec.str("settings_file").expect("settings file");
            let mcp_path = rec.str("mcp_config").expect("mcp config");
            assert!(args
                .windows(2)
                .any(|w| w[0] == "--settings-file" && w[1] == settings));
            assert!(args
                .windows(2)
                .any(|w| w[0] == "--mcp-config" && w[1] == mcp_path));
            assert_eq!(PathBuf::from(&mcp_path).parent(), Some(dir.as_path()));
            assert_eq!(rec.str("settings_mode").as_deref(), Some("600"));
            assert_eq!(rec.str("mcp_config_mode").as_deref(), Some("600"));
            let settings_json: Value =
                serde_json::from_str(&rec.str("settings").expect("settings text")).expect("JSON");
            assert_eq!(
                settings_json["amp.systemPrompt"],
                format!("You are careful. {sys}")
            );
            assert_eq!(settings_json["amp.dangerouslyAllowAll"], json!(false));
            assert_eq!(
                settings_json["amp.permissions"],
                json!([{"tool": "Bash", "action": "reject", "message": format!("denied: {perm}")}])
            );
            seen = Some((rec, dir));
        },
    );
    let (rec, dir) = seen.expect("inspected while alive");
    assert_eventually_gone::<R>(&rec, Some(&dir));
    assert_no_leftovers::<R>(&scratch, true);
}

/// Options become argv in the contract's order: continue by id first, visibility `public`
/// sent as `unlisted`, mode, labels.
pub fn argv_options<R: Runtime>(s: &Suite) {
    let scratch = Scratch::new();
    let thread = stub::new_thread_id();
    let options = scratch.recorded(
        AmpOptions::new()
            .labels(["alpha", "b-2"])
            .visibility(Visibility::Public)
            .mode(Mode::RUSH)
            .continue_thread(ContinueThread::Id(thread.clone())),
    );
    let c = R::execute(&s.cfg(), "continue please".into(), options);
    assert_tags::<R>(
        "argv",
        &c.items,
        &["system/init", "user", "assistant", "result"],
    );
    assert_eq!(
        record_of::<R>(&scratch).args(),
        [
            "threads",
            "continue",
            thread.as_str(),
            "--execute",
            "--stream-json",
            "--visibility",
            "unlisted",
            "--mode",
            "rush",
            "--label",
            "alpha",
            "--label",
            "b-2",
        ],
        "[{}] argv",
        R::NAME
    );
    assert_eq!(assert_one_session::<R>(&c.items), thread);
}

/// Continue the latest thread (`threads continue` without id); a title and
/// `no_archive_after_execute` on a new thread.
pub fn argv_continue_latest_and_title<R: Runtime>(s: &Suite) {
    let scratch = Scratch::new();
    let c = R::execute(
        &s.cfg(),
        "latest".into(),
        scratch.recorded(AmpOptions::new().continue_thread(ContinueThread::Latest)),
    );
    assert_tags::<R>(
        "latest",
        &c.items,
        &["system/init", "user", "assistant", "result"],
    );
    assert_eq!(
        record_of::<R>(&scratch).args(),
        ["threads", "continue", "--execute", "--stream-json"]
    );

    let scratch = Scratch::new();
    let c = R::execute(
        &s.cfg(),
        "titled".into(),
        scratch.recorded(
            AmpOptions::new()
                .title("My  title")
                .no_archive_after_execute(true),
        ),
    );
    assert_tags::<R>(
        "title",
        &c.items,
        &["system/init", "user", "assistant", "result"],
    );
    assert_eq!(
        record_of::<R>(&scratch).args(),
        [
            "--execute",
            "--stream-json",
            "--no-archive-after-execute",
            "--title",
            "My  title"
        ]
    );
}

fn assert_validation<R: Runtime>(what: &str, item: &Item, field: &str) {
    match item {
        Err(AgentError::Validation(v)) => assert_eq!(v.field, field, "[{}] {what}", R::NAME),
        other => panic!(
            "[{}] {what}: expected a validation error, got {other:?}",
            R::NAME
        ),
    }
}

/// A bad label is rejected before anything is spawned, naming the field.
pub fn validation_bad_label<R: Runtime>(s: &Suite) {
    let scratch = Scratch::new();
    let options = scratch.recorded(AmpOptions::new().labels(["good", "bad label"]));
    let c = R::execute(&s.cfg(), "x".into(), options.clone());
    assert_eq!(c.items.len(), 1, "[{}] {:?}", R::NAME, c.items);
    assert_validation::<R>("execute", &c.items[0], "labels[1]");
    assert_validation::<R>(
        "run",
        &R::run(&s.cfg(), "x".into(), options).map(|_| unreachable!()),
        "labels[1]",
    );
    assert!(
        scratch.record().is_none(),
        "[{}] something was spawned",
        R::NAME
    );
}

/// A title together with continue is rejected before anything is spawned.
pub fn validation_title_with_continue<R: Runtime>(s: &Suite) {
    let scratch = Scratch::new();
    let options = scratch.recorded(
        AmpOptions::new()
            .title("A title")
            .continue_thread(ContinueThread::Latest),
    );
    let c = R::execute(&s.cfg(), "x".into(), options);
    assert_eq!(c.items.len(), 1, "[{}] {:?}", R::NAME, c.items);
    assert_validation::<R>("execute", &c.items[0], "title");
    assert!(
        scratch.record().is_none(),
        "[{}] something was spawned",
        R::NAME
    );
}

/// A configured CLI path that does not exist: `CliNotFound` naming it, from every entry
/// point.
pub fn cli_not_found_explicit<R: Runtime>(s: &Suite) {
    let scratch = Scratch::new();
    let missing = scratch.path().join("no-such-amp");
    let cfg = AmpCfg {
        cli_path: Some(missing.clone()),
        ..s.cfg()
    };
    let check = |what: &str, err: &AgentError| match err {
        AgentError::CliNotFound { message, searched } => {
            assert_eq!(searched, &vec![missing.clone()], "[{}] {what}", R::NAME);
            assert!(
                message.contains(&missing.display().to_string()),
                "{message}"
            );
        }
        other => panic!("[{}] {what}: expected CliNotFound, got {other:?}", R::NAME),
    };
    let c = R::execute(&cfg, "x".into(), AmpOptions::new());
    assert_eq!(c.items.len(), 1, "[{}] {:?}", R::NAME, c.items);
    check("execute", c.items[0].as_ref().unwrap_err());
    check(
        "run",
        &R::run(&cfg, "x".into(), AmpOptions::new()).unwrap_err(),
    );
    check("thread_new", &R::thread_new(&cfg, None).unwrap_err());
}

/// No CLI anywhere (empty `HOME` and `PATH`, no `AMP_CLI_PATH`): `CliNotFound` whose message
/// says how to install it.
pub fn cli_not_found_search<R: Runtime>(s: &Suite) {
    let scratch = Scratch::new();
    let home = scratch.path().join("home");
    let bin = scratch.path().join("bin");
    std::fs::create_dir_all(&home).expect("mkdir");
    std::fs::create_dir_all(&bin).expect("mkdir");
    let cfg = AmpCfg {
        cli_path: None,
        ..s.cfg()
    };
    let c = {
        let _env = env_lock();
        let _patch = EnvPatch::apply(&[
            ("HOME", Some(home.as_os_str())),
            ("PATH", Some(bin.as_os_str())),
            ("AMP_CLI_PATH", None),
            ("AMP_HOME", None),
            ("XDG_CONFIG_HOME", None),
        ]);
        R::execute(&cfg, "x".into(), AmpOptions::new().cwd(scratch.path()))
    };
    assert_eq!(c.items.len(), 1, "[{}] {:?}", R::NAME, c.items);
    match &c.items[0] {
        Err(AgentError::CliNotFound { message, searched }) => {
            assert!(message.contains("npm install -g @ampcode/cli"), "{message}");
            assert!(message.contains("AMP_CLI_PATH"), "{message}");
            assert!(!searched.is_empty());
            assert!(
                searched.iter().any(|p| p.starts_with(&home)),
                "{searched:?}"
            );
        }
        other => panic!("[{}] expected CliNotFound, got {other:?}", R::NAME),
    }
}

// ---------------------------------------------------------------------------------------------
// thread commands
// ---------------------------------------------------------------------------------------------

/// `threads new` gives a fresh thread id.
pub fn thread_new<R: Runtime>(s: &Suite) {
    // `thread_command_fails` sets AMP_STUB_THREADS_FAIL for the whole process meanwhile.
    let _env = env_lock();
    let id = R::thread_new(&s.cfg(), None).unwrap_or_else(|e| panic!("[{}] {e:?}", R::NAME));
    assert!(stub::args::is_thread_id(&id), "[{}] {id:?}", R::NAME);
    let other = R::thread_new(&s.cfg(), Some(Visibility::Private)).expect("private");
    assert!(stub::args::is_thread_id(&other));
    assert_ne!(id, other);
}

/// `Visibility::Public` is sent as `unlisted` (the stub rejects `public` like the server).
pub fn thread_new_public_is_unlisted<R: Runtime>(s: &Suite) {
    // `thread_command_fails` sets AMP_STUB_THREADS_FAIL for the whole process meanwhile.
    let _env = env_lock();
    let id = R::thread_new(&s.cfg(), Some(Visibility::Public))
        .unwrap_or_else(|e| panic!("[{}] public must go out as unlisted: {e:?}", R::NAME));
    assert!(stub::args::is_thread_id(&id));
}

/// `threads markdown ID` gives the Markdown, trimmed.
pub fn thread_markdown<R: Runtime>(s: &Suite) {
    // `thread_command_fails` sets AMP_STUB_THREADS_FAIL for the whole process meanwhile.
    let _env = env_lock();
    let id = stub::new_thread_id();
    let md = R::thread_markdown(&s.cfg(), &id).unwrap_or_else(|e| panic!("[{}] {e:?}", R::NAME));
    assert_eq!(
        md,
        format!("# Thread {id}\n\n## User\n\nwhat is 2+2?\n\n## Assistant\n\n2 + 2 equals 4.")
    );
}

/// A thread command that fails: a process error with the exit code and the CLI's stderr.
pub fn thread_markdown_invalid_id<R: Runtime>(s: &Suite) {
    // `thread_command_fails` sets AMP_STUB_THREADS_FAIL for the whole process meanwhile.
    let _env = env_lock();
    match R::thread_markdown(&s.cfg(), "not-a-thread") {
        Err(AgentError::Process {
            exit_code,
            signal,
            stderr,
        }) => {
            assert_eq!(exit_code, Some(1));
            assert_eq!(signal, None);
            assert!(
                stderr.starts_with("Error: Invalid thread URL or ID: not-a-thread\n"),
                "[{}] {stderr:?}",
                R::NAME
            );
        }
        other => panic!("[{}] expected a process error, got {other:?}", R::NAME),
    }
}

/// `threads share multiplayer on|off|ttl`: the CLI's confirmation line.
pub fn thread_multiplayer<R: Runtime>(s: &Suite) {
    // `thread_command_fails` sets AMP_STUB_THREADS_FAIL for the whole process meanwhile.
    let _env = env_lock();
    let id = stub::new_thread_id();
    let cfg = s.cfg();
    let mp = |setting| {
        R::thread_multiplayer(&cfg, &id, setting)
            .unwrap_or_else(|e| panic!("[{}] {setting:?}: {e:?}", R::NAME))
    };
    assert_eq!(
        mp(MultiplayerSetting::On),
        format!("Multiplayer turned on for {id} for 1 week.")
    );
    assert_eq!(
        mp(MultiplayerSetting::Off),
        format!("Multiplayer turned off for {id}.")
    );
    assert_eq!(
        mp(MultiplayerSetting::Ttl(TtlDuration::hours(2))),
        format!("Multiplayer turned on for {id} for 120 minutes.")
    );
    assert_eq!(
        mp(MultiplayerSetting::Ttl(TtlDuration {
            days: 1,
            hours: 1,
            ..TtlDuration::default()
        })),
        format!("Multiplayer turned on for {id} for 1500 minutes.")
    );
}

/// A ttl outside 5 minutes .. 7 days is rejected before anything is spawned.
pub fn thread_multiplayer_invalid_ttl<R: Runtime>(s: &Suite) {
    let id = stub::new_thread_id();
    for ttl in [
        TtlDuration::minutes(4),
        TtlDuration::weeks(2),
        TtlDuration::default(),
    ] {
        match R::thread_multiplayer(&s.cfg(), &id, MultiplayerSetting::Ttl(ttl)) {
            Err(AgentError::Validation(v)) => assert_eq!(v.field, "ttl"),
            other => panic!(
                "[{}] ttl {ttl:?}: expected a validation error, got {other:?}",
                R::NAME
            ),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// more runs: free function, concurrency, edge cases of input and output
// ---------------------------------------------------------------------------------------------

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

/// The working folder option: the CLI runs there (and says so in its init message).
pub fn cwd_option<R: Runtime>(s: &Suite) {
    let scratch = Scratch::new();
    let work = scratch.path().join("work dir");
    std::fs::create_dir_all(&work).expect("mkdir");
    let work = work.canonicalize().expect("canonical");
    let c = R::execute(
        &s.cfg(),
        "where am I".into(),
        scratch.recorded(AmpOptions::new().cwd(&work)),
    );
    assert_tags::<R>(
        "cwd",
        &c.items,
        &["system/init", "user", "assistant", "result"],
    );
    let Ok(Message::System(init)) = &c.items[0] else {
        unreachable!()
    };
    assert_eq!(Some(init.cwd.as_str()), work.to_str());
    assert_eq!(
        record_of::<R>(&scratch).str("cwd").as_deref(),
        work.to_str()
    );
}

/// The user's settings file is the base of the generated one; an invalid one is a `Plan`
/// error before anything is spawned.
pub fn settings_file_base<R: Runtime>(s: &Suite) {
    let scratch = Scratch::new();
    let base = scratch.path().join("user-settings.json");
    std::fs::write(
        &base,
        r#"{"custom.key": 1, "amp.notifications.enabled": false}"#,
    )
    .expect("write settings");
    let options = scratch.recorded(
        AmpOptions::new()
            .settings_file(&base)
            .enabled_tools(["Read*", "Grep"]),
    );
    let c = R::execute(&s.cfg(), "settings".into(), options);
    assert_tags::<R>(
        "settings",
        &c.items,
        &["system/init", "user", "assistant", "result"],
    );
    let rec = record_of::<R>(&scratch);
    let generated: Value =
        serde_json::from_str(&rec.str("settings").expect("settings text")).expect("JSON");
    assert_eq!(generated["custom.key"], json!(1));
    assert_eq!(generated["amp.notifications.enabled"], json!(false));
    assert_eq!(generated["amp.tools.enable"], json!(["Read*", "Grep"]));
    assert_ne!(rec.str("settings_file").as_deref(), base.to_str());
    assert_eq!(
        std::fs::read_to_string(&base).expect("read"),
        r#"{"custom.key": 1, "amp.notifications.enabled": false}"#,
        "[{}] the user's file is left alone",
        R::NAME
    );

    let scratch = Scratch::new();
    let bad = scratch.path().join("bad.json");
    std::fs::write(&bad, "[1, 2").expect("write");
    let options = scratch.recorded(AmpOptions::new().settings_file(&bad).system_prompt("x"));
    let c = R::execute(&s.cfg(), "x".into(), options);
    assert_eq!(c.items.len(), 1, "[{}] {:?}", R::NAME, c.items);
    match &c.items[0] {
        Err(AgentError::Plan(message)) => {
            assert!(message.contains("bad.json"), "[{}] {message}", R::NAME)
        }
        other => panic!("[{}] expected a Plan error, got {other:?}", R::NAME),
    }
    assert!(
        scratch.record().is_none(),
        "[{}] something was spawned",
        R::NAME
    );
}

/// An MCP configuration given as a path is passed as is (no private file).
pub fn mcp_config_path<R: Runtime>(s: &Suite) {
    let scratch = Scratch::new();
    let path = scratch.path().join("mcp.json");
    std::fs::write(&path, r#"{"files": {"command": "mcp-files"}}"#).expect("write");
    let c = R::execute(
        &s.cfg(),
        "mcp".into(),
        scratch.recorded(AmpOptions::new().mcp_config(path.to_string_lossy().into_owned())),
    );
    assert_tags::<R>(
        "mcp path",
        &c.items,
        &["system/init", "user", "assistant", "result"],
    );
    let Ok(Message::System(init)) = &c.items[0] else {
        unreachable!()
    };
    let names: Vec<&str> = init.mcp_servers.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(names, ["files"]);
    assert_eq!(
        record_of::<R>(&scratch).args(),
        [
            "--execute",
            "--stream-json",
            "--mcp-config",
            path.to_str().expect("utf-8")
        ]
    );
}

/// A thread command the CLI fails (offline): the process error carries its stderr.
pub fn thread_command_fails<R: Runtime>(s: &Suite) {
    let got = {
        let _env = env_lock();
        let _patch = EnvPatch::apply(&[("AMP_STUB_THREADS_FAIL", Some("1".as_ref()))]);
        R::thread_new(&s.cfg(), None)
    };
    assert_eq!(
        got,
        Err(AgentError::Process {
            exit_code: Some(1),
            signal: None,
            stderr: "Error: Cannot reach Amp servers. Are you offline?\n".into()
        }),
        "[{}]",
        R::NAME
    );
}

// ---------------------------------------------------------------------------------------------
// the process group
// ---------------------------------------------------------------------------------------------

/// A CLI wrapper script that starts a grandchild (`sleep`, holding stdout open, its pid
/// written to `grandchild.pid`) and then becomes the stub.
fn wrapper_with_grandchild(s: &Suite, scratch: &Scratch, sleep_secs: u32) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let script = scratch.path().join("amp-wrapper");
    let pid_file = scratch.path().join("grandchild.pid");
    // An absolute `sleep`: another scenario may have PATH pointed at an empty folder.
    let sleep = ["/bin/sleep", "/usr/bin/sleep"]
        .into_iter()
        .find(|p| std::path::Path::new(p).exists())
        .expect("a sleep binary");
    let text = format!(
        "#!/bin/sh\n{sleep} {sleep_secs} &\necho $! > '{}'\nexec '{}' \"$@\"\n",
        pid_file.display(),
        s.stub.display()
    );
    std::fs::write(&script, text).expect("write the wrapper");
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    script
}

fn grandchild_pid(scratch: &Scratch) -> Option<u32> {
    std::fs::read_to_string(scratch.path().join("grandchild.pid"))
        .ok()
        .and_then(|t| t.trim().parse().ok())
}

/// Runs `f`, once more if the spawn failed with ETXTBSY (a script written by this
/// multi-threaded process can be briefly held open by another thread's fork).
fn retry_text_busy(mut f: impl FnMut() -> Vec<Item>) -> Vec<Item> {
    let items = f();
    // `ErrorKind::ExecutableFileBusy` is newer than the MSRV: compare by name.
    let busy = matches!(
        items.first(),
        Some(Err(AgentError::Io { kind, .. })) if format!("{kind:?}") == "ExecutableFileBusy"
    );
    if busy {
        std::thread::sleep(Duration::from_millis(100));
        return f();
    }
    items
}

/// Dropping the execution signals the whole process group: a grandchild of the CLI is
/// terminated too.
pub fn drop_kills_process_group<R: Runtime>(s: &Suite) {
    let scratch = Scratch::new();
    let cfg = AmpCfg {
        cli_path: Some(wrapper_with_grandchild(s, &scratch, 60)),
        kill_grace: Some(Duration::from_secs(1)),
        ..s.cfg()
    };
    let mut seen: Option<(Record, u32)> = None;
    let items = retry_text_busy(|| {
        R::execute_then_drop(
            &cfg,
            directive(StubScenario::Hang, "family"),
            scratch.recorded(AmpOptions::new()),
            1,
            &mut |_| {
                let rec = record_of::<R>(&scratch);
                let grandchild = grandchild_pid(&scratch).expect("grandchild pid written");
                assert!(process_exists(grandchild));
                seen = Some((rec, grandchild));
            },
        )
    });
    assert_tags::<R>("group", &items, &["system/init"]);
    let (rec, grandchild) = seen.expect("inspected while alive");
    assert_eventually_gone::<R>(&rec, None);
    let gone = eventually(EVENTUALLY, || !process_exists(grandchild));
    if !gone {
        // SAFETY: kill(2) has no memory-safety preconditions; this only cleans up.
        unsafe {
            libc::kill(grandchild as i32, libc::SIGKILL);
        }
    }
    assert!(
        gone,
        "[{}] grandchild {grandchild} survived the drop (only the child was signalled?)",
        R::NAME
    );
}

/// The CLI exits but a grandchild keeps stdout open: the run still ends shortly after the
/// exit (the exit drain grace), with every message and no error.
pub fn exit_with_grandchild_holding_stdout<R: Runtime>(s: &Suite) {
    let scratch = Scratch::new();
    let cfg = AmpCfg {
        cli_path: Some(wrapper_with_grandchild(s, &scratch, 30)),
        ..s.cfg()
    };
    let mut elapsed = Duration::ZERO;
    let items = retry_text_busy(|| {
        let c = R::execute(
            &cfg,
            "orphaned pipe".into(),
            scratch.recorded(AmpOptions::new()),
        );
        elapsed = c.elapsed;
        c.items
    });
    if let Some(pid) = grandchild_pid(&scratch) {
        // SAFETY: kill(2) has no memory-safety preconditions; this only cleans up.
        unsafe {
            libc::kill(pid as i32, libc::SIGKILL);
        }
    }
    assert_tags::<R>(
        "grandchild holds stdout",
        &items,
        &["system/init", "user", "assistant", "result"],
    );
    assert!(
        elapsed < Duration::from_secs(15),
        "[{}] the run waited {elapsed:?} for a stdout held open by a grandchild",
        R::NAME
    );
    assert_reaped::<R>(&record_of::<R>(&scratch));
}

// ---------------------------------------------------------------------------------------------
// nothing left behind
// ---------------------------------------------------------------------------------------------

/// Dropping the execution before reading anything: whatever was started is stopped and
/// nothing is left in the temp folder.
pub fn drop_before_reading<R: Runtime>(s: &Suite) {
    let scratch = Scratch::new();
    let items = R::execute_then_drop(
        &cfg_in(s, &scratch),
        directive(StubScenario::Hang, "never read"),
        with_private_dir(&scratch),
        0,
        &mut |_| {},
    );
    assert!(items.is_empty());
    // If the child was spawned at all, it goes away.
    if let Some(rec) = scratch.record() {
        assert_eventually_gone::<R>(&rec, None);
    }
    assert_no_leftovers::<R>(&scratch, true);
}

/// The private files are removed when the execution fails before or at the spawn: CLI not
/// found (after the files were written), a bad base settings file, a validation error.
pub fn no_leftovers_on_early_errors<R: Runtime>(s: &Suite) {
    let scratch = Scratch::new();
    let secretive = || {
        AmpOptions::new()
            .system_prompt("secret system prompt")
            .mcp_config(McpConfig::new().server("db", McpServer::stdio("db").env("K", "v")))
    };
    let missing = AmpCfg {
        cli_path: Some(scratch.path().join("no-such-amp")),
        ..cfg_in(s, &scratch)
    };
    let c = R::execute(&missing, "x".into(), secretive());
    assert_eq!(tags(&c.items), ["cli_not_found"], "[{}]", R::NAME);
    assert_no_leftovers::<R>(&scratch, false);

    let bad = scratch.path().join("bad-settings.json");
    std::fs::write(&bad, "not json").expect("write");
    let c = R::execute(
        &cfg_in(s, &scratch),
        "x".into(),
        secretive().settings_file(&bad),
    );
    assert_eq!(tags(&c.items), ["plan"], "[{}]", R::NAME);
    assert_no_leftovers::<R>(&scratch, false);

    let c = R::execute(
        &cfg_in(s, &scratch),
        "x".into(),
        secretive().labels(["-bad"]),
    );
    assert_eq!(tags(&c.items), ["validation:labels[0]"], "[{}]", R::NAME);
    assert_no_leftovers::<R>(&scratch, false);

    assert_eq!(
        R::run(&missing, "x".into(), secretive())
            .err()
            .map(|e| tag(&Err(e))),
        Some("cli_not_found".to_string())
    );
    assert_no_leftovers::<R>(&scratch, false);
}

// ---------------------------------------------------------------------------------------------
// a slow consumer
// ---------------------------------------------------------------------------------------------

/// A consumer that pauses longer than the idle timeout after the first message: the CLI
/// wrote everything at once and exited, so there is no timeout (the consumer's slowness is
/// not the CLI's silence).
pub fn slow_consumer_no_idle_timeout<R: Runtime>(s: &Suite) {
    let cfg = AmpCfg {
        idle_timeout: Some(Duration::from_secs(1)),
        ..s.cfg()
    };
    let c = R::execute_paused(
        &cfg,
        "patience".into(),
        AmpOptions::new(),
        1,
        Duration::from_secs(2),
    );
    assert_tags::<R>(
        "slow consumer, idle timeout",
        &c.items,
        &["system/init", "user", "assistant", "result"],
    );
}

/// A consumer that pauses past the overall timeout after the first message: the run had
/// ended well before the deadline, so there is no timeout.
pub fn slow_consumer_no_overall_timeout<R: Runtime>(s: &Suite) {
    let cfg = AmpCfg {
        overall_timeout: Some(Duration::from_secs(1)),
        ..s.cfg()
    };
    let c = R::execute_paused(
        &cfg,
        "patience".into(),
        AmpOptions::new(),
        1,
        Duration::from_secs(2),
    );
    assert_tags::<R>(
        "slow consumer, overall timeout",
        &c.items,
        &["system/init", "user", "assistant", "result"],
    );
}

/// A slow consumer of a large output (more than a pipe holds, so the CLI blocks writing
/// while nobody reads): pausing past the idle timeout is still not the CLI's silence.
pub fn slow_consumer_backpressure<R: Runtime>(s: &Suite) {
    let cfg = AmpCfg {
        idle_timeout: Some(Duration::from_secs(1)),
        ..s.cfg()
    };
    let c = R::execute_paused(
        &cfg,
        directive(StubScenario::Tools.param("count", 400), "lots of output"),
        AmpOptions::new(),
        1,
        Duration::from_secs(2),
    );
    let (last, _) = c.items.split_last().expect("items");
    assert!(
        c.items.iter().all(Result::is_ok),
        "[{}] a slow consumer got {:?}",
        R::NAME,
        last
    );
    assert_eq!(
        c.items.len(),
        2 + 2 * 400 + 2,
        "[{}] every message",
        R::NAME
    );
}

/// The stderr tail of a process error holds everything the CLI wrote before it exited
/// (stderr is read to its end before the run finishes), checked on a dozen crashes at once
/// to give a race a chance to show.
pub fn stderr_complete_at_exit<R: Runtime>(s: &Suite) {
    let runs = (0..12)
        .map(|i| {
            let spec = if i % 2 == 0 {
                StubScenario::Crash.param("after", 2).param("code", 4)
            } else {
                StubScenario::Crash
                    .param("after", 2)
                    .param("signal", "KILL")
            };
            (directive(spec, "go"), AmpOptions::new())
        })
        .collect();
    for (i, c) in R::execute_concurrently(&s.cfg(), runs).iter().enumerate() {
        assert_tags::<R>(
            &format!("crash {i}"),
            &c.items,
            &["system/init", "user", "process"],
        );
        let (_, _, stderr) = expect_process(&c.items[2]);
        assert_eq!(
            stderr,
            "amp-stub: simulated crash after 2 lines\n",
            "[{}] run {i}: stderr tail incomplete",
            R::NAME
        );
    }
}

// ---------------------------------------------------------------------------------------------
// run to completion: the errors
// ---------------------------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------------------------
// more argv
// ---------------------------------------------------------------------------------------------

/// More options in the contract's order: allow-all, keep unarchived, visibility, the
/// generated settings file, log level and file, title (unicode kept intact).
pub fn argv_more_options<R: Runtime>(s: &Suite) {
    let scratch = Scratch::new();
    let log = scratch.path().join("amp.log");
    let options = scratch.recorded(
        AmpOptions::new()
            .dangerously_allow_all(true)
            .archive(false)
            .visibility(Visibility::Workspace)
            .log_level(LogLevel::Debug)
            .log_file(&log)
            .title("Tëst 日本 title"),
    );
    let c = R::execute(&s.cfg(), "options".into(), options);
    assert_tags::<R>(
        "options",
        &c.items,
        &["system/init", "user", "assistant", "result"],
    );
    let rec = record_of::<R>(&scratch);
    let settings = rec.str("settings_file").expect("a generated settings file");
    assert_eq!(
        rec.args(),
        [
            "--execute",
            "--stream-json",
            "--dangerously-allow-all",
            "--no-archive-after-execute",
            "--visibility",
            "workspace",
            "--settings-file",
            settings.as_str(),
            "--log-level",
            "debug",
            "--log-file",
            log.to_str().expect("utf-8"),
            "--title",
            "Tëst 日本 title",
        ],
        "[{}] argv",
        R::NAME
    );
    let generated: Value =
        serde_json::from_str(&rec.str("settings").expect("settings")).expect("JSON");
    assert_eq!(generated["amp.dangerouslyAllowAll"], json!(true));
}

/// `effort` is passed as `--effort`, which the pinned CLI does not know: a clear process
/// error with the CLI's message.
pub fn effort_unknown_to_cli<R: Runtime>(s: &Suite) {
    let c = R::execute(&s.cfg(), "x".into(), AmpOptions::new().effort(Effort::High));
    assert_tags::<R>("effort", &c.items, &["process"]);
    let (code, _, stderr) = expect_process(&c.items[0]);
    assert_eq!(code, Some(1));
    assert!(
        stderr.contains("unknown option '--effort'"),
        "[{}] {stderr:?}",
        R::NAME
    );
}

// ---------------------------------------------------------------------------------------------
// cancel at the edges
// ---------------------------------------------------------------------------------------------

/// `cancel()` before anything was read: when it returns, whatever was started is gone and
/// nothing is left in the temp folder.
pub fn cancel_before_reading<R: Runtime>(s: &Suite) {
    let scratch = Scratch::new();
    let items = R::execute_then_cancel(
        &cfg_in(s, &scratch),
        directive(StubScenario::Hang, "never read"),
        with_private_dir(&scratch),
        0,
        &mut |_| {},
    );
    assert!(items.is_empty());
    if let Some(rec) = scratch.record() {
        assert!(
            !process_exists(rec.pid()),
            "[{}] child {} not reaped when cancel() returned",
            R::NAME,
            rec.pid()
        );
    }
    assert_no_leftovers::<R>(&scratch, false);
}

/// `cancel()` of an execution whose stream already ended is a quick no-op.
pub fn cancel_after_end<R: Runtime>(s: &Suite) {
    let scratch = Scratch::new();
    let started = std::time::Instant::now();
    let items = R::execute_then_cancel(
        &cfg_in(s, &scratch),
        "over already".into(),
        with_private_dir(&scratch),
        100,
        &mut |_| {},
    );
    assert_tags::<R>(
        "cancel after end",
        &items,
        &["system/init", "user", "assistant", "result"],
    );
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "[{}] cancel() of a finished execution took {:?}",
        R::NAME,
        started.elapsed()
    );
    assert_reaped::<R>(&record_of::<R>(&scratch));
    assert_no_leftovers::<R>(&scratch, false);
}

/// A CLI that hangs after its success result (here: the stub, then a `sleep` holding
/// stdout open): the idle timeout ends it, and that is not an error since the answer was
/// already delivered.
pub fn success_then_hang_is_ok<R: Runtime>(s: &Suite) {
    use std::os::unix::fs::PermissionsExt;
    let scratch = Scratch::new();
    let script = scratch.path().join("amp-then-hang");
    let sleep = ["/bin/sleep", "/usr/bin/sleep"]
        .into_iter()
        .find(|p| std::path::Path::new(p).exists())
        .expect("a sleep binary");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\n'{}' \"$@\"\nexec {sleep} 60\n",
            s.stub.display()
        ),
    )
    .expect("write the wrapper");
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let cfg = AmpCfg {
        cli_path: Some(script),
        idle_timeout: Some(Duration::from_secs(1)),
        kill_grace: Some(Duration::from_secs(2)),
        ..s.cfg()
    };
    let items = retry_text_busy(|| {
        R::execute(
            &cfg,
            "answer, then hang".into(),
            scratch.recorded(AmpOptions::new()),
        )
        .items
    });
    assert_tags::<R>(
        "success then hang",
        &items,
        &["system/init", "user", "assistant", "result"],
    );
    assert_eq!(
        R::run(&cfg, "answer, then hang".into(), AmpOptions::new())
            .map(|summary| summary.result)
            .map_err(|e| tag(&Err(e))),
        Ok("answer, then hang".to_string()),
        "[{}] run",
        R::NAME
    );
}
