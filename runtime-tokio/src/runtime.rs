//! [`TokioRuntime`]: the shared driver's [`Runtime`] on tokio.
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

use crate::http::TokioHttp;

/// The tokio runtime as ampere's driver sees it: timers are `tokio::time::Sleep`, the clock
/// `tokio::time::Instant` (so paused-time tests move ampere's waits too), HTTP one pooled
/// `reqwest` client.
#[derive(Debug, Clone, Copy, Default)]
pub struct TokioRuntime;

impl Runtime for TokioRuntime {
    type Http = TokioHttp;

    fn http_client(&self) -> Result<TokioHttp, String> {
        TokioHttp::new()
    }

    fn now(&self) -> Instant {
        tokio::time::Instant::now().into_std()
    }

    fn timer(&self, deadline: Instant) -> Pin<Box<dyn AsyncTimer>> {
        Box::pin(Timer(Box::pin(tokio::time::sleep_until(deadline.into()))))
    }

    fn spawn(&self, future: BoxFuture<'static, ()>) {
        tokio::spawn(future);
    }
}

#[derive(Debug)]
struct Timer(Pin<Box<tokio::time::Sleep>>);

impl AsyncTimer for Timer {
    fn reset(mut self: Pin<&mut Self>, deadline: Instant) {
        self.0.as_mut().reset(deadline.into());
    }

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        self.0.as_mut().poll(cx)
    }
}
