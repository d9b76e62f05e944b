//! The plain loop on each async runtime's own child process, without ampere: what the
//! runtime itself allows (the runtime floors). The same command, the same 64 KiB reads and
//! the same memchr split + `Value` parse as [`drive::plain_as`], with `tokio::process` or
//! `async-process` instead of `std::process`, run as tasks the way [`drive::concurrent`]
//! runs ampere's executions; and with `std::process` plus the runtime's reactor
//! ([`PlainStdio::LikeAmpereReactor`]), the way ampere's async runtimes spawn.

use std::fs::File;
use std::os::fd::OwnedFd;
use std::pin::Pin;
use std::process::Stdio;
use std::task::{ready, Context, Poll};

use futures_lite::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::io::AsyncWriteExt as _;

use crate::drive::{self, Lines, PlainStdio};
use crate::{Ctx, Runtime};

/// Reads `out` to the end (64 KiB at a time), splitting and parsing as every plain loop
/// does; the number of lines.
async fn read_lines(
    mut out: impl futures_lite::AsyncRead + Unpin,
    each: &mut impl FnMut(&serde_json::Value),
) -> Result<u64, String> {
    let mut lines = Lines::new();
    let mut chunk = vec![0u8; 1 << 16];
    loop {
        match out
            .read(&mut chunk)
            .await
            .map_err(|e| format!("read: {e}"))?
        {
            0 => return Ok(lines.count),
            got => lines.feed(&chunk[..got], each)?,
        }
    }
}

/// Reads `pipe` (stderr) to its end.
async fn drain(pipe: impl futures_lite::AsyncRead + Unpin) -> Result<(), String> {
    futures_lite::io::copy(pipe, &mut futures_lite::io::sink())
        .await
        .map(drop)
        .map_err(|e| format!("stderr: {e}"))
}

/// A tokio reader as a `futures` one (for [`read_lines`]).
struct TokioRead<T>(T);

impl<T: tokio::io::AsyncRead + Unpin> futures_lite::AsyncRead for TokioRead<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<std::io::Result<usize>> {
        let mut buf = tokio::io::ReadBuf::new(buf);
        ready!(Pin::new(&mut self.0).poll_read(cx, &mut buf))?;
        Poll::Ready(Ok(buf.filled().len()))
    }
}

/// A child spawned by `std::process` with ampere's stdio, the prompt written (it fits the
/// pipe, as ampere's does), and its stdout, stderr and pidfd taken out, non-blocking.
fn std_spawn(
    ctx: &Ctx,
    mode: &str,
    prompt: Option<&[u8]>,
) -> Result<(std::process::Child, [File; 3]), String> {
    use std::io::Write as _;
    let mut child = drive::plain_command(ctx, PlainStdio::LikeAmpere, mode, prompt.is_some())
        .spawn()
        .map_err(|e| format!("spawn: {e}"))?;
    if let (Some(mut stdin), Some(prompt)) = (child.stdin.take(), prompt) {
        stdin.write_all(prompt).map_err(|e| format!("stdin: {e}"))?;
    }
    let pidfd = ampere_runtime_common::child_pidfd(child.id()).ok_or("no pidfd here")?;
    let stdout: OwnedFd = child.stdout.take().ok_or("no stdout")?.into();
    let stderr: OwnedFd = child.stderr.take().ok_or("no stderr")?.into();
    let file = |fd| ampere_runtime_common::nonblocking(fd).map_err(|e| format!("fcntl: {e}"));
    let files = [file(stdout)?, file(stderr)?, file(pidfd)?];
    Ok((child, files))
}

/// A descriptor on tokio's reactor as a `futures` reader.
struct TokioFd(tokio::io::unix::AsyncFd<File>);

impl TokioFd {
    fn new(file: File) -> Result<Self, String> {
        // A `File` owns its descriptor (what the deprecation is about).
        #[allow(deprecated)]
        let fd = tokio::io::unix::AsyncFd::new(file).map_err(|e| format!("AsyncFd: {e}"))?;
        Ok(TokioFd(fd))
    }
}

impl futures_lite::AsyncRead for TokioFd {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<std::io::Result<usize>> {
        use std::io::Read as _;
        loop {
            let mut guard = ready!(self.0.poll_read_ready(cx))?;
            if let Ok(result) = guard.try_io(|fd| fd.get_ref().read(buf)) {
                return Poll::Ready(result);
            }
        }
    }
}

/// The plain loop spawned as ampere's async runtimes spawn, on tokio.
async fn tokio_reactor_once(
    ctx: &Ctx,
    mode: &str,
    prompt: Option<&[u8]>,
    mut each: impl FnMut(&serde_json::Value),
) -> Result<u64, String> {
    let (mut child, [out, err, pidfd]) = std_spawn(ctx, mode, prompt)?;
    let lines = read_lines(TokioFd::new(out)?, &mut each).await?;
    drain(TokioFd::new(err)?).await?;
    let pidfd = TokioFd::new(pidfd)?;
    let exited = pidfd
        .0
        .readable()
        .await
        .map_err(|e| format!("pidfd: {e}"))?;
    drop(exited);
    drive::exited_well(child.wait())?;
    Ok(lines)
}

/// The plain loop spawned as ampere's async runtimes spawn, on async-io.
async fn async_io_reactor_once(
    ctx: &Ctx,
    mode: &str,
    prompt: Option<&[u8]>,
    mut each: impl FnMut(&serde_json::Value),
) -> Result<u64, String> {
    let on_reactor = |file| async_io::Async::new(file).map_err(|e| format!("Async: {e}"));
    let (mut child, [out, err, pidfd]) = std_spawn(ctx, mode, prompt)?;
    let lines = read_lines(on_reactor(out)?, &mut each).await?;
    drain(on_reactor(err)?).await?;
    let pidfd = on_reactor(pidfd)?;
    pidfd.readable().await.map_err(|e| format!("pidfd: {e}"))?;
    drive::exited_well(child.wait())?;
    Ok(lines)
}

/// One run of the plain loop on tokio.
pub async fn tokio_once(
    ctx: &Ctx,
    stdio: PlainStdio,
    mode: &str,
    prompt: Option<&[u8]>,
    mut each: impl FnMut(&serde_json::Value),
) -> Result<u64, String> {
    if stdio == PlainStdio::LikeAmpereReactor {
        return tokio_reactor_once(ctx, mode, prompt, each).await;
    }
    let command = drive::plain_command(ctx, stdio, mode, prompt.is_some());
    let mut child = tokio::process::Command::from(command)
        .spawn()
        .map_err(|e| format!("spawn: {e}"))?;
    if let (Some(mut stdin), Some(prompt)) = (child.stdin.take(), prompt) {
        stdin
            .write_all(prompt)
            .await
            .map_err(|e| format!("stdin: {e}"))?;
    }
    let out = child.stdout.take().ok_or("no stdout")?;
    let lines = read_lines(TokioRead(out), &mut each).await?;
    if let Some(stderr) = child.stderr.take() {
        drain(TokioRead(stderr)).await?;
    }
    drive::exited_well(child.wait().await)?;
    Ok(lines)
}

/// One run of the plain loop on async-process (async-std's and smol's processes).
pub async fn async_std_once(
    ctx: &Ctx,
    stdio: PlainStdio,
    mode: &str,
    prompt: Option<&[u8]>,
    each: impl FnMut(&serde_json::Value),
) -> Result<u64, String> {
    if stdio == PlainStdio::LikeAmpereReactor {
        return async_io_reactor_once(ctx, mode, prompt, each).await;
    }
    let mut each = each;
    let command = drive::plain_command(ctx, stdio, mode, prompt.is_some());
    let mut command = async_process::Command::from(command);
    // `async_process::Command::from` forgets the std command's stdio settings.
    command
        .stdin(if prompt.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(if stdio.is_ampere_like() {
            Stdio::piped()
        } else {
            Stdio::inherit()
        });
    let mut child = command.spawn().map_err(|e| format!("spawn: {e}"))?;
    if let (Some(mut stdin), Some(prompt)) = (child.stdin.take(), prompt) {
        stdin
            .write_all(prompt)
            .await
            .map_err(|e| format!("stdin: {e}"))?;
    }
    let out = child.stdout.take().ok_or("no stdout")?;
    let lines = read_lines(out, &mut each).await?;
    if let Some(stderr) = child.stderr.take() {
        drain(stderr).await?;
    }
    drive::exited_well(child.status().await)?;
    Ok(lines)
}

/// One run of the plain loop on `runtime`'s processes, from outside any runtime (`Blocking`:
/// [`drive::plain_as`] on this thread).
pub fn once(
    ctx: &Ctx,
    runtime: Runtime,
    stdio: PlainStdio,
    mode: &str,
    prompt: Option<&[u8]>,
    each: impl FnMut(&serde_json::Value),
) -> Result<u64, String> {
    match runtime {
        Runtime::Tokio => ctx
            .tokio
            .block_on(tokio_once(ctx, stdio, mode, prompt, each)),
        Runtime::AsyncStd => {
            async_std::task::block_on(async_std_once(ctx, stdio, mode, prompt, each))
        }
        Runtime::Blocking => drive::plain_as(ctx, stdio, mode, prompt, each),
    }
}

/// Runs the plain loop `n` times at once on `runtime`'s tasks (`Blocking`: `std` threads);
/// the number of lines.
pub fn concurrent(
    ctx: &Ctx,
    runtime: Runtime,
    stdio: PlainStdio,
    mode: &str,
    prompt: Option<&'static [u8]>,
    n: usize,
    each: impl Fn(&serde_json::Value) + Send + Sync + Clone + 'static,
) -> Result<u64, String> {
    let mut total = 0;
    match runtime {
        Runtime::Tokio => {
            let handles: Vec<_> = (0..n)
                .map(|_| {
                    let (ctx, mode, each) = (ctx.clone(), mode.to_string(), each.clone());
                    ctx.tokio.clone().spawn(async move {
                        tokio_once(&ctx, stdio, &mode, prompt, |v| each(v)).await
                    })
                })
                .collect();
            for h in handles {
                total += ctx.tokio.block_on(h).map_err(|e| e.to_string())??;
            }
        }
        Runtime::AsyncStd => {
            let handles: Vec<_> = (0..n)
                .map(|_| {
                    let (ctx, mode, each) = (ctx.clone(), mode.to_string(), each.clone());
                    async_std::task::spawn(async move {
                        async_std_once(&ctx, stdio, &mode, prompt, |v| each(v)).await
                    })
                })
                .collect();
            for h in handles {
                total += async_std::task::block_on(h)?;
            }
        }
        Runtime::Blocking => {
            let handles: Vec<_> = (0..n)
                .map(|_| {
                    let (ctx, mode, each) = (ctx.clone(), mode.to_string(), each.clone());
                    std::thread::spawn(move || {
                        drive::plain_as(&ctx, stdio, &mode, prompt, |v| each(v))
                    })
                })
                .collect();
            for h in handles {
                total += h
                    .join()
                    .map_err(|_| "plain thread panicked".to_string())??;
            }
        }
    }
    Ok(total)
}
