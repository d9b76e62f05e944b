//! The loop: one run state behind a mutex, fed directly by the IO threads.
//!
//! Each thread owns one end of the child and, after every event, takes the lock, hands the
//! event to the run state stamped with the current instant (`RunState::handle`), routes the
//! pipe operations core asked for to the thread that owns that pipe, and wakes the waiters.
//! Signals and the removal of the private folder are carried out by `RunState` itself,
//! inside the lock, by whichever thread fed the input. The consumer takes items straight
//! from the run state and waits on a condition variable; no message goes through a channel.
//!
//! - stdout reader: reads 64 KiB chunks; while core has paused stdout (backpressure) it does
//!   not read, so the OS pipe pushes back on the CLI.
//! - stderr reader: always drains into core's bounded tail.
//! - exit waiter: reaps the child and reports the exit.
//! - stdin writer: writes what core asks for, one write at a time, and closes stdin.
//! - clock (executions only): fires core's deadlines even if nobody calls `next`. Every other
//!   wait on the condition variables ends at the deadline too and fires it when it is due.
//! - feeder (`Prompt::messages` only): pulls the caller's iterator, one message at a time,
//!   only when core wants input (nothing waiting to be written), so it never piles up.
//!
//! So dropping the consumer's [`Handle`] sends `SIGTERM` and removes the private folder
//! before `drop` returns; the threads finish the grace period, `SIGKILL` and reaping (and
//! runtime-common's exit hook `SIGKILL`s the group if the program exits first).

use std::collections::VecDeque;
use std::io::{ErrorKind, Read, Write};
use std::ops::Deref;
use std::process::{Child, ChildStdin};
use std::sync::{mpsc, Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::Instant;

use ampere_core::message::{Message, UserInputMessage};
use ampere_core::run::{AgentError, AgentRun, Input, IoFailure, Signal};
use ampere_runtime_common::{exit_info, signal_group, PipeOp, PrivateDir, RunState};

/// Size of one read from the child's stdout or stderr.
const READ_CHUNK: usize = 64 * 1024;

/// The caller's stream of user messages (`Prompt::messages`).
pub(crate) type Messages = Box<dyn Iterator<Item = UserInputMessage> + Send + 'static>;

/// One run, shared by its IO threads and its consumer.
pub(crate) struct Shared {
    inner: Mutex<Inner>,
    /// The consumer waits here (items, the end).
    consumer: Condvar,
    /// The IO threads wait here (pipe operations, an earlier deadline).
    driver: Condvar,
}

/// What the lock guards.
pub(crate) struct Inner {
    /// Core's machine and the carrying out of everything that needs no pipe.
    pub(crate) rs: RunState,
    /// Stdout reading is paused (backpressure).
    paused: bool,
    /// Writes and the close for the stdin writer, in order.
    stdin: VecDeque<PipeOp>,
}

impl Shared {
    /// Locks the run state (a panicked holder leaves it consistent enough to tear down).
    pub(crate) fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Feeds one input stamped now and carries out what follows from it.
    pub(crate) fn feed(&self, g: &mut Inner, input: Input<'_>) {
        let before = g.rs.deadline();
        g.rs.handle(input, Instant::now());
        // A later deadline needs nobody woken: whoever waits for it finds it moved.
        let after = g.rs.deadline();
        self.settle(g, after.is_some_and(|a| before.is_none_or(|b| a < b)));
    }

    /// Routes queued pipe operations to their threads and wakes the waiters.
    fn settle(&self, g: &mut Inner, mut wake_driver: bool) {
        while let Some(op) = g.rs.take_op() {
            wake_driver = true;
            match op {
                PipeOp::PauseStdout => g.paused = true,
                PipeOp::ResumeStdout => g.paused = false,
                PipeOp::Finished => {}
                op => g.stdin.push_back(op),
            }
        }
        if wake_driver {
            self.driver.notify_all();
        }
        self.consumer.notify_all();
    }

    /// The consumer's side: the next item, or `None` once the stream is over. Blocks.
    pub(crate) fn next_item(&self) -> Option<Result<Message, AgentError>> {
        let mut g = self.lock();
        loop {
            if let Some(item) = g.rs.take_item(Instant::now()) {
                if g.rs.needs_driver() {
                    self.settle(&mut g, false); // taking items may resume stdout
                }
                return Some(item);
            }
            if g.rs.is_ended() {
                return None;
            }
            g = self.wait(&self.consumer, g);
        }
    }

    /// Blocks until the process side is over (reaped, folder removed), firing deadlines.
    pub(crate) fn wait_finished(&self) -> MutexGuard<'_, Inner> {
        self.finished_on(&self.consumer)
    }

    fn finished_on(&self, cv: &Condvar) -> MutexGuard<'_, Inner> {
        let mut g = self.lock();
        while !g.rs.is_finished() {
            g = self.wait(cv, g);
        }
        g
    }

    /// Waits on `cv` until woken or until the machine's deadline, or fires the deadline if
    /// it has passed (core then moves it past now, so no caller spins).
    fn wait<'a>(&self, cv: &Condvar, mut g: MutexGuard<'a, Inner>) -> MutexGuard<'a, Inner> {
        let now = Instant::now();
        match g.rs.deadline() {
            None => cv.wait(g).unwrap_or_else(PoisonError::into_inner),
            Some(d) if d > now => cv
                .wait_timeout(g, d - now)
                .map_or_else(|e| e.into_inner().0, |(g, _)| g),
            Some(_) => {
                self.feed(&mut g, Input::Timeout);
                g
            }
        }
    }
}

/// The consumer's handle on a run: dropping it tells core the consumer is gone (`SIGTERM`
/// to the group and the private folder removed, inside `drop`).
pub(crate) struct Handle(Arc<Shared>);

impl Deref for Handle {
    type Target = Shared;
    fn deref(&self) -> &Shared {
        &self.0
    }
}

impl Drop for Handle {
    fn drop(&mut self) {
        self.feed(&mut self.lock(), Input::ConsumerGone);
    }
}

/// Starts the IO threads of a spawned child. `clock`: start the thread that fires deadlines
/// (a thread command's caller does it while it waits instead). An error means the child
/// could not be monitored: it was killed and reaped.
pub(crate) fn start(
    mut child: Child,
    run: AgentRun,
    dir: Option<PrivateDir>,
    clock: bool,
) -> Result<Handle, AgentError> {
    let pid = child.id();
    let (out, err, input) = (child.stdout.take(), child.stderr.take(), child.stdin.take());
    let rs = RunState::new(run, Some(pid), dir);
    let inner = Inner {
        rs,
        paused: false,
        stdin: VecDeque::new(),
    };
    let (consumer, driver) = (Condvar::new(), Condvar::new());
    let shared = Arc::new(Shared {
        inner: Mutex::new(inner),
        consumer,
        driver,
    });
    shared.settle(&mut shared.lock(), true);

    // The waiter first: it owns the child, so it is always reaped. The child goes over a
    // channel so that a failed thread spawn leaves it here.
    let (tx, rx) = mpsc::channel::<Child>();
    let waiter = spawn(&shared, "wait", pid, move |s| {
        let Ok(mut child) = rx.recv() else { return };
        let input = match child.wait() {
            Ok(status) => Input::Exited(exit_info(status)),
            Err(e) => Input::WaitFailed(IoFailure::from(&e)),
        };
        // Between the reap and this lock a signal could still reach the (reused) group id;
        // core sends nothing after `Exited` but the leftover-group SIGKILL.
        s.feed(&mut s.lock(), input);
    });
    if let Err(e) = waiter {
        // Dropping the run state unregisters the group and removes the private folder.
        let _ = signal_group(pid, Signal::Kill);
        let _ = child.wait();
        return Err(AgentError::io("starting the Amp CLI's process monitor", &e));
    }
    let _ = tx.send(child); // cannot fail: the waiter holds the receiver until it receives

    let started = (|| {
        spawn(&shared, "stderr", pid, move |s| pump(s, err, false))?;
        if let Some(input) = input {
            spawn(&shared, "stdin", pid, move |s| write_stdin(s, input))?;
        }
        if clock {
            spawn(&shared, "clock", pid, |s| drop(s.finished_on(&s.driver)))?;
        }
        spawn(&shared, "stdout", pid, move |s| pump(s, out, true))
    })();
    if let Err(e) = started {
        // Core fails the run and terminates the CLI; the waiter reaps it.
        let failure = IoFailure::from(&e);
        shared.feed(&mut shared.lock(), Input::StdoutEnd(Some(failure)));
    }
    Ok(Handle(shared))
}

/// Starts the thread that pulls the caller's messages whenever the input is idle.
pub(crate) fn feed_messages(handle: &Handle, pid: u32, mut messages: Messages) {
    let started = spawn(&handle.0, "input", pid, move |s| loop {
        let mut g = s.lock();
        while g.rs.accepts_input() && !g.rs.wants_input() {
            g = s.wait(&s.driver, g);
        }
        if !g.rs.accepts_input() {
            return;
        }
        drop(g);
        let input = messages.next().map_or(Input::EndInput, Input::Send);
        let last = matches!(input, Input::EndInput);
        s.feed(&mut s.lock(), input);
        if last {
            return;
        }
    });
    if started.is_err() {
        handle.feed(&mut handle.lock(), Input::EndInput);
    }
}

/// Starts the thread `ampere-{role}-{pid}` running `f` on the shared run.
fn spawn(
    shared: &Arc<Shared>,
    role: &str,
    pid: u32,
    f: impl FnOnce(&Shared) + Send + 'static,
) -> std::io::Result<()> {
    let shared = Arc::clone(shared);
    let thread = std::thread::Builder::new().name(format!("ampere-{role}-{pid}"));
    thread.spawn(move || f(&shared)).map(drop)
}

/// Reads stdout (or stderr) into the machine until its end or the end of the run. Stdout is
/// not read while paused.
fn pump(s: &Shared, pipe: Option<impl Read>, stdout: bool) {
    let end = |f| {
        if stdout {
            Input::StdoutEnd(f)
        } else {
            Input::StderrEnd(f)
        }
    };
    let Some(mut pipe) = pipe else {
        return s.feed(&mut s.lock(), end(None));
    };
    let mut buf = vec![0u8; READ_CHUNK];
    let mut g = s.lock();
    loop {
        while stdout && g.paused && !g.rs.is_finished() {
            g = s.wait(&s.driver, g);
        }
        if g.rs.is_finished() {
            return;
        }
        drop(g);
        let read = pipe.read(&mut buf);
        g = s.lock();
        let (input, last) = match read {
            Ok(0) => (end(None), true),
            Ok(n) if stdout => (Input::Stdout(&buf[..n]), false),
            Ok(n) => (Input::Stderr(&buf[..n]), false),
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) => (end(Some(IoFailure::from(&e))), true),
        };
        s.feed(&mut g, input);
        if last {
            return;
        }
    }
}

/// Carries out core's stdin operations; the close (or the end of the run) drops the pipe.
fn write_stdin(s: &Shared, mut input: ChildStdin) {
    let mut g = s.lock();
    loop {
        match g.stdin.pop_front() {
            Some(PipeOp::Write(bytes)) => {
                drop(g);
                let result = input.write_all(&bytes).map_err(|e| IoFailure::from(&e));
                g = s.lock();
                s.feed(&mut g, Input::StdinWritten(result));
                s.driver.notify_all(); // the feeder waits for an idle input
            }
            Some(_) => return, // CloseStdin
            None if g.rs.is_finished() => return,
            None => g = s.wait(&s.driver, g),
        }
    }
}
