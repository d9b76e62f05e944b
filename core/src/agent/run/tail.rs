//! A bounded tail of the CLI's stderr.

use std::collections::VecDeque;

/// A bounded buffer that keeps the last `limit` bytes pushed into it.
#[derive(Debug, Clone)]
pub struct TailBuffer {
    buf: VecDeque<u8>,
    limit: usize,
    total: u64,
}

impl TailBuffer {
    /// A buffer keeping at most `limit` bytes.
    pub fn new(limit: usize) -> Self {
        Self {
            buf: VecDeque::with_capacity(limit.min(8192)),
            limit,
            total: 0,
        }
    }

    /// Appends bytes, dropping the oldest beyond the limit.
    pub fn push(&mut self, bytes: &[u8]) {
        self.total = self.total.saturating_add(bytes.len() as u64);
        if self.limit == 0 {
            return;
        }
        let keep = &bytes[bytes.len().saturating_sub(self.limit)..];
        let overflow = (self.buf.len() + keep.len()).saturating_sub(self.limit);
        self.buf.drain(..overflow);
        self.buf.extend(keep);
    }

    /// How many bytes were pushed in all (kept or not).
    pub fn total_bytes(&self) -> u64 {
        self.total
    }

    /// The kept bytes as text (invalid UTF-8 replaced; a character cut at the start of
    /// the window is dropped), prefixed with `…` when older bytes were dropped.
    pub fn to_string_lossy(&self) -> String {
        let (a, b) = self.buf.as_slices();
        let mut bytes = Vec::with_capacity(a.len() + b.len());
        bytes.extend_from_slice(a);
        bytes.extend_from_slice(b);
        let truncated = self.total > self.buf.len() as u64;
        let mut start = 0;
        if truncated {
            // Skip UTF-8 continuation bytes of a character cut by the window.
            while start < bytes.len() && start < 3 && (bytes[start] & 0xC0) == 0x80 {
                start += 1;
            }
        }
        let text = String::from_utf8_lossy(&bytes[start..]);
        if truncated {
            format!("…{text}")
        } else {
            text.into_owned()
        }
    }
}
