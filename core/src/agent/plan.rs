//! Building one execution of the Amp CLI: argv, environment changes, private files and
//! stdin, from [`AmpOptions`], the prompt kind and the base settings the runtime read.
//!
//! The runtime asks [`base_settings_sources`] which settings file(s) to read, reads them,
//! hands the result to [`plan_execution`] as [`BaseSettings`], then carries out the
//! [`InvocationPlan`]: create `private_dir` (0700), write each [`PlannedFile`] (0600), apply
//! the [`EnvChange`]s to the inherited environment, spawn `<cli> <args>` in `cwd`, feed
//! stdin per [`StdinPlan`], and remove `private_dir` when the execution ends.
//!
//! ```
//! use std::path::Path;
//! use ampere_core::options::{AmpOptions, Mode, Visibility};
//! use ampere_core::plan::{plan_execution, BaseSettings, PromptKind};
//!
//! # fn main() -> Result<(), ampere_core::plan::PlanError> {
//! let options = AmpOptions::new()
//!     .mode(Mode::RUSH)
//!     .visibility(Visibility::Public)
//!     .labels(["sdk"]);
//! let prompt = PromptKind::Text("Summarize this repo".into());
//! let plan = plan_execution(&options, &prompt, &BaseSettings::None, Path::new("/tmp/ampere-1"))?;
//! assert_eq!(
//!     plan.args,
//!     ["--execute", "--stream-json", "--visibility", "unlisted", "--mode", "rush", "--label", "sdk"]
//! );
//! assert!(plan.files.is_empty());
//! # Ok(())
//! # }
//! ```

use std::ffi::{OsStr, OsString};
use std::fmt;
use std::path::{Path, PathBuf};

use serde_json::Map;

use crate::callbacks::wiring::CallbackPlan;
use crate::error::ValidationError;
use crate::mcp::McpConfigSource;
use crate::options::{AmpOptions, ContinueThread, Executor};
use crate::settings::{self, SettingsError};

mod hints;

pub use hints::{unsupported_option_hint, FLAG_OPTIONS};

/// Environment variable naming the user's settings file when no `settings_file` is given.
pub const ENV_SETTINGS_FILE: &str = "AMP_SETTINGS_FILE";
/// Environment variable telling the CLI which SDK drives it.
pub const ENV_SDK_VERSION: &str = "AMP_SDK_VERSION";
/// Environment variable carrying the toolbox folder.
pub const ENV_TOOLBOX: &str = "AMP_TOOLBOX";
/// The value of `AMP_SDK_VERSION` set by ampere.
pub const SDK_VERSION: &str = concat!("ampere-rust/", env!("CARGO_PKG_VERSION"));
/// Name of the generated settings file inside the private folder.
pub const SETTINGS_FILE_NAME: &str = "settings.json";
/// Name of the generated MCP configuration file inside the private folder.
pub const MCP_FILE_NAME: &str = "mcp-config.json";
/// Unix mode of every planned file.
pub const PRIVATE_FILE_MODE: u32 = 0o600;
/// Unix mode of the private folder.
pub const PRIVATE_DIR_MODE: u32 = 0o700;

/// How the prompt reaches the CLI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PromptKind {
    /// One text prompt: written to stdin followed by `\n`, then stdin is closed.
    Text(String),
    /// A stream of user messages, one JSON line each (`--stream-json-input`).
    Stream,
}

/// Which settings file(s) the runtime must read before planning.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BaseSettingsSource {
    /// No settings overlay is needed: read nothing, pass [`BaseSettings::None`].
    NotNeeded,
    /// The user named a settings file (`settings_file` or `AMP_SETTINGS_FILE`): read it and
    /// pass [`BaseSettings::Explicit`] with the text or the read error.
    Explicit(PathBuf),
    /// Read these in order; pass the files that exist, in order, to [`first_parsing`] (or
    /// the first that exists as [`BaseSettings::Discovered`]); none: [`BaseSettings::None`].
    Discover(Vec<PathBuf>),
}

/// The base settings the runtime read (see [`base_settings_sources`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BaseSettings {
    /// Nothing read: the overlay starts from `{}`.
    None,
    /// The user's explicit settings file; it must exist and hold a JSON object.
    Explicit {
        /// Where it is.
        path: PathBuf,
        /// Its text, or the text of the read error.
        contents: Result<String, String>,
    },
    /// A settings file found in the default location; if it does not parse, the overlay
    /// starts from `{}` and the plan carries a warning.
    Discovered {
        /// Where it is.
        path: PathBuf,
        /// Its text.
        contents: String,
    },
}

/// Picks the first discovered settings file that parses (the spec's "first of
/// `settings.json`, `settings.jsonc` that parses"), else [`BaseSettings::None`].
pub fn first_parsing(found: impl IntoIterator<Item = (PathBuf, String)>) -> BaseSettings {
    for (path, contents) in found {
        if settings::parse_settings(&contents).is_ok() {
            return BaseSettings::Discovered { path, contents };
        }
    }
    BaseSettings::None
}

/// Tells the runtime which settings file(s) to read for the overlay, in order:
/// `options.settings_file`, else `AMP_SETTINGS_FILE`, else
/// `$XDG_CONFIG_HOME/amp/settings.json` then `settings.jsonc` (XDG default `~/.config`).
pub fn base_settings_sources(
    env: &dyn Fn(&str) -> Option<OsString>,
    home: Option<&Path>,
    options: &AmpOptions,
) -> BaseSettingsSource {
    base_settings_sources_with(env, home, options, &CallbackPlan::default())
}

/// [`base_settings_sources`] for an execution that serves `callbacks` (a permission handler
/// needs the settings overlay: its delegate rules come after the user's own).
pub fn base_settings_sources_with(
    env: &dyn Fn(&str) -> Option<OsString>,
    home: Option<&Path>,
    options: &AmpOptions,
    callbacks: &CallbackPlan,
) -> BaseSettingsSource {
    if !settings::needs_overlay(options) && callbacks.delegates.is_none() {
        return BaseSettingsSource::NotNeeded;
    }
    if let Some(p) = &options.settings_file {
        return BaseSettingsSource::Explicit(p.clone());
    }
    if let Some(p) = env(ENV_SETTINGS_FILE).filter(|v| !v.is_empty()) {
        return BaseSettingsSource::Explicit(PathBuf::from(p));
    }
    let config = env("XDG_CONFIG_HOME")
        .filter(|v| !v.is_empty() && Path::new(v).is_absolute())
        .map(PathBuf::from)
        .or_else(|| home.map(|h| h.join(".config")));
    match config {
        Some(dir) => {
            let amp = dir.join("amp");
            BaseSettingsSource::Discover(vec![
                amp.join("settings.json"),
                amp.join("settings.jsonc"),
            ])
        }
        None => BaseSettingsSource::Discover(Vec::new()),
    }
}

/// One change to the inherited environment of the CLI process, applied in order.
///
/// `Debug` shows names only: values (from `options.env`) may be secrets.
#[derive(Clone, PartialEq, Eq)]
pub enum EnvChange {
    /// Set `key` to `value`, replacing an inherited value.
    Set(String, String),
    /// Set `key` to `value` only if the process environment does not have it.
    SetIfAbsent(String, String),
}

impl fmt::Debug for EnvChange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (kind, key, value) = match self {
            EnvChange::Set(k, v) => ("Set", k, v),
            EnvChange::SetIfAbsent(k, v) => ("SetIfAbsent", k, v),
        };
        write!(f, "{kind}({key:?}, <{} bytes redacted>)", value.len())
    }
}

/// A file the runtime writes into the private folder before spawning.
#[derive(Clone, PartialEq, Eq)]
pub struct PlannedFile {
    /// Where to write it (inside `private_dir`).
    pub path: PathBuf,
    /// What to write. May hold secrets: never logged.
    pub contents: Vec<u8>,
    /// Unix permission bits (0o600).
    pub mode: u32,
}

impl fmt::Debug for PlannedFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PlannedFile")
            .field("path", &self.path)
            .field(
                "contents",
                &format_args!("<{} bytes redacted>", self.contents.len()),
            )
            .field("mode", &format_args!("{:#o}", self.mode))
            .finish()
    }
}

/// What the runtime does with the child's stdin.
#[derive(Clone, PartialEq, Eq)]
pub enum StdinPlan {
    /// Write these bytes (the prompt and `\n`), then close stdin.
    Text(Vec<u8>),
    /// Write each user message as one JSON line as it comes; close when the input ends.
    Stream,
}

impl fmt::Debug for StdinPlan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StdinPlan::Text(b) => write!(f, "Text(<{} bytes>)", b.len()),
            StdinPlan::Stream => f.write_str("Stream"),
        }
    }
}

/// Everything the runtime needs to start one execution.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvocationPlan {
    /// Arguments after the program name, in the CLI's order.
    pub args: Vec<OsString>,
    /// Changes to the inherited environment, applied in order.
    pub env: Vec<EnvChange>,
    /// Files to write (0600) into the private folder (0700) before spawning.
    pub files: Vec<PlannedFile>,
    /// What to do with stdin.
    pub stdin: StdinPlan,
    /// Working directory of the child (`None`: inherit).
    pub cwd: Option<PathBuf>,
    /// Things the user should know (options that are not applied), one sentence each.
    pub warnings: Vec<String>,
}

impl InvocationPlan {
    /// `true` when the plan writes files, so the runtime must create (and later remove)
    /// the private folder.
    pub fn needs_private_dir(&self) -> bool {
        !self.files.is_empty()
    }
}

/// Why an execution cannot be planned.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PlanError {
    /// An option broke a rule.
    #[error(transparent)]
    Validation(#[from] ValidationError),
    /// The user's settings file could not be read.
    #[error("cannot read settings file {}: {message}", path.display())]
    SettingsRead {
        /// The file.
        path: PathBuf,
        /// The read error.
        message: String,
    },
    /// The user's settings file is not a JSON object.
    #[error("invalid settings file {}: {source}", path.display())]
    Settings {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        source: SettingsError,
    },
}

impl PlanError {
    /// The option at fault (`settings_file` for settings errors).
    pub fn field(&self) -> &str {
        match self {
            PlanError::Validation(v) => &v.field,
            PlanError::SettingsRead { .. } | PlanError::Settings { .. } => "settings_file",
        }
    }
}

fn os(s: &str) -> OsString {
    OsString::from(s)
}

/// A text prompt must say something, and must not hold NUL (it is written raw to stdin).
pub fn validate_prompt(text: &str) -> Result<(), ValidationError> {
    if text.trim().is_empty() {
        return Err(ValidationError::new("prompt", "must not be empty"));
    }
    if let Some(at) = text.find('\0') {
        return Err(ValidationError::new(
            "prompt",
            format!("must not contain NUL (found at byte {at})"),
        ));
    }
    Ok(())
}

/// Plans one execution. Validates every option first (nothing is spawned on error).
///
/// `private_dir` is the fresh private folder the runtime will create if the plan has files;
/// generated files are placed inside it. `base` is what the runtime read per
/// [`base_settings_sources`].
pub fn plan_execution(
    options: &AmpOptions,
    prompt: &PromptKind,
    base: &BaseSettings,
    private_dir: &Path,
) -> Result<InvocationPlan, PlanError> {
    plan_execution_with(options, prompt, base, private_dir, &CallbackPlan::default())
}

/// [`plan_execution`] for an execution that serves `callbacks` from the caller's process
/// (see [`crate::callbacks::wiring`]): the delegate rules go after the user's own rules in
/// the generated settings, and the in-process server joins the user's MCP servers in one
/// generated `--mcp-config`. Read the base settings per [`base_settings_sources_with`].
pub fn plan_execution_with(
    options: &AmpOptions,
    prompt: &PromptKind,
    base: &BaseSettings,
    private_dir: &Path,
    callbacks: &CallbackPlan,
) -> Result<InvocationPlan, PlanError> {
    options.validate()?;
    callbacks.validate(options)?;
    if let PromptKind::Text(text) = prompt {
        validate_prompt(text)?;
    }
    let remote = options.executor.is_remote();
    if remote && matches!(prompt, PromptKind::Stream) {
        return Err(ValidationError::new(
            "prompt",
            "streaming input (--stream-json-input) is not supported with a remote executor (orb, runner)",
        )
        .into());
    }

    let mut warnings: Vec<String> = options
        .ignored_remote_options()
        .into_iter()
        .map(|name| {
            format!("{name} is a local-only option and is not applied with a remote executor")
        })
        .collect();
    let mut files = Vec::new();

    // Settings: the user's file as is, or the generated overlay.
    let settings_path: Option<PathBuf> = if settings::needs_overlay(options)
        || callbacks.delegates.is_some()
    {
        let base_map = match base {
            BaseSettings::None | BaseSettings::Discovered { .. }
                if options.settings_file.is_some() =>
            {
                // The user's explicit file must be the base: the runtime did not read it.
                let path = options.settings_file.clone().unwrap_or_default();
                return Err(PlanError::SettingsRead {
                    path,
                    message: "the settings file was not read (see base_settings_sources)"
                        .to_string(),
                });
            }
            BaseSettings::None => Map::new(),
            BaseSettings::Explicit { path, contents } => {
                let text = contents.as_ref().map_err(|e| PlanError::SettingsRead {
                    path: path.clone(),
                    message: e.clone(),
                })?;
                settings::parse_settings(text).map_err(|source| PlanError::Settings {
                    path: path.clone(),
                    source,
                })?
            }
            BaseSettings::Discovered { path, contents } => {
                match settings::parse_settings(contents) {
                    Ok(m) => m,
                    Err(e) => {
                        warnings.push(format!("ignoring settings file {}: {e}", path.display()));
                        Map::new()
                    }
                }
            }
        };
        let merged = callbacks.apply_settings(settings::overlay(base_map, options)?)?;
        let path = private_dir.join(SETTINGS_FILE_NAME);
        files.push(PlannedFile {
            path: path.clone(),
            contents: settings::to_file_bytes(&merged),
            mode: PRIVATE_FILE_MODE,
        });
        Some(path)
    } else {
        options.settings_file.clone()
    };

    // MCP configuration (local executor only).
    let mcp_path: Option<OsString> = match (&options.mcp_config, remote) {
        _ if callbacks.tools.is_some() => {
            let bytes = callbacks.mcp_config_bytes(options.mcp_config.as_ref())?;
            Some(mcp_file(private_dir, bytes.unwrap_or_default(), &mut files))
        }
        (Some(src), false) => Some(mcp_argument(src, private_dir, &mut files)?),
        _ => None,
    };

    let mut args: Vec<OsString> = Vec::new();
    match &options.continue_thread {
        None => {}
        Some(ContinueThread::Latest) => args.extend([os("threads"), os("continue")]),
        Some(ContinueThread::Id(id)) => {
            args.extend([os("threads"), os("continue"), os(id)]);
        }
    }
    args.push(os("--execute"));
    args.push(os(if options.thinking {
        "--stream-json-thinking"
    } else {
        "--stream-json"
    }));
    match &options.executor {
        Executor::Local => {}
        Executor::Orb { project } => {
            args.push(os("--orb-execute"));
            if let Some(p) = project {
                args.extend([os("--project"), os(p)]);
            }
            if let Some(size) = options.orb_size {
                args.extend([os("--orb-size"), os(size.as_str())]);
            }
        }
        Executor::Runner { id, dir } => {
            args.push(os("--executor"));
            args.push(os(&format!("runner:{id}")));
            if let Some(d) = dir {
                args.extend([os("--runner-dir"), os(d)]);
            }
        }
    }
    if !remote && options.dangerously_allow_all == Some(true) {
        args.push(os("--dangerously-allow-all"));
    }
    if options.keeps_thread_unarchived() {
        args.push(os("--no-archive-after-execute"));
    }
    if let Some(v) = options.visibility {
        args.extend([os("--visibility"), os(v.cli_value())]);
    }
    if let Some(p) = settings_path {
        args.push(os("--settings-file"));
        args.push(p.into_os_string());
    }
    if let Some(l) = options.log_level {
        args.extend([os("--log-level"), os(l.as_str())]);
    }
    if let Some(f) = &options.log_file {
        args.push(os("--log-file"));
        args.push(f.clone().into_os_string());
    }
    if let Some(p) = mcp_path {
        args.push(os("--mcp-config"));
        args.push(p);
    }
    if let Some(m) = &options.mode {
        args.extend([os("--mode"), os(m.as_str())]);
    }
    if let Some(e) = options.effort {
        args.extend([os("--effort"), os(e.as_str())]);
    }
    if options.fast {
        args.push(os("--fast"));
    }
    if let Some(f) = options.feature {
        args.extend([os("--features"), os(f.as_str())]);
    }
    for label in options.labels.iter().flatten() {
        args.extend([os("--label"), os(label)]);
    }
    if let Some(t) = &options.title {
        args.extend([os("--title"), os(t.trim())]);
    }
    let stdin = match prompt {
        PromptKind::Text(text) => {
            let mut bytes = Vec::with_capacity(text.len() + 1);
            bytes.extend_from_slice(text.as_bytes());
            bytes.push(b'\n');
            StdinPlan::Text(bytes)
        }
        PromptKind::Stream => {
            args.push(os("--stream-json-input"));
            StdinPlan::Stream
        }
    };

    Ok(InvocationPlan {
        args,
        env: plan_env(options),
        files,
        stdin,
        cwd: options.cwd.clone(),
        warnings,
    })
}

fn mcp_argument(
    src: &McpConfigSource,
    private_dir: &Path,
    files: &mut Vec<PlannedFile>,
) -> Result<OsString, ValidationError> {
    if let Some(bytes) = src.inline_bytes()? {
        return Ok(mcp_file(private_dir, bytes, files));
    }
    match src {
        McpConfigSource::Path(p) => {
            if p.is_empty() {
                return Err(ValidationError::new("mcp_config", "path must not be empty"));
            }
            Ok(OsStr::new(p).to_os_string())
        }
        #[allow(unreachable_patterns)]
        _ => Err(ValidationError::new(
            "mcp_config",
            "unsupported MCP configuration source",
        )),
    }
}

/// Plans the private MCP configuration file; its path is the `--mcp-config` argument.
fn mcp_file(private_dir: &Path, contents: Vec<u8>, files: &mut Vec<PlannedFile>) -> OsString {
    let path = private_dir.join(MCP_FILE_NAME);
    files.push(PlannedFile {
        path: path.clone(),
        contents,
        mode: PRIVATE_FILE_MODE,
    });
    path.into_os_string()
}

fn plan_env(options: &AmpOptions) -> Vec<EnvChange> {
    let mut env: Vec<EnvChange> = options
        .env
        .iter()
        .map(|(k, v)| EnvChange::Set(k.clone(), v.clone()))
        .collect();
    if let Some(tb) = &options.toolbox {
        env.push(EnvChange::Set(
            ENV_TOOLBOX.to_string(),
            tb.to_string_lossy().into_owned(),
        ));
    }
    if !options.env.contains_key(ENV_SDK_VERSION) {
        env.push(EnvChange::SetIfAbsent(
            ENV_SDK_VERSION.to_string(),
            SDK_VERSION.to_string(),
        ));
    }
    env
}
