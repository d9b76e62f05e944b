//! [`AsyncStdRuntime`]: the shared driver's [`Runtime`] on async-io (async-std, smol, any
//! executor).
//!
//! (The actions branch's minimal version: clock, timer, tasks and the HTTP client. The agent
//! driver adds the process side; on merge, keep that version and its `type Http` /
//! `http_client` lines from here.)

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

use ampere_runtime_async::runtime::{AsyncTimer, BoxFuture};
use ampere_runtime_async::Runtime;

use crate::http::AsyncStdHttp;

/// async-io as ampere's driver sees it: timers are [`async_io::Timer`], the clock
/// `std::time::Instant`, HTTP one pooled `ureq` agent on the `blocking` pool.
#[derive(Debug, Clone, Copy, Default)]
pub struct AsyncStdRuntime;

impl Runtime for AsyncStdRuntime {
    type Http = AsyncStdHttp;

    fn http_client(&self) -> Result<AsyncStdHttp, String> {
        Ok(AsyncStdHttp::new())
    }

    fn now(&self) -> Instant {
        Instant::now()
    }

    fn timer(&self, deadline: Instant) -> Pin<Box<dyn AsyncTimer>> {
        Box::pin(Timer(async_io::Timer::at(deadline)))
    }

    fn spawn(&self, future: BoxFuture<'static, ()>) {
        blocking::unblock(move || async_io::block_on(future)).detach();
    }
}

#[derive(Debug)]
struct Timer(async_io::Timer);

impl AsyncTimer for Timer {
    fn reset(mut self: Pin<&mut Self>, deadline: Instant) {
        self.0.set_at(deadline);
    }

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        Pin::new(&mut self.0).poll(cx).map(|_| ())
    }
}
