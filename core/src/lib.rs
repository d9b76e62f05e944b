//! # ampere-core
//!
//! The sans-IO protocol core of ampere. Everything here is a pure state machine or a pure
//! function: stream-JSON framing and decoding of the Amp CLI's output, building the CLI's
//! invocation (argv, environment, private files) from options, permission rules and MCP
//! configuration, the decisions around one running CLI process, and the create/poll/backoff
//! machine of a Zamp platform action.
//!
//! This crate performs no IO: no processes, files, sockets, environment lookups, threads or
//! sleeps, and it never reads a clock. Time comes in as `now: Instant`, data comes in as
//! bytes or values, and decisions come out as values. The runtime crates (`ampere-tokio`,
//! `ampere-async-std`, `ampere-blocking`) carry those decisions out.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod action;
pub mod agent;
pub mod error;
pub mod recording;

pub use agent::{
    callbacks, decode, locate, mcp, message, options, permission, plan, run, settings, threads,
};
pub use error::ValidationError;
