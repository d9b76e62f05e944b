//! The one drive loop: a future per execution (quinn's `ConnectionDriver`) that feeds the
//! child's ready IO into [`RunState`] and carries out the pipe operations it queues.
//!
//! The state sits in an `Arc<Mutex<Shared>>` shared with the consumer ([`Execution`],
//! [`Session`]): the consumer takes items straight from the machine (no channel). The
//! child's IO (in [`Io`]) is always polled with the run's [`Dispatch`] waker, which wakes
//! the consumer while it waits for an item, and the driver task otherwise. A waiting
//! consumer reads and decodes on its own task, so a line reaches it without a hop through
//! the driver task; the driver task reads ahead while the consumer is busy, and alone owns
//! the timer, so timeouts fire even if the consumer stops polling.
//!
//! [`Execution`]: crate::Execution
//! [`Session`]: crate::Session

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::process::Command;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, TryLockError};
use std::task::{Context, Poll, Wake, Waker};
use std::time::Instant;

use ampere_core::run::AgentError;
use ampere_runtime_common::{PrivateDir, StderrSink};

use crate::contract::{AgentRun, Input, RunState};
use crate::execution::InputStream;
use crate::io::{Feed, Io};
use crate::runtime::{AsyncTimer, Runtime};

/// Passes over the IO in one poll before yielding to the executor (quinn's bound).
const IO_LOOP_BOUND: usize = 64;

/// Where the child's IO wakes go: the consumer while it is parked waiting (it then runs the
/// IO pass itself), else the driver task. Only one of them is woken, so they never race for
/// a line.
///
/// While the run's lock is held ([`RunGuard`]), wakes are held back and sent once it is
/// released: a task woken by the lock's holder would only block on that lock (a futex wait
/// and wake, and a context switch, on each side).
#[derive(Default)]
pub(crate) struct Dispatch {
    slots: Mutex<Slots>,
}

#[derive(Default)]
struct Slots {
    /// The consumer, only while it is parked (taken when woken or when it polls again).
    consumer: Option<Waker>,
    /// The driver task, from its last poll.
    driver: Option<Waker>,
    /// Holders of the run's lock (one, or briefly two while one lets go).
    holders: u32,
    /// Wakes held back while the run's lock is held.
    held_back: Vec<Waker>,
    /// The driver task is to be woken when the run's lock is released.
    driver_held_back: bool,
}

impl Slots {
    /// `waker` if it is to be woken now (the caller wakes it after letting go of the slots),
    /// else `None`: it was held back.
    fn now_or_held(&mut self, waker: Waker) -> Option<Waker> {
        if self.holders > 0 {
            self.held_back.push(waker);
            None
        } else {
            Some(waker)
        }
    }

    /// The driver's waker if it is to be woken now, else `None` (held back, or no driver).
    fn driver_now(&mut self) -> Option<Waker> {
        if self.holders > 0 {
            self.driver_held_back = true;
            None
        } else {
            self.driver.clone()
        }
    }
}

fn store(slot: &mut Option<Waker>, cx: &Context<'_>) {
    if !slot.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
        *slot = Some(cx.waker().clone());
    }
}

impl Dispatch {
    fn slots(&self) -> MutexGuard<'_, Slots> {
        self.slots.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn park_consumer(&self, cx: &Context<'_>) {
        store(&mut self.slots().consumer, cx);
    }

    /// The consumer polls again: it is no longer parked.
    fn unpark_consumer(&self) {
        self.slots().consumer = None;
    }

    /// Wakes the consumer if it is parked.
    pub(crate) fn wake_consumer(&self) {
        let now = {
            let mut slots = self.slots();
            let consumer = slots.consumer.take();
            consumer.and_then(|waker| slots.now_or_held(waker))
        };
        if let Some(waker) = now {
            waker.wake();
        }
    }

    /// Wakes every waker of `wakers` (the run's waiting senders).
    pub(crate) fn wake_all(&self, wakers: impl Iterator<Item = Waker>) {
        let mut slots = self.slots();
        if slots.holders > 0 {
            slots.held_back.extend(wakers);
        } else {
            drop(slots);
            wakers.for_each(Waker::wake);
        }
    }

    fn set_driver(&self, cx: &Context<'_>) {
        store(&mut self.slots().driver, cx);
    }

    fn wake_driver(&self) {
        let now = self.slots().driver_now();
        if let Some(waker) = now {
            waker.wake();
        }
    }

    /// The driver found the run locked: if the holder has yet to release it, the driver is
    /// woken then (true), and does not block a thread of the executor meanwhile.
    fn driver_after_release(&self, cx: &Context<'_>) -> bool {
        let mut slots = self.slots();
        if slots.holders == 0 {
            return false;
        }
        store(&mut slots.driver, cx);
        slots.driver_held_back = true;
        true
    }

    /// The run's lock was taken: hold wakes back.
    fn hold(&self) {
        self.slots().holders += 1;
    }

    /// The run's lock was released: send the wakes held back.
    fn release(&self) {
        let (held_back, driver) = {
            let mut slots = self.slots();
            slots.holders = slots.holders.saturating_sub(1);
            let driver = std::mem::take(&mut slots.driver_held_back);
            (
                std::mem::take(&mut slots.held_back),
                driver.then(|| slots.driver.clone()).flatten(),
            )
        };
        held_back.into_iter().for_each(Waker::wake);
        if let Some(driver) = driver {
            driver.wake();
        }
    }
}

impl Wake for Dispatch {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        let now = {
            let mut slots = self.slots();
            match slots.consumer.take() {
                Some(consumer) => slots.now_or_held(consumer),
                None => slots.driver_now(),
            }
        };
        if let Some(waker) = now {
            waker.wake();
        }
    }
}

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
        self.dispatch.wake_driver();
        tracing::debug!(target: "ampere", pid = self.io.pid, "the Amp CLI run is over");
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
    let driver = Driver {
        runtime: runtime.clone(),
        dispatch: driver_dispatch,
        shared: Arc::clone(&shared),
        timer: None,
    };
    runtime.spawn(Box::pin(driver));
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
