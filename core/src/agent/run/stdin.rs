//! The stdin side of a run: what to write, one write at a time, and when to close.

use std::collections::VecDeque;

use super::io::{Output, StdinSetup};

/// The stdin side of a run.
#[derive(Debug)]
pub(super) struct Stdin {
    /// Bytes waiting to be written, in order.
    queue: VecDeque<Vec<u8>>,
    /// A write was asked for and its result has not come back.
    in_flight: bool,
    /// No more messages will come (a text prompt, or `EndInput`).
    ending: bool,
    /// Stdin is closed (or was never open): nothing more is written.
    closed: bool,
    /// The input takes user messages (`StdinSetup::Stream`).
    streaming: bool,
}

impl Stdin {
    pub(super) fn new(setup: StdinSetup) -> Self {
        let mut stdin = Stdin {
            queue: VecDeque::new(),
            in_flight: false,
            ending: false,
            closed: false,
            streaming: false,
        };
        match setup {
            StdinSetup::Closed => stdin.closed = true,
            StdinSetup::Text(bytes) => {
                stdin.queue.push_back(bytes);
                stdin.ending = true;
            }
            StdinSetup::Stream => stdin.streaming = true,
        }
        stdin
    }

    /// Whether a user message would be taken now.
    pub(super) fn accepts(&self) -> bool {
        self.streaming && !self.ending && !self.closed
    }

    /// Whether nothing is queued or being written.
    pub(super) fn idle(&self) -> bool {
        !self.in_flight && self.queue.is_empty()
    }

    pub(super) fn send(&mut self, line: Vec<u8>) {
        if self.accepts() {
            self.queue.push_back(line);
        }
    }

    pub(super) fn end(&mut self) {
        self.ending = true;
    }

    /// The last write succeeded.
    pub(super) fn written(&mut self) {
        self.in_flight = false;
    }

    /// Stdin is closed whatever was queued (the pipe broke, the process is gone, the run
    /// failed); `CloseStdin` is emitted when the pipe may still be held.
    pub(super) fn close(&mut self, out: &mut VecDeque<Output>) {
        self.queue.clear();
        self.ending = true;
        self.in_flight = false;
        if !self.closed {
            self.closed = true;
            out.push_back(Output::CloseStdin);
        }
    }

    /// Stdin is gone with the process: no `CloseStdin` needed (the runtime drops every pipe
    /// on `Finished`), but nothing more is written or accepted.
    pub(super) fn forget(&mut self) {
        self.queue.clear();
        self.ending = true;
        self.in_flight = false;
        self.closed = true;
    }

    /// Emits the next write, or the close once everything was written.
    pub(super) fn pump(&mut self, out: &mut VecDeque<Output>) {
        if self.closed || self.in_flight {
            return;
        }
        if let Some(bytes) = self.queue.pop_front() {
            self.in_flight = true;
            out.push_back(Output::WriteStdin(bytes));
        } else if self.ending {
            self.closed = true;
            out.push_back(Output::CloseStdin);
        }
    }
}
