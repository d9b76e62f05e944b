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
//! smol both use underneath: [`async_process`] (the CLI child process), [`async_io`] (its
//! reactor and timers), [`async_channel`], [`futures_lite`] and [`blocking`] (a thread pool
//! for blocking work). Every future it returns works under `async_std::task::block_on`,
//! `smol::block_on`, an `async_executor`, or a bare `futures_lite::future::block_on`:
//!
//! - each agent execution runs on a **dedicated driver thread** inside
//!   [`async_io::block_on`]; it owns the child process, its pipes, the private temporary
//!   folder and core's `AgentRun`, and hands messages over through a bounded channel. It
//!   keeps reading the CLI's output, draining stderr and enforcing timeouts whatever the
//!   consumer does, and notices at once when the consumer drops the stream;
//! - HTTP requests (Zamp actions) run the blocking [`ureq`] client on [`blocking`]'s thread
//!   pool, so no executor thread ever waits on the network; one pooled agent per
//!   [`ActionExecutor`] reuses connections;
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
mod agent;
mod driver;
mod http;
mod runtime;

pub use action::{execute_action, ActionExecutor, ActionExecutorBuilder};
pub use agent::{execute, Amp, AmpBuilder, Execution, InputStream, Prompt, Session};
pub use runtime::AsyncStdRuntime;

pub use ampere_core as core;

pub use ampere_core::action::{ActionError, ActionRequest, ExecutionMode, RetryPolicy};
pub use ampere_core::decode::{DecodeError, DecodeErrorKind};
pub use ampere_core::mcp::{
    McpConfig, McpConfigSource, McpHttpServer, McpOAuth, McpServer, McpStdioServer,
};
pub use ampere_core::message::{
    create_user_message, AssistantMessage, ContentBlock, ErrorResultMessage, McpServerStatus,
    Message, ResultMessage, SystemMessage, ToolResultContent, UnknownMessage, Usage,
    UserInputMessage, UserMessage,
};
pub use ampere_core::options::{
    AmpOptions, ContinueThread, Effort, Executor, LogLevel, Mode, Visibility,
};
pub use ampere_core::permission::{
    create_permission, MatchCondition, Permission, PermissionAction, PermissionBuilder,
    PermissionContext, PermissionOptions,
};
pub use ampere_core::run::{AgentError, RunSummary, TimeoutKind, ToolCallRecord};
pub use ampere_core::threads::{MultiplayerSetting, TtlDuration};
pub use ampere_core::ValidationError;

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
