//! [`ThreadQuery`]: typed thread requests, each one a [`ThreadCommand`] plus the parser of
//! what the CLI prints for it.

use serde::de::DeserializeOwned;

use super::types::{
    strip_ansi, ContextAnalysis, DefaultVisibility, RepoVisibility, ThreadExport, ThreadSearchHit,
    ThreadSummary, UsageRange,
};
use super::{thread_id_from_url, MultiplayerSetting, ThreadCommand};
use crate::options::Visibility;
use crate::run::AgentError;

/// A typed thread request. A runtime runs any of them with one generic method:
///
/// ```text
/// let args = query.command().args()?;          // validated before anything is spawned
/// let stdout = /* run `amp <args>` as RunMode::Command, collect stdout */;
/// query.parse(&stdout)                          // -> Q::Output
/// ```
pub trait ThreadQuery {
    /// What the command's output means.
    type Output;
    /// The command to run (its [`args`](ThreadCommand::args) validate the request).
    fn command(&self) -> ThreadCommand;
    /// Reads the stdout of a successful run.
    fn parse(&self, stdout: &[u8]) -> Result<Self::Output, AgentError>;
}

/// The outcome of a thread request from the outcome of its run: the run's error, or its
/// stdout parsed by the request.
pub fn finish_query<Q: ThreadQuery + ?Sized>(
    query: &Q,
    stdout: Result<Vec<u8>, AgentError>,
) -> Result<Q::Output, AgentError> {
    query.parse(&stdout?)
}

fn output_error(command: &ThreadCommand, message: impl Into<String>) -> AgentError {
    AgentError::CommandOutput {
        command: command.name().to_string(),
        message: message.into(),
    }
}

/// The first JSON value in `stdout` (text before it, such as a notice, and after it is
/// ignored).
fn parse_json<T: DeserializeOwned>(
    command: &ThreadCommand,
    stdout: &[u8],
) -> Result<T, AgentError> {
    let start = stdout
        .iter()
        .position(|b| *b == b'[' || *b == b'{')
        .ok_or_else(|| output_error(command, "no JSON in the output"))?;
    let mut values = serde_json::Deserializer::from_slice(&stdout[start..]).into_iter::<T>();
    match values.next() {
        Some(Ok(value)) => Ok(value),
        Some(Err(e)) => Err(output_error(command, format!("invalid JSON: {e}"))),
        None => Err(output_error(command, "no JSON in the output")),
    }
}

/// The output as text: ANSI escapes removed, trimmed (invalid UTF-8 replaced).
fn text(stdout: &[u8]) -> String {
    strip_ansi(&String::from_utf8_lossy(stdout))
        .trim()
        .to_string()
}

macro_rules! text_query {
    ($ty:ty, |$s:ident| $command:expr) => {
        impl ThreadQuery for $ty {
            type Output = String;
            fn command(&self) -> ThreadCommand {
                let $s = self;
                $command
            }
            fn parse(&self, stdout: &[u8]) -> Result<String, AgentError> {
                Ok(text(stdout))
            }
        }
    };
}

/// `threads new`: creates an empty thread; gives its id.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewThread {
    /// Its visibility (the CLI's default when unset).
    pub visibility: Option<Visibility>,
}

impl ThreadQuery for NewThread {
    type Output = String;
    fn command(&self) -> ThreadCommand {
        ThreadCommand::New {
            visibility: self.visibility,
        }
    }
    fn parse(&self, stdout: &[u8]) -> Result<String, AgentError> {
        let out = text(stdout);
        Ok(thread_id_from_url(&out).unwrap_or(out))
    }
}

/// `threads list`: one page of your threads, newest first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListThreads {
    /// Page size (1..=500; the CLI's default is 200).
    pub limit: Option<u32>,
    /// Threads to skip.
    pub offset: Option<u32>,
    /// Include archived threads.
    pub include_archived: bool,
}

impl ListThreads {
    /// The CLI's defaults: the 200 newest unarchived threads.
    pub fn new() -> Self {
        Self::default()
    }
    /// Sets the page size.
    #[must_use]
    pub fn limit(mut self, limit: u32) -> Self {
        self.limit = Some(limit);
        self
    }
    /// Sets how many threads to skip.
    #[must_use]
    pub fn offset(mut self, offset: u32) -> Self {
        self.offset = Some(offset);
        self
    }
    /// Includes archived threads.
    #[must_use]
    pub fn include_archived(mut self, include: bool) -> Self {
        self.include_archived = include;
        self
    }
    /// The request for the page after one that returned `got` threads: `None` when that
    /// page was not full (it was the last one).
    pub fn next_page(&self, got: usize) -> Option<ListThreads> {
        let size = self.limit.unwrap_or(200);
        if got < size as usize {
            return None;
        }
        Some(ListThreads {
            offset: Some(self.offset.unwrap_or(0).saturating_add(size)),
            ..self.clone()
        })
    }
}

impl ThreadQuery for ListThreads {
    type Output = Vec<ThreadSummary>;
    fn command(&self) -> ThreadCommand {
        ThreadCommand::List {
            limit: self.limit,
            offset: self.offset,
            include_archived: self.include_archived,
        }
    }
    fn parse(&self, stdout: &[u8]) -> Result<Self::Output, AgentError> {
        parse_json(&self.command(), stdout)
    }
}

/// `threads search QUERY`: threads matching the CLI's query DSL.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SearchThreads {
    /// The query (`auth file:src/foo.ts repo:amp`, ...).
    pub query: String,
    /// At most this many (the CLI's default is 20).
    pub limit: Option<u32>,
    /// Results to skip.
    pub offset: Option<u32>,
}

impl SearchThreads {
    /// A search with the CLI's default page.
    pub fn new(query: impl Into<String>) -> Self {
        SearchThreads {
            query: query.into(),
            ..Self::default()
        }
    }
    /// Sets the page size.
    #[must_use]
    pub fn limit(mut self, limit: u32) -> Self {
        self.limit = Some(limit);
        self
    }
    /// Sets how many results to skip.
    #[must_use]
    pub fn offset(mut self, offset: u32) -> Self {
        self.offset = Some(offset);
        self
    }
}

impl ThreadQuery for SearchThreads {
    type Output = Vec<ThreadSearchHit>;
    fn command(&self) -> ThreadCommand {
        ThreadCommand::Search {
            query: self.query.clone(),
            limit: self.limit,
            offset: self.offset,
        }
    }
    fn parse(&self, stdout: &[u8]) -> Result<Self::Output, AgentError> {
        parse_json(&self.command(), stdout)
    }
}

/// `threads usage ID`: the thread's cost, as the CLI's text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ThreadUsage {
    /// The thread (an id or a thread URL).
    pub thread_id: String,
    /// Detailed credit, token, model and tool usage.
    pub details: bool,
    /// Only this time range.
    pub range: Option<UsageRange>,
}

text_query!(ThreadUsage, |s| ThreadCommand::Usage {
    thread_id: s.thread_id.clone(),
    details: s.details,
    range: s.range.clone(),
});

/// `threads context ID`: the thread's estimated input context.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AnalyzeContext {
    /// The thread (an id or a thread URL).
    pub thread_id: String,
}

impl ThreadQuery for AnalyzeContext {
    type Output = ContextAnalysis;
    fn command(&self) -> ThreadCommand {
        ThreadCommand::Context {
            thread_id: self.thread_id.clone(),
        }
    }
    fn parse(&self, stdout: &[u8]) -> Result<Self::Output, AgentError> {
        parse_json(&self.command(), stdout)
    }
}

/// `threads visibility [V]`: the working folder's repository default visibility (after
/// setting it, when `set` is given). Enterprise workspaces only.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RepoDefaultVisibility {
    /// The new default; `None` only reads it.
    pub set: Option<RepoVisibility>,
}

impl ThreadQuery for RepoDefaultVisibility {
    type Output = DefaultVisibility;
    fn command(&self) -> ThreadCommand {
        ThreadCommand::Visibility { set: self.set }
    }
    fn parse(&self, stdout: &[u8]) -> Result<Self::Output, AgentError> {
        let out = text(stdout);
        match out.lines().map(str::trim).rfind(|l| !l.is_empty()) {
            Some(word) => Ok(DefaultVisibility::from_cli(word)),
            None => Err(output_error(&self.command(), "no visibility in the output")),
        }
    }
}

/// `threads label ID LABEL...`: adds labels (keeping the others); gives every label the
/// thread now has.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LabelThread {
    /// The thread (an id or a thread URL).
    pub thread_id: String,
    /// The labels to add (1..=20, each `^[a-zA-Z0-9][a-zA-Z0-9-]*$`, at most 32 long).
    pub labels: Vec<String>,
}

impl ThreadQuery for LabelThread {
    type Output = Vec<String>;
    fn command(&self) -> ThreadCommand {
        ThreadCommand::Label {
            thread_id: self.thread_id.clone(),
            labels: self.labels.clone(),
        }
    }
    /// The CLI prints `✓ Thread <url> labels: a, b`.
    fn parse(&self, stdout: &[u8]) -> Result<Self::Output, AgentError> {
        let out = text(stdout);
        let (_, list) = out
            .rsplit_once("labels:")
            .ok_or_else(|| output_error(&self.command(), "no label list in the output"))?;
        Ok(list
            .split(',')
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_string)
            .collect())
    }
}

/// `threads rename ID NAME`: gives the CLI's confirmation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RenameThread {
    /// The thread (an id or a thread URL).
    pub thread_id: String,
    /// The new name.
    pub name: String,
}

text_query!(RenameThread, |s| ThreadCommand::Rename {
    thread_id: s.thread_id.clone(),
    name: s.name.clone(),
});

/// `threads archive [--unarchive] ID`: gives the CLI's confirmation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ArchiveThread {
    /// The thread (an id or a thread URL).
    pub thread_id: String,
    /// Restore it instead.
    pub unarchive: bool,
}

text_query!(ArchiveThread, |s| ThreadCommand::Archive {
    thread_id: s.thread_id.clone(),
    unarchive: s.unarchive,
});

/// `threads delete ID`: deletes the thread for good; gives the CLI's confirmation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeleteThread {
    /// The thread (an id or a thread URL).
    pub thread_id: String,
}

text_query!(DeleteThread, |s| ThreadCommand::Delete {
    thread_id: s.thread_id.clone(),
});

/// `threads export ID`: the full thread.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExportThread {
    /// The thread (an id or a thread URL).
    pub thread_id: String,
}

impl ThreadQuery for ExportThread {
    type Output = ThreadExport;
    fn command(&self) -> ThreadCommand {
        ThreadCommand::Export {
            thread_id: self.thread_id.clone(),
        }
    }
    fn parse(&self, stdout: &[u8]) -> Result<Self::Output, AgentError> {
        parse_json(&self.command(), stdout)
    }
}

/// `threads markdown ID`: the thread as Markdown.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ThreadMarkdown {
    /// The thread.
    pub thread_id: String,
}

text_query!(ThreadMarkdown, |s| ThreadCommand::Markdown {
    thread_id: s.thread_id.clone(),
});

/// `threads share --visibility V ID`: changes who can see the thread; gives the CLI's
/// confirmation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShareThread {
    /// The thread (an id or a thread URL).
    pub thread_id: String,
    /// The new visibility.
    pub visibility: Visibility,
}

text_query!(ShareThread, |s| ThreadCommand::Share {
    thread_id: s.thread_id.clone(),
    visibility: s.visibility,
});

/// `threads share multiplayer on|off|ttl ID`: gives the CLI's confirmation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetMultiplayer {
    /// The thread.
    pub thread_id: String,
    /// Off, on, or on for a duration.
    pub setting: MultiplayerSetting,
}

text_query!(SetMultiplayer, |s| ThreadCommand::Multiplayer {
    thread_id: s.thread_id.clone(),
    setting: s.setting,
});
