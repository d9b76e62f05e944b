//! The server side of MCP over stdio (newline-delimited JSON-RPC 2.0), sans-IO: ampere's
//! in-process tools served to the Amp CLI.
//!
//! The CLI starts the relay configured in `--mcp-config`; the relay moves bytes between its
//! stdio and the SDK. The runtime feeds the bytes that arrive ([`McpServer::handle_bytes`])
//! and drains [`McpServer::poll_output`]: lines to write back, tool calls to run, cancelled
//! calls. It reports each call's outcome with [`McpServer::handle_call_result`].
//!
//! Handled: `initialize` (version negotiation), `notifications/initialized`, `ping`,
//! `tools/list`, `tools/call` (several in flight, each answered once), and
//! `notifications/cancelled` (no answer is sent for a cancelled call). Anything else gets the
//! JSON-RPC error it deserves: `-32700` for a line that is not JSON (or longer than the
//! limit), `-32600` for an invalid request, `-32601` for an unknown method, `-32602` for bad
//! parameters or an unknown tool, `-32002` for a request before `initialize`. A malformed
//! line never stops the server.

use std::collections::{HashMap, VecDeque};

use serde_json::{json, Map, Value};

/// The protocol versions this server speaks, newest first.
pub const SUPPORTED_PROTOCOL_VERSIONS: &[&str] =
    &["2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05"];

/// The longest request line accepted (bytes); a longer one is answered with a parse error.
pub const MAX_REQUEST_LINE: usize = 16 * 1024 * 1024;

/// One tool as the server lists it.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolSpec {
    /// The tool's name (unique).
    pub name: String,
    /// What it does, for the agent.
    pub description: String,
    /// The JSON Schema of its input (an object schema).
    pub input_schema: Value,
}

/// Identifies one `tools/call` in flight.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CallId(u64);

impl CallId {
    /// The raw number.
    pub fn as_u64(self) -> u64 {
        self.0
    }
}

/// One block of a tool's answer.
#[derive(Debug, Clone, PartialEq)]
pub enum ToolContent {
    /// Text for the agent.
    Text(String),
}

/// What a tool call produced.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ToolResult {
    /// Content blocks for the agent.
    pub content: Vec<ToolContent>,
    /// Structured content (`structuredContent`), when the tool returns JSON.
    pub structured: Option<Value>,
    /// True when the tool failed: the agent sees a tool error, not a protocol error.
    pub is_error: bool,
}

impl ToolResult {
    /// A text answer.
    pub fn text(text: impl Into<String>) -> Self {
        Self {
            content: vec![ToolContent::Text(text.into())],
            ..Self::default()
        }
    }

    /// A structured (JSON) answer, also given as text for clients that read only text.
    pub fn json(value: Value) -> Self {
        Self {
            content: vec![ToolContent::Text(value.to_string())],
            structured: Some(value),
            is_error: false,
        }
    }

    /// A tool error the agent sees as the tool's result.
    pub fn error(message: impl Into<String>) -> Self {
        Self {
            content: vec![ToolContent::Text(message.into())],
            structured: None,
            is_error: true,
        }
    }

    fn to_json(&self) -> Value {
        let content: Vec<Value> = self
            .content
            .iter()
            .map(|c| match c {
                ToolContent::Text(text) => json!({"type": "text", "text": text}),
            })
            .collect();
        let mut result = Map::new();
        result.insert("content".into(), Value::Array(content));
        if let Some(structured) = &self.structured {
            result.insert("structuredContent".into(), structured.clone());
        }
        if self.is_error {
            result.insert("isError".into(), Value::Bool(true));
        }
        Value::Object(result)
    }
}

/// What the runtime must do next.
#[derive(Debug, Clone, PartialEq)]
pub enum McpOutput {
    /// Write this line (it ends with `\n`) to the relay.
    Write(Vec<u8>),
    /// Run the tool `name` with `arguments`; report with
    /// [`McpServer::handle_call_result`].
    Call {
        /// Which call.
        id: CallId,
        /// The tool.
        name: String,
        /// Its arguments (an object).
        arguments: Value,
    },
    /// The client cancelled this call: stop it if you can; its result is not sent.
    Cancel(CallId),
}

/// Where the session is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    New,
    Initialized,
}

/// The MCP server of one execution. See the [module docs](self).
#[derive(Debug)]
pub struct McpServer {
    name: String,
    version: String,
    tools: Vec<ToolSpec>,
    phase: Phase,
    partial: Vec<u8>,
    discarding: bool,
    outputs: VecDeque<McpOutput>,
    next_call: u64,
    /// Calls in flight: their JSON-RPC request id.
    calls: HashMap<CallId, Value>,
    protocol_version: Option<String>,
}

impl McpServer {
    /// A server named `name` at `version` serving `tools`.
    pub fn new(name: impl Into<String>, version: impl Into<String>, tools: Vec<ToolSpec>) -> Self {
        Self {
            name: name.into(),
            version: version.into(),
            tools,
            phase: Phase::New,
            partial: Vec::new(),
            discarding: false,
            outputs: VecDeque::new(),
            next_call: 0,
            calls: HashMap::new(),
            protocol_version: None,
        }
    }

    /// The protocol version agreed on in `initialize`, once it came.
    pub fn protocol_version(&self) -> Option<&str> {
        self.protocol_version.as_deref()
    }

    /// How many calls are in flight.
    pub fn calls_in_flight(&self) -> usize {
        self.calls.len()
    }

    /// Bytes read from the relay.
    pub fn handle_bytes(&mut self, mut bytes: &[u8]) {
        while !bytes.is_empty() {
            let newline = memchr::memchr(b'\n', bytes);
            let (chunk, rest, complete) = match newline {
                Some(i) => (&bytes[..i], &bytes[i + 1..], true),
                None => (bytes, &[][..], false),
            };
            bytes = rest;
            if !self.discarding {
                if self.partial.len() + chunk.len() > MAX_REQUEST_LINE {
                    self.partial.clear();
                    self.discarding = true;
                    self.error(Value::Null, -32700, "Parse error: request line too long");
                } else {
                    self.partial.extend_from_slice(chunk);
                }
            }
            if complete {
                if self.discarding {
                    self.discarding = false;
                } else {
                    let line = std::mem::take(&mut self.partial);
                    self.line(&line);
                }
            }
        }
    }

    /// The relay closed its side: a last line without `\n` is handled; calls in flight stay
    /// until their results come (they are then dropped).
    pub fn handle_eof(&mut self) {
        if !self.discarding && !self.partial.is_empty() {
            let line = std::mem::take(&mut self.partial);
            self.line(&line);
        }
        self.discarding = false;
    }

    /// The outcome of a call from [`McpOutput::Call`]. Ignored for a cancelled or unknown
    /// call.
    pub fn handle_call_result(&mut self, id: CallId, result: ToolResult) {
        if let Some(request_id) = self.calls.remove(&id) {
            self.respond(request_id, result.to_json());
        }
    }

    /// The next thing to do; `None` when there is nothing until more input.
    pub fn poll_output(&mut self) -> Option<McpOutput> {
        self.outputs.pop_front()
    }

    fn line(&mut self, line: &[u8]) {
        let line = match line {
            [head @ .., b'\r'] => head,
            _ => line,
        };
        if line.iter().all(u8::is_ascii_whitespace) {
            return;
        }
        let value: Value = match serde_json::from_slice(line) {
            Ok(value) => value,
            Err(e) => return self.error(Value::Null, -32700, &format!("Parse error: {e}")),
        };
        match value {
            Value::Array(batch) if !batch.is_empty() => {
                for message in batch {
                    self.message(message);
                }
            }
            other => self.message(other),
        }
    }

    fn message(&mut self, message: Value) {
        let Value::Object(mut object) = message else {
            return self.error(Value::Null, -32600, "Invalid Request: not an object");
        };
        let id = object.remove("id");
        let valid_id = matches!(id, None | Some(Value::String(_) | Value::Number(_)));
        let method = match object.remove("method") {
            Some(Value::String(method)) if valid_id => method,
            // A response from the client (we send no requests) is ignored.
            None if object.contains_key("result") || object.contains_key("error") => return,
            _ => {
                let id = id.filter(|_| valid_id).unwrap_or(Value::Null);
                return self.error(id, -32600, "Invalid Request");
            }
        };
        let params = object.remove("params").unwrap_or(Value::Null);
        match id {
            None => self.notification(&method, params),
            Some(id) => self.request(id, &method, params),
        }
    }

    fn notification(&mut self, method: &str, params: Value) {
        match method {
            "notifications/initialized" => {}
            "notifications/cancelled" => {
                let Some(request_id) = params.get("requestId") else {
                    return;
                };
                let cancelled = self
                    .calls
                    .iter()
                    .find(|(_, rid)| *rid == request_id)
                    .map(|(id, _)| *id);
                if let Some(id) = cancelled {
                    self.calls.remove(&id);
                    self.outputs.push_back(McpOutput::Cancel(id));
                }
            }
            // Unknown notifications are ignored, as JSON-RPC asks.
            _ => {}
        }
    }

    fn request(&mut self, id: Value, method: &str, params: Value) {
        match method {
            "initialize" => self.initialize(id, &params),
            "ping" => self.respond(id, json!({})),
            _ if self.phase == Phase::New => {
                self.error(id, -32002, "Server not initialized: send initialize first")
            }
            "tools/list" => {
                let tools: Vec<Value> = self
                    .tools
                    .iter()
                    .map(|t| {
                        json!({"name": t.name, "description": t.description, "inputSchema": t.input_schema})
                    })
                    .collect();
                self.respond(id, json!({ "tools": tools }));
            }
            "tools/call" => self.call(id, params),
            other => self.error(id, -32601, &format!("Method not found: {other}")),
        }
    }

    fn initialize(&mut self, id: Value, params: &Value) {
        let asked = params.get("protocolVersion").and_then(Value::as_str);
        let version = match asked {
            Some(v) if SUPPORTED_PROTOCOL_VERSIONS.contains(&v) => v,
            _ => SUPPORTED_PROTOCOL_VERSIONS[0],
        };
        self.protocol_version = Some(version.to_string());
        self.phase = Phase::Initialized;
        self.respond(
            id,
            json!({
                "protocolVersion": version,
                "capabilities": {"tools": {"listChanged": false}},
                "serverInfo": {"name": self.name, "version": self.version},
            }),
        );
    }

    fn call(&mut self, id: Value, params: Value) {
        let Value::Object(mut params) = params else {
            return self.error(id, -32602, "Invalid params: expected an object");
        };
        let name = match params.remove("name") {
            Some(Value::String(name)) => name,
            _ => return self.error(id, -32602, "Invalid params: `name` must be a string"),
        };
        if !self.tools.iter().any(|t| t.name == name) {
            return self.error(id, -32602, &format!("Unknown tool: {name}"));
        }
        let arguments = match params.remove("arguments") {
            None | Some(Value::Null) => Value::Object(Map::new()),
            Some(Value::Object(args)) => Value::Object(args),
            Some(_) => {
                return self.error(id, -32602, "Invalid params: `arguments` must be an object")
            }
        };
        if self.calls.values().any(|rid| *rid == id) {
            return self.error(id, -32600, "Invalid Request: this id is already in flight");
        }
        let call = CallId(self.next_call);
        self.next_call += 1;
        self.calls.insert(call, id);
        self.outputs.push_back(McpOutput::Call {
            id: call,
            name,
            arguments,
        });
    }

    fn respond(&mut self, id: Value, result: Value) {
        self.write(json!({"jsonrpc": "2.0", "id": id, "result": result}));
    }

    fn error(&mut self, id: Value, code: i64, message: &str) {
        self.write(
            json!({"jsonrpc": "2.0", "id": id, "error": {"code": code, "message": message}}),
        );
    }

    fn write(&mut self, message: Value) {
        let mut line = message.to_string().into_bytes();
        line.push(b'\n');
        self.outputs.push_back(McpOutput::Write(line));
    }
}
