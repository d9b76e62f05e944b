//! MCP (Model Context Protocol) server configuration, as the Amp CLI reads it.
//!
//! The CLI takes `--mcp-config VALUE`: a JSON object `{NAME: SERVER}`. A stdio server has
//! `command`, `args`?, `env`?, `disabled`?; an HTTP server has `url`, `headers`?,
//! `transport`?, `oauth`? and `disabled`?. Defaults (empty `args`/`env`/`headers`/`scopes`,
//! `disabled: false`) are omitted from the JSON.
//!
//! Inline configuration can hold secrets (environment values, headers, an OAuth client
//! secret), so ampere never puts it on the command line: [`McpConfigSource::inline_bytes`]
//! gives the validated bytes the runtime writes into a private `0600` file, and the path of
//! that file is passed instead. `Debug` output of servers redacts every secret value.
//!
//! ```
//! use ampere_core::mcp::{McpConfig, McpServer};
//!
//! let config = McpConfig::new()
//!     .server(
//!         "playwright",
//!         McpServer::stdio("npx").args(["-y", "@playwright/mcp@latest", "--headless"]),
//!     )
//!     .server("remote", McpServer::http("https://api.example.com/mcp"));
//! let json = serde_json::to_string(&config).unwrap_or_default();
//! assert_eq!(
//!     json,
//!     r#"{"playwright":{"command":"npx","args":["-y","@playwright/mcp@latest","--headless"]},"remote":{"url":"https://api.example.com/mcp"}}"#
//! );
//! ```

use std::collections::BTreeMap;
use std::fmt;

use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

use crate::error::ValidationError;

/// A set of MCP servers by name (serialized as the CLI's top-level `{NAME: SERVER}` object,
/// names in sorted order).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct McpConfig {
    /// The servers, by name.
    pub servers: BTreeMap<String, McpServer>,
}

impl McpConfig {
    /// An empty configuration.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds (or replaces) the server `name`.
    #[must_use]
    pub fn server(mut self, name: impl Into<String>, server: impl Into<McpServer>) -> Self {
        self.servers.insert(name.into(), server.into());
        self
    }

    /// Adds (or replaces) the server `name`, returning the one it replaced.
    pub fn insert(
        &mut self,
        name: impl Into<String>,
        server: impl Into<McpServer>,
    ) -> Option<McpServer> {
        self.servers.insert(name.into(), server.into())
    }

    /// Whether there are no servers.
    pub fn is_empty(&self) -> bool {
        self.servers.is_empty()
    }

    /// Checks what the types cannot: server names, commands, URLs and OAuth endpoints are
    /// non-empty, and no stdio server is `disabled` (the pinned CLI refuses the whole
    /// configuration with `Unrecognized key: "disabled"` then; it accepts `disabled` on HTTP
    /// servers). The error names the server (`mcp_config.NAME.command`).
    pub fn validate(&self) -> Result<(), ValidationError> {
        for (name, server) in &self.servers {
            if name.is_empty() {
                return Err(ValidationError::new(
                    "mcp_config",
                    "server names must not be empty",
                ));
            }
            match server {
                McpServer::Stdio(s) if s.disabled => {
                    return Err(ValidationError::new(
                        format!("mcp_config.{name}.disabled"),
                        "the Amp CLI refuses `disabled` on a stdio server (\"Unrecognized key\"); leave the server out instead",
                    ))
                }
                McpServer::Stdio(s) if s.command.is_empty() => {
                    return Err(ValidationError::new(
                        format!("mcp_config.{name}.command"),
                        "must not be empty",
                    ))
                }
                McpServer::Http(h) if h.url.is_empty() => {
                    return Err(ValidationError::new(
                        format!("mcp_config.{name}.url"),
                        "must not be empty",
                    ))
                }
                McpServer::Http(McpHttpServer { oauth: Some(o), .. }) => {
                    for (field, value) in [
                        ("clientId", &o.client_id),
                        ("authUrl", &o.auth_url),
                        ("tokenUrl", &o.token_url),
                    ] {
                        if value.is_empty() {
                            return Err(ValidationError::new(
                                format!("mcp_config.{name}.oauth.{field}"),
                                "must not be empty",
                            ));
                        }
                    }
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// The configuration as the JSON bytes the CLI reads (validated first).
    pub fn to_json_bytes(&self) -> Result<Vec<u8>, ValidationError> {
        self.validate()?;
        serde_json::to_vec(self).map_err(|e| ValidationError::new("mcp_config", e.to_string()))
    }

    /// Parses the CLI's JSON (`{NAME: SERVER}`), validating it.
    pub fn from_json(text: &str) -> Result<Self, ValidationError> {
        let config: Self = serde_json::from_str(text)
            .map_err(|e| ValidationError::new("mcp_config", e.to_string()))?;
        config.validate()?;
        Ok(config)
    }
}

impl<N: Into<String>, S: Into<McpServer>> FromIterator<(N, S)> for McpConfig {
    fn from_iter<I: IntoIterator<Item = (N, S)>>(iter: I) -> Self {
        Self {
            servers: iter
                .into_iter()
                .map(|(n, s)| (n.into(), s.into()))
                .collect(),
        }
    }
}

/// One MCP server: started as a local program (stdio) or reached over HTTP.
///
/// JSON with `command` is a stdio server, with `url` an HTTP server; both or neither is an
/// error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum McpServer {
    /// A server the CLI starts as a child process and talks to over stdio.
    Stdio(McpStdioServer),
    /// A server the CLI reaches over HTTP (streamable HTTP or SSE).
    Http(McpHttpServer),
}

impl McpServer {
    /// A stdio server running `command` (add arguments and environment with the builder
    /// methods of [`McpStdioServer`]).
    pub fn stdio(command: impl Into<String>) -> McpStdioServer {
        McpStdioServer {
            command: command.into(),
            args: Vec::new(),
            env: BTreeMap::new(),
            disabled: false,
        }
    }

    /// An HTTP server at `url` (add headers, transport and OAuth with the builder methods of
    /// [`McpHttpServer`]).
    pub fn http(url: impl Into<String>) -> McpHttpServer {
        McpHttpServer {
            url: url.into(),
            headers: BTreeMap::new(),
            transport: None,
            oauth: None,
            disabled: false,
        }
    }

    /// Whether the server is configured but disabled.
    pub fn is_disabled(&self) -> bool {
        match self {
            Self::Stdio(s) => s.disabled,
            Self::Http(h) => h.disabled,
        }
    }
}

impl From<McpStdioServer> for McpServer {
    fn from(s: McpStdioServer) -> Self {
        Self::Stdio(s)
    }
}

impl From<McpHttpServer> for McpServer {
    fn from(h: McpHttpServer) -> Self {
        Self::Http(h)
    }
}

impl Serialize for McpServer {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Stdio(s) => s.serialize(serializer),
            Self::Http(h) => h.serialize(serializer),
        }
    }
}

impl<'de> Deserialize<'de> for McpServer {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = Value::deserialize(deserializer)?;
        let Value::Object(map) = &value else {
            return Err(D::Error::custom(
                "an MCP server must be an object with `command` (stdio) or `url` (HTTP)",
            ));
        };
        match (map.contains_key("command"), map.contains_key("url")) {
            (true, false) => McpStdioServer::deserialize(value)
                .map(Self::Stdio)
                .map_err(D::Error::custom),
            (false, true) => McpHttpServer::deserialize(value)
                .map(Self::Http)
                .map_err(D::Error::custom),
            (true, true) => Err(D::Error::custom(
                "an MCP server has either `command` (stdio) or `url` (HTTP), not both",
            )),
            (false, false) => Err(D::Error::custom(
                "an MCP server needs `command` (stdio) or `url` (HTTP)",
            )),
        }
    }
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// A stdio MCP server: `command` started with `args` and extra environment `env`.
///
/// `Debug` shows environment variable names only, never their values.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct McpStdioServer {
    /// The program to start.
    pub command: String,
    /// Its arguments.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub args: Vec<String>,
    /// Extra environment variables for it (values may be secrets).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub env: BTreeMap<String, String>,
    /// Whether the server is configured but not started. Note: the Amp CLI refuses this key
    /// on stdio servers, so [`McpConfig::validate`] refuses `true`.
    #[serde(default, skip_serializing_if = "is_false")]
    pub disabled: bool,
}

impl McpStdioServer {
    /// Appends one argument.
    #[must_use]
    pub fn arg(mut self, arg: impl Into<String>) -> Self {
        self.args.push(arg.into());
        self
    }

    /// Appends arguments.
    #[must_use]
    pub fn args<I, A>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = A>,
        A: Into<String>,
    {
        self.args.extend(args.into_iter().map(Into::into));
        self
    }

    /// Sets one environment variable for the server.
    #[must_use]
    pub fn env(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.env.insert(key.into(), value.into());
        self
    }

    /// Marks the server disabled (or enabled).
    #[must_use]
    pub fn disabled(mut self, disabled: bool) -> Self {
        self.disabled = disabled;
        self
    }
}

impl fmt::Debug for McpStdioServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("McpStdioServer")
            .field("command", &self.command)
            .field("args", &self.args)
            .field("env", &RedactedMap(&self.env))
            .field("disabled", &self.disabled)
            .finish()
    }
}

/// An HTTP MCP server at `url`.
///
/// `Debug` shows header names only, never their values.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct McpHttpServer {
    /// The server's URL.
    pub url: String,
    /// Extra HTTP headers (values may be secrets, such as `Authorization`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<String, String>,
    /// The transport, such as `"sse"` (the CLI's default when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transport: Option<String>,
    /// OAuth settings for servers that need them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oauth: Option<McpOAuth>,
    /// Whether the server is configured but not used.
    #[serde(default, skip_serializing_if = "is_false")]
    pub disabled: bool,
}

impl McpHttpServer {
    /// Sets one HTTP header.
    #[must_use]
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.insert(name.into(), value.into());
        self
    }

    /// Sets the transport (such as `"sse"`).
    #[must_use]
    pub fn transport(mut self, transport: impl Into<String>) -> Self {
        self.transport = Some(transport.into());
        self
    }

    /// Sets the OAuth settings.
    #[must_use]
    pub fn oauth(mut self, oauth: McpOAuth) -> Self {
        self.oauth = Some(oauth);
        self
    }

    /// Marks the server disabled (or enabled).
    #[must_use]
    pub fn disabled(mut self, disabled: bool) -> Self {
        self.disabled = disabled;
        self
    }
}

impl fmt::Debug for McpHttpServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("McpHttpServer")
            .field("url", &self.url)
            .field("headers", &RedactedMap(&self.headers))
            .field("transport", &self.transport)
            .field("oauth", &self.oauth)
            .field("disabled", &self.disabled)
            .finish()
    }
}

/// OAuth settings of an HTTP MCP server (JSON keys `clientId`, `clientSecret`, `authUrl`,
/// `tokenUrl`, `scopes`, `redirectUrl`).
///
/// `Debug` redacts the client secret.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct McpOAuth {
    /// The OAuth client id.
    pub client_id: String,
    /// The OAuth client secret (a secret).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<String>,
    /// The authorization endpoint.
    pub auth_url: String,
    /// The token endpoint.
    pub token_url: String,
    /// The scopes to ask for.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scopes: Vec<String>,
    /// The redirect URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redirect_url: Option<String>,
}

impl McpOAuth {
    /// OAuth settings with a client id and the two endpoints.
    pub fn new(
        client_id: impl Into<String>,
        auth_url: impl Into<String>,
        token_url: impl Into<String>,
    ) -> Self {
        Self {
            client_id: client_id.into(),
            client_secret: None,
            auth_url: auth_url.into(),
            token_url: token_url.into(),
            scopes: Vec::new(),
            redirect_url: None,
        }
    }

    /// Sets the client secret.
    #[must_use]
    pub fn client_secret(mut self, secret: impl Into<String>) -> Self {
        self.client_secret = Some(secret.into());
        self
    }

    /// Appends one scope.
    #[must_use]
    pub fn scope(mut self, scope: impl Into<String>) -> Self {
        self.scopes.push(scope.into());
        self
    }

    /// Sets the redirect URL.
    #[must_use]
    pub fn redirect_url(mut self, url: impl Into<String>) -> Self {
        self.redirect_url = Some(url.into());
        self
    }
}

impl fmt::Debug for McpOAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("McpOAuth")
            .field("client_id", &self.client_id)
            .field(
                "client_secret",
                &self.client_secret.as_ref().map(|_| Redacted),
            )
            .field("auth_url", &self.auth_url)
            .field("token_url", &self.token_url)
            .field("scopes", &self.scopes)
            .field("redirect_url", &self.redirect_url)
            .finish()
    }
}

/// Prints `<redacted>`.
struct Redacted;

impl fmt::Debug for Redacted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// Prints a map's keys with every value redacted.
struct RedactedMap<'a>(&'a BTreeMap<String, String>);

impl fmt::Debug for RedactedMap<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map()
            .entries(self.0.keys().map(|k| (k, Redacted)))
            .finish()
    }
}

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
fn validate_json_config(text: &str) -> Result<(), ValidationError> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classify_strings() {
        assert!(matches!(
            McpConfigSource::from("  {\"a\":{\"url\":\"u\"}}"),
            McpConfigSource::Json(_)
        ));
        assert!(matches!(
            McpConfigSource::from("./mcp.json"),
            McpConfigSource::Path(_)
        ));
    }

    #[test]
    fn both_or_neither_is_an_error() {
        let both: Result<McpConfig, _> = serde_json::from_str(r#"{"a":{"command":"x","url":"y"}}"#);
        assert!(both.is_err());
        let neither: Result<McpConfig, _> = serde_json::from_str(r#"{"a":{"args":[]}}"#);
        assert!(neither.is_err());
    }

    #[test]
    fn debug_redacts_secrets() {
        let s = McpServer::http("https://x")
            .header("Authorization", "Bearer SECRET1")
            .oauth(McpOAuth::new("id", "https://a", "https://t").client_secret("SECRET2"));
        let d = format!("{s:?}");
        assert!(!d.contains("SECRET"), "{d}");
        assert!(d.contains("Authorization"));
        let s = McpServer::stdio("node").env("TOKEN", "SECRET3");
        let d = format!("{s:?}");
        assert!(!d.contains("SECRET"), "{d}");
    }
}
