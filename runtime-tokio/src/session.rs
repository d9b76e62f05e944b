//! An interactive session: user messages in, agent messages out.

use std::path::Path;
use std::pin::Pin;
use std::task::{Context, Poll};

use ampere_core::message::{create_user_message, Message, UserInputMessage};
use ampere_core::run::{AgentError, RunSummary, SummaryBuilder};
use futures_core::Stream;
use tokio::sync::mpsc;

use crate::execution::{Event, Execution};

/// How many sent messages may wait to be written to the CLI.
pub(crate) const INPUT_CAPACITY: usize = 16;

/// An interactive execution (`--stream-json-input`), from [`Amp::session`](crate::Amp::session).
///
/// Send user messages with [`send`](Session::send) / [`send_text`](Session::send_text);
/// read the agent's messages from the session itself (it is a [`Stream`] like
/// [`Execution`], with an inherent [`next`](Session::next)); call
/// [`finish`](Session::finish) to close the input, read the rest and get the
/// [`RunSummary`] of everything the session produced. The CLI exits once its input is
/// closed and it has answered every message. Dropping the session ends the CLI like
/// dropping an [`Execution`].
///
/// ```no_run
/// use ampere_tokio::{Amp, AmpOptions, Message};
///
/// # async fn demo() -> Result<(), ampere_tokio::AgentError> {
/// let mut session = Amp::new().session(AmpOptions::default());
/// session.send_text("Start analyzing the codebase").await?;
/// while let Some(message) = session.next().await {
///     if let Message::Result(_) = message? {
///         break; // the first turn is done
///     }
/// }
/// session.send_text("Now focus on the authentication module").await?;
/// let summary = session.finish().await?;
/// println!("{}", summary.result);
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
pub struct Session {
    execution: Execution,
    input: Option<mpsc::Sender<UserInputMessage>>,
    summary: SummaryBuilder,
    end: Option<AgentError>,
}

impl Session {
    pub(crate) fn new(execution: Execution, input: mpsc::Sender<UserInputMessage>) -> Session {
        Session {
            execution,
            input: Some(input),
            summary: SummaryBuilder::new(),
            end: None,
        }
    }

    /// Sends one user message (one turn). Waits while earlier messages are still being
    /// written.
    ///
    /// Fails with [`AgentError::Io`] (kind `BrokenPipe`) when the input is closed: after
    /// [`close_input`](Session::close_input), or once the CLI has stopped reading (it exited
    /// or failed to start; the stream tells why).
    pub async fn send(&self, message: UserInputMessage) -> Result<(), AgentError> {
        let closed = || AgentError::Io {
            context: "sending a message to the Amp CLI".to_string(),
            kind: std::io::ErrorKind::BrokenPipe,
            message: "the session's input is closed".to_string(),
        };
        let input = self.input.as_ref().ok_or_else(closed)?;
        input.send(message).await.map_err(|_| closed())
    }

    /// Sends one text message ([`create_user_message`]).
    pub async fn send_text(&self, text: &str) -> Result<(), AgentError> {
        self.send(create_user_message(text)).await
    }

    /// Closes the input: the CLI finishes the turns it has and exits. Messages keep coming
    /// from the stream until then.
    pub fn close_input(&mut self) {
        self.input = None;
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
            if let Err(error) = item {
                if self.end.is_none() {
                    tracing::warn!(target: "ampere", %error, "skipping a line of the Amp CLI's output");
                }
            }
        }
        self.summary.finish_with(self.end.map_or(Ok(()), Err))
    }

    /// Ends the session early and waits until the CLI has been stopped and cleaned up.
    pub async fn cancel(mut self) {
        self.close_input();
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
        self.execution.poll_event(cx).map(|event| {
            event.map(|event| {
                match &event {
                    Event::Item(Ok(message)) => self.summary.observe(message),
                    Event::Item(Err(_)) => {}
                    Event::End(error) => self.end = Some(error.clone()),
                }
                event.into_result()
            })
        })
    }
}

impl Stream for Session {
    type Item = Result<Message, AgentError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.poll_item(cx)
    }
}

impl futures_core::FusedStream for Session {
    fn is_terminated(&self) -> bool {
        self.execution.is_finished()
    }
}
