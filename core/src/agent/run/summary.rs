//! What a whole run amounted to, and the outcome of a thread command.

use super::error::{signal_name, AgentError, GuardTrip};
use super::tail::TailBuffer;
use super::ExitInfo;
use crate::message::{ContentBlock, Message, Usage};

/// One tool call the agent made during a run, paired with its result when one came back.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolCallRecord {
    /// The `tool_use` id.
    pub id: String,
    /// The tool's name.
    pub name: String,
    /// The tool's arguments.
    pub input: serde_json::Value,
    /// The id of the parent tool use when a subagent made the call.
    pub parent_tool_use_id: Option<String>,
    /// The tool's output as text, once its `tool_result` arrived.
    pub result: Option<String>,
    /// Whether the tool reported an error (false until a result arrives).
    pub is_error: bool,
}

/// What a whole run amounted to: the final answer, usage, turns, duration and tool calls.
///
/// Built by [`SummaryBuilder`] from the messages of a run; the run-to-completion helpers
/// of every runtime return it.
#[derive(Debug, Clone, PartialEq)]
pub struct RunSummary {
    /// The thread (session) id, when the CLI reported one.
    pub session_id: Option<String>,
    /// The final answer text of a success result.
    pub result: String,
    /// Token usage: the result message's totals when it carries them, else the sum of the
    /// assistant messages' usage.
    pub usage: Usage,
    /// The sum of every assistant message's usage (always computed).
    pub assistant_usage: Usage,
    /// Number of turns, as the result message reported.
    pub num_turns: u64,
    /// Duration of the run, as the result message reported, in milliseconds.
    pub duration_ms: u64,
    /// Every tool call, in the order the agent made them.
    pub tool_calls: Vec<ToolCallRecord>,
    /// Permission denials the result message listed.
    pub permission_denials: Vec<serde_json::Value>,
    /// How many messages the run produced.
    pub message_count: usize,
    /// The run guard that stopped the run, if one did (then the summary is partial: it came
    /// with [`AgentError::Guard`]).
    pub stopped_by: Option<GuardTrip>,
}

/// Accumulates the messages of a run into a [`RunSummary`].
#[derive(Debug, Default)]
pub struct SummaryBuilder {
    session_id: Option<String>,
    assistant_usage: Usage,
    tool_calls: Vec<ToolCallRecord>,
    message_count: usize,
    end: Option<Message>,
}

impl SummaryBuilder {
    /// An empty builder.
    pub fn new() -> Self {
        Self::default()
    }

    /// Takes one message into account.
    pub fn observe(&mut self, message: &Message) {
        self.message_count += 1;
        if self.session_id.is_none() {
            if let Some(id) = message.session_id().filter(|s| !s.is_empty()) {
                self.session_id = Some(id.to_string());
            }
        }
        match message {
            Message::Assistant(a) => {
                if let Some(u) = &a.message.usage {
                    self.assistant_usage += u;
                }
                for block in &a.message.content {
                    if let ContentBlock::ToolUse { id, name, input } = block {
                        self.tool_calls.push(ToolCallRecord {
                            id: id.clone(),
                            name: name.clone(),
                            input: input.clone(),
                            parent_tool_use_id: a.parent_tool_use_id.clone(),
                            result: None,
                            is_error: false,
                        });
                    }
                }
            }
            Message::User(u) => {
                for block in &u.message.content {
                    if let ContentBlock::ToolResult {
                        tool_use_id,
                        content,
                        is_error,
                    } = block
                    {
                        if let Some(call) = self
                            .tool_calls
                            .iter_mut()
                            .rev()
                            .find(|c| &c.id == tool_use_id)
                        {
                            call.result = Some(content.text().into_owned());
                            call.is_error = *is_error;
                        }
                    }
                }
            }
            Message::Result(_) | Message::ErrorResult(_) => self.end = Some(message.clone()),
            _ => {}
        }
    }

    /// The summary of a run whose stream ended with `end` (the run's final error, if any).
    ///
    /// An error result from the agent wins over the process error that usually follows it
    /// (the CLI exits non-zero after reporting the failure); any other final error wins over
    /// the summary; otherwise as [`finish`](Self::finish).
    ///
    /// A guard's error ([`AgentError::Guard`]) comes back with the partial summary of what
    /// was received, whose `stopped_by` names the guard.
    pub fn finish_with(self, end: Result<(), AgentError>) -> Result<RunSummary, AgentError> {
        if let Err(AgentError::Guard { trip, .. }) = end {
            let summary = self.partial(trip);
            return Err(AgentError::Guard {
                trip,
                summary: Some(Box::new(summary)),
            });
        }
        match (end, &self.end) {
            (Err(_), Some(Message::ErrorResult(_))) | (Ok(()), _) => self.finish(),
            (Err(error), _) => Err(error),
        }
    }

    /// The summary of a run whose stream has ended: `Err(ErrorResult)` when the agent
    /// failed, `Err(NoResult)` when no result message came.
    pub fn finish(self) -> Result<RunSummary, AgentError> {
        let (result, usage, num_turns, duration_ms, denials) = match self.end {
            Some(Message::Result(r)) => (
                r.result,
                r.usage,
                r.num_turns,
                r.duration_ms,
                r.permission_denials,
            ),
            Some(Message::ErrorResult(e)) => {
                return Err(AgentError::ErrorResult {
                    subtype: e.subtype.as_str().to_string(),
                    error: e.error,
                })
            }
            _ => return Err(AgentError::NoResult),
        };
        Ok(RunSummary {
            session_id: self.session_id,
            result,
            usage: usage.unwrap_or_else(|| self.assistant_usage.clone()),
            assistant_usage: self.assistant_usage,
            num_turns,
            duration_ms,
            tool_calls: self.tool_calls,
            permission_denials: denials.unwrap_or_default(),
            message_count: self.message_count,
            stopped_by: None,
        })
    }

    /// What was received when a guard stopped the run.
    fn partial(self, trip: GuardTrip) -> RunSummary {
        let (result, usage, num_turns, duration_ms) = match &self.end {
            Some(Message::Result(r)) => (
                r.result.clone(),
                r.usage.clone(),
                r.num_turns,
                r.duration_ms,
            ),
            _ => (String::new(), None, 0, 0),
        };
        RunSummary {
            session_id: self.session_id,
            result,
            usage: usage.unwrap_or_else(|| self.assistant_usage.clone()),
            assistant_usage: self.assistant_usage,
            num_turns,
            duration_ms,
            tool_calls: self.tool_calls,
            permission_denials: Vec::new(),
            message_count: self.message_count,
            stopped_by: Some(trip),
        }
    }
}

/// The outcome of a thread command run to completion: on a successful exit, what its
/// stdout means ([`ThreadCommand::parse_output`](crate::threads::ThreadCommand::parse_output):
/// the new thread's id for `threads new`), else an [`AgentError::Process`] with the exit code
/// or signal and the last `stderr_tail_bytes` of stderr.
pub fn command_outcome(
    command: &crate::threads::ThreadCommand,
    exit: ExitInfo,
    stdout: &[u8],
    stderr: &[u8],
    stderr_tail_bytes: usize,
) -> Result<String, AgentError> {
    if exit.success() {
        return Ok(command.parse_output(stdout));
    }
    let mut tail = TailBuffer::new(stderr_tail_bytes);
    tail.push(stderr);
    Err(AgentError::Process {
        exit_code: exit.code,
        signal: exit.signal.map(signal_name),
        stderr: tail.to_string_lossy(),
    })
}

/// The raw stdout of a thread command run to completion, for
/// [`ThreadQuery::parse`](crate::threads::ThreadQuery::parse) /
/// [`finish_query`](crate::threads::finish_query): on a successful exit its stdout, else the
/// same [`AgentError::Process`] as [`command_outcome`].
pub fn command_stdout(
    exit: ExitInfo,
    stdout: Vec<u8>,
    stderr: &[u8],
    stderr_tail_bytes: usize,
) -> Result<Vec<u8>, AgentError> {
    if exit.success() {
        return Ok(stdout);
    }
    let mut tail = TailBuffer::new(stderr_tail_bytes);
    tail.push(stderr);
    Err(AgentError::Process {
        exit_code: exit.code,
        signal: exit.signal.map(signal_name),
        stderr: tail.to_string_lossy(),
    })
}
