//! The message kinds and [`Message`] itself.

#[allow(unused_imports)]
use super::*;

// ---------------------------------------------------------------------------------------------
// Messages
// ---------------------------------------------------------------------------------------------

/// One MCP server in the `system` init message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct McpServerStatus {
    /// The server's name.
    pub name: String,
    /// Its state.
    pub status: McpServerState,
}

/// `{"type":"system",...}`: session information, sent first (`subtype` `"init"`).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct SystemMessage {
    /// `"init"` today; other subtypes are kept as they are.
    #[serde(default, deserialize_with = "null_default")]
    pub subtype: String,
    /// The agent's working directory.
    #[serde(default, deserialize_with = "null_default")]
    pub cwd: String,
    /// The thread id (`T-...`).
    #[serde(default, deserialize_with = "null_default")]
    pub session_id: String,
    /// The tools available to the agent.
    #[serde(default, deserialize_with = "null_default")]
    pub tools: Vec<String>,
    /// The MCP servers and their states.
    #[serde(default, deserialize_with = "null_default")]
    pub mcp_servers: Vec<McpServerStatus>,
}

impl SystemMessage {
    /// Whether this is the `init` message.
    pub fn is_init(&self) -> bool {
        self.subtype == "init"
    }
}

impl Serialize for SystemMessage {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut st = s.serialize_struct("SystemMessage", 6)?;
        st.serialize_field("type", "system")?;
        st.serialize_field("subtype", &self.subtype)?;
        st.serialize_field("cwd", &self.cwd)?;
        st.serialize_field("session_id", &self.session_id)?;
        st.serialize_field("tools", &self.tools)?;
        st.serialize_field("mcp_servers", &self.mcp_servers)?;
        st.end()
    }
}

pub(super) fn default_assistant_role() -> String {
    "assistant".to_owned()
}

pub(super) fn default_user_role() -> String {
    "user".to_owned()
}

/// The `message` of an assistant message (the model's reply).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct AssistantMessageDetails {
    /// The model message id, when reported.
    #[serde(default)]
    pub id: Option<String>,
    /// The model, when reported.
    #[serde(default)]
    pub model: Option<String>,
    /// Always `"assistant"` today.
    #[serde(
        default = "default_assistant_role",
        deserialize_with = "assistant_role"
    )]
    pub role: String,
    /// The reply's blocks: text, tool calls, thinking.
    #[serde(default, deserialize_with = "content_list")]
    pub content: Vec<ContentBlock>,
    /// Why generation stopped.
    #[serde(default)]
    pub stop_reason: Option<StopReason>,
    /// The stop sequence produced, when `stop_reason` is `stop_sequence`.
    #[serde(default)]
    pub stop_sequence: Option<String>,
    /// Token usage of this model call.
    #[serde(default)]
    pub usage: Option<Usage>,
}

impl Default for AssistantMessageDetails {
    fn default() -> Self {
        Self {
            id: None,
            model: None,
            role: default_assistant_role(),
            content: Vec::new(),
            stop_reason: None,
            stop_sequence: None,
            usage: None,
        }
    }
}

pub(super) fn assistant_role<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(Option::<String>::deserialize(d)?.unwrap_or_else(default_assistant_role))
}

pub(super) fn user_role<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(Option::<String>::deserialize(d)?.unwrap_or_else(default_user_role))
}

impl Serialize for AssistantMessageDetails {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut st = s.serialize_struct("AssistantMessageDetails", 8)?;
        st.serialize_field("type", "message")?;
        st.serialize_field("role", &self.role)?;
        match &self.id {
            Some(id) => st.serialize_field("id", id)?,
            None => st.skip_field("id")?,
        }
        match &self.model {
            Some(m) => st.serialize_field("model", m)?,
            None => st.skip_field("model")?,
        }
        st.serialize_field("content", &self.content)?;
        st.serialize_field("stop_reason", &self.stop_reason)?;
        match &self.stop_sequence {
            Some(seq) => st.serialize_field("stop_sequence", seq)?,
            None => st.skip_field("stop_sequence")?,
        }
        match &self.usage {
            Some(u) => st.serialize_field("usage", u)?,
            None => st.skip_field("usage")?,
        }
        st.end()
    }
}

/// `{"type":"assistant",...}`: a reply of the model.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct AssistantMessage {
    /// The reply.
    pub message: AssistantMessageDetails,
    /// The tool call this message belongs to, when it comes from a subagent.
    #[serde(default)]
    pub parent_tool_use_id: Option<String>,
    /// The thread id.
    #[serde(default, deserialize_with = "null_default")]
    pub session_id: String,
}

impl AssistantMessage {
    /// The text blocks of the reply, concatenated.
    pub fn text(&self) -> String {
        text_of(&self.message.content)
    }

    /// The tool calls in the reply, in order.
    pub fn tool_uses(&self) -> impl Iterator<Item = ToolUse<'_>> {
        tool_uses_of(&self.message.content)
    }

    /// The content blocks of the reply.
    pub fn content(&self) -> &[ContentBlock] {
        &self.message.content
    }
}

impl Serialize for AssistantMessage {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut st = s.serialize_struct("AssistantMessage", 4)?;
        st.serialize_field("type", "assistant")?;
        st.serialize_field("message", &self.message)?;
        st.serialize_field("parent_tool_use_id", &self.parent_tool_use_id)?;
        st.serialize_field("session_id", &self.session_id)?;
        st.end()
    }
}

/// The `message` of a user message (and of a [`UserInputMessage`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserMessageDetails {
    /// Always `"user"` today.
    #[serde(default = "default_user_role", deserialize_with = "user_role")]
    pub role: String,
    /// The blocks: text the user wrote, tool results.
    #[serde(default, deserialize_with = "content_list")]
    pub content: Vec<ContentBlock>,
}

impl Default for UserMessageDetails {
    fn default() -> Self {
        Self {
            role: default_user_role(),
            content: Vec::new(),
        }
    }
}

/// `{"type":"user",...}`: a user prompt or tool results, echoed in the stream.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct UserMessage {
    /// The message.
    pub message: UserMessageDetails,
    /// The tool call this message belongs to, when it comes from a subagent.
    #[serde(default)]
    pub parent_tool_use_id: Option<String>,
    /// The thread id.
    #[serde(default, deserialize_with = "null_default")]
    pub session_id: String,
}

impl UserMessage {
    /// The text blocks of the message, concatenated.
    pub fn text(&self) -> String {
        text_of(&self.message.content)
    }

    /// The content blocks of the message.
    pub fn content(&self) -> &[ContentBlock] {
        &self.message.content
    }
}

impl Serialize for UserMessage {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut st = s.serialize_struct("UserMessage", 4)?;
        st.serialize_field("type", "user")?;
        st.serialize_field("message", &self.message)?;
        st.serialize_field("parent_tool_use_id", &self.parent_tool_use_id)?;
        st.serialize_field("session_id", &self.session_id)?;
        st.end()
    }
}

/// `{"type":"result","is_error":false,...}`: the run succeeded.
#[derive(Debug, Clone, PartialEq)]
pub struct ResultMessage {
    /// `"success"` today.
    pub subtype: String,
    /// The final answer.
    pub result: String,
    /// Wall time of the run.
    pub duration_ms: u64,
    /// Number of turns taken.
    pub num_turns: u64,
    /// Token usage of the run.
    pub usage: Option<Usage>,
    /// Tool calls the permission rules denied (strings today; kept as JSON).
    pub permission_denials: Option<Vec<Value>>,
    /// The thread id.
    pub session_id: String,
}

impl Default for ResultMessage {
    fn default() -> Self {
        Self {
            subtype: "success".to_owned(),
            result: String::new(),
            duration_ms: 0,
            num_turns: 0,
            usage: None,
            permission_denials: None,
            session_id: String::new(),
        }
    }
}

impl ResultMessage {
    /// The final answer.
    pub fn result(&self) -> &str {
        &self.result
    }
}

/// `{"type":"result","is_error":true,...}`: the run failed.
#[derive(Debug, Clone, PartialEq)]
pub struct ErrorResultMessage {
    /// What kind of failure.
    pub subtype: ErrorSubtype,
    /// What went wrong.
    pub error: String,
    /// Wall time of the run.
    pub duration_ms: u64,
    /// Number of turns taken.
    pub num_turns: u64,
    /// Token usage of the run.
    pub usage: Option<Usage>,
    /// Tool calls the permission rules denied (strings today; kept as JSON).
    pub permission_denials: Option<Vec<Value>>,
    /// The thread id.
    pub session_id: String,
}

impl Default for ErrorResultMessage {
    fn default() -> Self {
        Self {
            subtype: ErrorSubtype::ErrorDuringExecution,
            error: String::new(),
            duration_ms: 0,
            num_turns: 0,
            usage: None,
            permission_denials: None,
            session_id: String::new(),
        }
    }
}

impl ErrorResultMessage {
    /// What went wrong.
    pub fn error(&self) -> &str {
        &self.error
    }
}

/// Both result shapes as they come off the wire.
#[derive(Deserialize)]
pub(super) struct RawResult {
    #[serde(default)]
    subtype: Option<String>,
    #[serde(default)]
    is_error: Option<bool>,
    #[serde(default)]
    result: Option<String>,
    #[serde(default)]
    error: Option<String>,
    #[serde(default, deserialize_with = "null_default")]
    duration_ms: u64,
    #[serde(default, deserialize_with = "null_default")]
    num_turns: u64,
    #[serde(default)]
    usage: Option<Usage>,
    #[serde(default)]
    permission_denials: Option<Vec<Value>>,
    #[serde(default, deserialize_with = "null_default")]
    session_id: String,
}

impl RawResult {
    fn into_message<E: de::Error>(self) -> Result<Message, E> {
        let is_error = match self.is_error {
            Some(b) => b,
            None => self.subtype.as_deref().is_some_and(|s| s != "success"),
        };
        if is_error {
            let error = match (self.error, self.result) {
                (Some(e), _) | (None, Some(e)) => e,
                (None, None) => return Err(E::missing_field("error")),
            };
            Ok(Message::ErrorResult(ErrorResultMessage {
                subtype: self
                    .subtype
                    .map(ErrorSubtype::from)
                    .unwrap_or(ErrorSubtype::ErrorDuringExecution),
                error,
                duration_ms: self.duration_ms,
                num_turns: self.num_turns,
                usage: self.usage,
                permission_denials: self.permission_denials,
                session_id: self.session_id,
            }))
        } else {
            let Some(result) = self.result else {
                return Err(E::missing_field("result"));
            };
            Ok(Message::Result(ResultMessage {
                subtype: self.subtype.unwrap_or_else(|| "success".to_owned()),
                result,
                duration_ms: self.duration_ms,
                num_turns: self.num_turns,
                usage: self.usage,
                permission_denials: self.permission_denials,
                session_id: self.session_id,
            }))
        }
    }
}

#[allow(clippy::too_many_arguments)]
pub(super) fn serialize_result<S: Serializer>(
    s: S,
    subtype: &str,
    is_error: bool,
    text_key: &'static str,
    text: &str,
    duration_ms: u64,
    num_turns: u64,
    usage: Option<&Usage>,
    permission_denials: Option<&Vec<Value>>,
    session_id: &str,
) -> Result<S::Ok, S::Error> {
    let mut st = s.serialize_struct("ResultMessage", 9)?;
    st.serialize_field("type", "result")?;
    st.serialize_field("subtype", subtype)?;
    st.serialize_field("is_error", &is_error)?;
    st.serialize_field(text_key, text)?;
    st.serialize_field("duration_ms", &duration_ms)?;
    st.serialize_field("num_turns", &num_turns)?;
    match usage {
        Some(u) => st.serialize_field("usage", u)?,
        None => st.skip_field("usage")?,
    }
    match permission_denials {
        Some(p) => st.serialize_field("permission_denials", p)?,
        None => st.skip_field("permission_denials")?,
    }
    st.serialize_field("session_id", session_id)?;
    st.end()
}

impl Serialize for ResultMessage {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        serialize_result(
            s,
            &self.subtype,
            false,
            "result",
            &self.result,
            self.duration_ms,
            self.num_turns,
            self.usage.as_ref(),
            self.permission_denials.as_ref(),
            &self.session_id,
        )
    }
}

impl Serialize for ErrorResultMessage {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        serialize_result(
            s,
            self.subtype.as_str(),
            true,
            "error",
            &self.error,
            self.duration_ms,
            self.num_turns,
            self.usage.as_ref(),
            self.permission_denials.as_ref(),
            &self.session_id,
        )
    }
}

/// A message of a `type` this version does not know, kept whole.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(transparent)]
pub struct UnknownMessage {
    /// The whole JSON object, `type` included.
    pub raw: Value,
}

impl UnknownMessage {
    /// The message's `type`.
    pub fn message_type(&self) -> &str {
        self.raw.get("type").and_then(Value::as_str).unwrap_or("")
    }
}

/// One line of the CLI's stream-JSON output.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Message {
    /// Session information (`type` `"system"`).
    System(SystemMessage),
    /// A model reply (`type` `"assistant"`).
    Assistant(AssistantMessage),
    /// A user prompt or tool results (`type` `"user"`).
    User(UserMessage),
    /// The run succeeded (`type` `"result"`, `is_error` false).
    Result(ResultMessage),
    /// The run failed (`type` `"result"`, `is_error` true).
    ErrorResult(ErrorResultMessage),
    /// A message of an unknown `type`, kept as raw JSON.
    Unknown(UnknownMessage),
}

impl Message {
    /// The wire `type` of the message.
    pub fn message_type(&self) -> &str {
        match self {
            Message::System(_) => "system",
            Message::Assistant(_) => "assistant",
            Message::User(_) => "user",
            Message::Result(_) | Message::ErrorResult(_) => "result",
            Message::Unknown(u) => u.message_type(),
        }
    }

    /// Whether this is a successful result.
    pub fn is_success_result(&self) -> bool {
        matches!(self, Message::Result(_))
    }

    /// Whether this is a result, successful or not (the last message of a run).
    pub fn is_result(&self) -> bool {
        matches!(self, Message::Result(_) | Message::ErrorResult(_))
    }

    /// The thread id, if the message carries a non-empty one.
    pub fn session_id(&self) -> Option<&str> {
        let id = match self {
            Message::System(m) => m.session_id.as_str(),
            Message::Assistant(m) => m.session_id.as_str(),
            Message::User(m) => m.session_id.as_str(),
            Message::Result(m) => m.session_id.as_str(),
            Message::ErrorResult(m) => m.session_id.as_str(),
            Message::Unknown(m) => m
                .raw
                .get("session_id")
                .and_then(Value::as_str)
                .unwrap_or(""),
        };
        (!id.is_empty()).then_some(id)
    }

    /// The token usage the message reports (assistant messages and results).
    pub fn usage(&self) -> Option<&Usage> {
        match self {
            Message::Assistant(m) => m.message.usage.as_ref(),
            Message::Result(m) => m.usage.as_ref(),
            Message::ErrorResult(m) => m.usage.as_ref(),
            _ => None,
        }
    }

    /// The final answer of a successful result.
    pub fn result_text(&self) -> Option<&str> {
        match self {
            Message::Result(m) => Some(&m.result),
            _ => None,
        }
    }

    /// The error text of a failed result.
    pub fn error_text(&self) -> Option<&str> {
        match self {
            Message::ErrorResult(m) => Some(&m.error),
            _ => None,
        }
    }
}

impl Tagged for Message {
    const EXPECTING: &'static str = "a stream-JSON message object with a `type`";

    fn from_tagged<'de, D: Deserializer<'de>>(tag: &str, rest: D) -> Result<Self, D::Error> {
        Ok(match tag {
            "system" => Message::System(SystemMessage::deserialize(rest)?),
            "assistant" => Message::Assistant(AssistantMessage::deserialize(rest)?),
            "user" => Message::User(UserMessage::deserialize(rest)?),
            "result" => RawResult::deserialize(rest)?.into_message()?,
            other => Message::Unknown(UnknownMessage {
                raw: raw_with_tag(other, rest)?,
            }),
        })
    }
}

impl<'de> Deserialize<'de> for Message {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        deserialize_tagged(d)
    }
}

impl Serialize for Message {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Message::System(m) => m.serialize(s),
            Message::Assistant(m) => m.serialize(s),
            Message::User(m) => m.serialize(s),
            Message::Result(m) => m.serialize(s),
            Message::ErrorResult(m) => m.serialize(s),
            Message::Unknown(m) => m.serialize(s),
        }
    }
}

