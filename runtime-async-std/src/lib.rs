//! # ampere-async-std
//!
//! Run the [Amp](https://ampcode.com) coding agent (by driving the Amp CLI) and Zamp platform
//! actions (over HTTP) from async Rust, under **async-std or smol** (or any executor).
//!
//! This crate is a thin adapter: every protocol decision (the CLI's arguments and files, how
//! its output is framed and decoded, when to terminate it and how its exit is judged, the
//! create/poll/backoff of an action) is made by the sans-IO [`ampere_core`]; this crate only
//! carries those decisions out.
//!
//! ## Executor independence
//!
//! async-std has been discontinued by its authors, who point to smol. This crate therefore
//! does **not** depend on async-std: it is built on the maintained crates that async-std and
//! smol both use underneath: [`async_io`] (its reactor, for the CLI's pipes and pidfd, and
//! its timers), [`async_executor`], [`async_channel`], [`futures_lite`] and
//! [`blocking`] (a thread pool for blocking work). Every future it returns works under
//! `async_std::task::block_on`, `smol::block_on`, an `async_executor`, or a bare
//! `futures_lite::future::block_on`:
//!
//! - `Execution`, `Session` and `Amp` are `ampere-runtime-async`'s, shared with
//!   `ampere-tokio`, over [`AsyncStdRuntime`]. Each execution's driver is one task (not a
//!   thread) on ampere's small process-wide executor (a few threads, at most 4, see
//!   [`AsyncStdRuntime`]); it feeds the child's IO into `ampere-core`'s run machine, and the
//!   consumer takes messages straight from that machine. Undelivered output is bounded
//!   ([`AmpBuilder::max_buffered_bytes`]): above it ampere stops reading the CLI until the
//!   consumer catches up, and the idle timeout does not run meanwhile;
//! - HTTP requests (Zamp actions) to `http://` go out on async-io sockets (kept-alive
//!   connections pooled per [`ActionExecutor`]); `https://` runs the blocking [`ureq`]
//!   client on [`blocking`]'s thread pool, so no executor thread ever waits on the network;
//! - waiting uses [`async_io::Timer`], which async-io drives from any thread.
//!
//! ## Quick start
//!
//! ```no_run
//! use ampere_async_std::{execute, AmpOptions, Message};
//!
//! # fn main() -> Result<(), ampere_async_std::AgentError> {
//! async_std::task::block_on(async {
//!     let mut messages = execute("What files are in this directory?", AmpOptions::default());
//!     while let Some(message) = messages.next().await {
//!         if let Message::Result(result) = message? {
//!             println!("Result: {}", result.result);
//!             break;
//!         }
//!     }
//!     Ok(())
//! })
//! # }
//! ```
//!
//! The same code runs under `smol::block_on`. See [`Amp`] for timeouts and the CLI path,
//! [`Amp::run`] to run to completion, [`Amp::session`] for multi-turn conversations,
//! and [`ActionExecutor`] for Zamp actions.
//!
//! ## Surface
//!
//! The names are the same in `ampere-tokio` and `ampere-blocking`: [`Amp`] /
//! [`AmpBuilder`], [`Execution`] (a [`Stream`](futures_core::Stream) of
//! `Result<Message, AgentError>`), [`Prompt`], [`Session`], the thread commands
//! ([`Amp::thread_new`], [`Amp::thread_markdown`], [`Amp::thread_multiplayer`]), the free
//! functions [`execute`], [`create_user_message`] and [`execute_action`], and
//! [`ActionExecutor`].
//!
//! ## Logging
//!
//! A `tracing` debug event (target `ampere`) names the command line and working folder of
//! each CLI it spawns; environment values, prompts and file contents are never logged, nor
//! is the Zamp token.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod action;
mod http;
mod runtime;

pub use action::{execute_action, ActionExecutor, ActionExecutorBuilder};
pub use ampere_runtime_async::reexports::*;
pub use ampere_runtime_async::{InputStream, IntoPrompt, Prompt};
pub use runtime::AsyncStdRuntime;

/// The sans-IO core, for everything not re-exported at the top level.
pub use ampere_core as core;

/// The Amp agent client; see [`ampere_runtime_async::Amp`].
///
/// ```no_run
/// # async_io::block_on(async {
/// use std::time::Duration;
/// use ampere_async_std::{Amp, AmpOptions};
///
/// let amp = Amp::builder().idle_timeout(Duration::from_secs(300)).build();
/// let summary = amp.run("What is 2 + 2?", AmpOptions::default()).await?;
/// println!("{}", summary.result);
/// # Ok::<(), ampere_async_std::AgentError>(())
/// # });
/// ```
pub type Amp = ampere_runtime_async::Amp<AsyncStdRuntime>;

/// Builds an [`Amp`] client; see [`ampere_runtime_async::AmpBuilder`].
pub type AmpBuilder = ampere_runtime_async::AmpBuilder<AsyncStdRuntime>;

/// One running execution: a `Stream` of its messages; see
/// [`ampere_runtime_async::Execution`].
pub type Execution = ampere_runtime_async::Execution<AsyncStdRuntime>;

/// An interactive session (`--stream-json-input`); see [`ampere_runtime_async::Session`].
///
/// ```no_run
/// # async_io::block_on(async {
/// use ampere_async_std::{Amp, AmpOptions, Message};
///
/// let mut session = Amp::new().session(AmpOptions::default());
/// session.send_text("Start analyzing the codebase").await?;
/// while let Some(message) = session.next().await {
///     if let Message::Result(result) = message? {
///         println!("first answer: {}", result.result);
///         break;
///     }
/// }
/// session.send_text("Now focus on the authentication module").await?;
/// let summary = session.finish().await?;
/// println!("last answer: {}", summary.result);
/// # Ok::<(), ampere_async_std::AgentError>(())
/// # });
/// ```
pub type Session = ampere_runtime_async::Session<AsyncStdRuntime>;

/// Starts one execution with a default [`Amp`] client (the seed's `execute()`).
pub fn execute(prompt: impl IntoPrompt<AsyncStdRuntime>, options: AmpOptions) -> Execution {
    Amp::new().execute(prompt, options)
}

/// Runs one execution to completion with a default [`Amp`] client; see [`Amp::run`].
pub async fn run(
    prompt: impl IntoPrompt<AsyncStdRuntime>,
    options: AmpOptions,
) -> Result<RunSummary, AgentError> {
    Amp::new().run(prompt, options).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn send<T: Send>(_: &T) {}
    fn send_sync<T: Send + Sync>() {}

    #[test]
    fn handles_and_futures_can_move_between_threads() {
        send_sync::<Amp>();
        send_sync::<ActionExecutor>();
        send_sync::<Execution>();
        send_sync::<Session>();
        // A CLI that does not exist: nothing is ever spawned.
        let amp = Amp::builder().cli_path("/nonexistent/ampere/amp").build();
        send(&amp.run("x", AmpOptions::default()));
        send(&amp.thread_new(None));
        let session = amp.session(AmpOptions::default());
        send(&session.send_text("x"));
        send(&session.finish());
        let executor = ActionExecutor::new();
        send(&executor.execute::<serde_json::Value>("x", serde_json::json!({})));
        send(&execute_action("x", serde_json::json!({})));
    }
}
