//! [`AsyncStdRuntime`]: the shared driver's [`Runtime`] on async-io.

use std::fs::File;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Once;
use std::task::{ready, Context, Poll};
use std::time::Instant;

use ampere_core::message::UserInputMessage;
use ampere_runtime_async::runtime::{AsyncTimer, BoxFuture, ChildFd, PipeRead, PipeWrite};
use ampere_runtime_async::{IntoPrompt, Prompt, Runtime};

use crate::http::AsyncStdHttp;
use futures_lite::io::{AsyncRead, AsyncWrite};

/// The runtime as ampere's driver sees it under async-std, smol or any executor: the
/// child's pipes and pidfd on `async-io`'s reactor, timers from `async-io`, the system clock, and driver tasks on
/// ampere's own small executor (see below). Usable from anywhere.
///
/// The driver of each execution is a task of one process-wide [`async_executor`], run by a
/// few dedicated threads (as many as the machine has cores, at most 4) inside
/// `async_io::block_on`, so they also drive async-io's reactor. That makes it independent
/// of the caller's executor: it works the same under `async_std::task::block_on`,
/// `smol::block_on`, an `async_executor` or a bare `futures_lite::future::block_on`, and
/// keeps reading the CLI's output and honouring timeouts whatever the consumer does.
#[derive(Debug, Clone, Copy, Default)]
pub struct AsyncStdRuntime;

static EXECUTOR: async_executor::Executor<'static> = async_executor::Executor::new();
static THREADS: Once = Once::new();

fn start_threads() {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get().min(4));
    for i in 0..threads {
        let spawned = std::thread::Builder::new()
            .name(format!("ampere-driver-{i}"))
            .spawn(|| async_io::block_on(EXECUTOR.run(std::future::pending::<()>())));
        if let Err(error) = spawned {
            tracing::error!(target: "ampere", %error, "cannot start an ampere driver thread");
        }
    }
}

impl Runtime for AsyncStdRuntime {
    type Http = AsyncStdHttp;

    fn http_client(&self) -> Result<AsyncStdHttp, String> {
        Ok(AsyncStdHttp::default())
    }

    fn now(&self) -> Instant {
        Instant::now()
    }

    fn timer(&self, deadline: Instant) -> Pin<Box<dyn AsyncTimer>> {
        Box::pin(Timer(async_io::Timer::at(deadline)))
    }

    fn spawn(&self, future: BoxFuture<'static, ()>) {
        THREADS.call_once(start_threads);
        EXECUTOR.spawn(future).detach();
    }

    fn usable(&self) -> io::Result<()> {
        Ok(())
    }

    fn register(&self, fd: File) -> io::Result<Pin<Box<dyn ChildFd>>> {
        let io = async_io::Async::new(fd)?;
        Ok(Box::pin(Fd { io, drained: false }))
    }
}

#[derive(Debug)]
struct Timer(async_io::Timer);

impl AsyncTimer for Timer {
    fn reset(mut self: Pin<&mut Self>, deadline: Instant) {
        self.0.set_at(deadline);
    }

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        Pin::new(&mut self.0).poll(cx).map(drop)
    }
}

/// A child's pipe end or pidfd on async-io's reactor.
struct Fd {
    io: async_io::Async<File>,
    /// The last read gave less than asked: the pipe was left empty.
    drained: bool,
}

impl PipeRead for Fd {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        // After a read that left the pipe empty, the next one waits for readiness first
        // instead of a read that would block (the reactor's interest is level-triggered, so
        // bytes that came in meanwhile make it ready at once), as tokio's own pipes do.
        if self.drained {
            ready!(self.io.poll_readable(cx))?;
            self.drained = false;
        }
        let n = ready!(Pin::new(&mut self.io).poll_read(cx, buf))?;
        self.drained = 0 < n && n < buf.len();
        Poll::Ready(Ok(n))
    }
}

impl PipeWrite for Fd {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write(cx, buf)
    }
}

impl ChildFd for Fd {
    fn poll_readable(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.io.poll_readable(cx)
    }
}

impl IntoPrompt<AsyncStdRuntime> for async_channel::Receiver<UserInputMessage> {
    /// The messages sent into an `async_channel`, until every sender is dropped (or the
    /// channel is closed).
    fn into_prompt(self) -> Prompt {
        Prompt::stream(self)
    }
}
