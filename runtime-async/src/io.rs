//! The child's side of one run: its pipes, its exit, the user's input stream, and one pass
//! that feeds whatever of them is ready into the run machine and carries out the pipe
//! operations the machine queued.
//!
//! The pass is run by whoever the run's dispatch waker woke (see `driver`): the waiting
//! consumer on its own task, or else the driver task. It is always polled with that
//! dispatch waker, so the pipes' registrations never flip between the two.

use std::io;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::process::ExitStatus;
use std::task::{Context, Poll, Waker};
use std::time::Instant;

use ampere_core::run::AgentError;
use ampere_runtime_common::exit_info;

use crate::contract::{Input, IoFailure, PipeOp, RunState};
use crate::driver::Dispatch;
use crate::execution::InputStream;
use crate::runtime::{BoxFuture, Child, PipeRead, PipeWrite};

/// Size of one stdout / stderr read.
const READ_CHUNK: usize = 128 * 1024;

/// The child's pipes and exit, and the user's input stream.
pub(crate) struct Io {
    pub(crate) pid: u32,
    stdin: Option<Pin<Box<dyn PipeWrite>>>,
    stdout: Option<Pin<Box<dyn PipeRead>>>,
    stderr: Option<Pin<Box<dyn PipeRead>>>,
    exit: Option<BoxFuture<'static, io::Result<ExitStatus>>>,
    input: Option<InputStream>,
    /// The stdin write in flight and how much of it is written.
    writing: Option<(Vec<u8>, usize)>,
    paused: bool,
    /// The deadline the driver task's timer is set to (only the driver task sets it).
    pub(crate) armed: Option<Instant>,
    buf: Box<[u8]>,
    /// The machine said `Finished` and everything here is closed.
    pub(crate) done: bool,
}

/// What a pass feeds: the machine, and who waits on it.
pub(crate) struct Feed<'a> {
    pub(crate) state: &'a mut RunState,
    pub(crate) dispatch: &'a Dispatch,
    pub(crate) senders: &'a mut Vec<Waker>,
    pub(crate) late_error: &'a mut Option<AgentError>,
}

impl Feed<'_> {
    /// Feeds one input and wakes the consumer (when it is parked: a consumer running the
    /// pass itself is not) and any waiting sender (the input may have become free or
    /// closed).
    pub(crate) fn feed(&mut self, input: Input<'_>, now: Instant) {
        self.state.handle(input, now);
        self.dispatch.wake_consumer();
        self.dispatch.wake_all(self.senders.drain(..));
    }
}

/// One read from a pipe.
enum Read {
    Bytes(usize),
    End(Option<IoFailure>),
}

fn poll_pipe(
    pipe: &mut Option<Pin<Box<dyn PipeRead>>>,
    cx: &mut Context<'_>,
    buf: &mut [u8],
) -> Option<Read> {
    loop {
        let result = match pipe.as_mut()?.as_mut().poll_read(cx, buf) {
            Poll::Pending => return None,
            Poll::Ready(result) => result,
        };
        let read = match result {
            Ok(0) => Read::End(None),
            Ok(n) => return Some(Read::Bytes(n)),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => Read::End(Some(IoFailure::from(&e))),
        };
        *pipe = None;
        return Some(read);
    }
}

fn poll_write(
    stdin: &mut Pin<Box<dyn PipeWrite>>,
    cx: &mut Context<'_>,
    bytes: &[u8],
    pos: &mut usize,
) -> Poll<io::Result<()>> {
    while *pos < bytes.len() {
        match stdin.as_mut().poll_write(cx, &bytes[*pos..]) {
            Poll::Ready(Ok(0)) => return Poll::Ready(Err(io::ErrorKind::WriteZero.into())),
            Poll::Ready(Ok(n)) => *pos += n,
            Poll::Ready(Err(e)) if e.kind() == io::ErrorKind::Interrupted => {}
            Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
            Poll::Pending => return Poll::Pending,
        }
    }
    Poll::Ready(Ok(()))
}

fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".to_string())
}

impl Io {
    /// The spawned child's side, and the user's input stream (a `Prompt::Stream`).
    pub(crate) fn new(child: Child, input: Option<InputStream>) -> Io {
        Io {
            pid: child.pid,
            stdin: child.stdin,
            stdout: child.stdout,
            stderr: child.stderr,
            exit: Some(child.exit),
            input,
            writing: None,
            paused: false,
            armed: None,
            buf: vec![0; READ_CHUNK].into_boxed_slice(),
            done: false,
        }
    }

    /// Carries out the queued pipe operations; true once the run is `Finished`.
    pub(crate) fn apply_ops(&mut self, state: &mut RunState) -> bool {
        while let Some(op) = state.take_op() {
            match op {
                PipeOp::Write(bytes) => self.writing = Some((bytes, 0)),
                PipeOp::CloseStdin => self.stdin = None,
                PipeOp::PauseStdout => self.paused = true,
                PipeOp::ResumeStdout => self.paused = false,
                PipeOp::Finished => return true,
            }
        }
        false
    }

    /// Closes everything (the run is over, or abandoned).
    pub(crate) fn close(&mut self) {
        self.done = true;
        self.stdin = None;
        self.stdout = None;
        self.stderr = None;
        self.exit = None;
        self.input = None;
        self.writing = None;
    }

    /// One pass over everything that may be ready; true if any input was fed.
    pub(crate) fn poll_io(
        &mut self,
        f: &mut Feed<'_>,
        cx: &mut Context<'_>,
        now: &dyn Fn() -> Instant,
    ) -> bool {
        let mut progress = false;
        if let Some((bytes, pos)) = self.writing.as_mut() {
            let written = match self.stdin.as_mut() {
                None => Poll::Ready(Err(io::ErrorKind::BrokenPipe.into())),
                Some(stdin) => poll_write(stdin, cx, bytes, pos),
            };
            if let Poll::Ready(result) = written {
                self.writing = None;
                let result = result.map_err(|e| IoFailure::from(&e));
                f.feed(Input::StdinWritten(result), now());
                progress = true;
            }
        }
        if !self.paused {
            let read = poll_pipe(&mut self.stdout, cx, &mut self.buf);
            progress |= read.is_some();
            match read {
                Some(Read::Bytes(n)) => f.feed(Input::Stdout(&self.buf[..n]), now()),
                Some(Read::End(failure)) => f.feed(Input::StdoutEnd(failure), now()),
                None => {}
            }
        }
        let read = poll_pipe(&mut self.stderr, cx, &mut self.buf);
        progress |= read.is_some();
        match read {
            // stderr bytes only fill the tail: no item for the consumer.
            Some(Read::Bytes(n)) => f.state.handle(Input::Stderr(&self.buf[..n]), now()),
            Some(Read::End(failure)) => f.feed(Input::StderrEnd(failure), now()),
            None => {}
        }
        if let Some(exit) = self.exit.as_mut() {
            if let Poll::Ready(result) = exit.as_mut().poll(cx) {
                self.exit = None;
                let input = match &result {
                    Ok(status) => {
                        tracing::debug!(target: "ampere", pid = self.pid, %status, "the Amp CLI exited");
                        Input::Exited(exit_info(*status))
                    }
                    Err(e) => Input::WaitFailed(IoFailure::from(e)),
                };
                f.feed(input, now());
                progress = true;
            }
        }
        progress | self.poll_input(f, cx, now)
    }

    /// Polls the user's input stream, only while the machine wants the next message (the
    /// previous one is written), so messages never pile up in memory.
    fn poll_input(
        &mut self,
        f: &mut Feed<'_>,
        cx: &mut Context<'_>,
        now: &dyn Fn() -> Instant,
    ) -> bool {
        let Some(input) = self.input.as_mut() else {
            return false;
        };
        if !f.state.accepts_input() {
            self.input = None;
            return false;
        }
        if !f.state.wants_input() {
            return false;
        }
        match catch_unwind(AssertUnwindSafe(|| input.as_mut().poll_next(cx))) {
            Ok(Poll::Pending) => return false,
            Ok(Poll::Ready(Some(message))) => f.feed(Input::Send(message), now()),
            Ok(Poll::Ready(None)) => {
                self.input = None;
                f.feed(Input::EndInput, now());
            }
            Err(panic) => {
                self.input = None;
                *f.late_error = Some(AgentError::Io {
                    context: "the input stream panicked".to_string(),
                    kind: io::ErrorKind::Other,
                    message: panic_message(&*panic),
                });
                f.feed(Input::Cancel, now());
            }
        }
        true
    }
}
