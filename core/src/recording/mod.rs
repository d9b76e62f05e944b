//! The recording format: what `record_to(path)` writes and what `ampere-testing` replays.
//!
//! A recording is a JSON-lines file (UTF-8, one JSON object per line, `\n` after each). The
//! first line is the [`Header`]; every further line is one [`Event`], in the order it
//! happened. Every object has an `"event"` field naming its kind.
//!
//! ```text
//! {"event":"header","format":"ampere-recording","version":1,"ampere_version":"0.1.0","invocation":{"args":["--execute","--stream-json"],"prompt":"text","options":{}}}
//! {"event":"stdin","t_us":105,"text":"What is 2+2?\n"}
//! {"event":"stdin_closed","t_us":130}
//! {"event":"stdout","t_us":9120,"text":"{\"type\":\"system\",\"subtype\":\"init\",...}\n"}
//! {"event":"stderr","t_us":9200,"text":"warming up\n"}
//! {"event":"exit","t_us":15001,"code":0}
//! ```
//!
//! - `t_us`: microseconds since the recording started (the invocation was planned).
//! - `stdout` / `stderr`: bytes the CLI printed, one line per event (ending with `\n`; the
//!   last one may lack it: a partial line). UTF-8 bytes are in `text`; any other bytes are in
//!   `hex` (lowercase, two digits a byte) instead.
//! - `stdin`: one write to the CLI's stdin (the prompt and `\n`, or one user message as a
//!   JSON line in a session), `text` or `hex` as above. `stdin_closed`: ampere closed stdin.
//! - `exit`: how the CLI ended, `code` (exit code) or `signal` (signal number).
//!
//! The header's [`Invocation`] holds the argument list (the random private folder replaced
//! by [`PRIVATE_DIR`]), the prompt kind and a summary of the options with every secret
//! removed: environment values, MCP server environments and headers, the system prompt's
//! text and anything that looks like a token are never written.
//!
//! Versioning: [`FORMAT_VERSION`] grows when a reader of the old version would misread a
//! file; new optional fields and new event kinds do not change it. [`Recording::parse`]
//! refuses newer versions with an error naming both, and skips event kinds it does not
//! know (counted in [`Recording::skipped`]).

mod parse;

use serde::{Deserialize, Serialize};

pub use parse::RecordingError;

/// The `format` value of every header.
pub const FORMAT_NAME: &str = "ampere-recording";
/// The format version this crate writes and reads.
pub const FORMAT_VERSION: u32 = 1;
/// What replaces the private folder's path in a recorded argument.
pub const PRIVATE_DIR: &str = "{private}";

/// The first line of a recording.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Header {
    /// Always [`FORMAT_NAME`].
    pub format: String,
    /// The format version ([`FORMAT_VERSION`] when written by this crate).
    pub version: u32,
    /// The ampere version that wrote it.
    pub ampere_version: String,
    /// What was run.
    pub invocation: Invocation,
}

impl Header {
    /// A header of the current format version for `invocation`, written by ampere
    /// `ampere_version`.
    pub fn new(ampere_version: impl Into<String>, invocation: Invocation) -> Header {
        Header {
            format: FORMAT_NAME.to_string(),
            version: FORMAT_VERSION,
            ampere_version: ampere_version.into(),
            invocation,
        }
    }
}

/// The kind of prompt an execution had.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum PromptShape {
    /// A text prompt written to stdin, then stdin closed.
    Text,
    /// Streamed user messages (`--stream-json-input`): a session or a streamed prompt.
    Stream,
}

/// A summary of the invocation, with no secret in it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Invocation {
    /// The arguments after the program name, the private folder replaced by
    /// [`PRIVATE_DIR`].
    pub args: Vec<String>,
    /// The prompt kind.
    pub prompt: PromptShape,
    /// The options (the `AmpOptions` JSON form) with secrets removed.
    #[serde(default)]
    pub options: serde_json::Value,
    /// Written by a transcript builder, not recorded: there is no invocation to compare a
    /// replay's against, and `stdin` events with empty text stand for "one user message,
    /// any content".
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub scripted: bool,
}

impl Invocation {
    /// An invocation summary.
    pub fn new(args: Vec<String>, prompt: PromptShape, options: serde_json::Value) -> Invocation {
        Invocation {
            args,
            prompt,
            options,
            scripted: false,
        }
    }

    /// The invocation of a scripted (not recorded) transcript with prompt kind `prompt`.
    pub fn scripted(prompt: PromptShape) -> Invocation {
        Invocation {
            args: Vec::new(),
            prompt,
            options: serde_json::Value::Object(serde_json::Map::new()),
            scripted: true,
        }
    }
}

/// Bytes of one event: UTF-8 text, or anything else as hex.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Chunk {
    /// The bytes, when they are UTF-8.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// The bytes as lowercase hex, when they are not UTF-8.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hex: Option<String>,
}

impl Chunk {
    /// The chunk of `bytes` (`text` when UTF-8, else `hex`).
    pub fn from_bytes(bytes: &[u8]) -> Chunk {
        match std::str::from_utf8(bytes) {
            Ok(text) => Chunk {
                text: Some(text.to_string()),
                hex: None,
            },
            Err(_) => {
                let mut hex = String::with_capacity(bytes.len() * 2);
                for b in bytes {
                    hex.push(char::from(HEX[usize::from(b >> 4)]));
                    hex.push(char::from(HEX[usize::from(b & 15)]));
                }
                Chunk {
                    text: None,
                    hex: Some(hex),
                }
            }
        }
    }

    /// The bytes; `None` when the hex is malformed or both or neither field is set.
    pub fn bytes(&self) -> Option<Vec<u8>> {
        match (&self.text, &self.hex) {
            (Some(text), None) => Some(text.as_bytes().to_vec()),
            (None, Some(hex)) => decode_hex(hex),
            _ => None,
        }
    }
}

const HEX: &[u8; 16] = b"0123456789abcdef";

fn decode_hex(hex: &str) -> Option<Vec<u8>> {
    let digits = hex.as_bytes();
    if !digits.len().is_multiple_of(2) {
        return None;
    }
    let value = |d: u8| match d {
        b'0'..=b'9' => Some(d - b'0'),
        b'a'..=b'f' => Some(d - b'a' + 10),
        b'A'..=b'F' => Some(d - b'A' + 10),
        _ => None,
    };
    digits
        .chunks(2)
        .map(|pair| Some((value(pair[0])? << 4) | value(pair[1])?))
        .collect()
}

/// One thing that happened during the run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Event {
    /// Bytes of stdout: one line (the last may be partial).
    Stdout {
        /// Microseconds since the start.
        t_us: u64,
        /// The bytes.
        #[serde(flatten)]
        chunk: Chunk,
    },
    /// Bytes of stderr: one line (the last may be partial).
    Stderr {
        /// Microseconds since the start.
        t_us: u64,
        /// The bytes.
        #[serde(flatten)]
        chunk: Chunk,
    },
    /// One write to stdin.
    Stdin {
        /// Microseconds since the start.
        t_us: u64,
        /// The bytes.
        #[serde(flatten)]
        chunk: Chunk,
    },
    /// Stdin was closed.
    StdinClosed {
        /// Microseconds since the start.
        t_us: u64,
    },
    /// The CLI ended.
    Exit {
        /// Microseconds since the start.
        t_us: u64,
        /// The exit code, when it exited normally.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        code: Option<i32>,
        /// The signal number, when a signal ended it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        signal: Option<i32>,
    },
}

impl Event {
    /// Microseconds since the start.
    pub fn t_us(&self) -> u64 {
        match self {
            Event::Stdout { t_us, .. }
            | Event::Stderr { t_us, .. }
            | Event::Stdin { t_us, .. }
            | Event::StdinClosed { t_us }
            | Event::Exit { t_us, .. } => *t_us,
        }
    }

    /// A stdout event.
    pub fn stdout(t_us: u64, bytes: &[u8]) -> Event {
        Event::Stdout {
            t_us,
            chunk: Chunk::from_bytes(bytes),
        }
    }

    /// A stderr event.
    pub fn stderr(t_us: u64, bytes: &[u8]) -> Event {
        Event::Stderr {
            t_us,
            chunk: Chunk::from_bytes(bytes),
        }
    }

    /// A stdin write.
    pub fn stdin(t_us: u64, bytes: &[u8]) -> Event {
        Event::Stdin {
            t_us,
            chunk: Chunk::from_bytes(bytes),
        }
    }

    /// One JSON line (with its `\n`).
    pub fn to_line(&self) -> String {
        to_line(self)
    }
}

fn to_line<T: Serialize>(value: &T) -> String {
    // Serializing these types cannot fail: string keys, no maps with other keys.
    let mut line = serde_json::to_string(value).unwrap_or_default();
    line.push('\n');
    line
}

impl Header {
    /// One JSON line (with its `\n`).
    pub fn to_line(&self) -> String {
        let mut value = serde_json::to_value(self).unwrap_or_default();
        if let serde_json::Value::Object(map) = &mut value {
            let mut ordered = serde_json::Map::new();
            ordered.insert("event".into(), "header".into());
            ordered.extend(std::mem::take(map));
            value = serde_json::Value::Object(ordered);
        }
        to_line(&value)
    }
}

/// A whole recording: its header and events.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Recording {
    /// The header.
    pub header: Header,
    /// The events, in order.
    pub events: Vec<Event>,
    /// How many lines had an event kind this version does not know (skipped).
    pub skipped: usize,
}

impl Recording {
    /// A recording of `header` and `events`.
    pub fn new(header: Header, events: Vec<Event>) -> Recording {
        Recording {
            header,
            events,
            skipped: 0,
        }
    }

    /// The file's bytes: the header line, then one line per event.
    pub fn to_jsonl(&self) -> String {
        let mut out = self.header.to_line();
        for event in &self.events {
            out.push_str(&event.to_line());
        }
        out
    }

    /// Parses a recording file's bytes; see [`RecordingError`] for what is refused.
    pub fn parse(bytes: &[u8]) -> Result<Recording, RecordingError> {
        parse::parse(bytes)
    }

    /// Every stdout byte, in order.
    pub fn stdout(&self) -> Vec<u8> {
        let mut out = Vec::new();
        for event in &self.events {
            if let Event::Stdout { chunk, .. } = event {
                out.extend(chunk.bytes().unwrap_or_default());
            }
        }
        out
    }

    /// The recorded exit, if the recording has one.
    pub fn exit(&self) -> Option<(Option<i32>, Option<i32>)> {
        self.events.iter().rev().find_map(|event| match event {
            Event::Exit { code, signal, .. } => Some((*code, *signal)),
            _ => None,
        })
    }
}
