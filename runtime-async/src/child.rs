//! Spawning the CLI for the async runtimes, written once: a `std::process` spawn (what a
//! plain program does), the pipes and a pidfd registered with the runtime's reactor
//! ([`Runtime::register`]), and the exit read off the pidfd. There is no SIGCHLD handler,
//! no orphan queue and no helper thread on this path (`tokio::process` and
//! `async-process` have the first two, and cost 1.08–1.18× a plain spawn loop on the
//! benchmark). Where no pidfd can be opened (another OS, a kernel before 5.3, `EPERM`,
//! [`use_pidfd`](ampere_runtime_common::use_pidfd)), a waiter thread reaps the child.
//!
//! Dropping the exit future before the child exited kills the child (`SIGKILL`, as
//! tokio's `kill_on_drop`) and leaves its reaping to a thread.

use std::fs::File;
use std::future::Future;
use std::io::{self, Write as _};
use std::pin::Pin;
use std::process::{Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll, Waker};

use ampere_runtime_common::{child_pidfd, grow_pipe, nonblocking};

use crate::runtime::{BoxFuture, Child, ChildFd, PipeRead, PipeWrite, Runtime};

/// Spawns `command` (built by `ampere_runtime_common`: own process group, stdout and
/// stderr piped; stdin piped unless `stdin` is false, then `/dev/null`) with its pipes and
/// exit on `runtime`'s reactor. A failure after the spawn kills and reaps the child.
pub fn spawn<R: Runtime>(runtime: &R, mut command: Command, stdin: bool) -> io::Result<Child> {
    if !stdin {
        command.stdin(Stdio::null());
    }
    let mut child = command.spawn()?;
    if let Some(stdout) = &child.stdout {
        grow_pipe(stdout);
    }
    let pid = child.id();
    let mut wire = || -> io::Result<_> {
        let register = |fd: Option<std::os::fd::OwnedFd>| {
            fd.map(|fd| runtime.register(nonblocking(fd)?)).transpose()
        };
        let stdin = child
            .stdin
            .take()
            .map(|p| nonblocking(p.into()))
            .transpose()?;
        let stdout = register(child.stdout.take().map(Into::into))?;
        let stderr = register(child.stderr.take().map(Into::into))?;
        let pidfd = register(child_pidfd(pid))?;
        Ok((stdin, stdout, stderr, pidfd))
    };
    let (stdin, stdout, stderr, pidfd) = match wire() {
        Ok(wired) => wired,
        Err(e) => return Err(kill_and_reap(child, e)),
    };
    let exit: BoxFuture<'static, io::Result<ExitStatus>> = match pidfd {
        Some(pidfd) => Box::pin(PidfdExit {
            pidfd,
            child: KillOnDrop(Some(child)),
        }),
        None => Box::pin(waiter(child)?),
    };
    Ok(Child {
        pid,
        stdin: stdin.map(|file| {
            Box::pin(Stdin {
                file: Some(file),
                fd: None,
                runtime: runtime.clone(),
            }) as _
        }),
        stdout: stdout.map(|fd| fd as Pin<Box<dyn PipeRead>>),
        stderr: stderr.map(|fd| fd as Pin<Box<dyn PipeRead>>),
        exit,
    })
}

fn kill_and_reap(mut child: std::process::Child, error: io::Error) -> io::Error {
    let _ = child.kill();
    let _ = child.wait();
    error
}

/// The child's stdin: written straight to the pipe, and put on the reactor only once a
/// write would block. A prompt that fits the pipe (the usual case: it is written at once,
/// then stdin is closed) never is, which spares the reactor a registration and its
/// release (tokio wakes a worker for each).
struct Stdin<R> {
    file: Option<File>,
    fd: Option<Pin<Box<dyn ChildFd>>>,
    runtime: R,
}

impl<R: Runtime> PipeWrite for Stdin<R> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        if let Some(mut file) = this.file.as_ref() {
            match file.write(buf) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    if let Some(file) = this.file.take() {
                        this.fd = Some(this.runtime.register(file)?);
                    }
                }
                written => return Poll::Ready(written),
            }
        }
        match this.fd.as_mut() {
            Some(fd) => fd.as_mut().poll_write(cx, buf),
            None => Poll::Ready(Err(io::Error::other("the child's stdin is gone"))),
        }
    }
}

/// The child until it is reaped; dropped earlier, it is killed and reaped by a thread.
struct KillOnDrop(Option<std::process::Child>);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let Some(mut child) = self.0.take() else {
            return;
        };
        if matches!(child.try_wait(), Ok(Some(_))) {
            return;
        }
        let _ = child.kill();
        let reaper = std::thread::Builder::new().name(format!("ampere-reap-{}", child.id()));
        // Without a thread the child stays a zombie until the program exits.
        let _ = reaper.spawn(move || child.wait());
    }
}

/// The exit with a pidfd: readable once the child exited, then reaped without waiting.
struct PidfdExit {
    pidfd: Pin<Box<dyn ChildFd>>,
    child: KillOnDrop,
}

impl Future for PidfdExit {
    type Output = io::Result<ExitStatus>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        std::task::ready!(self.pidfd.as_mut().poll_readable(cx))?;
        let Some(mut child) = self.child.0.take() else {
            return Poll::Ready(Err(io::Error::other("the child was already reaped")));
        };
        Poll::Ready(child.wait())
    }
}

/// The exit without a pidfd, fed by the waiter thread.
#[derive(Default)]
struct Waited {
    /// The child exited (seen with `WNOWAIT`: its pid is not free yet).
    exited: bool,
    status: Option<io::Result<ExitStatus>>,
    waker: Option<Waker>,
}

struct WaiterExit {
    shared: Arc<Mutex<Waited>>,
    pid: u32,
}

/// Starts the thread that reaps `child`; if it cannot start, the child is killed and
/// reaped here.
fn waiter(child: std::process::Child) -> io::Result<WaiterExit> {
    let shared = Arc::new(Mutex::new(Waited::default()));
    let pid = child.id();
    let theirs = Arc::clone(&shared);
    let thread = std::thread::Builder::new().name(format!("ampere-wait-{pid}"));
    let (tx, rx) = std::sync::mpsc::channel::<std::process::Child>();
    let started = thread.spawn(move || {
        let Ok(mut child) = rx.recv() else { return };
        wait_no_reap(child.id());
        lock(&theirs).exited = true;
        let status = child.wait();
        let mut waited = lock(&theirs);
        waited.status = Some(status);
        if let Some(waker) = waited.waker.take() {
            drop(waited);
            waker.wake();
        }
    });
    match started {
        Ok(_) => {
            let _ = tx.send(child); // cannot fail: the thread holds the receiver
            Ok(WaiterExit { shared, pid })
        }
        Err(e) => Err(kill_and_reap(child, e)),
    }
}

fn lock(m: &Mutex<Waited>) -> std::sync::MutexGuard<'_, Waited> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Blocks until the child `pid` exited, leaving it unreaped (so its pid stays ours).
fn wait_no_reap(pid: u32) {
    loop {
        // SAFETY: waitid(2) writes only into `info`, which lives on this stack.
        let rc = unsafe {
            let mut info: libc::siginfo_t = std::mem::zeroed();
            libc::waitid(
                libc::P_PID,
                libc::id_t::from(pid),
                &mut info,
                libc::WEXITED | libc::WNOWAIT,
            )
        };
        if rc == 0 || io::Error::last_os_error().kind() != io::ErrorKind::Interrupted {
            return;
        }
    }
}

impl Future for WaiterExit {
    type Output = io::Result<ExitStatus>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut waited = lock(&self.shared);
        match waited.status.take() {
            Some(status) => Poll::Ready(status),
            None => {
                waited.waker = Some(cx.waker().clone());
                Poll::Pending
            }
        }
    }
}

impl Drop for WaiterExit {
    fn drop(&mut self) {
        let waited = lock(&self.shared);
        if !waited.exited {
            if let Ok(pid) = libc::pid_t::try_from(self.pid) {
                // SAFETY: kill(2) touches no memory; the pid is unreaped, so still ours.
                unsafe { libc::kill(pid, libc::SIGKILL) };
            }
        }
    }
}
