//! How the caller's callbacks enter one execution, decided here as values: the runtime says
//! *what* it serves (delegate scripts at these paths, an in-process MCP relay started by this
//! command, these tools) and [`plan_execution_with`](crate::plan::plan_execution_with)
//! emits the settings file and the `--mcp-config` that reach them.
//!
//! - **Permission handler and the user's rules.** The CLI evaluates `amp.permissions` in
//!   order and the first matching rule wins. The generated settings keep the user's own
//!   rules (from `AmpOptions::permissions`, else the base settings file) first and append one
//!   `delegate` rule per context (`thread`, `subagent`) matching every tool: the user's rules
//!   decide what they match, the handler decides whatever they leave open. The generated
//!   settings also set `amp.dangerouslyAllowAll` to `false` (with it on, the CLI would never
//!   ask); `dangerously_allow_all(true)` together with a handler is a configuration error.
//! - **In-process tools and the user's MCP servers** share one `--mcp-config`: the user's
//!   servers (inline, typed or JSON) plus the in-process server under
//!   [`IN_PROCESS_SERVER`]. A user server of that name is an error naming it; a
//!   configuration given as a path cannot be merged and is an error too.
//! - Both need the local executor (a remote executor runs tools on another machine).

use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use super::mcp_server::ToolSpec;
use super::permission_bridge::script_name;
use crate::error::ValidationError;
use crate::mcp::{McpConfigSource, McpStdioServer};
use crate::options::AmpOptions;
use crate::permission::PermissionContext;
use crate::settings::{KEY_DANGEROUSLY_ALLOW_ALL, KEY_PERMISSIONS};

/// The name of ampere's in-process MCP server in the generated `--mcp-config` (the agent
/// sees its tools as this server's).
pub const IN_PROCESS_SERVER: &str = "ampere";

/// The longest tool name the CLI's models accept.
const MAX_TOOL_NAME: usize = 64;

/// What the runtime serves from the caller's process for one execution. The default serves
/// nothing (the plan is then exactly [`plan_execution`](crate::plan::plan_execution)'s).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CallbackPlan {
    /// The permission bridge's delegate scripts: every call the user's rules leave open is
    /// handed to them.
    pub delegates: Option<DelegateScripts>,
    /// The in-process tool server.
    pub tools: Option<InProcessTools>,
}

/// The delegate scripts of the permission bridge, one per context.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DelegateScripts {
    /// Run for calls made by the main thread.
    pub thread: PathBuf,
    /// Run for calls made by subagents.
    pub subagent: PathBuf,
}

impl DelegateScripts {
    /// The scripts as the permission bridge names them in the private folder `dir`.
    pub fn in_dir(dir: &Path) -> Self {
        Self {
            thread: dir.join(script_name(PermissionContext::Thread)),
            subagent: dir.join(script_name(PermissionContext::Subagent)),
        }
    }

    /// The rules appended after the user's: every tool, one rule per context.
    pub fn rules_json(&self) -> Vec<Value> {
        [(&self.thread, "thread"), (&self.subagent, "subagent")]
            .into_iter()
            .map(|(to, context)| {
                serde_json::json!({
                    "tool": "*",
                    "action": "delegate",
                    "to": to.to_string_lossy(),
                    "context": context,
                })
            })
            .collect()
    }
}

/// ampere's in-process MCP server: how the CLI starts its relay, and what it lists.
#[derive(Debug, Clone, PartialEq)]
pub struct InProcessTools {
    /// The stdio command the CLI starts (the relay to the caller's process).
    pub relay: McpStdioServer,
    /// The tools served.
    pub tools: Vec<ToolSpec>,
}

impl CallbackPlan {
    /// Whether nothing is served.
    pub fn is_empty(&self) -> bool {
        self.delegates.is_none() && self.tools.is_none()
    }

    /// Checks the callbacks against the options: combinations that cannot work are errors
    /// naming both sides, before anything is written or spawned.
    pub fn validate(&self, options: &AmpOptions) -> Result<(), ValidationError> {
        if self.delegates.is_some() {
            if options.dangerously_allow_all == Some(true) {
                return Err(ValidationError::new(
                    "permission_handler",
                    "cannot be combined with dangerously_allow_all(true): every tool call would be allowed without asking the handler; leave one of them out",
                ));
            }
            if options.executor.is_remote() {
                return Err(ValidationError::new(
                    "permission_handler",
                    "needs the local executor: with a remote executor (orb, runner) the tools run on another machine, out of reach of the handler",
                ));
            }
        }
        if let Some(tools) = &self.tools {
            if options.executor.is_remote() {
                return Err(ValidationError::new(
                    "tools",
                    "in-process tools need the local executor: a remote executor (orb, runner) cannot reach the caller's process",
                ));
            }
            validate_tools(&tools.tools)?;
            if let Some(McpConfigSource::Path(path)) = &options.mcp_config {
                return Err(ValidationError::new(
                    "mcp_config",
                    format!("a configuration file path ({path}) cannot be combined with in-process tools: ampere writes one --mcp-config holding both, so pass the configuration inline (McpConfig or JSON text)"),
                ));
            }
        }
        Ok(())
    }

    /// Appends the delegate rules after the user's own rules and turns
    /// `amp.dangerouslyAllowAll` off. `settings` is the overlay already holding the user's
    /// rules.
    pub fn apply_settings(
        &self,
        mut settings: Map<String, Value>,
    ) -> Result<Map<String, Value>, ValidationError> {
        let Some(delegates) = &self.delegates else {
            return Ok(settings);
        };
        let mut rules = match settings.remove(KEY_PERMISSIONS) {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(rules)) => rules,
            Some(_) => {
                return Err(ValidationError::new(
                    "permissions",
                    format!("the settings' {KEY_PERMISSIONS} is not an array: the permission handler's delegate rules cannot be added after it"),
                ))
            }
        };
        rules.extend(delegates.rules_json());
        settings.insert(KEY_PERMISSIONS.to_string(), Value::Array(rules));
        settings.insert(KEY_DANGEROUSLY_ALLOW_ALL.to_string(), Value::Bool(false));
        Ok(settings)
    }

    /// The `--mcp-config` bytes holding the user's servers (from `user`) and the in-process
    /// server, or `None` when no tools are served.
    pub fn mcp_config_bytes(
        &self,
        user: Option<&McpConfigSource>,
    ) -> Result<Option<Vec<u8>>, ValidationError> {
        let Some(tools) = &self.tools else {
            return Ok(None);
        };
        let mut servers: Map<String, Value> = match user {
            None => Map::new(),
            Some(source) => match source.inline_bytes()? {
                Some(bytes) => match serde_json::from_slice(&bytes) {
                    Ok(Value::Object(map)) => map,
                    _ => {
                        return Err(ValidationError::new(
                            "mcp_config",
                            "must be an object of servers by name",
                        ))
                    }
                },
                None => {
                    return Err(ValidationError::new(
                        "mcp_config",
                        "a configuration file path cannot be combined with in-process tools",
                    ))
                }
            },
        };
        if servers.contains_key(IN_PROCESS_SERVER) {
            return Err(ValidationError::new(
                format!("mcp_config.{IN_PROCESS_SERVER}"),
                format!("\"{IN_PROCESS_SERVER}\" is the name of ampere's in-process tool server (the tools registered with `tool`); rename this MCP server"),
            ));
        }
        let relay = serde_json::to_value(&tools.relay)
            .map_err(|e| ValidationError::new("tools", e.to_string()))?;
        servers.insert(IN_PROCESS_SERVER.to_string(), relay);
        serde_json::to_vec(&Value::Object(servers))
            .map(Some)
            .map_err(|e| ValidationError::new("tools", e.to_string()))
    }
}

/// Checks the in-process tools: at least one; names of 1 to 64 ASCII letters, digits, `_`
/// or `-`, each used once; a description; an input schema that is an object schema.
pub fn validate_tools(tools: &[ToolSpec]) -> Result<(), ValidationError> {
    if tools.is_empty() {
        return Err(ValidationError::new("tools", "no tool registered"));
    }
    for (i, tool) in tools.iter().enumerate() {
        let name = &tool.name;
        let field = format!("tools.{name}");
        if name.is_empty() || name.len() > MAX_TOOL_NAME {
            return Err(ValidationError::new(
                format!("tools[{i}].name"),
                format!("must be 1 to {MAX_TOOL_NAME} characters, got {:?}", name),
            ));
        }
        if let Some(bad) = name
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || *c == '_' || *c == '-'))
        {
            return Err(ValidationError::new(
                format!("{field}.name"),
                format!("may hold only ASCII letters, digits, `_` and `-` (found {bad:?})"),
            ));
        }
        if tools[..i].iter().any(|t| &t.name == name) {
            return Err(ValidationError::new(
                format!("{field}.name"),
                "is registered twice",
            ));
        }
        if tool.description.trim().is_empty() {
            return Err(ValidationError::new(
                format!("{field}.description"),
                "must not be empty (the agent reads it to know when to call the tool)",
            ));
        }
        let Value::Object(schema) = &tool.input_schema else {
            return Err(ValidationError::new(
                format!("{field}.input_schema"),
                "must be a JSON Schema object",
            ));
        };
        match schema.get("type") {
            Some(Value::String(t)) if t == "object" => {}
            None => {}
            Some(other) => {
                return Err(ValidationError::new(
                    format!("{field}.input_schema"),
                    format!(
                        "must describe an object (\"type\": \"object\"), found \"type\": {other}"
                    ),
                ))
            }
        }
    }
    Ok(())
}
