//! Framing and decoding of the CLI's stream-JSON output: bytes in, [`Message`]s out.
//!
//! [`Decoder`] is a push/poll state machine in the style of h11 and tokio-util's
//! `LinesCodec`: the runtime pushes whatever bytes it read ([`Decoder::push`]), says when the
//! output ended ([`Decoder::push_eof`]) and drains decoded items with
//! [`Decoder::poll_message`].
//!
//! ```
//! use ampere_core::decode::Decoder;
//! use ampere_core::message::Message;
//!
//! let mut decoder = Decoder::default();
//! decoder.push(b"{\"type\":\"result\",\"subtype\":\"success\",\"is_error\":false,");
//! assert!(decoder.poll_message().is_none()); // the line is not complete yet
//! decoder.push(b"\"result\":\"4\",\"duration_ms\":1,\"num_turns\":1}\n");
//! decoder.push_eof();
//! let msg = decoder.poll_message().unwrap().unwrap();
//! assert!(msg.is_success_result());
//! assert!(decoder.poll_message().is_none());
//! assert!(decoder.is_finished());
//! ```
//!
//! Framing rules:
//! - a line ends at the byte `\n` only (U+2028 and U+2029 are ordinary characters); one
//!   trailing `\r` is removed; blank and whitespace-only lines are skipped; a last line
//!   without `\n` is decoded at end of input;
//! - the items do not depend on how the input was chunked;
//! - memory is bounded: a line longer than [`DecoderConfig::max_line_len`] yields one
//!   [`DecodeErrorKind::LineTooLong`] and its bytes are dropped as they arrive, without being
//!   buffered; no byte is scanned twice;
//! - a line that is not UTF-8, not JSON, or not a message yields one error naming its line
//!   number, and decoding goes on with the next line.
//!
//! Each line is parsed by simd-json (SIMD; one pass that also validates UTF-8) straight into
//! the typed [`Message`]. A line simd-json refuses (an error, an integer beyond 64 bits,
//! nesting deeper than 100), and a line that may hold `-0` (which simd-json reads as an
//! integer), is decoded by serde_json instead, so errors are exactly serde_json's, and every
//! line simd-json takes decodes as serde_json decodes it (unit test and fuzz target `decode`).
//! Floats are exact (correctly rounded) on both paths.
//!
//! Lines are framed and decoded as they are pushed: a complete line inside a pushed chunk is
//! decoded straight from the caller's bytes; only an incomplete last line is copied (up to the
//! limit).

use std::collections::VecDeque;
use std::fmt;

use crate::message::Message;

/// The longest excerpt of a bad line kept in a [`DecodeError`], in characters.
pub const EXCERPT_CHARS: usize = 120;

/// Settings of a [`Decoder`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DecoderConfig {
    /// The longest line accepted, in bytes (not counting the `\n`). Longer lines are
    /// reported as [`DecodeErrorKind::LineTooLong`] and skipped. Default: 64 MiB.
    pub max_line_len: usize,
}

impl DecoderConfig {
    /// The default limit: 64 MiB.
    pub const DEFAULT_MAX_LINE_LEN: usize = 64 * 1024 * 1024;
}

impl Default for DecoderConfig {
    fn default() -> Self {
        Self {
            max_line_len: Self::DEFAULT_MAX_LINE_LEN,
        }
    }
}

/// One stream-JSON line that could not be decoded. Decoding continues after it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("stream-JSON line {line}: {kind} (line starts with {excerpt:?})")]
pub struct DecodeError {
    /// The 1-based line number (blank lines count).
    pub line: u64,
    /// What was wrong.
    pub kind: DecodeErrorKind,
    /// The start of the line (at most [`EXCERPT_CHARS`] characters, invalid UTF-8 replaced).
    pub excerpt: String,
}

/// What was wrong with a line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeErrorKind {
    /// The line was longer than [`DecoderConfig::max_line_len`]; it was skipped.
    #[error("line longer than the limit of {limit} bytes, skipped")]
    LineTooLong {
        /// The limit in force.
        limit: usize,
    },
    /// The line was not valid UTF-8.
    #[error("line is not valid UTF-8")]
    InvalidUtf8,
    /// The line was not valid JSON.
    #[error("invalid JSON: {0}")]
    InvalidJson(String),
    /// The line was JSON but not a stream-JSON message (not an object, no `type`, or a field
    /// of the wrong type).
    #[error("not a stream-JSON message: {0}")]
    Shape(String),
}

/// Push/poll decoder of stream-JSON output. See the [module documentation](self).
#[derive(Debug, Default)]
pub struct Decoder {
    config: DecoderConfig,
    /// The incomplete last line: holds no `\n`, never longer than the limit.
    partial: Vec<u8>,
    /// Decoded items not yet polled, each with the length of its line in bytes.
    ready: VecDeque<(Result<Message, DecodeError>, usize)>,
    /// The sum of the line lengths in `ready`.
    ready_bytes: usize,
    /// Lines framed so far.
    lines: u64,
    /// Dropping the rest of an overlong line, up to its `\n`.
    discarding: bool,
    /// `push_eof` was called.
    eof: bool,
    /// The SIMD parser's reusable buffers.
    simd: SimdParser,
}

/// Above this capacity the partial-line buffer (and the SIMD parser's buffers) are released
/// after a line completes; up to it they are kept for the next line. 4 MiB keeps the buffers
/// of ~1 MB tool results: released after every such line, the next one paid for fresh pages
/// again, and the decoder ran at half its speed on the `--big-every 10` transcript in a fresh
/// process (`AMPERE_BENCH_FRESH` in `cargo bench -p ampere-core --bench decode`).
const KEEP_CAPACITY: usize = 4 << 20;

impl Decoder {
    /// A decoder with the given settings.
    pub fn new(config: DecoderConfig) -> Self {
        Self {
            config,
            ..Self::default()
        }
    }

    /// The decoder's settings.
    pub fn config(&self) -> &DecoderConfig {
        &self.config
    }

    /// Feeds bytes read from the CLI's stdout. Complete lines are decoded at once and
    /// queued for [`poll_message`](Self::poll_message). Bytes pushed after
    /// [`push_eof`](Self::push_eof) are ignored.
    pub fn push(&mut self, bytes: &[u8]) {
        if self.eof || bytes.is_empty() {
            return;
        }
        let max = self.config.max_line_len;
        let mut rest = bytes;

        if self.discarding {
            match memchr::memchr(b'\n', rest) {
                None => return,
                Some(i) => {
                    self.discarding = false;
                    rest = &rest[i + 1..];
                }
            }
        }

        if !self.partial.is_empty() {
            match memchr::memchr(b'\n', rest) {
                None => {
                    if self.partial.len().saturating_add(rest.len()) > max {
                        self.overlong(rest);
                        self.discarding = true;
                    } else {
                        self.partial.extend_from_slice(rest);
                    }
                    return;
                }
                Some(i) => {
                    if self.partial.len().saturating_add(i) > max {
                        self.overlong(&rest[..i]);
                    } else {
                        let mut line = std::mem::take(&mut self.partial);
                        line.extend_from_slice(&rest[..i]);
                        self.line(&line);
                        if line.capacity() <= KEEP_CAPACITY {
                            line.clear();
                            self.partial = line;
                        }
                    }
                    rest = &rest[i + 1..];
                }
            }
        }

        let mut start = 0;
        for end in memchr::memchr_iter(b'\n', rest) {
            let line = &rest[start..end];
            if line.len() > max {
                self.overlong(line);
            } else {
                self.line(line);
            }
            start = end + 1;
        }
        let tail = &rest[start..];
        if tail.len() > max {
            self.overlong(tail);
            self.discarding = true;
        } else {
            self.partial.extend_from_slice(tail);
        }
    }

    /// Says that the output ended. A last line without `\n` is decoded now.
    pub fn push_eof(&mut self) {
        if self.eof {
            return;
        }
        self.eof = true;
        if !self.discarding && !self.partial.is_empty() {
            let line = std::mem::take(&mut self.partial);
            self.line(&line);
        }
        self.partial = Vec::new();
        self.discarding = false;
    }

    /// The next decoded message or line error; `None` when more input is needed, or when
    /// everything was returned after end of input (see [`is_finished`](Self::is_finished)).
    pub fn poll_message(&mut self) -> Option<Result<Message, DecodeError>> {
        self.poll_message_with_len().map(|(item, _)| item)
    }

    /// As [`poll_message`](Self::poll_message), with the length in bytes of the line the item
    /// was decoded from (0 for an overlong line, whose bytes were dropped).
    pub fn poll_message_with_len(&mut self) -> Option<(Result<Message, DecodeError>, usize)> {
        let (item, len) = self.ready.pop_front()?;
        self.ready_bytes -= len;
        Some((item, len))
    }

    /// Bytes held by the decoder that were not yet returned: the incomplete last line plus
    /// the lines of the decoded items not yet polled.
    pub fn undelivered_bytes(&self) -> usize {
        self.partial.len() + self.ready_bytes
    }

    /// Whether end of input was pushed and every item was returned.
    pub fn is_finished(&self) -> bool {
        self.eof && self.ready.is_empty()
    }

    /// Bytes of input held back: the incomplete last line (at most `max_line_len`).
    pub fn buffered_len(&self) -> usize {
        self.partial.len()
    }

    /// Lines framed so far, blank, bad and overlong ones included.
    pub fn lines_seen(&self) -> u64 {
        self.lines
    }

    /// Items decoded and waiting to be polled.
    pub fn pending(&self) -> usize {
        self.ready.len()
    }

    /// Records an overlong line, given whatever of its start is at hand besides `partial`.
    fn overlong(&mut self, more: &[u8]) {
        self.lines += 1;
        // Look at the same bytes however the input was chunked: the first `limit + 1` bytes
        // (there are always that many at hand when a line is found too long).
        let want = self
            .config
            .max_line_len
            .saturating_add(1)
            .min(EXCERPT_BYTES);
        let excerpt = if self.partial.len() >= want {
            excerpt_of_prefix(&self.partial[..want], true)
        } else {
            let mut prefix = self.partial.clone();
            let extra = (want - prefix.len()).min(more.len());
            prefix.extend_from_slice(&more[..extra]);
            excerpt_of_prefix(&prefix, true)
        };
        self.partial.clear();
        if self.partial.capacity() > KEEP_CAPACITY {
            self.partial = Vec::new();
        }
        // The line's bytes were dropped: the error holds only its excerpt.
        self.ready.push_back((
            Err(DecodeError {
                line: self.lines,
                kind: DecodeErrorKind::LineTooLong {
                    limit: self.config.max_line_len,
                },
                excerpt,
            }),
            0,
        ));
    }

    /// Handles one complete line (without its `\n`).
    fn line(&mut self, line: &[u8]) {
        self.lines += 1;
        let line = match line {
            [head @ .., b'\r'] => head,
            _ => line,
        };
        if line.iter().all(|b| matches!(b, b' ' | b'\t' | b'\r')) {
            return;
        }
        let item = decode_line(line, self.lines, &mut self.simd);
        self.ready_bytes += line.len();
        self.ready.push_back((item, line.len()));
    }
}

/// Decodes one line (without `\n`) into a message: simd-json first (one SIMD pass, which
/// validates UTF-8 too); a line it refuses goes through serde_json, so every error (kind and
/// text) is serde_json's, and what both accept decodes the same (fuzz target `decode`).
fn decode_line(line: &[u8], line_no: u64, simd: &mut SimdParser) -> Result<Message, DecodeError> {
    if let Some(msg) = simd.decode(line) {
        return Ok(msg);
    }
    let err = |kind| DecodeError {
        line: line_no,
        kind,
        excerpt: excerpt(line),
    };
    let text = simdutf8::basic::from_utf8(line).map_err(|_| err(DecodeErrorKind::InvalidUtf8))?;
    serde_json::from_str::<Message>(text).map_err(|e| {
        use serde_json::error::Category;
        err(match e.classify() {
            Category::Data => DecodeErrorKind::Shape(e.to_string()),
            Category::Syntax | Category::Eof | Category::Io => {
                DecodeErrorKind::InvalidJson(e.to_string())
            }
        })
    })
}

/// Nesting deeper than this is left to serde_json (whose limit, 128, is higher), so the SIMD
/// path never accepts a line serde_json refuses, and never recurses deeply.
const SIMD_MAX_DEPTH: usize = 100;

/// simd-json with buffers kept from line to line (released after a line over
/// [`KEEP_CAPACITY`], like the partial-line buffer).
#[derive(Default)]
pub(crate) struct SimdParser {
    /// A copy of the line followed by [`simd_json::INPUT_PADDING`] bytes: simd-json parses
    /// it in place, and the padding spares it a padded copy of its own.
    scratch: Vec<u8>,
    buffers: Option<simd_json::Buffers>,
    /// The tape's allocation, empty between lines.
    tape: Option<simd_json::Tape<'static>>,
}

impl fmt::Debug for SimdParser {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SimdParser")
            .field("scratch_capacity", &self.scratch.capacity())
            .finish_non_exhaustive()
    }
}

impl SimdParser {
    /// The message of `line`, or `None` when simd-json refuses it (serde_json decides then).
    pub(crate) fn decode(&mut self, line: &[u8]) -> Option<Message> {
        if has_negative_zero(line) {
            return None;
        }
        let padded = line.len().checked_add(simd_json::INPUT_PADDING)?;
        self.scratch.clear();
        self.scratch.reserve(padded);
        self.scratch.extend_from_slice(line);
        self.scratch.resize(padded, b' ');
        let buffers = self
            .buffers
            .get_or_insert_with(|| simd_json::Buffers::with_max_depth(4096, SIMD_MAX_DEPTH));
        let mut tape = self
            .tape
            .take()
            .unwrap_or_else(simd_json::Tape::null)
            .reset();
        let msg =
            match simd_json::fill_tape_padded(&mut self.scratch, line.len(), buffers, &mut tape) {
                Ok(()) => {
                    let mut de = simd_json::Deserializer::from_tape(tape);
                    let msg = serde::Deserialize::deserialize(&mut de).ok();
                    self.tape = Some(de.into_tape().reset());
                    msg
                }
                Err(_) => {
                    self.tape = Some(tape.reset());
                    None
                }
            };
        if line.len() > KEEP_CAPACITY {
            *self = Self::default();
        }
        msg
    }
}

/// Whether `line` may hold the number `-0` (simd-json reads it as the integer 0, serde_json
/// as the float -0.0): a `-0` not followed by a digit, `.`, `e` or `E`. Inside a string it
/// only sends the line to serde_json.
fn has_negative_zero(line: &[u8]) -> bool {
    memchr::memmem::find_iter(line, b"-0")
        .any(|i| !matches!(line.get(i + 2), Some(b'0'..=b'9' | b'.' | b'e' | b'E')))
}

/// The SIMD path alone, for the fuzz target and tests that hold it to serde_json: the message
/// simd-json decodes from `line`, or `None` when it refuses the line. Not a stable API.
#[doc(hidden)]
pub fn __decode_simd(line: &[u8]) -> Option<Message> {
    SimdParser::default().decode(line)
}

/// Bytes of a line looked at for its excerpt: enough for [`EXCERPT_CHARS`] characters.
const EXCERPT_BYTES: usize = EXCERPT_CHARS * 4;

/// The start of a whole line, at most [`EXCERPT_CHARS`] characters.
fn excerpt(line: &[u8]) -> String {
    let n = line.len().min(EXCERPT_BYTES);
    excerpt_of_prefix(&line[..n], n < line.len())
}

/// The excerpt of a line given its first bytes; `cut` says the line goes on after them.
/// Cut at a character boundary; invalid UTF-8 is replaced by U+FFFD; an ellipsis marks a cut.
fn excerpt_of_prefix(prefix: &[u8], cut: bool) -> String {
    let mut text = String::with_capacity(prefix.len().min(EXCERPT_BYTES) + 3);
    let mut rest = prefix;
    loop {
        match std::str::from_utf8(rest) {
            Ok(valid) => {
                text.push_str(valid);
                break;
            }
            Err(e) => {
                let (good, bad) = rest.split_at(e.valid_up_to());
                text.push_str(std::str::from_utf8(good).unwrap_or_default());
                match e.error_len() {
                    Some(n) => {
                        text.push('\u{fffd}');
                        rest = &bad[n..];
                    }
                    // A character cut by the end of the prefix: drop it if the line goes on.
                    None => {
                        if !cut {
                            text.push('\u{fffd}');
                        }
                        break;
                    }
                }
            }
        }
    }
    match text.char_indices().nth(EXCERPT_CHARS - 1) {
        Some((i, _)) if cut || text[i..].chars().nth(1).is_some() => {
            text.truncate(i);
            text.push('…');
        }
        _ if cut => text.push('…'),
        _ => {}
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excerpt_is_bounded_and_char_safe() {
        let long = "é".repeat(500);
        let e = excerpt(long.as_bytes());
        assert_eq!(e.chars().count(), EXCERPT_CHARS);
        assert!(e.ends_with('…'));
        assert_eq!(excerpt(b"short"), "short");
        let exact = "x".repeat(EXCERPT_CHARS);
        assert_eq!(excerpt(exact.as_bytes()), exact);
        let bad = [0xffu8, b'a'];
        assert_eq!(excerpt(&bad), "\u{fffd}a");
    }

    /// A tool result of `len` bytes of text, as one line.
    fn big_line(len: usize) -> Vec<u8> {
        let mut line = br#"{"type":"user","message":{"role":"user","content":[{"type":"tool_result","tool_use_id":"t","content":""#.to_vec();
        line.resize(line.len() + len, b'a');
        line.extend_from_slice(b"\"}]},\"session_id\":\"s\"}\n");
        line
    }

    /// Feeds `line` in 64 KiB chunks (as a pipe would) and takes its message.
    fn feed(d: &mut Decoder, line: &[u8]) {
        for chunk in line.chunks(64 * 1024) {
            d.push(chunk);
        }
        assert!(matches!(d.poll_message(), Some(Ok(_))));
    }

    #[test]
    fn buffers_of_lines_up_to_4_mib_are_kept_bigger_ones_released() {
        let mut d = Decoder::default();
        // A ~1 MB tool result: the line's buffers stay for the next one (no fresh pages).
        feed(&mut d, &big_line(1_100_000));
        assert!(d.partial.capacity() >= 1_100_000);
        assert!(d.simd.scratch.capacity() >= 1_100_000);
        assert!(d.simd.buffers.is_some());
        // A 5 MB one: nothing of its size is kept once it is decoded.
        feed(&mut d, &big_line(5_000_000));
        assert_eq!(d.partial.capacity(), 0);
        assert_eq!(d.simd.scratch.capacity(), 0);
        assert!(d.simd.buffers.is_none());
        // Small lines afterwards keep working.
        feed(&mut d, &big_line(10));
    }
}
