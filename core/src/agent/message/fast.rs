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

/// What each one-character escape stands for (0: not one).
const UNESCAPE: [u8; 256] = {
    let mut t = [0u8; 256];
    t[b'"' as usize] = b'"';
    t[b'\\' as usize] = b'\\';
    t[b'/' as usize] = b'/';
    t[b'b' as usize] = 0x08;
    t[b'f' as usize] = 0x0c;
    t[b'n' as usize] = b'\n';
    t[b'r' as usize] = b'\r';
    t[b't' as usize] = b'\t';
    t
};

/// The first allocation of an unescaped string, at most.
const START_CAPACITY: usize = 8192;

const ONES: u64 = u64::MAX / 255;

/// The high bit of each byte of `c` that may be `"`, `\\` or a control character; the
/// lowest one set is exact (Mycroft's zero-byte test, as serde_json does it).
#[inline]
fn special(c: u64) -> u64 {
    let ctrl = c.wrapping_sub(ONES * 0x20) & !c;
    let q = c ^ (ONES * u64::from(b'"'));
    let q = q.wrapping_sub(ONES) & !q;
    let bs = c ^ (ONES * u64::from(b'\\'));
    let bs = bs.wrapping_sub(ONES) & !bs;
    (ctrl | q | bs) & (ONES << 7)
}

/// The index of the first `"`, `\` or control character at or after `i` (or the end).
#[inline]
fn scan(b: &[u8], mut i: usize) -> usize {
    while let Some(chunk) = b.get(i..i + 8) {
        let Ok(arr) = <[u8; 8]>::try_from(chunk) else {
            break;
        };
        let m = special(u64::from_le_bytes(arr));
        if m != 0 {
            return i + (m.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    while i < b.len() && !matches!(b[i], b'"' | b'\\' | 0..=0x1f) {
        i += 1;
    }
    i
}

fn hex4(b: &[u8], i: usize) -> Option<u32> {
    let digits = b.get(i..i + 4)?;
    let mut v = 0u32;
    for &d in digits {
        v = v * 16 + char::from(d).to_digit(16)?;
    }
    Some(v)
}

impl<'a> Parser<'a> {
    #[inline]
    fn ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.b.get(self.i) {
            self.i += 1;
        }
    }

    #[inline]
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    #[inline]
    fn eat(&mut self, c: u8) -> Option<()> {
        (self.peek()? == c).then(|| self.i += 1)
    }

    fn colon(&mut self) -> Option<()> {
        self.ws();
        self.eat(b':')?;
        self.ws();
        Some(())
    }

    fn enter(&mut self) -> Option<()> {
        self.depth += 1;
        (self.depth <= MAX_DEPTH).then_some(())
    }

    fn literal(&mut self, word: &[u8]) -> Option<()> {
        (self.b.get(self.i..self.i + word.len())? == word).then(|| self.i += word.len())
    }

    /// Whether the next value is `null` (consumed if so).
    fn null(&mut self) -> bool {
        self.peek() == Some(b'n') && self.literal(b"null").is_some()
    }

    /// The members of an object. `open` is false right after the `{` (and its whitespace),
    /// true after a first member was read by the caller. `f` reads each member's value.
    fn members(
        &mut self,
        mut open: bool,
        mut f: impl FnMut(&mut Self, Cow<'a, str>) -> Option<()>,
    ) -> Option<()> {
        loop {
            self.ws();
            if open {
                match self.peek()? {
                    b',' => {
                        self.i += 1;
                        self.ws();
                    }
                    b'}' => break,
                    _ => return None,
                }
            } else if self.peek()? == b'}' {
                break;
            }
            open = true;
            let key = self.string()?;
            self.colon()?;
            f(self, key)?;
        }
        self.i += 1;
        self.depth -= 1;
        Some(())
    }

    /// An object: `{` then its members.
    fn object(&mut self, f: impl FnMut(&mut Self, Cow<'a, str>) -> Option<()>) -> Option<()> {
        self.eat(b'{')?;
        self.enter()?;
        self.ws();
        self.members(false, f)
    }

    /// The elements of an array.
    fn array(&mut self, mut f: impl FnMut(&mut Self) -> Option<()>) -> Option<()> {
        self.eat(b'[')?;
        self.enter()?;
        self.ws();
        if self.peek()? != b']' {
            loop {
                f(self)?;
                self.ws();
                match self.peek()? {
                    b',' => {
                        self.i += 1;
                        self.ws();
                    }
                    b']' => break,
                    _ => return None,
                }
            }
        }
        self.i += 1;
        self.depth -= 1;
        Some(())
    }

    /// A string, borrowed when it has no escape.
    fn string(&mut self) -> Option<Cow<'a, str>> {
        self.eat(b'"')?;
        let (b, s) = (self.b, self.s);
        let start = self.i;
        let mut stop = scan(b, start);
        match b.get(stop)? {
            b'"' => {
                self.i = stop + 1;
                return Some(Cow::Borrowed(s.get(start..stop)?));
            }
            b'\\' => {}
            _ => return None,
        }
        // Room for the rest of a typical string at once (it never exceeds the line); the
        // excess is given back at the end.
        let room = (b.len() - start).min(START_CAPACITY);
        let mut out = String::with_capacity(room.max((stop - start) * 2 + 32));
        out.push_str(s.get(start..stop)?);
        loop {
            // At a backslash.
            let mut i = stop + 1;
            let e = *b.get(i)?;
            // A table, not a jump: which escape comes next is not predictable.
            let simple = UNESCAPE[usize::from(e)];
            if simple != 0 {
                out.push(char::from(simple));
            } else {
                if e != b'u' {
                    return None;
                }
                let hi = hex4(b, i + 1)?;
                i += 4;
                let c = match hi {
                    0xD800..=0xDBFF => {
                        if b.get(i + 1..i + 3)? != b"\\u" {
                            return None;
                        }
                        let lo = hex4(b, i + 3)?;
                        if !(0xDC00..=0xDFFF).contains(&lo) {
                            return None;
                        }
                        i += 6;
                        0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)
                    }
                    0xDC00..=0xDFFF => return None,
                    c => c,
                };
                out.push(char::from_u32(c)?);
            }
            i += 1;
            stop = scan(b, i);
            out.push_str(s.get(i..stop)?);
            match b.get(stop)? {
                b'"' => {
                    self.i = stop + 1;
                    if out.capacity() <= START_CAPACITY && out.capacity() > 2 * out.len() + 64 {
                        out.shrink_to_fit();
                    }
                    return Some(Cow::Owned(out));
                }
                b'\\' => {}
                _ => return None,
            }
        }
    }

    fn owned(&mut self) -> Option<String> {
        self.string().map(Cow::into_owned)
    }

    /// `null` or a string (an `Option<String>` field).
    fn opt_string(&mut self) -> Option<Option<String>> {
        if self.null() {
            return Some(None);
        }
        self.owned().map(Some)
    }

    /// A non-negative integer that fits in a `u64`, or `null` as 0.
    fn u64_or_null(&mut self) -> Option<u64> {
        if self.null() {
            return Some(0);
        }
        self.u64()
    }

    fn u64(&mut self) -> Option<u64> {
        let b = self.b;
        let start = self.i;
        let mut v: u64 = 0;
        while let Some(&d @ b'0'..=b'9') = b.get(self.i) {
            v = v.checked_mul(10)?.checked_add(u64::from(d - b'0'))?;
            self.i += 1;
        }
        let n = self.i - start;
        if n == 0 || (n > 1 && b[start] == b'0') {
            return None;
        }
        // A fraction or an exponent makes it a float: the serde path says what is wrong.
        match b.get(self.i) {
            Some(b'.' | b'e' | b'E') => None,
            _ => Some(v),
        }
    }

    /// Skips any JSON value, checking it as serde_json's `IgnoredAny` does.
    fn skip(&mut self) -> Option<()> {
        match self.peek()? {
            b'"' => self.skip_string(),
            b'{' => self.object(|p, _| p.skip()),
            b'[' => self.array(Self::skip),
            b't' => self.literal(b"true"),
            b'f' => self.literal(b"false"),
            b'n' => self.literal(b"null"),
            b'-' | b'0'..=b'9' => self.skip_number(),
            _ => None,
        }
    }

    fn skip_string(&mut self) -> Option<()> {
        self.eat(b'"')?;
        let b = self.b;
        loop {
            let stop = scan(b, self.i);
            match *b.get(stop)? {
                b'"' => {
                    self.i = stop + 1;
                    return Some(());
                }
                b'\\' => match *b.get(stop + 1)? {
                    b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => self.i = stop + 2,
                    b'u' => {
                        hex4(b, stop + 2)?;
                        self.i = stop + 6;
                    }
                    _ => return None,
                },
                _ => return None,
            }
        }
    }

    fn digits(&mut self) -> usize {
        let start = self.i;
        while let Some(b'0'..=b'9') = self.peek() {
            self.i += 1;
        }
        self.i - start
    }

    fn skip_number(&mut self) -> Option<()> {
        if self.peek() == Some(b'-') {
            self.i += 1;
        }
        match self.peek()? {
            b'0' => self.i += 1,
            b'1'..=b'9' => {
                self.digits();
            }
            _ => return None,
        }
        if self.peek() == Some(b'.') {
            self.i += 1;
            (self.digits() > 0).then_some(())?;
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.i += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.i += 1;
            }
            (self.digits() > 0).then_some(())?;
        }
        Some(())
    }

    /// A `serde_json::Value`, parsed by serde_json from the same bytes.
    fn value(&mut self) -> Option<Value> {
        let rest = self.s.get(self.i..)?;
        let mut stream = serde_json::Deserializer::from_str(rest).into_iter::<Value>();
        let v = stream.next()?.ok()?;
        self.i += stream.byte_offset();
        (self.depth + depth_of(&v) <= MAX_DEPTH).then_some(v)
    }

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

/// Nesting depth of a value (a scalar is 0).
fn depth_of(v: &Value) -> usize {
    match v {
        Value::Array(a) => 1 + a.iter().map(depth_of).max().unwrap_or(0),
        Value::Object(o) => 1 + o.values().map(depth_of).max().unwrap_or(0),
        _ => 0,
    }
}
