//! # ampere-transcript
//!
//! Generates a realistic Amp stream-JSON transcript, one JSON object per line, shaped like the
//! public examples of `amp --execute --stream-json` output: `system`/`init`, the user's prompt,
//! then per turn an `assistant` message (optional thinking, text, one `tool_use`) and a `user`
//! message with its `tool_result` (200 B to 20 KB of text with escapes and non-ASCII, or about
//! 1 MB every `big_every` turns), then a final `assistant` message and a success `result`
//! whose usage totals the turns'.
//!
//! The output is a pure function of [`Options`]: the same options give the same bytes, on
//! every platform. It is byte for byte what the project's earlier Python generator
//! (`gen_transcript.py`, same options) printed, since its random numbers are CPython's.
//!
//! ```
//! let opts = ampere_transcript::Options::new(3).seed(7).thinking(true);
//! let bytes = ampere_transcript::generate(&opts);
//! assert_eq!(bytes.iter().filter(|b| **b == b'\n').count(), 2 + 2 * 3 + 2);
//! ```
//!
//! The `gen-transcript` binary writes one to stdout:
//! `cargo run -p ampere-transcript -- --turns 5000 --thinking --big-every 10 > t.jsonl`.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod args;
mod random;

use std::io::{self, Write};

pub use args::{parse_args, ArgsError, Command, USAGE};
use random::PyRandom;

/// The nominal size of a big tool result (one every [`Options::big_every`] turns), as of any
/// tool result: its text is `size / 8` words cut at `size` characters. For a big one that is
/// about 930,000 characters, a JSON line of about 1 MB.
pub const BIG_RESULT_SIZE: usize = 1_000_000;

/// The tools the `init` line announces.
pub const TOOLS: [&str; 23] = [
    "Bash",
    "create_file",
    "edit_file",
    "find_thread",
    "finder",
    "glob",
    "Grep",
    "handoff",
    "librarian",
    "look_at",
    "mermaid",
    "oracle",
    "painter",
    "Read",
    "read_mcp_resource",
    "read_thread",
    "read_web_page",
    "skill",
    "Task",
    "task_list",
    "undo_edit",
    "web_search",
    "mcp__playwright__browser_navigate",
];

/// The words text is made of: quotes, tabs, newlines, backslashes, braces and non-ASCII, so
/// every line exercises JSON escapes and UTF-8.
const WORDS: [&str; 16] = [
    "the",
    "function",
    "returns",
    "error",
    "config",
    "üñíçødé",
    "path",
    "\"quoted\"",
    "tab\there",
    "line\nbreak",
    "src/main.rs",
    "{brace}",
    "back\\slash",
    "ok",
    "test",
    "日本語",
];

/// The tools the assistant calls, one per turn.
const CALLED: [&str; 4] = ["Bash", "Read", "edit_file", "Grep"];

/// What to generate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// Turns (an assistant message with a tool call, then its tool result). Default 100.
    pub turns: u64,
    /// The seed of the random content. Default 1.
    pub seed: u64,
    /// Start every assistant turn with a thinking block. Default off.
    pub thinking: bool,
    /// Every `big_every`-th turn's tool result is big (see [`BIG_RESULT_SIZE`]: about 1 MB);
    /// 0 (the default) never.
    pub big_every: u64,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            turns: 100,
            seed: 1,
            thinking: false,
            big_every: 0,
        }
    }
}

impl Options {
    /// `turns` turns, the other options at their defaults.
    pub fn new(turns: u64) -> Self {
        Options {
            turns,
            ..Options::default()
        }
    }

    /// Sets [`Options::seed`].
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Sets [`Options::thinking`].
    pub fn thinking(mut self, thinking: bool) -> Self {
        self.thinking = thinking;
        self
    }

    /// Sets [`Options::big_every`].
    pub fn big_every(mut self, big_every: u64) -> Self {
        self.big_every = big_every;
        self
    }

    /// The number of lines the transcript has: `2 + 2 * turns + 2`.
    pub fn line_count(&self) -> u64 {
        self.turns.saturating_mul(2).saturating_add(4)
    }
}

/// The whole transcript, every line ended by `\n`.
pub fn generate(opts: &Options) -> Vec<u8> {
    let mut out = Vec::new();
    for line in Lines::new(opts) {
        out.extend_from_slice(line.as_bytes());
        out.push(b'\n');
    }
    out
}

/// Writes the transcript to `out`, one line at a time (memory stays at one line, however many
/// turns), every line ended by `\n`.
pub fn write_to(opts: &Options, mut out: impl Write) -> io::Result<()> {
    for line in Lines::new(opts) {
        out.write_all(line.as_bytes())?;
        out.write_all(b"\n")?;
    }
    out.flush()
}

/// The transcript's lines (without their `\n`), generated one at a time.
#[derive(Clone)]
pub struct Lines {
    rng: PyRandom,
    opts: Options,
    /// The session id, as a quoted JSON string.
    sid_json: String,
    state: State,
    turn: u64,
    total_in: u64,
    total_out: u64,
}

#[derive(Clone)]
enum State {
    Init,
    Prompt,
    /// The assistant half of the current turn, or the end if all turns are done.
    Assistant,
    /// The tool result answering the assistant message just produced.
    ToolResult {
        tid: String,
        parent: Option<String>,
    },
    Result,
    Done,
}

impl Lines {
    /// The lines of the transcript `opts` describes.
    pub fn new(opts: &Options) -> Self {
        let mut rng = PyRandom::new(opts.seed);
        let sid = format!("T-{:08x}-90ed-4f85-8b73-8f9766029e83", rng.getrandbits(32));
        let mut sid_json = String::new();
        push_json_str(&mut sid_json, &sid);
        Lines {
            rng,
            opts: opts.clone(),
            sid_json,
            state: State::Init,
            turn: 0,
            total_in: 0,
            total_out: 0,
        }
    }

    /// `n` words from [`WORDS`], separated by spaces.
    fn words(&mut self, n: u64) -> String {
        let mut s = String::new();
        for i in 0..n {
            if i > 0 {
                s.push(' ');
            }
            let word = self.rng.choice(&WORDS);
            s.push_str(word);
        }
        s
    }

    fn assistant(&mut self) -> (String, String, Option<String>) {
        let t = self.turn;
        let tid = format!("toolu_{:024x}", self.rng.getrandbits(96));
        let mut content = String::new();
        if self.opts.thinking {
            let n = self.rng.randint(10, 80);
            let thinking = self.words(n);
            content.push_str(r#"{"type":"thinking","thinking":"#);
            push_json_str(&mut content, &thinking);
            content.push_str("},");
        }
        let n = self.rng.randint(5, 60);
        let text = self.words(n);
        content.push_str(r#"{"type":"text","text":"#);
        push_json_str(&mut content, &text);
        content.push('}');
        let tool = self.rng.choice(&CALLED);
        // The Python original built every tool's input, then picked one: the edit's words are
        // drawn whichever tool was chosen.
        let old_str = self.words(20);
        let new_str = self.words(25);
        let input = match tool {
            "Bash" => r#"{"cmd":"cargo test -p core -- --nocapture","cwd":"/home/user/project"}"#
                .to_string(),
            "Read" => {
                r#"{"path":"/home/user/project/src/lib.rs","read_range":[1,200]}"#.to_string()
            }
            "edit_file" => {
                let mut s = String::from(r#"{"path":"src/lib.rs","old_str":"#);
                push_json_str(&mut s, &old_str);
                s.push_str(r#","new_str":"#);
                push_json_str(&mut s, &new_str);
                s.push('}');
                s
            }
            _ => r#"{"pattern":"fn main","path":"src"}"#.to_string(),
        };
        content.push_str(r#",{"type":"tool_use","id":"#);
        push_json_str(&mut content, &tid);
        content.push_str(r#","name":"#);
        push_json_str(&mut content, tool);
        content.push_str(r#","input":"#);
        content.push_str(&input);
        content.push('}');
        let input_tokens = self.rng.randint(1000, 90000);
        let cache_creation = self.rng.randint(0, 900);
        let cache_read = self.rng.randint(0, 80000);
        let output_tokens = self.rng.randint(5, 900);
        self.total_in += input_tokens;
        self.total_out += output_tokens;
        let parent = if self.rng.random() < 0.8 {
            None
        } else {
            Some(format!("toolu_parent_{t}"))
        };
        let mut line = String::from(
            r#"{"type":"assistant","message":{"type":"message","role":"assistant","model":"claude-x","content":["#,
        );
        line.push_str(&content);
        line.push_str(&format!(
            concat!(
                r#"],"stop_reason":"tool_use","usage":{{"input_tokens":{},"#,
                r#""cache_creation_input_tokens":{},"cache_read_input_tokens":{},"#,
                r#""output_tokens":{},"max_tokens":968000,"service_tier":"standard"}}}},"#,
                r#""parent_tool_use_id":"#
            ),
            input_tokens, cache_creation, cache_read, output_tokens
        ));
        self.push_parent_and_sid(&mut line, parent.as_deref());
        (line, tid, parent)
    }

    fn tool_result(&mut self, tid: &str, parent: Option<&str>) -> String {
        let t = self.turn;
        let mut size = self.rng.randint(200, 20000) as usize;
        if self.opts.big_every != 0 && t % self.opts.big_every == self.opts.big_every - 1 {
            size = BIG_RESULT_SIZE;
        }
        let mut body = self.words(size as u64 / 8);
        if let Some((cut, _)) = body.char_indices().nth(size) {
            body.truncate(cut);
        }
        let is_error = self.rng.random() < 0.1;
        let mut line = String::with_capacity(body.len() + 256);
        line.push_str(
            r#"{"type":"user","message":{"role":"user","content":[{"type":"tool_result","tool_use_id":"#,
        );
        push_json_str(&mut line, tid);
        line.push_str(r#","content":"#);
        push_json_str(&mut line, &body);
        line.push_str(&format!(
            r#","is_error":{is_error}}}]}},"parent_tool_use_id":"#
        ));
        self.push_parent_and_sid(&mut line, parent);
        line
    }

    /// Appends `<parent or null>,"session_id":"<sid>"}`.
    fn push_parent_and_sid(&self, line: &mut String, parent: Option<&str>) {
        match parent {
            Some(p) => push_json_str(line, p),
            None => line.push_str("null"),
        }
        line.push_str(r#","session_id":"#);
        line.push_str(&self.sid_json);
        line.push('}');
    }
}

impl Iterator for Lines {
    type Item = String;

    fn next(&mut self) -> Option<String> {
        let sid_json = &self.sid_json;
        match std::mem::replace(&mut self.state, State::Done) {
            State::Init => {
                self.state = State::Prompt;
                let mut line = String::from(
                    r#"{"type":"system","subtype":"init","cwd":"/home/user/project","session_id":"#,
                );
                line.push_str(sid_json);
                line.push_str(r#","tools":["#);
                for (i, tool) in TOOLS.iter().enumerate() {
                    if i > 0 {
                        line.push(',');
                    }
                    push_json_str(&mut line, tool);
                }
                line.push_str(r#"],"mcp_servers":[{"name":"playwright","status":"connected"}]}"#);
                Some(line)
            }
            State::Prompt => {
                self.state = State::Assistant;
                Some(format!(
                    concat!(
                        r#"{{"type":"user","message":{{"role":"user","content":[{{"type":"text","#,
                        r#""text":"Fix the failing tests"}}]}},"parent_tool_use_id":null,"session_id":{}}}"#
                    ),
                    sid_json
                ))
            }
            State::Assistant if self.turn < self.opts.turns => {
                let (line, tid, parent) = self.assistant();
                self.state = State::ToolResult { tid, parent };
                Some(line)
            }
            State::Assistant => {
                self.state = State::Result;
                Some(format!(
                    concat!(
                        r#"{{"type":"assistant","message":{{"type":"message","role":"assistant","#,
                        r#""content":[{{"type":"text","text":"All tests pass now."}}],"stop_reason":"end_turn","#,
                        r#""usage":{{"input_tokens":1200,"output_tokens":12}}}},"parent_tool_use_id":null,"#,
                        r#""session_id":{}}}"#
                    ),
                    sid_json
                ))
            }
            State::ToolResult { tid, parent } => {
                let line = self.tool_result(&tid, parent.as_deref());
                self.turn += 1;
                self.state = State::Assistant;
                Some(line)
            }
            State::Result => Some(format!(
                concat!(
                    r#"{{"type":"result","subtype":"success","duration_ms":123456,"is_error":false,"#,
                    r#""num_turns":{},"result":"All tests pass now.","session_id":{},"#,
                    r#""usage":{{"input_tokens":{},"output_tokens":{}}}}}"#
                ),
                self.opts.turns.saturating_add(1),
                sid_json,
                self.total_in,
                self.total_out
            )),
            State::Done => None,
        }
    }
}

/// Appends `s` as a JSON string, escaped the way Python's `json.dumps(ensure_ascii=False)`
/// and serde_json both escape: `"`, `\`, and control characters (`\n`, `\t`, ..., `\u00XX`).
fn push_json_str(out: &mut String, s: &str) {
    // serde_json's string escaping is exactly Python's here; writing to a String cannot fail.
    match serde_json::to_string(s) {
        Ok(quoted) => out.push_str(&quoted),
        Err(_) => out.push_str("\"\""),
    }
}
