//! The core run machine and the shared run state this crate drives (one place to name them).

pub(crate) use ampere_core::run::{AgentRun, Input, IoFailure, RunMode, StdinSetup};
pub(crate) use ampere_runtime_common::{input_closed_error, PipeOp, RunState};
