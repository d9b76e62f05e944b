//! A hand-written fast path for the two shapes that make up nearly every line of a
//! transcript: `assistant` and `user` messages with the tag first.
//!
//! [`decode_fast`] reads a whole line (already known to be UTF-8) in one pass: strings are
//! scanned a word at a time and unescaped straight into their final `String`, with no
//! scratch buffer, no intermediate map and no visitor dispatch. It is a pure accelerator:
//! it returns `None` for anything it is not sure about (another message type, the tag not
//! first, a duplicate field, an error of any kind, a surrogate escape, deep nesting), and the
//! caller then decodes the line with serde_json, which gives the result or the exact error.
//! Whenever it returns `Some`, the message equals what the serde path returns for the same
//! line (checked by the unit tests below and by the fuzz target).
//!
//! Tool inputs (`serde_json::Value`) are parsed by serde_json itself, from the same bytes,
//! so numbers keep serde_json's exact float parsing.

#[allow(unused_imports)]
use super::*;

mod lexer;

/// Nesting deeper than this is left to serde_json (whose own limit is 128).
const MAX_DEPTH: usize = 64;

/// Decodes `line` if it is an `assistant` or `user` message whose `type` comes first and
/// which the fast path fully understands; `None` means "use the serde path".
pub fn decode_fast(line: &str) -> Option<Message> {
    let mut p = Parser {
        s: line,
        b: line.as_bytes(),
        i: 0,
        depth: 0,
    };
    p.ws();
    p.eat(b'{')?;
    p.enter()?;
    p.ws();
    if p.string()? != "type" {
        return None;
    }
    p.colon()?;
    let tag = p.string()?;
    let msg = match &*tag {
        "assistant" => Message::Assistant(p.assistant()?),
        "user" => Message::User(p.user()?),
        _ => return None,
    };
    p.ws();
    (p.i == p.b.len()).then_some(msg)
}

struct Parser<'a> {
    s: &'a str,
    b: &'a [u8],
    i: usize,
    depth: usize,
}

/// Sets `slot` once; a second time (a duplicate field) gives up.
fn once<T>(slot: &mut Option<T>, v: T) -> Option<()> {
    if slot.is_some() {
        return None;
    }
    *slot = Some(v);
    Some(())
}

impl<'a> Parser<'a> {
    fn assistant(&mut self) -> Option<AssistantMessage> {
        let (mut message, mut parent, mut session) = (None, None, None);
        self.members(true, |p, k| match &*k {
            "message" => once(&mut message, p.assistant_details()?),
            "parent_tool_use_id" => once(&mut parent, p.opt_string()?),
            "session_id" => once(&mut session, p.opt_string()?.unwrap_or_default()),
            _ => p.skip(),
        })?;
        Some(AssistantMessage {
            message: message?,
            parent_tool_use_id: parent.flatten(),
            session_id: session.unwrap_or_default(),
        })
    }

    fn user(&mut self) -> Option<UserMessage> {
        let (mut message, mut parent, mut session) = (None, None, None);
        self.members(true, |p, k| match &*k {
            "message" => once(&mut message, p.user_details()?),
            "parent_tool_use_id" => once(&mut parent, p.opt_string()?),
            "session_id" => once(&mut session, p.opt_string()?.unwrap_or_default()),
            _ => p.skip(),
        })?;
        Some(UserMessage {
            message: message?,
            parent_tool_use_id: parent.flatten(),
            session_id: session.unwrap_or_default(),
        })
    }

    fn assistant_details(&mut self) -> Option<AssistantMessageDetails> {
        let (mut id, mut model, mut role, mut content) = (None, None, None, None);
        let (mut stop_reason, mut stop_sequence, mut usage) = (None, None, None);
        self.object(|p, k| match &*k {
            "id" => once(&mut id, p.opt_string()?),
            "model" => once(&mut model, p.opt_string()?),
            "role" => once(
                &mut role,
                p.opt_string()?.unwrap_or_else(default_assistant_role),
            ),
            "content" => once(&mut content, p.content_list()?),
            "stop_reason" => once(&mut stop_reason, p.opt_string()?.map(StopReason::from)),
            "stop_sequence" => once(&mut stop_sequence, p.opt_string()?),
            "usage" => once(&mut usage, p.opt_usage()?),
            _ => p.skip(),
        })?;
        Some(AssistantMessageDetails {
            id: id.flatten(),
            model: model.flatten(),
            role: role.unwrap_or_else(default_assistant_role),
            content: content.unwrap_or_default(),
            stop_reason: stop_reason.flatten(),
            stop_sequence: stop_sequence.flatten(),
            usage: usage.flatten(),
        })
    }

    fn user_details(&mut self) -> Option<UserMessageDetails> {
        let (mut role, mut content) = (None, None);
        self.object(|p, k| match &*k {
            "role" => once(&mut role, p.opt_string()?.unwrap_or_else(default_user_role)),
            "content" => once(&mut content, p.content_list()?),
            _ => p.skip(),
        })?;
        Some(UserMessageDetails {
            role: role.unwrap_or_else(default_user_role),
            content: content.unwrap_or_default(),
        })
    }

    fn opt_usage(&mut self) -> Option<Option<Usage>> {
        if self.null() {
            return Some(None);
        }
        let (mut input, mut output, mut creation, mut read) = (None, None, None, None);
        let (mut tier, mut max) = (None, None);
        self.object(|p, k| match &*k {
            "input_tokens" => once(&mut input, p.u64_or_null()?),
            "output_tokens" => once(&mut output, p.u64_or_null()?),
            "cache_creation_input_tokens" => once(&mut creation, p.u64_or_null()?),
            "cache_read_input_tokens" => once(&mut read, p.u64_or_null()?),
            "service_tier" => once(&mut tier, p.opt_string()?),
            "max_tokens" => once(&mut max, if p.null() { None } else { Some(p.u64()?) }),
            _ => p.skip(),
        })?;
        Some(Some(Usage {
            input_tokens: input.unwrap_or_default(),
            output_tokens: output.unwrap_or_default(),
            cache_creation_input_tokens: creation.unwrap_or_default(),
            cache_read_input_tokens: read.unwrap_or_default(),
            service_tier: tier.flatten(),
            max_tokens: max.flatten(),
        }))
    }

    /// A message's `content`: a list of blocks, a bare string (one text block) or `null`.
    fn content_list(&mut self) -> Option<Vec<ContentBlock>> {
        match self.peek()? {
            b'"' => Some(vec![ContentBlock::Text {
                text: self.owned()?,
            }]),
            b'n' => self.literal(b"null").map(|()| Vec::new()),
            b'[' => self.blocks(),
            _ => None,
        }
    }

    fn blocks(&mut self) -> Option<Vec<ContentBlock>> {
        let mut blocks = Vec::with_capacity(4);
        self.array(|p| {
            blocks.push(p.block()?);
            Some(())
        })?;
        Some(blocks)
    }

    fn block(&mut self) -> Option<ContentBlock> {
        self.eat(b'{')?;
        self.enter()?;
        self.ws();
        if self.string()? != "type" {
            return None;
        }
        self.colon()?;
        let tag = self.string()?;
        Some(match &*tag {
            "text" => {
                let mut text = None;
                self.members(true, |p, k| match &*k {
                    "text" => once(&mut text, p.owned()?),
                    _ => p.skip(),
                })?;
                ContentBlock::Text { text: text? }
            }
            "tool_use" => {
                let (mut id, mut name, mut input) = (None, None, None);
                self.members(true, |p, k| match &*k {
                    "id" => once(&mut id, p.owned()?),
                    "name" => once(&mut name, p.owned()?),
                    "input" => once(&mut input, p.value()?),
                    _ => p.skip(),
                })?;
                ContentBlock::ToolUse {
                    id: id?,
                    name: name?,
                    input: input.unwrap_or_default(),
                }
            }
            "tool_result" => {
                let (mut tool_use_id, mut content, mut is_error) = (None, None, None);
                self.members(true, |p, k| match &*k {
                    "tool_use_id" => once(&mut tool_use_id, p.owned()?),
                    "content" => once(&mut content, p.tool_result_content()?),
                    "is_error" => once(&mut is_error, p.bool_or_null()?),
                    _ => p.skip(),
                })?;
                ContentBlock::ToolResult {
                    tool_use_id: tool_use_id?,
                    content: content.unwrap_or_default(),
                    is_error: is_error.unwrap_or_default(),
                }
            }
            "thinking" => {
                let (mut thinking, mut signature) = (None, None);
                self.members(true, |p, k| match &*k {
                    "thinking" => once(&mut thinking, p.opt_string()?.unwrap_or_default()),
                    "signature" => once(&mut signature, p.opt_string()?),
                    _ => p.skip(),
                })?;
                ContentBlock::Thinking {
                    thinking: thinking.unwrap_or_default(),
                    signature: signature.flatten(),
                }
            }
            _ => return None,
        })
    }

    fn tool_result_content(&mut self) -> Option<ToolResultContent> {
        match self.peek()? {
            b'"' => self.owned().map(ToolResultContent::Text),
            b'n' => self.literal(b"null").map(|()| ToolResultContent::default()),
            b'[' => self.blocks().map(ToolResultContent::Blocks),
            _ => None,
        }
    }

    fn bool_or_null(&mut self) -> Option<bool> {
        match self.peek()? {
            b't' => self.literal(b"true").map(|()| true),
            b'f' => self.literal(b"false").map(|()| false),
            b'n' => self.literal(b"null").map(|()| false),
            _ => None,
        }
    }
}
