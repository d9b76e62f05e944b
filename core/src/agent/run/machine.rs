//! [`AgentRun`]: the decisions around one running CLI process.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use super::error::{signal_name, AgentError, Guard, GuardTrip, TimeoutKind};
use super::io::{Input, IoFailure, Output, RunMode, StdinSetup};
use super::stderr::StderrLines;
use super::stdin::Stdin;
use super::tail::TailBuffer;
use super::{ExitInfo, RunConfig, Signal};
use crate::decode::Decoder;
use crate::message::Message;
use crate::threads::ThreadCommand;

#[path = "timers.rs"]
mod timers;

/// Why the run was asked to end early.
#[derive(Debug, Clone)]
enum EndReason {
    Timeout(TimeoutKind, Duration),
    Guard(GuardTrip),
    Cancelled,
    Failed(AgentError),
}

/// What stdout becomes.
#[derive(Debug)]
enum Body {
    /// Decoded stream JSON.
    Stream(Decoder),
    /// A thread command's output, collected up to the limit.
    Command {
        command: ThreadCommand,
        stdout: Vec<u8>,
        overflow: bool,
    },
}

type Item = Result<Message, AgentError>;

/// One execution of the Amp CLI. See the [module docs](super).
///
/// The process side is over ([`Output::Finished`]) once the exit and the end of both output
/// pipes are known (a pipe still open [`RunConfig::exit_drain_grace`] after the exit is given
/// up on, and the leftover process group is killed). The stream is over
/// ([`is_ended`](Self::is_ended)) once the consumer has also taken every item.
#[derive(Debug)]
pub struct AgentRun {
    config: RunConfig,
    body: Body,
    stderr: TailBuffer,
    stdin: Stdin,
    started: Instant,
    /// Since when stdout has been silent while being read (the idle clock).
    last_read: Instant,
    got_success: bool,
    stdout_closed: bool,
    stderr_closed: bool,
    exit: Option<ExitInfo>,
    exit_drain_deadline: Option<Instant>,
    end_reason: Option<EndReason>,
    kill_deadline: Option<Instant>,
    killed: bool,
    paused: bool,
    consumer_gone: bool,
    dir_removed: bool,
    finished: bool,
    outputs: VecDeque<Output>,
    /// Items for the consumer, each with the stdout bytes it came from.
    ready: VecDeque<(Item, usize)>,
    ready_bytes: usize,
    /// The error that ends the stream, delivered after every item.
    final_error: Option<AgentError>,
    /// A finished thread command: its raw stdout, or why it failed.
    command_outcome: Option<Result<Vec<u8>, AgentError>>,
    /// Main-thread assistant messages so far (the max_turns guard).
    turns: u64,
    /// Tokens of every assistant message's usage so far (the max_tokens guard).
    tokens: u64,
    /// A guard fired while decoding; the run is ended with it after the input is handled.
    /// With whether a success result had come before the message that tripped it.
    pending_guard: Option<(GuardTrip, bool)>,
    /// Whether a success result had come when the run was asked to end.
    success_at_end: bool,
    /// Live stderr lines, when asked for.
    stderr_lines: Option<StderrLines>,
}

impl AgentRun {
    /// A run whose process was spawned at `now`.
    pub fn new(config: RunConfig, mode: RunMode, stdin: StdinSetup, now: Instant) -> Self {
        let body = match mode {
            RunMode::Stream => Body::Stream(Decoder::new(config.decoder)),
            RunMode::Command(command) => Body::Command {
                command,
                stdout: Vec::new(),
                overflow: false,
            },
        };
        let stderr_lines = config.stderr_lines.map(StderrLines::new);
        let mut run = Self {
            body,
            stderr: TailBuffer::new(config.stderr_tail_bytes),
            stdin: Stdin::new(stdin),
            config,
            started: now,
            last_read: now,
            got_success: false,
            stdout_closed: false,
            stderr_closed: false,
            exit: None,
            exit_drain_deadline: None,
            end_reason: None,
            kill_deadline: None,
            killed: false,
            paused: false,
            consumer_gone: false,
            dir_removed: false,
            finished: false,
            outputs: VecDeque::new(),
            ready: VecDeque::new(),
            ready_bytes: 0,
            final_error: None,
            command_outcome: None,
            turns: 0,
            tokens: 0,
            pending_guard: None,
            success_at_end: false,
            stderr_lines,
        };
        run.stdin.pump(&mut run.outputs);
        run
    }

    /// Feeds one thing that happened at `now`. Drain [`poll_output`](Self::poll_output)
    /// afterwards.
    pub fn handle_input(&mut self, input: Input<'_>, now: Instant) {
        if self.finished {
            return;
        }
        match input {
            Input::Stdout(bytes) => self.stdout(bytes, now),
            Input::StdoutEnd(failure) => {
                self.close_stdout();
                if let Some(failure) = failure {
                    self.fail("reading the Amp CLI's stdout", failure, now);
                }
            }
            Input::Stderr(bytes) => {
                if !self.stderr_closed {
                    self.stderr.push(bytes);
                    if let Some(lines) = &mut self.stderr_lines {
                        lines.push(bytes);
                    }
                }
            }
            Input::StderrEnd(_) => self.close_stderr(),
            Input::Exited(exit) => self.exited(exit, now),
            Input::WaitFailed(failure) => {
                self.exited(ExitInfo::default(), now);
                self.fail("waiting for the Amp CLI", failure, now);
            }
            Input::StdinWritten(Ok(())) => self.stdin.written(),
            Input::StdinWritten(Err(failure)) => {
                self.stdin.close(&mut self.outputs);
                if failure.kind != std::io::ErrorKind::BrokenPipe {
                    self.fail("writing to the Amp CLI's stdin", failure, now);
                }
            }
            Input::Send(message) => {
                if self.accepts_input() {
                    self.stdin.send(message.to_json_line());
                }
            }
            Input::EndInput => self.stdin.end(),
            Input::ConsumerGone => self.consumer_gone(now),
            Input::Cancel => self.end(EndReason::Cancelled, now),
            Input::Timeout => self.timeout(now),
        }
        if let Some((trip, success_before)) = self.pending_guard.take() {
            self.end(EndReason::Guard(trip), now);
            if self
                .end_reason
                .as_ref()
                .is_some_and(|r| matches!(r, EndReason::Guard(_)))
            {
                self.success_at_end = success_before;
            }
        }
        self.stdin.pump(&mut self.outputs);
        self.check_finished();
    }

    /// The runtime's next decision to carry out; [`Output::Wait`] ends a drain.
    pub fn poll_output(&mut self) -> Output {
        match self.outputs.pop_front() {
            Some(output) => output,
            None => Output::Wait(self.next_deadline()),
        }
    }

    /// Whether [`poll_output`](Self::poll_output) has more than a `Wait` to give.
    pub fn has_output(&self) -> bool {
        !self.outputs.is_empty()
    }

    /// The consumer's side: the next item to hand to the user (a message, a per-line decode
    /// error, and, last, the error that ended the run), straight from the machine. `None`:
    /// nothing is ready now (or the stream is over, see [`is_ended`](Self::is_ended)).
    ///
    /// Taking items can make the machine resume reading stdout (with `now` the idle clock
    /// restarts): if [`has_output`](Self::has_output) is true afterwards, wake the driver.
    pub fn poll_item(&mut self, now: Instant) -> Option<Result<Message, AgentError>> {
        if self.consumer_gone {
            return None;
        }
        if let Some((item, len)) = self.ready.pop_front() {
            self.ready_bytes -= len;
            if self.paused
                && (self.ready.is_empty()
                    || self.undelivered_bytes() < self.config.max_buffered_bytes / 2)
            {
                self.paused = false;
                self.last_read = now;
                self.outputs.push_back(Output::ResumeStdout);
            }
            return Some(item);
        }
        if self.finished {
            return self.final_error.take().map(Err);
        }
        None
    }

    /// Whether the stream is over: the process side is finished and the consumer has taken
    /// every item (or is gone).
    pub fn is_ended(&self) -> bool {
        self.finished
            && (self.consumer_gone || (self.ready.is_empty() && self.final_error.is_none()))
    }

    /// Whether [`Output::Finished`] was emitted (the process side is over).
    pub fn is_finished(&self) -> bool {
        self.finished
    }

    /// Whether an [`Input::Send`] would be taken now: the input is a message stream that is
    /// still open, and the process has not exited or been asked to end.
    pub fn accepts_input(&self) -> bool {
        !self.finished && self.exit.is_none() && self.end_reason.is_none() && self.stdin.accepts()
    }

    /// Whether the machine wants another user message now: it [accepts](Self::accepts_input)
    /// one and nothing is waiting to be written. A driver polls the user's input stream only
    /// then, so messages never pile up in memory.
    pub fn wants_input(&self) -> bool {
        self.accepts_input() && self.stdin.idle()
    }

    /// Stdout bytes read but not yet taken by the consumer (the incomplete last line and
    /// the decoded items waiting). Bounded by [`RunConfig::max_buffered_bytes`] plus one read
    /// and one line.
    pub fn undelivered_bytes(&self) -> usize {
        let partial = match &self.body {
            Body::Stream(decoder) => decoder.undelivered_bytes(),
            Body::Command { stdout, .. } => stdout.len(),
        };
        partial + self.ready_bytes
    }

    /// Whether stdout reading is paused for the consumer.
    pub fn is_paused(&self) -> bool {
        self.paused
    }

    /// A thread command's outcome once the run is finished (taken once): what its stdout
    /// means on a successful exit ([`ThreadCommand::parse_output`]), else the process error,
    /// the timeout, or the cancellation.
    pub fn take_command_outcome(&mut self) -> Option<Result<String, AgentError>> {
        let command = match &self.body {
            Body::Command { command, .. } => command,
            Body::Stream(_) => return None,
        };
        let outcome = self.command_outcome.take()?;
        Some(outcome.map(|stdout| command.parse_output(&stdout)))
    }

    /// A thread command's raw stdout once the run is finished (taken once, like
    /// [`take_command_outcome`](Self::take_command_outcome); take one or the other), for
    /// [`ThreadQuery::parse`](crate::threads::ThreadQuery::parse) /
    /// [`finish_query`](crate::threads::finish_query).
    pub fn take_command_stdout(&mut self) -> Option<Result<Vec<u8>, AgentError>> {
        self.command_outcome.take()
    }

    /// True once a success result message has been decoded.
    pub fn got_success_result(&self) -> bool {
        self.got_success
    }

    /// The next line of the CLI's stderr, as it came (live stderr,
    /// [`RunConfig::stderr_lines`]); `None` when none waits or live stderr is off. Lines are
    /// at most the configured length (a longer one is cut and ends with `…`); at most 1024
    /// wait, older ones are dropped if nobody takes them.
    pub fn poll_stderr_line(&mut self) -> Option<String> {
        self.stderr_lines.as_mut()?.pop()
    }

    /// How many live stderr lines were dropped because nobody took them.
    pub fn stderr_lines_dropped(&self) -> u64 {
        self.stderr_lines.as_ref().map_or(0, StderrLines::dropped)
    }

    /// The current stderr tail, lossily decoded.
    pub fn stderr_tail(&self) -> String {
        self.stderr.to_string_lossy()
    }

    fn stdout(&mut self, bytes: &[u8], now: Instant) {
        if self.stdout_closed || bytes.is_empty() {
            return;
        }
        self.last_read = now;
        if self.consumer_gone {
            return;
        }
        let limit = self.config.decoder.max_line_len;
        match &mut self.body {
            Body::Stream(decoder) => {
                decoder.push(bytes);
                self.collect();
                if !self.paused
                    && !self.ready.is_empty()
                    && self.undelivered_bytes() >= self.config.max_buffered_bytes
                {
                    self.paused = true;
                    self.outputs.push_back(Output::PauseStdout);
                }
            }
            Body::Command {
                stdout, overflow, ..
            } => {
                let room = limit.saturating_sub(stdout.len());
                if bytes.len() > room {
                    *overflow = true;
                }
                stdout.extend_from_slice(&bytes[..bytes.len().min(room)]);
            }
        }
    }

    /// Moves decoded items from the decoder to the consumer's queue.
    fn collect(&mut self) {
        let Body::Stream(decoder) = &mut self.body else {
            return;
        };
        let mut trip = None;
        while let Some((item, len)) = decoder.poll_message_with_len() {
            let item = item.map_err(AgentError::Decode);
            match &item {
                Ok(m) if m.is_success_result() => self.got_success = true,
                Ok(Message::Assistant(a)) => {
                    if a.parent_tool_use_id.is_none() {
                        self.turns += 1;
                    }
                    if let Some(usage) = &a.message.usage {
                        self.tokens = self.tokens.saturating_add(usage.total_tokens());
                    }
                    if trip.is_none() {
                        trip = guard_trip(&self.config, self.turns, self.tokens)
                            .map(|t| (t, self.got_success));
                    }
                }
                _ => {}
            }
            if !self.consumer_gone {
                self.ready_bytes += len;
                self.ready.push_back((item, len));
            }
        }
        if let Some(trip) = trip {
            self.pending_guard = Some(trip);
        }
    }

    fn close_stdout(&mut self) {
        if self.stdout_closed {
            return;
        }
        self.stdout_closed = true;
        self.paused = false;
        if let Body::Stream(decoder) = &mut self.body {
            decoder.push_eof();
        }
        self.collect();
    }

    fn close_stderr(&mut self) {
        if !self.stderr_closed {
            self.stderr_closed = true;
            if let Some(lines) = &mut self.stderr_lines {
                lines.finish();
            }
        }
    }

    fn pipes_closed(&self) -> bool {
        self.stdout_closed && self.stderr_closed
    }

    fn exited(&mut self, exit: ExitInfo, now: Instant) {
        if self.exit.is_some() {
            return;
        }
        self.exit = Some(exit);
        self.kill_deadline = None;
        self.stdin.forget();
        if !self.pipes_closed() {
            self.exit_drain_deadline = now.checked_add(self.config.exit_drain_grace);
        }
    }

    fn consumer_gone(&mut self, now: Instant) {
        if self.consumer_gone {
            return;
        }
        self.consumer_gone = true;
        self.ready.clear();
        self.ready_bytes = 0;
        if self.paused {
            // Keep draining the pipe so the CLI is not stuck writing while it stops.
            self.paused = false;
            self.outputs.push_back(Output::ResumeStdout);
        }
        self.end(EndReason::Cancelled, now);
        if !self.dir_removed {
            self.dir_removed = true;
            self.outputs.push_back(Output::RemovePrivateDir);
        }
    }

    fn fail(&mut self, context: &str, failure: IoFailure, now: Instant) {
        let error = AgentError::Io {
            context: context.to_string(),
            kind: failure.kind,
            message: failure.message,
        };
        self.end(EndReason::Failed(error), now);
    }

    fn end(&mut self, reason: EndReason, now: Instant) {
        if self.end_reason.is_some() {
            return;
        }
        self.end_reason = Some(reason);
        self.success_at_end = self.got_success;
        if self.exit.is_none() {
            self.stdin.close(&mut self.outputs);
            self.outputs.push_back(Output::Signal(Signal::Terminate));
            self.kill_deadline = now.checked_add(self.config.kill_grace);
        }
    }

    fn check_finished(&mut self) {
        let Some(exit) = self.exit else {
            return;
        };
        if self.finished || !self.pipes_closed() {
            return;
        }
        self.finished = true;
        self.paused = false;
        if !self.dir_removed {
            self.dir_removed = true;
            self.outputs.push_back(Output::RemovePrivateDir);
        }
        self.outputs.push_back(Output::Finished);
        let ended_early = self.end_error();
        match &mut self.body {
            Body::Stream(_) => {
                let outcome = match ended_early {
                    Some(result) => result,
                    None if self.got_success || exit.success() => Ok(()),
                    None => Err(process_error(exit, &self.stderr)),
                };
                if let Err(error) = outcome {
                    if !self.consumer_gone {
                        self.final_error = Some(error);
                    }
                }
            }
            Body::Command {
                stdout, overflow, ..
            } => {
                let outcome = match ended_early {
                    Some(Err(error)) => Err(error),
                    _ if !exit.success() => Err(process_error(exit, &self.stderr)),
                    _ if *overflow => Err(AgentError::Io {
                        context: "reading the output of an Amp thread command".to_string(),
                        kind: std::io::ErrorKind::InvalidData,
                        message: format!(
                            "longer than the limit of {} bytes",
                            self.config.decoder.max_line_len
                        ),
                    }),
                    _ => Ok(std::mem::take(stdout)),
                };
                self.command_outcome = Some(outcome);
            }
        }
    }

    /// The outcome decided by an early end, if the run was ended early.
    fn end_error(&self) -> Option<Result<(), AgentError>> {
        Some(match self.end_reason.as_ref()? {
            EndReason::Cancelled => Err(AgentError::Cancelled),
            // The agent already delivered its answer; a CLI that then hangs and is killed by
            // a timeout has not lost the user anything.
            EndReason::Timeout(..) if self.got_success => Ok(()),
            // A guard counts the messages before its trip: a success result that was
            // already in the same read after them does not undo it.
            EndReason::Guard(_) if self.success_at_end => Ok(()),
            EndReason::Guard(trip) => Err(AgentError::Guard {
                trip: *trip,
                summary: None,
            }),
            EndReason::Timeout(kind, after) => Err(AgentError::Timeout {
                kind: *kind,
                after: *after,
            }),
            EndReason::Failed(error) => Err(error.clone()),
        })
    }
}

fn process_error(exit: ExitInfo, stderr: &TailBuffer) -> AgentError {
    AgentError::Process {
        exit_code: exit.code,
        signal: exit.signal.map(signal_name),
        stderr: stderr.to_string_lossy(),
    }
}

/// The first guard past its limit, if any.
fn guard_trip(config: &RunConfig, turns: u64, tokens: u64) -> Option<GuardTrip> {
    let check = |guard, limit: Option<u64>, observed: u64| {
        limit
            .filter(|&limit| observed > limit)
            .map(|limit| GuardTrip {
                guard,
                limit,
                observed,
            })
    };
    check(Guard::MaxTurns, config.max_turns, turns)
        .or_else(|| check(Guard::MaxTokens, config.max_tokens, tokens))
}
