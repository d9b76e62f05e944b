//! Issue 11: the permission handler and in-process tools, end to end under every runtime.
//!
//! The stub's `delegate` scenario runs the generated delegate scripts as the CLI does; its
//! `mcp-tools` scenario talks MCP to the generated relay. The 1,000-call scenario drives the
//! bridge directly (the delegate script's protocol, in this process) under the runtime's
//! handler, so that it measures the handler path rather than `fork`.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use ampere_core::callbacks::mcp_server::ToolResult;
use ampere_core::message::{ContentBlock, Message};
use ampere_core::options::AmpOptions;
use ampere_core::permission::{Permission, PermissionContext};
use ampere_runtime_common::Tool;
use serde_json::{json, Value};

use crate::stub::scenario::{Scenario, StubScenario};
use crate::suite::{
    eventually, process_exists, AmpCfg, Item, PromptSpec, Record, Reply, Runtime, Scratch, Suite,
    SuiteHandler, SuiteTools, EVENTUALLY,
};

fn cfg(s: &Suite, scratch: &Scratch, handler: Option<SuiteHandler>) -> AmpCfg {
    AmpCfg {
        temp_dir: Some(scratch.temp_root()),
        permission_handler: handler,
        ..s.cfg()
    }
}

fn prompt(scenario: Scenario) -> PromptSpec {
    PromptSpec::Text(scenario.directive("go"))
}

/// Each `tool_result`: (its text, whether it is an error), in order.
fn tool_results<R: Runtime>(items: &[Item]) -> Vec<(String, bool)> {
    let mut out = Vec::new();
    for item in items {
        match item {
            Ok(Message::User(u)) => {
                for block in &u.message.content {
                    if let ContentBlock::ToolResult {
                        content, is_error, ..
                    } = block
                    {
                        out.push((content.text().into_owned(), *is_error));
                    }
                }
            }
            Ok(_) => {}
            Err(e) => panic!("[{}] unexpected error item: {e:?}", R::NAME),
        }
    }
    out
}

fn result_text<R: Runtime>(items: &[Item]) -> String {
    items
        .iter()
        .find_map(|i| match i {
            Ok(Message::Result(r)) => Some(r.result.clone()),
            _ => None,
        })
        .unwrap_or_else(|| panic!("[{}] no result in {items:?}", R::NAME))
}

fn cmd_of(request: &crate::suite::PermissionRequest) -> String {
    request.input["cmd"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

/// The handler allows `ls` / `git status` and rejects the rest with a reason; the user's own
/// rule (rejecting `sudo *`) is evaluated first, so the handler is never asked about it; the
/// context reaches the handler.
pub fn callbacks_handler_and_user_rules<R: Runtime>(s: &Suite) {
    for context in ["thread", "subagent"] {
        let scratch = Scratch::new();
        let asked = Arc::new(std::sync::Mutex::new(Vec::new()));
        let seen = Arc::clone(&asked);
        let handler = SuiteHandler::new(move |request| {
            let cmd = cmd_of(request);
            seen.lock()
                .expect("lock")
                .push((cmd.clone(), request.context));
            let reply = match cmd.as_str() {
                "ls" | "git status" => Reply::Allow,
                other => Reply::Reject(format!("{other} is not allowed here")),
            };
            (reply, Duration::ZERO)
        });
        let rule: Permission = serde_json::from_value(json!({"tool": "Bash", "action": "reject", "matches": {"cmd": "sudo *"}, "message": "no sudo (user rule)"})).expect("rule");
        let options = scratch.recorded(AmpOptions::new().permissions([rule]));
        let scenario = StubScenario::Delegate
            .param("cmds", "ls,git+status,rm+-rf+/,sudo+ls")
            .param("context", context);
        let collected = R::execute(&cfg(s, &scratch, Some(handler)), prompt(scenario), options);
        let results = tool_results::<R>(&collected.items);
        assert_eq!(
            results,
            vec![
                ("ran: ls".to_string(), false),
                ("ran: git status".to_string(), false),
                ("rm -rf / is not allowed here".to_string(), true),
                ("no sudo (user rule)".to_string(), true),
            ],
            "[{}] {context}",
            R::NAME
        );
        assert_eq!(result_text::<R>(&collected.items), "allowed=2 rejected=2");
        let want = if context == "thread" {
            PermissionContext::Thread
        } else {
            PermissionContext::Subagent
        };
        let asked = asked.lock().expect("lock").clone();
        assert_eq!(
            asked,
            vec![
                ("ls".to_string(), want),
                ("git status".to_string(), want),
                ("rm -rf /".to_string(), want)
            ],
            "[{}] the handler is asked only about what the user's rule leaves open",
            R::NAME
        );
        assert!(
            eventually(EVENTUALLY, || scratch.temp_leftovers().is_empty()),
            "[{}] private folder left: {:?}",
            R::NAME,
            scratch.temp_leftovers()
        );
    }
}

/// A panicking, failing and too-slow handler each give the documented rejection, and the
/// run goes on.
pub fn callbacks_handler_failures<R: Runtime>(s: &Suite) {
    let scratch = Scratch::new();
    let handler = SuiteHandler::new(|request| match cmd_of(request).as_str() {
        "panic" => (Reply::Panic("handler exploded".into()), Duration::ZERO),
        "fail" => (Reply::Fail("database down".into()), Duration::ZERO),
        "slow" => (Reply::Allow, Duration::from_secs(3)),
        _ => (Reply::Allow, Duration::ZERO),
    });
    let cfg = AmpCfg {
        permission_deadline: Some(Duration::from_millis(500)),
        ..cfg(s, &scratch, Some(handler))
    };
    let scenario = StubScenario::Delegate.param("cmds", "panic,fail,slow,ls");
    let collected = R::execute(&cfg, prompt(scenario), scratch.recorded(AmpOptions::new()));
    let results = tool_results::<R>(&collected.items);
    assert_eq!(
        results,
        vec![
            (
                "the permission handler panicked: handler exploded".to_string(),
                true
            ),
            (
                "the permission handler failed: database down".to_string(),
                true
            ),
            (
                "the permission handler did not answer within 0.500s".to_string(),
                true
            ),
            ("ran: ls".to_string(), false),
        ],
        "[{}]",
        R::NAME
    );
}

/// One simulated delegate call, speaking the generated script's protocol: request file,
/// answer FIFO, notification; returns the answer's text.
fn simulated_call(dir: &Path, id: u64, cmd: &str) -> String {
    let request = dir.join(format!("req-{id}"));
    let body = format!("thread\nBash\n{}", json!({"cmd": cmd}));
    std::fs::write(&request, body).expect("request file");
    let answer = dir.join(format!("ans-{id}"));
    let c = std::ffi::CString::new(answer.to_string_lossy().as_bytes()).expect("path");
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0, "mkfifo");
    let mut fifo = std::fs::OpenOptions::new()
        .write(true)
        .open(dir.join("permission-requests"))
        .expect("request FIFO");
    fifo.write_all(format!("{id}\n").as_bytes())
        .expect("notify");
    drop(fifo);
    let mut text = String::new();
    std::fs::File::open(&answer)
        .and_then(|mut f| f.read_to_string(&mut text))
        .expect("answer");
    text
}

/// 1,000 concurrent calls with random handler delays: each gets its own answer, none lost,
/// none crossed.
pub fn callbacks_1000_concurrent_calls<R: Runtime>(s: &Suite) {
    let scratch = Scratch::new();
    let handler = SuiteHandler::new(|request| {
        let cmd = cmd_of(request);
        let n: u64 = cmd.trim_start_matches("call-").parse().unwrap_or(0);
        // A deterministic "random" delay of 0..40 ms.
        let delay = Duration::from_millis(n.wrapping_mul(2_654_435_761) % 41);
        let reply = if n.is_multiple_of(2) {
            Reply::Allow
        } else {
            Reply::Reject(format!("no to {cmd}"))
        };
        (reply, delay)
    });
    let cfg = cfg(s, &scratch, Some(handler));
    let mut answers: BTreeMap<u64, String> = BTreeMap::new();
    R::execute_then_drop(
        &cfg,
        prompt(Scenario::new(StubScenario::Hang)),
        scratch.recorded(AmpOptions::new()),
        1,
        &mut |_| {
            let record = scratch.record().expect("record");
            let dir = record.private_dir().expect("private folder");
            let done = Arc::new(AtomicUsize::new(0));
            let threads: Vec<_> = (0..1000u64)
                .map(|n| {
                    let dir = dir.clone();
                    let done = Arc::clone(&done);
                    std::thread::Builder::new()
                        .stack_size(64 * 1024)
                        .spawn(move || {
                            let answer = simulated_call(&dir, 1_000_000 + n, &format!("call-{n}"));
                            done.fetch_add(1, Ordering::Relaxed);
                            (n, answer)
                        })
                        .expect("thread")
                })
                .collect();
            for t in threads {
                let (n, answer) = t.join().expect("call thread");
                answers.insert(n, answer);
            }
        },
    );
    assert_eq!(answers.len(), 1000, "[{}] every call answered", R::NAME);
    for (n, answer) in &answers {
        let want = if n.is_multiple_of(2) {
            "allow\n".to_string()
        } else {
            format!("reject\nno to call-{n}\n")
        };
        assert_eq!(answer, &want, "[{}] call {n}", R::NAME);
    }
    assert!(
        eventually(EVENTUALLY, || scratch.temp_leftovers().is_empty()),
        "[{}] private folder left",
        R::NAME
    );
}

fn delegate_scripts_running(dir: &Path) -> Vec<u32> {
    let needle = dir.to_string_lossy().into_owned();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|e| e.ok())
        .filter_map(|e| e.file_name().to_str().and_then(|n| n.parse::<u32>().ok()))
        .filter(|pid| {
            std::fs::read(format!("/proc/{pid}/cmdline"))
                .map(|c| String::from_utf8_lossy(&c).contains(&needle))
                .unwrap_or(false)
        })
        .collect()
}

/// An execution dropped while its handler is still deciding: no process (CLI, delegate
/// script) and no folder are left.
pub fn callbacks_drop_with_calls_pending<R: Runtime>(s: &Suite) {
    let scratch = Scratch::new();
    let entered = Arc::new(AtomicUsize::new(0));
    let seen = Arc::clone(&entered);
    let handler = SuiteHandler::new(move |_| {
        seen.fetch_add(1, Ordering::SeqCst);
        (Reply::Allow, Duration::from_secs(20))
    });
    let mut alive: Option<(Record, PathBuf)> = None;
    R::execute_then_drop(
        &cfg(s, &scratch, Some(handler)),
        prompt(
            StubScenario::Delegate
                .param("cmds", "ls,ls")
                .param("parallel", 1),
        ),
        scratch.recorded(AmpOptions::new()),
        1,
        &mut |_| {
            assert!(
                eventually(EVENTUALLY, || entered.load(Ordering::SeqCst) == 2),
                "[{}] the handler was asked twice",
                R::NAME
            );
            let record = scratch.record().expect("record");
            let dir = record.private_dir().expect("private folder");
            assert!(
                !delegate_scripts_running(&dir).is_empty(),
                "[{}] the delegate scripts wait",
                R::NAME
            );
            alive = Some((record, dir));
        },
    );
    let (record, dir) = alive.expect("inspected while alive");
    assert!(
        eventually(EVENTUALLY, || !process_exists(record.pid())),
        "[{}] the CLI is gone",
        R::NAME
    );
    assert!(
        eventually(EVENTUALLY, || delegate_scripts_running(&dir).is_empty()),
        "[{}] delegate scripts left: {:?}",
        R::NAME,
        delegate_scripts_running(&dir)
    );
    assert!(
        eventually(EVENTUALLY, || !dir.exists()
            && scratch.temp_leftovers().is_empty()),
        "[{}] private folder left",
        R::NAME
    );
}

#[derive(serde::Deserialize, schemars::JsonSchema)]
struct AddInput {
    a: i64,
    b: i64,
}

fn tools() -> SuiteTools {
    SuiteTools(vec![
        Tool::typed("add", "Adds two integers", |input: AddInput| {
            input
                .a
                .checked_add(input.b)
                .map(|sum| ToolResult::text(sum.to_string()))
                .ok_or("the sum overflows")
        }),
        Tool::new(
            "explode",
            "Always fails",
            json!({"type": "object"}),
            |_args: Value| -> Result<ToolResult, String> { Err("the tool broke".into()) },
        ),
    ])
}

fn mcp_report<R: Runtime>(s: &Suite, scenario: Scenario) -> (Value, Vec<(String, bool)>) {
    let scratch = Scratch::new();
    let cfg = AmpCfg {
        tools: tools(),
        ..cfg(s, &scratch, None)
    };
    let collected = R::execute(&cfg, prompt(scenario), scratch.recorded(AmpOptions::new()));
    let report: Value =
        serde_json::from_str(&result_text::<R>(&collected.items)).expect("the stub's report");
    assert!(
        eventually(EVENTUALLY, || scratch.temp_leftovers().is_empty()),
        "[{}] private folder left",
        R::NAME
    );
    (report, tool_results::<R>(&collected.items))
}

/// The in-process tools: listed exactly; a typed call answered; a tool error and arguments
/// that do not fit the input type reach the agent as error results.
pub fn callbacks_tools_and_tool_errors<R: Runtime>(s: &Suite) {
    let (report, results) = mcp_report::<R>(
        s,
        StubScenario::McpTools
            .param("call", "add")
            .param("args", r#"{"a":2,"b":40}"#),
    );
    assert_eq!(report["tools"]["ampere"], json!(["add", "explode"]));
    assert_eq!(results, vec![("42".to_string(), false)], "[{}]", R::NAME);
    let (_, results) = mcp_report::<R>(s, StubScenario::McpTools.param("call", "explode"));
    assert_eq!(
        results,
        vec![("the tool broke".to_string(), true)],
        "[{}]",
        R::NAME
    );
    let (_, results) = mcp_report::<R>(
        s,
        StubScenario::McpTools
            .param("call", "add")
            .param("args", r#"{"a":"two"}"#),
    );
    assert_eq!(results.len(), 1);
    assert!(
        results[0].1 && results[0].0.starts_with("invalid input for the tool add:"),
        "[{}] {results:?}",
        R::NAME
    );
}

/// A line from the relay that is not JSON gets a JSON-RPC parse error; the server goes on.
pub fn callbacks_malformed_mcp_message<R: Runtime>(s: &Suite) {
    let (report, results) = mcp_report::<R>(
        s,
        StubScenario::McpTools
            .param("call", "add")
            .param("args", r#"{"a":1,"b":1}"#)
            .param("malformed", 1),
    );
    assert_eq!(report["malformed_error"], json!(-32700), "[{}]", R::NAME);
    assert_eq!(results, vec![("2".to_string(), false)], "[{}]", R::NAME);
}
