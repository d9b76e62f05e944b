//! [`Recorder`]: writes one execution to a recording file (`ampere_core::recording`) as it
//! runs. Created by [`prepare_execution`](crate::prepare_execution) when the client has
//! `record_to(path)`; fed by [`RunState`](crate::RunState), so every runtime records the
//! same way.

use std::ffi::OsString;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use ampere_core::options::AmpOptions;
use ampere_core::plan::PromptKind;
use ampere_core::recording::{Event, Header, Invocation, PromptShape, PRIVATE_DIR};
use ampere_core::run::{AgentError, ExitInfo};
use serde_json::Value;

/// What replaces a secret value in a recording's option summary.
pub const REDACTED: &str = "<redacted>";

/// Writes one execution's recording, line by line, flushing after each line so that a
/// recording of a crashed program is still readable up to the crash.
pub struct Recorder {
    path: PathBuf,
    file: Option<BufWriter<File>>,
    start: Instant,
    stdout: Vec<u8>,
    stderr: Vec<u8>,
    exit: Option<ExitInfo>,
    exit_written: bool,
}

impl std::fmt::Debug for Recorder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Recorder")
            .field("path", &self.path)
            .field("writing", &self.file.is_some())
            .finish_non_exhaustive()
    }
}

impl Recorder {
    /// Creates (truncates) `path` and writes the header of an execution with `args`
    /// (`private_dir` replaced by the placeholder), `prompt` and `options` (secrets removed).
    pub fn create(
        path: &Path,
        args: &[OsString],
        private_dir: &Path,
        prompt: &PromptKind,
        options: &AmpOptions,
    ) -> Result<Recorder, AgentError> {
        let context = || format!("creating the recording {}", path.display());
        let file = File::create(path).map_err(|e| AgentError::io(context(), &e))?;
        let private = private_dir.to_string_lossy().into_owned();
        let args = args
            .iter()
            .map(|a| a.to_string_lossy().replace(private.as_str(), PRIVATE_DIR))
            .collect();
        let shape = match prompt {
            PromptKind::Stream => PromptShape::Stream,
            _ => PromptShape::Text,
        };
        let invocation = Invocation::new(args, shape, redacted_options(options));
        let header = Header::new(env!("CARGO_PKG_VERSION"), invocation);
        let mut recorder = Recorder {
            path: path.to_path_buf(),
            file: Some(BufWriter::new(file)),
            start: Instant::now(),
            stdout: Vec::new(),
            stderr: Vec::new(),
            exit: None,
            exit_written: false,
        };
        recorder.write(&header.to_line());
        match recorder.file {
            Some(_) => Ok(recorder),
            None => Err(AgentError::Io {
                context: context(),
                kind: std::io::ErrorKind::Other,
                message: "cannot write the header".into(),
            }),
        }
    }

    fn t_us(&self, now: Instant) -> u64 {
        u64::try_from(now.saturating_duration_since(self.start).as_micros()).unwrap_or(u64::MAX)
    }

    fn write(&mut self, line: &str) {
        let Some(file) = &mut self.file else { return };
        if let Err(error) = file.write_all(line.as_bytes()).and_then(|()| file.flush()) {
            tracing::warn!(target: "ampere", %error, path = %self.path.display(), "cannot write the recording; recording stops here");
            self.file = None;
        }
    }

    fn lines(&mut self, stderr: bool, bytes: &[u8], now: Instant) {
        let t = self.t_us(now);
        let mut pending = std::mem::take(if stderr {
            &mut self.stderr
        } else {
            &mut self.stdout
        });
        pending.extend_from_slice(bytes);
        let mut start = 0;
        while let Some(at) = memchr_newline(&pending[start..]) {
            let end = start + at + 1;
            let line = &pending[start..end];
            let event = if stderr {
                Event::stderr(t, line)
            } else {
                Event::stdout(t, line)
            };
            self.write(&event.to_line());
            start = end;
        }
        pending.drain(..start);
        *(if stderr {
            &mut self.stderr
        } else {
            &mut self.stdout
        }) = pending;
    }

    /// Bytes read from stdout at `now`.
    pub fn stdout(&mut self, bytes: &[u8], now: Instant) {
        self.lines(false, bytes, now);
    }

    /// Bytes read from stderr at `now`.
    pub fn stderr(&mut self, bytes: &[u8], now: Instant) {
        self.lines(true, bytes, now);
    }

    /// One of the streams ended: its partial last line is written.
    pub fn stream_end(&mut self, stderr: bool, now: Instant) {
        let pending = std::mem::take(if stderr {
            &mut self.stderr
        } else {
            &mut self.stdout
        });
        if !pending.is_empty() {
            let t = self.t_us(now);
            let event = if stderr {
                Event::stderr(t, &pending)
            } else {
                Event::stdout(t, &pending)
            };
            self.write(&event.to_line());
        }
    }

    /// A write to stdin.
    pub fn stdin(&mut self, bytes: &[u8]) {
        let event = Event::stdin(self.t_us(Instant::now()), bytes);
        self.write(&event.to_line());
    }

    /// Stdin was closed.
    pub fn stdin_closed(&mut self) {
        let t_us = self.t_us(Instant::now());
        self.write(&Event::StdinClosed { t_us }.to_line());
    }

    /// The CLI exited; written once the pipes are done ([`finish`](Self::finish)).
    pub fn exited(&mut self, exit: ExitInfo) {
        self.exit = Some(exit);
    }

    /// The process side is over: partial lines and the exit are written.
    pub fn finish(&mut self) {
        if self.exit_written {
            return;
        }
        let now = Instant::now();
        self.stream_end(false, now);
        self.stream_end(true, now);
        if let Some(exit) = self.exit {
            self.exit_written = true;
            let t_us = self.t_us(now);
            let (code, signal) = (exit.code, exit.signal);
            let (code, signal) = if code.is_none() && signal.is_none() {
                (Some(-1), None)
            } else {
                (code, signal)
            };
            self.write(&Event::Exit { t_us, code, signal }.to_line());
        }
    }
}

impl Drop for Recorder {
    fn drop(&mut self) {
        self.finish();
    }
}

fn memchr_newline(bytes: &[u8]) -> Option<usize> {
    bytes.iter().position(|b| *b == b'\n')
}

/// The options as JSON with every secret removed: values of `env` and `headers` maps,
/// MCP server arguments, the system prompt's text (only its length stays), and values of
/// keys that name a secret (`token`, `secret`, `password`, `key`, `auth`, `cookie`,
/// `credential`).
pub fn redacted_options(options: &AmpOptions) -> Value {
    let mut value = serde_json::to_value(options).unwrap_or(Value::Null);
    if let Some(Value::String(prompt)) = value.get_mut("system_prompt") {
        *prompt = format!("<{} chars>", prompt.chars().count());
    }
    if let Some(Value::String(text)) = value.get_mut("mcp_config") {
        // A path stays; JSON text that did not parse may hold anything.
        if text.trim_start().starts_with('{') {
            *text = REDACTED.into();
        }
    }
    redact(&mut value);
    value
}

fn secret_key(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    [
        "token",
        "secret",
        "password",
        "key",
        "auth",
        "cookie",
        "credential",
    ]
    .iter()
    .any(|word| key.contains(word))
}

fn redact(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for (key, item) in map.iter_mut() {
                if matches!(key.as_str(), "env" | "headers") {
                    redact_all(item);
                } else if key == "args" || secret_key(key) {
                    *item = Value::String(REDACTED.into());
                } else {
                    redact(item);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(redact),
        _ => {}
    }
}

/// Keeps the keys of a map, every value redacted.
fn redact_all(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for item in map.values_mut() {
                *item = Value::String(REDACTED.into());
            }
        }
        other => *other = Value::String(REDACTED.into()),
    }
}
