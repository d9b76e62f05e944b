//! Running one execution of the stand-in CLI through each runtime's public API, and the
//! plain-`std` equivalents, with a callback per message.

use std::io::Read;
use std::process::{Command, Stdio};

use ampere_core::message::Message;
use ampere_core::options::AmpOptions;

use crate::standin::MODE_VAR;
use crate::{Ctx, Runtime};

/// The options every execution uses: the stand-in's mode in its environment.
pub fn options(mode: &str) -> AmpOptions {
    AmpOptions::new().env(MODE_VAR, mode)
}

/// Runs one execution of the stand-in in `mode` through `runtime`, calling `each` for
/// every message; the number of messages.
pub fn execution(
    ctx: &Ctx,
    runtime: Runtime,
    mode: &str,
    mut each: impl FnMut(&Message),
) -> Result<u64, String> {
    let mut n = 0u64;
    match runtime {
        Runtime::Tokio => ctx.tokio.block_on(async {
            let amp = ampere_tokio::Amp::builder().cli_path(&ctx.exe).build();
            let mut ex = amp.execute("bench", options(mode));
            while let Some(m) = ex.next().await {
                each(&m.map_err(|e| format!("tokio: {e}"))?);
                n += 1;
            }
            Ok::<_, String>(())
        })?,
        Runtime::AsyncStd => async_std::task::block_on(async {
            let amp = ampere_async_std::Amp::builder().cli_path(&ctx.exe).build();
            let mut ex = amp.execute("bench", options(mode));
            while let Some(m) = ex.next().await {
                each(&m.map_err(|e| format!("async-std: {e}"))?);
                n += 1;
            }
            Ok::<_, String>(())
        })?,
        Runtime::Blocking => {
            let amp = ampere_blocking::Amp::builder().cli_path(&ctx.exe).build();
            for m in amp.execute("bench", options(mode)) {
                each(&m.map_err(|e| format!("blocking: {e}"))?);
                n += 1;
            }
        }
    }
    Ok(n)
}

/// Runs `n` executions at once through `runtime` (tasks on the async runtimes, threads on
/// the blocking one); `each(execution index, message)` for every message.
pub fn concurrent(
    ctx: &Ctx,
    runtime: Runtime,
    mode: &str,
    n: usize,
    each: impl Fn(usize, &Message) + Send + Sync + Clone + 'static,
) -> Result<u64, String> {
    let mut total = 0;
    match runtime {
        Runtime::Tokio => {
            let amp = ampere_tokio::Amp::builder().cli_path(&ctx.exe).build();
            let handles: Vec<_> = (0..n)
                .map(|i| {
                    let (amp, each, opts) = (amp.clone(), each.clone(), options(mode));
                    ctx.tokio.spawn(async move {
                        let mut ex = amp.execute("bench", opts);
                        let mut k = 0u64;
                        while let Some(m) = ex.next().await {
                            each(i, &m.map_err(|e| format!("tokio: {e}"))?);
                            k += 1;
                        }
                        Ok::<_, String>(k)
                    })
                })
                .collect();
            for h in handles {
                total += ctx.tokio.block_on(h).map_err(|e| e.to_string())??;
            }
        }
        Runtime::AsyncStd => {
            let amp = ampere_async_std::Amp::builder().cli_path(&ctx.exe).build();
            let handles: Vec<_> = (0..n)
                .map(|i| {
                    let (amp, each, opts) = (amp.clone(), each.clone(), options(mode));
                    async_std::task::spawn(async move {
                        let mut ex = amp.execute("bench", opts);
                        let mut k = 0u64;
                        while let Some(m) = ex.next().await {
                            each(i, &m.map_err(|e| format!("async-std: {e}"))?);
                            k += 1;
                        }
                        Ok::<_, String>(k)
                    })
                })
                .collect();
            for h in handles {
                total += async_std::task::block_on(h)?;
            }
        }
        Runtime::Blocking => {
            let amp = ampere_blocking::Amp::builder().cli_path(&ctx.exe).build();
            let handles: Vec<_> = (0..n)
                .map(|i| {
                    let (amp, each, opts) = (amp.clone(), each.clone(), options(mode));
                    std::thread::spawn(move || {
                        let mut k = 0u64;
                        for m in amp.execute("bench", opts) {
                            each(i, &m.map_err(|e| format!("blocking: {e}"))?);
                            k += 1;
                        }
                        Ok::<_, String>(k)
                    })
                })
                .collect();
            for h in handles {
                total += h.join().map_err(|_| "thread panicked".to_string())??;
            }
        }
    }
    Ok(total)
}

/// The plain baseline: spawn the stand-in with `std::process`, write `prompt` (if any) and
/// close stdin, read stdout, split it with memchr and parse every line with
/// `serde_json::from_slice::<Value>`; `each` per parsed line. The number of lines.
pub fn plain(
    ctx: &Ctx,
    mode: &str,
    prompt: Option<&[u8]>,
    each: impl FnMut(&serde_json::Value),
) -> Result<u64, String> {
    plain_as(ctx, PlainStdio::Minimal, mode, prompt, each)
}

/// How much of ampere's process set-up the plain loop copies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlainStdio {
    /// stdin (when there is a prompt) and stdout only.
    Minimal,
    /// Also what ampere needs on every execution (and a plain program could skip): the
    /// CLI's two arguments, stderr piped and read to its end (the error taxonomy quotes it),
    /// and the child in its own process group (a timeout kills its whole tree).
    LikeAmpere,
    /// [`LikeAmpere`](Self::LikeAmpere) with one helper thread per execution that drains
    /// stderr and reaps the child, the calling thread joining it: the shape of any driver
    /// that gives each execution a thread of its own (blocking's IO thread), without ampere.
    LikeAmpereReaper,
    /// [`LikeAmpere`](Self::LikeAmpere), spawned the way ampere's async runtimes spawn: by
    /// `std::process`, with the pipes and a pidfd on the runtime's reactor (tokio
    /// `AsyncFd`, async-io `Async`) and the exit read off the pidfd. On blocking's row (std)
    /// it is `LikeAmpere`.
    LikeAmpereReactor,
}

impl PlainStdio {
    /// Whether the set-up is ampere's (arguments, stderr, process group).
    pub fn is_ampere_like(self) -> bool {
        self != PlainStdio::Minimal
    }
}

/// The plain loops' command: the stand-in in `mode`, stdin piped when there is a prompt
/// (else `/dev/null`), stdout piped, and what `stdio` adds.
pub fn plain_command(ctx: &Ctx, stdio: PlainStdio, mode: &str, prompt: bool) -> Command {
    let mut command = Command::new(&ctx.exe);
    command
        .env(MODE_VAR, mode)
        .stdin(if prompt {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped());
    if stdio.is_ampere_like() {
        use std::os::unix::process::CommandExt;
        command
            .args(["--execute", "--stream-json"])
            .stderr(Stdio::piped())
            .process_group(0);
    }
    command
}

/// The plain loops' decoding: memchr split + `serde_json::from_slice::<Value>` per line,
/// over the chunks as they are read.
#[derive(Debug)]
pub struct Lines {
    pending: Vec<u8>,
    /// Lines parsed so far.
    pub count: u64,
}

impl Lines {
    /// No lines yet (room for 1 MiB of a partial line).
    pub fn new() -> Self {
        Lines {
            pending: Vec::with_capacity(1 << 20),
            count: 0,
        }
    }

    /// Splits and parses what `chunk` completes, calling `each` per line.
    pub fn feed(
        &mut self,
        chunk: &[u8],
        each: &mut impl FnMut(&serde_json::Value),
    ) -> Result<(), String> {
        self.pending.extend_from_slice(chunk);
        let mut pos = 0;
        while let Some(i) = memchr::memchr(b'\n', &self.pending[pos..]) {
            let v: serde_json::Value = serde_json::from_slice(&self.pending[pos..pos + i])
                .map_err(|e| format!("baseline parse: {e}"))?;
            each(&v);
            self.count += 1;
            pos += i + 1;
        }
        self.pending.drain(..pos);
        Ok(())
    }
}

/// [`plain`] with the process set-up of `stdio`. With [`PlainStdio::LikeAmpere`], stderr
/// is read after stdout's end: the stand-in writes nothing there, so that cannot block.
/// With [`PlainStdio::LikeAmpereReaper`], a helper thread started after the spawn reads
/// it and reaps the child while this one reads stdout.
pub fn plain_as(
    ctx: &Ctx,
    stdio: PlainStdio,
    mode: &str,
    prompt: Option<&[u8]>,
    mut each: impl FnMut(&serde_json::Value),
) -> Result<u64, String> {
    let mut child = plain_command(ctx, stdio, mode, prompt.is_some())
        .spawn()
        .map_err(|e| format!("spawn: {e}"))?;
    if let (Some(mut stdin), Some(prompt)) = (child.stdin.take(), prompt) {
        use std::io::Write;
        stdin.write_all(prompt).map_err(|e| format!("stdin: {e}"))?;
    }
    let mut out = child.stdout.take().ok_or("no stdout")?;
    // Who drains stderr and reaps: this thread after stdout's end, or a helper from now.
    let end = if stdio == PlainStdio::LikeAmpereReaper {
        Err(std::thread::spawn(move || finish(child)))
    } else {
        Ok(child)
    };
    let mut lines = Lines::new();
    let mut chunk = vec![0u8; 1 << 16];
    loop {
        let got = out.read(&mut chunk).map_err(|e| format!("read: {e}"))?;
        if got == 0 {
            break;
        }
        lines.feed(&chunk[..got], &mut each)?;
    }
    match end {
        Ok(child) => finish(child)?,
        Err(helper) => helper.join().map_err(|_| "the reaper thread panicked")??,
    }
    Ok(lines.count)
}

/// Reads the child's stderr (if piped) to its end, then reaps it.
fn finish(mut child: std::process::Child) -> Result<(), String> {
    if let Some(mut stderr) = child.stderr.take() {
        std::io::copy(&mut stderr, &mut std::io::sink()).map_err(|e| format!("stderr: {e}"))?;
    }
    exited_well(child.wait())
}

/// The plain loops' judgement of the stand-in's exit: waited for, and successful.
pub fn exited_well(status: std::io::Result<std::process::ExitStatus>) -> Result<(), String> {
    match status {
        Ok(status) if status.success() => Ok(()),
        Ok(status) => Err(format!("stand-in exited with {status}")),
        Err(e) => Err(format!("wait: {e}")),
    }
}
