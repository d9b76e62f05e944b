//! One running Amp CLI as an [`Iterator`]: the consumer's side of the loop in `driver`.

use std::path::{Path, PathBuf};
use std::time::Instant;

use ampere_core::message::{Message, UserInputMessage};
use ampere_core::options::AmpOptions;
use ampere_core::plan::PromptKind;
use ampere_core::run::{AgentError, AgentRun, Input, RunMode, StdinSetup};
use ampere_runtime_common::{prepare_execution, StderrSink};

use crate::driver::{self, Handle, Messages};
use ampere_runtime_common::AmpSettings as Settings;

/// The prompt of one execution: one text, or a stream of user messages.
///
/// ```
/// use ampere_blocking::{create_user_message, Prompt};
///
/// let text: Prompt = "What files are in this directory?".into();
/// let (tx, rx) = std::sync::mpsc::channel();
/// tx.send(create_user_message("Start analyzing the codebase")).unwrap();
/// let stream = Prompt::messages(rx); // ends when every sender is dropped
/// # drop((text, stream));
/// ```
pub enum Prompt {
    /// One text prompt: written to the CLI's stdin followed by `\n`, then stdin is closed.
    Text(String),
    /// A stream of user messages (`--stream-json-input`): each one is written as one JSON
    /// line as the iterator yields it, on a thread of its own, one message at a time once
    /// the previous one is written; stdin is closed when the iterator ends. Build it with [`Prompt::messages`].
    Messages(Box<dyn Iterator<Item = UserInputMessage> + Send + 'static>),
}

impl Prompt {
    /// A streamed prompt from any iterable of user messages that can move to another
    /// thread, such as a `Vec`, an iterator adapter, or a [`std::sync::mpsc::Receiver`]
    /// (the input then ends when every sender is dropped).
    ///
    /// The iterator is consumed on a thread the execution owns, one message at a time once
    /// the previous one was written to the CLI (so it never piles up). If it blocks forever
    /// (a channel whose sender is never dropped), that thread stays blocked in it after
    /// the execution has ended; nothing else is held up.
    pub fn messages<I>(messages: I) -> Prompt
    where
        I: IntoIterator<Item = UserInputMessage>,
        I::IntoIter: Send + 'static,
    {
        Prompt::Messages(Box::new(messages.into_iter()))
    }
}

impl std::fmt::Debug for Prompt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Prompt::Text(text) => f.debug_tuple("Text").field(text).finish(),
            Prompt::Messages(_) => f.write_str("Messages(..)"),
        }
    }
}

ampere_runtime_common::text_prompt_from!(Prompt);

/// One execution of the Amp CLI: an [`Iterator`] of the messages it prints.
///
/// It yields each message as its stdout line arrives, a recoverable
/// [`AgentError::Decode`] in place of a line that could not be decoded (the stream goes
/// on), and at most one final error (process failure, timeout, ...) after every message;
/// then `None`. Errors found before anything was spawned (invalid options, CLI not found)
/// are that final error.
///
/// The run goes on between calls to `next`: timeouts fire, the CLI's exit is noticed and its
/// stderr drained even if `next` is never called. `next` reads the CLI's stdout itself while
/// it waits (each line is read, decoded and yielded on the caller's thread); between calls the
/// pipe holds what the CLI writes, and the IO thread reads it when it next wakes (always
/// before a timeout, so a consumer away longer than the idle timeout does not make a busy CLI
/// look silent). Undelivered output is bounded
/// ([`AmpBuilder::max_buffered_bytes`](crate::AmpBuilder::max_buffered_bytes)): above the
/// bound ampere stops reading stdout, so the pipe makes the CLI wait for the consumer. The
/// idle timeout measures the CLI's silence only while ampere reads, so a slow consumer
/// never trips it.
///
/// Dropping it before the end sends `SIGTERM` to the CLI's process group and removes the
/// private folder before `drop` returns; `SIGKILL` after the grace period (if the CLI is
/// still running) and reaping happen in the background. If the program exits before that,
/// an exit hook sends `SIGKILL` to every group still running, so a CLI that ignores
/// `SIGTERM` is not left behind. [`cancel`](Self::cancel) does the same and waits for it.
///
/// ```no_run
/// use ampere_blocking::{execute, AmpOptions, Message};
///
/// for message in execute("What files are in this directory?", AmpOptions::default()) {
///     match message? {
///         Message::Result(result) => println!("Result: {}", result.result),
///         other => println!("{}", other.message_type()),
///     }
/// }
/// # Ok::<(), ampere_blocking::AgentError>(())
/// ```
#[derive(Default)]
pub struct Execution {
    /// The running side; `None` when nothing was spawned.
    pub(crate) run: Option<Handle>,
    /// The error that kept it from spawning, yielded once.
    failed: Option<AgentError>,
    pid: Option<u32>,
    private_dir: Option<PathBuf>,
    warnings: Vec<String>,
}

impl std::fmt::Debug for Execution {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Execution")
            .field("pid", &self.pid)
            .field("private_dir", &self.private_dir)
            .field("finished", &self.is_finished())
            .finish()
    }
}

impl Execution {
    /// An execution that never started: `error` is its only item.
    pub(crate) fn failed(error: AgentError) -> Execution {
        Execution {
            failed: Some(error),
            ..Execution::default()
        }
    }

    /// Plans, spawns and starts driving one stream-JSON execution; `messages` feeds a
    /// streamed input (a session feeds its input itself). Never blocks on the child.
    pub(crate) fn start(
        kind: PromptKind,
        messages: Option<Messages>,
        options: &AmpOptions,
        settings: &Settings,
    ) -> Result<Execution, AgentError> {
        let prepared = prepare_execution(options, kind, &settings.cli)?;
        let (mut command, program) = (prepared.command, prepared.cli.program.display());
        let spawned = command.spawn();
        let child = spawned.map_err(|e| AgentError::io(format!("spawning {program}"), &e))?;
        let pid = child.id();
        tracing::debug!(target: "ampere", pid, cwd = ?command.get_current_dir(), "spawned the Amp CLI");
        let private_dir = prepared.private_dir.as_ref().map(|d| d.path().to_owned());
        let stdin = StdinSetup::from(prepared.stdin);
        let run = AgentRun::new(settings.run.clone(), RunMode::Stream, stdin, Instant::now());
        let sink = StderrSink::for_run(settings.stderr_sink.clone(), prepared.recorder);
        let run = driver::start(child, run, prepared.private_dir, sink)?;
        if let Some(messages) = messages {
            driver::feed_messages(&run, pid, messages);
        }
        let (pid, warnings) = (Some(pid), prepared.warnings);
        Ok(Execution {
            run: Some(run),
            failed: None,
            pid,
            private_dir,
            warnings,
        })
    }

    /// The process id of the CLI (also its process group id), if it was spawned.
    ///
    /// A diagnostic: once the execution has ended the id may belong to another process.
    pub fn pid(&self) -> Option<u32> {
        self.pid
    }

    /// The private folder holding the generated settings / MCP files of this execution,
    /// if it needed one. A diagnostic: the folder is removed when the run ends (after the
    /// child was reaped, or at once when the execution is dropped or cancelled); the path is
    /// still reported then.
    pub fn private_dir(&self) -> Option<&Path> {
        self.private_dir.as_deref()
    }

    /// Warnings of the invocation plan, such as local-only options that are not applied
    /// with a remote executor (also logged with `tracing::warn!`).
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// Whether the CLI still reads user messages (a streamed input that is still open).
    pub(crate) fn accepts_input(&self) -> bool {
        self.run
            .as_ref()
            .is_some_and(|run| run.lock().rs.accepts_input())
    }

    /// Whether the run is over (its final item was yielded, or it was never started).
    pub fn is_finished(&self) -> bool {
        match &self.run {
            Some(run) => run.lock().rs.is_ended(),
            None => self.failed.is_none(),
        }
    }

    /// Cancels the execution and waits until it is torn down: `SIGTERM` to the CLI's
    /// process group, `SIGKILL` after the grace period if it is still running, the child
    /// reaped, the private folder removed. Undelivered messages are discarded.
    pub fn cancel(self) {
        if let Some(run) = &self.run {
            run.feed(&mut run.lock(), Input::Cancel);
            drop(run.wait_finished());
        }
    }
}

impl Iterator for Execution {
    type Item = Result<Message, AgentError>;

    fn next(&mut self) -> Option<Self::Item> {
        if let Some(error) = self.failed.take() {
            return Some(Err(error));
        }
        self.run.as_ref()?.next_item()
    }
}

impl std::iter::FusedIterator for Execution {}
