//! The agent side of ampere: everything about running the Amp CLI.
//!
//! - [`message`] and [`decode`]: the stream-JSON messages and their framing/decoding;
//! - [`options`], [`permission`], [`mcp`], [`settings`], [`plan`]: from the user's options to
//!   the CLI's invocation (argv, environment, private files);
//! - [`run`]: the state machine of one running CLI process;
//! - [`threads`]: the thread commands; [`locate`]: where to look for the CLI.
//!
//! Each module is also re-exported at the crate root (`ampere_core::run`, ...).

pub mod callbacks;
pub mod decode;
pub mod locate;
pub mod mcp;
pub mod message;
pub mod options;
pub mod permission;
pub mod plan;
pub mod run;
pub mod settings;
pub mod threads;
