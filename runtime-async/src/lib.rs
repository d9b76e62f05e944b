//! # ampere-runtime-async
//!
//! The one async driver of ampere, in quinn's shape: everything an async user touches
//! (`Execution`, `Session`, `Amp`, `ActionExecutor`) is written once here against the small
//! [`Runtime`] trait; `ampere-tokio` and `ampere-async-std` implement it and re-export the
//! types under their own names. Every protocol decision is `ampere-core`'s; this crate only
//! carries them out.
#![warn(missing_docs)]

pub mod action;
pub mod http;
pub mod runtime;

pub use action::{execute_action, ActionExecutor, ActionExecutorBuilder};
pub use http::HttpTransport;
pub use runtime::Runtime;
