//! # ampere-tokio
//!
//! Run the [Amp](https://ampcode.com) coding agent and Zamp platform actions from async Rust
//! on Tokio.
//!
//! This crate is a thin adapter: every protocol decision (the CLI's arguments, decoding its
//! stream JSON, when to terminate it, how its exit is judged, the action create/poll/backoff
//! schedule) is made by the sans-IO [`ampere_core`]; this crate carries those decisions out
//! with tokio's reactor (the child's pipes and pidfd, `AsyncFd`), `tokio::time` and `reqwest`.
//!
//! ## The agent
//!
//! [`execute`] (or [`Amp::execute`]) starts the Amp CLI and returns an [`Execution`], a
//! `Stream` of [`Message`]s:
//!
//! ```no_run
//! use ampere_tokio::{execute, AmpOptions, Message};
//!
//! # async fn demo() -> Result<(), ampere_tokio::AgentError> {
//! let mut execution = execute("What files are in this directory?", AmpOptions::default());
//! while let Some(message) = execution.next().await {
//!     match message? {
//!         Message::System(init) => println!("tools: {}", init.tools.join(", ")),
//!         Message::Assistant(a) => println!("assistant: {}", a.text()),
//!         Message::Result(r) => println!("result: {}", r.result),
//!         _ => {}
//!     }
//! }
//! # Ok(())
//! # }
//! ```
//!
//! - [`Amp::run`] runs to completion and returns a [`RunSummary`].
//! - [`Prompt::stream`] (or a `tokio::sync::mpsc::Receiver<UserInputMessage>`) sends several
//!   user messages (`--stream-json-input`); [`Amp::session`] is the interactive form.
//! - Memory stays bounded: above [`AmpBuilder::max_buffered_bytes`] of undelivered output
//!   ampere stops reading the CLI until the consumer catches up.
//! - [`Amp::thread_new`], [`Amp::thread_markdown`], [`Amp::thread_multiplayer`] run the
//!   CLI's thread commands.
//! - Dropping an [`Execution`] (or cancelling the task that reads it) sends `SIGTERM` to the
//!   CLI's whole process group and removes its private files before `drop` returns; the
//!   driver task sends `SIGKILL` after the grace period if needed and reaps it.
//!
//! ## How it runs
//!
//! `Execution`, `Session` and `Amp` are `ampere-runtime-async`'s, shared with
//! `ampere-async-std`, over [`TokioRuntime`]: each execution's driver is one
//! `tokio::spawn`ed task feeding the child's IO into `ampere-core`'s run machine; the
//! consumer takes messages straight from that machine.
//!
//! ## Actions
//!
//! [`ActionExecutor`] runs Zamp platform actions (create, then poll with backoff):
//!
//! ```no_run
//! use ampere_tokio::ActionExecutor;
//! use serde_json::{json, Value};
//!
//! # async fn demo() -> Result<(), ampere_tokio::ActionError> {
//! // ZAMP_BASE_URL and ZAMP_AUTH_TOKEN from the environment:
//! let executor = ActionExecutor::new();
//! let result: Value = executor.execute("send_invoice", json!({"invoice_id": "inv_123"})).await?;
//! # Ok(())
//! # }
//! ```
//!
//! ## Logging
//!
//! Events go to [`tracing`] under the target `ampere`: the CLI's command line and working
//! folder at debug level (arguments never hold secrets; environment values and file
//! contents are never logged), plan warnings at warn level.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod action;
mod http;
mod runtime;

pub use action::{execute_action, ActionExecutor, ActionExecutorBuilder};
pub use ampere_runtime_async::reexports::*;
pub use ampere_runtime_async::{InputStream, IntoPrompt, Prompt};
pub use runtime::TokioRuntime;

/// The sans-IO core, for everything not re-exported at the top level.
pub use ampere_core as core;

/// Runs the Amp agent by driving the Amp CLI; see [`ampere_runtime_async::Amp`].
///
/// ```no_run
/// use std::time::Duration;
/// use ampere_tokio::{Amp, AmpOptions};
///
/// # async fn demo() -> Result<(), ampere_tokio::AgentError> {
/// let amp = Amp::builder()
///     .overall_timeout(Duration::from_secs(600))
///     .idle_timeout(Duration::from_secs(120))
///     .build();
/// let summary = amp.run("Summarize this repository", AmpOptions::default()).await?;
/// println!("{} ({} turns, {} tokens)", summary.result, summary.num_turns, summary.usage.total_tokens());
/// # Ok(())
/// # }
/// ```
pub type Amp = ampere_runtime_async::Amp<TokioRuntime>;

/// Builds an [`Amp`] client; see [`ampere_runtime_async::AmpBuilder`].
pub type AmpBuilder = ampere_runtime_async::AmpBuilder<TokioRuntime>;

/// One running execution: a `Stream` of its messages; see
/// [`ampere_runtime_async::Execution`].
///
/// ```no_run
/// use ampere_tokio::{execute, AmpOptions, Message};
///
/// # async fn demo() -> Result<(), ampere_tokio::AgentError> {
/// let mut execution = execute("What files are in this directory?", AmpOptions::default());
/// while let Some(message) = execution.next().await {
///     if let Message::Result(result) = message? {
///         println!("Result: {}", result.result);
///     }
/// }
/// # Ok(())
/// # }
/// ```
pub type Execution = ampere_runtime_async::Execution<TokioRuntime>;

/// An interactive execution (`--stream-json-input`); see [`ampere_runtime_async::Session`].
///
/// ```no_run
/// use ampere_tokio::{Amp, AmpOptions, Message};
///
/// # async fn demo() -> Result<(), ampere_tokio::AgentError> {
/// let mut session = Amp::new().session(AmpOptions::default());
/// session.send_text("Start analyzing the codebase").await?;
/// while let Some(message) = session.next().await {
///     if let Message::Result(_) = message? {
///         break; // the first turn is done
///     }
/// }
/// session.send_text("Now focus on the authentication module").await?;
/// let summary = session.finish().await?;
/// println!("{}", summary.result);
/// # Ok(())
/// # }
/// ```
pub type Session = ampere_runtime_async::Session<TokioRuntime>;

/// Starts one execution with a default [`Amp`] client (the seed's `execute()`).
pub fn execute(prompt: impl IntoPrompt<TokioRuntime>, options: AmpOptions) -> Execution {
    Amp::new().execute(prompt, options)
}

/// Runs one execution to completion with a default [`Amp`] client; see [`Amp::run`].
pub async fn run(
    prompt: impl IntoPrompt<TokioRuntime>,
    options: AmpOptions,
) -> Result<RunSummary, AgentError> {
    Amp::new().run(prompt, options).await
}
