//! wip
#![forbid(unsafe_code)]
#![warn(missing_docs)]
mod action;
pub use action::*;
pub use ampere_core::action::{ActionError, ActionRequest, ExecutionMode, RetryPolicy};
