//! [`Transcript`]: a recording scripted in code, in the real CLI's stream-JSON shapes.

use std::time::Duration;

use ampere_core::recording::{Event, Header, Invocation, PromptShape, Recording};
use serde_json::Value;

/// Builds a recording without a real run: the messages the CLI would print, in its exact
/// shapes and key order (`system` init, `assistant` with `text` / `thinking` / `tool_use`
/// blocks, `user` with `tool_result`, `result` success or error, usage).
///
/// Replay it with [`Replay::builder`](crate::Replay::builder). A scripted transcript has no
/// invocation to compare against: any arguments and prompt are accepted.
///
/// ```
/// use ampere_testing::Transcript;
/// let recording = Transcript::new()
///     .system_init()
///     .thinking("The user wants a greeting.")
///     .assistant_text("Hello!")
///     .result("Hello!")
///     .build();
/// assert_eq!(recording.stdout().split(|b| *b == b'\n').filter(|l| !l.is_empty()).count(), 3);
/// ```
#[derive(Debug, Clone)]
#[must_use = "call build() to get the recording"]
pub struct Transcript {
    shape: PromptShape,
    session_id: String,
    cwd: String,
    events: Vec<Event>,
    t_us: u64,
    step_us: u64,
    usage: (u64, u64),
    totals: (u64, u64),
    turns: u64,
    thinking: Vec<String>,
    exit: Option<i32>,
    result_exit: i32,
}

/// The tools a scripted `system` init lists.
pub const DEFAULT_TOOLS: &[&str] = &["Bash", "Read", "edit_file", "create_file", "Grep", "glob"];

fn js(text: &str) -> String {
    // A string always serializes.
    serde_json::to_string(text).unwrap_or_default()
}

fn obj(fields: &[(&str, String)]) -> String {
    let body: Vec<String> = fields
        .iter()
        .map(|(key, value)| format!("{}:{value}", js(key)))
        .collect();
    format!("{{{}}}", body.join(","))
}

impl Default for Transcript {
    fn default() -> Self {
        Transcript::new()
    }
}

impl Transcript {
    /// A transcript of an execution with a text prompt (any prompt is accepted).
    pub fn new() -> Transcript {
        Transcript {
            shape: PromptShape::Text,
            session_id: "T-7e3b9c1a-0000-4000-8000-000000000001".to_string(),
            cwd: "/work".to_string(),
            events: Vec::new(),
            t_us: 0,
            step_us: 1000,
            usage: (12, 8),
            totals: (0, 0),
            turns: 0,
            thinking: Vec::new(),
            exit: None,
            result_exit: 0,
        }
    }

    /// A transcript of a session (`--stream-json-input`): mark where the CLI waits for each
    /// user message with [`user_turn`](Self::user_turn).
    pub fn session() -> Transcript {
        Transcript {
            shape: PromptShape::Stream,
            ..Transcript::new()
        }
    }

    /// The `session_id` every message carries (default a fixed `T-...` id).
    pub fn session_id(mut self, id: impl Into<String>) -> Self {
        self.session_id = id.into();
        self
    }

    /// The `cwd` of the init message (default `/work`).
    pub fn cwd(mut self, cwd: impl Into<String>) -> Self {
        self.cwd = cwd.into();
        self
    }

    /// Time between two scripted lines (default 1 ms; matters with recorded pacing).
    pub fn step(mut self, step: Duration) -> Self {
        self.step_us = u64::try_from(step.as_micros()).unwrap_or(u64::MAX);
        self
    }

    /// Lets `pause` pass before the next line (a slow agent, for timeout tests with
    /// recorded pacing).
    pub fn pause(mut self, pause: Duration) -> Self {
        let pause = u64::try_from(pause.as_micros()).unwrap_or(u64::MAX);
        self.t_us = self.t_us.saturating_add(pause);
        self
    }

    /// Usage of the following assistant messages: input and output tokens.
    pub fn usage(mut self, input_tokens: u64, output_tokens: u64) -> Self {
        self.usage = (input_tokens, output_tokens);
        self
    }

    fn tick(&mut self) -> u64 {
        self.t_us = self.t_us.saturating_add(self.step_us);
        self.t_us
    }

    /// Any stdout line as is (a `\n` is added), e.g. a message kind not covered here or a
    /// line that is not JSON.
    pub fn raw_line(mut self, line: &str) -> Self {
        let t = self.tick();
        self.events
            .push(Event::stdout(t, format!("{line}\n").as_bytes()));
        self
    }

    /// One stderr line.
    pub fn stderr(mut self, line: &str) -> Self {
        let t = self.tick();
        self.events
            .push(Event::stderr(t, format!("{line}\n").as_bytes()));
        self
    }

    /// The `system` `init` message with [`DEFAULT_TOOLS`] and no MCP servers.
    pub fn system_init(self) -> Self {
        self.system_init_with(DEFAULT_TOOLS, &[])
    }

    /// The `system` `init` message with these tools and MCP servers (name, status).
    pub fn system_init_with(self, tools: &[&str], mcp_servers: &[(&str, &str)]) -> Self {
        let tools: Vec<String> = tools.iter().map(|t| js(t)).collect();
        let servers: Vec<String> = mcp_servers
            .iter()
            .map(|(name, status)| obj(&[("name", js(name)), ("status", js(status))]))
            .collect();
        let line = obj(&[
            ("type", js("system")),
            ("subtype", js("init")),
            ("cwd", js(&self.cwd)),
            ("session_id", js(&self.session_id)),
            ("tools", format!("[{}]", tools.join(","))),
            ("mcp_servers", format!("[{}]", servers.join(","))),
        ]);
        self.raw_line(&line)
    }

    /// A session waits here for the next user message (any content).
    pub fn user_turn(mut self) -> Self {
        let t = self.tick();
        self.events.push(Event::stdin(t, b""));
        self
    }

    /// A thinking block, put first in the next assistant message.
    pub fn thinking(mut self, text: &str) -> Self {
        self.thinking.push(text.to_string());
        self
    }

    fn assistant(mut self, mut blocks: Vec<String>, stop_reason: &str) -> Self {
        let mut content: Vec<String> = self
            .thinking
            .drain(..)
            .map(|t| {
                obj(&[
                    ("type", js("thinking")),
                    ("thinking", js(&t)),
                    ("signature", js("c2NyaXB0ZWQ=")),
                ])
            })
            .collect();
        content.append(&mut blocks);
        let (input, output) = self.usage;
        self.totals.0 += input;
        self.totals.1 += output;
        let usage = obj(&[
            ("input_tokens", input.to_string()),
            ("cache_creation_input_tokens", "0".into()),
            ("cache_read_input_tokens", "0".into()),
            ("output_tokens", output.to_string()),
            ("max_tokens", "968000".into()),
            ("service_tier", js("standard")),
        ]);
        let message = obj(&[
            ("type", js("message")),
            ("role", js("assistant")),
            ("content", format!("[{}]", content.join(","))),
            ("stop_reason", js(stop_reason)),
            ("usage", usage),
        ]);
        self.turns += 1;
        let line = obj(&[
            ("type", js("assistant")),
            ("message", message),
            ("parent_tool_use_id", "null".into()),
            ("session_id", js(&self.session_id)),
        ]);
        self.raw_line(&line)
    }

    /// An assistant message with one text block (`stop_reason` `end_turn`).
    pub fn assistant_text(self, text: &str) -> Self {
        let block = obj(&[("type", js("text")), ("text", js(text))]);
        self.assistant(vec![block], "end_turn")
    }

    /// An assistant message calling tool `name` with `input` (`stop_reason` `tool_use`).
    pub fn tool_use(self, id: &str, name: &str, input: Value) -> Self {
        let block = obj(&[
            ("type", js("tool_use")),
            ("id", js(id)),
            ("name", js(name)),
            ("input", input.to_string()),
        ]);
        self.assistant(vec![block], "tool_use")
    }

    /// The user message carrying the result of tool call `id`.
    pub fn tool_result(self, id: &str, content: &str, is_error: bool) -> Self {
        let block = obj(&[
            ("type", js("tool_result")),
            ("tool_use_id", js(id)),
            ("content", js(content)),
            ("is_error", is_error.to_string()),
        ]);
        let message = obj(&[("role", js("user")), ("content", format!("[{block}]"))]);
        let line = obj(&[
            ("type", js("user")),
            ("message", message),
            ("parent_tool_use_id", "null".into()),
            ("session_id", js(&self.session_id)),
        ]);
        self.raw_line(&line)
    }

    fn duration_ms(&self) -> String {
        (self.t_us / 1000).to_string()
    }

    /// The success `result` with `text`; the CLI then exits 0.
    pub fn result(mut self, text: &str) -> Self {
        self.result_exit = 0;
        let usage = obj(&[
            ("input_tokens", self.totals.0.to_string()),
            ("cache_creation_input_tokens", "0".into()),
            ("cache_read_input_tokens", "0".into()),
            ("output_tokens", self.totals.1.to_string()),
        ]);
        let line = obj(&[
            ("type", js("result")),
            ("subtype", js("success")),
            ("duration_ms", self.duration_ms()),
            ("is_error", "false".into()),
            ("num_turns", self.turns.to_string()),
            ("result", js(text)),
            ("session_id", js(&self.session_id)),
            ("usage", usage),
        ]);
        self.raw_line(&line)
    }

    /// An error `result` (`is_error: true`) of `subtype` (e.g. `error_during_execution`,
    /// `error_max_turns`) with `error`; the CLI then exits 1.
    pub fn error_result(mut self, subtype: &str, error: &str) -> Self {
        self.result_exit = 1;
        let line = obj(&[
            ("type", js("result")),
            ("subtype", js(subtype)),
            ("duration_ms", self.duration_ms()),
            ("is_error", "true".into()),
            ("num_turns", self.turns.to_string()),
            ("error", js(error)),
            ("session_id", js(&self.session_id)),
        ]);
        self.raw_line(&line)
    }

    /// The exit code (default: 1 after an error result, else 0).
    pub fn exit(mut self, code: i32) -> Self {
        self.exit = Some(code);
        self
    }

    /// The recording: header (marked scripted), the input events, the lines, the exit.
    pub fn build(self) -> Recording {
        let header = Header::new(env!("CARGO_PKG_VERSION"), Invocation::scripted(self.shape));
        let mut events = Vec::with_capacity(self.events.len() + 3);
        if self.shape == PromptShape::Text {
            events.push(Event::stdin(0, b""));
            events.push(Event::StdinClosed { t_us: 0 });
        }
        events.extend(self.events);
        let end = self.t_us.saturating_add(self.step_us);
        if self.shape == PromptShape::Stream {
            events.push(Event::StdinClosed { t_us: end });
        }
        events.push(Event::Exit {
            t_us: end,
            code: Some(self.exit.unwrap_or(self.result_exit)),
            signal: None,
        });
        Recording::new(header, events)
    }
}
