//! Thread commands of the Amp CLI (`threads new`, `threads markdown`,
//! `threads share multiplayer`): validated argv, and their plain-text output.

use std::ffi::OsString;

use crate::error::ValidationError;
use crate::options::{validate_thread_id, Visibility};

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
}

fn os(s: &str) -> OsString {
    OsString::from(s)
}

impl ThreadCommand {
    /// The validated arguments (after the program name).
    pub fn args(&self) -> Result<Vec<OsString>, ValidationError> {
        match self {
            ThreadCommand::New { visibility } => {
                let mut a = vec![os("threads"), os("new")];
                if let Some(v) = visibility {
                    a.extend([os("--visibility"), os(v.cli_value())]);
                }
                Ok(a)
            }
            ThreadCommand::Markdown { thread_id } => {
                validate_thread_id("thread_id", thread_id)?;
                Ok(vec![os("threads"), os("markdown"), os(thread_id)])
            }
            ThreadCommand::Multiplayer { thread_id, setting } => {
                validate_thread_id("thread_id", thread_id)?;
                let mut a = vec![os("threads"), os("share"), os("multiplayer")];
                match setting {
                    MultiplayerSetting::Off => a.extend([os("off"), os(thread_id)]),
                    MultiplayerSetting::On => a.extend([os("on"), os(thread_id)]),
                    MultiplayerSetting::Ttl(d) => {
                        let total = d.total_minutes();
                        if !(MIN_TTL_MINUTES..=MAX_TTL_MINUTES).contains(&total) {
                            return Err(ValidationError::new(
                                "ttl",
                                format!(
                                    "total duration must be between 5 minutes and 7 days (is {total} minutes)"
                                ),
                            ));
                        }
                        a.extend([os("ttl"), os(thread_id)]);
                        for (flag, n) in [
                            ("--minutes", d.minutes),
                            ("--hours", d.hours),
                            ("--days", d.days),
                            ("--weeks", d.weeks),
                        ] {
                            if n > 0 {
                                a.extend([os(flag), os(&n.to_string())]);
                            }
                        }
                    }
                }
                Ok(a)
            }
        }
    }
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
