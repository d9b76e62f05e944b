//! [`StdoutPipe`]: the read end of a child's stdout, lent to whichever thread waits on it,
//! and [`WakePipe`], the wake pipe such a wait listens to.
//!
//! The blocking runtime's consumer reads the CLI's stdout itself while it waits for an item
//! (one thread hop per line less: the line is read, decoded and yielded by the thread the
//! pipe woke); the IO thread ([`ChildIo`](crate::ChildIo)) reads it while the consumer is
//! away. The pipe moves between them under the run's lock, so one of them reads it at a
//! time.

use std::fs::File;
use std::io::{self, ErrorKind, PipeReader, PipeWriter, Read, Write};
use std::os::fd::{AsRawFd, RawFd};
use std::sync::Arc;

use ampere_core::run::{Input, IoFailure};

/// Size of one read from the child's stdout.
const STDOUT_CHUNK: usize = 64 * 1024;

/// Wakes the thread blocked in a poll that listens to its [`WakePipe`] (one byte into the
/// pipe). Cheap to clone; waking a thread that is not polling only makes its next poll
/// return at once.
#[derive(Debug, Clone)]
pub struct Waker(Arc<PipeWriter>);

impl Waker {
    /// Wakes the loop. A full wake pipe already holds a wake: nothing is lost.
    pub fn wake(&self) {
        let _ = (&*self.0).write(&[1]);
    }
}

/// A non-blocking pipe that other threads write ([`Waker`]) to end a poll.
#[derive(Debug)]
pub struct WakePipe {
    rx: PipeReader,
    tx: Waker,
}

impl WakePipe {
    /// A new wake pipe (an error: out of file descriptors).
    pub fn new() -> io::Result<WakePipe> {
        let (rx, tx) = io::pipe()?;
        set_nonblocking(&rx)?;
        set_nonblocking(&tx)?;
        Ok(WakePipe {
            rx,
            tx: Waker(Arc::new(tx)),
        })
    }

    /// The handle that wakes a poll on this pipe.
    pub fn waker(&self) -> Waker {
        self.tx.clone()
    }

    pub(crate) fn fd(&self) -> RawFd {
        self.rx.as_raw_fd()
    }

    /// Empties the pipe (after a poll said it was readable).
    pub(crate) fn drain(&self) {
        let mut sink = [0u8; 64];
        while matches!((&self.rx).read(&mut sink), Ok(n) if n > 0) {}
    }
}

/// The result of one read.
#[derive(Debug)]
pub(crate) enum Got {
    Bytes(usize),
    End(Option<IoFailure>),
}

/// One non-blocking read; `None` when nothing is there. An end (or a failure) drops the
/// pipe.
pub(crate) fn read(pipe: &mut Option<File>, buf: &mut [u8]) -> Option<Got> {
    let file = pipe.as_mut()?;
    let got = loop {
        match file.read(buf) {
            Ok(0) => break Got::End(None),
            Ok(n) => return Some(Got::Bytes(n)),
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) if e.kind() == ErrorKind::WouldBlock => return None,
            Err(e) => break Got::End(Some(IoFailure::from(&e))),
        }
    };
    *pipe = None;
    Some(got)
}

pub(crate) fn set_nonblocking(fd: &impl AsRawFd) -> io::Result<()> {
    let fd = fd.as_raw_fd();
    // SAFETY: fcntl(2) on a descriptor the caller owns; no memory is involved.
    let flags = unsafe { libc::fcntl(fd, libc::F_GETFL) };
    // SAFETY: as above.
    if flags < 0 || unsafe { libc::fcntl(fd, libc::F_SETFL, flags | libc::O_NONBLOCK) } < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// The read end of a child's stdout (non-blocking) and what its last read got.
#[derive(Debug)]
pub struct StdoutPipe {
    file: Option<File>,
    buf: Box<[u8]>,
    got: Option<Got>,
}

impl StdoutPipe {
    /// `file` in non-blocking mode; `None` is a stdout that was not piped (it reads as
    /// ended at once).
    pub(crate) fn new(file: Option<File>) -> StdoutPipe {
        StdoutPipe {
            got: file.is_none().then_some(Got::End(None)),
            file,
            buf: vec![0; STDOUT_CHUNK].into_boxed_slice(),
        }
    }

    /// Whether the pipe is still open (its end not read yet).
    pub fn is_open(&self) -> bool {
        self.file.is_some()
    }

    /// The descriptor to poll, when a read is wanted (open, nothing gathered yet).
    pub(crate) fn pollable(&self) -> Option<RawFd> {
        self.file
            .as_ref()
            .filter(|_| self.got.is_none())
            .map(File::as_raw_fd)
    }

    /// One read, once a poll said the pipe is readable.
    pub(crate) fn read_ready(&mut self) {
        self.got = read(&mut self.file, &mut self.buf);
    }

    /// Whether a read gathered something for [`take_input`](Self::take_input).
    pub fn has_input(&self) -> bool {
        self.got.is_some()
    }

    /// Waits until the pipe is readable or `wake` is woken, then reads once. Call it
    /// without the run's lock, then [`take_input`](Self::take_input).
    pub fn wait(&mut self, wake: &WakePipe) {
        if self.got.is_some() {
            return;
        }
        let Some(fd) = self.pollable() else {
            return;
        };
        let slot = |fd: RawFd| libc::pollfd {
            fd,
            events: libc::POLLIN,
            revents: 0,
        };
        let mut fds = [slot(wake.fd()), slot(fd)];
        // SAFETY: `fds` is a valid array of 2 pollfds for the duration of the call.
        let rc = unsafe { libc::poll(fds.as_mut_ptr(), 2, -1) };
        if rc < 0 {
            if io::Error::last_os_error().kind() != ErrorKind::Interrupted {
                // Out of kernel memory: the caller tries again soon rather than spin.
                std::thread::sleep(std::time::Duration::from_millis(1));
            }
            return;
        }
        if fds[0].revents != 0 {
            wake.drain();
        }
        if fds[1].revents != 0 {
            self.read_ready();
        }
    }

    /// Hands what the last read gathered to `f`, as `Stdout` or `StdoutEnd`.
    pub fn take_input(&mut self, f: impl FnOnce(Input<'_>)) {
        match self.got.take() {
            Some(Got::Bytes(n)) => f(Input::Stdout(&self.buf[..n])),
            Some(Got::End(failure)) => f(Input::StdoutEnd(failure)),
            None => {}
        }
    }
}

/// Where a run's stdout is between the consumer and the IO thread: here (`home`), or lent to
/// one of them. At first it is kept for the consumer (no hand-over on its first wait).
#[derive(Debug)]
pub struct StdoutLoan {
    home: Option<StdoutPipe>,
    /// The consumer waits for the IO thread to bring stdout back (or has not read yet).
    want: bool,
    /// The consumer waits on stdout itself.
    reading: bool,
}

impl StdoutLoan {
    /// `stdout` kept for the consumer.
    pub fn new(stdout: Option<StdoutPipe>) -> StdoutLoan {
        StdoutLoan {
            home: stdout,
            want: true,
            reading: false,
        }
    }

    /// The consumer's side: stdout to wait on, if it is here, open and not `paused`.
    /// Otherwise `Err(true)` when the consumer must ask the IO thread for it (wake it).
    pub fn borrow(&mut self, paused: bool, finished: bool) -> Result<StdoutPipe, bool> {
        let open = self.home.as_ref().is_some_and(StdoutPipe::is_open);
        if open && !paused && !finished {
            self.want = false;
            self.reading = true;
            return self.home.take().ok_or(false);
        }
        let ask = self.home.is_none() && !finished;
        self.want |= ask;
        Err(ask)
    }

    /// The consumer's side: back after its wait (dropped if the run is `finished`).
    pub fn give_back(&mut self, stdout: StdoutPipe, finished: bool) {
        self.reading = false;
        if !finished {
            self.home = Some(stdout);
        }
    }

    /// Whether the consumer waits on stdout itself (wake it through its wake pipe).
    pub fn consumer_reading(&self) -> bool {
        self.reading
    }

    /// The consumer will not read (any more); true if it had kept or asked for stdout.
    pub fn release(&mut self) -> bool {
        std::mem::take(&mut self.want)
    }

    /// Whether stdout is here (neither side has it out).
    pub fn is_home(&self) -> bool {
        self.home.is_some()
    }

    /// The IO thread's side: stdout for its next poll, unless the consumer wants it
    /// (`look`: one look before a timeout, whatever the consumer wants).
    pub fn lend(&mut self, look: bool) -> Option<StdoutPipe> {
        if self.want && !look {
            return None;
        }
        self.home.take()
    }

    /// The IO thread's side: back after its poll; true if the consumer waits for it.
    pub fn put_back(&mut self, stdout: StdoutPipe) -> bool {
        self.home = Some(stdout);
        self.want
    }

    /// The run is over: stdout is closed (if it is here).
    pub fn close(&mut self) {
        self.home = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    fn pipe() -> (StdoutPipe, PipeWriter) {
        let (rx, tx) = io::pipe().expect("pipe");
        set_nonblocking(&rx).expect("nonblocking");
        (
            StdoutPipe::new(Some(File::from(std::os::fd::OwnedFd::from(rx)))),
            tx,
        )
    }

    fn taken(stdout: &mut StdoutPipe) -> Option<String> {
        let mut seen = None;
        stdout.take_input(|input| seen = Some(format!("{input:?}")));
        seen
    }

    #[test]
    fn a_wait_reads_what_arrives_and_ends_at_the_end() {
        let (mut stdout, mut tx) = pipe();
        let wake = WakePipe::new().expect("wake pipe");
        let writer = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(50));
            tx.write_all(b"line\n").expect("write");
        });
        stdout.wait(&wake);
        assert!(stdout.has_input());
        assert_eq!(
            taken(&mut stdout).as_deref(),
            Some("Stdout([108, 105, 110, 101, 10])")
        );
        writer.join().expect("writer");
        // The writer is gone: the next wait reads the end and closes the pipe.
        stdout.wait(&wake);
        assert_eq!(taken(&mut stdout).as_deref(), Some("StdoutEnd(None)"));
        assert!(!stdout.is_open());
    }

    #[test]
    fn a_wake_ends_the_wait_without_a_read() {
        let (mut stdout, _tx) = pipe();
        let wake = WakePipe::new().expect("wake pipe");
        let waker = wake.waker();
        let started = Instant::now();
        let t = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(50));
            waker.wake();
        });
        stdout.wait(&wake);
        assert!(started.elapsed() >= Duration::from_millis(40));
        assert!(!stdout.has_input());
        assert!(stdout.is_open());
        t.join().expect("waker");
    }

    #[test]
    fn a_stdout_that_was_not_piped_reads_as_ended() {
        let mut stdout = StdoutPipe::new(None);
        assert!(!stdout.is_open());
        assert_eq!(taken(&mut stdout).as_deref(), Some("StdoutEnd(None)"));
    }
}
