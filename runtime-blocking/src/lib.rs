//! # ampere-blocking
//!
//! Run the [Amp](https://ampcode.com) coding agent and Zamp platform actions from
//! ordinary (blocking) Rust code: std threads, `std::process` and [`ureq`], no async
//! runtime anywhere in the dependency tree.
//!
//! This crate is a thin adapter: every protocol decision (the CLI's arguments and
//! files, decoding its stream JSON, timeouts and signals, exit classification, the
//! action's create / retry / poll / backoff) is made by [`ampere_core`]'s state machines;
//! this crate carries the decisions out and reports back what happened.
//!
//! ## Quick start
//!
//! ```no_run
//! use ampere_blocking::{execute, AmpOptions, Message};
//!
//! for message in execute("What files are in this directory?", AmpOptions::default()) {
//!     if let Message::Result(result) = message? {
//!         println!("Result: {}", result.result);
//!         break; // dropping the execution stops the CLI and cleans up
//!     }
//! }
//! # Ok::<(), ampere_blocking::AgentError>(())
//! ```
//!
//! - [`Amp`] (and the free functions [`execute`], [`run`]): one execution as an
//!   [`Iterator`] of [`Message`]s ([`Execution`]), run to completion ([`Amp::run`] ->
//!   [`RunSummary`]), an interactive [`Session`], thread commands.
//! - [`Prompt`]: a text, or a stream of [`UserInputMessage`]s from any iterator that can
//!   move to another thread (a [`std::sync::mpsc::Receiver`] works).
//! - [`ActionExecutor`] (and [`execute_action`]): Zamp platform actions, typed results.
//!
//! Threads: each execution uses one IO thread that waits in `poll(2)` on the CLI's pipes,
//! its exit (a pidfd; where the OS has none, a second thread waits for the exit) and the
//! next timeout, plus one that pulls a streamed prompt's iterator. They feed the core's
//! machine directly; the iterator takes messages straight from it. An IO thread whose
//! execution is over waits 10 s for the next one (named `ampere-idle` meanwhile), so
//! back-to-back executions do not start a thread each.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod action;
mod agent;
mod driver;
mod execution;
mod session;

pub use action::{execute_action, ActionExecutor, ActionExecutorBuilder};
pub use agent::{execute, run, Amp, AmpBuilder};
pub use execution::{Execution, Prompt};
pub use session::Session;

/// The sans-IO core, for everything not re-exported at the top level.
pub use ampere_core as core;

pub use ampere_runtime_common::reexports::*;
