//! What goes into and comes out of an [`AgentRun`](super::AgentRun).

use std::fmt;
use std::time::Instant;

use super::Signal;
use crate::message::UserInputMessage;
use crate::plan::StdinPlan;
use crate::threads::ThreadCommand;

/// What the run is.
#[derive(Debug, Clone, PartialEq)]
pub enum RunMode {
    /// A stream-JSON execution: stdout is decoded into messages for the consumer.
    Stream,
    /// A thread command (`threads new`, ...): stdout is collected (at most the decoder's
    /// `max_line_len` bytes) and judged at the end
    /// ([`AgentRun::take_command_outcome`](super::AgentRun::take_command_outcome)).
    Command(ThreadCommand),
}

/// How the child's stdin is fed.
#[derive(Clone, PartialEq, Eq)]
pub enum StdinSetup {
    /// The child has no stdin to feed (spawned with a null stdin): no stdin output at all.
    Closed,
    /// Write these bytes (the prompt and its `\n`), then close stdin.
    Text(Vec<u8>),
    /// Write each [`Input::Send`] message as one JSON line; close after [`Input::EndInput`].
    Stream,
}

impl fmt::Debug for StdinSetup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StdinSetup::Closed => f.write_str("Closed"),
            StdinSetup::Text(bytes) => write!(f, "Text(<{} bytes>)", bytes.len()),
            StdinSetup::Stream => f.write_str("Stream"),
        }
    }
}

impl From<StdinPlan> for StdinSetup {
    fn from(plan: StdinPlan) -> Self {
        match plan {
            StdinPlan::Text(bytes) => StdinSetup::Text(bytes),
            StdinPlan::Stream => StdinSetup::Stream,
        }
    }
}

/// An operating-system failure as core sees it: its kind and message (core holds no
/// `std::io::Error`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IoFailure {
    /// The `std::io::ErrorKind`.
    pub kind: std::io::ErrorKind,
    /// The operating system's message.
    pub message: String,
}

impl IoFailure {
    /// A failure of `kind` with `message`.
    pub fn new(kind: std::io::ErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
        }
    }
}

impl From<&std::io::Error> for IoFailure {
    fn from(error: &std::io::Error) -> Self {
        Self::new(error.kind(), error.to_string())
    }
}

impl From<std::io::Error> for IoFailure {
    fn from(error: std::io::Error) -> Self {
        Self::from(&error)
    }
}

/// Something that happened, fed to [`AgentRun::handle_input`](super::AgentRun::handle_input)
/// with the instant it happened.
#[derive(Debug)]
pub enum Input<'a> {
    /// Bytes read from the child's stdout (an empty slice is ignored).
    Stdout(&'a [u8]),
    /// Stdout reached end of file (`None`) or could not be read (`Some`): it is not read any
    /// more. A read failure fails the run.
    StdoutEnd(Option<IoFailure>),
    /// Bytes read from the child's stderr (only a bounded tail is kept).
    Stderr(&'a [u8]),
    /// Stderr reached end of file or could not be read: it is not read any more.
    StderrEnd(Option<IoFailure>),
    /// The child exited and was reaped.
    Exited(super::ExitInfo),
    /// Waiting for the child failed: it is treated as gone, and the run fails.
    WaitFailed(IoFailure),
    /// The result of the last [`Output::WriteStdin`]. A closed pipe (`BrokenPipe`) means the
    /// CLI stopped reading: the input is closed, and the exit tells the story. Any other
    /// failure fails the run.
    StdinWritten(Result<(), IoFailure>),
    /// A user message to write to stdin (a session, or a streamed prompt). Ignored when the
    /// input no longer [accepts](super::AgentRun::accepts_input) messages.
    Send(UserInputMessage),
    /// No more user messages: stdin is closed once everything queued is written.
    EndInput,
    /// The consumer dropped the execution: undelivered items are dropped, the CLI is
    /// terminated and the private folder removed at once.
    ConsumerGone,
    /// The caller cancelled the execution: the CLI is terminated; the stream ends with
    /// [`AgentError::Cancelled`](super::AgentError::Cancelled).
    Cancel,
    /// A deadline given by [`Output::Wait`] may have passed.
    Timeout,
}

/// What the runtime must do next, from [`AgentRun::poll_output`](super::AgentRun::poll_output).
///
/// Drain after every input until [`Output::Wait`], which is always the last of a drain.
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use = "every output is a decision the runtime must carry out"]
pub enum Output {
    /// Send this signal to the child's process group (its id is the child's pid). Core
    /// decides when that is safe: after [`Input::Exited`] only the leftover-group
    /// [`Signal::Kill`] comes (the group id stays valid while members remain).
    Signal(Signal),
    /// Write all of these bytes to stdin, then report [`Input::StdinWritten`]. At most one
    /// write is asked for at a time.
    WriteStdin(Vec<u8>),
    /// Close the child's stdin (drop it).
    CloseStdin,
    /// Stop reading stdout until [`Output::ResumeStdout`]: the consumer is behind.
    PauseStdout,
    /// Read stdout again.
    ResumeStdout,
    /// Remove the private folder now. Comes once, before [`Output::Finished`].
    RemovePrivateDir,
    /// The process side is over (exited, pipes done or given up on): drop every pipe; only
    /// `Wait(None)` follows. Items may still wait for the consumer.
    Finished,
    /// Nothing more to do now: call `handle_input(Input::Timeout, now)` at this instant
    /// (`None`: only when IO happens). After `handle_input(Input::Timeout, now)` the next
    /// deadline is always later than `now` (or `None`), so no runtime needs guards against
    /// spinning.
    Wait(Option<Instant>),
}
