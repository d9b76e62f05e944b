//! What the driver needs from an async runtime, in quinn's shape (`quinn/src/runtime/`):
//! a clock, a resettable timer, a way to spawn a task, a check that the runtime can be used
//! here, and file descriptors on its reactor (the child is spawned once for every runtime,
//! in `child`). Each implementation is small; every
//! decision stays in `ampere-core`.

use std::fmt;
use std::fs::File;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::process::{Command, ExitStatus};
use std::task::{Context, Poll};
use std::time::Instant;

use crate::http::HttpTransport;

/// A boxed, sendable future.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// An async runtime (tokio, async-io/smol, ...): its clock, timers, tasks and processes.
pub trait Runtime: Clone + Default + Send + Sync + Unpin + fmt::Debug + 'static {
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

    /// A spawner callable from any thread (the permission handler's and custom tools' host
    /// threads run the caller's async callbacks with it), made here, where the runtime is
    /// usable. Default: [`spawn`](Self::spawn) on a clone of this runtime.
    fn spawner(&self) -> ampere_runtime_common::Spawner {
        let runtime = self.clone();
        std::sync::Arc::new(move |future| runtime.spawn(future))
    }

    /// Whether this runtime can be used from here (tokio: only inside a runtime). The error
    /// says what is wrong; callers report it as their first error.
    fn usable(&self) -> io::Result<()>;

    /// Registers `fd` with the runtime's reactor: a child's pipe end or its pidfd, already
    /// in non-blocking mode (tokio: `AsyncFd`, async-io: `Async`).
    fn register(&self, fd: File) -> io::Result<Pin<Box<dyn ChildFd>>>;

    /// Spawns `command` as built by `ampere_runtime_common` (own process group, environment,
    /// working folder, stdout and stderr piped; stdin piped when `stdin` is true, else
    /// `/dev/null`) with async pipes. Default: a `std::process` spawn whose pipes and
    /// pidfd go to [`register`](Self::register), the same for every runtime (test doubles
    /// replace it).
    fn spawn_child(&self, command: Command, stdin: bool) -> io::Result<Child> {
        crate::child::spawn(self, command, stdin)
    }
}

/// A file descriptor on the runtime's reactor (see [`Runtime::register`]): reads and
/// writes that wait for readiness instead of blocking, as a pipe of either direction.
pub trait ChildFd: PipeRead + PipeWrite {
    /// Ready once the descriptor is readable, without reading (a pidfd: the child exited).
    fn poll_readable(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>>;
}

/// A resettable timer (quinn's `AsyncTimer`).
pub trait AsyncTimer: Send + fmt::Debug {
    /// Fire at `deadline` instead.
    fn reset(self: Pin<&mut Self>, deadline: Instant);
    /// Ready once the deadline has passed.
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()>;
}

/// The read end of a child's stdout or stderr.
pub trait PipeRead: Send {
    /// Reads what is available into `buf` (`Ok(0)` = end of file).
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>>;
}

/// The write end of a child's stdin. Writes go straight to the pipe (no buffering), so
/// dropping it closes stdin with nothing lost.
pub trait PipeWrite: Send {
    /// Writes some of `buf`, returning how much.
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>>;
}

/// A spawned child: its process id (= its process group id), pipes and exit.
pub struct Child {
    /// The process id.
    pub pid: u32,
    /// Its stdin, when piped.
    pub stdin: Option<Pin<Box<dyn PipeWrite>>>,
    /// Its stdout.
    pub stdout: Option<Pin<Box<dyn PipeRead>>>,
    /// Its stderr.
    pub stderr: Option<Pin<Box<dyn PipeRead>>>,
    /// Resolves when the child has exited (and is reaped). Dropping it before then kills the
    /// child where the runtime can (tokio's `kill_on_drop`).
    pub exit: BoxFuture<'static, io::Result<ExitStatus>>,
}

impl fmt::Debug for Child {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Child")
            .field("pid", &self.pid)
            .finish_non_exhaustive()
    }
}

/// Waits until `deadline` on `runtime`'s timer (returns at once if it has passed).
pub async fn sleep_until<R: Runtime>(runtime: &R, deadline: Instant) {
    if runtime.now() >= deadline {
        return;
    }
    let mut timer = runtime.timer(deadline);
    std::future::poll_fn(|cx| timer.as_mut().poll(cx)).await
}
