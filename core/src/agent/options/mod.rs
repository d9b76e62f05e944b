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

mod validate;
mod values;

pub use validate::*;
pub use values::*;

/// The most labels one execution may add to its thread.
pub const MAX_LABELS: usize = 20;
/// The longest label, in characters.
pub const MAX_LABEL_LEN: usize = 32;
/// The longest thread title, in characters (after trimming).
pub const MAX_TITLE_LEN: usize = 256;

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
    /// Run the thread in Fast mode (`--fast`: faster serving for supported models, billed
    /// at a premium).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub fast: bool,
    /// A thread feature (`--features`: `fast`, `plaid` or `pro`). The CLI takes one value;
    /// combined with [`fast`](Self::fast) both apply.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub feature: Option<ThreadFeature>,
    /// The orb size (`--orb-size`); only with the orb executor.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub orb_size: Option<OrbSize>,
    /// Tool name patterns to disable (`amp.tools.disable` in the settings overlay: exact
    /// names, `*`, or globs such as `mcp__github__*`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub disabled_tools: Option<Vec<String>>,
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
            .field("fast", &self.fast)
            .field("feature", &self.feature)
            .field("orb_size", &self.orb_size)
            .field("disabled_tools", &self.disabled_tools)
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

pub(super) fn is_local(e: &Executor) -> bool {
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

    /// Sets [`AmpOptions::fast`].
    #[must_use]
    pub fn fast(mut self, fast: bool) -> Self {
        self.fast = fast;
        self
    }

    /// Sets [`AmpOptions::feature`].
    #[must_use]
    pub fn feature(mut self, feature: ThreadFeature) -> Self {
        self.feature = Some(feature);
        self
    }

    /// Sets [`AmpOptions::orb_size`].
    #[must_use]
    pub fn orb_size(mut self, size: OrbSize) -> Self {
        self.orb_size = Some(size);
        self
    }

    /// Sets [`AmpOptions::disabled_tools`].
    #[must_use]
    pub fn disabled_tools<I, S>(mut self, tools: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.disabled_tools = Some(tools.into_iter().map(Into::into).collect());
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
        if self.disabled_tools.is_some() {
            out.push("disabled_tools");
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
}
