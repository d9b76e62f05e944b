//! One execution of the Amp CLI, as a sans-IO state machine.
//!
//! [`AgentRun`] owns every decision about a running CLI process: it feeds the prompt or the
//! user messages to stdin, decodes stdout into messages, bounds what waits for the consumer
//! (pausing stdout when the consumer falls behind), keeps a bounded tail of stderr, tracks
//! the overall and idle deadlines, asks for `SIGTERM` and then `SIGKILL` when the run must end
//! early, says when to remove the private folder, and classifies the exit. The runtime owns
//! the process and pipes and only reports what happened.
//!
//! It has str0m's shape: one [`Input`] enum in, each with the instant it happened
//! ([`AgentRun::handle_input`]); one [`Output`] enum out, drained after every input until
//! [`Output::Wait`] says when to wake the machine next ([`AgentRun::poll_output`]). The
//! consumer takes the items (messages, per-line errors, the final error) straight from the
//! machine with [`AgentRun::poll_item`]: no channel between them.
//!
//! ```
//! use std::time::{Duration, Instant};
//! use ampere_core::run::{AgentRun, ExitInfo, Input, Output, RunConfig, RunMode, StdinSetup};
//!
//! # fn now() -> Instant { BASE.with(|b| *b) }
//! # thread_local!(static BASE: Instant = Instant::now());
//! let mut run = AgentRun::new(RunConfig::default(), RunMode::Stream, StdinSetup::Text(b"2+2?\n".to_vec()), now());
//! let mut written = Vec::new();
//! let mut drain = |run: &mut AgentRun, written: &mut Vec<u8>| loop {
//!     match run.poll_output() {
//!         Output::WriteStdin(bytes) => written.extend(bytes), // and later: StdinWritten
//!         Output::Wait(_deadline) => break,                    // sleep until then, or IO
//!         _other => {}                                         // signals, pipes, folder
//!     }
//! };
//! drain(&mut run, &mut written);
//! run.handle_input(Input::StdinWritten(Ok(())), now());
//! run.handle_input(Input::Stdout(br#"{"type":"result","subtype":"success","is_error":false,"result":"4","duration_ms":1,"num_turns":1,"session_id":"T-1"}
//! "#), now());
//! run.handle_input(Input::StdoutEnd(None), now());
//! run.handle_input(Input::StderrEnd(None), now());
//! run.handle_input(Input::Exited(ExitInfo::code(0)), now());
//! drain(&mut run, &mut written);
//! assert_eq!(written, b"2+2?\n");
//! let first = run.poll_item(now()).unwrap().unwrap();
//! assert!(first.is_success_result());
//! assert!(run.poll_item(now()).is_none());
//! assert!(run.is_ended());
//! ```

mod error;
mod io;
mod machine;
mod stderr;
mod stdin;
mod summary;
mod tail;

use std::time::Duration;

use crate::decode::DecoderConfig;

pub use error::{signal_name, AgentError, Guard, GuardTrip, TimeoutKind};
pub use io::{Input, IoFailure, Output, RunMode, StdinSetup};
pub use machine::AgentRun;
pub use summary::{command_outcome, command_stdout, RunSummary, SummaryBuilder, ToolCallRecord};
pub use tail::TailBuffer;

/// Limits and timeouts of one execution.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunConfig {
    /// Stream-JSON decoder settings (the maximum line length).
    pub decoder: DecoderConfig,
    /// End the run (SIGTERM, then SIGKILL) when it has lasted this long.
    pub overall_timeout: Option<Duration>,
    /// End the run when stdout has been silent this long while ampere was reading it (time
    /// paused for a slow consumer is not silence).
    pub idle_timeout: Option<Duration>,
    /// Time between `SIGTERM` and `SIGKILL` (the spec's 5 s).
    pub kill_grace: Duration,
    /// How many trailing bytes of stderr are kept for the process error.
    pub stderr_tail_bytes: usize,
    /// After the process has exited, how long to wait for stdout to reach end of file
    /// (a grandchild may hold the pipe open) before finishing anyway.
    pub exit_drain_grace: Duration,
    /// The bound on stdout bytes read but not yet taken by the consumer (the incomplete last
    /// line plus decoded messages waiting): at or above it the machine asks the runtime to
    /// stop reading stdout ([`Output::PauseStdout`]) until the consumer has taken half of
    /// them, so the pipe pushes back on the CLI. One line in flight is never paused on, so
    /// a line of any length (up to the decoder's limit) can complete. Default: 4 MiB.
    pub max_buffered_bytes: usize,
    /// Run guard: end the run once the main thread has produced more assistant messages
    /// (turns) than this. Default: none.
    pub max_turns: Option<u64>,
    /// Run guard: end the run once the assistant messages' usage adds up to more tokens than
    /// this (counted as the messages arrive). Default: none.
    pub max_tokens: Option<u64>,
    /// Live stderr: frame the CLI's stderr into lines of at most this many bytes, for
    /// [`AgentRun::poll_stderr_line`] (in addition to the bounded tail). Default: off.
    pub stderr_lines: Option<usize>,
}

impl RunConfig {
    /// The default of [`max_buffered_bytes`](Self::max_buffered_bytes): 4 MiB.
    pub const DEFAULT_MAX_BUFFERED_BYTES: usize = 4 * 1024 * 1024;
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
            max_buffered_bytes: Self::DEFAULT_MAX_BUFFERED_BYTES,
            max_turns: None,
            max_tokens: None,
            stderr_lines: None,
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
