//! # ampere-runtime-common
//!
//! The std-only IO that ampere's three runtime adapters (`ampere-tokio`, `ampere-async-std`,
//! `ampere-blocking`) share, so that each stays a thin drive loop:
//!
//! - [`prepare_execution`]: carry out `ampere_core::plan`'s decisions up to the spawn: find
//!   the CLI on disk, read the base settings file the plan asks for, create the private
//!   folder (0700) and files (0600), and build a `std::process::Command` (own process group,
//!   environment with the user's `env` winning, working folder, all three stdio piped). Each
//!   runtime converts that command into its own (`tokio::process::Command::from`,
//!   `async_process::Command::from`) or spawns it as is.
//! - [`prepare_thread_command`]: the same for `threads new / markdown / share multiplayer`.
//! - [`PrivateDir`]: the private folder, removed on drop however the execution ends.
//! - [`RunState`]: one run's shared state; carries out core's outputs (signals, folder
//!   removal) and queues the pipe operations for the driver. Written once for every runtime.
//! - [`Registration`]: the live-group registry; groups still running when the program exits
//!   get `SIGKILL` from an `atexit` hook.
//! - [`ChildIo`]: a child's pipes and exit multiplexed with `poll(2)` on one thread (a
//!   pidfd for the exit where the OS has one), for the blocking runtime's drive loop.
//! - [`signal_group`], [`exit_info`]: carrying out `ampere_core::run::Signal`s and reporting
//!   exits to the core.
//! - [`env_lookup`] / [`env_lookup_os`]: the process environment, for the core's functions
//!   that take a lookup.
//!
//! Nothing here makes a protocol decision: what to run, with which arguments and files, is
//! decided by `ampere-core`.
#![warn(missing_docs)]

mod action_builder;
mod async_call;
mod blocking_http1;
mod callbacks;
mod cli_cache;
mod groups;
mod http1;
mod idle_pool;
mod io_threads;
mod locate;
mod permission_host;
mod poll_io;
mod poll_stdout;
mod prepare;
mod private_dir;
mod process;
mod record;
mod run_log;
mod settings;
mod shared;
mod tool;
mod tool_host;
#[cfg(feature = "ureq")]
mod ureq_http;

pub use action_builder::ActionExecutorBuilder;
pub use async_call::{BoxFuture, Spawner};
pub use blocking_http1::BlockingHttp1;
pub use callbacks::{CallbackHosts, Callbacks, IntoDecision, DEFAULT_PERMISSION_DEADLINE};
pub use cli_cache::CliCache;
pub use groups::{live_groups, Registration};
pub use http1::{
    connect_error, io_transport_error, send_again, Failed, Framed, Http1Target, ResponseReader,
};
pub use idle_pool::IdlePool;
pub use io_threads::{run_on_io_thread, IDLE_IO_THREAD, IO_THREAD_KEEP_ALIVE};
pub use locate::{locate_cli, CliProgram};
pub use permission_host::{PermissionHandler, PermissionHost};
pub use poll_io::{child_pidfd, nonblocking, use_pidfd, ChildIo};
pub use poll_stdout::{StdoutLoan, StdoutPipe, WakePipe, Waker};
pub use prepare::{prepare_execution, prepare_thread_command, CliSettings, Prepared};
pub use private_dir::PrivateDir;
pub use process::{exit_info, grow_pipe, is_ignorable_stdin_error, signal_group, STDOUT_PIPE_SIZE};
pub use record::{redacted_options, Recorder, REDACTED};
pub use run_log::RunLog;
pub use settings::{AmpSettings, LIVE_STDERR_LINE};
pub use shared::{input_closed_error, LiveStderr, PipeOp, RunState, StderrSink};
pub use tool::{IntoToolResult, Tool};
pub use tool_host::{relay_script, relay_server_json, HostedTool, ToolHandler, ToolHost};
#[cfg(feature = "ureq")]
pub use ureq_http::UreqAgent;

use std::ffi::OsString;

/// Looks up an environment variable of this process as UTF-8 text (`None` when unset or not
/// UTF-8). Pass it to core functions such as `ActionConfig::resolve`.
pub fn env_lookup(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

/// Looks up an environment variable of this process as an `OsString`.
pub fn env_lookup_os(name: &str) -> Option<OsString> {
    std::env::var_os(name)
}

/// The home folder of the current user, from `HOME`.
pub fn home_dir() -> Option<std::path::PathBuf> {
    home_dir_in(&env_lookup_os)
}

/// The home folder `HOME` names in the environment `env` (unset or empty: none).
pub(crate) fn home_dir_in(env: &dyn Fn(&str) -> Option<OsString>) -> Option<std::path::PathBuf> {
    env("HOME")
        .filter(|h| !h.is_empty())
        .map(std::path::PathBuf::from)
}

#[doc(hidden)]
/// Paths the exported macros use.
pub mod reexport {
    pub use ampere_core::decode::DecoderConfig;
    pub use ampere_core::threads::{finish_query, ThreadCommand, ThreadQuery};
}

/// The core types every runtime crate (`ampere-tokio`, `ampere-async-std`, `ampere-blocking`)
/// re-exports at its top level: one list, so their surfaces cannot drift.
pub mod reexports {
    pub use crate::{IntoDecision, IntoToolResult, Tool};
    pub use ampere_core::action::{
        ActionError, ActionRequest, ExecutionMode, RetryPolicy, MAX_RESPONSE_BODY,
    };
    pub use ampere_core::callbacks::mcp_server::{ToolContent, ToolResult};
    pub use ampere_core::callbacks::permission_bridge::{Decision, PermissionRequest};
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
        PermissionContext, PermissionOptions,
    };
    pub use ampere_core::run::{
        AgentError, Guard, GuardTrip, RunSummary, TimeoutKind, ToolCallRecord,
    };
    pub use ampere_core::threads::{self, MultiplayerSetting, TtlDuration};
}
