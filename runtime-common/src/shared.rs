//! [`RunState`]: carrying out core's [`Output`]s, written once for every runtime.

use std::collections::VecDeque;
use std::fmt;
use std::sync::Arc;
use std::time::Instant;

use ampere_core::message::Message;
use ampere_core::run::{AgentError, AgentRun, Input, Output, Signal};

use crate::groups::Registration;
use crate::private_dir::PrivateDir;
use crate::process::signal_group;
use crate::record::Recorder;

/// A pipe operation only the driver (the owner of the child's pipes) can carry out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PipeOp {
    /// Write all of it to stdin, then feed `Input::StdinWritten` with the result.
    Write(Vec<u8>),
    /// Drop the child's stdin.
    CloseStdin,
    /// Stop reading stdout.
    PauseStdout,
    /// Read stdout again.
    ResumeStdout,
    /// The process side is over: drop every pipe and stop driving.
    Finished,
}

/// One run's state, shared (behind a mutex) by the driver and the consumer.
///
/// Whoever holds the lock carries out what needs no pipe at once: signals to the process
/// group and removing the private folder. Pipe operations are queued for the driver. The
/// consumer takes items straight from the machine.
pub struct RunState {
    run: AgentRun,
    stderr_sink: Option<LiveStderr>,
    recorder: Option<Arc<std::sync::Mutex<Recorder>>>,
    group: Option<u32>,
    registration: Option<Registration>,
    private_dir: Option<PrivateDir>,
    ops: VecDeque<PipeOp>,
    deadline: Option<Instant>,
}

/// A callback that gets each line of the CLI's stderr as it comes (live stderr).
pub type LiveStderr = Arc<dyn Fn(&str) + Send + Sync>;

/// Where a run reports what it sees besides its consumer: the live stderr callback
/// (`on_stderr`) and the recording (`record_to`). Each runtime hands it to
/// [`RunState::with_stderr_sink`] unchanged.
#[derive(Clone, Default)]
pub struct StderrSink {
    live: Option<LiveStderr>,
    recorder: Option<Arc<std::sync::Mutex<Recorder>>>,
}

impl fmt::Debug for StderrSink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StderrSink")
            .field("live", &self.live.is_some())
            .field("recorder", &self.recorder.is_some())
            .finish()
    }
}

impl StderrSink {
    /// A sink that calls `live` with each stderr line.
    pub fn live(live: LiveStderr) -> StderrSink {
        StderrSink {
            live: Some(live),
            recorder: None,
        }
    }

    /// `sink` (the client's live stderr, if any) plus this execution's recorder, if any.
    pub fn for_run(sink: Option<StderrSink>, recorder: Option<Recorder>) -> Option<StderrSink> {
        let Some(recorder) = recorder else {
            return sink;
        };
        let mut sink = sink.unwrap_or_default();
        sink.recorder = Some(Arc::new(std::sync::Mutex::new(recorder)));
        Some(sink)
    }
}

impl fmt::Debug for RunState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RunState")
            .field("run", &self.run)
            .field("group", &self.group)
            .field("private_dir", &self.private_dir)
            .field("ops", &self.ops)
            .field("deadline", &self.deadline)
            .field("stderr_sink", &self.stderr_sink.is_some())
            .finish_non_exhaustive()
    }
}

impl RunState {
    /// The state of a run whose child has pid `pid` (its process group id; `None` when
    /// nothing was spawned), with its private folder. Drains the machine's first outputs
    /// (the prompt to write).
    pub fn new(run: AgentRun, pid: Option<u32>, private_dir: Option<PrivateDir>) -> RunState {
        let mut state = RunState {
            run,
            stderr_sink: None,
            recorder: None,
            group: pid,
            registration: pid.map(Registration::register),
            private_dir,
            ops: VecDeque::new(),
            deadline: None,
        };
        state.drain();
        state
    }

    /// Hands every line of the CLI's stderr to `sink`'s live callback as it comes (the
    /// run's config must have `stderr_lines` set), and everything the run sees to its
    /// recorder. The sink is called by whoever holds the lock (the driver): it must be
    /// quick and must not call back into the execution.
    pub fn with_stderr_sink(mut self, sink: Option<StderrSink>) -> RunState {
        if let Some(sink) = sink {
            self.stderr_sink = sink.live;
            self.recorder = sink.recorder;
        }
        self
    }

    fn record(&self, f: impl FnOnce(&mut Recorder)) {
        if let Some(recorder) = &self.recorder {
            f(&mut recorder.lock().unwrap_or_else(|e| e.into_inner()));
        }
    }

    /// Feeds one input that happened at `now`, then carries out or queues every output.
    pub fn handle(&mut self, input: Input<'_>, now: Instant) {
        if self.recorder.is_some() {
            match &input {
                Input::Stdout(bytes) => self.record(|r| r.stdout(bytes, now)),
                Input::Stderr(bytes) => self.record(|r| r.stderr(bytes, now)),
                Input::StdoutEnd(_) => self.record(|r| r.stream_end(false, now)),
                Input::StderrEnd(_) => self.record(|r| r.stream_end(true, now)),
                Input::Exited(exit) => self.record(|r| r.exited(*exit)),
                _ => {}
            }
        }
        self.run.handle_input(input, now);
        self.drain();
    }

    fn drain(&mut self) {
        loop {
            match self.run.poll_output() {
                Output::Signal(signal) => self.signal(signal),
                Output::RemovePrivateDir => self.remove_private_dir(),
                Output::WriteStdin(bytes) => self.ops.push_back(PipeOp::Write(bytes)),
                Output::CloseStdin => self.ops.push_back(PipeOp::CloseStdin),
                Output::PauseStdout => self.ops.push_back(PipeOp::PauseStdout),
                Output::ResumeStdout => self.ops.push_back(PipeOp::ResumeStdout),
                Output::Finished => {
                    self.record(Recorder::finish);
                    if let Some(mut registration) = self.registration.take() {
                        registration.unregister();
                    }
                    self.ops.push_back(PipeOp::Finished);
                }
                Output::Wait(deadline) => {
                    self.deadline = deadline;
                    break;
                }
            }
        }
        while let Some(line) = self.run.poll_stderr_line() {
            if let Some(sink) = &self.stderr_sink {
                sink(&line);
            }
        }
    }

    fn signal(&self, signal: Signal) {
        let Some(pid) = self.group else {
            return;
        };
        tracing::debug!(target: "ampere", pid, ?signal, "signalling the Amp CLI's process group");
        if let Err(error) = signal_group(pid, signal) {
            tracing::warn!(target: "ampere", pid, ?signal, %error, "cannot signal the Amp CLI");
        }
    }

    fn remove_private_dir(&mut self) {
        if let Some(dir) = self.private_dir.take() {
            let path = dir.path().to_path_buf();
            if let Err(error) = dir.remove() {
                tracing::warn!(target: "ampere", %error, path = %path.display(), "cannot remove the private folder");
            }
        }
    }

    /// The next pipe operation for the driver, in order.
    pub fn take_op(&mut self) -> Option<PipeOp> {
        let op = self.ops.pop_front();
        match &op {
            Some(PipeOp::Write(bytes)) => self.record(|r| r.stdin(bytes)),
            Some(PipeOp::CloseStdin) => self.record(Recorder::stdin_closed),
            _ => {}
        }
        op
    }

    /// The next pipe operation if it is a stdin one (a write or the close), else `None`
    /// and nothing is taken: what a spawning thread may carry out before the driver runs.
    pub(crate) fn take_stdin_op(&mut self) -> Option<PipeOp> {
        match self.ops.front() {
            Some(PipeOp::Write(_) | PipeOp::CloseStdin) => self.take_op(),
            _ => None,
        }
    }

    /// When the driver must feed `Input::Timeout` (check the clock before sleeping).
    pub fn deadline(&self) -> Option<Instant> {
        self.deadline
    }

    /// The consumer's side: the next item, straight from the machine. If
    /// [`needs_driver`](Self::needs_driver) is true afterwards (reading resumes), wake the
    /// driver.
    pub fn take_item(&mut self, now: Instant) -> Option<Result<Message, AgentError>> {
        let item = self.run.poll_item(now);
        if self.run.has_output() {
            self.drain();
        }
        item
    }

    /// Whether pipe operations wait for the driver.
    pub fn needs_driver(&self) -> bool {
        !self.ops.is_empty()
    }

    /// Whether the stream is over (the process side finished and every item taken).
    pub fn is_ended(&self) -> bool {
        self.run.is_ended()
    }

    /// Whether the process side is over.
    pub fn is_finished(&self) -> bool {
        self.run.is_finished()
    }

    /// Whether a user message would be taken now.
    pub fn accepts_input(&self) -> bool {
        self.run.accepts_input()
    }

    /// Whether the driver should pull the next user message from the caller's input now.
    pub fn wants_input(&self) -> bool {
        self.run.wants_input()
    }

    /// The machine.
    pub fn run(&self) -> &AgentRun {
        &self.run
    }

    /// The machine, mutably (for inputs that need no drain, such as taking a command's
    /// outcome).
    pub fn run_mut(&mut self) -> &mut AgentRun {
        &mut self.run
    }

    /// The driver is going away before the run finished (its runtime shut down): kill the
    /// group, remove the folder, and stop tracking the group.
    pub fn abandon(&mut self) {
        if self.run.is_finished() {
            return;
        }
        self.signal(Signal::Kill);
        self.remove_private_dir();
        if let Some(mut registration) = self.registration.take() {
            registration.unregister();
        }
        self.group = None;
    }
}

/// The error an operation on a closed session input gets.
pub fn input_closed_error() -> AgentError {
    AgentError::Io {
        context: "sending a message to the Amp CLI".to_string(),
        kind: std::io::ErrorKind::BrokenPipe,
        message: "the session's input is closed".to_string(),
    }
}
