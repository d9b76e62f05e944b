//! What thread commands take and print, as the pinned CLI (0.0.1790142911) writes it.
//!
//! Every JSON type keeps the fields it does not know in `extra`, so a newer CLI loses
//! nothing. Field names follow the CLI's JSON (camelCase).

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};

use crate::error::ValidationError;

/// A time range of `threads usage` (`--start T --end T`, ISO 8601 timestamps; the end is
/// exclusive). The CLI requires both, and checks that start is before end.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct UsageRange {
    /// Start of the range (inclusive), such as `2026-01-01T00:00:00Z`.
    pub start: String,
    /// End of the range (exclusive).
    pub end: String,
}

impl UsageRange {
    /// A range from `start` (inclusive) to `end` (exclusive).
    pub fn new(start: impl Into<String>, end: impl Into<String>) -> Self {
        UsageRange {
            start: start.into(),
            end: end.into(),
        }
    }
}

/// A repository's default visibility that `threads visibility V` can set (the CLI accepts
/// these three).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum RepoVisibility {
    /// Only the creator.
    Private,
    /// All workspace members.
    Workspace,
    /// The creator's groups (Enterprise).
    Group,
}

impl RepoVisibility {
    /// The value as the CLI takes it.
    pub fn as_str(self) -> &'static str {
        match self {
            RepoVisibility::Private => "private",
            RepoVisibility::Workspace => "workspace",
            RepoVisibility::Group => "group",
        }
    }
}

impl std::str::FromStr for RepoVisibility {
    type Err = ValidationError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "private" => Ok(RepoVisibility::Private),
            "workspace" => Ok(RepoVisibility::Workspace),
            "group" => Ok(RepoVisibility::Group),
            _ => Err(ValidationError::new(
                "visibility",
                format!("unknown value {s:?}, expected one of: private, workspace, group"),
            )),
        }
    }
}

/// What `threads visibility` prints: the repository's explicit default, or `inherited`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DefaultVisibility {
    /// No override for this repository: the workspace default applies.
    Inherited,
    /// `private`.
    Private,
    /// `unlisted` (anyone with the link).
    Unlisted,
    /// `workspace`.
    Workspace,
    /// `group`.
    Group,
    /// A value this version of ampere does not know.
    Other(String),
}

impl DefaultVisibility {
    /// Reads the word the CLI prints.
    pub fn from_cli(word: &str) -> Self {
        match word {
            "inherited" => DefaultVisibility::Inherited,
            "private" => DefaultVisibility::Private,
            "unlisted" => DefaultVisibility::Unlisted,
            "workspace" => DefaultVisibility::Workspace,
            "group" => DefaultVisibility::Group,
            other => DefaultVisibility::Other(other.to_string()),
        }
    }
}

/// One thread of `threads list --json`
/// (`{id, title, updated, tree, messageCount}`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ThreadSummary {
    /// The thread id (`T-…`).
    pub id: String,
    /// Its title, when it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// When the user last interacted with it (ISO 8601).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated: Option<String>,
    /// The URI of its first working tree (`file:///…`), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tree: Option<String>,
    /// How many messages it holds.
    #[serde(default, rename = "messageCount", deserialize_with = "de_count")]
    pub message_count: u64,
    /// Fields this version of ampere does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// One thread of `threads search --json` (`{id, title, updatedAt}`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ThreadSearchHit {
    /// The thread id (`T-…`).
    pub id: String,
    /// Its title (`null` when untitled).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// When it was last updated (ISO 8601).
    #[serde(default, rename = "updatedAt", skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<String>,
    /// Fields this version of ampere does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `threads context ID`: the estimated input context of a thread.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ContextAnalysis {
    /// The thread id.
    #[serde(rename = "threadID")]
    pub thread_id: String,
    /// What was analysed (`current-context`).
    #[serde(default)]
    pub scope: Option<String>,
    /// The model id.
    #[serde(default)]
    pub model: Option<String>,
    /// The model's display name.
    #[serde(default)]
    pub model_display_name: Option<String>,
    /// The model's context window, in tokens.
    #[serde(default, deserialize_with = "de_count")]
    pub max_context_tokens: u64,
    /// Tokens used now.
    #[serde(default, deserialize_with = "de_count")]
    pub total_tokens: u64,
    /// Tokens left.
    #[serde(default, deserialize_with = "de_count")]
    pub free_space: u64,
    /// How many times the thread was compacted.
    #[serde(default, deserialize_with = "de_count")]
    pub compaction_count: u64,
    /// Where the tokens go.
    #[serde(default)]
    pub sections: Vec<ContextSection>,
    /// How many tools the agent has.
    #[serde(default)]
    pub tool_counts: Option<ToolCounts>,
    /// Fields this version of ampere does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// One part of a [`ContextAnalysis`] (system prompt, tools, messages, ...).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContextSection {
    /// Its id.
    #[serde(default)]
    pub id: Option<String>,
    /// Its name.
    #[serde(default)]
    pub name: String,
    /// Its tokens.
    #[serde(default, deserialize_with = "de_count")]
    pub tokens: u64,
    /// Its share of the context window, in percent.
    #[serde(default)]
    pub percentage: f64,
    /// Its parts, when it has any (kept as the CLI printed them).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub children: Vec<Value>,
    /// Fields this version of ampere does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// How many tools the agent has (`toolCounts`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ToolCounts {
    /// Built-in tools.
    #[serde(default, deserialize_with = "de_count")]
    pub builtin: u64,
    /// MCP tools.
    #[serde(default, deserialize_with = "de_count")]
    pub mcp: u64,
    /// All of them.
    #[serde(default, deserialize_with = "de_count")]
    pub total: u64,
}

/// `threads export ID`: the full thread, as the CLI's thread payload.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ThreadExport {
    /// The thread id.
    pub id: String,
    /// Its title, when it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Its messages, as the CLI stores them.
    #[serde(default)]
    pub messages: Vec<Value>,
    /// Everything else (version, creation time, environment, metadata, ...).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A count the CLI prints as a JSON number (an integer, or an estimate with a fraction,
/// rounded); `null` is 0.
fn de_count<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    match Option::<Value>::deserialize(d)? {
        None | Some(Value::Null) => Ok(0),
        Some(Value::Number(n)) => n
            .as_u64()
            .or_else(|| {
                n.as_f64()
                    .filter(|f| f.is_finite() && *f >= 0.0)
                    .map(|f| f.round() as u64)
            })
            .ok_or_else(|| serde::de::Error::custom(format!("not a count: {n}"))),
        Some(other) => Err(serde::de::Error::custom(format!("not a count: {other}"))),
    }
}

/// Removes ANSI escape sequences (`ESC [ … letter`, `ESC ] … BEL`) from the CLI's text.
pub fn strip_ansi(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\u{1b}' {
            out.push(c);
            continue;
        }
        match chars.peek() {
            Some('[') => {
                chars.next();
                for c in chars.by_ref() {
                    if ('@'..='~').contains(&c) {
                        break;
                    }
                }
            }
            Some(']') => {
                chars.next();
                for c in chars.by_ref() {
                    if c == '\u{7}' {
                        break;
                    }
                }
            }
            _ => {}
        }
    }
    out
}
