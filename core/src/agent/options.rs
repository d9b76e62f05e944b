//! [`AmpOptions`]: everything one execution of the Amp CLI can be configured with.
//!
//! Options are plain data. Build them with `Default` and struct-update syntax, with the
//! builder methods (`AmpOptions::new().cwd("repo").mode(Mode::RUSH)`), or deserialize them
//! from JSON or TOML (unknown fields are an error that names the field). Nothing is checked
//! until [`AmpOptions::validate`] (called by [`crate::plan::plan_execution`]).
//!
//! ```
//! use ampere_core::options::{AmpOptions, Executor, LogLevel, Mode};
//!
//! let built = AmpOptions::new().cwd("./my-project").mode(Mode::RUSH).continue_thread(true);
//! let updated = AmpOptions { log_level: Some(LogLevel::Debug), ..AmpOptions::default() };
//! let parsed: AmpOptions = serde_json::from_str(
//!     r#"{"mode": "deep", "labels": ["sdk"], "executor": {"orb": {"project": "p"}}}"#,
//! ).expect("valid options");
//! assert_eq!(parsed.executor, Executor::orb_project("p"));
//! assert!(built.validate().is_ok() && updated.validate().is_ok());
//! // A typo is an error that names the field.
//! let err = serde_json::from_str::<AmpOptions>(r#"{"lables": []}"#).unwrap_err();
//! assert!(err.to_string().contains("lables"));
//! ```

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::ValidationError;
use crate::mcp::McpConfigSource;
use crate::permission::Permission;

/// The most labels one execution may add to its thread.
pub const MAX_LABELS: usize = 20;
/// The longest label, in characters.
pub const MAX_LABEL_LEN: usize = 32;
/// The longest thread title, in characters (after trimming).
pub const MAX_TITLE_LEN: usize = 256;

/// The agent mode (`--mode`): it picks the model, system prompt and tool selection.
///
/// The known modes are associated constants; plugin modes are free strings
/// (`Mode::new("my-plugin-mode")`). When no mode is set the CLI picks its own default.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Mode(Cow<'static, str>);

impl Mode {
    /// `smart`: balanced mode with full capabilities (the seed's default).
    pub const SMART: Mode = Mode::from_static("smart");
    /// `rush`: faster responses with streamlined tool usage.
    pub const RUSH: Mode = Mode::from_static("rush");
    /// `large`: long-context mode.
    pub const LARGE: Mode = Mode::from_static("large");
    /// `deep`: extended reasoning for complex tasks.
    pub const DEEP: Mode = Mode::from_static("deep");
    /// `low` (current CLI name).
    pub const LOW: Mode = Mode::from_static("low");
    /// `medium` (current CLI name).
    pub const MEDIUM: Mode = Mode::from_static("medium");
    /// `high` (current CLI name).
    pub const HIGH: Mode = Mode::from_static("high");
    /// `ultra` (current CLI name).
    pub const ULTRA: Mode = Mode::from_static("ultra");

    const fn from_static(s: &'static str) -> Mode {
        Mode(Cow::Borrowed(s))
    }

    /// A mode by name (a known one or a plugin mode).
    pub fn new(name: impl Into<String>) -> Mode {
        Mode(Cow::Owned(name.into()))
    }

    /// The mode's name as the CLI takes it.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<&str> for Mode {
    fn from(s: &str) -> Self {
        Mode::new(s)
    }
}

impl From<String> for Mode {
    fn from(s: String) -> Self {
        Mode(Cow::Owned(s))
    }
}

macro_rules! str_enum {
    (
        $(#[$meta:meta])*
        $name:ident { $( $(#[$vmeta:meta])* $variant:ident => $text:literal ),+ $(,)? }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[non_exhaustive]
        pub enum $name {
            $( $(#[$vmeta])* #[serde(rename = $text)] $variant, )+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[ $( $name::$variant ),+ ];

            /// The value's name as written in configuration.
            pub fn as_str(self) -> &'static str {
                match self { $( $name::$variant => $text, )+ }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = ValidationError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $( $text => Ok($name::$variant), )+
                    _ => Err(ValidationError::new(
                        stringify!($name),
                        format!(
                            "unknown value {s:?}, expected one of: {}",
                            [$($text),+].join(", ")
                        ),
                    )),
                }
            }
        }
    };
}

str_enum! {
    /// Reasoning effort (`--effort`).
    ///
    /// Note: the pinned CLI (0.0.1790142911) does not know `--effort` yet and rejects it as an
    /// unknown option; it is only sent when set.
    Effort {
        /// `none`
        None => "none",
        /// `minimal`
        Minimal => "minimal",
        /// `low`
        Low => "low",
        /// `medium`
        Medium => "medium",
        /// `high`
        High => "high",
        /// `xhigh`
        Xhigh => "xhigh",
        /// `max`
        Max => "max",
    }
}

str_enum! {
    /// Visibility of the thread an execution creates (`--visibility`).
    Visibility {
        /// Only visible to you.
        Private => "private",
        /// Visible to anyone with the link (the CLI's current name for `public`).
        Unlisted => "unlisted",
        /// The seed's name for [`Visibility::Unlisted`]; sent to the CLI as `unlisted`.
        Public => "public",
        /// Visible to all workspace members.
        Workspace => "workspace",
        /// Visible to members of your user group (Enterprise).
        Group => "group",
    }
}

impl Visibility {
    /// The value passed to the CLI: `public` goes out as `unlisted`.
    pub fn cli_value(self) -> &'static str {
        match self {
            Visibility::Public => "unlisted",
            other => other.as_str(),
        }
    }
}

str_enum! {
    /// CLI log verbosity (`--log-level`).
    LogLevel {
        /// `debug`
        Debug => "debug",
        /// `info`
        Info => "info",
        /// `warn`
        Warn => "warn",
        /// `error`
        Error => "error",
        /// `audit`
        Audit => "audit",
    }
}

/// Which thread an execution continues (`threads continue [ID]`).
///
/// In configuration it is written like the seed's `continue_thread`: `true` for the latest
/// thread, or a thread id string. `false` and `null` mean "start a new thread".
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ContinueThread {
    /// The most recent thread.
    Latest,
    /// A thread by id (such as `T-abc123`).
    Id(String),
}

impl Serialize for ContinueThread {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            ContinueThread::Latest => serializer.serialize_bool(true),
            ContinueThread::Id(id) => serializer.serialize_str(id),
        }
    }
}

#[derive(Deserialize)]
#[serde(untagged)]
enum ContinueRepr {
    Bool(bool),
    Id(String),
}

impl<'de> Deserialize<'de> for ContinueThread {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        match ContinueRepr::deserialize(deserializer)? {
            ContinueRepr::Bool(true) => Ok(ContinueThread::Latest),
            ContinueRepr::Bool(false) => Err(serde::de::Error::custom(
                "continue_thread: `false` is not a thread; omit the field to start a new thread",
            )),
            ContinueRepr::Id(id) => Ok(ContinueThread::Id(id)),
        }
    }
}

fn de_continue<'de, D: Deserializer<'de>>(d: D) -> Result<Option<ContinueThread>, D::Error> {
    match Option::<ContinueRepr>::deserialize(d)? {
        None | Some(ContinueRepr::Bool(false)) => Ok(None),
        Some(ContinueRepr::Bool(true)) => Ok(Some(ContinueThread::Latest)),
        Some(ContinueRepr::Id(id)) => Ok(Some(ContinueThread::Id(id))),
    }
}

/// What [`AmpOptions::continue_thread`] (the builder method) accepts, like the seed's
/// `continue_thread`: `true` (latest thread), `false` (a new thread), a thread id, a
/// [`ContinueThread`], or an `Option` of one.
pub trait IntoContinueThread {
    /// The setting this value stands for (`None`: start a new thread).
    fn into_continue_thread(self) -> Option<ContinueThread>;
}

impl IntoContinueThread for bool {
    fn into_continue_thread(self) -> Option<ContinueThread> {
        self.then_some(ContinueThread::Latest)
    }
}

impl IntoContinueThread for &str {
    fn into_continue_thread(self) -> Option<ContinueThread> {
        Some(ContinueThread::Id(self.to_string()))
    }
}

impl IntoContinueThread for String {
    fn into_continue_thread(self) -> Option<ContinueThread> {
        Some(ContinueThread::Id(self))
    }
}

impl IntoContinueThread for ContinueThread {
    fn into_continue_thread(self) -> Option<ContinueThread> {
        Some(self)
    }
}

impl IntoContinueThread for Option<ContinueThread> {
    fn into_continue_thread(self) -> Option<ContinueThread> {
        self
    }
}

impl From<&str> for ContinueThread {
    fn from(id: &str) -> Self {
        ContinueThread::Id(id.to_string())
    }
}

impl From<String> for ContinueThread {
    fn from(id: String) -> Self {
        ContinueThread::Id(id)
    }
}

/// Where the agent runs.
///
/// In configuration: `"local"`, `{"orb": {"project": "P"}}` or
/// `{"runner": {"id": "R", "dir": "D"}}`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
#[non_exhaustive]
pub enum Executor {
    /// On this machine (the default).
    #[default]
    Local,
    /// In an Amp-managed orb (`--orb-execute [--project P]`).
    Orb {
        /// The Amp project the orb is created for.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        project: Option<String>,
    },
    /// On a registered runner (`--executor runner:ID [--runner-dir D]`).
    Runner {
        /// The runner's id.
        id: String,
        /// The directory on the runner to work in.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        dir: Option<String>,
    },
}

impl Executor {
    /// An orb without a project.
    pub fn orb() -> Executor {
        Executor::Orb { project: None }
    }

    /// An orb for `project`.
    pub fn orb_project(project: impl Into<String>) -> Executor {
        Executor::Orb {
            project: Some(project.into()),
        }
    }

    /// A runner by id.
    pub fn runner(id: impl Into<String>) -> Executor {
        Executor::Runner {
            id: id.into(),
            dir: None,
        }
    }

    /// A runner by id, working in `dir`.
    pub fn runner_in(id: impl Into<String>, dir: impl Into<String>) -> Executor {
        Executor::Runner {
            id: id.into(),
            dir: Some(dir.into()),
        }
    }

    /// `true` for orb and runner: the agent does not run on this machine.
    pub fn is_remote(&self) -> bool {
        !matches!(self, Executor::Local)
    }
}

/// Configuration of one execution of the Amp CLI.
///
/// Every field is optional; `AmpOptions::default()` runs the CLI with its own defaults.
/// Mirrors the Python SDK's `AmpOptions` plus the options of the current CLI.
///
/// `Debug` leaves out the values of `env` and the system prompt (they may hold secrets).
#[derive(Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AmpOptions {
    /// Working directory of the CLI process.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cwd: Option<PathBuf>,
    /// Agent mode (`--mode`); unset lets the CLI pick.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mode: Option<Mode>,
    /// Reasoning effort (`--effort`); unset lets the CLI pick.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub effort: Option<Effort>,
    /// `Some(true)`: allow every tool call without asking (`--dangerously-allow-all` and
    /// `amp.dangerouslyAllowAll: true`); `Some(false)`: force rules to be enforced
    /// (`amp.dangerouslyAllowAll: false`); `None`: leave the user's setting.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dangerously_allow_all: Option<bool>,
    /// `Some(false)` keeps the thread unarchived after execution (like
    /// `no_archive_after_execute`); `Some(true)` or unset lets the CLI archive it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub archive: Option<bool>,
    /// Keep the thread unarchived after execution (`--no-archive-after-execute`).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub no_archive_after_execute: bool,
    /// Visibility of a new thread (`--visibility`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub visibility: Option<Visibility>,
    /// The user's settings file (`--settings-file`, or the base of the generated overlay).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub settings_file: Option<PathBuf>,
    /// CLI log level (`--log-level`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log_level: Option<LogLevel>,
    /// CLI log file (`--log-file`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log_file: Option<PathBuf>,
    /// Extra environment variables for the CLI; they override the inherited environment.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub env: BTreeMap<String, String>,
    /// Continue the latest thread or a thread by id instead of starting a new one.
    #[serde(
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de_continue"
    )]
    pub continue_thread: Option<ContinueThread>,
    /// MCP servers (`--mcp-config`): inline configuration is written to a private file.
    ///
    /// In configuration: an object of servers by name (inline), or a string (JSON text when
    /// it starts with `{`, else a path).
    #[serde(skip_serializing_if = "Option::is_none", with = "mcp_serde")]
    pub mcp_config: Option<McpConfigSource>,
    /// Folder with toolbox scripts (environment `AMP_TOOLBOX`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub toolbox: Option<PathBuf>,
    /// Folder with custom skills (`amp.skills.path` in the settings overlay).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub skills: Option<PathBuf>,
    /// Tool name patterns to enable (`amp.tools.enable` in the settings overlay).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enabled_tools: Option<Vec<String>>,
    /// Custom system prompt (`amp.systemPrompt` in the settings overlay).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub system_prompt: Option<String>,
    /// Permission rules (`amp.permissions` in the settings overlay), first match wins.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub permissions: Option<Vec<Permission>>,
    /// Labels for the thread (`--label` each).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub labels: Option<Vec<String>>,
    /// Include thinking blocks in the output (`--stream-json-thinking`).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub thinking: bool,
    /// Where the agent runs.
    #[serde(skip_serializing_if = "is_local")]
    pub executor: Executor,
    /// Title of the new thread (`--title`); not allowed when continuing a thread.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
}

impl fmt::Debug for AmpOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AmpOptions")
            .field("cwd", &self.cwd)
            .field("mode", &self.mode)
            .field("effort", &self.effort)
            .field("dangerously_allow_all", &self.dangerously_allow_all)
            .field("archive", &self.archive)
            .field("no_archive_after_execute", &self.no_archive_after_execute)
            .field("visibility", &self.visibility)
            .field("settings_file", &self.settings_file)
            .field("log_level", &self.log_level)
            .field("log_file", &self.log_file)
            .field("env", &self.env.keys().collect::<Vec<_>>())
            .field("continue_thread", &self.continue_thread)
            .field("mcp_config", &self.mcp_config)
            .field("toolbox", &self.toolbox)
            .field("skills", &self.skills)
            .field("enabled_tools", &self.enabled_tools)
            .field(
                "system_prompt",
                &self
                    .system_prompt
                    .as_ref()
                    .map(|p| format!("<{} bytes redacted>", p.len())),
            )
            .field("permissions", &self.permissions)
            .field("labels", &self.labels)
            .field("thinking", &self.thinking)
            .field("executor", &self.executor)
            .field("title", &self.title)
            .finish()
    }
}

/// serde for `Option<McpConfigSource>`: an object is inline configuration (kept as JSON
/// text so unknown keys survive; validated when planning), a string is classified like
/// `McpConfigSource::from(String)`.
mod mcp_serde {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};
    use serde_json::Value;

    use crate::mcp::McpConfigSource;

    pub(super) fn serialize<S: Serializer>(
        value: &Option<McpConfigSource>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match value {
            None => serializer.serialize_none(),
            Some(McpConfigSource::Inline(config)) => config.serialize(serializer),
            Some(McpConfigSource::Json(text)) => match serde_json::from_str::<Value>(text) {
                Ok(v) => v.serialize(serializer),
                Err(_) => serializer.serialize_str(text),
            },
            Some(McpConfigSource::Path(path)) => serializer.serialize_str(path),
        }
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<McpConfigSource>, D::Error> {
        match Option::<Value>::deserialize(deserializer)? {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(McpConfigSource::from(s))),
            Some(v @ Value::Object(_)) => Ok(Some(McpConfigSource::Json(v.to_string()))),
            Some(_) => Err(serde::de::Error::custom(
                "mcp_config must be an object of servers, JSON text or a path",
            )),
        }
    }
}

fn is_local(e: &Executor) -> bool {
    matches!(e, Executor::Local)
}

macro_rules! setter {
    ($(#[$m:meta])* $name:ident: Option<$ty:ty> via $conv:ty) => {
        $(#[$m])*
        #[must_use]
        pub fn $name(mut self, value: impl Into<$conv>) -> Self {
            self.$name = Some(value.into());
            self
        }
    };
}

impl AmpOptions {
    /// Options with every field unset (same as `Default`).
    pub fn new() -> Self {
        Self::default()
    }

    setter!(
        /// Sets [`AmpOptions::cwd`].
        cwd: Option<PathBuf> via PathBuf
    );
    setter!(
        /// Sets [`AmpOptions::mode`].
        mode: Option<Mode> via Mode
    );
    setter!(
        /// Sets [`AmpOptions::settings_file`].
        settings_file: Option<PathBuf> via PathBuf
    );
    setter!(
        /// Sets [`AmpOptions::log_file`].
        log_file: Option<PathBuf> via PathBuf
    );
    setter!(
        /// Sets [`AmpOptions::mcp_config`] (an [`crate::mcp::McpConfig`], JSON text or a path).
        mcp_config: Option<McpConfigSource> via McpConfigSource
    );
    setter!(
        /// Sets [`AmpOptions::toolbox`].
        toolbox: Option<PathBuf> via PathBuf
    );
    setter!(
        /// Sets [`AmpOptions::skills`].
        skills: Option<PathBuf> via PathBuf
    );
    setter!(
        /// Sets [`AmpOptions::system_prompt`].
        system_prompt: Option<String> via String
    );
    setter!(
        /// Sets [`AmpOptions::title`].
        title: Option<String> via String
    );

    /// Sets [`AmpOptions::continue_thread`]: `true` for the latest thread, a thread id, or
    /// `false` to start a new thread.
    #[must_use]
    pub fn continue_thread(mut self, value: impl IntoContinueThread) -> Self {
        self.continue_thread = value.into_continue_thread();
        self
    }

    /// Sets [`AmpOptions::effort`].
    #[must_use]
    pub fn effort(mut self, effort: Effort) -> Self {
        self.effort = Some(effort);
        self
    }

    /// Sets [`AmpOptions::dangerously_allow_all`].
    #[must_use]
    pub fn dangerously_allow_all(mut self, allow: bool) -> Self {
        self.dangerously_allow_all = Some(allow);
        self
    }

    /// Sets [`AmpOptions::archive`].
    #[must_use]
    pub fn archive(mut self, archive: bool) -> Self {
        self.archive = Some(archive);
        self
    }

    /// Sets [`AmpOptions::no_archive_after_execute`].
    #[must_use]
    pub fn no_archive_after_execute(mut self, keep: bool) -> Self {
        self.no_archive_after_execute = keep;
        self
    }

    /// Sets [`AmpOptions::visibility`].
    #[must_use]
    pub fn visibility(mut self, visibility: Visibility) -> Self {
        self.visibility = Some(visibility);
        self
    }

    /// Sets [`AmpOptions::log_level`].
    #[must_use]
    pub fn log_level(mut self, level: LogLevel) -> Self {
        self.log_level = Some(level);
        self
    }

    /// Adds one environment variable to [`AmpOptions::env`].
    #[must_use]
    pub fn env(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.env.insert(key.into(), value.into());
        self
    }

    /// Sets [`AmpOptions::enabled_tools`].
    #[must_use]
    pub fn enabled_tools<I, S>(mut self, tools: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.enabled_tools = Some(tools.into_iter().map(Into::into).collect());
        self
    }

    /// Sets [`AmpOptions::permissions`].
    #[must_use]
    pub fn permissions(mut self, rules: impl IntoIterator<Item = Permission>) -> Self {
        self.permissions = Some(rules.into_iter().collect());
        self
    }

    /// Sets [`AmpOptions::labels`].
    #[must_use]
    pub fn labels<I, S>(mut self, labels: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.labels = Some(labels.into_iter().map(Into::into).collect());
        self
    }

    /// Sets [`AmpOptions::thinking`].
    #[must_use]
    pub fn thinking(mut self, thinking: bool) -> Self {
        self.thinking = thinking;
        self
    }

    /// Sets [`AmpOptions::executor`].
    #[must_use]
    pub fn executor(mut self, executor: Executor) -> Self {
        self.executor = executor;
        self
    }

    /// `true` when the thread must stay unarchived (`--no-archive-after-execute`).
    pub fn keeps_thread_unarchived(&self) -> bool {
        self.no_archive_after_execute || self.archive == Some(false)
    }

    /// Names of the local-only options that are set although the executor is remote; they
    /// are not applied (the plan warns about each).
    pub fn ignored_remote_options(&self) -> Vec<&'static str> {
        let mut out = Vec::new();
        if !self.executor.is_remote() {
            return out;
        }
        if self.permissions.is_some() {
            out.push("permissions");
        }
        if self.enabled_tools.is_some() {
            out.push("enabled_tools");
        }
        if self.skills.is_some() {
            out.push("skills");
        }
        if self.mcp_config.is_some() {
            out.push("mcp_config");
        }
        if self.dangerously_allow_all.is_some() {
            out.push("dangerously_allow_all");
        }
        out
    }

    /// Checks every rule of the CLI contract that does not depend on the prompt.
    ///
    /// The error names the field (`labels[3]`, `title`, `executor.id`, ...) and the rule.
    pub fn validate(&self) -> Result<(), ValidationError> {
        if let Some(mode) = &self.mode {
            validate_word("mode", mode.as_str())?;
        }
        if let Some(labels) = &self.labels {
            validate_labels(labels)?;
        }
        if let Some(title) = &self.title {
            validate_title(title)?;
            if self.continue_thread.is_some() {
                return Err(ValidationError::new(
                    "title",
                    "not allowed together with continue_thread (a title is only set on a new thread)",
                ));
            }
        }
        if let Some(ContinueThread::Id(id)) = &self.continue_thread {
            validate_thread_id("continue_thread", id)?;
        }
        match &self.executor {
            Executor::Local => {}
            Executor::Orb { project } => {
                if let Some(p) = project {
                    validate_word("executor.project", p)?;
                }
            }
            Executor::Runner { id, dir } => {
                validate_word("executor.id", id)?;
                if id.contains(char::is_whitespace) {
                    return Err(ValidationError::new(
                        "executor.id",
                        "must not contain whitespace",
                    ));
                }
                if let Some(d) = dir {
                    validate_nonempty_value("executor.dir", d)?;
                }
            }
        }
        for (key, value) in &self.env {
            let field = format!("env[{key:?}]");
            if key.is_empty() {
                return Err(ValidationError::new(field, "name must not be empty"));
            }
            if key.contains('=') || key.contains('\0') {
                return Err(ValidationError::new(
                    field,
                    "name must not contain '=' or NUL",
                ));
            }
            if value.contains('\0') {
                return Err(ValidationError::new(field, "value must not contain NUL"));
            }
        }
        if let Some(tools) = &self.enabled_tools {
            for (i, t) in tools.iter().enumerate() {
                if t.trim().is_empty() {
                    return Err(ValidationError::new(
                        format!("enabled_tools[{i}]"),
                        "must not be empty",
                    ));
                }
            }
        }
        for (field, path) in [
            ("cwd", &self.cwd),
            ("settings_file", &self.settings_file),
            ("log_file", &self.log_file),
            ("toolbox", &self.toolbox),
            ("skills", &self.skills),
        ] {
            if let Some(p) = path {
                if p.as_os_str().is_empty() {
                    return Err(ValidationError::new(field, "must not be an empty path"));
                }
            }
        }
        if let Some(p) = &self.skills {
            if p.to_str().is_none() {
                return Err(ValidationError::new(
                    "skills",
                    "must be valid UTF-8 (it is written into a JSON settings file)",
                ));
            }
        }
        if let Some(p) = &self.toolbox {
            if p.to_str().is_none() {
                return Err(ValidationError::new(
                    "toolbox",
                    "must be valid UTF-8 (it is passed as AMP_TOOLBOX)",
                ));
            }
        }
        Ok(())
    }
}

/// A value passed as a separate argument: non-empty, and not starting with `-` (the CLI
/// would read it as a flag).
fn validate_nonempty_value(field: &str, value: &str) -> Result<(), ValidationError> {
    if value.is_empty() {
        return Err(ValidationError::new(field, "must not be empty"));
    }
    if value.starts_with('-') {
        return Err(ValidationError::new(field, "must not start with '-'"));
    }
    if value.contains('\0') {
        return Err(ValidationError::new(field, "must not contain NUL"));
    }
    Ok(())
}

/// Like [`validate_nonempty_value`], and not only whitespace.
fn validate_word(field: &str, value: &str) -> Result<(), ValidationError> {
    validate_nonempty_value(field, value)?;
    if value.trim().is_empty() {
        return Err(ValidationError::new(field, "must not be blank"));
    }
    Ok(())
}

/// Checks a thread id: non-empty, not starting with `-`, no whitespace or NUL.
pub fn validate_thread_id(field: &str, id: &str) -> Result<(), ValidationError> {
    validate_nonempty_value(field, id)?;
    if id.contains(char::is_whitespace) {
        return Err(ValidationError::new(field, "must not contain whitespace"));
    }
    Ok(())
}

/// Checks one label: 1..=32 characters matching `^[a-zA-Z0-9][a-zA-Z0-9-]*$`.
pub fn validate_label(field: &str, label: &str) -> Result<(), ValidationError> {
    let len = label.chars().count();
    if len == 0 || len > MAX_LABEL_LEN {
        return Err(ValidationError::new(
            field,
            format!("must be 1..={MAX_LABEL_LEN} characters long (is {len})"),
        ));
    }
    let mut chars = label.chars();
    let first_ok = chars.next().is_some_and(|c| c.is_ascii_alphanumeric());
    let rest_ok = chars.all(|c| c.is_ascii_alphanumeric() || c == '-');
    if !(first_ok && rest_ok) {
        return Err(ValidationError::new(
            field,
            "must match ^[a-zA-Z0-9][a-zA-Z0-9-]*$",
        ));
    }
    Ok(())
}

/// Checks a list of labels: at most 20, each valid (see [`validate_label`]).
pub fn validate_labels(labels: &[String]) -> Result<(), ValidationError> {
    if labels.len() > MAX_LABELS {
        return Err(ValidationError::new(
            "labels",
            format!("at most {MAX_LABELS} labels (got {})", labels.len()),
        ));
    }
    for (i, label) in labels.iter().enumerate() {
        validate_label(&format!("labels[{i}]"), label)?;
    }
    Ok(())
}

/// Checks a title: 1..=256 characters once trimmed.
pub fn validate_title(title: &str) -> Result<(), ValidationError> {
    let len = title.trim().chars().count();
    if len == 0 || len > MAX_TITLE_LEN {
        return Err(ValidationError::new(
            "title",
            format!("must be 1..={MAX_TITLE_LEN} characters long once trimmed (is {len})"),
        ));
    }
    if title.contains('\0') {
        return Err(ValidationError::new("title", "must not contain NUL"));
    }
    Ok(())
}
