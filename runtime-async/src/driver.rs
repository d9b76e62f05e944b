//! The one drive loop: a future per execution (quinn's `ConnectionDriver`) that feeds the
//! child's ready IO into [`RunState`] and carries out the pipe operations it queues.
//!
//! The state sits in an `Arc<Mutex<Shared>>` shared with the consumer ([`Execution`],
//! [`Session`]): the consumer takes items straight from the machine (no channel), and
//! wakes the driver only when the machine queued a pipe operation (`needs_driver`).
//!
//! [`Execution`]: crate::Execution
//! [`Session`]: crate::Session

use std::future::Future;
use std::io;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::process::{Command, ExitStatus};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker};
use std::time::Instant;

use ampere_core::run::AgentError;
use ampere_runtime_common::{exit_info, PrivateDir};

use crate::contract::{AgentRun, Input, IoFailure, PipeOp, RunState};
use crate::execution::InputStream;
use crate::runtime::{AsyncTimer, BoxFuture, PipeRead, PipeWrite, Runtime};

/// Size of one stdout / stderr read.
const READ_CHUNK: usize = 128 * 1024;
/// Inputs handled in one poll before the driver yields to its executor (quinn's bound).
const IO_LOOP_BOUND: usize = 64;

/// What the driver and the consumer share.
pub(crate) struct Shared {
    pub(crate) state: RunState,
    /// The consumer waiting for an item (or the end).
    consumer: Option<Waker>,
    /// The driver, to wake when the consumer queued work for it.
    driver: Option<Waker>,
    /// `Session::send`s waiting for the input to be free (or closed).
    senders: Vec<Waker>,
    /// The driver ended without `Finished` (its runtime shut down, or it panicked).
    pub(crate) driver_gone: bool,
    /// An error to yield after the machine's last item (a panicking input stream, a lost
    /// driver).
    pub(crate) late_error: Option<AgentError>,
}

/// The shared state of one run.
pub(crate) type SharedRef = Arc<Mutex<Shared>>;

/// Locks the shared state (a panic elsewhere never makes it unusable).
pub(crate) fn lock(shared: &Mutex<Shared>) -> MutexGuard<'_, Shared> {
    shared.lock().unwrap_or_else(PoisonError::into_inner)
}

fn store(slot: &mut Option<Waker>, cx: &Context<'_>) {
    if !slot.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
        *slot = Some(cx.waker().clone());
    }
}

fn wake(slot: &mut Option<Waker>) {
    if let Some(waker) = slot.take() {
        waker.wake();
    }
}

impl Shared {
    /// The consumer's side: wait for an item (registers the consumer's waker).
    pub(crate) fn park_consumer(&mut self, cx: &Context<'_>) {
        store(&mut self.consumer, cx);
    }

    /// The sender's side: wait for room (registers the sender's waker).
    pub(crate) fn park_sender(&mut self, cx: &Context<'_>) {
        if !self.senders.iter().any(|w| w.will_wake(cx.waker())) {
            self.senders.push(cx.waker().clone());
        }
    }

    fn wake_senders(&mut self) {
        self.senders.drain(..).for_each(Waker::wake);
    }

    /// Feeds one input from the consumer's side (a message, end of input, cancel, gone) and
    /// wakes the driver: there may be pipe work, or a new deadline to arm.
    pub(crate) fn consumer_input(&mut self, input: Input<'_>, now: Instant) {
        self.state.handle(input, now);
        wake(&mut self.driver);
    }

    /// Wakes the driver when the machine queued a pipe operation.
    pub(crate) fn kick_driver(&mut self) {
        if self.state.needs_driver() {
            wake(&mut self.driver);
        }
    }

    /// Feeds one input from the driver's side and wakes the consumer (and a waiting
    /// sender: the input may have become free or closed).
    fn feed(&mut self, input: Input<'_>, now: Instant) {
        self.state.handle(input, now);
        wake(&mut self.consumer);
        self.wake_senders();
    }
}

/// Spawns the child and its driver task. `input` is a `Prompt::Stream`'s messages.
pub(crate) fn start<R: Runtime>(
    runtime: &R,
    command: Command,
    run: AgentRun,
    stdin: bool,
    private_dir: Option<PrivateDir>,
    input: Option<InputStream>,
) -> Result<(SharedRef, u32), AgentError> {
    let program = command.get_program().to_string_lossy().into_owned();
    let child = runtime
        .spawn_child(command, stdin)
        .map_err(|e| AgentError::io(format!("spawning {program}"), &e))?;
    let pid = child.pid;
    tracing::debug!(target: "ampere", pid, "spawned the Amp CLI");
    let shared = Arc::new(Mutex::new(Shared {
        state: RunState::new(run, Some(pid), private_dir),
        consumer: None,
        driver: None,
        senders: Vec::new(),
        driver_gone: false,
        late_error: None,
    }));
    let driver = Driver {
        runtime: runtime.clone(),
        shared: Arc::clone(&shared),
        pid,
        stdin: child.stdin,
        stdout: child.stdout,
        stderr: child.stderr,
        exit: Some(child.exit),
        input,
        writing: None,
        paused: false,
        timer: None,
        armed: None,
        buf: vec![0; READ_CHUNK].into_boxed_slice(),
        done: false,
    };
    runtime.spawn(Box::pin(driver));
    Ok((shared, pid))
}

/// Owns the child's pipes and exit, the user's input stream and the timer.
struct Driver<R: Runtime> {
    runtime: R,
    shared: SharedRef,
    pid: u32,
    stdin: Option<Pin<Box<dyn PipeWrite>>>,
    stdout: Option<Pin<Box<dyn PipeRead>>>,
    stderr: Option<Pin<Box<dyn PipeRead>>>,
    exit: Option<BoxFuture<'static, io::Result<ExitStatus>>>,
    input: Option<InputStream>,
    /// The stdin write in flight and how much of it is written.
    writing: Option<(Vec<u8>, usize)>,
    paused: bool,
    timer: Option<Pin<Box<dyn AsyncTimer>>>,
    /// The deadline the timer is set to.
    armed: Option<Instant>,
    buf: Box<[u8]>,
    done: bool,
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

impl<R: Runtime> Driver<R> {
    /// Carries out the queued pipe operations; true once the run is `Finished`.
    fn apply_ops(&mut self, g: &mut Shared) -> bool {
        while let Some(op) = g.state.take_op() {
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

    /// One pass over everything that may be ready; true if any input was fed.
    fn poll_io(&mut self, g: &mut Shared, cx: &mut Context<'_>) -> bool {
        let mut progress = false;
        if let Some((bytes, pos)) = self.writing.as_mut() {
            let written = match self.stdin.as_mut() {
                None => Poll::Ready(Err(io::ErrorKind::BrokenPipe.into())),
                Some(stdin) => poll_write(stdin, cx, bytes, pos),
            };
            if let Poll::Ready(result) = written {
                self.writing = None;
                let result = result.map_err(|e| IoFailure::from(&e));
                g.feed(Input::StdinWritten(result), self.runtime.now());
                progress = true;
            }
        }
        if !self.paused {
            let read = poll_pipe(&mut self.stdout, cx, &mut self.buf);
            progress |= read.is_some();
            match read {
                Some(Read::Bytes(n)) => g.feed(Input::Stdout(&self.buf[..n]), self.runtime.now()),
                Some(Read::End(failure)) => g.feed(Input::StdoutEnd(failure), self.runtime.now()),
                None => {}
            }
        }
        let read = poll_pipe(&mut self.stderr, cx, &mut self.buf);
        progress |= read.is_some();
        match read {
            // stderr bytes only fill the tail: no item for the consumer.
            Some(Read::Bytes(n)) => g
                .state
                .handle(Input::Stderr(&self.buf[..n]), self.runtime.now()),
            Some(Read::End(failure)) => g.feed(Input::StderrEnd(failure), self.runtime.now()),
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
                g.feed(input, self.runtime.now());
                progress = true;
            }
        }
        progress |= self.poll_input(g, cx);
        progress | self.poll_timer(g, cx)
    }

    /// Polls the user's input stream, only while the machine wants the next message (the
    /// previous one is written), so messages never pile up in memory.
    fn poll_input(&mut self, g: &mut Shared, cx: &mut Context<'_>) -> bool {
        let Some(input) = self.input.as_mut() else {
            return false;
        };
        if !g.state.accepts_input() {
            self.input = None;
            return false;
        }
        if !g.state.wants_input() {
            return false;
        }
        let now = || self.runtime.now();
        match catch_unwind(AssertUnwindSafe(|| input.as_mut().poll_next(cx))) {
            Ok(Poll::Pending) => return false,
            Ok(Poll::Ready(Some(message))) => {
                g.feed(Input::Send(message), now());
            }
            Ok(Poll::Ready(None)) => {
                self.input = None;
                g.feed(Input::EndInput, now());
            }
            Err(panic) => {
                self.input = None;
                g.late_error = Some(AgentError::Io {
                    context: "the input stream panicked".to_string(),
                    kind: io::ErrorKind::Other,
                    message: panic_message(&*panic),
                });
                g.feed(Input::Cancel, now());
            }
        }
        true
    }

    /// Re-arms the timer when the deadline changed (checking the clock first) and feeds
    /// `Timeout` once it has passed.
    fn poll_timer(&mut self, g: &mut Shared, cx: &mut Context<'_>) -> bool {
        let deadline = g.state.deadline();
        if deadline != self.armed {
            self.armed = deadline;
            if let Some(at) = deadline {
                let now = self.runtime.now();
                if now >= at {
                    self.armed = None;
                    g.feed(Input::Timeout, now);
                    return true;
                }
                match self.timer.as_mut() {
                    Some(timer) => timer.as_mut().reset(at),
                    None => self.timer = Some(self.runtime.timer(at)),
                }
            }
        }
        if self.armed.is_none() {
            return false;
        }
        let fired = self
            .timer
            .as_mut()
            .is_some_and(|t| t.as_mut().poll(cx).is_ready());
        if fired {
            self.armed = None;
            g.feed(Input::Timeout, self.runtime.now());
        }
        fired
    }

    fn finish(&mut self, g: &mut Shared) {
        self.done = true;
        self.stdin = None;
        self.stdout = None;
        self.stderr = None;
        self.exit = None;
        self.input = None;
        wake(&mut g.consumer);
        g.wake_senders();
        tracing::debug!(target: "ampere", pid = self.pid, "the Amp CLI run is over");
    }
}

impl<R: Runtime> Future for Driver<R> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        let shared = Arc::clone(&this.shared);
        let mut g = lock(&shared);
        store(&mut g.driver, cx);
        for _ in 0..IO_LOOP_BOUND {
            if this.apply_ops(&mut g) {
                this.finish(&mut g);
                return Poll::Ready(());
            }
            if !this.poll_io(&mut g, cx) && !g.state.needs_driver() {
                return Poll::Pending;
            }
        }
        // Busy: let the executor run others, then go on.
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

impl<R: Runtime> Drop for Driver<R> {
    fn drop(&mut self) {
        if self.done {
            return;
        }
        // Dropped before the end (the runtime shut down, or a bug panicked): the group must
        // not outlive us, and the consumer must not wait forever.
        let mut g = lock(&self.shared);
        // SIGKILL to the group, the folder removed, the group no longer tracked.
        g.state.abandon();
        g.driver_gone = true;
        g.late_error.get_or_insert_with(|| AgentError::Io {
            context: "driving the Amp CLI".to_string(),
            kind: io::ErrorKind::Other,
            message: "the driver task ended early (its runtime shut down)".to_string(),
        });
        wake(&mut g.consumer);
        g.wake_senders();
    }
}
