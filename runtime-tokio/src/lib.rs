//! # ampere-tokio
//!
//! Run the [Amp](https://ampcode.com) coding agent and Zamp platform actions from async Rust
//! on Tokio.
//!
//! This crate is a thin adapter: every protocol decision (the CLI's arguments, decoding its
//! stream JSON, when to terminate it, how its exit is judged, the action create/poll/backoff
//! schedule) is made by the sans-IO [`ampere_core`]; this crate carries those decisions out
//! with `tokio::process`, `tokio::time` and `reqwest`.
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
//! - [`Amp::thread_new`], [`Amp::thread_markdown`], [`Amp::thread_multiplayer`] run the
//!   CLI's thread commands.
//! - Dropping an [`Execution`] (or cancelling the task that reads it) stops the CLI's whole
//!   process group (`SIGTERM`, then `SIGKILL` after a grace period), reaps it and removes
//!   its private files.
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
mod amp;
mod execution;
mod http;
mod runtime;
mod session;

pub use action::{execute_action, ActionExecutor, ActionExecutorBuilder};
pub use amp::{execute, run, Amp, AmpBuilder};
pub use execution::{Execution, InputStream, Prompt};
pub use runtime::TokioRuntime;
pub use session::Session;

/// The sans-IO core, for everything not re-exported at the top level.
pub use ampere_core as core;

pub use ampere_core::action::{ActionError, ActionRequest, ExecutionMode, RetryPolicy};
pub use ampere_core::decode::{DecodeError, DecodeErrorKind};
pub use ampere_core::error::ValidationError;
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
    PermissionContext,
};
pub use ampere_core::run::{AgentError, RunSummary, TimeoutKind, ToolCallRecord};
pub use ampere_core::threads::{MultiplayerSetting, TtlDuration};
