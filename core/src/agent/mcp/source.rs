//! [`McpConfigSource`]: where the MCP configuration of one execution comes from.

#[allow(unused_imports)]
use super::*;

/// Where the MCP configuration of one execution comes from.
#[derive(Clone, PartialEq, Eq)]
pub enum McpConfigSource {
    /// A typed configuration (written to a private file).
    Inline(McpConfig),
    /// JSON text of a configuration, a string starting with `{` (written to a private file).
    Json(String),
    /// The path of a configuration file, passed to the CLI as is.
    Path(String),
}

impl McpConfigSource {
    /// Whether the configuration is inline (typed or JSON text) and must be written to a
    /// private file before it is passed by path.
    pub fn is_inline(&self) -> bool {
        !matches!(self, Self::Path(_))
    }

    /// The validated bytes to write into a private `0600` file for an inline configuration,
    /// or `None` for a path.
    ///
    /// JSON text must be an object whose values are server objects, each with `command` or
    /// `url` (but not both); it is written as given (so keys ampere does not know survive).
    pub fn inline_bytes(&self) -> Result<Option<Vec<u8>>, ValidationError> {
        match self {
            Self::Inline(config) => config.to_json_bytes().map(Some),
            Self::Json(text) => {
                validate_json_config(text)?;
                Ok(Some(text.trim().as_bytes().to_vec()))
            }
            Self::Path(_) => Ok(None),
        }
    }
}

/// Checks JSON text of an MCP configuration without insisting on keys ampere knows.
pub(super) fn validate_json_config(text: &str) -> Result<(), ValidationError> {
    let value: Value = serde_json::from_str(text).map_err(|e| {
        ValidationError::new(
            "mcp_config",
            format!("inline JSON configuration does not parse: {e}"),
        )
    })?;
    let Value::Object(servers) = value else {
        return Err(ValidationError::new(
            "mcp_config",
            "inline JSON configuration must be an object of servers by name",
        ));
    };
    for (name, server) in &servers {
        let field = format!("mcp_config.{name}");
        if name.is_empty() {
            return Err(ValidationError::new(
                "mcp_config",
                "server names must not be empty",
            ));
        }
        let Value::Object(fields) = server else {
            return Err(ValidationError::new(field, "must be an object"));
        };
        let command = fields.get("command");
        let url = fields.get("url");
        match (command, url) {
            (Some(c), None) => {
                if c.as_str().is_none_or(|c| c.is_empty()) {
                    return Err(ValidationError::new(
                        format!("{field}.command"),
                        "must be a non-empty string",
                    ));
                }
            }
            (None, Some(u)) => {
                if u.as_str().is_none_or(|u| u.is_empty()) {
                    return Err(ValidationError::new(
                        format!("{field}.url"),
                        "must be a non-empty string",
                    ));
                }
            }
            (Some(_), Some(_)) => {
                return Err(ValidationError::new(
                    field,
                    "has either `command` (stdio) or `url` (HTTP), not both",
                ))
            }
            (None, None) => {
                return Err(ValidationError::new(
                    field,
                    "needs `command` (stdio) or `url` (HTTP)",
                ))
            }
        }
    }
    Ok(())
}

impl fmt::Debug for McpConfigSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Inline(c) => f.debug_tuple("Inline").field(c).finish(),
            // JSON text may hold secrets anywhere: show only its size.
            Self::Json(t) => write!(f, "Json(<{} bytes redacted>)", t.len()),
            Self::Path(p) => f.debug_tuple("Path").field(p).finish(),
        }
    }
}

impl From<McpConfig> for McpConfigSource {
    fn from(c: McpConfig) -> Self {
        Self::Inline(c)
    }
}

impl From<String> for McpConfigSource {
    /// Text whose first non-blank character is `{` is JSON; anything else is a path.
    fn from(s: String) -> Self {
        if s.trim_start().starts_with('{') {
            Self::Json(s)
        } else {
            Self::Path(s)
        }
    }
}

impl From<&str> for McpConfigSource {
    /// See the `String` conversion.
    fn from(s: &str) -> Self {
        Self::from(s.to_owned())
    }
}
