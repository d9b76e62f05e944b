//! One execution of the Amp CLI, as a sans-IO state machine.
//!
//! [`AgentRun`] owns every decision about a running CLI process: it decodes stdout into
//! messages, keeps a bounded tail of stderr, tracks the overall and idle deadlines, asks
//! for `SIGTERM` and then `SIGKILL` when the run must end early, and classifies the exit
//! (a non-zero exit after a success result is not an error; a signal is named). The
//! runtime owns the process and pipes and only reports what happened.
//!
//! A drive loop, in the str0m style ("every input is followed by a full drain"):
//!
//! ```
//! use std::time::{Duration, Instant};
//! use ampere_core::run::{AgentRun, ExitInfo, RunConfig, RunOutput};
//!
//! # fn now() -> Instant { BASE.with(|b| *b) }
//! # thread_local!(static BASE: Instant = Instant::now());
//! let mut run = AgentRun::new(RunConfig::default(), now());
//! run.handle_stdout(br#"{"type":"result","subtype":"success","is_error":false,"result":"4","duration_ms":1,"num_turns":1,"session_id":"T-1"}
//! "#, now());
//! run.handle_stdout_eof(now());
//! run.handle_stderr_eof(now());
//! run.handle_exit(ExitInfo::code(0), now());
//! let mut messages = 0;
//! while let Some(out) = run.poll_output() {
//!     match out {
//!         RunOutput::Item(Ok(_message)) => messages += 1,
//!         RunOutput::Item(Err(error)) => eprintln!("bad line: {error}"),
//!         RunOutput::Signal(_signal) => { /* send it to the child's process group */ }
//!         RunOutput::Finished(outcome) => assert!(outcome.is_ok()),
//!     }
//! }
//! assert_eq!(messages, 1);
//! ```

use std::collections::VecDeque;
use std::fmt;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::decode::{DecodeError, Decoder, DecoderConfig};
use crate::error::ValidationError;
use crate::message::{ContentBlock, Message, Usage};

/// Limits and timeouts of one execution.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunConfig {
    /// Stream-JSON decoder settings (the maximum line length).
    pub decoder: DecoderConfig,
    /// End the run (SIGTERM, then SIGKILL) when it has lasted this long.
    pub overall_timeout: Option<Duration>,
    /// End the run when stdout has been silent this long.
    pub idle_timeout: Option<Duration>,
    /// Time between `SIGTERM` and `SIGKILL` (the spec's 5 s).
    pub kill_grace: Duration,
    /// How many trailing bytes of stderr are kept for the process error.
    pub stderr_tail_bytes: usize,
    /// After the process has exited, how long to wait for stdout to reach end of file
    /// (a grandchild may hold the pipe open) before finishing anyway.
    pub exit_drain_grace: Duration,
}

impl Default for RunConfig {
    fn default() -> Self {
        Self {
            decoder: DecoderConfig::default(),
            overall_timeout: None,
            idle_timeout: None,
            kill_grace: Duration::from_secs(5),
            stderr_tail_bytes: 64 * 1024,
            exit_drain_grace: Duration::from_secs(2),
        }
    }
}

/// How the child process ended, as the operating system reported it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ExitInfo {
    /// The exit code, when the process exited normally.
    pub code: Option<i32>,
    /// The signal number, when a signal ended the process.
    pub signal: Option<i32>,
}

impl ExitInfo {
    /// A normal exit with `code`.
    pub fn code(code: i32) -> Self {
        Self {
            code: Some(code),
            signal: None,
        }
    }

    /// An exit caused by signal number `signal`.
    pub fn signal(signal: i32) -> Self {
        Self {
            code: None,
            signal: Some(signal),
        }
    }

    /// True for a normal exit with code 0.
    pub fn success(&self) -> bool {
        self.code == Some(0) && self.signal.is_none()
    }
}

/// A signal the runtime must send to the child's process group.
///
/// A [`Signal::Kill`] can come after the exit was reported (when a leftover grandchild still
/// holds the output pipes open): send it to the group (the group id outlives its leader while
/// members remain; a group that is gone is not an error).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    /// `SIGTERM`: please stop.
    Terminate,
    /// `SIGKILL`: stop now (sent when the grace period after `SIGTERM` has passed).
    Kill,
}

/// Which deadline ended a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeoutKind {
    /// The run lasted longer than [`RunConfig::overall_timeout`].
    Overall,
    /// Stdout was silent longer than [`RunConfig::idle_timeout`].
    Idle,
}

impl fmt::Display for TimeoutKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TimeoutKind::Overall => "overall",
            TimeoutKind::Idle => "idle",
        })
    }
}

/// Every way running the Amp agent can fail. Shared by all runtimes.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum AgentError {
    /// The Amp CLI could not be found; the message says where ampere looked and how to
    /// install it.
    #[error("{message}")]
    CliNotFound {
        /// Human-readable explanation with install instructions.
        message: String,
        /// The places that were searched, in order.
        searched: Vec<PathBuf>,
    },
    /// An option, a permission rule, an MCP configuration or an input message broke a rule
    /// of the CLI contract; nothing was spawned.
    #[error(transparent)]
    Validation(#[from] ValidationError),
    /// The invocation could not be planned (for example an unreadable or invalid base
    /// settings file); nothing was spawned.
    #[error("{0}")]
    Plan(String),
    /// The CLI process failed: a non-zero exit without a success result, or a signal.
    #[error("{}", process_message(*exit_code, signal.as_deref(), stderr))]
    Process {
        /// The exit code, when it exited normally.
        exit_code: Option<i32>,
        /// The signal's name (such as `SIGKILL`), when a signal ended it.
        signal: Option<String>,
        /// The last bytes of its stderr (bounded), lossily decoded.
        stderr: String,
    },
    /// One stdout line could not be decoded; decoding went on with the next line.
    #[error("Amp CLI output: {0}")]
    Decode(#[from] DecodeError),
    /// The run was ended by its overall or idle timeout.
    #[error("Amp CLI {kind} timeout after {:.3}s", after.as_secs_f64())]
    Timeout {
        /// Which timeout.
        kind: TimeoutKind,
        /// Its configured length.
        after: Duration,
    },
    /// The run was cancelled by the caller.
    #[error("Amp CLI execution was cancelled")]
    Cancelled,
    /// An operating-system operation failed (spawning, a pipe, a temporary file).
    #[error("{context}: {message}")]
    Io {
        /// What was being done, such as `spawning /usr/bin/amp`.
        context: String,
        /// The `std::io::ErrorKind` of the failure.
        kind: std::io::ErrorKind,
        /// The operating system's message.
        message: String,
    },
    /// The CLI finished its output without a result message (run-to-completion helpers).
    #[error("the Amp CLI ended without a result message")]
    NoResult,
    /// The agent ended with an error result (run-to-completion helpers).
    #[error("the Amp agent failed ({subtype}): {error}")]
    ErrorResult {
        /// The result subtype, such as `error_during_execution`.
        subtype: String,
        /// The error text the CLI reported.
        error: String,
    },
}

impl AgentError {
    /// An [`AgentError::Io`] from an IO error and what was being done.
    pub fn io(context: impl Into<String>, error: &std::io::Error) -> Self {
        AgentError::Io {
            context: context.into(),
            kind: error.kind(),
            message: error.to_string(),
        }
    }
}

fn process_message(code: Option<i32>, signal: Option<&str>, stderr: &str) -> String {
    let mut s = match (signal, code) {
        (Some(sig), _) => format!("Amp CLI was killed by {sig}"),
        (None, Some(code)) => format!("Amp CLI exited with code {code}"),
        (None, None) => "Amp CLI exited abnormally".to_string(),
    };
    let tail = stderr.trim();
    if !tail.is_empty() {
        // The last few lines are what a human needs; the field holds the whole tail.
        let lines: Vec<&str> = tail.lines().collect();
        let start = lines.len().saturating_sub(5);
        s.push_str(": ");
        s.push_str(&lines[start..].join("\n"));
    }
    s
}

/// The conventional name of a POSIX signal number on Linux, such as `SIGTERM` for 15.
pub fn signal_name(signal: i32) -> String {
    let name = match signal {
        1 => "SIGHUP",
        2 => "SIGINT",
        3 => "SIGQUIT",
        4 => "SIGILL",
        5 => "SIGTRAP",
        6 => "SIGABRT",
        7 => "SIGBUS",
        8 => "SIGFPE",
        9 => "SIGKILL",
        10 => "SIGUSR1",
        11 => "SIGSEGV",
        12 => "SIGUSR2",
        13 => "SIGPIPE",
        14 => "SIGALRM",
        15 => "SIGTERM",
        24 => "SIGXCPU",
        25 => "SIGXFSZ",
        31 => "SIGSYS",
        other => return format!("signal {other}"),
    };
    format!("{name} ({signal})")
}

/// A bounded buffer that keeps the last `limit` bytes pushed into it.
#[derive(Debug, Clone)]
pub struct TailBuffer {
    buf: VecDeque<u8>,
    limit: usize,
    total: u64,
}

impl TailBuffer {
    /// A buffer keeping at most `limit` bytes.
    pub fn new(limit: usize) -> Self {
        Self {
            buf: VecDeque::with_capacity(limit.min(8192)),
            limit,
            total: 0,
        }
    }

    /// Appends bytes, dropping the oldest beyond the limit.
    pub fn push(&mut self, bytes: &[u8]) {
        self.total = self.total.saturating_add(bytes.len() as u64);
        if self.limit == 0 {
            return;
        }
        let keep = &bytes[bytes.len().saturating_sub(self.limit)..];
        let overflow = (self.buf.len() + keep.len()).saturating_sub(self.limit);
        self.buf.drain(..overflow);
        self.buf.extend(keep);
    }

    /// How many bytes were pushed in all (kept or not).
    pub fn total_bytes(&self) -> u64 {
        self.total
    }

    /// The kept bytes as text (invalid UTF-8 replaced; a character cut at the start of
    /// the window is dropped), prefixed with `…` when older bytes were dropped.
    pub fn to_string_lossy(&self) -> String {
        let (a, b) = self.buf.as_slices();
        let mut bytes = Vec::with_capacity(a.len() + b.len());
        bytes.extend_from_slice(a);
        bytes.extend_from_slice(b);
        let truncated = self.total > self.buf.len() as u64;
        let mut start = 0;
        if truncated {
            // Skip UTF-8 continuation bytes of a character cut by the window.
            while start < bytes.len() && start < 3 && (bytes[start] & 0xC0) == 0x80 {
                start += 1;
            }
        }
        let text = String::from_utf8_lossy(&bytes[start..]);
        if truncated {
            format!("…{text}")
        } else {
            text.into_owned()
        }
    }
}

/// What the runtime must do or deliver next.
#[derive(Debug)]
pub enum RunOutput {
    /// A decoded message, or a recoverable error for one stdout line. Deliver it to the
    /// user in order.
    Item(Result<Message, AgentError>),
    /// Send this signal to the child's process group.
    Signal(Signal),
    /// The run is over (the process has exited and stdout is drained); nothing follows.
    /// `Err` is the error to report after every message above.
    Finished(Result<(), AgentError>),
}

/// Why the run was asked to end early.
#[derive(Debug, Clone)]
enum EndReason {
    Timeout(TimeoutKind, Duration),
    Cancelled,
    Failed(AgentError),
}

/// One execution of the Amp CLI. See the [module docs](self).
///
/// The runtime reports the end of both output pipes ([`handle_stdout_eof`](Self::handle_stdout_eof),
/// [`handle_stderr_eof`](Self::handle_stderr_eof)) and the exit; [`RunOutput::Finished`] comes
/// once all three are known (a pipe still open [`RunConfig::exit_drain_grace`] after the
/// exit is given up on).
#[derive(Debug)]
pub struct AgentRun {
    config: RunConfig,
    decoder: Decoder,
    stderr: TailBuffer,
    started: Instant,
    last_stdout: Instant,
    got_success: bool,
    stdout_closed: bool,
    stderr_closed: bool,
    exit: Option<ExitInfo>,
    exit_drain_deadline: Option<Instant>,
    end_reason: Option<EndReason>,
    kill_deadline: Option<Instant>,
    pending_signals: VecDeque<Signal>,
    killed: bool,
    finished: bool,
}

impl AgentRun {
    /// A run that started at `now`.
    pub fn new(config: RunConfig, now: Instant) -> Self {
        Self {
            decoder: Decoder::new(config.decoder),
            stderr: TailBuffer::new(config.stderr_tail_bytes),
            config,
            started: now,
            last_stdout: now,
            got_success: false,
            stdout_closed: false,
            stderr_closed: false,
            exit: None,
            exit_drain_deadline: None,
            end_reason: None,
            kill_deadline: None,
            pending_signals: VecDeque::new(),
            killed: false,
            finished: false,
        }
    }

    /// Bytes read from the child's stdout.
    pub fn handle_stdout(&mut self, bytes: &[u8], now: Instant) {
        if self.stdout_closed || bytes.is_empty() {
            return;
        }
        self.last_stdout = now;
        self.decoder.push(bytes);
    }

    /// The child's stdout reached end of file.
    pub fn handle_stdout_eof(&mut self, _now: Instant) {
        if !self.stdout_closed {
            self.stdout_closed = true;
            self.decoder.push_eof();
        }
    }

    /// Bytes read from the child's stderr (only a bounded tail is kept).
    pub fn handle_stderr(&mut self, bytes: &[u8]) {
        if !self.stderr_closed {
            self.stderr.push(bytes);
        }
    }

    /// The child's stderr reached end of file (or can no longer be read).
    ///
    /// The run finishes only once stdout and stderr have both ended (or
    /// [`RunConfig::exit_drain_grace`] has passed since the exit), so a process error
    /// carries everything the CLI wrote to stderr before it exited.
    pub fn handle_stderr_eof(&mut self, _now: Instant) {
        self.stderr_closed = true;
    }

    fn pipes_closed(&self) -> bool {
        self.stdout_closed && self.stderr_closed
    }

    /// The child process exited (it has been reaped).
    pub fn handle_exit(&mut self, exit: ExitInfo, now: Instant) {
        if self.exit.is_some() {
            return;
        }
        self.exit = Some(exit);
        self.pending_signals.clear();
        self.kill_deadline = None;
        if !self.pipes_closed() {
            self.exit_drain_deadline =
                Some(now.checked_add(self.config.exit_drain_grace).unwrap_or(now));
        }
    }

    /// The caller gave up on the run (dropped or cancelled it): terminate the child.
    pub fn cancel(&mut self, now: Instant) {
        self.end(EndReason::Cancelled, now);
    }

    /// The runtime hit an error it cannot recover from (for example writing the prompt
    /// failed other than by a closed pipe): terminate the child and report `error`.
    pub fn fail(&mut self, error: AgentError, now: Instant) {
        self.end(EndReason::Failed(error), now);
    }

    fn end(&mut self, reason: EndReason, now: Instant) {
        if self.end_reason.is_some() || self.finished {
            return;
        }
        self.end_reason = Some(reason);
        if self.exit.is_none() {
            self.pending_signals.push_back(Signal::Terminate);
            self.kill_deadline = Some(now.checked_add(self.config.kill_grace).unwrap_or(now));
        }
    }

    /// A deadline from [`poll_timeout`](Self::poll_timeout) may have passed.
    pub fn handle_timeout(&mut self, now: Instant) {
        if let Some(deadline) = self.kill_deadline {
            if now >= deadline && self.exit.is_none() && !self.killed {
                self.killed = true;
                self.kill_deadline = None;
                self.pending_signals.push_back(Signal::Kill);
            }
        }
        if let Some(deadline) = self.exit_drain_deadline {
            if now >= deadline && !self.pipes_closed() {
                // A grandchild holds the pipes open after the CLI exited: finish without
                // them, and stop what is left of the process group.
                self.exit_drain_deadline = None;
                self.handle_stdout_eof(now);
                self.handle_stderr_eof(now);
                self.pending_signals.push_back(Signal::Kill);
            }
        }
        if self.end_reason.is_none() && self.exit.is_none() {
            if let Some((deadline, after)) = self.overall_deadline() {
                if now >= deadline {
                    self.end(EndReason::Timeout(TimeoutKind::Overall, after), now);
                    return;
                }
            }
            if let Some((deadline, after)) = self.idle_deadline() {
                if now >= deadline {
                    self.end(EndReason::Timeout(TimeoutKind::Idle, after), now);
                }
            }
        }
    }

    fn overall_deadline(&self) -> Option<(Instant, Duration)> {
        let after = self.config.overall_timeout?;
        Some((self.started.checked_add(after)?, after))
    }

    fn idle_deadline(&self) -> Option<(Instant, Duration)> {
        let after = self.config.idle_timeout?;
        Some((self.last_stdout.checked_add(after)?, after))
    }

    /// When [`handle_timeout`](Self::handle_timeout) must be called next, if ever.
    pub fn poll_timeout(&self) -> Option<Instant> {
        if self.finished {
            return None;
        }
        let mut next: Option<Instant> = None;
        let mut consider = |t: Option<Instant>| {
            if let Some(t) = t {
                next = Some(next.map_or(t, |n| n.min(t)));
            }
        };
        if self.exit.is_none() {
            if self.end_reason.is_none() {
                consider(self.overall_deadline().map(|d| d.0));
                consider(self.idle_deadline().map(|d| d.0));
            } else if !self.killed {
                consider(self.kill_deadline);
            }
        }
        if !self.pipes_closed() {
            consider(self.exit_drain_deadline);
        }
        next
    }

    /// The next thing to do or deliver; `None` when the run needs more input (or is over).
    pub fn poll_output(&mut self) -> Option<RunOutput> {
        if self.finished {
            return None;
        }
        if let Some(signal) = self.pending_signals.pop_front() {
            return Some(RunOutput::Signal(signal));
        }
        if let Some(item) = self.decoder.poll_message() {
            return Some(RunOutput::Item(match item {
                Ok(message) => {
                    if message.is_success_result() {
                        self.got_success = true;
                    }
                    Ok(message)
                }
                Err(error) => Err(AgentError::Decode(error)),
            }));
        }
        let exit = self.exit?;
        if !self.pipes_closed() {
            return None;
        }
        self.finished = true;
        Some(RunOutput::Finished(self.outcome(exit)))
    }

    fn outcome(&self, exit: ExitInfo) -> Result<(), AgentError> {
        match &self.end_reason {
            Some(EndReason::Cancelled) => return Err(AgentError::Cancelled),
            // The agent already delivered its answer; a CLI that then hangs and is killed
            // by a timeout has not lost the user anything.
            Some(EndReason::Timeout(..)) if self.got_success => return Ok(()),
            Some(EndReason::Timeout(kind, after)) => {
                return Err(AgentError::Timeout {
                    kind: *kind,
                    after: *after,
                })
            }
            Some(EndReason::Failed(error)) => return Err(error.clone()),
            None => {}
        }
        if self.got_success || exit.success() {
            return Ok(());
        }
        Err(AgentError::Process {
            exit_code: exit.code,
            signal: exit.signal.map(signal_name),
            stderr: self.stderr.to_string_lossy(),
        })
    }

    /// True once a success result message has been delivered.
    pub fn got_success_result(&self) -> bool {
        self.got_success
    }

    /// True once [`RunOutput::Finished`] has been returned.
    pub fn is_finished(&self) -> bool {
        self.finished
    }

    /// The current stderr tail, lossily decoded.
    pub fn stderr_tail(&self) -> String {
        self.stderr.to_string_lossy()
    }
}

/// One tool call the agent made during a run, paired with its result when one came back.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolCallRecord {
    /// The `tool_use` id.
    pub id: String,
    /// The tool's name.
    pub name: String,
    /// The tool's arguments.
    pub input: serde_json::Value,
    /// The id of the parent tool use when a subagent made the call.
    pub parent_tool_use_id: Option<String>,
    /// The tool's output as text, once its `tool_result` arrived.
    pub result: Option<String>,
    /// Whether the tool reported an error (false until a result arrives).
    pub is_error: bool,
}

/// What a whole run amounted to: the final answer, usage, turns, duration and tool calls.
///
/// Built by [`SummaryBuilder`] from the messages of a run; the run-to-completion helpers
/// of every runtime return it.
#[derive(Debug, Clone, PartialEq)]
pub struct RunSummary {
    /// The thread (session) id, when the CLI reported one.
    pub session_id: Option<String>,
    /// The final answer text of a success result.
    pub result: String,
    /// Token usage: the result message's totals when it carries them, else the sum of the
    /// assistant messages' usage.
    pub usage: Usage,
    /// The sum of every assistant message's usage (always computed).
    pub assistant_usage: Usage,
    /// Number of turns, as the result message reported.
    pub num_turns: u64,
    /// Duration of the run, as the result message reported, in milliseconds.
    pub duration_ms: u64,
    /// Every tool call, in the order the agent made them.
    pub tool_calls: Vec<ToolCallRecord>,
    /// Permission denials the result message listed.
    pub permission_denials: Vec<serde_json::Value>,
    /// How many messages the run produced.
    pub message_count: usize,
}

/// Accumulates the messages of a run into a [`RunSummary`].
#[derive(Debug, Default)]
pub struct SummaryBuilder {
    session_id: Option<String>,
    assistant_usage: Usage,
    tool_calls: Vec<ToolCallRecord>,
    message_count: usize,
    end: Option<Message>,
}

impl SummaryBuilder {
    /// An empty builder.
    pub fn new() -> Self {
        Self::default()
    }

    /// Takes one message into account.
    pub fn observe(&mut self, message: &Message) {
        self.message_count += 1;
        if self.session_id.is_none() {
            if let Some(id) = message.session_id().filter(|s| !s.is_empty()) {
                self.session_id = Some(id.to_string());
            }
        }
        match message {
            Message::Assistant(a) => {
                if let Some(u) = &a.message.usage {
                    self.assistant_usage += u;
                }
                for block in &a.message.content {
                    if let ContentBlock::ToolUse { id, name, input } = block {
                        self.tool_calls.push(ToolCallRecord {
                            id: id.clone(),
                            name: name.clone(),
                            input: input.clone(),
                            parent_tool_use_id: a.parent_tool_use_id.clone(),
                            result: None,
                            is_error: false,
                        });
                    }
                }
            }
            Message::User(u) => {
                for block in &u.message.content {
                    if let ContentBlock::ToolResult {
                        tool_use_id,
                        content,
                        is_error,
                    } = block
                    {
                        if let Some(call) = self
                            .tool_calls
                            .iter_mut()
                            .rev()
                            .find(|c| &c.id == tool_use_id)
                        {
                            call.result = Some(content.text().into_owned());
                            call.is_error = *is_error;
                        }
                    }
                }
            }
            Message::Result(_) | Message::ErrorResult(_) => self.end = Some(message.clone()),
            _ => {}
        }
    }

    /// The summary of a run whose stream ended with `end` (the run's final error, if any).
    ///
    /// An error result from the agent wins over the process error that usually follows it
    /// (the CLI exits non-zero after reporting the failure); any other final error wins over
    /// the summary; otherwise as [`finish`](Self::finish).
    pub fn finish_with(self, end: Result<(), AgentError>) -> Result<RunSummary, AgentError> {
        match (end, &self.end) {
            (Err(_), Some(Message::ErrorResult(_))) | (Ok(()), _) => self.finish(),
            (Err(error), _) => Err(error),
        }
    }

    /// The summary of a run whose stream has ended: `Err(ErrorResult)` when the agent
    /// failed, `Err(NoResult)` when no result message came.
    pub fn finish(self) -> Result<RunSummary, AgentError> {
        let (result, usage, num_turns, duration_ms, denials) = match self.end {
            Some(Message::Result(r)) => (
                r.result,
                r.usage,
                r.num_turns,
                r.duration_ms,
                r.permission_denials,
            ),
            Some(Message::ErrorResult(e)) => {
                return Err(AgentError::ErrorResult {
                    subtype: e.subtype.as_str().to_string(),
                    error: e.error,
                })
            }
            _ => return Err(AgentError::NoResult),
        };
        Ok(RunSummary {
            session_id: self.session_id,
            result,
            usage: usage.unwrap_or_else(|| self.assistant_usage.clone()),
            assistant_usage: self.assistant_usage,
            num_turns,
            duration_ms,
            tool_calls: self.tool_calls,
            permission_denials: denials.unwrap_or_default(),
            message_count: self.message_count,
        })
    }
}

/// The outcome of a thread command run to completion: on a successful exit, what its
/// stdout means ([`ThreadCommand::parse_output`](crate::threads::ThreadCommand::parse_output):
/// the new thread's id for `threads new`), else an [`AgentError::Process`] with the exit code
/// or signal and the last `stderr_tail_bytes` of stderr.
pub fn command_outcome(
    command: &crate::threads::ThreadCommand,
    exit: ExitInfo,
    stdout: &[u8],
    stderr: &[u8],
    stderr_tail_bytes: usize,
) -> Result<String, AgentError> {
    if exit.success() {
        return Ok(command.parse_output(stdout));
    }
    let mut tail = TailBuffer::new(stderr_tail_bytes);
    tail.push(stderr);
    Err(AgentError::Process {
        exit_code: exit.code,
        signal: exit.signal.map(signal_name),
        stderr: tail.to_string_lossy(),
    })
}
