//! Running the caller's async callbacks from the hosts' std threads: on the caller's runtime
//! (through a [`Spawner`] captured where the runtime was usable), or, without one, on the
//! host thread itself with a small `block_on`. A panic inside the future is caught either
//! way (it must not take an executor thread down).

use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

/// A boxed, sendable future.
pub type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;

/// Runs a future in the background on the caller's async runtime; callable from any thread.
/// Each async runtime makes one where it is usable (tokio: from its `Handle`).
pub type Spawner = Arc<dyn Fn(BoxFuture<()>) + Send + Sync>;

/// Why an async callback gave no value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Missing {
    /// It panicked (the text of the panic).
    Panicked(String),
    /// It did not finish within the wait.
    TimedOut,
    /// The runtime dropped it (shut down).
    Dropped,
}

/// The text of a caught panic.
pub(crate) fn panic_text(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".into())
}

/// Runs `future` to its end (or `wait`), on `spawner`'s runtime or on this thread.
pub(crate) fn run<T: Send + 'static>(
    spawner: Option<&Spawner>,
    future: BoxFuture<T>,
    wait: Option<Duration>,
) -> Result<T, Missing> {
    let guarded = CatchUnwind(future);
    match spawner {
        None => block_on(guarded),
        Some(spawn) => {
            let (tx, rx) = std::sync::mpsc::sync_channel(1);
            spawn(Box::pin(async move {
                let _ = tx.send(guarded.await);
            }));
            let got = match wait {
                Some(wait) => rx.recv_timeout(wait).map_err(|e| match e {
                    std::sync::mpsc::RecvTimeoutError::Timeout => Missing::TimedOut,
                    std::sync::mpsc::RecvTimeoutError::Disconnected => Missing::Dropped,
                }),
                None => rx.recv().map_err(|_| Missing::Dropped),
            };
            got.and_then(|r| r)
        }
    }
}

struct CatchUnwind<T>(BoxFuture<T>);

impl<T> Future for CatchUnwind<T> {
    type Output = Result<T, Missing>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match catch_unwind(AssertUnwindSafe(|| self.0.as_mut().poll(cx))) {
            Ok(Poll::Ready(v)) => Poll::Ready(Ok(v)),
            Ok(Poll::Pending) => Poll::Pending,
            Err(panic) => Poll::Ready(Err(Missing::Panicked(panic_text(&*panic)))),
        }
    }
}

struct Unpark(std::thread::Thread);

impl Wake for Unpark {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }
}

fn block_on<T>(future: impl Future<Output = T>) -> T {
    let mut future = std::pin::pin!(future);
    let waker = Waker::from(Arc::new(Unpark(std::thread::current())));
    let mut cx = Context::from_waker(&waker);
    loop {
        if let Poll::Ready(v) = future.as_mut().poll(&mut cx) {
            return v;
        }
        std::thread::park();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_here_without_a_spawner_and_catches_panics() {
        assert_eq!(run(None, Box::pin(async { 7 }), None), Ok(7));
        let panicking: BoxFuture<u8> = Box::pin(async { panic!("boom") });
        assert_eq!(
            run(None, panicking, None),
            Err(Missing::Panicked("boom".into()))
        );
    }

    #[test]
    fn a_spawner_that_drops_or_never_runs_the_future_is_reported() {
        let dropping: Spawner = Arc::new(drop);
        assert_eq!(
            run(Some(&dropping), Box::pin(async { 1 }), None),
            Err(Missing::Dropped)
        );
        let keeping = Arc::new(std::sync::Mutex::new(Vec::new()));
        let keep = Arc::clone(&keeping);
        let hoarding: Spawner = Arc::new(move |f| keep.lock().expect("lock").push(f));
        let wait = Some(Duration::from_millis(20));
        assert_eq!(
            run(Some(&hoarding), Box::pin(async { 1 }), wait),
            Err(Missing::TimedOut)
        );
    }
}
