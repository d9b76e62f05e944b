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
//!   only when no write is pending (the input never piles up in memory).

use std::collections::VecDeque;
use std::io::{ErrorKind, Read, Write};
use std::process::{Child, ChildStdin};
use std::sync::{mpsc, Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread;
use std::time::Instant;

use ampere_core::message::UserInputMessage;
use ampere_core::run::{AgentError, AgentRun, Input, IoFailure, Signal};
use ampere_runtime_common::shared::{PipeOp, RunState};
use ampere_runtime_common::{exit_info, signal_group, PrivateDir};

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
    /// The stdin writer is writing.
    writing: bool,
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
        let earlier = match (before, g.rs.deadline()) {
            (Some(b), Some(a)) => a < b,
            (None, Some(_)) => true,
            _ => false,
        };
        self.settle(g, earlier);
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
    pub(crate) fn next_item(&self) -> Option<Result<ampere_core::message::Message, AgentError>> {
        let mut g = self.lock();
        loop {
            if let Some(item) = g.rs.take_item() {
                if g.rs.needs_driver() {
                    self.settle(&mut g, false);
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
        let mut g = self.lock();
        while !g.rs.is_finished() {
            g = self.wait(&self.consumer, g);
        }
        g
    }

    /// Waits on `cv` until woken or until the machine's deadline; fires a deadline that has
    /// passed (core moves it past `now`, so this never spins).
    fn wait<'a>(&self, cv: &Condvar, mut g: MutexGuard<'a, Inner>) -> MutexGuard<'a, Inner> {
        let Some(deadline) = g.rs.deadline() else {
            return cv.wait(g).unwrap_or_else(PoisonError::into_inner);
        };
        let now = Instant::now();
        if now >= deadline {
            g.rs.handle(Input::Timeout, now);
            self.settle(&mut g, true);
            return g;
        }
        match cv.wait_timeout(g, deadline - now) {
            Ok((g, _)) => g,
            Err(poisoned) => poisoned.into_inner().0,
        }
    }
}

/// Starts the IO threads of a spawned child. `clock`: start the thread that fires deadlines
/// (a thread command's caller does it while it waits instead). An error means the child
/// could not be monitored: it was killed and reaped.
pub(crate) fn start(
    mut child: Child,
    run: AgentRun,
    private_dir: Option<PrivateDir>,
    clock: bool,
) -> Result<Arc<Shared>, AgentError> {
    let pid = child.id();
    let (stdout, stderr, stdin) = (child.stdout.take(), child.stderr.take(), child.stdin.take());
    let shared = Arc::new(Shared {
        inner: Mutex::new(Inner {
            rs: RunState::new(run, Some(pid), private_dir),
            paused: false,
            stdin: VecDeque::new(),
            writing: false,
        }),
        consumer: Condvar::new(),
        driver: Condvar::new(),
    });
    shared.settle(&mut shared.lock(), true);

    // The waiter first: it must own the child so it is always reaped. The child is handed
    // over through a channel so that a failed thread spawn leaves it with us.
    let (tx, rx) = mpsc::channel::<Child>();
    let waiter = spawn(&shared, format!("ampere-wait-{pid}"), move |s| {
        if let Ok(mut child) = rx.recv() {
            let input = match child.wait() {
                Ok(status) => Input::Exited(exit_info(status)),
                Err(e) => Input::WaitFailed(IoFailure::from(&e)),
            };
            s.feed(&mut s.lock(), input);
        }
    });
    let monitored = match waiter {
        Ok(()) => tx
            .send(child)
            .map_err(|mpsc::SendError(c)| (c, std::io::Error::other("the monitor ended early"))),
        Err(e) => Err((child, e)),
    };
    if let Err((mut child, e)) = monitored {
        let _ = signal_group(pid, Signal::Kill);
        let _ = child.wait();
        return Err(AgentError::io("starting the Amp CLI's process monitor", &e));
    }

    let mut started = Ok(());
    if let Some(err) = stderr {
        started = spawn(&shared, format!("ampere-stderr-{pid}"), |s| {
            pump(s, err, false)
        });
    } else {
        shared.feed(&mut shared.lock(), Input::StderrEnd(None));
    }
    if let (Ok(()), Some(input)) = (&started, stdin) {
        started = spawn(&shared, format!("ampere-stdin-{pid}"), |s| {
            write_stdin(s, input)
        });
    }
    if let (Ok(()), true) = (&started, clock) {
        started = spawn(&shared, format!("ampere-clock-{pid}"), |s| {
            let mut g = s.lock();
            while !g.rs.is_finished() {
                g = s.wait(&s.driver, g);
            }
        });
    }
    if let (Ok(()), Some(out)) = (&started, stdout) {
        started = spawn(&shared, format!("ampere-stdout-{pid}"), |s| {
            pump(s, out, true)
        });
    }
    if let Err(e) = started {
        // Core fails the run and terminates the CLI; the waiter reaps it.
        let failure = IoFailure::from(&e);
        shared.feed(&mut shared.lock(), Input::StdoutEnd(Some(failure)));
    }
    Ok(shared)
}

/// Starts the thread that feeds the caller's messages as the input asks for them.
pub(crate) fn feed_messages(shared: &Arc<Shared>, pid: u32, mut messages: Messages) {
    let started = spawn(shared, format!("ampere-input-{pid}"), move |s| loop {
        {
            let mut g = s.lock();
            let open = |g: &Inner| g.rs.accepts_input() && !g.rs.is_finished();
            while open(&g) && (g.writing || !g.stdin.is_empty()) {
                g = s.wait(&s.driver, g);
            }
            if !open(&g) {
                return;
            }
        }
        let next = messages.next();
        let mut g = s.lock();
        match next {
            Some(message) => s.feed(&mut g, Input::Send(message)),
            None => return s.feed(&mut g, Input::EndInput),
        }
    });
    if started.is_err() {
        shared.feed(&mut shared.lock(), Input::EndInput);
    }
}

/// Starts a named thread running `f` on the shared run.
fn spawn(
    shared: &Arc<Shared>,
    name: String,
    f: impl FnOnce(&Shared) + Send + 'static,
) -> std::io::Result<()> {
    let shared = Arc::clone(shared);
    thread::Builder::new()
        .name(name)
        .spawn(move || f(&shared))
        .map(drop)
}

/// Reads stdout (or stderr) into the machine until its end or the end of the run.
fn pump(s: &Shared, mut pipe: impl Read, stdout: bool) {
    let end = |failure| match stdout {
        true => Input::StdoutEnd(failure),
        false => Input::StderrEnd(failure),
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

/// Carries out core's stdin operations; closing (or the end of the run) drops the pipe.
fn write_stdin(s: &Shared, mut input: ChildStdin) {
    let mut g = s.lock();
    loop {
        match g.stdin.pop_front() {
            Some(PipeOp::Write(bytes)) => {
                g.writing = true;
                drop(g);
                let result = input.write_all(&bytes).map_err(|e| IoFailure::from(&e));
                g = s.lock();
                g.writing = false;
                s.feed(&mut g, Input::StdinWritten(result));
                // The feeder waits for the input to be idle.
                s.driver.notify_all();
            }
            Some(_) => return,
            None if g.rs.is_finished() => return,
            None => g = s.wait(&s.driver, g),
        }
    }
}
