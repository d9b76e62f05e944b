//! The option values: mode, effort, log level, visibility, continuing a thread, executor.

#[allow(unused_imports)]
use super::*;

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
    /// A thread feature (`--features`), as the pinned CLI knows them.
    ThreadFeature {
        /// Faster serving for supported models, billed at a premium (same as `--fast`).
        Fast => "fast",
        /// Ultrafast serving for GPT-6 Astra, billed at a steep premium; implies Fast on
        /// other models.
        Plaid => "plaid",
        /// GPT-5.6 Pro mode (OpenAI API only, not with ChatGPT subscriptions).
        Pro => "pro",
    }
}

str_enum! {
    /// The size of an orb (`--orb-size`, with the orb executor): the sizes the pinned CLI
    /// accepts.
    OrbSize {
        /// `a1.tiny`
        Tiny => "a1.tiny",
        /// `a1.small`
        Small => "a1.small",
        /// `a1.medium`
        Medium => "a1.medium",
        /// `a1.large`
        Large => "a1.large",
        /// `a1.xxlarge`
        Xxlarge => "a1.xxlarge",
        /// `a1.3xlarge`
        X3large => "a1.3xlarge",
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
pub(super) enum ContinueRepr {
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

pub(super) fn de_continue<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<ContinueThread>, D::Error> {
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
