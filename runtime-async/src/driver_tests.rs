//! The dispatch's wakes around the run's lock.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Wake, Waker};

use super::Dispatch;

/// A waker that counts its wakes.
#[derive(Default)]
struct Count(AtomicUsize);

impl Wake for Count {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

fn counter() -> (Arc<Count>, Waker) {
    let count = Arc::new(Count::default());
    (Arc::clone(&count), Waker::from(Arc::clone(&count)))
}

fn woken(count: &Count) -> usize {
    count.0.load(Ordering::SeqCst)
}

#[test]
fn wakes_sent_while_the_run_is_locked_go_out_once_it_is_unlocked() {
    let dispatch = Arc::new(Dispatch::default());
    let (consumer, consumer_waker) = counter();
    let (sender, sender_waker) = counter();
    dispatch.park_consumer(&Context::from_waker(&consumer_waker));
    dispatch.hold();
    dispatch.wake_consumer();
    dispatch.wake_all([sender_waker].into_iter());
    assert_eq!((woken(&consumer), woken(&sender)), (0, 0));
    dispatch.release();
    assert_eq!((woken(&consumer), woken(&sender)), (1, 1));
    // Unlocked, a wake goes out at once.
    dispatch.park_consumer(&Context::from_waker(&consumer_waker));
    dispatch.wake_consumer();
    assert_eq!(woken(&consumer), 2);
}

#[test]
fn the_childs_io_wakes_the_parked_consumer_else_the_driver_after_the_lock() {
    let dispatch = Arc::new(Dispatch::default());
    let io_waker = Waker::from(Arc::clone(&dispatch));
    let (consumer, consumer_waker) = counter();
    let (driver, driver_waker) = counter();
    dispatch.set_driver(&Context::from_waker(&driver_waker));
    dispatch.park_consumer(&Context::from_waker(&consumer_waker));
    dispatch.hold();
    io_waker.wake_by_ref(); // the consumer's
    io_waker.wake_by_ref(); // the consumer is no longer parked: the driver's
    assert_eq!((woken(&consumer), woken(&driver)), (0, 0));
    dispatch.release();
    assert_eq!((woken(&consumer), woken(&driver)), (1, 1));
    io_waker.wake_by_ref();
    assert_eq!((woken(&consumer), woken(&driver)), (1, 2));
}

#[test]
fn a_driver_that_finds_the_run_locked_is_woken_when_it_is_released() {
    let dispatch = Arc::new(Dispatch::default());
    let (driver, driver_waker) = counter();
    let cx = Context::from_waker(&driver_waker);
    // Nobody holds it (a stale try_lock): the driver must take the lock itself.
    assert!(!dispatch.driver_after_release(&cx));
    dispatch.hold();
    assert!(dispatch.driver_after_release(&cx));
    assert_eq!(woken(&driver), 0);
    dispatch.release();
    assert_eq!(woken(&driver), 1);
    // Released once: a later release does not wake it again.
    dispatch.hold();
    dispatch.release();
    assert_eq!(woken(&driver), 1);
}

#[test]
fn wakes_held_back_by_two_overlapping_holders_all_go_out() {
    let dispatch = Arc::new(Dispatch::default());
    let (consumer, consumer_waker) = counter();
    dispatch.hold();
    dispatch.hold(); // the next holder, before the first has released
    dispatch.release();
    dispatch.park_consumer(&Context::from_waker(&consumer_waker));
    dispatch.wake_consumer();
    assert_eq!(woken(&consumer), 0, "still held by the second");
    dispatch.release();
    assert_eq!(woken(&consumer), 1);
}
