//! Carrying out core's MCP server with std threads: ampere's in-process tools, served to the
//! Amp CLI through a relay script that only moves bytes between its stdio and two FIFOs in
//! the private folder (nothing to install, no network port).
//!
//! Every protocol decision is core's ([`McpServer`]): this module only moves bytes and runs
//! the caller's tool handlers, each call on a thread of its own.

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;

use ampere_core::callbacks::mcp_server::{McpOutput, McpServer, ToolResult, ToolSpec};
use ampere_core::callbacks::permission_bridge::shell_quote;
use serde_json::{json, Value};

/// The FIFO the relay writes the CLI's requests to.
pub const MCP_IN: &str = "mcp-in";
/// The FIFO the relay reads the answers from.
pub const MCP_OUT: &str = "mcp-out";
/// The relay script's name.
pub const MCP_RELAY: &str = "mcp-relay";

/// A tool handler: the call's arguments in, the result out. Called on a thread of its own.
pub type ToolHandler = Arc<dyn Fn(Value) -> ToolResult + Send + Sync>;

/// One in-process tool: what the agent sees, and the code that runs it.
#[derive(Clone)]
pub struct HostedTool {
    /// Name, description and input schema.
    pub spec: ToolSpec,
    /// The code.
    pub handler: ToolHandler,
}

impl std::fmt::Debug for HostedTool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HostedTool")
            .field("name", &self.spec.name)
            .finish_non_exhaustive()
    }
}

/// The relay script for a private folder at `dir`.
pub fn relay_script(dir: &Path) -> String {
    let d = shell_quote(&dir.to_string_lossy());
    format!(
        "#!/bin/sh\n# ampere MCP relay, generated: moves bytes between the Amp CLI and the SDK.\nd={d}\ncat \"$d/{MCP_OUT}\" &\nout=$!\ncat > \"$d/{MCP_IN}\"\nkill \"$out\" 2>/dev/null\n"
    )
}

/// The `mcpServers` entry that starts the relay, under `name`.
pub fn relay_server_json(dir: &Path) -> Value {
    json!({"command": "/bin/sh", "args": [dir.join(MCP_RELAY).to_string_lossy()]})
}

/// The in-process MCP server of one execution. Dropping it stops serving.
pub struct ToolHost {
    shared: Arc<Shared>,
    reader: Option<JoinHandle<()>>,
    wake: Option<File>,
}

struct Shared {
    server: Mutex<McpServer>,
    out: Mutex<File>,
    tools: Vec<HostedTool>,
}

impl std::fmt::Debug for ToolHost {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ToolHost")
            .field("tools", &self.shared.tools)
            .finish_non_exhaustive()
    }
}

impl ToolHost {
    /// Writes the relay script and its FIFOs into the private folder `dir` and starts serving
    /// `tools` as the server `name`.
    pub fn start(dir: &Path, name: &str, tools: Vec<HostedTool>) -> std::io::Result<ToolHost> {
        let relay = dir.join(MCP_RELAY);
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o700)
            .open(&relay)?;
        file.write_all(relay_script(dir).as_bytes())?;
        std::fs::set_permissions(&relay, std::fs::Permissions::from_mode(0o700))?;
        crate::permission_host::mkfifo(&dir.join(MCP_IN))?;
        crate::permission_host::mkfifo(&dir.join(MCP_OUT))?;
        // Read-write opens never block and never see end of file between relays.
        let input = OpenOptions::new()
            .read(true)
            .write(true)
            .open(dir.join(MCP_IN))?;
        let wake = input.try_clone()?;
        let out = OpenOptions::new()
            .read(true)
            .write(true)
            .open(dir.join(MCP_OUT))?;
        let specs = tools.iter().map(|t| t.spec.clone()).collect();
        let shared = Arc::new(Shared {
            server: Mutex::new(McpServer::new(name, env!("CARGO_PKG_VERSION"), specs)),
            out: Mutex::new(out),
            tools,
        });
        let reader_shared = Arc::clone(&shared);
        let reader = std::thread::Builder::new()
            .name("ampere-tools".into())
            .spawn(move || reader_shared.read_loop(input))?;
        Ok(ToolHost {
            shared,
            reader: Some(reader),
            wake: Some(wake),
        })
    }

    /// The relay script's path (for the MCP configuration).
    pub fn relay_path(dir: &Path) -> PathBuf {
        dir.join(MCP_RELAY)
    }
}

impl Drop for ToolHost {
    fn drop(&mut self) {
        // A NUL byte is never part of a JSON line: it tells the reader to stop.
        if let Some(mut wake) = self.wake.take() {
            let _ = wake.write_all(b"\0");
        }
        if let Some(reader) = self.reader.take() {
            let _ = reader.join();
        }
    }
}

impl Shared {
    fn with_server(self: &Arc<Self>, f: &mut dyn FnMut(&mut McpServer)) {
        let outputs: Vec<McpOutput> = {
            let mut server = self.server.lock().unwrap_or_else(PoisonError::into_inner);
            f(&mut server);
            std::iter::from_fn(|| server.poll_output()).collect()
        };
        for output in outputs {
            match output {
                McpOutput::Write(line) => {
                    let mut out = self.out.lock().unwrap_or_else(PoisonError::into_inner);
                    if let Err(e) = out.write_all(&line) {
                        tracing::debug!(target: "ampere", error = %e, "cannot answer the MCP relay");
                    }
                }
                McpOutput::Call {
                    id,
                    name,
                    arguments,
                } => {
                    let shared = Arc::clone(self);
                    let run = move || {
                        let handler = shared
                            .tools
                            .iter()
                            .find(|t| t.spec.name == name)
                            .map(|t| Arc::clone(&t.handler));
                        let result =
                            match handler {
                                Some(handler) => std::panic::catch_unwind(
                                    std::panic::AssertUnwindSafe(move || handler(arguments)),
                                )
                                .unwrap_or_else(|_| {
                                    ToolResult::error(format!("the tool {name} panicked"))
                                }),
                                None => ToolResult::error(format!("no tool {name}")),
                            };
                        let mut result = Some(result);
                        shared.with_server(&mut |s| {
                            if let Some(r) = result.take() {
                                s.handle_call_result(id, r)
                            }
                        });
                    };
                    if let Err(e) = std::thread::Builder::new()
                        .name("ampere-tool".into())
                        .spawn(run)
                    {
                        let mut result =
                            Some(ToolResult::error(format!("cannot run the tool: {e}")));
                        self.with_server(&mut |s| {
                            if let Some(r) = result.take() {
                                s.handle_call_result(id, r)
                            }
                        });
                    }
                }
                // A thread cannot be stopped; the machine drops its result.
                McpOutput::Cancel(_) => {}
            }
        }
    }

    fn read_loop(self: Arc<Self>, mut input: File) {
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            match input.read(&mut buf) {
                Ok(0) => return,
                Ok(n) => {
                    let (bytes, stop) = match memchr_nul(&buf[..n]) {
                        Some(i) => (&buf[..i], true),
                        None => (&buf[..n], false),
                    };
                    let bytes = bytes.to_vec();
                    self.with_server(&mut |s| s.handle_bytes(&bytes));
                    if stop {
                        return;
                    }
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => {
                    tracing::warn!(target: "ampere", error = %e, "cannot read from the MCP relay");
                    return;
                }
            }
        }
    }
}

fn memchr_nul(bytes: &[u8]) -> Option<usize> {
    bytes.iter().position(|&b| b == 0)
}
