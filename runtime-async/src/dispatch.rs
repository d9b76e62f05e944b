//! [`Dispatch`]: where one run's wakes go (the waiting consumer or the driver task), held
//! back while the run is locked, and the driver task spawned when it is first needed.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Wake, Waker};

/// Where the child's IO wakes go: the consumer while it is parked waiting (it then runs the
/// IO pass itself), else the driver task. Only one of them is woken, so they never race for
/// a line.
///
/// While the run's lock is held ([`RunGuard`](crate::driver::RunGuard)), wakes are held back and sent once it is
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
    /// Spawns the driver task, until it is first needed (see [`Dispatch::defer_driver`]).
    spawn: Option<SpawnDriver>,
    /// Holders of the run's lock (one, or briefly two while one lets go).
    holders: u32,
    /// Wakes held back while the run's lock is held.
    held_back: Vec<Waker>,
    /// The driver task is to be woken when the run's lock is released.
    driver_held_back: bool,
}

/// Spawns the run's driver task (at most once).
pub(crate) type SpawnDriver = Box<dyn FnOnce() + Send>;

/// What waking the driver task comes to: waking it, or spawning it (the first time).
enum DriverWake {
    Wake(Waker),
    Spawn(SpawnDriver),
}

impl DriverWake {
    fn run(self) {
        match self {
            DriverWake::Wake(waker) => waker.wake(),
            DriverWake::Spawn(spawn) => spawn(),
        }
    }
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

    /// How to wake the driver if it is to be woken now, else `None` (held back, or a
    /// driver spawned that has yet to poll: its first poll does everything).
    fn driver_now(&mut self) -> Option<DriverWake> {
        if self.holders > 0 {
            self.driver_held_back = true;
            None
        } else {
            self.driver_wake()
        }
    }

    fn driver_wake(&mut self) -> Option<DriverWake> {
        match self.spawn.take() {
            Some(spawn) => Some(DriverWake::Spawn(spawn)),
            None => self.driver.clone().map(DriverWake::Wake),
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

    pub(crate) fn park_consumer(&self, cx: &Context<'_>) {
        store(&mut self.slots().consumer, cx);
    }

    /// The consumer polls again: it is no longer parked.
    pub(crate) fn unpark_consumer(&self) {
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

    pub(crate) fn set_driver(&self, cx: &Context<'_>) {
        store(&mut self.slots().driver, cx);
    }

    pub(crate) fn wake_driver(&self) {
        let now = self.slots().driver_now();
        if let Some(wake) = now {
            wake.run();
        }
    }

    /// The driver task is spawned by `spawn` the first time it is woken, not before: while
    /// the consumer waits it runs the IO itself, so a short run whose consumer waits
    /// throughout (nothing to do between its polls, no deadline) never needs one, and the
    /// executor is not woken for it at the start and again at the end.
    pub(crate) fn defer_driver(&self, spawn: SpawnDriver) {
        self.slots().spawn = Some(spawn);
    }

    /// The run is over: the driver task, if it was spawned, ends on its next poll; if it
    /// was not, it never will be.
    pub(crate) fn run_over(&self) {
        let deferred = self.slots().spawn.take();
        match deferred {
            Some(spawn) => drop(spawn),
            None => self.wake_driver(),
        }
    }

    /// The driver found the run locked: if the holder has yet to release it, the driver is
    /// woken then (true), and does not block a thread of the executor meanwhile.
    pub(crate) fn driver_after_release(&self, cx: &Context<'_>) -> bool {
        let mut slots = self.slots();
        if slots.holders == 0 {
            return false;
        }
        store(&mut slots.driver, cx);
        slots.driver_held_back = true;
        true
    }

    /// The run's lock was taken: hold wakes back.
    pub(crate) fn hold(&self) {
        self.slots().holders += 1;
    }

    /// The run's lock was released: send the wakes held back.
    pub(crate) fn release(&self) {
        let (held_back, driver) = {
            let mut slots = self.slots();
            slots.holders = slots.holders.saturating_sub(1);
            let driver = std::mem::take(&mut slots.driver_held_back);
            (
                std::mem::take(&mut slots.held_back),
                driver.then(|| slots.driver_wake()).flatten(),
            )
        };
        held_back.into_iter().for_each(Waker::wake);
        if let Some(driver) = driver {
            driver.run();
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
                Some(consumer) => slots.now_or_held(consumer).map(DriverWake::Wake),
                None => slots.driver_now(),
            }
        };
        if let Some(wake) = now {
            wake.run();
        }
    }
}
