//! [`RunLog`]: what a run-to-completion helper or a session has seen, written once.

use ampere_core::message::Message;
use ampere_core::run::{AgentError, RunSummary, SummaryBuilder};

/// The summary so far and the final error of one execution's stream.
#[derive(Debug, Default)]
pub struct RunLog {
    summary: SummaryBuilder,
    end: Option<AgentError>,
}

impl RunLog {
    /// Takes one item of the stream into account; a per-line decode error is skipped (and,
    /// with `warn`, logged at warn level).
    pub fn observe(&mut self, item: &Result<Message, AgentError>, warn: bool) {
        match item {
            Ok(message) => self.summary.observe(message),
            Err(AgentError::Decode(error)) => {
                if warn {
                    tracing::warn!(target: "ampere", %error, "skipping an undecodable line of the Amp CLI");
                }
            }
            Err(error) => self.end = Some(error.clone()),
        }
    }

    /// The run-to-completion outcome ([`SummaryBuilder::finish_with`]).
    pub fn finish(self) -> Result<RunSummary, AgentError> {
        self.summary.finish_with(self.end.map_or(Ok(()), Err))
    }
}
