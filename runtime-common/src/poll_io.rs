//! [`ChildIo`]: one child's pipes and exit, multiplexed with `poll(2)` on one thread.
//!
//! The IO of a drive loop that owns a thread but no async runtime: the child's stdout and
//! stderr read ends and its stdin write end in non-blocking mode, a wake pipe that other
//! threads write ([`Waker`]) when they queue work for the loop, and the child's exit through
//! a pidfd (Linux ≥ 5.3). Where no pidfd can be opened (another OS, `ENOSYS`, `EPERM`),
//! [`ChildIo::adopt`] gives the child back, to be reaped by a thread of its own.
//!
//! [`ChildIo::poll`] waits without the run's lock and does the IO that is ready (one read
//! per pipe, the pending write, the reap); [`ChildIo::take_inputs`] then hands what it
//! gathered to core as [`Input`]s, under the lock. Every decision stays in core: the loop
//! only carries out the [`PipeOp`]s it queues ([`ChildIo::apply`]).

use std::collections::VecDeque;
use std::fs::File;
use std::io::{self, ErrorKind, Write};
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::process::Child;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use ampere_core::run::{ExitInfo, Input, IoFailure};

use crate::poll_stdout::{read, set_nonblocking, Got, StdoutPipe, WakePipe, Waker};
use crate::process::exit_info;
use crate::shared::{PipeOp, RunState};

/// Size of one read from the child's stderr (only a bounded tail is kept).
const STDERR_CHUNK: usize = 16 * 1024;

/// Whether [`child_pidfd`] opens pidfds (tests turn it off, see [`use_pidfd`]).
static PIDFD: AtomicBool = AtomicBool::new(true);

/// Tests only: `false` makes every later [`child_pidfd`] (so [`ChildIo::new`] and the async
/// runtimes' spawns) behave as if the OS had no pidfds, so the child is reaped by a waiter
/// thread (the fallback path).
#[doc(hidden)]
pub fn use_pidfd(on: bool) {
    PIDFD.store(on, Ordering::Relaxed);
}

/// The child's pipes and exit, and what the last [`poll`](ChildIo::poll) gathered.
#[derive(Debug)]
pub struct ChildIo {
    /// Stdout while it is here (see [`take_stdout`](Self::take_stdout)).
    stdout: Option<StdoutPipe>,
    stderr: Option<File>,
    stdin: Option<File>,
    pidfd: Option<OwnedFd>,
    /// The child, once adopted (only with a pidfd).
    child: Option<Child>,
    wake: WakePipe,
    /// Stdout is not read (backpressure).
    paused: bool,
    /// Writes and closes of stdin, in order; the front write is in progress.
    stdin_ops: VecDeque<PipeOp>,
    /// How much of the front write is written.
    written: usize,
    err_buf: Box<[u8]>,
    // Gathered by `poll`, handed over by `take_inputs`.
    err: Option<Got>,
    write_done: Option<Result<(), IoFailure>>,
    exit: Option<Result<ExitInfo, IoFailure>>,
}

impl ChildIo {
    /// Takes the child's piped stdio (non-blocking from now on; a pipe that is not there
    /// is reported as ended), opens the wake pipe and, where the OS has them, a pidfd for
    /// the child's exit. An error (out of file descriptors) leaves the child to the caller.
    pub fn new(child: &mut Child) -> io::Result<ChildIo> {
        let wake = WakePipe::new()?;
        if let Some(stdout) = &child.stdout {
            crate::grow_pipe(stdout);
        }
        let stdout = child
            .stdout
            .take()
            .map(|p| nonblocking(p.into()))
            .transpose()?;
        let stderr = child
            .stderr
            .take()
            .map(|p| nonblocking(p.into()))
            .transpose()?;
        let stdin = child
            .stdin
            .take()
            .map(|p| nonblocking(p.into()))
            .transpose()?;
        let ended = |pipe: &Option<File>| pipe.is_none().then_some(Got::End(None));
        Ok(ChildIo {
            err: ended(&stderr),
            stdout: Some(StdoutPipe::new(stdout)),
            stderr,
            stdin,
            pidfd: child_pidfd(child.id()),
            child: None,
            wake,
            paused: false,
            stdin_ops: VecDeque::new(),
            written: 0,
            err_buf: vec![0; STDERR_CHUNK].into_boxed_slice(),
            write_done: None,
            exit: None,
        })
    }

    /// The handle that wakes [`poll`](Self::poll) from other threads.
    pub fn waker(&self) -> Waker {
        self.wake.waker()
    }

    /// Lends stdout out (to a consumer that reads it while it waits): until it is put
    /// back, [`poll`](Self::poll) does not read it.
    pub fn take_stdout(&mut self) -> Option<StdoutPipe> {
        self.stdout.take()
    }

    /// Puts stdout back (what it gathered is handed over by the next
    /// [`take_inputs`](Self::take_inputs)).
    pub fn put_stdout(&mut self, stdout: StdoutPipe) {
        self.stdout = Some(stdout);
    }

    /// Whether core has paused stdout (backpressure).
    pub fn is_paused(&self) -> bool {
        self.paused
    }

    /// Hands the child to the loop, which reaps it once its pidfd says it exited. Without a
    /// pidfd the child comes back: reap it on a thread of its own (`Child::wait`) and feed
    /// its exit to core.
    pub fn adopt(&mut self, child: Child) -> Option<Child> {
        if self.pidfd.is_none() {
            return Some(child);
        }
        self.child = Some(child);
        None
    }

    /// Carries out one pipe operation of core's; true on [`PipeOp::Finished`] (the caller
    /// stops driving and drops `self`, which closes every pipe).
    pub fn apply(&mut self, op: PipeOp) -> bool {
        match op {
            PipeOp::PauseStdout => self.paused = true,
            PipeOp::ResumeStdout => self.paused = false,
            PipeOp::Finished => return true,
            op => {
                self.stdin_ops.push_back(op);
                self.close_stdin_if_next();
            }
        }
        false
    }

    /// Drops stdin if the next stdin operation is its close (no write before it).
    fn close_stdin_if_next(&mut self) {
        while self.stdin_ops.front() == Some(&PipeOp::CloseStdin) {
            self.stdin_ops.pop_front();
            self.stdin = None;
        }
    }

    /// Carries out `rs`'s first stdin operations here and now (the prompt, and the close
    /// behind it), as far as the pipe takes them without waiting, feeding each result to
    /// `rs`; the rest is left to [`poll`](Self::poll). For the thread that spawns the
    /// child, before the loop's thread exists: a CLI that starts faster than a new thread
    /// first runs (on the benchmark VM a new thread waits 30 µs to 1 ms for a CPU, perf
    /// sched) does not wait on stdin for it.
    pub fn write_prompt(&mut self, rs: &mut RunState) {
        loop {
            while let Some(op) = rs.take_stdin_op() {
                self.apply(op); // a stdin operation never ends the run
            }
            self.write_stdin();
            if !self.has_inputs() {
                return;
            }
            self.take_inputs(|input| rs.handle(input, Instant::now()));
        }
    }

    /// Whether the last poll gathered anything for [`take_inputs`](Self::take_inputs).
    pub fn has_inputs(&self) -> bool {
        self.stdout.as_ref().is_some_and(StdoutPipe::has_input)
            || self.err.is_some()
            || self.write_done.is_some()
            || self.exit.is_some()
    }

    /// Waits until a pipe is ready, the child exited, the [`Waker`] was woken or `deadline`
    /// passed (at once if inputs are waiting), then does the IO that is ready: one read
    /// from each readable pipe (stdout only when not paused, and not while it is lent out
    /// by [`take_stdout`](Self::take_stdout)), as much of the pending stdin
    /// write as the pipe takes, the reap. Call it without the run's lock, then
    /// [`take_inputs`](Self::take_inputs).
    pub fn poll(&mut self, deadline: Option<Instant>) {
        self.write_stdin();
        let idle = |fd: RawFd| libc::pollfd {
            fd,
            events: libc::POLLIN,
            revents: 0,
        };
        // Fixed slots: 0 wake, 1 stdout, 2 stderr, 3 stdin, 4 exit; poll(2) skips fd -1.
        let mut fds = [idle(-1); 5];
        fds[0] = idle(self.wake.fd());
        let fd = |pipe: &Option<File>, on: bool| pipe.as_ref().filter(|_| on).map(File::as_raw_fd);
        let out = self.stdout.as_ref().filter(|_| !self.paused);
        fds[1].fd = out.and_then(StdoutPipe::pollable).unwrap_or(-1);
        fds[2].fd = fd(&self.stderr, self.err.is_none()).unwrap_or(-1);
        let writing = self.write_done.is_none() && self.stdin_ops.front().is_some();
        if let Some(stdin) = fd(&self.stdin, writing) {
            fds[3] = libc::pollfd {
                fd: stdin,
                events: libc::POLLOUT,
                revents: 0,
            };
        }
        if self.child.is_some() && self.exit.is_none() {
            fds[4].fd = self.pidfd.as_ref().map_or(-1, AsRawFd::as_raw_fd);
        }
        let busy = self.has_inputs();
        loop {
            let timeout = if busy { 0 } else { timeout_ms(deadline) };
            // SAFETY: `fds` is a valid array of 5 pollfds for the duration of the call.
            let rc = unsafe { libc::poll(fds.as_mut_ptr(), 5, timeout) };
            if rc >= 0 {
                break;
            }
            if io::Error::last_os_error().kind() != ErrorKind::Interrupted {
                // Out of kernel memory: try again soon rather than spin.
                std::thread::sleep(Duration::from_millis(1));
                return;
            }
        }
        let ready = |slot: usize| fds[slot].revents != 0;
        if ready(0) {
            self.wake.drain();
        }
        if ready(1) {
            if let Some(stdout) = self.stdout.as_mut() {
                stdout.read_ready();
            }
        }
        if ready(2) {
            self.err = read(&mut self.stderr, &mut self.err_buf);
        }
        if ready(3) {
            self.write_stdin();
        }
        if ready(4) {
            self.reap();
        }
    }

    /// Hands each input the last poll gathered to `f`, in order: stdout, stderr, the
    /// result of a stdin write, the exit.
    pub fn take_inputs(&mut self, mut f: impl FnMut(Input<'_>)) {
        if let Some(stdout) = self.stdout.as_mut() {
            stdout.take_input(&mut f);
        }
        match self.err.take() {
            Some(Got::Bytes(n)) => f(Input::Stderr(&self.err_buf[..n])),
            Some(Got::End(failure)) => f(Input::StderrEnd(failure)),
            None => {}
        }
        if let Some(result) = self.write_done.take() {
            f(Input::StdinWritten(result));
        }
        match self.exit.take() {
            Some(Ok(exit)) => f(Input::Exited(exit)),
            Some(Err(failure)) => f(Input::WaitFailed(failure)),
            None => {}
        }
    }

    /// Writes as much of the front stdin write as the pipe takes; a finished write (or a
    /// failed one: `EPIPE` and the rest, as `write_all` would report them) is gathered, one
    /// at a time, and a close queued behind it is carried out.
    fn write_stdin(&mut self) {
        let Some(PipeOp::Write(bytes)) = self.stdin_ops.front() else {
            return;
        };
        if self.write_done.is_some() {
            return;
        }
        let result = loop {
            let Some(stdin) = self.stdin.as_mut() else {
                break Err(ErrorKind::BrokenPipe.into());
            };
            let Some(rest) = bytes.get(self.written..).filter(|r| !r.is_empty()) else {
                break Ok(());
            };
            match stdin.write(rest) {
                Ok(0) => break Err(ErrorKind::WriteZero.into()),
                Ok(n) => self.written += n,
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) if e.kind() == ErrorKind::WouldBlock => return,
                Err(e) => break Err(e),
            }
        };
        self.stdin_ops.pop_front();
        self.written = 0;
        self.write_done = Some(result.map_err(|e: io::Error| IoFailure::from(&e)));
        self.close_stdin_if_next();
    }

    /// Reaps the child once its pidfd is readable.
    fn reap(&mut self) {
        let Some(child) = self.child.as_mut() else {
            return;
        };
        self.exit = match child.try_wait() {
            Ok(Some(status)) => Some(Ok(exit_info(status))),
            Ok(None) => return,
            Err(e) => Some(Err(IoFailure::from(&e))),
        };
        self.pidfd = None;
    }
}

/// The poll timeout until `deadline`, rounded up so that the wait never ends before it.
fn timeout_ms(deadline: Option<Instant>) -> libc::c_int {
    let Some(deadline) = deadline else {
        return -1;
    };
    let left = deadline.saturating_duration_since(Instant::now());
    libc::c_int::try_from(left.as_nanos().div_ceil(1_000_000)).unwrap_or(libc::c_int::MAX)
}

/// A pidfd for the child `pid` (close-on-exec, readable once it has exited), or `None`
/// where the OS has none (another OS, a kernel before 5.3, `EPERM`) or tests turned them
/// off ([`use_pidfd`]): the caller then reaps the child on a waiter thread.
pub fn child_pidfd(pid: u32) -> Option<OwnedFd> {
    PIDFD
        .load(Ordering::Relaxed)
        .then(|| pidfd_open(pid))
        .flatten()
}

/// `fd` (a child's pipe end or pidfd) as a file in non-blocking mode.
pub fn nonblocking(fd: OwnedFd) -> io::Result<File> {
    set_nonblocking(&fd)?;
    Ok(File::from(fd))
}

/// A pidfd for the child `pid` (close-on-exec), or `None` where the OS has none.
#[cfg(target_os = "linux")]
fn pidfd_open(pid: u32) -> Option<OwnedFd> {
    use std::os::fd::FromRawFd;
    let pid = libc::pid_t::try_from(pid).ok()?;
    // SAFETY: pidfd_open(2) takes a pid and flags and touches no memory of ours.
    let rc = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) };
    let fd = RawFd::try_from(rc).ok().filter(|fd| *fd >= 0)?;
    // SAFETY: the kernel just returned `fd` to us; nothing else owns it.
    Some(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// A pidfd for the child `pid`, or `None` where the OS has none.
#[cfg(not(target_os = "linux"))]
fn pidfd_open(_pid: u32) -> Option<OwnedFd> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::{Command, Stdio};

    fn spawn(script: &str) -> (ChildIo, Child) {
        let mut child = Command::new("sh")
            .args(["-c", script])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn sh");
        let io = ChildIo::new(&mut child).expect("child io");
        (io, child)
    }

    /// What the loop saw: stdout, stderr, and every other input in order.
    #[derive(Default, Debug)]
    struct Seen {
        out: Vec<u8>,
        err: Vec<u8>,
        events: Vec<String>,
    }

    impl Seen {
        fn take(&mut self, io: &mut ChildIo) {
            io.take_inputs(|input| match input {
                Input::Stdout(b) => self.out.extend_from_slice(b),
                Input::Stderr(b) => self.err.extend_from_slice(b),
                other => self.events.push(format!("{other:?}")),
            });
        }

        fn exited(&self) -> bool {
            self.events.iter().any(|e| e.starts_with("Exited"))
        }
    }

    /// Polls until the exit and both ends were seen (the waiter thread reaps without a
    /// pidfd, as the blocking runtime does).
    fn run_to_end(io: &mut ChildIo, child: Child) -> Seen {
        let waiter = io
            .adopt(child)
            .map(|mut c| std::thread::spawn(move || c.wait()));
        let mut seen = Seen::default();
        let deadline = Instant::now() + Duration::from_secs(20);
        while !(seen.exited() || waiter.is_some())
            || !seen.events.iter().any(|e| e.starts_with("StdoutEnd"))
            || !seen.events.iter().any(|e| e.starts_with("StderrEnd"))
        {
            assert!(Instant::now() < deadline, "no end: {seen:?}");
            io.poll(Some(deadline));
            seen.take(io);
        }
        if let Some(waiter) = waiter {
            let status = waiter.join().expect("waiter").expect("wait");
            seen.events
                .push(format!("{:?}", Input::Exited(exit_info(status))));
        }
        seen
    }

    fn both_ways(f: impl Fn()) {
        f();
        use_pidfd(false);
        f();
        use_pidfd(true);
    }

    #[test]
    fn writes_reads_and_reaps() {
        both_ways(|| {
            let (mut io, child) = spawn("cat; echo oops >&2; exit 3");
            assert!(!io.apply(PipeOp::Write(b"hello\n".to_vec())));
            assert!(!io.apply(PipeOp::CloseStdin));
            let seen = run_to_end(&mut io, child);
            assert_eq!(seen.out, b"hello\n");
            assert_eq!(seen.err, b"oops\n");
            assert_eq!(
                seen.events.first().map(String::as_str),
                Some("StdinWritten(Ok(()))")
            );
            assert!(
                seen.events.iter().any(|e| e.contains("code: Some(3)")),
                "{seen:?}"
            );
        });
    }

    #[test]
    fn a_big_write_goes_out_in_pieces() {
        // More than a pipe holds: written as the child reads, reported once.
        let (mut io, child) = spawn("wc -c");
        let _ = io.apply(PipeOp::Write(vec![b'x'; 1 << 20]));
        let _ = io.apply(PipeOp::CloseStdin);
        let seen = run_to_end(&mut io, child);
        assert_eq!(String::from_utf8_lossy(&seen.out).trim(), "1048576");
        let written: Vec<_> = seen
            .events
            .iter()
            .filter(|e| e.starts_with("StdinW"))
            .collect();
        assert_eq!(written, ["StdinWritten(Ok(()))"]);
    }

    #[test]
    fn write_stdin_writes_without_a_poll() {
        // A short write goes out and is reported at once, and the close behind it is done
        // (`cat` ends); a write bigger than the pipe leaves the rest to `poll`.
        let (mut io, child) = spawn("cat");
        let _ = io.apply(PipeOp::Write(b"hi\n".to_vec()));
        let _ = io.apply(PipeOp::CloseStdin);
        io.write_stdin();
        assert!(io.has_inputs());
        let mut seen = Seen::default();
        seen.take(&mut io);
        assert_eq!(seen.events, ["StdinWritten(Ok(()))"]);
        assert!(
            io.stdin.is_none(),
            "the close behind the write is carried out"
        );
        let seen = run_to_end(&mut io, child);
        assert_eq!(seen.out, b"hi\n");

        // The child reads nothing for 0.3 s: the pipe fills first.
        let (mut io, child) = spawn("sleep 0.3; wc -c");
        let _ = io.apply(PipeOp::Write(vec![b'x'; 1 << 20]));
        let _ = io.apply(PipeOp::CloseStdin);
        io.write_stdin();
        assert!(
            !io.has_inputs(),
            "a write that does not fit is not done yet"
        );
        let seen = run_to_end(&mut io, child);
        assert_eq!(String::from_utf8_lossy(&seen.out).trim(), "1048576");
        assert_eq!(
            seen.events.first().map(String::as_str),
            Some("StdinWritten(Ok(()))")
        );
    }

    #[test]
    fn writing_to_a_gone_reader_is_a_broken_pipe() {
        let (mut io, child) = spawn("exec 0<&-; exec sleep 0.2");
        std::thread::sleep(Duration::from_millis(100));
        let _ = io.apply(PipeOp::Write(vec![b'x'; 1 << 20]));
        let seen = run_to_end(&mut io, child);
        assert!(
            seen.events
                .iter()
                .any(|e| e.starts_with("StdinWritten(Err") && e.contains("BrokenPipe")),
            "{seen:?}"
        );
    }

    #[test]
    fn paused_stdout_is_not_read_until_resumed() {
        let (mut io, mut child) = spawn("echo one; exec sleep 5");
        let _ = io.apply(PipeOp::PauseStdout);
        let until = Instant::now() + Duration::from_millis(300);
        let mut seen = Seen::default();
        while Instant::now() < until {
            io.poll(Some(until));
            seen.take(&mut io);
        }
        assert!(seen.out.is_empty(), "read while paused: {seen:?}");
        let _ = io.apply(PipeOp::ResumeStdout);
        let until = Instant::now() + Duration::from_secs(20);
        while seen.out.is_empty() && Instant::now() < until {
            io.poll(Some(until));
            seen.take(&mut io);
        }
        assert_eq!(seen.out, b"one\n");
        let _ = child.kill();
        let _ = child.wait();
    }

    #[test]
    fn the_waker_and_the_deadline_end_the_wait() {
        let (mut io, mut child) = spawn("exec sleep 5");
        let waker = io.waker();
        let started = Instant::now();
        let wake = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(100));
            waker.wake();
            waker.wake(); // a second wake before the poll drains is harmless
        });
        io.poll(None);
        assert!(started.elapsed() >= Duration::from_millis(90));
        assert!(!io.has_inputs());
        wake.join().expect("waker");
        io.poll(Some(Instant::now())); // drains a wake written after the first poll
        let started = Instant::now();
        io.poll(Some(started + Duration::from_millis(50)));
        assert!(started.elapsed() >= Duration::from_millis(50));
        assert!(!io.has_inputs());
        let _ = child.kill();
        let _ = child.wait();
    }
}
