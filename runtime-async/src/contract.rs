//! The core run machine and the shared run state this crate drives (one place to name them).

pub(crate) use crate::shim::{
    set_max_buffered_bytes, AgentRun, Input, IoFailure, PipeOp, RunMode, RunState, StdinSetup,
};
