//! [`TokioRuntime`]: the shared driver's [`Runtime`] on tokio.

use std::fs::File;
use std::future::Future;
use std::io::{self, Read as _, Write as _};
use std::pin::Pin;
use std::task::{ready, Context, Poll};
use std::time::Instant;

use ampere_core::message::UserInputMessage;
use ampere_runtime_async::runtime::{AsyncTimer, BoxFuture, ChildFd, PipeRead, PipeWrite};
use ampere_runtime_async::{IntoPrompt, Prompt, Runtime};

use crate::http::TokioHttp;
use futures_core::Stream;
use tokio::{io::unix::AsyncFd, sync::mpsc};

/// The tokio runtime as ampere's driver sees it: the driver of each execution is a
/// `tokio::spawn`ed task, the child's pipes and pidfd `AsyncFd`s on tokio's reactor, timers
/// `tokio::time::Sleep`, and the clock `tokio::time::Instant` (so paused-time tests move
/// ampere's timeouts too). Usable only from within a Tokio runtime.
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

    fn spawner(&self) -> ampere_runtime_common::Spawner {
        // Captured here: the hosts' threads are outside the runtime.
        match tokio::runtime::Handle::try_current() {
            Ok(handle) => std::sync::Arc::new(move |future| drop(handle.spawn(future))),
            Err(_) => std::sync::Arc::new(|future| drop(tokio::spawn(future))),
        }
    }

    fn usable(&self) -> io::Result<()> {
        tokio::runtime::Handle::try_current()
            .map(drop)
            .map_err(|_| io::Error::other("ampere-tokio must be used from within a Tokio runtime"))
    }

    fn register(&self, fd: File) -> io::Result<Pin<Box<dyn ChildFd>>> {
        // `new` is deprecated for types whose descriptor can change or close under the
        // registration; a `File` owns its descriptor, and the `AsyncFd` owns the `File`.
        // (Its replacement, `register`, is `unsafe` and needs tokio 1.53.3.)
        #[allow(deprecated)]
        let fd = AsyncFd::new(fd)?;
        Ok(Box::pin(Fd(fd)))
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

/// A child's pipe end or pidfd on tokio's reactor.
struct Fd(AsyncFd<File>);

impl Fd {
    /// Runs `io` (on a buffer of `len` bytes) once the descriptor is ready for it: for
    /// writing if `write`, else for reading.
    fn poll_io(
        &self,
        cx: &mut Context<'_>,
        write: bool,
        len: usize,
        mut io: impl FnMut(&File) -> io::Result<usize>,
    ) -> Poll<io::Result<usize>> {
        loop {
            let mut guard = ready!(match write {
                true => self.0.poll_write_ready(cx),
                false => self.0.poll_read_ready(cx),
            })?;
            if let Ok(result) = guard.try_io(|fd| io(fd.get_ref())) {
                // A pipe that gave (took) less than asked is now empty (full): the next call
                // waits for the next edge instead of a read (write) that would block, as
                // tokio's own pipes do (not with mio's level-triggered `poll` fallback).
                #[cfg(not(mio_unsupported_force_poll_poll))]
                if matches!(result, Ok(n) if 0 < n && n < len) {
                    guard.clear_ready();
                }
                return Poll::Ready(result);
            }
        }
    }
}

impl PipeRead for Fd {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        self.poll_io(cx, false, buf.len(), |mut fd| fd.read(buf))
    }
}

impl PipeWrite for Fd {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.poll_io(cx, true, buf.len(), |mut fd| fd.write(buf))
    }
}

impl ChildFd for Fd {
    fn poll_readable(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.0.poll_read_ready(cx).map_ok(drop)
    }
}

impl IntoPrompt<TokioRuntime> for mpsc::Receiver<UserInputMessage> {
    /// Every message sent on the channel is one turn; dropping every sender ends the input.
    fn into_prompt(self) -> Prompt {
        Prompt::stream(ReceiverStream(self))
    }
}

struct ReceiverStream(mpsc::Receiver<UserInputMessage>);

impl Stream for ReceiverStream {
    type Item = UserInputMessage;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.0.poll_recv(cx)
    }
}
