//! Content blocks of user and assistant messages.

#[allow(unused_imports)]
use super::*;

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
pub(super) struct TextBody {
    text: String,
}

#[derive(Deserialize)]
pub(super) struct ToolUseBody {
    id: String,
    name: String,
    #[serde(default)]
    input: Value,
}

#[derive(Deserialize)]
pub(super) struct ToolResultBody {
    tool_use_id: String,
    #[serde(default)]
    content: ToolResultContent,
    #[serde(default, deserialize_with = "null_default")]
    is_error: bool,
}

#[derive(Deserialize)]
pub(super) struct ThinkingBody {
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
pub(super) fn content_list<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<ContentBlock>, D::Error> {
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

pub(super) fn text_of(blocks: &[ContentBlock]) -> String {
    blocks.iter().filter_map(ContentBlock::as_text).collect()
}

pub(super) fn tool_uses_of(blocks: &[ContentBlock]) -> impl Iterator<Item = ToolUse<'_>> {
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

