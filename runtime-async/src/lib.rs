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

mod amp;
mod contract;
mod driver;
mod execution;
pub mod runtime;
mod session;

pub use amp::{Amp, AmpBuilder};
pub use execution::{Execution, InputStream, IntoPrompt, Prompt};
pub use runtime::Runtime;
pub use session::Session;

/// The core types every async runtime crate re-exports at its top level.
pub mod reexports {
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
        PermissionContext, PermissionOptions,
    };
    pub use ampere_core::run::{AgentError, RunSummary, TimeoutKind, ToolCallRecord};
    pub use ampere_core::threads::{MultiplayerSetting, TtlDuration};
}
