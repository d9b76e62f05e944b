//! Thread commands of the Amp CLI (`amp threads ...`): validated argv ([`ThreadCommand`]),
//! typed requests ([`ThreadQuery`]: [`ListThreads`], [`SearchThreads`], [`RenameThread`], ...)
//! and the output types parsed from what the CLI prints ([`ThreadSummary`], ...).
//!
//! A runtime needs one generic method for all of them: build the argv with
//! `query.command().args()?`, run it like any thread command (`RunMode::Command`), and hand
//! the collected stdout to [`ThreadQuery::parse`] (or [`finish_query`]).
//!
//! ```
//! use ampere_core::threads::{ListThreads, ThreadQuery};
//!
//! let query = ListThreads::new().limit(50).offset(100);
//! let args = query.command().args().expect("valid");
//! assert_eq!(args, ["threads", "list", "--json", "--limit", "50", "--offset", "100"]);
//! let page = query
//!     .parse(br#"[{"id": "T-7f395a45-7fae-4983-8de0-d02e61d4183b", "title": "Fix CI",
//!                 "updated": "2026-01-02T03:04:05.000Z", "tree": null, "messageCount": 4}]"#)
//!     .expect("parses");
//! assert_eq!(page[0].title.as_deref(), Some("Fix CI"));
//! ```

use crate::options::Visibility;

mod args;
mod query;
mod types;

pub use args::{validate_thread_name, validate_thread_ref, MAX_LIST_LIMIT, MAX_THREAD_NAME_LEN};
pub use query::*;
pub use types::*;

/// The shortest multiplayer duration the CLI accepts, in minutes.
pub const MIN_TTL_MINUTES: u64 = 5;
/// The longest multiplayer duration the CLI accepts, in minutes (7 days).
pub const MAX_TTL_MINUTES: u64 = 7 * 24 * 60;

/// A multiplayer duration, given in parts that add up (`--minutes N --hours N ...`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct TtlDuration {
    /// Minutes.
    pub minutes: u32,
    /// Hours.
    pub hours: u32,
    /// Days.
    pub days: u32,
    /// Weeks.
    pub weeks: u32,
}

impl TtlDuration {
    /// A duration of `n` minutes.
    pub fn minutes(n: u32) -> Self {
        TtlDuration {
            minutes: n,
            ..Self::default()
        }
    }

    /// A duration of `n` hours.
    pub fn hours(n: u32) -> Self {
        TtlDuration {
            hours: n,
            ..Self::default()
        }
    }

    /// A duration of `n` days.
    pub fn days(n: u32) -> Self {
        TtlDuration {
            days: n,
            ..Self::default()
        }
    }

    /// A duration of `n` weeks.
    pub fn weeks(n: u32) -> Self {
        TtlDuration {
            weeks: n,
            ..Self::default()
        }
    }

    /// The total, in minutes (saturating).
    pub fn total_minutes(&self) -> u64 {
        u64::from(self.minutes)
            .saturating_add(u64::from(self.hours).saturating_mul(60))
            .saturating_add(u64::from(self.days).saturating_mul(24 * 60))
            .saturating_add(u64::from(self.weeks).saturating_mul(7 * 24 * 60))
    }
}

/// How to set multiplayer on a thread.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum MultiplayerSetting {
    /// Turn multiplayer off.
    Off,
    /// Turn it on for the CLI's default duration (1 week).
    On,
    /// Turn it on for a duration between 5 minutes and 7 days.
    Ttl(TtlDuration),
}

/// One thread command.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ThreadCommand {
    /// `threads new [--visibility V]`: prints the new thread's id.
    New {
        /// Visibility of the new thread (`public` goes out as `unlisted`).
        visibility: Option<Visibility>,
    },
    /// `threads markdown ID`: prints the thread as Markdown.
    Markdown {
        /// The thread.
        thread_id: String,
    },
    /// `threads share multiplayer ...`.
    Multiplayer {
        /// The thread.
        thread_id: String,
        /// Off, on, or on for a duration.
        setting: MultiplayerSetting,
    },
    /// `threads list --json [--include-archived] [--limit N] [--offset N]`: a JSON array
    /// ([`ThreadSummary`]).
    List {
        /// At most this many threads (1..=500; the CLI's default is 200).
        limit: Option<u32>,
        /// Skip this many threads.
        offset: Option<u32>,
        /// Include archived threads.
        include_archived: bool,
    },
    /// `threads search --json [--limit N] [--offset N] -- QUERY`: a JSON array
    /// ([`ThreadSearchHit`]).
    Search {
        /// The query (the CLI's query DSL: words, `file:`, `repo:`, `id:` ...).
        query: String,
        /// At most this many threads (the CLI's default is 20).
        limit: Option<u32>,
        /// Skip this many results.
        offset: Option<u32>,
    },
    /// `threads usage [--details] [--start T --end T] ID`: text.
    Usage {
        /// The thread (an id or a thread URL).
        thread_id: String,
        /// Detailed credit, token, model and tool usage.
        details: bool,
        /// Only this range (ISO 8601 timestamps, start inclusive, end exclusive).
        range: Option<UsageRange>,
    },
    /// `threads context ID`: the estimated input context as JSON ([`ContextAnalysis`]).
    Context {
        /// The thread (an id or a thread URL).
        thread_id: String,
    },
    /// `threads visibility [V]`: the repository's default visibility, or set it.
    Visibility {
        /// The new default; `None` only shows it.
        set: Option<RepoVisibility>,
    },
    /// `threads label ID LABEL...`: adds labels; prints the thread's labels.
    Label {
        /// The thread (an id or a thread URL).
        thread_id: String,
        /// The labels to add (at least one).
        labels: Vec<String>,
    },
    /// `threads rename ID -- NAME`.
    Rename {
        /// The thread (an id or a thread URL).
        thread_id: String,
        /// The new name (1..=256 characters once trimmed, one line).
        name: String,
    },
    /// `threads archive [--unarchive] ID`.
    Archive {
        /// The thread (an id or a thread URL).
        thread_id: String,
        /// Restore the thread instead.
        unarchive: bool,
    },
    /// `threads delete ID`: deletes the thread for good.
    Delete {
        /// The thread (an id or a thread URL).
        thread_id: String,
    },
    /// `threads export ID`: the full thread as JSON ([`ThreadExport`]).
    Export {
        /// The thread (an id or a thread URL).
        thread_id: String,
    },
    /// `threads share --visibility V ID`: changes who can see the thread.
    Share {
        /// The thread (an id or a thread URL).
        thread_id: String,
        /// The new visibility (`public` goes out as `unlisted`).
        visibility: Visibility,
    },
}

impl ThreadCommand {
    /// What the command's stdout means: for `threads new`, the new thread's id (the CLI
    /// prints the thread's URL, `https://ampcode.com/threads/T-…`, or the bare id; both give
    /// `T-…`); for the others, the trimmed output.
    pub fn parse_output(&self, stdout: &[u8]) -> String {
        let text = parse_output(stdout);
        match self {
            ThreadCommand::New { .. } => thread_id_from_url(&text).unwrap_or(text),
            _ => text,
        }
    }
}

/// The thread id at the end of a thread URL (`…/threads/T-…`, ignoring a query or
/// fragment and a trailing `/`), or `None` when `text` is not such a URL.
pub fn thread_id_from_url(text: &str) -> Option<String> {
    let text = text.trim();
    if text.contains(char::is_whitespace) {
        return None;
    }
    let (_, rest) = text.rsplit_once("/threads/")?;
    let id = rest.split(['?', '#']).next()?.trim_end_matches('/');
    (!id.is_empty() && !id.contains('/')).then(|| id.to_string())
}

/// The result of a thread command: its stdout, trimmed (invalid UTF-8 replaced).
pub fn parse_output(stdout: &[u8]) -> String {
    String::from_utf8_lossy(stdout).trim().to_string()
}
