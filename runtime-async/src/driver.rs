//! The one drive loop: a future per execution (quinn's `ConnectionDriver`) that feeds the
//! child's ready IO into [`RunState`] and carries out the pipe operations it queues.
//!
//! The state sits in an `Arc<Mutex<Shared>>` shared with the consumer ([`Execution`],
//! [`Session`]): the consumer takes items straight from the machine (no channel). The
//! child's IO (in [`Io`]) is always polled with the run's [`Dispatch`] waker, which wakes
//! the consumer while it waits for an item, and the driver task otherwise. A waiting
//! consumer reads and decodes on its own task, so a line reaches it without a hop through
//! the driver task; the driver task reads ahead while the consumer is busy, and alone owns
//! the timer, so timeouts fire even if the consumer stops polling. It is spawned only when
//! first needed (IO while the consumer is not waiting, a deadline, the consumer gone), so
//! a run whose consumer waits throughout never wakes the executor for it.
//!
//! [`Execution`]: crate::Execution
//! [`Session`]: crate::Session

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::process::Command;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, TryLockError};
use std::task::{Context, Poll, Waker};
use std::time::Instant;

use ampere_core::run::AgentError;
use ampere_runtime_common::{PrivateDir, StderrSink};

use crate::contract::{AgentRun, Input, RunState};
pub(crate) use crate::dispatch::Dispatch;
use crate::execution::InputStream;
use crate::io::{Feed, Io};
use crate::runtime::{AsyncTimer, Runtime};

/// Passes over the IO in one poll before yielding to the executor (quinn's bound).
const IO_LOOP_BOUND: usize = 64;

/// What the driver and the consumer share.
pub(crate) struct Shared {
    pub(crate) state: RunState,
    io: Io,
    dispatch: Arc<Dispatch>,
    /// `dispatch` as a waker: the one every IO poll registers.
    io_waker: Waker,
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

/// Locks the shared state (a panic elsewhere never makes it unusable). The wakes sent while
/// it is locked go out once it is unlocked (see [`Dispatch`]).
pub(crate) fn lock(shared: &Mutex<Shared>) -> RunGuard<'_> {
    held(shared.lock().unwrap_or_else(PoisonError::into_inner))
}

/// As [`lock`], if the shared state is not locked.
fn try_lock(shared: &Mutex<Shared>) -> Option<RunGuard<'_>> {
    match shared.try_lock() {
        Ok(guard) => Some(held(guard)),
        Err(TryLockError::Poisoned(poisoned)) => Some(held(poisoned.into_inner())),
        Err(TryLockError::WouldBlock) => None,
    }
}

fn held(guard: MutexGuard<'_, Shared>) -> RunGuard<'_> {
    let dispatch = Arc::clone(&guard.dispatch);
    dispatch.hold();
    RunGuard {
        guard,
        _release: Release(dispatch),
    }
}

/// The run's lock. Its fields drop in order: the lock is released, then the wakes held back
/// meanwhile are sent.
pub(crate) struct RunGuard<'a> {
    guard: MutexGuard<'a, Shared>,
    _release: Release,
}

/// Sends the wakes held back while the run was locked, when dropped.
struct Release(Arc<Dispatch>);

impl Drop for Release {
    fn drop(&mut self) {
        self.0.release();
    }
}

impl std::ops::Deref for RunGuard<'_> {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.guard
    }
}

impl std::ops::DerefMut for RunGuard<'_> {
    fn deref_mut(&mut self) -> &mut Shared {
        &mut self.guard
    }
}

impl Shared {
    /// The sender's side: wait for room (registers the sender's waker).
    pub(crate) fn park_sender(&mut self, cx: &Context<'_>) {
        if !self.senders.iter().any(|w| w.will_wake(cx.waker())) {
            self.senders.push(cx.waker().clone());
        }
    }

    /// Feeds one input from the consumer's side (a message, end of input, cancel, gone) and
    /// wakes the driver: there may be pipe work, or a new deadline to arm.
    pub(crate) fn consumer_input(&mut self, input: Input<'_>, now: Instant) {
        self.state.handle(input, now);
        self.dispatch.wake_driver();
    }

    /// Wakes the driver when the machine queued a pipe operation, or needs its timer set
    /// sooner than it is (the consumer never touches the timer).
    pub(crate) fn kick_driver(&mut self) {
        let sooner = match (self.state.deadline(), self.io.armed) {
            (Some(deadline), Some(armed)) => deadline < armed,
            (Some(_), None) => true,
            (None, _) => false,
        };
        if (self.state.needs_driver() || sooner) && !self.io.done {
            self.dispatch.wake_driver();
        }
    }

    /// The consumer's side: `ready` takes what the consumer waits for, if it is there. While
    /// it is not, the consumer runs the IO pass itself (reading and decoding on its own
    /// task), then parks with the dispatch, which wakes it for the child's next IO.
    pub(crate) fn poll_consumer<T>(
        &mut self,
        cx: &Context<'_>,
        now: &dyn Fn() -> Instant,
        mut ready: impl FnMut(&mut Shared) -> Option<T>,
    ) -> Poll<T> {
        self.dispatch.unpark_consumer();
        let mut passes = 0;
        let found = loop {
            if let Some(found) = ready(self) {
                break Some(found);
            }
            if self.io.done || self.driver_gone {
                break None;
            }
            if passes == IO_LOOP_BOUND {
                // Busy (stderr, say): the driver task goes on.
                self.dispatch.wake_driver();
                break None;
            }
            passes += 1;
            if !self.pass(now) {
                break None;
            }
        };
        self.kick_driver();
        match found {
            Some(found) => Poll::Ready(found),
            None => {
                self.dispatch.park_consumer(cx);
                Poll::Pending
            }
        }
    }

    /// Applies the queued pipe operations, then polls the IO once; true if anything
    /// happened.
    fn pass(&mut self, now: &dyn Fn() -> Instant) -> bool {
        let Shared {
            state,
            io,
            dispatch,
            io_waker,
            senders,
            late_error,
            ..
        } = self;
        if io.apply_ops(state) {
            self.finish();
            return true;
        }
        let mut feed = Feed {
            state,
            dispatch,
            senders,
            late_error,
        };
        io.poll_io(&mut feed, &mut Context::from_waker(io_waker), now)
    }

    /// Feeds one input from the driver task.
    fn feed(&mut self, input: Input<'_>, now: Instant) {
        Feed {
            state: &mut self.state,
            dispatch: &self.dispatch,
            senders: &mut self.senders,
            late_error: &mut self.late_error,
        }
        .feed(input, now);
    }

    fn finish(&mut self) {
        self.io.close();
        self.dispatch.wake_consumer();
        self.dispatch.wake_all(self.senders.drain(..));
        // The driver task ends on its next poll (if the consumer finished the run).
        self.dispatch.run_over();
        tracing::debug!(target: "ampere", pid = self.io.pid, "the Amp CLI run is over");
    }
}

/// Spawns the child, runs the first IO pass and leaves the driver task to be spawned when
/// it is first needed (see [`Dispatch::defer_driver`]). `input` is a `Prompt::Stream`'s
/// messages.
pub(crate) fn start<R: Runtime>(
    runtime: &R,
    command: Command,
    run: AgentRun,
    stdin: bool,
    private_dir: Option<PrivateDir>,
    input: Option<InputStream>,
    stderr_sink: Option<StderrSink>,
) -> Result<(SharedRef, u32), AgentError> {
    let program = command.get_program().to_string_lossy().into_owned();
    let child = runtime
        .spawn_child(command, stdin)
        .map_err(|e| AgentError::io(format!("spawning {program}"), &e))?;
    let pid = child.pid;
    tracing::debug!(target: "ampere", pid, "spawned the Amp CLI");
    let dispatch = Arc::new(Dispatch::default());
    let driver_dispatch = Arc::clone(&dispatch);
    let shared = Arc::new(Mutex::new(Shared {
        state: RunState::new(run, Some(pid), private_dir).with_stderr_sink(stderr_sink),
        io: Io::new(child, input),
        io_waker: Waker::from(Arc::clone(&dispatch)),
        dispatch,
        senders: Vec::new(),
        driver_gone: false,
        late_error: None,
    }));
    // Weak: until it is spawned, the driver is only a way to make one, held by the run.
    let (weak_shared, weak_dispatch) = (Arc::downgrade(&shared), Arc::downgrade(&driver_dispatch));
    let now = {
        let runtime = runtime.clone();
        move || runtime.now()
    };
    let (runtime, spawner) = (runtime.clone(), runtime.spawner());
    driver_dispatch.defer_driver(Box::new(move || {
        let (Some(shared), Some(dispatch)) = (weak_shared.upgrade(), weak_dispatch.upgrade())
        else {
            return; // the run is gone
        };
        spawner(Box::pin(Driver {
            runtime,
            dispatch,
            shared,
            timer: None,
        }));
    }));
    // The first pass here, as the spawn's caller: the prompt goes out now, and every pipe
    // registers the dispatch, so the CLI's output wakes the driver (spawning it) if nobody
    // polls the execution yet; a deadline spawns it at once.
    {
        let mut g = lock(&shared);
        // Until nothing more happens: writing the prompt queues closing stdin.
        for _ in 0..IO_LOOP_BOUND {
            if !g.pass(&now) {
                break;
            }
        }
        g.kick_driver();
    }
    Ok((shared, pid))
}

/// The driver task: it runs the IO pass when the dispatch wakes it, and owns the timer.
struct Driver<R: Runtime> {
    runtime: R,
    shared: SharedRef,
    dispatch: Arc<Dispatch>,
    timer: Option<Pin<Box<dyn AsyncTimer>>>,
}

impl<R: Runtime> Driver<R> {
    /// Re-arms the timer when the deadline changed (checking the clock first) and feeds
    /// `Timeout` once it has passed.
    fn poll_timer(&mut self, g: &mut Shared, cx: &mut Context<'_>) -> bool {
        let deadline = g.state.deadline();
        if deadline != g.io.armed {
            g.io.armed = deadline;
            if let Some(at) = deadline {
                let now = self.runtime.now();
                if now >= at {
                    g.io.armed = None;
                    g.feed(Input::Timeout, now);
                    return true;
                }
                match self.timer.as_mut() {
                    Some(timer) => timer.as_mut().reset(at),
                    None => self.timer = Some(self.runtime.timer(at)),
                }
            }
        }
        if g.io.armed.is_none() {
            return false;
        }
        let fired = self
            .timer
            .as_mut()
            .is_some_and(|t| t.as_mut().poll(cx).is_ready());
        if fired {
            g.io.armed = None;
            g.feed(Input::Timeout, self.runtime.now());
        }
        fired
    }
}

impl<R: Runtime> Future for Driver<R> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        let shared = Arc::clone(&this.shared);
        // The consumer holds the run (reading, decoding): come back when it lets go.
        let mut g = match try_lock(&shared) {
            Some(g) => g,
            None if this.dispatch.driver_after_release(cx) => return Poll::Pending,
            None => lock(&shared),
        };
        if g.io.done {
            return Poll::Ready(());
        }
        g.dispatch.set_driver(cx);
        let runtime = this.runtime.clone();
        let now = move || runtime.now();
        for _ in 0..IO_LOOP_BOUND {
            let progress = g.pass(&now);
            if g.io.done {
                return Poll::Ready(());
            }
            let fired = this.poll_timer(&mut g, cx);
            if !progress && !fired && !g.state.needs_driver() {
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
        let mut g = lock(&self.shared);
        if g.io.done {
            return;
        }
        // Dropped before the end (the runtime shut down, or a bug panicked): the group must
        // not outlive us, and the consumer must not wait forever.
        // SIGKILL to the group, the folder removed, the group no longer tracked.
        g.state.abandon();
        g.io.close();
        g.driver_gone = true;
        g.late_error.get_or_insert_with(|| AgentError::Io {
            context: "driving the Amp CLI".to_string(),
            kind: io::ErrorKind::Other,
            message: "the driver task ended early (its runtime shut down)".to_string(),
        });
        g.dispatch.wake_consumer();
        let Shared {
            dispatch, senders, ..
        } = &mut *g;
        dispatch.wake_all(senders.drain(..));
    }
}

#[cfg(test)]
#[path = "driver_tests.rs"]
mod tests;
