//! One running Amp CLI, driven by core's [`AgentRun`] from the caller's thread.
//!
//! Threads owned here only move bytes and report what happened, all into one channel:
//! stdout is read in 64 KiB chunks, stderr is always drained (so a chatty CLI never blocks
//! on a full pipe), stdin is written (the text prompt, or each user message as the
//! caller's iterator yields it) and closed, and one thread waits for the exit. The
//! iterator drains [`AgentRun::poll_output`], and when the machine needs input it waits on
//! the channel until the machine's next deadline, then feeds whatever came (or the
//! timeout) back with the current instant. Every decision is the core's.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStderr, ChildStdin, ChildStdout, ExitStatus};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use ampere_core::message::{Message, UserInputMessage};
use ampere_core::options::AmpOptions;
use ampere_core::plan::{PromptKind, StdinPlan};
use ampere_core::run::{AgentError, AgentRun, ExitInfo, RunConfig, RunOutput, Signal};
use ampere_runtime_common::{
    exit_info, is_ignorable_stdin_error, prepare_execution, signal_group, CliSettings, PrivateDir,
};

/// Size of one read from the child's stdout or stderr.
pub(crate) const READ_CHUNK: usize = 64 * 1024;

/// The prompt of one execution: one text, or a stream of user messages.
///
/// ```
/// use ampere_blocking::{create_user_message, Prompt};
///
/// let text: Prompt = "What files are in this directory?".into();
/// let (tx, rx) = std::sync::mpsc::channel();
/// tx.send(create_user_message("Start analyzing the codebase")).unwrap();
/// let stream = Prompt::messages(rx); // ends when every sender is dropped
/// # drop((text, stream));
/// ```
pub enum Prompt {
    /// One text prompt: written to the CLI's stdin followed by `\n`, then stdin is closed.
    Text(String),
    /// A stream of user messages (`--stream-json-input`): each one is written as one JSON
    /// line as the iterator yields it, on a thread of its own; stdin is closed when the
    /// iterator ends. Build it with [`Prompt::messages`].
    Messages(Box<dyn Iterator<Item = UserInputMessage> + Send + 'static>),
}

impl Prompt {
    /// A streamed prompt from any iterable of user messages that can move to another
    /// thread, such as a `Vec`, an iterator adapter, or a [`std::sync::mpsc::Receiver`]
    /// (the input then ends when every sender is dropped).
    ///
    /// The iterator is consumed on a thread the execution owns. If it blocks forever
    /// (a channel whose sender is never dropped), that thread stays blocked in it after
    /// the execution has ended; nothing else is held up.
    pub fn messages<I>(messages: I) -> Prompt
    where
        I: IntoIterator<Item = UserInputMessage>,
        I::IntoIter: Send + 'static,
    {
        Prompt::Messages(Box::new(messages.into_iter()))
    }

    fn kind(&self) -> PromptKind {
        match self {
            Prompt::Text(text) => PromptKind::Text(text.clone()),
            Prompt::Messages(_) => PromptKind::Stream,
        }
    }
}

impl std::fmt::Debug for Prompt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Prompt::Text(text) => f.debug_tuple("Text").field(text).finish(),
            Prompt::Messages(_) => f.write_str("Messages(..)"),
        }
    }
}

impl From<&str> for Prompt {
    fn from(text: &str) -> Self {
        Prompt::Text(text.to_string())
    }
}

impl From<String> for Prompt {
    fn from(text: String) -> Self {
        Prompt::Text(text)
    }
}

impl From<&String> for Prompt {
    fn from(text: &String) -> Self {
        Prompt::Text(text.clone())
    }
}

/// An event and when it happened (the IO thread's clock right after the read or wait
/// returned). Events are fed with that instant, so a consumer that is slow to call `next`
/// does not make the CLI look silent (idle) while its output waits in the channel.
type Stamped = (Instant, Event);

fn stamp(event: Event) -> Stamped {
    (Instant::now(), event)
}

/// What the IO threads report.
enum Event {
    Stdout(Vec<u8>),
    StdoutEof,
    StdoutFailed(std::io::Error),
    Stderr(Vec<u8>),
    StderrEof,
    Exited(ExitStatus),
    WaitFailed(std::io::Error),
    StdinFailed(std::io::Error),
}

/// One step of the drive loop, as the public iterators see it.
pub(crate) enum Step {
    /// A message, or a recoverable error for one stdout line.
    Item(Result<Message, AgentError>),
    /// The error that ended the run (after every message).
    Final(AgentError),
}

/// The running side of an execution: the core machine, the event channel, the child's
/// process group and the private folder.
struct Driver {
    run: AgentRun,
    events: Receiver<Stamped>,
    /// An event taken from the channel but not fed yet (a deadline came before it).
    lookahead: Option<Stamped>,
    pid: u32,
    /// Set by the waiter thread as soon as the child is reaped: the pid (and group id) may
    /// be reused from then on, so no signal is sent any more.
    reaped: Arc<AtomicBool>,
    private_dir: Option<PrivateDir>,
    /// The last deadline fed to `handle_timeout` because it had passed (livelock guard).
    last_fired: Option<Instant>,
    /// Whether the IO threads' channel is closed (every sender gone).
    disconnected: bool,
}

impl Driver {
    /// Runs the loop until the next thing for the caller; `None` once the run is over.
    fn next_step(&mut self) -> Option<Step> {
        loop {
            if let Some(step) = self.drain() {
                return step;
            }
            self.wait_and_feed();
        }
    }

    /// Drains the machine's outputs, carrying out signals. `Some(step)` is something for
    /// the caller (`Some(None)`: the run is over); `None` means the machine needs input.
    fn drain(&mut self) -> Option<Option<Step>> {
        while let Some(out) = self.run.poll_output() {
            match out {
                RunOutput::Item(item) => return Some(Some(Step::Item(item))),
                RunOutput::Signal(signal) => self.signal(signal),
                RunOutput::Finished(outcome) => {
                    self.cleanup();
                    return Some(outcome.err().map(Step::Final));
                }
            }
        }
        if self.run.is_finished() {
            self.cleanup();
            return Some(None);
        }
        None
    }

    fn signal(&self, signal: Signal) {
        // After the reap only the core's leftover-group SIGKILL is sent: the group id stays
        // valid while members remain, and a gone group is not an error.
        if self.reaped.load(Ordering::SeqCst) && signal != Signal::Kill {
            return;
        }
        tracing::debug!(target: "ampere", pid = self.pid, ?signal, "signalling the Amp CLI's process group");
        if let Err(e) = signal_group(self.pid, signal) {
            tracing::warn!(target: "ampere", pid = self.pid, ?signal, error = %e, "could not signal the Amp CLI");
        }
    }

    /// Feeds the machine whichever comes first: the next event or its next deadline
    /// (waiting for one of them if neither is due), with the instant it happened.
    ///
    /// Events that happened before a passed deadline are fed before it fires, so output
    /// that arrived in time but waited in the channel (a slow consumer) counts as in time.
    fn wait_and_feed(&mut self) {
        let now = Instant::now();
        let deadline = self.run.poll_timeout();
        let next = match self.lookahead.take() {
            Some(stamped) => Some(stamped),
            None if self.disconnected => None,
            None => match self.events.try_recv() {
                Ok(stamped) => Some(stamped),
                Err(mpsc::TryRecvError::Empty) => None,
                Err(mpsc::TryRecvError::Disconnected) => {
                    self.disconnected = true;
                    None
                }
            },
        };
        // A deadline that has passed and was not fed yet fires unless an event from
        // before it is waiting.
        let due = deadline.filter(|d| *d <= now && self.last_fired != Some(*d));
        match (next, due) {
            (Some((at, event)), Some(d)) if at >= d => {
                self.lookahead = Some((at, event));
                self.fire(d, now);
            }
            (Some((at, event)), _) => self.feed(event, at),
            (None, Some(d)) => self.fire(d, now),
            (None, None) if self.disconnected => self.wait_without_events(deadline),
            (None, None) => {
                // Nothing is due: block until an event or the deadline. A passed deadline
                // that was already fed is not fed again at once: wait a little for an event
                // instead of spinning.
                let received = match deadline {
                    Some(d) => self.events.recv_timeout(
                        d.saturating_duration_since(now)
                            .max(Duration::from_millis(1)),
                    ),
                    None => self
                        .events
                        .recv()
                        .map_err(|_| RecvTimeoutError::Disconnected),
                };
                match received {
                    Ok((at, event)) => self.feed(event, at),
                    Err(RecvTimeoutError::Timeout) => self.run.handle_timeout(Instant::now()),
                    Err(RecvTimeoutError::Disconnected) => self.disconnected = true,
                }
            }
        }
    }

    fn fire(&mut self, deadline: Instant, now: Instant) {
        self.last_fired = Some(deadline);
        self.run.handle_timeout(now);
    }

    /// Every IO thread is gone: only the machine's timers can move it on.
    fn wait_without_events(&mut self, deadline: Option<Instant>) {
        match deadline {
            Some(d) => {
                let wait = d.saturating_duration_since(Instant::now());
                thread::sleep(wait.max(Duration::from_millis(1)));
                self.run.handle_timeout(Instant::now());
            }
            None => {
                // Nothing can happen any more (an IO thread died without reporting).
                let now = Instant::now();
                self.run.fail(
                    AgentError::Io {
                        context: "driving the Amp CLI".to_string(),
                        kind: std::io::ErrorKind::Other,
                        message: "the process monitor threads ended unexpectedly".to_string(),
                    },
                    now,
                );
                self.run.handle_stdout_eof(now);
                self.run.handle_exit(ExitInfo::default(), now);
            }
        }
    }

    fn feed(&mut self, event: Event, now: Instant) {
        match event {
            Event::Stdout(bytes) => self.run.handle_stdout(&bytes, now),
            Event::StdoutEof => self.run.handle_stdout_eof(now),
            Event::StdoutFailed(e) => {
                self.run
                    .fail(AgentError::io("reading the Amp CLI's stdout", &e), now);
                self.run.handle_stdout_eof(now);
            }
            Event::Stderr(bytes) => self.run.handle_stderr(&bytes),
            Event::StderrEof => self.run.handle_stderr_eof(now),
            Event::Exited(status) => self.run.handle_exit(exit_info(status), now),
            Event::WaitFailed(e) => {
                self.run
                    .fail(AgentError::io("waiting for the Amp CLI", &e), now);
                self.run.handle_exit(ExitInfo::default(), now);
            }
            Event::StdinFailed(e) => self
                .run
                .fail(AgentError::io("writing to the Amp CLI's stdin", &e), now),
        }
    }

    /// The child has been reaped: remove the private folder now.
    fn cleanup(&mut self) {
        if let Some(dir) = self.private_dir.take() {
            if let Err(e) = dir.remove() {
                tracing::warn!(target: "ampere", error = %e, "could not remove the private folder");
            }
        }
    }

    /// Cancels the run and carries out everything that needs no waiting (sending
    /// `SIGTERM`).
    fn begin_cancel(&mut self) {
        if self.run.is_finished() {
            return;
        }
        self.run.cancel(Instant::now());
        while self.drain().is_some_and(|step| step.is_some()) {}
    }

    /// Cancels the run and drives it to its end: `SIGTERM`, `SIGKILL` after the grace
    /// period, reaping, removing the private folder. Blocks until done.
    fn teardown(&mut self) {
        self.begin_cancel();
        while self.next_step().is_some() {}
        self.cleanup();
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        // Normally the run is over by now; if not (a failed teardown thread), finish it here.
        if !self.run.is_finished() {
            self.teardown();
        }
    }
}

enum State {
    /// Nothing was spawned; the error is yielded once.
    Failed(Option<AgentError>),
    /// The CLI is running (or its end is being drained).
    Running(Box<Driver>),
    /// The run is over and everything was cleaned up.
    Done,
}

/// One execution of the Amp CLI: an [`Iterator`] of the messages it prints.
///
/// It yields each message as its stdout line arrives, a recoverable
/// [`AgentError::Decode`] in place of a line that could not be decoded (the stream goes
/// on), and at most one final error (process failure, timeout, ...) after every message;
/// then `None`. Errors found before anything was spawned (invalid options, CLI not found)
/// are that final error.
///
/// The run is driven by advancing the iterator: timeouts are acted on while a call to
/// `next` is in progress. Between calls the CLI keeps running and its output keeps being
/// read (reader threads), so a slow consumer never stalls the CLI or looks like its
/// silence to the idle timeout; undelivered output waits in memory.
///
/// Dropping it before the end terminates the CLI's process group (`SIGTERM` and the
/// removal of the private folder at once, `SIGKILL` after the grace period if the CLI is
/// still running) and reaps the child. The waiting happens on a background thread so
/// `drop` does not block; [`cancel`](Self::cancel) does the same and waits for it.
///
/// ```no_run
/// use ampere_blocking::{execute, AmpOptions, Message};
///
/// for message in execute("What files are in this directory?", AmpOptions::default()) {
///     match message? {
///         Message::Result(result) => println!("Result: {}", result.result),
///         other => println!("{}", other.message_type()),
///     }
/// }
/// # Ok::<(), ampere_blocking::AgentError>(())
/// ```
pub struct Execution {
    state: State,
    pid: Option<u32>,
    private_dir: Option<PathBuf>,
    warnings: Vec<String>,
}

impl std::fmt::Debug for Execution {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = match &self.state {
            State::Failed(_) => "failed",
            State::Running(_) => "running",
            State::Done => "done",
        };
        f.debug_struct("Execution")
            .field("state", &state)
            .field("pid", &self.pid)
            .field("private_dir", &self.private_dir)
            .finish()
    }
}

impl Execution {
    fn failed(error: AgentError) -> Self {
        Execution {
            state: State::Failed(Some(error)),
            pid: None,
            private_dir: None,
            warnings: Vec::new(),
        }
    }

    /// Plans, spawns and starts driving one execution. Never blocks on the child.
    pub(crate) fn start(
        prompt: Prompt,
        options: &AmpOptions,
        cli: &CliSettings,
        config: &RunConfig,
    ) -> Execution {
        let prepared = match prepare_execution(options, prompt.kind(), cli) {
            Ok(p) => p,
            Err(e) => return Execution::failed(e),
        };
        let mut command = prepared.command;
        let private_dir = prepared.private_dir;
        let warnings = prepared.warnings;
        let stdin_plan = prepared.stdin;
        let program = prepared.cli.program.display().to_string();

        let mut child = match command.spawn() {
            Ok(child) => child,
            // `private_dir` is dropped (removed) on return.
            Err(e) => return Execution::failed(AgentError::io(format!("spawning {program}"), &e)),
        };
        let pid = child.id();
        let started = Instant::now();
        tracing::debug!(
            target: "ampere",
            pid,
            program = %program,
            cwd = ?command.get_current_dir(),
            "spawned the Amp CLI"
        );

        // Unbounded: the CLI's output is always read as it comes, so the idle timeout
        // measures exactly the CLI's silence, as in every runtime.
        let (tx, rx) = mpsc::channel();
        let reaped = Arc::new(AtomicBool::new(false));
        let stdout = child.stdout.take();
        let stderr = child.stderr.take();
        let stdin = child.stdin.take();

        let mut run = AgentRun::new(config.clone(), started);
        let mut spawn_failures: Vec<AgentError> = Vec::new();

        // The waiter first: it must own the child so it is always reaped. The child is
        // handed over through a channel so a failed thread spawn leaves it with us.
        let (child_tx, child_rx) = mpsc::channel::<Child>();
        let waiter = {
            let tx = tx.clone();
            let reaped = Arc::clone(&reaped);
            spawn_thread(format!("ampere-wait-{pid}"), move || {
                if let Ok(child) = child_rx.recv() {
                    wait_child(child, &tx, &reaped);
                }
            })
        };
        match waiter {
            Ok(()) => {
                if let Err(mpsc::SendError(child)) = child_tx.send(child) {
                    return kill_and_fail(
                        child,
                        AgentError::Io {
                            context: "starting the Amp CLI's process monitor".into(),
                            kind: std::io::ErrorKind::Other,
                            message: "the monitor thread ended early".into(),
                        },
                    );
                }
            }
            Err(e) => {
                return kill_and_fail(
                    child,
                    AgentError::io("starting the Amp CLI's process monitor", &e),
                );
            }
        }

        match stdout {
            Some(out) => {
                let tx = tx.clone();
                if let Err(e) = spawn_thread(format!("ampere-stdout-{pid}"), move || {
                    read_stdout(out, &tx)
                }) {
                    spawn_failures.push(AgentError::io("starting the stdout reader", &e));
                    run.handle_stdout_eof(started);
                }
            }
            None => run.handle_stdout_eof(started),
        }
        if let Some(err) = stderr {
            let tx = tx.clone();
            if let Err(e) = spawn_thread(format!("ampere-stderr-{pid}"), move || {
                read_stderr(err, &tx)
            }) {
                spawn_failures.push(AgentError::io("starting the stderr reader", &e));
                run.handle_stderr_eof(started);
            }
        } else {
            run.handle_stderr_eof(started);
        }
        if let Some(input) = stdin {
            let tx = tx.clone();
            let source = StdinSource::new(prompt, stdin_plan);
            // The default stack: the caller's iterator runs on this thread.
            let spawned = thread::Builder::new()
                .name(format!("ampere-stdin-{pid}"))
                .spawn(move || write_stdin(input, source, &tx));
            if let Err(e) = spawned {
                spawn_failures.push(AgentError::io("starting the stdin writer", &e));
            }
        }
        drop(tx);
        if let Some(error) = spawn_failures.into_iter().next() {
            run.fail(error, Instant::now());
        }

        let private_path = private_dir.as_ref().map(|d| d.path().to_path_buf());
        Execution {
            state: State::Running(Box::new(Driver {
                run,
                events: rx,
                lookahead: None,
                pid,
                reaped,
                private_dir,
                last_fired: None,
                disconnected: false,
            })),
            pid: Some(pid),
            private_dir: private_path,
            warnings,
        }
    }

    /// The process id of the CLI (also its process group id), if it was spawned.
    ///
    /// A diagnostic: once the execution has ended the id may belong to another process.
    pub fn pid(&self) -> Option<u32> {
        self.pid
    }

    /// The private folder holding the generated settings / MCP files of this execution,
    /// if it needed one. A diagnostic: the folder is removed when the run ends (after the
    /// child was reaped), however it ends; the path is still reported then.
    pub fn private_dir(&self) -> Option<&Path> {
        self.private_dir.as_deref()
    }

    /// Warnings of the invocation plan, such as local-only options that are not applied
    /// with a remote executor (also logged with `tracing::warn!`).
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// Whether the run is over (its final item was yielded, or it was never started).
    pub fn is_finished(&self) -> bool {
        match &self.state {
            State::Failed(e) => e.is_none(),
            State::Running(_) => false,
            State::Done => true,
        }
    }

    /// Cancels the execution and waits until it is torn down: `SIGTERM` to the CLI's
    /// process group, `SIGKILL` after the grace period if it is still running, the child
    /// reaped, the private folder removed. Undelivered messages are discarded.
    pub fn cancel(mut self) {
        if let State::Running(mut driver) = std::mem::replace(&mut self.state, State::Done) {
            driver.teardown();
        }
    }

    /// The next step for the crate's own consumers (run to completion, sessions), which
    /// need to tell a per-line error from the final one.
    pub(crate) fn next_step(&mut self) -> Option<Step> {
        match &mut self.state {
            State::Failed(error) => {
                let step = error.take().map(Step::Final);
                if step.is_none() {
                    self.state = State::Done;
                }
                step
            }
            State::Running(driver) => {
                let step = driver.next_step();
                if step.is_none() {
                    self.state = State::Done;
                }
                step
            }
            State::Done => None,
        }
    }
}

impl Iterator for Execution {
    type Item = Result<Message, AgentError>;

    fn next(&mut self) -> Option<Self::Item> {
        match self.next_step()? {
            Step::Item(item) => Some(item),
            Step::Final(error) => Some(Err(error)),
        }
    }
}

impl std::iter::FusedIterator for Execution {}

impl Drop for Execution {
    fn drop(&mut self) {
        let State::Running(mut driver) = std::mem::replace(&mut self.state, State::Done) else {
            return;
        };
        if driver.run.is_finished() {
            return;
        }
        // SIGTERM goes out now, and the private folder (which may hold secrets) is removed
        // now too, so neither depends on the background thread getting to run: if the
        // program exits right after this drop, the CLI still stops and nothing is left on
        // disk. The grace period, SIGKILL and reaping happen in the background. If no
        // thread can be started, the closure (and the driver in it) is dropped here, and
        // `Driver::drop` finishes the teardown inline.
        driver.begin_cancel();
        driver.cleanup();
        let pid = driver.pid;
        let _ = spawn_thread(format!("ampere-teardown-{pid}"), move || {
            let mut driver = driver;
            driver.teardown();
        });
    }
}

/// Stack size of the threads that run only this crate's code (the stdin writer, which
/// runs the caller's iterator, gets the default).
const SMALL_STACK: usize = 256 * 1024;

/// Starts a named thread running only this crate's code; the error is the OS's when it
/// cannot.
fn spawn_thread(name: String, f: impl FnOnce() + Send + 'static) -> std::io::Result<()> {
    thread::Builder::new()
        .name(name)
        .stack_size(SMALL_STACK)
        .spawn(f)
        .map(drop)
}

/// A child we could not monitor: kill its group, reap it, report `error`.
fn kill_and_fail(mut child: Child, error: AgentError) -> Execution {
    let _ = signal_group(child.id(), Signal::Kill);
    let _ = child.wait();
    Execution::failed(error)
}

fn wait_child(mut child: Child, tx: &Sender<Stamped>, reaped: &AtomicBool) {
    let event = stamp(match child.wait() {
        Ok(status) => Event::Exited(status),
        Err(e) => Event::WaitFailed(e),
    });
    reaped.store(true, Ordering::SeqCst);
    let _ = tx.send(event);
}

fn read_stdout(mut out: ChildStdout, tx: &Sender<Stamped>) {
    let mut buf = vec![0u8; READ_CHUNK];
    loop {
        match out.read(&mut buf) {
            Ok(0) => {
                let _ = tx.send(stamp(Event::StdoutEof));
                return;
            }
            Ok(n) => {
                if tx.send(stamp(Event::Stdout(buf[..n].to_vec()))).is_err() {
                    // Nobody listens any more: keep the pipe drained so the child (being
                    // torn down) never blocks on it.
                    drain(&mut out, &mut buf);
                    return;
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => {
                let _ = tx.send(stamp(Event::StdoutFailed(e)));
                return;
            }
        }
    }
}

fn read_stderr(mut err: ChildStderr, tx: &Sender<Stamped>) {
    let mut buf = vec![0u8; READ_CHUNK];
    loop {
        match err.read(&mut buf) {
            Ok(0) => {
                let _ = tx.send(stamp(Event::StderrEof));
                return;
            }
            Ok(n) => {
                if tx.send(stamp(Event::Stderr(buf[..n].to_vec()))).is_err() {
                    drain(&mut err, &mut buf);
                    return;
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => {
                let _ = tx.send(stamp(Event::StderrEof));
                return;
            }
        }
    }
}

fn drain(reader: &mut impl Read, buf: &mut [u8]) {
    loop {
        match reader.read(buf) {
            Ok(0) => return,
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => return,
        }
    }
}

/// What goes to the child's stdin.
enum StdinSource {
    Bytes(Vec<u8>),
    Messages(Box<dyn Iterator<Item = UserInputMessage> + Send + 'static>),
}

impl StdinSource {
    fn new(prompt: Prompt, plan: StdinPlan) -> Self {
        match (plan, prompt) {
            (StdinPlan::Text(bytes), _) => StdinSource::Bytes(bytes),
            (StdinPlan::Stream, Prompt::Messages(iter)) => StdinSource::Messages(iter),
            // The plan follows the prompt kind, so this does not happen; an empty stream
            // is the safe reading.
            (StdinPlan::Stream, Prompt::Text(_)) => {
                StdinSource::Messages(Box::new(std::iter::empty()))
            }
        }
    }
}

fn write_stdin(mut input: ChildStdin, source: StdinSource, tx: &Sender<Stamped>) {
    let result = match source {
        StdinSource::Bytes(bytes) => input.write_all(&bytes).and_then(|()| input.flush()),
        StdinSource::Messages(messages) => {
            let mut result = Ok(());
            for message in messages {
                result = input
                    .write_all(&message.to_json_line())
                    .and_then(|()| input.flush());
                if result.is_err() {
                    break;
                }
            }
            result
        }
    };
    // Closing stdin tells the CLI the input has ended.
    drop(input);
    if let Err(e) = result {
        if !is_ignorable_stdin_error(&e) {
            let _ = tx.send(stamp(Event::StdinFailed(e)));
        }
    }
}
