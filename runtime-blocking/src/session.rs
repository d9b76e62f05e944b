//! Interactive sessions: user messages go in as the conversation goes.

use std::path::Path;
use std::sync::mpsc::Sender;

use ampere_core::message::{create_user_message, Message, UserInputMessage};
use ampere_core::run::{AgentError, RunSummary, SummaryBuilder};

use crate::execution::{Execution, Step};

/// An interactive execution (`--stream-json-input`), made by
/// [`Amp::session`](crate::Amp::session).
///
/// Send user messages with [`send`](Self::send) / [`send_text`](Self::send_text); read what
/// the agent prints by iterating the session (it is an [`Iterator`] of messages, like
/// [`Execution`]); end it with [`finish`](Self::finish), which closes the input, reads
/// the rest and sums the whole run up. The CLI exits once its input is closed and the
/// agent has finished its turns.
///
/// Dropping the session drops its input (closing the CLI's stdin) and tears the CLI down
/// like a dropped [`Execution`].
#[derive(Debug)]
pub struct Session {
    // Declared first so it is dropped first: the CLI's input closes before teardown.
    input: Option<Sender<UserInputMessage>>,
    execution: Execution,
    summary: SummaryBuilder,
    final_error: Option<AgentError>,
}

fn input_closed() -> AgentError {
    AgentError::Io {
        context: "sending a message to the Amp CLI session".to_string(),
        kind: std::io::ErrorKind::BrokenPipe,
        message: "the session's input is closed".to_string(),
    }
}

impl Session {
    pub(crate) fn new(execution: Execution, input: Sender<UserInputMessage>) -> Self {
        Session {
            execution,
            input: Some(input),
            summary: SummaryBuilder::new(),
            final_error: None,
        }
    }

    /// Sends one user message; it is queued and written to the CLI's stdin as one JSON
    /// line by the session's writer thread.
    ///
    /// Never blocks. Fails with [`AgentError::Io`] (`BrokenPipe`) when the input was
    /// closed ([`close_input`](Self::close_input)) or the writer has stopped (the CLI
    /// closed its stdin or exited). `Ok` means queued: a CLI that exits right then never
    /// sees the message, and the session's messages and final error tell what happened.
    pub fn send(&self, message: UserInputMessage) -> Result<(), AgentError> {
        if self.execution.is_finished() {
            // The CLI has exited: nothing reads the input any more.
            return Err(input_closed());
        }
        match &self.input {
            Some(tx) => tx.send(message).map_err(|_| input_closed()),
            None => Err(input_closed()),
        }
    }

    /// Sends a text message ([`create_user_message`]).
    pub fn send_text(&self, text: &str) -> Result<(), AgentError> {
        self.send(create_user_message(text))
    }

    /// Closes the input: the CLI's stdin is closed once every message sent so far has been
    /// written, and the CLI exits after its last turn.
    pub fn close_input(&mut self) {
        self.input = None;
    }

    /// Whether the input is still open.
    pub fn is_input_open(&self) -> bool {
        self.input.is_some()
    }

    /// Closes the input, reads the remaining messages, and returns the summary of the
    /// whole session (including the messages already read by iterating).
    ///
    /// Errors like [`Amp::run`](crate::Amp::run): the agent's error result, no result,
    /// or the run's own error (also when it was already yielded while iterating).
    pub fn finish(mut self) -> Result<RunSummary, AgentError> {
        self.close_input();
        while let Some(step) = self.execution.next_step() {
            match step {
                Step::Item(Ok(message)) => self.observe(&message),
                Step::Item(Err(error)) => {
                    tracing::warn!(target: "ampere", %error, "skipping an undecodable line of the Amp CLI");
                }
                Step::Final(error) => self.final_error = Some(error),
            }
        }
        let summary = std::mem::take(&mut self.summary);
        summary.finish_with(self.final_error.take().map_or(Ok(()), Err))
    }

    /// Cancels the session and waits until the CLI is torn down (see
    /// [`Execution::cancel`]).
    pub fn cancel(self) {
        let Session {
            input, execution, ..
        } = self;
        drop(input);
        execution.cancel();
    }

    /// The process id of the CLI, if it was spawned (a diagnostic).
    pub fn pid(&self) -> Option<u32> {
        self.execution.pid()
    }

    /// The private folder of this session, if it needed one (a diagnostic).
    pub fn private_dir(&self) -> Option<&Path> {
        self.execution.private_dir()
    }

    fn observe(&mut self, message: &Message) {
        self.summary.observe(message);
    }
}

impl Iterator for Session {
    type Item = Result<Message, AgentError>;

    fn next(&mut self) -> Option<Self::Item> {
        match self.execution.next_step()? {
            Step::Item(Ok(message)) => {
                self.observe(&message);
                Some(Ok(message))
            }
            Step::Item(Err(error)) => Some(Err(error)),
            Step::Final(error) => {
                self.final_error = Some(error.clone());
                Some(Err(error))
            }
        }
    }
}

impl std::iter::FusedIterator for Session {}
