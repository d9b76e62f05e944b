//! [`Prompt`] and [`Execution`], the stream of one run's messages.

use std::fmt;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::task::{Context, Poll};

use ampere_core::message::{Message, UserInputMessage};
use ampere_core::run::AgentError;
use futures_core::Stream;

use crate::contract::Input;
use crate::driver::{lock, SharedRef};
use crate::runtime::Runtime;

/// A boxed stream of user messages: the input of a multi-turn execution
/// (see [`Prompt::stream`]). It is polled by the execution's driver task.
pub type InputStream = Pin<Box<dyn Stream<Item = UserInputMessage> + Send + 'static>>;

/// What the agent is asked: one text prompt, or a stream of user messages for a multi-turn
/// conversation (`--stream-json-input`).
pub enum Prompt {
    /// One text prompt: written to the CLI's stdin followed by a newline, then stdin is
    /// closed.
    Text(String),
    /// User messages, each written as one JSON line as it arrives (the next one is polled
    /// once the previous one is written); stdin is closed when the stream ends, and the
    /// CLI exits once it has answered the last one.
    Stream(InputStream),
}

impl Prompt {
    /// A multi-turn prompt from any stream of user messages.
    pub fn stream<S>(messages: S) -> Prompt
    where
        S: Stream<Item = UserInputMessage> + Send + 'static,
    {
        Prompt::Stream(Box::pin(messages))
    }
}

impl fmt::Debug for Prompt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Prompt::Text(text) => f.debug_tuple("Text").field(text).finish(),
            Prompt::Stream(_) => f.write_str("Stream(..)"),
        }
    }
}

ampere_runtime_common::text_prompt_from!(Prompt);

/// What `execute` accepts as a prompt on runtime `R`: text, a [`Prompt`], and the runtime's
/// own channel receiver (each message one turn; dropping every sender ends the input).
pub trait IntoPrompt<R> {
    /// The prompt.
    fn into_prompt(self) -> Prompt;
}

impl<R> IntoPrompt<R> for Prompt {
    fn into_prompt(self) -> Prompt {
        self
    }
}

impl<R> IntoPrompt<R> for &str {
    fn into_prompt(self) -> Prompt {
        self.into()
    }
}

impl<R> IntoPrompt<R> for String {
    fn into_prompt(self) -> Prompt {
        self.into()
    }
}

impl<R> IntoPrompt<R> for &String {
    fn into_prompt(self) -> Prompt {
        self.into()
    }
}

/// One running execution of the Amp agent: a [`Stream`] of its messages.
///
/// It yields each message as its line arrives, a recoverable [`AgentError::Decode`] in
/// place of a line that could not be decoded (decoding goes on), and at most one final
/// error (a process failure, a timeout, ...) after every message; then it ends.
///
/// Messages are taken straight from the run's state machine. What the CLI wrote and was
/// not taken yet is bounded (`max_buffered_bytes`): above it, ampere stops reading the
/// CLI's stdout until the consumer catches up (the pipe then holds the CLI back), and the
/// idle timeout does not run while reading is paused.
///
/// Dropping it before the end sends `SIGTERM` to the CLI's process group and removes its
/// private folder before `drop` returns; the driver task sends `SIGKILL` after the kill
/// grace if needed and reaps the child. [`cancel`](Execution::cancel) stops it and waits
/// for all of that.
pub struct Execution<R: Runtime> {
    pub(crate) runtime: R,
    /// `None` when nothing was spawned (then `failed` holds the one error to yield).
    pub(crate) shared: Option<SharedRef>,
    failed: Option<AgentError>,
    pid: Option<u32>,
    private_dir: Option<PathBuf>,
    warnings: Vec<String>,
    ended: bool,
}

impl<R: Runtime> fmt::Debug for Execution<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Execution")
            .field("pid", &self.pid)
            .field("private_dir", &self.private_dir)
            .field("ended", &self.ended)
            .finish_non_exhaustive()
    }
}

impl<R: Runtime> Execution<R> {
    pub(crate) fn new(
        runtime: R,
        shared: SharedRef,
        pid: u32,
        private_dir: Option<PathBuf>,
        warnings: Vec<String>,
    ) -> Execution<R> {
        Execution {
            runtime,
            shared: Some(shared),
            failed: None,
            pid: Some(pid),
            private_dir,
            warnings,
            ended: false,
        }
    }

    /// An execution that failed before anything was spawned: it yields `error` and ends.
    pub(crate) fn failed(runtime: R, error: AgentError) -> Execution<R> {
        Execution {
            runtime,
            shared: None,
            failed: Some(error),
            pid: None,
            private_dir: None,
            warnings: Vec::new(),
            ended: false,
        }
    }

    /// Diagnostics: the process id of the CLI (also its process group id), or `None` when
    /// nothing was spawned. The process may have exited already.
    pub fn pid(&self) -> Option<u32> {
        self.pid
    }

    /// Diagnostics: the private folder holding the generated settings / MCP files of this
    /// execution, when it needed one. It is removed when the execution ends, before the
    /// stream ends.
    pub fn private_dir(&self) -> Option<&Path> {
        self.private_dir.as_deref()
    }

    /// Warnings of the invocation plan, such as local-only options that are not applied
    /// with a remote executor (also logged with `tracing::warn!`).
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// Whether the stream has ended (its last item was yielded).
    pub fn is_finished(&self) -> bool {
        self.ended
    }

    /// The next message (or error); `None` once the execution is over.
    ///
    /// The same as `StreamExt::next`, without needing a stream-combinator crate.
    pub async fn next(&mut self) -> Option<Result<Message, AgentError>> {
        std::future::poll_fn(|cx| self.poll_item(cx)).await
    }

    /// Ends the execution early and waits until the CLI's process group has been stopped
    /// (`SIGTERM`, then `SIGKILL` after the kill grace), the child reaped and the private
    /// folder removed.
    pub async fn cancel(mut self) {
        if let Some(shared) = &self.shared {
            let mut g = lock(shared);
            if !g.state.is_finished() && !g.driver_gone {
                g.consumer_input(Input::Cancel, self.runtime.now());
            }
        }
        std::future::poll_fn(|cx| self.poll_cancel(cx)).await
    }

    fn poll_cancel(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        let Some(shared) = &self.shared else {
            return Poll::Ready(());
        };
        let now = || self.runtime.now();
        lock(shared).poll_consumer(cx, &now, |g| {
            // Nobody reads them: keep taking items so that reading never pauses.
            while g.state.take_item(now()).is_some() {}
            (g.state.is_finished() || g.driver_gone).then_some(())
        })
    }

    /// The consumer's side of the stream.
    pub(crate) fn poll_item(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Message, AgentError>>> {
        if self.ended {
            return Poll::Ready(None);
        }
        let Some(shared) = &self.shared else {
            let failed = self.failed.take();
            self.ended = failed.is_none();
            return Poll::Ready(failed.map(Err));
        };
        let now = || self.runtime.now();
        let polled = lock(shared).poll_consumer(cx, &now, |g| {
            if let Some(item) = g.state.take_item(now()) {
                return Some(Some(item));
            }
            if g.state.is_ended() || g.driver_gone {
                return Some(g.late_error.take().map(Err));
            }
            None
        });
        if let Poll::Ready(None) = polled {
            self.ended = true;
        }
        polled
    }

    /// Thread commands: the outcome once the run is over (items, if any, are dropped).
    pub(crate) fn poll_outcome(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<Result<Vec<u8>, AgentError>> {
        let Some(shared) = &self.shared else {
            let error = self.failed.take().unwrap_or(AgentError::NoResult);
            return Poll::Ready(Err(error));
        };
        let now = || self.runtime.now();
        lock(shared).poll_consumer(cx, &now, |g| {
            while g.state.take_item(now()).is_some() {}
            if !(g.state.is_finished() || g.driver_gone) {
                return None;
            }
            let outcome = g.state.run_mut().take_command_stdout();
            let late = g.late_error.take();
            Some(
                outcome
                    .or(late.map(Err))
                    .unwrap_or(Err(AgentError::NoResult)),
            )
        })
    }
}

impl<R: Runtime> Drop for Execution<R> {
    fn drop(&mut self) {
        if let Some(shared) = &self.shared {
            let mut g = lock(shared);
            if !g.state.is_finished() && !g.driver_gone {
                // SIGTERM to the group and the private folder removed right here.
                g.consumer_input(Input::ConsumerGone, self.runtime.now());
            }
        }
    }
}

impl<R: Runtime> Stream for Execution<R> {
    type Item = Result<Message, AgentError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.get_mut().poll_item(cx)
    }
}

impl<R: Runtime> futures_core::FusedStream for Execution<R> {
    fn is_terminated(&self) -> bool {
        self.ended
    }
}
