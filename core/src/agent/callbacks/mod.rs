//! Callbacks into the caller's process, sans-IO: a permission handler that decides each tool
//! call ([`permission_bridge`]) and custom tools served to the CLI as an in-process MCP server
//! ([`mcp_server`]).
//!
//! Both are state machines fed with bytes; the runtime owns the FIFOs / relay, runs the
//! caller's handlers and writes back what the machines say.

pub mod mcp_server;
pub mod permission_bridge;
pub mod wiring;
