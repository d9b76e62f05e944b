//! The machine seen as one sequence of outputs (signals, then items, then how it finished),
//! so each test reads as the timeline it checks. Every call goes through the real
//! `Input`/`Output`/`poll_item` API.

use std::collections::VecDeque;
use std::time::Instant;

use ampere_core::message::Message;
use ampere_core::run::{
    AgentError, ExitInfo, Input, IoFailure, Output, RunConfig, RunMode, Signal, StdinSetup,
};

#[derive(Debug)]
pub enum RunOutput {
    Item(Result<Message, AgentError>),
    Signal(Signal),
    Finished(Result<(), AgentError>),
}

pub struct AgentRun {
    run: ampere_core::run::AgentRun,
    outputs: VecDeque<Output>,
    deadline: Option<Instant>,
    now: Instant,
    reported: bool,
}

impl AgentRun {
    pub fn new(config: RunConfig, now: Instant) -> Self {
        let run = ampere_core::run::AgentRun::new(config, RunMode::Stream, StdinSetup::Closed, now);
        let mut shim = AgentRun {
            run,
            outputs: VecDeque::new(),
            deadline: None,
            now,
            reported: false,
        };
        shim.pump();
        shim
    }
    fn input(&mut self, input: Input<'_>, now: Instant) {
        self.now = now;
        self.run.handle_input(input, now);
        self.pump();
    }
    fn pump(&mut self) {
        loop {
            match self.run.poll_output() {
                Output::Wait(deadline) => {
                    self.deadline = deadline;
                    return;
                }
                other => self.outputs.push_back(other),
            }
        }
    }
    pub fn handle_stdout(&mut self, bytes: &[u8], now: Instant) {
        self.input(Input::Stdout(bytes), now)
    }
    pub fn handle_stdout_eof(&mut self, now: Instant) {
        self.input(Input::StdoutEnd(None), now)
    }
    pub fn handle_stderr(&mut self, bytes: &[u8]) {
        let now = self.now;
        self.input(Input::Stderr(bytes), now)
    }
    pub fn handle_stderr_eof(&mut self, now: Instant) {
        self.input(Input::StderrEnd(None), now)
    }
    pub fn handle_exit(&mut self, exit: ExitInfo, now: Instant) {
        self.input(Input::Exited(exit), now)
    }
    pub fn handle_timeout(&mut self, now: Instant) {
        self.input(Input::Timeout, now);
        if let Some(d) = self.deadline {
            assert!(
                d > now,
                "after Timeout at {now:?} the deadline {d:?} must be later"
            );
        }
    }
    pub fn cancel(&mut self, now: Instant) {
        self.input(Input::Cancel, now)
    }
    pub fn fail_stdin(&mut self, failure: IoFailure, now: Instant) {
        self.input(Input::StdinWritten(Err(failure)), now)
    }
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.deadline
    }
    pub fn got_success_result(&self) -> bool {
        self.run.got_success_result()
    }
    pub fn poll_output(&mut self) -> Option<RunOutput> {
        self.pump();
        while let Some(output) = self.outputs.pop_front() {
            if let Output::Signal(signal) = output {
                return Some(RunOutput::Signal(signal));
            }
        }
        if self.reported {
            return None;
        }
        if let Some(item) = self.run.poll_item(self.now) {
            return Some(match item {
                Err(error) if !matches!(error, AgentError::Decode(_)) => {
                    self.reported = true;
                    RunOutput::Finished(Err(error))
                }
                other => RunOutput::Item(other),
            });
        }
        if self.run.is_finished() {
            self.reported = true;
            return Some(RunOutput::Finished(Ok(())));
        }
        None
    }
}
