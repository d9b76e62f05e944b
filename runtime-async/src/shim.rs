//! TEMPORARY: the contract of /work/plan/CORE-RUN-API.md as type-only placeholders, so this
//! crate type-checks before branch `core-run` lands. Removed at the merge.
#![allow(missing_docs, dead_code, clippy::all)]
use std::time::Instant;

use ampere_core::message::{Message, UserInputMessage};
use ampere_core::run::{AgentError, ExitInfo, RunConfig};
use ampere_core::threads::ThreadCommand;
use ampere_runtime_common::PrivateDir;

#[derive(Debug, Clone, PartialEq)]
pub struct IoFailure {
    pub kind: std::io::ErrorKind,
    pub message: String,
}
impl From<&std::io::Error> for IoFailure {
    fn from(e: &std::io::Error) -> Self {
        IoFailure {
            kind: e.kind(),
            message: e.to_string(),
        }
    }
}
pub enum RunMode {
    Stream,
    Command(ThreadCommand),
}
pub enum StdinSetup {
    Closed,
    Text(Vec<u8>),
    Stream,
}
impl From<ampere_core::plan::StdinPlan> for StdinSetup {
    fn from(p: ampere_core::plan::StdinPlan) -> Self {
        match p {
            ampere_core::plan::StdinPlan::Text(b) => StdinSetup::Text(b),
            _ => StdinSetup::Stream,
        }
    }
}
pub enum Input<'a> {
    Stdout(&'a [u8]),
    StdoutEnd(Option<IoFailure>),
    Stderr(&'a [u8]),
    StderrEnd(Option<IoFailure>),
    Exited(ExitInfo),
    WaitFailed(IoFailure),
    StdinWritten(Result<(), IoFailure>),
    Send(UserInputMessage),
    EndInput,
    ConsumerGone,
    Cancel,
    Timeout,
}
pub struct AgentRun;
impl AgentRun {
    pub fn new(_c: RunConfig, _m: RunMode, _s: StdinSetup, _now: Instant) -> AgentRun {
        todo!()
    }
    pub fn take_command_outcome(&mut self) -> Option<Result<String, AgentError>> {
        todo!()
    }
}
pub fn set_max_buffered_bytes(_c: &mut RunConfig, _n: usize) {}
pub enum PipeOp {
    Write(Vec<u8>),
    CloseStdin,
    PauseStdout,
    ResumeStdout,
    Finished,
}
pub struct RunState;
impl RunState {
    pub fn new(_run: AgentRun, _pid: Option<u32>, _d: Option<PrivateDir>) -> RunState {
        todo!()
    }
    pub fn handle(&mut self, _input: Input<'_>, _now: Instant) {}
    pub fn take_op(&mut self) -> Option<PipeOp> {
        todo!()
    }
    pub fn deadline(&self) -> Option<Instant> {
        todo!()
    }
    pub fn take_item(&mut self) -> Option<Result<Message, AgentError>> {
        todo!()
    }
    pub fn needs_driver(&self) -> bool {
        todo!()
    }
    pub fn is_ended(&self) -> bool {
        todo!()
    }
    pub fn is_finished(&self) -> bool {
        todo!()
    }
    pub fn accepts_input(&self) -> bool {
        todo!()
    }
    pub fn run(&self) -> &AgentRun {
        todo!()
    }
    pub fn run_mut(&mut self) -> &mut AgentRun {
        todo!()
    }
}
