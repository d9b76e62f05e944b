//! The two callback scenarios, played the way the real CLI carries them out.
//!
//! `delegate`: for each tool call (`Bash` with the commands of `cmds`, `+` for a space), the
//! settings file's permission rules are evaluated (core's evaluator); a matching `delegate`
//! rule runs its `to` program exactly as the CLI does (the tool input as JSON on stdin, the
//! environment plus `AGENT=amp` and `AGENT_TOOL_NAME`, exit 0 allows, exit 2 rejects with
//! its stderr as the message, anything else or a program that cannot be started is a
//! rejection naming it). An allowed call's `tool_result` is `ran: CMD`; a rejected one is an
//! error result with the rejection text. `parallel=1` decides every call at once (threads);
//! `context=subagent` asks as a subagent. The result text is
//! `allowed=A rejected=R`.
//!
//! `mcp-tools`: starts each stdio server of `--mcp-config`, speaks MCP to it (initialize,
//! notifications/initialized, tools/list), calls the tool `call` with the JSON `args` (in
//! `mcp__SERVER__NAME` `tool_use` / `tool_result` messages; `calls=N` repeats it), and with
//! `malformed=1` first sends a line that is not JSON. The result text is a JSON object:
//! `tools` (per server, the names listed), `malformed_error` (the JSON-RPC error code
//! received), `results` (each call's text and `is_error`).

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

use ampere_core::permission::PermissionContext;
use ampere_core::permission::{evaluate, Evaluation, Permission, PermissionAction, ToolCall};
use serde_json::{json, Value};

use super::emit::{text_block, tool_use};
use super::*;

/// One decision of the delegate scenario: allowed, or rejected with this text.
type Verdict = Result<(), String>;

fn rules_of(settings: Option<&str>) -> Vec<Permission> {
    settings
        .and_then(|t| ampere_core::settings::parse_settings(t).ok())
        .and_then(|m| m.get("amp.permissions").cloned())
        .and_then(|v| serde_json::from_value(v).ok())
        .unwrap_or_default()
}

/// Decides one call as the CLI does.
fn decide(rules: &[Permission], call: &ToolCall) -> Verdict {
    match evaluate(rules, call) {
        Evaluation::Matched { rule, action, .. } => match action {
            PermissionAction::Allow => Ok(()),
            PermissionAction::Reject => Err(rule
                .message()
                .unwrap_or("rejected by a permission rule")
                .to_string()),
            PermissionAction::Delegate => run_delegate(rule.to().unwrap_or(""), call),
            _ => Err("this tool call needs approval (ask)".into()),
        },
        _ => Ok(()),
    }
}

fn run_delegate(to: &str, call: &ToolCall) -> Verdict {
    let child = Command::new(to)
        .env("AGENT", "amp")
        .env("AGENT_TOOL_NAME", &call.tool)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn();
    let mut child = child.map_err(|e| format!("cannot run the delegate program {to}: {e}"))?;
    if let Some(mut stdin) = child.stdin.take() {
        let _ = stdin.write_all(Value::Object(call.args.clone()).to_string().as_bytes());
    }
    let out = child
        .wait_with_output()
        .map_err(|e| format!("the delegate program {to} failed: {e}"))?;
    let stderr = String::from_utf8_lossy(&out.stderr).trim().to_string();
    match out.status.code() {
        Some(0) => Ok(()),
        Some(2) => Err(stderr),
        other => Err(format!(
            "the delegate program {to} failed ({other:?}): {stderr}"
        )),
    }
}

impl Stub {
    pub(super) fn delegate_turn(&mut self, sc: &Scenario) -> Result<(), Fail> {
        let rules = rules_of(self.record.get("settings").and_then(Value::as_str));
        let context = match sc.text("context") {
            Some("subagent") => PermissionContext::Subagent,
            _ => PermissionContext::Thread,
        };
        let cmds: Vec<String> = sc
            .text("cmds")
            .unwrap_or("ls,rm+-rf+/")
            .split(',')
            .map(|c| c.replace('+', " "))
            .collect();
        let calls: Vec<ToolCall> = cmds
            .iter()
            .map(|cmd| ToolCall {
                tool: "Bash".into(),
                args: json!({"cmd": cmd}).as_object().cloned().unwrap_or_default(),
                context: Some(context),
            })
            .collect();
        let verdicts: Vec<Verdict> = if sc.num("parallel", 0) == 1 {
            let rules = &rules;
            std::thread::scope(|scope| {
                let handles: Vec<_> = calls
                    .iter()
                    .map(|call| scope.spawn(move || decide(rules, call)))
                    .collect();
                handles
                    .into_iter()
                    .map(|h| h.join().unwrap_or_else(|_| Err("panicked".into())))
                    .collect()
            })
        } else {
            calls.iter().map(|call| decide(&rules, call)).collect()
        };
        let (mut allowed, mut rejected) = (0, 0);
        for (k, (call, verdict)) in calls.iter().zip(verdicts).enumerate() {
            let id = format!("toolu_stub_delegate_{k:04}");
            self.assistant(
                vec![tool_use(&id, &call.tool, Value::Object(call.args.clone()))],
                "tool_use",
            )?;
            let (content, is_error) = match verdict {
                Ok(()) => {
                    allowed += 1;
                    (
                        format!("ran: {}", call.args["cmd"].as_str().unwrap_or("")),
                        false,
                    )
                }
                Err(message) => {
                    rejected += 1;
                    (message, true)
                }
            };
            self.user(
                J::A(vec![obj(vec![
                    ("type", s("tool_result")),
                    ("tool_use_id", s(id)),
                    ("content", s(content)),
                    ("is_error", b(is_error)),
                ])]),
                None,
            )?;
        }
        let done = format!("allowed={allowed} rejected={rejected}");
        self.assistant(vec![text_block(&done)], "end_turn")?;
        self.success(&done)
    }

    pub(super) fn mcp_turn(&mut self, sc: &Scenario) -> Result<(), Fail> {
        let config: Value = self
            .record
            .get("mcp_config_content")
            .and_then(Value::as_str)
            .and_then(|t| serde_json::from_str(t).ok())
            .unwrap_or(Value::Null);
        let servers = config.as_object().cloned().unwrap_or_default();
        let call = sc.text("call").map(str::to_string);
        let args: Value = sc
            .text("args")
            .and_then(|a| serde_json::from_str(a).ok())
            .unwrap_or_else(|| json!({}));
        let mut report = json!({"tools": {}, "results": []});
        for (name, server) in &servers {
            let Some(command) = server.get("command").and_then(Value::as_str) else {
                continue;
            };
            let argv: Vec<String> = server
                .get("args")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(Value::as_str)
                        .map(String::from)
                        .collect()
                })
                .unwrap_or_default();
            let Ok(mut client) = McpClient::start(command, &argv) else {
                report["tools"][name] = json!("cannot start");
                continue;
            };
            client.request("initialize", json!({"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "amp-stub", "version": "1"}}));
            client.send(&json!({"jsonrpc": "2.0", "method": "notifications/initialized"}));
            if sc.num("malformed", 0) == 1 {
                client.raw(b"this is not JSON-RPC\n");
                report["malformed_error"] = client.read()["error"]["code"].clone();
            }
            let listed = client.request("tools/list", json!({}));
            let names: Vec<Value> = listed["result"]["tools"]
                .as_array()
                .map(|t| t.iter().map(|t| t["name"].clone()).collect())
                .unwrap_or_default();
            report["tools"][name] = Value::Array(names.clone());
            let Some(tool) = call.as_ref().filter(|c| names.iter().any(|n| n == *c)) else {
                continue;
            };
            for k in 0..sc.num("calls", 1) {
                let id = format!("toolu_stub_mcp_{k:04}");
                let full = format!("mcp__{name}__{tool}");
                self.assistant(vec![tool_use(&id, &full, args.clone())], "tool_use")?;
                let answer = client.request("tools/call", json!({"name": tool, "arguments": args}));
                let result = &answer["result"];
                let text: String = result["content"]
                    .as_array()
                    .map(|c| {
                        c.iter()
                            .filter_map(|b| b["text"].as_str())
                            .collect::<Vec<_>>()
                            .join("\n")
                    })
                    .unwrap_or_else(|| {
                        answer["error"]["message"]
                            .as_str()
                            .unwrap_or("")
                            .to_string()
                    });
                let is_error = result["isError"].as_bool().unwrap_or(result.is_null());
                if let Some(results) = report["results"].as_array_mut() {
                    results.push(json!({"text": text, "is_error": is_error}));
                }
                self.user(
                    J::A(vec![obj(vec![
                        ("type", s("tool_result")),
                        ("tool_use_id", s(id)),
                        ("content", s(text)),
                        ("is_error", b(is_error)),
                    ])]),
                    None,
                )?;
            }
        }
        let done = report.to_string();
        self.assistant(vec![text_block(&done)], "end_turn")?;
        self.success(&done)
    }
}

/// A minimal MCP stdio client: one request at a time, answers matched by id.
struct McpClient {
    child: std::process::Child,
    stdin: Option<std::process::ChildStdin>,
    stdout: BufReader<std::process::ChildStdout>,
    next: u64,
}

impl McpClient {
    fn start(command: &str, args: &[String]) -> std::io::Result<McpClient> {
        let mut child = Command::new(command)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()?;
        let stdin = child
            .stdin
            .take()
            .ok_or_else(|| std::io::Error::other("no stdin"))?;
        let stdout = child
            .stdout
            .take()
            .ok_or_else(|| std::io::Error::other("no stdout"))?;
        Ok(McpClient {
            child,
            stdin: Some(stdin),
            stdout: BufReader::new(stdout),
            next: 1,
        })
    }

    fn raw(&mut self, bytes: &[u8]) {
        if let Some(stdin) = self.stdin.as_mut() {
            let _ = stdin.write_all(bytes).and_then(|()| stdin.flush());
        }
    }

    fn send(&mut self, message: &Value) {
        let mut line = message.to_string();
        line.push('\n');
        self.raw(line.as_bytes());
    }

    fn read(&mut self) -> Value {
        let mut line = String::new();
        match self.stdout.read_line(&mut line) {
            Ok(n) if n > 0 => serde_json::from_str(&line).unwrap_or(Value::Null),
            _ => Value::Null,
        }
    }

    fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.next;
        self.next += 1;
        self.send(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        loop {
            let message = self.read();
            if message.is_null() || message["id"] == json!(id) {
                return message;
            }
        }
    }
}

impl Drop for McpClient {
    fn drop(&mut self) {
        // End of input ends a stdio server (the relay closes its pipes); kill it if not.
        drop(self.stdin.take());
        for _ in 0..100 {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
