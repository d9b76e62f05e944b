//! An execution's input: flag checks, scenario selection and setup, the prompt as text or
//! as `--stream-json-input` lines.

use super::emit::text_block;
use super::threads::{invalid_thread, thread_id_of};
use super::*;

impl Stub {
    /// Checks the flag combinations the real CLI checks before it connects.
    pub(super) fn validate_execute(&mut self) -> Result<(), Fail> {
        let inv = &self.inv;
        if let Some(e) = &inv.executor {
            let ok = e == "local"
                || e == "orb"
                || e.strip_prefix("runner:").is_some_and(|id| !id.is_empty());
            if !ok {
                return Err(Fail::Cli(
                    "executor must be \"local\", \"orb\", or \"runner:<id>\"".into(),
                ));
            }
        }
        if inv.stream_json && !inv.execute {
            return Err(Fail::Cli(
                "The --stream-json flag requires --execute mode\n\nUse: amp --execute \"your message\" --stream-json".into(),
            ));
        }
        if inv.stream_json_input && !(inv.stream_json || inv.stream_json_thinking) {
            return Err(Fail::Cli(
                "The --stream-json-input flag requires --stream-json\n\nUse: amp --execute --stream-json --stream-json-input".into(),
            ));
        }
        if let Some(t) = &inv.title {
            let len = t.trim().chars().count();
            if !(1..=256).contains(&len) {
                return Err(Fail::Cli(
                    "The --title value must be between 1 and 256 characters.".into(),
                ));
            }
        }
        let runner = inv
            .executor
            .as_deref()
            .is_some_and(|e| e.starts_with("runner:"));
        if inv.runner_dir.is_some() && !(inv.execute && runner) {
            return Err(Fail::Cli(
                "--runner-dir requires --execute and --executor runner:<id>.".into(),
            ));
        }
        let orb = inv.orb_execute || inv.executor.as_deref() == Some("orb");
        if inv.project.is_some() && !orb {
            return Err(Fail::Cli(
                "The --project flag requires the orb executor\n\nUse: amp --executor orb --project namespace/name".into(),
            ));
        }
        self.check_visibility()?;
        // MCP configuration: inline JSON or a file path, as the real CLI reads it.
        if let Some(m) = self.inv.mcp_config.clone() {
            let text = if m.trim_start().starts_with('{') {
                m
            } else {
                std::fs::read_to_string(&m).map_err(|e| {
                    let why = if e.kind() == std::io::ErrorKind::NotFound {
                        "ENOENT: no such file or directory".to_string()
                    } else {
                        e.to_string()
                    };
                    Fail::Cli(format!(
                        "Failed to read --mcp-config file: {why}, open '{m}'"
                    ))
                })?
            };
            let parsed: Value = serde_json::from_str(&text).map_err(|e| {
                Fail::Cli(format!(
                    "Failed to parse --mcp-config as JSON: JSON Parse error: {e}"
                ))
            })?;
            // Either {NAME: SERVER} or {"mcpServers": {...}} / {"amp.mcpServers": {...}}.
            let servers = parsed
                .get("amp.mcpServers")
                .or_else(|| parsed.get("mcpServers"))
                .unwrap_or(&parsed);
            if let Some(map) = servers.as_object() {
                for (name, server) in map {
                    if server.get("disabled").and_then(Value::as_bool) != Some(true) {
                        self.mcp_servers.push(name.clone());
                    }
                }
            }
        }
        if self.inv.command == Command::ThreadsContinue {
            if let Some(id) = self.inv.positionals.first() {
                if !args::is_valid_thread_ref(id) {
                    return Err(Fail::Cli(invalid_thread(id)));
                }
            }
        }
        Ok(())
    }

    pub(super) fn execute(&mut self) -> Result<i32, Fail> {
        self.validate_execute()?;
        self.session_id = match self.inv.positionals.first() {
            Some(id) if self.inv.command == Command::ThreadsContinue => thread_id_of(id),
            _ if self.inv.command == Command::ThreadsContinue => {
                std::env::var("AMP_STUB_LAST_THREAD")
                    .ok()
                    .filter(|t| args::is_thread_id(t))
                    .unwrap_or_else(new_thread_id)
            }
            _ => new_thread_id(),
        };
        self.record
            .insert("session_id".into(), Value::String(self.session_id.clone()));
        if let Ok(spec) = std::env::var("AMP_STUB_SCENARIO") {
            self.scenario = Scenario::parse(&spec).map_err(Fail::Cli)?;
            self.scenario_from_env = true;
            self.apply_scenario_setup()?;
        }
        self.write_record();
        if self.inv.stream_json_input {
            self.run_stream_input()
        } else {
            self.run_text()
        }
    }

    /// Things a scenario does before anything is read.
    pub(super) fn apply_scenario_setup(&mut self) -> Result<(), Fail> {
        self.record.insert(
            "scenario".into(),
            Value::String(self.scenario.name.as_str().into()),
        );
        self.out.delay = self.scenario.delay();
        match self.scenario.name {
            StubScenario::IgnoreSigterm => {
                // SAFETY: setting a signal disposition to SIG_IGN has no preconditions.
                unsafe {
                    libc::signal(libc::SIGTERM, libc::SIG_IGN);
                }
            }
            StubScenario::SlowDrip => {
                self.out.drip = Some(Duration::from_micros(
                    self.scenario.num("byte_delay_us", 500),
                ));
            }
            StubScenario::Crash => {
                self.out.crash_after = Some(self.scenario.num("after", 3));
                self.crash_scenario = Some(self.scenario.clone());
            }
            StubScenario::StderrFlood => {
                let total = self
                    .scenario
                    .num("mb", 10)
                    .saturating_mul(1 << 20)
                    .min(1 << 30);
                let mut chunks = Vec::new();
                let mut written = 0u64;
                let mut i = 0u64;
                while written < total {
                    let mut chunk = Vec::with_capacity(64 * 1024);
                    while chunk.len() < 64 * 1024 && written + (chunk.len() as u64) < total {
                        chunk.extend_from_slice(
                            format!("amp-stub stderr flood line {i:010} ........................................\n").as_bytes(),
                        );
                        i += 1;
                    }
                    written += chunk.len() as u64;
                    chunks.push(chunk);
                }
                let half = chunks.len() / 2;
                let later = chunks.split_off(half);
                let mut err = std::io::stderr();
                for c in &chunks {
                    err.write_all(c)?;
                }
                // The other half is written while stdout is being written.
                self.stderr_thread = Some(std::thread::spawn(move || {
                    let mut err = std::io::stderr();
                    for c in later {
                        if err.write_all(&c).is_err() {
                            break;
                        }
                    }
                }));
            }
            _ => {}
        }
        Ok(())
    }

    /// Adopts a directive found in the prompt (it wins over the environment).
    pub(super) fn adopt_directive(&mut self, text: &str) -> Result<String, Fail> {
        match Scenario::find_directive(text) {
            Some((spec, rest)) => {
                self.scenario = Scenario::parse(&spec).map_err(Fail::Cli)?;
                self.apply_scenario_setup()?;
                self.write_record();
                Ok(rest)
            }
            None => {
                if !self.scenario_from_env {
                    self.apply_scenario_setup()?;
                }
                Ok(text.trim().to_string())
            }
        }
    }

    pub(super) fn run_text(&mut self) -> Result<i32, Fail> {
        let mut stdin = Vec::new();
        // A closed or unreadable stdin is treated as empty, like the real CLI.
        let _ = std::io::stdin().read_to_end(&mut stdin);
        self.record.insert(
            "stdin".into(),
            Value::String(String::from_utf8_lossy(&stdin).into_owned()),
        );
        self.record
            .insert("stdin_bytes".into(), Value::from(stdin.len()));
        self.record.insert("stdin_eof".into(), Value::Bool(true));
        self.write_record();
        let piped = String::from_utf8_lossy(&stdin)
            .trim_end_matches(['\n', '\r'])
            .to_string();
        let prompt = match (&self.inv.execute_message, piped.is_empty()) {
            (Some(m), true) => m.clone(),
            (Some(m), false) => format!("{m}\n\n{piped}"),
            (None, _) => piped,
        };
        if prompt.trim().is_empty() {
            return Err(Fail::Cli("User message must be provided through stdin or as argument when using execute mode\n\nEither pass a message as an argument: amp --execute \"your message\"\nOr pipe via stdin: echo \"your message\" | amp --execute".into()));
        }
        let text = self.adopt_directive(&prompt)?;
        self.early_scenarios()?;
        self.init()?;
        self.user(J::A(vec![text_block(&prompt)]), None)?;
        self.turn(&text)
    }

    pub(super) fn run_stream_input(&mut self) -> Result<i32, Fail> {
        let stdin = std::io::stdin();
        let mut reader = stdin.lock();
        let mut line_no = 0u64;
        let mut total = 0usize;
        let mut code = 0;
        let mut first = true;
        loop {
            let mut buf = Vec::new();
            let read = reader.read_until(b'\n', &mut buf).unwrap_or(0);
            if read == 0 {
                break;
            }
            line_no += 1;
            total += read;
            let text = String::from_utf8_lossy(&buf).into_owned();
            self.record.insert("stdin_bytes".into(), Value::from(total));
            if let Some(Value::String(all)) = self.record.get_mut("stdin") {
                all.push_str(&text);
            }
            if let Some(Value::Array(lines)) = self.record.get_mut("stdin_lines") {
                lines.push(Value::String(
                    text.trim_end_matches(['\n', '\r']).to_string(),
                ));
            }
            self.write_record();
            if buf.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            let parsed = parse_input_line(&buf);
            let (content, message_text) = match parsed {
                Ok(v) => v,
                Err(why) => {
                    if first {
                        let _ = self.adopt_directive("");
                    }
                    self.init()?;
                    self.error_result(
                        "error_during_execution",
                        &format!("Invalid JSON input on line {line_no}: {why}"),
                    )?;
                    return Ok(1);
                }
            };
            let text = if first {
                self.adopt_directive(&message_text)?
            } else {
                strip_directive(&message_text)
            };
            if first {
                self.early_scenarios()?;
                self.init()?;
            }
            first = false;
            self.user(type_first(&content), None)?;
            code = self.turn(&text)?;
            if code != 0 {
                return Ok(code);
            }
        }
        self.record.insert("stdin_eof".into(), Value::Bool(true));
        self.write_record();
        if first {
            // No message at all: the real CLI has nothing to do.
            return Ok(0);
        }
        Ok(code)
    }

    /// Scenarios that act before the user echo.
    pub(super) fn early_scenarios(&mut self) -> Result<(), Fail> {
        match self.scenario.name {
            StubScenario::Hang | StubScenario::IgnoreSigterm => {
                self.init()?;
                self.hang();
            }
            StubScenario::Crash if self.scenario.num("after", 3) == 0 => self.crash(),
            _ => Ok(()),
        }
    }
}

/// Writes a value with every object's `type` key first (as the real CLI prints blocks).
pub(super) fn type_first(v: &Value) -> J {
    match v {
        Value::Object(map) => {
            let mut fields: Vec<(String, J)> = Vec::new();
            if let Some(t) = map.get("type") {
                fields.push(("type".into(), J::V(t.clone())));
            }
            for (k, v) in map.iter().filter(|(k, _)| k.as_str() != "type") {
                fields.push((k.clone(), type_first(v)));
            }
            J::O(fields)
        }
        Value::Array(items) => J::A(items.iter().map(type_first).collect()),
        other => J::V(other.clone()),
    }
}

pub(super) fn strip_directive(text: &str) -> String {
    match Scenario::find_directive(text) {
        Some((_, rest)) => rest,
        None => text.trim().to_string(),
    }
}

/// Parses one `--stream-json-input` line: `{"type":"user","message":{"role":"user",
/// "content":[...] | "text"}}`. Returns the content as given and its text.
pub(super) fn parse_input_line(line: &[u8]) -> Result<(Value, String), String> {
    let text = std::str::from_utf8(line).map_err(|_| "input is not valid UTF-8".to_string())?;
    let v: Value = serde_json::from_str(text.trim()).map_err(|e| e.to_string())?;
    if v.get("type").and_then(Value::as_str) != Some("user") {
        return Err("expected a message with \"type\": \"user\"".into());
    }
    let message = v.get("message").ok_or("missing \"message\"")?;
    if message.get("role").and_then(Value::as_str) != Some("user") {
        return Err("expected \"message.role\": \"user\"".into());
    }
    let content = message
        .get("content")
        .ok_or("missing \"message.content\"")?;
    let text = match content {
        Value::String(t) => t.clone(),
        Value::Array(blocks) => blocks
            .iter()
            .filter(|b| b.get("type").and_then(Value::as_str) == Some("text"))
            .filter_map(|b| b.get("text").and_then(Value::as_str))
            .collect::<Vec<_>>()
            .join("\n"),
        _ => return Err("\"message.content\" must be a string or an array".into()),
    };
    let content = match content {
        Value::String(t) => serde_json::json!([{"type": "text", "text": t}]),
        other => other.clone(),
    };
    Ok((content, text))
}
