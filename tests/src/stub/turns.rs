//! One turn of each scenario, after the user echo.

use super::emit::{text_block, thinking_block, tool_use};
use super::*;

impl Stub {
    /// One turn of the current scenario (after the user echo). Returns the exit code.
    pub(super) fn turn(&mut self, text: &str) -> Result<i32, Fail> {
        let sc = self.scenario.clone();
        self.num_turns += 1;
        match sc.name {
            StubScenario::Tools | StubScenario::Crash => {
                let count = if sc.name == StubScenario::Crash {
                    sc.num("after", 3) + 2
                } else {
                    sc.num("count", 2)
                };
                self.tools_turn(count)?;
                if sc.name == StubScenario::Crash {
                    self.crash()?;
                }
                let done = format!("Done: ran {count} tools.");
                self.assistant(vec![text_block(&done)], "end_turn")?;
                self.success(&done)?;
            }
            StubScenario::Thinking => {
                let mut content = Vec::new();
                if self.inv.stream_json_thinking {
                    for i in 0..sc.num("blocks", 2) {
                        content.push(thinking_block(&format!(
                            "Thinking step {}: the user said {text:?}.",
                            i + 1
                        )));
                    }
                }
                content.push(text_block(text));
                self.assistant(content, "end_turn")?;
                self.success(text)?;
            }
            StubScenario::Multi if !self.inv.stream_json_input => {
                let turns = sc.num("turns", 3).max(1);
                self.num_turns += turns - 1;
                for i in 1..=turns {
                    self.assistant(vec![text_block(&format!("turn {i}: {text}"))], "end_turn")?;
                }
                self.success(&format!("turn {turns}: {text}"))?;
            }
            StubScenario::ErrorResult => {
                self.assistant(vec![text_block("Working on it...")], "end_turn")?;
                let subtype = sc
                    .text("subtype")
                    .unwrap_or("error_during_execution")
                    .to_string();
                let message = sc
                    .text("message")
                    .unwrap_or("amp-stub: simulated error during execution")
                    .to_string();
                self.error_result(&subtype, &message)?;
                return Ok(sc.num("code", 1) as i32);
            }
            StubScenario::Garbage => {
                self.emit_bytes(b"this is not json\n")?;
                self.emit_bytes(b"   \n")?;
                self.assistant(vec![text_block("first part")], "end_turn")?;
                self.emit_bytes(b"\xff\xfe invalid utf-8 \xc3\x28\n")?;
                self.emit_bytes(b"{\"type\":\"assistant\",\"message\":\n")?;
                self.emit_bytes(b"[1,2,3]\n")?;
                self.emit_bytes(b"\x1b[31mWARN colored log line\x1b[0m\n")?;
                self.emit_bytes(b"{\"no_type\":true}\n")?;
                self.assistant(vec![text_block(text)], "end_turn")?;
                self.emit_bytes(b"null\n")?;
                self.success(text)?;
            }
            StubScenario::BigLine => {
                let bytes = sc
                    .params
                    .get("bytes")
                    .and_then(|v| v.parse().ok())
                    .unwrap_or_else(|| (sc.num("mb", 20) as usize).saturating_mul(1 << 20))
                    .min(1 << 30);
                let tid = "toolu_stub_bigline".to_string();
                self.assistant(
                    vec![tool_use(
                        &tid,
                        "Read",
                        serde_json::json!({"path": "/big/file.txt"}),
                    )],
                    "tool_use",
                )?;
                let content = big_line_content(bytes);
                let sum = fnv1a64(content.as_bytes());
                self.user(
                    J::A(vec![obj(vec![
                        ("type", s("tool_result")),
                        ("tool_use_id", s(tid)),
                        ("content", s(content)),
                        ("is_error", b(false)),
                    ])]),
                    None,
                )?;
                let summary = format!("big-line bytes={bytes} fnv1a64={sum:016x}");
                self.assistant(vec![text_block(&summary)], "end_turn")?;
                self.success(&summary)?;
            }
            StubScenario::EchoEnv => {
                let report = self.env_report();
                self.assistant(vec![text_block(&report)], "end_turn")?;
                self.success(&report)?;
            }
            StubScenario::UnknownTypes => {
                let sid = self.session_id.clone();
                self.emit(obj(vec![
                    ("type", s("telemetry")),
                    ("event", s("tick")),
                    ("session_id", s(sid.clone())),
                ]))?;
                self.emit(obj(vec![
                    ("type", s("system")),
                    ("subtype", s("compaction")),
                    ("tokens_before", n(120_000)),
                    ("session_id", s(sid.clone())),
                ]))?;
                let usage = self.usage_for(21);
                self.emit(obj(vec![
                    ("type", s("assistant")),
                    (
                        "message",
                        obj(vec![
                            ("type", s("message")),
                            ("role", s("assistant")),
                            ("id", s("msg_stub_future")),
                            ("model", s("claude-future")),
                            (
                                "content",
                                J::A(vec![
                                    obj(vec![
                                        ("type", s("image")),
                                        (
                                            "source",
                                            obj(vec![
                                                ("type", s("base64")),
                                                ("media_type", s("image/png")),
                                                ("data", s("iVBORw0KGgo=")),
                                            ]),
                                        ),
                                    ]),
                                    obj(vec![
                                        ("type", s("redacted_thinking")),
                                        ("data", s("c2VjcmV0")),
                                    ]),
                                    obj(vec![
                                        ("type", s("text")),
                                        ("text", s(text)),
                                        ("citations", J::A(vec![])),
                                    ]),
                                ]),
                            ),
                            ("stop_reason", s("pause_turn")),
                            ("stop_sequence", null()),
                            ("usage", usage),
                            ("future_field", obj(vec![("x", n(1))])),
                        ]),
                    ),
                    ("parent_tool_use_id", null()),
                    ("session_id", s(sid.clone())),
                    ("future_top_level", b(true)),
                ]))?;
                self.assistant(vec![text_block(text)], "end_turn")?;
                self.success(text)?;
            }
            StubScenario::Delegate => self.delegate_turn(&sc)?,
            StubScenario::McpTools => self.mcp_turn(&sc)?,
            StubScenario::ExitAfterSuccess => {
                self.assistant(vec![text_block(text)], "end_turn")?;
                self.success(text)?;
                return Ok(sc.num("code", 3) as i32);
            }
            _ => {
                self.assistant(vec![text_block(text)], "end_turn")?;
                self.success(text)?;
            }
        }
        Ok(0)
    }

    pub(super) fn tools_turn(&mut self, count: u64) -> Result<(), Fail> {
        const NAMES: [&str; 3] = ["Bash", "Read", "Grep"];
        for k in 0..count {
            let name = NAMES[(k % 3) as usize];
            let id = format!("toolu_stub_{k:04}");
            let input = match name {
                "Bash" => serde_json::json!({"cmd": "cargo test", "cwd": "/home/user/project"}),
                "Read" => {
                    serde_json::json!({"path": "/home/user/project/src/lib.rs", "read_range": [1, 200]})
                }
                _ => serde_json::json!({"pattern": "fn main", "path": "src"}),
            };
            self.assistant(
                vec![
                    text_block(&format!("Running tool {}.", k + 1)),
                    tool_use(&id, name, input),
                ],
                "tool_use",
            )?;
            let output = format!(
                "output of {name} #{}: ok \"quoted\" \\ üñíçødé 日本語\n",
                k + 1
            );
            let content = if k % 2 == 0 {
                s(output)
            } else {
                J::A(vec![text_block(&output)])
            };
            self.user(
                J::A(vec![obj(vec![
                    ("type", s("tool_result")),
                    ("tool_use_id", s(id)),
                    ("content", content),
                    ("is_error", b(false)),
                ])]),
                None,
            )?;
        }
        Ok(())
    }

    pub(super) fn env_report(&self) -> String {
        let vars: Option<Vec<String>> = self
            .scenario
            .text("vars")
            .map(|v| v.split(',').map(str::to_string).collect());
        let env: Map<String, Value> = std::env::vars_os()
            .map(|(k, v)| {
                (
                    k.to_string_lossy().into_owned(),
                    v.to_string_lossy().into_owned(),
                )
            })
            .filter(|(k, _)| match &vars {
                Some(list) => list.contains(k),
                None => k.starts_with("AMP"),
            })
            .map(|(k, v)| (k, Value::String(v)))
            .collect();
        let mut report = Map::new();
        report.insert(
            "args".into(),
            self.record.get("args").cloned().unwrap_or(Value::Null),
        );
        report.insert("env".into(), Value::Object(env));
        for key in [
            "cwd",
            "settings_file",
            "settings",
            "mcp_config",
            "mcp_config_content",
            "stdin",
        ] {
            report.insert(
                key.into(),
                self.record.get(key).cloned().unwrap_or(Value::Null),
            );
        }
        Value::Object(report).to_string()
    }
}
