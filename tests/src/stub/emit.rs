//! Writing stream JSON: the message kinds (init, user, assistant, results), usage counts,
//! the crash and hang endings.

use super::*;

impl Stub {
    pub(super) fn emit(&mut self, j: J) -> Result<(), Fail> {
        let mut line = j.to_line();
        line.push('\n');
        self.emit_bytes(line.as_bytes())
    }

    pub(super) fn emit_bytes(&mut self, bytes: &[u8]) -> Result<(), Fail> {
        if self.out.crash_after == Some(self.out.lines) {
            self.crash()?;
        }
        if self.inv.stream_json || self.inv.stream_json_thinking {
            self.out.raw(bytes)?;
        }
        self.out.lines += 1;
        if !self.out.delay.is_zero() {
            std::thread::sleep(self.out.delay);
        }
        Ok(())
    }

    pub(super) fn crash(&mut self) -> Result<(), Fail> {
        let sc = self.crash_scenario.clone().unwrap_or_default();
        if sc.num("partial", 0) == 1 {
            self.out
                .raw(b"{\"type\":\"assistant\",\"message\":{\"type\":\"mess")?;
        }
        let _ = self.out.flush();
        self.record.insert("crashed".into(), Value::Bool(true));
        self.write_record();
        let _ = writeln!(
            std::io::stderr(),
            "amp-stub: simulated crash after {} lines",
            self.out.lines
        );
        if let Some(sig) = sc.text("signal") {
            let num = signal_number(sig);
            // SAFETY: resetting a disposition and signalling ourselves have no preconditions.
            unsafe {
                libc::signal(num, libc::SIG_DFL);
                libc::kill(libc::getpid(), num);
            }
            std::thread::sleep(Duration::from_secs(5));
        }
        std::process::exit(sc.num("code", 2) as i32);
    }

    pub(super) fn init(&mut self) -> Result<(), Fail> {
        if self.init_done {
            return Ok(());
        }
        self.init_done = true;
        let cwd = std::env::current_dir()
            .map(|d| d.to_string_lossy().into_owned())
            .unwrap_or_default();
        let mut servers: Vec<J> = self
            .mcp_servers
            .iter()
            .map(|name| obj(vec![("name", s(name.clone())), ("status", s("connected"))]))
            .collect();
        if self.scenario.name == StubScenario::UnknownTypes {
            servers.push(obj(vec![
                ("name", s("future-server")),
                ("status", s("hibernating")),
            ]));
        }
        let sid = self.session_id.clone();
        self.emit(obj(vec![
            ("type", s("system")),
            ("subtype", s("init")),
            ("cwd", s(cwd)),
            ("session_id", s(sid)),
            ("tools", J::A(TOOLS.iter().map(|t| s(*t)).collect())),
            ("mcp_servers", J::A(servers)),
        ]))
    }

    pub(super) fn user(&mut self, content: J, parent: Option<&str>) -> Result<(), Fail> {
        let sid = self.session_id.clone();
        self.emit(obj(vec![
            ("type", s("user")),
            (
                "message",
                obj(vec![("role", s("user")), ("content", content)]),
            ),
            ("parent_tool_use_id", parent.map(s).unwrap_or_else(null)),
            ("session_id", s(sid)),
        ]))
    }

    pub(super) fn usage_for(&mut self, out_tokens: u64) -> J {
        let k = self.usage[0] / 1000 + 1;
        let u = [12_000 + 37 * k, 300 + k, 11_000 + k, out_tokens];
        for (acc, v) in self.usage.iter_mut().zip(u) {
            *acc += v;
        }
        obj(vec![
            ("input_tokens", n(u[0])),
            ("cache_creation_input_tokens", n(u[1])),
            ("cache_read_input_tokens", n(u[2])),
            ("output_tokens", n(u[3])),
            ("max_tokens", n(968_000)),
            ("service_tier", s("standard")),
        ])
    }

    pub(super) fn assistant(&mut self, mut content: Vec<J>, stop: &str) -> Result<(), Fail> {
        if self.inv.stream_json_thinking
            && self.scenario.name != StubScenario::Thinking
            && stop == "end_turn"
        {
            content.insert(0, thinking_block("Let me think about how to answer this."));
        }
        let usage = self.usage_for(8 + content.len() as u64);
        let sid = self.session_id.clone();
        self.emit(obj(vec![
            ("type", s("assistant")),
            (
                "message",
                obj(vec![
                    ("type", s("message")),
                    ("role", s("assistant")),
                    ("content", J::A(content)),
                    ("stop_reason", s(stop)),
                    ("usage", usage),
                ]),
            ),
            ("parent_tool_use_id", null()),
            ("session_id", s(sid)),
        ]))
    }

    pub(super) fn success(&mut self, text: &str) -> Result<(), Fail> {
        let sid = self.session_id.clone();
        let ms = self.start.elapsed().as_millis() as u64;
        let mut fields = vec![
            ("type", s("result")),
            ("subtype", s("success")),
            ("duration_ms", n(ms)),
            ("is_error", b(false)),
            ("num_turns", n(self.num_turns)),
            ("result", s(text)),
            ("session_id", s(sid)),
            (
                "usage",
                obj(vec![
                    ("input_tokens", n(self.usage[0])),
                    ("cache_creation_input_tokens", n(self.usage[1])),
                    ("cache_read_input_tokens", n(self.usage[2])),
                    ("output_tokens", n(self.usage[3])),
                ]),
            ),
        ];
        if self.scenario.name == StubScenario::UnknownTypes {
            fields.push(("permission_denials", J::A(vec![])));
            fields.push(("future_field", obj(vec![("nested", b(true))])));
        }
        self.emit(obj(fields))?;
        if !(self.inv.stream_json || self.inv.stream_json_thinking) {
            writeln!(std::io::stdout(), "{text}")?;
        }
        Ok(())
    }

    pub(super) fn error_result(&mut self, subtype: &str, error: &str) -> Result<(), Fail> {
        let sid = self.session_id.clone();
        let ms = self.start.elapsed().as_millis() as u64;
        self.emit(obj(vec![
            ("type", s("result")),
            ("subtype", s(subtype)),
            ("duration_ms", n(ms)),
            ("is_error", b(true)),
            ("num_turns", n(self.num_turns)),
            ("error", s(error)),
            ("session_id", s(sid)),
        ]))?;
        if !(self.inv.stream_json || self.inv.stream_json_thinking) {
            writeln!(std::io::stderr(), "Error: {error}")?;
        }
        Ok(())
    }

    pub(super) fn hang(&mut self) -> ! {
        let _ = self.out.flush();
        self.write_record();
        loop {
            std::thread::sleep(Duration::from_secs(3600));
        }
    }
}

pub(super) fn text_block(text: &str) -> J {
    obj(vec![("type", s("text")), ("text", s(text))])
}

pub(super) fn thinking_block(text: &str) -> J {
    obj(vec![
        ("type", s("thinking")),
        ("thinking", s(text)),
        ("signature", s("c3R1Yi1zaWduYXR1cmU=")),
    ])
}

pub(super) fn tool_use(id: &str, name: &str, input: Value) -> J {
    obj(vec![
        ("type", s("tool_use")),
        ("id", s(id)),
        ("name", s(name)),
        ("input", J::V(input)),
    ])
}

pub(super) fn signal_number(name: &str) -> i32 {
    if let Ok(n) = name.parse::<i32>() {
        return n;
    }
    match name.trim_start_matches("SIG").to_ascii_uppercase().as_str() {
        "KILL" => libc::SIGKILL,
        "TERM" => libc::SIGTERM,
        "SEGV" => libc::SIGSEGV,
        "ABRT" => libc::SIGABRT,
        "INT" => libc::SIGINT,
        "HUP" => libc::SIGHUP,
        "QUIT" => libc::SIGQUIT,
        "BUS" => libc::SIGBUS,
        _ => libc::SIGKILL,
    }
}
