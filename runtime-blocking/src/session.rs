//! Interactive sessions: user messages go in as the conversation goes.

use std::path::Path;

use ampere_core::message::{create_user_message, Message, UserInputMessage};
use ampere_core::run::{AgentError, Input, RunSummary};

use ampere_runtime_common::{input_closed_error, RunLog};

use crate::execution::Execution;

/// An interactive execution (`--stream-json-input`), made by
/// [`Amp::session`](crate::Amp::session).
///
/// Send user messages with [`send`](Self::send) / [`send_text`](Self::send_text); read what
/// the agent prints by iterating the session (it is an [`Iterator`] of messages, like
/// [`Execution`]); end it with [`finish`](Self::finish), which closes the input, reads
/// the rest and sums the whole run up. The CLI exits once its input is closed and the
/// agent has finished its turns.
///
/// Dropping the session tears the CLI down like a dropped [`Execution`].
#[derive(Debug)]
pub struct Session {
    execution: Execution,
    input_open: bool,
    log: RunLog,
}

impl Session {
    pub(crate) fn new(execution: Execution) -> Self {
        Session {
            input_open: execution.run.is_some(),
            execution,
            log: RunLog::default(),
        }
    }

    /// Sends one user message; it is queued and written to the CLI's stdin as one JSON
    /// line as soon as the messages before it are written.
    ///
    /// Never blocks. Fails with [`AgentError::Io`] (`BrokenPipe`) when the input was
    /// closed ([`close_input`](Self::close_input)) or the CLI no longer reads it (it closed
    /// its stdin or exited). `Ok` means queued: a CLI that exits right then never sees the
    /// message, and the session's messages and final error tell what happened.
    pub fn send(&self, message: UserInputMessage) -> Result<(), AgentError> {
        let open = self.execution.run.as_ref().filter(|_| self.input_open);
        let run = open.ok_or_else(input_closed_error)?;
        let mut g = run.lock();
        if !g.rs.accepts_input() {
            return Err(input_closed_error());
        }
        run.feed(&mut g, Input::Send(message));
        Ok(())
    }

    /// Sends a text message ([`create_user_message`]).
    pub fn send_text(&self, text: &str) -> Result<(), AgentError> {
        self.send(create_user_message(text))
    }

    /// Closes the input: the CLI's stdin is closed once every message sent so far has been
    /// written, and the CLI exits after its last turn.
    pub fn close_input(&mut self) {
        if let (true, Some(shared)) = (self.input_open, &self.execution.run) {
            shared.feed(&mut shared.lock(), Input::EndInput);
        }
        self.input_open = false;
    }

    /// Whether the input is still open (not closed by [`close_input`](Self::close_input),
    /// and the CLI still reads it).
    pub fn is_input_open(&self) -> bool {
        self.input_open && self.execution.accepts_input()
    }

    /// Closes the input, reads the remaining messages, and returns the summary of the
    /// whole session (including the messages already read by iterating).
    ///
    /// Errors like [`Amp::run`](crate::Amp::run): the agent's error result, no result,
    /// or the run's own error (also when it was already yielded while iterating).
    pub fn finish(mut self) -> Result<RunSummary, AgentError> {
        self.close_input();
        for item in self.execution.by_ref() {
            self.log.observe(&item, true);
        }
        std::mem::take(&mut self.log).finish()
    }

    /// Cancels the session and waits until the CLI is torn down (see
    /// [`Execution::cancel`]).
    pub fn cancel(self) {
        self.execution.cancel();
    }

    /// The process id of the CLI, if it was spawned (a diagnostic).
    pub fn pid(&self) -> Option<u32> {
        self.execution.pid()
    }

    /// The private folder of this session, if it needed one (a diagnostic).
    pub fn private_dir(&self) -> Option<&Path> {
        self.execution.private_dir()
    }

    /// Warnings of the invocation plan (see [`Execution::warnings`]).
    pub fn warnings(&self) -> &[String] {
        self.execution.warnings()
    }

    /// Whether the session is over (its final item was yielded, or it was never started).
    pub fn is_finished(&self) -> bool {
        self.execution.is_finished()
    }
}

impl Iterator for Session {
    type Item = Result<Message, AgentError>;

    fn next(&mut self) -> Option<Self::Item> {
        let item = self.execution.next()?;
        self.log.observe(&item, false);
        Some(item)
    }
}

impl std::iter::FusedIterator for Session {}
