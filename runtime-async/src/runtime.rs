//! What the driver needs from an async runtime.
//!
//! Extend this trait (for the child process with async pipes, the HTTP transport, ...) as
//! the driver needs it; keep each implementation small.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

use crate::http::HttpTransport;

/// A boxed, sendable future.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// An async runtime (tokio, async-io/smol, ...): its clock, timers, tasks and HTTP client.
pub trait Runtime: Clone + Default + Send + Sync + fmt::Debug + 'static {
    /// The runtime's HTTP client for Zamp actions (see [`HttpTransport`]).
    type Http: HttpTransport;

    /// A new pooled HTTP client (each `ActionExecutor` holds one). `Err` says why none could
    /// be set up; every action of that executor then fails with that text.
    fn http_client(&self) -> Result<Self::Http, String>;

    /// The runtime's clock (tokio: `tokio::time::Instant::now()`, so paused-time tests work).
    fn now(&self) -> Instant;

    /// A timer that fires at `deadline`.
    fn timer(&self, deadline: Instant) -> Pin<Box<dyn AsyncTimer>>;

    /// Runs `future` to completion in the background.
    fn spawn(&self, future: BoxFuture<'static, ()>);
}

/// A resettable timer (quinn's `AsyncTimer`).
pub trait AsyncTimer: Send + fmt::Debug {
    /// Fire at `deadline` instead.
    fn reset(self: Pin<&mut Self>, deadline: Instant);
    /// Ready once the deadline has passed.
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()>;
}

/// Waits until `deadline` on `runtime`'s timer (returns at once if it has passed).
pub async fn sleep_until<R: Runtime>(runtime: &R, deadline: Instant) {
    if runtime.now() >= deadline {
        return;
    }
    let mut timer = runtime.timer(deadline);
    std::future::poll_fn(|cx| timer.as_mut().poll(cx)).await
}
