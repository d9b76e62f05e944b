//! [`TokioRuntime`]: the shared driver's [`Runtime`] on tokio.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::process::{Command, Stdio};
use std::task::{ready, Context, Poll};
use std::time::Instant;

use ampere_core::message::UserInputMessage;
use ampere_runtime_async::runtime::{AsyncTimer, BoxFuture, Child, PipeRead, PipeWrite};
use ampere_runtime_async::{IntoPrompt, Prompt, Runtime};

use crate::http::TokioHttp;
use futures_core::Stream;
use tokio::sync::mpsc;

/// The tokio runtime as ampere's driver sees it: the driver of each execution is a
/// `tokio::spawn`ed task, the child a `tokio::process` child (`kill_on_drop`), timers
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
        match tokio::runtime::Handle::try_current() {
            Ok(_) => Ok(()),
            Err(_) => Err(io::Error::other(
                "ampere-tokio must be used from within a Tokio runtime",
            )),
        }
    }

    fn spawn_child(&self, command: Command, stdin: bool) -> io::Result<Child> {
        let mut command = tokio::process::Command::from(command);
        command.kill_on_drop(true);
        if !stdin {
            command.stdin(Stdio::null());
        }
        let mut child = command.spawn()?;
        if let Some(stdout) = &child.stdout {
            ampere_runtime_common::grow_pipe(stdout);
        }
        let pid = child
            .id()
            .ok_or_else(|| io::Error::other("the child has no pid"))?;
        Ok(Child {
            pid,
            stdin: child.stdin.take().map(|p| Box::pin(Pipe(p)) as _),
            stdout: child.stdout.take().map(|p| Box::pin(Pipe(p)) as _),
            stderr: child.stderr.take().map(|p| Box::pin(Pipe(p)) as _),
            exit: Box::pin(async move { child.wait().await }),
        })
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

/// A tokio pipe as the driver's pipe.
struct Pipe<T>(T);

impl<T: tokio::io::AsyncRead + Send + Unpin> PipeRead for Pipe<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let mut buf = tokio::io::ReadBuf::new(buf);
        ready!(Pin::new(&mut self.0).poll_read(cx, &mut buf))?;
        Poll::Ready(Ok(buf.filled().len()))
    }
}

impl<T: tokio::io::AsyncWrite + Send + Unpin> PipeWrite for Pipe<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.0).poll_write(cx, buf)
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
