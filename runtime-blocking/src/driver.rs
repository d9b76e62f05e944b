//! The loop: one run state behind a mutex, fed directly by one IO thread per execution (a
//! thread kept from an earlier execution when one waits: `run_on_io_thread`).
//!
//! The IO thread owns the child's pipes and exit ([`ChildIo`]): it waits in `poll(2)` on
//! stdout (while it has it, and not while core has paused it: the OS pipe then pushes back
//! on the CLI), stderr, stdin (only while a write is pending), the child's pidfd and a wake
//! pipe, with core's deadline as the timeout. After each wake it takes the lock, hands
//! everything it read to the run state stamped with the current instant
//! (`RunState::handle`), fires the deadline when it is due, carries out the pipe operations
//! core queued, and wakes the consumer once. Signals and the removal of the private folder
//! are carried out by `RunState` itself, inside the lock, by whichever thread fed the
//! input. The consumer takes items straight from the run state; when none is ready it
//! reads stdout itself ([`StdoutPipe`], lent under the lock: one of the two reads it at a
//! time), or waits on a condition variable. When it queues work for the IO thread (a stdin
//! write, resuming stdout, an earlier deadline) it writes the wake pipe, only if the IO
//! thread is parked in `poll`. Before it fires a timeout, the IO thread reads what the CLI
//! wrote while nobody was reading, so a consumer away longer than the idle timeout does
//! not make a busy CLI look silent.
//!
//! - The spawning thread writes the prompt (and closes stdin behind it) before the IO thread
//!   starts, as far as the pipe takes it without waiting; the rest is the IO thread's.
//! - Where no pidfd can be opened, a waiter thread reaps the child and feeds its exit.
//! - The feeder (`Prompt::messages` only) pulls the caller's iterator, one message at a
//!   time, only when core wants input (nothing waiting to be written), so it never piles up.
//!
//! So dropping the consumer's [`Handle`] sends `SIGTERM` and removes the private folder
//! before `drop` returns; the IO thread finishes the grace period, `SIGKILL` and reaping
//! (and runtime-common's exit hook `SIGKILL`s the group if the program exits first).

use std::ops::Deref;
use std::process::Child;
use std::sync::{mpsc, Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::Instant;

use ampere_core::message::{Message, UserInputMessage};
use ampere_core::run::{AgentError, AgentRun, Input, IoFailure, Signal};
use ampere_runtime_common::{exit_info, signal_group, ChildIo, PrivateDir, RunState, StderrSink};
use ampere_runtime_common::{run_on_io_thread, StdoutLoan, WakePipe, Waker};

/// The caller's stream of user messages (`Prompt::messages`).
pub(crate) type Messages = Box<dyn Iterator<Item = UserInputMessage> + Send + 'static>;

/// One run, shared by its IO thread, its consumer and its feeder.
pub(crate) struct Shared {
    inner: Mutex<Inner>,
    /// The consumer waits here (items, the end).
    consumer: Condvar,
    /// The feeder waits here (the input became idle or closed).
    input: Condvar,
    /// Wakes the IO thread out of `poll`.
    waker: Waker,
    /// Wakes the consumer out of its wait on stdout.
    consumer_wake: WakePipe,
}

/// What the lock guards.
pub(crate) struct Inner {
    /// Core's machine and the carrying out of everything that needs no pipe.
    pub(crate) rs: RunState,
    /// The IO thread waits in `poll` and has not been woken yet.
    parked: bool,
    /// Where stdout is: here, with the consumer or with the IO thread.
    stdout: StdoutLoan,
}

impl Shared {
    /// Locks the run state (a panicked holder leaves it consistent enough to tear down).
    pub(crate) fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Feeds one input stamped now, carries out what follows from it, wakes the consumer.
    pub(crate) fn feed(&self, g: &mut Inner, input: Input<'_>) {
        self.handle(g, |rs| rs.handle(input, Instant::now()));
        self.wake_consumer(g.stdout.consumer_reading());
    }

    /// Wakes the consumer: on its condition variable, or out of its wait on stdout
    /// (`reading`).
    fn wake_consumer(&self, reading: bool) {
        self.consumer.notify_all();
        if reading {
            self.consumer_wake.waker().wake();
        }
    }

    /// Runs `f` on the machine and wakes the IO thread (pipe operations, an earlier
    /// deadline) and the feeder (the input became idle or closed) when they have work.
    fn handle(&self, g: &mut Inner, f: impl FnOnce(&mut RunState)) {
        let input = |rs: &RunState| (rs.accepts_input(), rs.wants_input());
        let (before, input_before) = (g.rs.deadline(), input(&g.rs));
        f(&mut g.rs);
        // A later deadline needs nobody woken: the IO thread finds it moved.
        let after = g.rs.deadline();
        if g.rs.needs_driver() || after.is_some_and(|a| before.is_none_or(|b| a < b)) {
            self.wake_io(g);
        }
        if input(&g.rs) != input_before {
            self.input.notify_all();
        }
    }

    /// The consumer will not read stdout (any more): the IO thread reads it.
    fn release_stdout(&self, g: &mut Inner) {
        if g.stdout.release() {
            self.wake_io(g);
        }
    }

    fn wake_io(&self, g: &mut Inner) {
        if std::mem::take(&mut g.parked) {
            self.waker.wake();
        }
    }

    /// The consumer's side: the next item, or `None` once the stream is over. Blocks.
    ///
    /// While nothing is ready it reads stdout itself: the line is read, decoded and yielded
    /// by the thread the pipe woke, one hop less than through the IO thread. If the IO
    /// thread has stdout out, it asks for it back. It leaves stdout in the run state when
    /// it returns, without waking the IO thread (that wake cost 30-40 µs per line on the
    /// benchmark VM): the IO thread reads it on its next wake, and always before a timeout.
    pub(crate) fn next_item(&self) -> Option<Result<Message, AgentError>> {
        let mut g = self.lock();
        loop {
            if let Some(item) = g.rs.take_item(Instant::now()) {
                if g.rs.needs_driver() {
                    self.wake_io(&mut g); // taking items may resume stdout
                }
                return Some(item);
            }
            if g.rs.is_ended() {
                return None;
            }
            let (paused, finished) = (g.rs.run().is_paused(), g.rs.is_finished());
            match g.stdout.borrow(paused, finished) {
                Ok(mut stdout) => {
                    drop(g);
                    stdout.wait(&self.consumer_wake);
                    g = self.lock();
                    self.handle(&mut g, |rs| {
                        stdout.take_input(|input| rs.handle(input, Instant::now()));
                    });
                    let finished = g.rs.is_finished();
                    g.stdout.give_back(stdout, finished);
                }
                Err(ask) => {
                    if ask {
                        self.wake_io(&mut g);
                    }
                    g = wait(&self.consumer, g);
                }
            }
        }
    }

    /// Blocks until the process side is over (reaped, folder removed).
    pub(crate) fn wait_finished(&self) -> MutexGuard<'_, Inner> {
        let mut g = self.lock();
        self.release_stdout(&mut g);
        while !g.rs.is_finished() {
            g = wait(&self.consumer, g);
        }
        g
    }
}

/// Waits on `cv` (the IO thread fires the deadlines).
fn wait<'a>(cv: &Condvar, g: MutexGuard<'a, Inner>) -> MutexGuard<'a, Inner> {
    cv.wait(g).unwrap_or_else(PoisonError::into_inner)
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
        let mut g = self.lock();
        self.release_stdout(&mut g);
        self.feed(&mut g, Input::ConsumerGone);
    }
}

/// Starts the IO thread of a spawned child. An error means the child could not be
/// monitored: it was killed and reaped.
pub(crate) fn start(
    mut child: Child,
    run: AgentRun,
    dir: Option<PrivateDir>,
    stderr_sink: Option<StderrSink>,
) -> Result<Handle, AgentError> {
    let pid = child.id();
    let io = ChildIo::new(&mut child);
    // Dropping the run state unregisters the group and removes the private folder.
    let mut rs = RunState::new(run, Some(pid), dir).with_stderr_sink(stderr_sink);
    let failed = |mut child: Child, e: &std::io::Error| {
        let _ = signal_group(pid, Signal::Kill);
        let _ = child.wait();
        Err(AgentError::io("starting the Amp CLI's process monitor", e))
    };
    let (mut io, consumer_wake) = match io.and_then(|io| Ok((io, WakePipe::new()?))) {
        Ok(io) => io,
        Err(e) => return failed(child, &e),
    };
    io.write_prompt(&mut rs);
    let shared = Arc::new(Shared {
        inner: Mutex::new(Inner {
            rs,
            parked: false,
            stdout: StdoutLoan::new(io.take_stdout()),
        }),
        consumer: Condvar::new(),
        input: Condvar::new(),
        waker: io.waker(),
        consumer_wake,
    });
    // The child goes over a channel so that a failed thread spawn leaves it here.
    let (tx, rx) = mpsc::channel::<Child>();
    // On a thread kept from an earlier execution when one waits (the IO thread's own loop
    // owns nothing of it after the run: everything is dropped when `drive` returns).
    let s = Arc::clone(&shared);
    let started = run_on_io_thread(format!("ampere-io-{pid}"), move || {
        if let Ok(child) = rx.recv() {
            drive(&s, io, child, pid);
        }
    });
    if let Err(e) = started {
        return failed(child, &e);
    }
    let _ = tx.send(child); // cannot fail: the thread holds the receiver until it receives
    Ok(Handle(shared))
}

/// The IO thread: polls, feeds, carries out core's pipe operations until `Finished`.
fn drive(s: &Arc<Shared>, mut io: ChildIo, child: Child, pid: u32) {
    if let Some(child) = io.adopt(child) {
        watch_exit(s, child, pid);
    }
    let (mut g, mut fed, mut looked) = (s.lock(), false, false);
    loop {
        while let Some(op) = g.rs.take_op() {
            if io.apply(op) {
                g.stdout.close();
                let reader = g.stdout.consumer_reading();
                drop(g);
                s.wake_consumer(reader);
                return; // drops every pipe
            }
        }
        let mut deadline = g.rs.deadline();
        if deadline.is_some_and(|d| d <= Instant::now()) {
            // What the CLI wrote while the consumer was away is read first (it was not
            // silent, only not read); then the timeout, which moves the deadline past now.
            if !g.stdout.is_home() || std::mem::replace(&mut looked, true) {
                looked = false;
                s.feed(&mut g, Input::Timeout);
                continue;
            }
            deadline = Some(Instant::now()); // one look, without waiting
        } else {
            looked = false;
        }
        // Stdout is read here only while the consumer does not wait on it.
        if let Some(stdout) = g.stdout.lend(looked) {
            io.put_stdout(stdout);
        }
        g.parked = true;
        let reader = g.stdout.consumer_reading();
        drop(g);
        if std::mem::take(&mut fed) {
            // After the unlock: the consumer gets the lock at once.
            s.wake_consumer(reader);
        }
        io.poll(deadline);
        g = s.lock();
        g.parked = false;
        if io.has_inputs() {
            // Items only come from stdout, and the last one with the end of the process
            // side: nothing else needs the consumer woken.
            let finished = g.rs.is_finished();
            s.handle(&mut g, |rs| {
                io.take_inputs(|i| {
                    fed |= matches!(i, Input::Stdout(_) | Input::StdoutEnd(_));
                    rs.handle(i, Instant::now());
                });
            });
            fed |= g.rs.is_finished() != finished;
        }
        if let Some(stdout) = io.take_stdout() {
            // The consumer may be waiting for it (it was kept for the consumer).
            fed |= g.stdout.put_back(stdout);
        }
    }
}

/// Without a pidfd: a waiter thread reaps the child. If it cannot start, the child is
/// killed and reaped here.
fn watch_exit(s: &Arc<Shared>, child: Child, pid: u32) {
    let (tx, rx) = mpsc::channel::<Child>();
    let reap = |s: &Shared, mut child: Child| {
        let input = match child.wait() {
            Ok(status) => Input::Exited(exit_info(status)),
            Err(e) => Input::WaitFailed(IoFailure::from(&e)),
        };
        // Between the reap and this lock a signal could still reach the (reused) group id;
        // core sends nothing after `Exited` but the leftover-group SIGKILL.
        s.feed(&mut s.lock(), input);
    };
    if spawn(s, "wait", pid, move |s| {
        rx.recv().map_or((), |c| reap(s, c))
    })
    .is_ok()
    {
        let _ = tx.send(child); // cannot fail: the waiter holds the receiver
    } else {
        let _ = signal_group(pid, Signal::Kill);
        reap(s, child);
    }
}

/// Starts the thread that pulls the caller's messages whenever the input is idle.
pub(crate) fn feed_messages(handle: &Handle, pid: u32, mut messages: Messages) {
    let started = spawn(&handle.0, "input", pid, move |s| loop {
        let mut g = s.lock();
        while g.rs.accepts_input() && !g.rs.wants_input() {
            g = wait(&s.input, g);
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
    f: impl FnOnce(&Arc<Shared>) + Send + 'static,
) -> std::io::Result<()> {
    let shared = Arc::clone(shared);
    let thread = std::thread::Builder::new().name(format!("ampere-{role}-{pid}"));
    thread.spawn(move || f(&shared)).map(drop)
}
