//! Live stderr: the CLI's stderr framed into bounded lines as it comes.

use std::collections::VecDeque;

/// Frames stderr bytes into lines of at most `max_len` bytes (a longer line is cut, marked
/// with `…`, and the rest of it skipped). At most [`StderrLines::MAX_QUEUED`] lines wait;
/// older ones are dropped (and counted) if nobody takes them.
#[derive(Debug)]
pub(super) struct StderrLines {
    max_len: usize,
    partial: Vec<u8>,
    skipping: bool,
    queue: VecDeque<String>,
    dropped: u64,
}

impl StderrLines {
    pub(super) const MAX_QUEUED: usize = 1024;

    pub(super) fn new(max_len: usize) -> Self {
        Self {
            max_len: max_len.max(1),
            partial: Vec::new(),
            skipping: false,
            queue: VecDeque::new(),
            dropped: 0,
        }
    }

    pub(super) fn push(&mut self, mut bytes: &[u8]) {
        while !bytes.is_empty() {
            match memchr::memchr(b'\n', bytes) {
                Some(i) => {
                    self.take(&bytes[..i]);
                    self.end_line();
                    bytes = &bytes[i + 1..];
                }
                None => {
                    self.take(bytes);
                    return;
                }
            }
        }
    }

    fn take(&mut self, bytes: &[u8]) {
        if self.skipping {
            return;
        }
        let room = self.max_len - self.partial.len();
        if bytes.len() > room {
            self.partial.extend_from_slice(&bytes[..room]);
            self.skipping = true;
        } else {
            self.partial.extend_from_slice(bytes);
        }
    }

    fn end_line(&mut self) {
        let mut bytes = std::mem::take(&mut self.partial);
        if bytes.last() == Some(&b'\r') {
            bytes.pop();
        }
        let mut line = String::from_utf8_lossy(&bytes).into_owned();
        if self.skipping {
            line.push('…');
            self.skipping = false;
        }
        if self.queue.len() == Self::MAX_QUEUED {
            self.queue.pop_front();
            self.dropped += 1;
        }
        self.queue.push_back(line);
    }

    /// The end of stderr: a last line without `\n` is a line too.
    pub(super) fn finish(&mut self) {
        if !self.partial.is_empty() || self.skipping {
            self.end_line();
        }
    }

    pub(super) fn pop(&mut self) -> Option<String> {
        self.queue.pop_front()
    }

    pub(super) fn dropped(&self) -> u64 {
        self.dropped
    }
}
