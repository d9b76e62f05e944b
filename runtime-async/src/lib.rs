//! # ampere-runtime-async
//!
//! The one async driver of ampere, in quinn's shape: everything an async user touches
//! (`Execution`, `Session`, `Amp`, `ActionExecutor`) is written once here against the small
//! [`Runtime`] trait; `ampere-tokio` and `ampere-async-std` implement it and re-export the
//! types under their own names. Every protocol decision is `ampere-core`'s; this crate only
//! carries them out.
//!
//! One execution is one driver future (spawned with [`Runtime::spawn`]) that feeds the
//! child's ready IO into the shared run state and carries out the pipe operations it queues;
//! the consumer ([`Execution`], [`Session`]) takes messages straight from that state.
#![warn(missing_docs)]

pub mod action;
mod amp;
mod child;
mod contract;
mod dispatch;
mod driver;
mod execution;
pub mod http;
mod io;
pub mod runtime;
mod session;

pub use action::{execute_action, ActionExecutor, ActionExecutorBuilder};
pub use amp::{Amp, AmpBuilder};
pub use execution::{Execution, InputStream, IntoPrompt, Prompt};
pub use http::HttpTransport;
pub use runtime::Runtime;
pub use session::Session;

/// The core types every runtime crate re-exports at its top level (the same list in all
/// three, so their surfaces cannot drift).
pub use ampere_runtime_common::reexports;
