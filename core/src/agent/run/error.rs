//! The agent error taxonomy, shared by every runtime.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use crate::decode::DecodeError;
use crate::error::ValidationError;

/// Which deadline ended a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeoutKind {
    /// The run lasted longer than [`RunConfig::overall_timeout`](super::RunConfig::overall_timeout).
    Overall,
    /// Stdout was silent longer than [`RunConfig::idle_timeout`](super::RunConfig::idle_timeout)
    /// while ampere was reading it.
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

/// A limit ampere enforces while the stream runs (the CLI has none of these).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Guard {
    /// [`RunConfig::max_turns`](super::RunConfig::max_turns): assistant messages of the main
    /// thread (subagents' messages are not turns).
    MaxTurns,
    /// [`RunConfig::max_tokens`](super::RunConfig::max_tokens): the total tokens of every
    /// assistant message's usage, as they arrive.
    MaxTokens,
}

impl fmt::Display for Guard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Guard::MaxTurns => "max_turns",
            Guard::MaxTokens => "max_tokens",
        })
    }
}

/// A guard that fired: which, its limit, and the value observed when it fired.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct GuardTrip {
    /// The guard.
    pub guard: Guard,
    /// Its configured limit.
    pub limit: u64,
    /// The value that went past it.
    pub observed: u64,
}

impl fmt::Display for GuardTrip {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let unit = match self.guard {
            Guard::MaxTurns => "turns",
            Guard::MaxTokens => "tokens",
        };
        write!(
            f,
            "the {} guard stopped the run: {} {unit} observed, limit {}",
            self.guard, self.observed, self.limit
        )
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
    /// A run guard ([`RunConfig::max_turns`](super::RunConfig::max_turns),
    /// [`max_tokens`](super::RunConfig::max_tokens)) ended the run (`SIGTERM`, grace,
    /// `SIGKILL`) after every message received so far was delivered.
    #[error("{trip}")]
    Guard {
        /// Which guard, its limit, the value observed.
        trip: GuardTrip,
        /// What the run amounted to when it was stopped (filled in by the run-to-completion
        /// helpers; `None` in the message stream). Its
        /// [`stopped_by`](super::RunSummary::stopped_by) names the guard.
        summary: Option<Box<super::RunSummary>>,
    },
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
    /// A thread command succeeded but printed something its typed request cannot read
    /// ([`ThreadQuery::parse`](crate::threads::ThreadQuery::parse)).
    #[error("unexpected output of `amp {command}`: {message}")]
    CommandOutput {
        /// The command, such as `threads list`.
        command: String,
        /// What was wrong with its output.
        message: String,
    },
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
