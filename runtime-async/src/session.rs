//! An interactive session: user messages in, agent messages out.

use std::fmt;
use std::path::Path;
use std::pin::Pin;
use std::task::{Context, Poll};

use ampere_core::message::{create_user_message, Message, UserInputMessage};
use ampere_core::run::{AgentError, RunSummary, SummaryBuilder};
use futures_core::Stream;

use crate::contract::{input_closed_error, Input};
use crate::driver::lock;
use crate::execution::Execution;
use crate::runtime::Runtime;

/// An interactive execution (`--stream-json-input`), from [`Amp::session`](crate::Amp::session).
///
/// Send user messages with [`send`](Session::send) / [`send_text`](Session::send_text);
/// read the agent's messages from the session itself (it is a [`Stream`] like
/// [`Execution`], with an inherent [`next`](Session::next)); call
/// [`finish`](Session::finish) to close the input, read the rest and get the
/// [`RunSummary`] of everything the session produced. The CLI exits once its input is
/// closed and it has answered every message. Dropping the session ends the CLI like
/// dropping an [`Execution`].
pub struct Session<R: Runtime> {
    execution: Execution<R>,
    input_open: bool,
    summary: SummaryBuilder,
    end: Option<AgentError>,
}

impl<R: Runtime> fmt::Debug for Session<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Session")
            .field("execution", &self.execution)
            .field("input_open", &self.input_open)
            .finish_non_exhaustive()
    }
}

impl<R: Runtime> Session<R> {
    pub(crate) fn new(execution: Execution<R>) -> Session<R> {
        Session {
            execution,
            input_open: true,
            summary: SummaryBuilder::new(),
            end: None,
        }
    }

    /// Sends one user message (one turn). Waits while the previous message is still being
    /// written (the CLI reads its input as it goes; nothing piles up in memory).
    ///
    /// Fails with [`AgentError::Io`] (kind `BrokenPipe`) when the input is closed: after
    /// [`close_input`](Session::close_input), or once the CLI has stopped reading (it exited
    /// or failed to start; the stream tells why).
    pub async fn send(&self, message: UserInputMessage) -> Result<(), AgentError> {
        let mut message = Some(message);
        std::future::poll_fn(|cx| {
            let Some(shared) = self.execution.shared.as_ref().filter(|_| self.input_open) else {
                return Poll::Ready(Err(input_closed_error()));
            };
            let mut g = lock(shared);
            if !g.state.accepts_input() {
                return Poll::Ready(Err(input_closed_error()));
            }
            if !g.state.wants_input() {
                g.park_sender(cx);
                return Poll::Pending;
            }
            let Some(message) = message.take() else {
                return Poll::Ready(Ok(()));
            };
            g.consumer_input(Input::Send(message), self.execution.runtime.now());
            Poll::Ready(Ok(()))
        })
        .await
    }

    /// Sends one text message ([`create_user_message`]).
    pub async fn send_text(&self, text: &str) -> Result<(), AgentError> {
        self.send(create_user_message(text)).await
    }

    /// Closes the input: the CLI finishes the turns it has and exits. Messages keep coming
    /// from the stream until then.
    pub fn close_input(&mut self) {
        if !std::mem::replace(&mut self.input_open, false) {
            return;
        }
        if let Some(shared) = &self.execution.shared {
            let mut g = lock(shared);
            if g.state.accepts_input() {
                g.consumer_input(Input::EndInput, self.execution.runtime.now());
            }
        }
    }

    /// Whether [`send`](Session::send) can still succeed: the input was not closed and the
    /// CLI still reads it.
    pub fn is_input_open(&self) -> bool {
        self.input_open
            && self
                .execution
                .shared
                .as_ref()
                .is_some_and(|shared| lock(shared).state.accepts_input())
    }

    /// The next message (or error); `None` once the session is over.
    pub async fn next(&mut self) -> Option<Result<Message, AgentError>> {
        std::future::poll_fn(|cx| self.poll_item(cx)).await
    }

    /// Closes the input, reads every remaining message and returns the summary of the whole
    /// session (including the messages already read from the stream).
    ///
    /// Errors as [`Amp::run`](crate::Amp::run): the agent's error result, the session's
    /// final error, or [`AgentError::NoResult`].
    pub async fn finish(mut self) -> Result<RunSummary, AgentError> {
        self.close_input();
        while let Some(item) = self.next().await {
            if let Err(error @ AgentError::Decode(_)) = item {
                tracing::warn!(target: "ampere", %error, "skipping a line of the Amp CLI's output");
            }
        }
        self.summary.finish_with(self.end.map_or(Ok(()), Err))
    }

    /// Ends the session early and waits until the CLI has been stopped and cleaned up.
    pub async fn cancel(self) {
        self.execution.cancel().await;
    }

    /// Diagnostics: see [`Execution::pid`].
    pub fn pid(&self) -> Option<u32> {
        self.execution.pid()
    }

    /// Diagnostics: see [`Execution::private_dir`].
    pub fn private_dir(&self) -> Option<&Path> {
        self.execution.private_dir()
    }

    /// See [`Execution::warnings`].
    pub fn warnings(&self) -> &[String] {
        self.execution.warnings()
    }

    /// Whether the stream has ended (its last item was yielded).
    pub fn is_finished(&self) -> bool {
        self.execution.is_finished()
    }

    fn poll_item(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<Message, AgentError>>> {
        let polled = self.execution.poll_item(cx);
        match &polled {
            Poll::Ready(Some(Ok(message))) => self.summary.observe(message),
            Poll::Ready(Some(Err(AgentError::Decode(_)))) => {}
            Poll::Ready(Some(Err(error))) => self.end = Some(error.clone()),
            _ => {}
        }
        polled
    }
}

impl<R: Runtime> Stream for Session<R> {
    type Item = Result<Message, AgentError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.get_mut().poll_item(cx)
    }
}

impl<R: Runtime> futures_core::FusedStream for Session<R> {
    fn is_terminated(&self) -> bool {
        self.execution.is_finished()
    }
}
