//! Typed stream-JSON messages of the Amp CLI (`--stream-json` output and
//! `--stream-json-input` input).
//!
//! Every type here deserializes from the wire shape printed by the CLI and serializes back to
//! the same shape, so a recorded transcript can be decoded, inspected and replayed. The wire
//! grows over time, and decoding follows three rules:
//!
//! - an unknown field is ignored;
//! - an unknown message `type` or content-block `type` is kept as raw JSON
//!   ([`Message::Unknown`], [`ContentBlock::Unknown`]);
//! - an unknown enum value (a stop reason, an MCP server status, an error subtype) is kept as
//!   text in an `Other(String)` variant. A decoded `Other` never holds a known value.
//!
//! Fields the CLI may leave out (`session_id`, `cwd`, `tools`, counts) default to empty or
//! zero; a core field with the wrong JSON type (a `result` that is not a string, say) is an
//! error.

use std::borrow::Cow;
use std::fmt;
use std::iter::Sum;
use std::ops::{Add, AddAssign};

use serde::de::value::MapAccessDeserializer;
use serde::de::{self, DeserializeOwned, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{SerializeStruct, Serializer};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::error::ValidationError;

// ---------------------------------------------------------------------------------------------
// Tagged-object decoding: `{"type": TAG, ...}` dispatched without buffering when the tag comes
// first (as the CLI prints it), and through a `serde_json::Map` otherwise.
// ---------------------------------------------------------------------------------------------

/// A JSON object whose `type` field selects how the rest of it is decoded.
trait Tagged: Sized {
    /// What the visitor expects, for error messages.
    const EXPECTING: &'static str;

    /// Decodes the object (minus its `type` field) from `rest`, given its tag.
    fn from_tagged<'de, D: Deserializer<'de>>(tag: &str, rest: D) -> Result<Self, D::Error>;
}

/// Reads a `type` value as a string, borrowing it when the input allows.
struct TagVisitor;

impl<'de> Visitor<'de> for TagVisitor {
    type Value = Cow<'de, str>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string `type`")
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Cow::Borrowed(v))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v.to_owned()))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v))
    }
}

/// Reads a string (a `type` value or a map key) with [`TagVisitor`], borrowing when it can.
struct StrSeed;

impl<'de> de::DeserializeSeed<'de> for StrSeed {
    type Value = Cow<'de, str>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_str(TagVisitor)
    }
}

/// Visits a `{"type": TAG, ...}` object and hands it to [`Tagged::from_tagged`].
struct TaggedVisitor<T>(std::marker::PhantomData<T>);

impl<'de, T: Tagged> Visitor<'de> for TaggedVisitor<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(T::EXPECTING)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<T, A::Error> {
        let first = match map.next_key_seed(StrSeed)? {
            Some(k) => k,
            None => return Err(de::Error::missing_field("type")),
        };
        if first == "type" {
            // Fast path: the tag comes first; decode the rest straight from the input.
            let tag = map.next_value_seed(StrSeed)?;
            return T::from_tagged(&tag, MapAccessDeserializer::new(map));
        }
        // Slow path: buffer the object, then pull the tag out of it.
        let mut obj = Map::new();
        let v: Value = map.next_value()?;
        obj.insert(first.into_owned(), v);
        while let Some(k) = map.next_key::<String>()? {
            let v: Value = map.next_value()?;
            obj.insert(k, v);
        }
        let tag = match obj.remove("type") {
            Some(Value::String(s)) => s,
            Some(other) => {
                return Err(de::Error::invalid_type(
                    unexpected(&other),
                    &"a string `type`",
                ))
            }
            None => return Err(de::Error::missing_field("type")),
        };
        T::from_tagged(&tag, Value::Object(obj)).map_err(de::Error::custom)
    }
}

fn unexpected(v: &Value) -> de::Unexpected<'_> {
    match v {
        Value::Null => de::Unexpected::Unit,
        Value::Bool(b) => de::Unexpected::Bool(*b),
        Value::Number(_) => de::Unexpected::Other("number"),
        Value::String(s) => de::Unexpected::Str(s),
        Value::Array(_) => de::Unexpected::Seq,
        Value::Object(_) => de::Unexpected::Map,
    }
}

fn deserialize_tagged<'de, T: Tagged, D: Deserializer<'de>>(d: D) -> Result<T, D::Error> {
    d.deserialize_map(TaggedVisitor::<T>(std::marker::PhantomData))
}

/// Decodes the rest of an object of unknown type and puts its tag back in.
fn raw_with_tag<'de, D: Deserializer<'de>>(tag: &str, rest: D) -> Result<Value, D::Error> {
    let mut obj = Map::<String, Value>::deserialize(rest)?;
    obj.insert("type".to_owned(), Value::String(tag.to_owned()));
    Ok(Value::Object(obj))
}

/// `null` or absent decodes as the type's default.
fn null_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + DeserializeOwned,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

// ---------------------------------------------------------------------------------------------
// Open enums: known values plus `Other(String)`.
// ---------------------------------------------------------------------------------------------

macro_rules! open_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident => $wire:literal, )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )*
            /// A value this version of ampere does not know, kept as text.
            Other(String),
        }

        impl $name {
            /// The value as it appears on the wire.
            pub fn as_str(&self) -> &str {
                match self {
                    $( Self::$variant => $wire, )*
                    Self::Other(s) => s,
                }
            }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                match s {
                    $( $wire => Self::$variant, )*
                    other => Self::Other(other.to_owned()),
                }
            }
        }

        impl From<String> for $name {
            fn from(s: String) -> Self {
                match s.as_str() {
                    $( $wire => Self::$variant, )*
                    _ => Self::Other(s),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = d.deserialize_str(TagVisitor)?;
                Ok(match s {
                    Cow::Borrowed(b) => Self::from(b),
                    Cow::Owned(o) => Self::from(o),
                })
            }
        }
    };
}

open_enum! {
    /// Why the model stopped generating (`message.stop_reason`).
    pub enum StopReason {
        /// The model finished its turn.
        EndTurn => "end_turn",
        /// The model wants to call a tool.
        ToolUse => "tool_use",
        /// The output hit the token limit.
        MaxTokens => "max_tokens",
        /// A stop sequence was produced (see `stop_sequence`).
        StopSequence => "stop_sequence",
        /// The turn was paused by the server.
        PauseTurn => "pause_turn",
        /// The model refused to continue.
        Refusal => "refusal",
    }
}

open_enum! {
    /// The state of one MCP server in the `system` init message.
    pub enum McpServerState {
        /// Waiting for the user to approve the server.
        AwaitingApproval => "awaiting-approval",
        /// Signing in to the server.
        Authenticating => "authenticating",
        /// Connecting to the server.
        Connecting => "connecting",
        /// Reconnecting after losing the server.
        Reconnecting => "reconnecting",
        /// Connected and usable.
        Connected => "connected",
        /// The user denied the server.
        Denied => "denied",
        /// The server failed to start or connect.
        Failed => "failed",
        /// A registry policy blocks the server.
        BlockedByRegistry => "blocked-by-registry",
    }
}

open_enum! {
    /// The `subtype` of an error result.
    pub enum ErrorSubtype {
        /// The execution failed.
        ErrorDuringExecution => "error_during_execution",
        /// The agent hit its turn limit.
        ErrorMaxTurns => "error_max_turns",
    }
}

// ---------------------------------------------------------------------------------------------
// Usage
// ---------------------------------------------------------------------------------------------

/// Token usage of one model call (on an assistant message) or of a whole run (on a result).
///
/// Absent or `null` counts decode as 0. Adding two usages adds the counts, keeps the first
/// `service_tier` that is set and the larger `max_tokens`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Usage {
    /// Input tokens not read from or written to the prompt cache.
    #[serde(default, deserialize_with = "null_default")]
    pub input_tokens: u64,
    /// Output tokens generated.
    #[serde(default, deserialize_with = "null_default")]
    pub output_tokens: u64,
    /// Input tokens written to the prompt cache.
    #[serde(default, deserialize_with = "null_default")]
    pub cache_creation_input_tokens: u64,
    /// Input tokens read from the prompt cache.
    #[serde(default, deserialize_with = "null_default")]
    pub cache_read_input_tokens: u64,
    /// The service tier that served the call, when reported.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_tier: Option<String>,
    /// The model's context limit, when reported.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_tokens: Option<u64>,
}

impl Usage {
    /// All tokens processed: input, output, cache creation and cache read.
    pub fn total_tokens(&self) -> u64 {
        self.input_tokens
            .saturating_add(self.output_tokens)
            .saturating_add(self.cache_creation_input_tokens)
            .saturating_add(self.cache_read_input_tokens)
    }
}

impl AddAssign<&Usage> for Usage {
    fn add_assign(&mut self, rhs: &Usage) {
        self.input_tokens = self.input_tokens.saturating_add(rhs.input_tokens);
        self.output_tokens = self.output_tokens.saturating_add(rhs.output_tokens);
        self.cache_creation_input_tokens = self
            .cache_creation_input_tokens
            .saturating_add(rhs.cache_creation_input_tokens);
        self.cache_read_input_tokens = self
            .cache_read_input_tokens
            .saturating_add(rhs.cache_read_input_tokens);
        if self.service_tier.is_none() {
            self.service_tier.clone_from(&rhs.service_tier);
        }
        self.max_tokens = match (self.max_tokens, rhs.max_tokens) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
    }
}

impl AddAssign for Usage {
    fn add_assign(&mut self, rhs: Usage) {
        *self += &rhs;
    }
}

impl Add for Usage {
    type Output = Usage;

    fn add(mut self, rhs: Usage) -> Usage {
        self += &rhs;
        self
    }
}

impl<'a> Add<&'a Usage> for Usage {
    type Output = Usage;

    fn add(mut self, rhs: &'a Usage) -> Usage {
        self += rhs;
        self
    }
}

impl Sum for Usage {
    fn sum<I: Iterator<Item = Usage>>(iter: I) -> Usage {
        iter.fold(Usage::default(), |acc, u| acc + u)
    }
}

impl<'a> Sum<&'a Usage> for Usage {
    fn sum<I: Iterator<Item = &'a Usage>>(iter: I) -> Usage {
        iter.fold(Usage::default(), |acc, u| acc + u)
    }
}

// ---------------------------------------------------------------------------------------------
// Content blocks
// ---------------------------------------------------------------------------------------------

/// One block of a user or assistant message's `content`.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum ContentBlock {
    /// `{"type":"text","text":..}`.
    Text {
        /// The text.
        text: String,
    },
    /// `{"type":"tool_use","id":..,"name":..,"input":{..}}`: the model calls a tool.
    ToolUse {
        /// The id a later `tool_result` refers to.
        id: String,
        /// The tool's name.
        name: String,
        /// The tool's arguments.
        input: Value,
    },
    /// `{"type":"tool_result","tool_use_id":..,"content":..,"is_error":..}`.
    ToolResult {
        /// The `id` of the `tool_use` this answers.
        tool_use_id: String,
        /// The tool's output.
        content: ToolResultContent,
        /// Whether the tool failed.
        is_error: bool,
    },
    /// `{"type":"thinking","thinking":..,"signature"?:..}` (with `--stream-json-thinking`).
    Thinking {
        /// The model's reasoning text.
        thinking: String,
        /// The signature of the thinking block, when present.
        signature: Option<String>,
    },
    /// A block of a type this version does not know: the whole JSON object, `type` included.
    Unknown(Value),
}

impl ContentBlock {
    /// A text block.
    pub fn text(text: impl Into<String>) -> Self {
        ContentBlock::Text { text: text.into() }
    }

    /// The block's wire `type` (`"text"`, `"tool_use"`, ...; for an unknown block, its own
    /// `type`, or `""` if it has none).
    pub fn block_type(&self) -> &str {
        match self {
            ContentBlock::Text { .. } => "text",
            ContentBlock::ToolUse { .. } => "tool_use",
            ContentBlock::ToolResult { .. } => "tool_result",
            ContentBlock::Thinking { .. } => "thinking",
            ContentBlock::Unknown(v) => v.get("type").and_then(Value::as_str).unwrap_or(""),
        }
    }

    /// The text of a text block.
    pub fn as_text(&self) -> Option<&str> {
        match self {
            ContentBlock::Text { text } => Some(text),
            _ => None,
        }
    }
}

/// The `content` of a `tool_result` block: a string or a list of blocks.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum ToolResultContent {
    /// Plain text output.
    Text(String),
    /// Structured output.
    Blocks(Vec<ContentBlock>),
}

impl Default for ToolResultContent {
    fn default() -> Self {
        ToolResultContent::Text(String::new())
    }
}

impl ToolResultContent {
    /// The text of the result: the string itself, or the text blocks joined.
    pub fn text(&self) -> Cow<'_, str> {
        match self {
            ToolResultContent::Text(s) => Cow::Borrowed(s),
            ToolResultContent::Blocks(blocks) => {
                Cow::Owned(blocks.iter().filter_map(ContentBlock::as_text).collect())
            }
        }
    }
}

impl<'de> Deserialize<'de> for ToolResultContent {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = ToolResultContent;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string or a list of content blocks")
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(ToolResultContent::Text(v.to_owned()))
            }

            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(ToolResultContent::Text(v))
            }

            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(ToolResultContent::default())
            }

            fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(ToolResultContent::default())
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut blocks = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(64));
                while let Some(b) = seq.next_element::<ContentBlock>()? {
                    blocks.push(b);
                }
                Ok(ToolResultContent::Blocks(blocks))
            }
        }
        d.deserialize_any(V)
    }
}

#[derive(Deserialize)]
struct TextBody {
    text: String,
}

#[derive(Deserialize)]
struct ToolUseBody {
    id: String,
    name: String,
    #[serde(default)]
    input: Value,
}

#[derive(Deserialize)]
struct ToolResultBody {
    tool_use_id: String,
    #[serde(default)]
    content: ToolResultContent,
    #[serde(default, deserialize_with = "null_default")]
    is_error: bool,
}

#[derive(Deserialize)]
struct ThinkingBody {
    #[serde(default, deserialize_with = "null_default")]
    thinking: String,
    #[serde(default)]
    signature: Option<String>,
}

impl Tagged for ContentBlock {
    const EXPECTING: &'static str = "a content block object with a `type`";

    fn from_tagged<'de, D: Deserializer<'de>>(tag: &str, rest: D) -> Result<Self, D::Error> {
        Ok(match tag {
            "text" => ContentBlock::Text {
                text: TextBody::deserialize(rest)?.text,
            },
            "tool_use" => {
                let b = ToolUseBody::deserialize(rest)?;
                ContentBlock::ToolUse {
                    id: b.id,
                    name: b.name,
                    input: b.input,
                }
            }
            "tool_result" => {
                let b = ToolResultBody::deserialize(rest)?;
                ContentBlock::ToolResult {
                    tool_use_id: b.tool_use_id,
                    content: b.content,
                    is_error: b.is_error,
                }
            }
            "thinking" => {
                let b = ThinkingBody::deserialize(rest)?;
                ContentBlock::Thinking {
                    thinking: b.thinking,
                    signature: b.signature,
                }
            }
            other => ContentBlock::Unknown(raw_with_tag(other, rest)?),
        })
    }
}

impl<'de> Deserialize<'de> for ContentBlock {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        deserialize_tagged(d)
    }
}

impl Serialize for ContentBlock {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            ContentBlock::Text { text } => {
                let mut st = s.serialize_struct("ContentBlock", 2)?;
                st.serialize_field("type", "text")?;
                st.serialize_field("text", text)?;
                st.end()
            }
            ContentBlock::ToolUse { id, name, input } => {
                let mut st = s.serialize_struct("ContentBlock", 4)?;
                st.serialize_field("type", "tool_use")?;
                st.serialize_field("id", id)?;
                st.serialize_field("name", name)?;
                st.serialize_field("input", input)?;
                st.end()
            }
            ContentBlock::ToolResult {
                tool_use_id,
                content,
                is_error,
            } => {
                let mut st = s.serialize_struct("ContentBlock", 4)?;
                st.serialize_field("type", "tool_result")?;
                st.serialize_field("tool_use_id", tool_use_id)?;
                st.serialize_field("content", content)?;
                st.serialize_field("is_error", is_error)?;
                st.end()
            }
            ContentBlock::Thinking {
                thinking,
                signature,
            } => {
                let mut st = s.serialize_struct("ContentBlock", 3)?;
                st.serialize_field("type", "thinking")?;
                st.serialize_field("thinking", thinking)?;
                if let Some(sig) = signature {
                    st.serialize_field("signature", sig)?;
                } else {
                    st.skip_field("signature")?;
                }
                st.end()
            }
            ContentBlock::Unknown(v) => v.serialize(s),
        }
    }
}

/// A message's `content`: normally a list of blocks; a bare string is read as one text block.
fn content_list<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<ContentBlock>, D::Error> {
    struct V;
    impl<'de> Visitor<'de> for V {
        type Value = Vec<ContentBlock>;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a list of content blocks")
        }

        fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
            Ok(vec![ContentBlock::text(v)])
        }

        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(Vec::new())
        }

        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            let mut blocks = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(64));
            while let Some(b) = seq.next_element::<ContentBlock>()? {
                blocks.push(b);
            }
            Ok(blocks)
        }
    }
    d.deserialize_any(V)
}

fn text_of(blocks: &[ContentBlock]) -> String {
    blocks.iter().filter_map(ContentBlock::as_text).collect()
}

fn tool_uses_of(blocks: &[ContentBlock]) -> impl Iterator<Item = ToolUse<'_>> {
    blocks.iter().filter_map(|b| match b {
        ContentBlock::ToolUse { id, name, input } => Some(ToolUse { id, name, input }),
        _ => None,
    })
}

/// A borrowed view of one `tool_use` block.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ToolUse<'a> {
    /// The tool call's id.
    pub id: &'a str,
    /// The tool's name.
    pub name: &'a str,
    /// The tool's arguments.
    pub input: &'a Value,
}

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

fn default_assistant_role() -> String {
    "assistant".to_owned()
}

fn default_user_role() -> String {
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

fn assistant_role<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(Option::<String>::deserialize(d)?.unwrap_or_else(default_assistant_role))
}

fn user_role<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
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
struct RawResult {
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
fn serialize_result<S: Serializer>(
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

// ---------------------------------------------------------------------------------------------
// Input messages (`--stream-json-input`)
// ---------------------------------------------------------------------------------------------

/// One line of `--stream-json-input`:
/// `{"type":"user","message":{"role":"user","content":[..]},"request_id"?:..}`.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
pub struct UserInputMessage {
    /// The message.
    pub message: UserMessageDetails,
    /// An id the caller chose for this message (1..=256 characters).
    #[serde(default)]
    pub request_id: Option<String>,
}

/// A user input message holding one text block.
pub fn create_user_message(text: impl Into<String>) -> UserInputMessage {
    UserInputMessage::new(vec![ContentBlock::text(text)])
}

impl UserInputMessage {
    /// The longest `request_id` the CLI accepts, in characters.
    pub const MAX_REQUEST_ID_CHARS: usize = 256;

    /// A user input message with the given blocks (text, tool results).
    pub fn new(content: Vec<ContentBlock>) -> Self {
        Self {
            message: UserMessageDetails {
                role: default_user_role(),
                content,
            },
            request_id: None,
        }
    }

    /// Sets the `request_id` (1..=256 characters).
    pub fn with_request_id(mut self, id: impl Into<String>) -> Result<Self, ValidationError> {
        let id = id.into();
        let n = id.chars().count();
        if n == 0 || n > Self::MAX_REQUEST_ID_CHARS {
            return Err(ValidationError::new(
                "request_id",
                format!(
                    "must be 1..={} characters long (got {n})",
                    Self::MAX_REQUEST_ID_CHARS
                ),
            ));
        }
        self.request_id = Some(id);
        Ok(self)
    }

    /// The message as one JSON line ending in `\n` (the JSON itself holds no raw newline).
    pub fn to_json_line(&self) -> Vec<u8> {
        // Serializing these types into a Vec cannot fail: every map key is a string and
        // no Serialize impl here returns an error.
        let mut out = serde_json::to_vec(self).unwrap_or_default();
        out.push(b'\n');
        out
    }
}

impl Serialize for UserInputMessage {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut st = s.serialize_struct("UserInputMessage", 3)?;
        st.serialize_field("type", "user")?;
        st.serialize_field("message", &self.message)?;
        match &self.request_id {
            Some(id) => st.serialize_field("request_id", id)?,
            None => st.skip_field("request_id")?,
        }
        st.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<Message, serde_json::Error> {
        serde_json::from_str(s)
    }

    #[test]
    fn tag_not_first_takes_the_slow_path() {
        let m = parse(r#"{"session_id":"T-1","type":"user","message":{"content":"hi"}}"#)
            .map_err(|e| e.to_string());
        let Ok(Message::User(u)) = m else {
            panic!("expected a user message, got {m:?}")
        };
        assert_eq!(u.text(), "hi");
        assert_eq!(u.session_id, "T-1");
        assert_eq!(u.message.role, "user");
        let m = parse(r#"{"type":"assistant","message":{"role":null,"content":null}}"#)
            .map_err(|e| e.to_string());
        let Ok(Message::Assistant(a)) = m else {
            panic!("expected an assistant message, got {m:?}")
        };
        assert_eq!(a.message.role, "assistant");
        assert!(a.message.content.is_empty());
    }
}
