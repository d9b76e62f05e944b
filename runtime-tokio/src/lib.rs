//! # ampere-tokio
//!
//! placeholder
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod action;

pub use action::{execute_action, ActionExecutor, ActionExecutorBuilder};
pub use ampere_core::action::{ActionError, ActionRequest, ExecutionMode, RetryPolicy};
