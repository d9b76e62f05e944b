//! Running the Amp agent: [`Amp`], [`Execution`], [`Session`] and the thread commands.

use std::fmt;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::process::Stdio;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use ampere_core::message::{create_user_message, Message, UserInputMessage};
use ampere_core::options::{AmpOptions, Visibility};
use ampere_core::run::{
    command_outcome, AgentError, RunConfig, RunSummary, SummaryBuilder, TimeoutKind,
};
use ampere_core::threads::{MultiplayerSetting, ThreadCommand};
use ampere_runtime_common::{exit_info, prepare_thread_command, signal_group, CliSettings};
use async_channel::{Receiver, Sender};
use futures_core::Stream;

use crate::driver::{self, Diagnostics, Event, Job, JobPrompt};

/// What to send the agent: one text prompt, or a stream of user messages.
///
/// Text is written to the CLI's stdin followed by a newline, then stdin is closed. A stream
/// runs the CLI with `--stream-json-input`: each message is written as one JSON line as it
/// arrives, and stdin is closed when the stream ends (the CLI exits once it has answered
/// everything).
///
/// ```
/// use ampere_async_std::{create_user_message, Prompt};
///
/// let text: Prompt = "What files are in this directory?".into();
/// let turns = Prompt::stream(futures_lite::stream::iter(vec![
///     create_user_message("Start analyzing the codebase"),
///     create_user_message("Now focus on the authentication module"),
/// ]));
/// # let _ = (text, turns);
/// ```
pub enum Prompt {
    /// One text prompt.
    Text(String),
    /// A stream of user messages (`--stream-json-input`); build it with [`Prompt::stream`].
    Stream(InputStream),
}

/// A boxed stream of user messages: the input of a multi-turn execution (see
/// [`Prompt::stream`]).
///
/// The stream is polled on the execution's own driver thread (inside async-io's reactor),
/// so it must be `Send + 'static`. Channels (`async_channel`, `futures` mpsc), timers from
/// async-io, async-std or smol, and iterators (`futures_lite::stream::iter`) all work there.
pub type InputStream = Pin<Box<dyn Stream<Item = UserInputMessage> + Send + 'static>>;

impl fmt::Debug for Prompt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Prompt::Text(text) => f.debug_tuple("Text").field(text).finish(),
            Prompt::Stream(_) => f.write_str("Stream(..)"),
        }
    }
}

impl Prompt {
    /// A prompt made of the user messages `stream` yields (the seed's async generator of
    /// `create_user_message(...)`).
    pub fn stream<S>(stream: S) -> Prompt
    where
        S: Stream<Item = UserInputMessage> + Send + 'static,
    {
        Prompt::Stream(Box::pin(stream))
    }
}

impl From<&str> for Prompt {
    fn from(text: &str) -> Self {
        Prompt::Text(text.to_owned())
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

impl From<Receiver<UserInputMessage>> for Prompt {
    /// The messages sent into an `async_channel`, until every sender is dropped (or the
    /// channel is closed).
    fn from(messages: Receiver<UserInputMessage>) -> Self {
        Prompt::stream(messages)
    }
}

/// The Amp agent client: where the CLI is and the limits of each execution.
///
/// Cheap to clone (the settings are shared). [`Amp::new`] finds the CLI the standard way
/// (`AMP_CLI_PATH`, `~/.amp`, `PATH`, npm packages) and sets no timeouts; use
/// [`Amp::builder`] to change that.
///
/// ```no_run
/// # async_io::block_on(async {
/// use std::time::Duration;
/// use ampere_async_std::{Amp, AmpOptions};
///
/// let amp = Amp::builder().idle_timeout(Duration::from_secs(300)).build();
/// let summary = amp.run("What is 2 + 2?", AmpOptions::default()).await?;
/// println!("{}", summary.result);
/// # Ok::<(), ampere_async_std::AgentError>(())
/// # });
/// ```
#[derive(Clone, Debug)]
pub struct Amp {
    inner: Arc<Settings>,
}

#[derive(Debug)]
struct Settings {
    cli: CliSettings,
    run: RunConfig,
}

impl Default for Amp {
    fn default() -> Self {
        Self::new()
    }
}

/// Builds an [`Amp`] client.
#[derive(Debug, Clone)]
pub struct AmpBuilder {
    cli: CliSettings,
    run: RunConfig,
}

impl AmpBuilder {
    /// Run this CLI (an executable, or a `.js` file run with `node`) instead of searching
    /// for one.
    pub fn cli_path(mut self, path: impl Into<PathBuf>) -> Self {
        self.cli.cli_path = Some(path.into());
        self
    }

    /// End an execution (SIGTERM, then SIGKILL) that has run this long in all; the
    /// execution then ends with [`AgentError::Timeout`] (unless a success result had already
    /// arrived). Default: none.
    pub fn overall_timeout(mut self, timeout: Duration) -> Self {
        self.run.overall_timeout = Some(timeout);
        self
    }

    /// End an execution whose stdout has been silent this long. Default: none.
    pub fn idle_timeout(mut self, timeout: Duration) -> Self {
        self.run.idle_timeout = Some(timeout);
        self
    }

    /// How long to wait after SIGTERM before SIGKILL. Default: 5 s.
    pub fn kill_grace(mut self, grace: Duration) -> Self {
        self.run.kill_grace = grace;
        self
    }

    /// The longest stdout line accepted; a longer line is a per-line decode error and
    /// decoding goes on after it. Default: 64 MiB.
    pub fn max_line_len(mut self, bytes: usize) -> Self {
        self.run.decoder.max_line_len = bytes;
        self
    }

    /// How many trailing bytes of stderr a process error carries. Default: 64 KiB.
    pub fn stderr_tail_bytes(mut self, bytes: usize) -> Self {
        self.run.stderr_tail_bytes = bytes;
        self
    }

    /// Create the private folders (generated settings and MCP files) under this folder
    /// instead of the system temporary folder.
    pub fn temp_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.cli.temp_root = Some(dir.into());
        self
    }

    /// The client.
    pub fn build(self) -> Amp {
        Amp {
            inner: Arc::new(Settings {
                cli: self.cli,
                run: self.run,
            }),
        }
    }
}

impl Amp {
    /// A client with the default settings.
    pub fn new() -> Self {
        Self::builder().build()
    }

    /// A builder for a client with custom settings.
    pub fn builder() -> AmpBuilder {
        AmpBuilder {
            cli: CliSettings::default(),
            run: RunConfig::default(),
        }
    }

    /// Starts one execution of the agent and returns its message stream at once.
    ///
    /// The CLI runs on a dedicated driver thread; options are validated and the CLI is
    /// found there, so a problem with either is the stream's first (and only) item. See
    /// [`Execution`] for what the stream yields and what dropping it does.
    pub fn execute(&self, prompt: impl Into<Prompt>, options: AmpOptions) -> Execution {
        let prompt = match prompt.into() {
            Prompt::Text(text) => JobPrompt::Text(text),
            Prompt::Stream(stream) => JobPrompt::Stream(stream),
        };
        self.start(prompt, options)
    }

    fn start(&self, prompt: JobPrompt, options: AmpOptions) -> Execution {
        let (out, rx) = async_channel::bounded(driver::CHANNEL_CAPACITY);
        let (done, done_rx) = async_channel::bounded::<()>(1);
        let diagnostics = Arc::new(Diagnostics::default());
        let job = Job {
            cli: self.inner.cli.clone(),
            run: self.inner.run.clone(),
            options,
            prompt,
            out: out.clone(),
            diagnostics: Arc::clone(&diagnostics),
            done,
        };
        let report = out.clone();
        let spawned = std::thread::Builder::new()
            .name("ampere-agent".into())
            .spawn(move || {
                let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    async_io::block_on(driver::run_job(job))
                }));
                if let Err(panic) = outcome {
                    // A bug (here or in the caller's input stream): say so instead of
                    // ending the stream silently. The driver killed the child on unwind.
                    let message = panic
                        .downcast_ref::<&str>()
                        .map(|s| (*s).to_string())
                        .or_else(|| panic.downcast_ref::<String>().cloned())
                        .unwrap_or_else(|| "unknown panic".to_string());
                    let _ = report.send_blocking(Event::Final(AgentError::Io {
                        context: "the ampere driver thread panicked".into(),
                        kind: std::io::ErrorKind::Other,
                        message,
                    }));
                }
            });
        if let Err(error) = spawned {
            let error = AgentError::io("starting the ampere driver thread", &error);
            let _ = out.try_send(Event::Final(error));
        }
        drop(out);
        Execution {
            rx: Box::pin(rx),
            done: Box::pin(done_rx),
            diagnostics,
            ended: false,
        }
    }

    /// Runs the agent to completion and returns what the run amounted to.
    ///
    /// Per-line decode errors are skipped (they are logged at debug level). The agent's
    /// error result is [`AgentError::ErrorResult`]; otherwise the error that ended the run
    /// (process, timeout, ...) is returned; a run without a result message is
    /// [`AgentError::NoResult`].
    pub async fn run(
        &self,
        prompt: impl Into<Prompt>,
        options: AmpOptions,
    ) -> Result<RunSummary, AgentError> {
        let mut execution = self.execute(prompt, options);
        let mut summary = SummaryBuilder::new();
        let mut failure = None;
        while let Some(event) = execution.next_event().await {
            match event {
                Event::Item(Ok(message)) => summary.observe(&message),
                Event::Item(Err(error)) => {
                    tracing::debug!(target: "ampere", %error, "skipping an undecodable line")
                }
                Event::Final(error) => failure = Some(error),
            }
        }
        summary.finish_with(failure.map_or(Ok(()), Err))
    }

    /// Starts an interactive session (`--stream-json-input`): send user messages with
    /// [`Session::send`], read the agent's messages from the session (a [`Stream`]), and
    /// end it with [`Session::finish`] (or [`Session::close_input`] and read to the end).
    pub fn session(&self, options: AmpOptions) -> Session {
        let (input, input_rx) = async_channel::bounded(driver::CHANNEL_CAPACITY);
        let execution = self.start(JobPrompt::Stream(Box::pin(input_rx)), options);
        Session {
            execution,
            input,
            summary: SummaryBuilder::new(),
            failure: None,
        }
    }

    /// `threads new [--visibility V]`: creates an empty thread and returns its id.
    pub async fn thread_new(&self, visibility: Option<Visibility>) -> Result<String, AgentError> {
        self.thread_command(ThreadCommand::New { visibility }).await
    }

    /// `threads markdown ID`: the thread rendered as Markdown.
    pub async fn thread_markdown(
        &self,
        thread_id: impl Into<String>,
    ) -> Result<String, AgentError> {
        self.thread_command(ThreadCommand::Markdown {
            thread_id: thread_id.into(),
        })
        .await
    }

    /// `threads share multiplayer off|on|ttl ID`: changes multiplayer sharing of a thread
    /// and returns the CLI's confirmation.
    pub async fn thread_multiplayer(
        &self,
        thread_id: &str,
        setting: MultiplayerSetting,
    ) -> Result<String, AgentError> {
        self.thread_command(ThreadCommand::Multiplayer {
            thread_id: thread_id.to_owned(),
            setting,
        })
        .await
    }

    /// Runs one thread command to completion: its trimmed stdout, or a process error with
    /// the exit status and stderr. The overall timeout, when set, applies (the process group
    /// is killed then).
    async fn thread_command(&self, command: ThreadCommand) -> Result<String, AgentError> {
        let settings = Arc::clone(&self.inner);
        let thread_command = command.clone();
        // Finding the CLI touches the file system: keep it off the caller's executor.
        let std_command =
            blocking::unblock(move || prepare_thread_command(&thread_command, &settings.cli, None))
                .await?;
        let program = std_command.get_program().to_string_lossy().into_owned();
        let mut process = async_process::Command::from(std_command);
        process
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let child = process
            .spawn()
            .map_err(|e| AgentError::io(format!("spawning {program}"), &e))?;
        let pid = child.id();
        let output = async { Some(child.output().await) };
        let output = match self.inner.run.overall_timeout {
            Some(after) => {
                futures_lite::future::or(output, async move {
                    async_io::Timer::after(after).await;
                    None
                })
                .await
            }
            None => output.await,
        };
        let Some(output) = output else {
            // The child was dropped with the output future; async-process reaps it.
            let _ = signal_group(pid, ampere_core::run::Signal::Kill);
            return Err(AgentError::Timeout {
                kind: TimeoutKind::Overall,
                after: self.inner.run.overall_timeout.unwrap_or_default(),
            });
        };
        let output = output.map_err(|e| AgentError::io(format!("running {program}"), &e))?;
        command_outcome(
            &command,
            exit_info(output.status),
            &output.stdout,
            &output.stderr,
            self.inner.run.stderr_tail_bytes,
        )
    }
}

/// One running execution of the agent: a [`Stream`] of its messages.
///
/// It yields each message as soon as its line arrives, a recoverable
/// [`AgentError::Decode`] in place for a line that could not be decoded, and at most one
/// final error (process failure, timeout, ...) after every message; then it ends. A non-zero
/// exit after a success result is not an error.
///
/// Dropping it stops the execution: the CLI's process group gets SIGTERM, then SIGKILL
/// after the kill grace (5 s by default); the child is reaped and the private folder
/// removed, on the driver thread, without blocking the caller. [`Execution::cancel`] does
/// the same and waits until it is done; prefer it right before the program exits (the
/// driver thread ends with the process, and the CLI runs in its own process group).
///
/// The driver never stops reading the CLI's output for a slow consumer: messages not read
/// yet wait in memory, so a consumer that takes its time can neither stall the CLI nor make
/// it look idle to the idle timeout.
pub struct Execution {
    rx: Pin<Box<Receiver<Event>>>,
    done: Pin<Box<Receiver<()>>>,
    diagnostics: Arc<Diagnostics>,
    ended: bool,
}

impl fmt::Debug for Execution {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Execution")
            .field("pid", &self.pid())
            .field("private_dir", &self.private_dir())
            .field("ended", &self.ended)
            .finish()
    }
}

impl Execution {
    /// The CLI's process id, once it has been spawned (it is known before the first message
    /// arrives). The process leads its own process group.
    pub fn pid(&self) -> Option<u32> {
        self.diagnostics.pid.get().copied()
    }

    /// The private folder holding the generated settings / MCP files, if the execution
    /// needed one. It is removed when the execution ends, before the stream ends.
    pub fn private_dir(&self) -> Option<&Path> {
        self.diagnostics.private_dir.get().map(PathBuf::as_path)
    }

    /// Stops the execution like dropping it does, and waits until the process has been
    /// reaped and the private folder removed (up to the kill grace plus a moment).
    pub async fn cancel(self) {
        self.rx.close();
        // The driver drops its end of `done` when it is completely finished.
        let _ = self.done.recv().await;
    }

    /// The next message (or error); `None` once the execution has ended. The same as
    /// `StreamExt::next`, without importing a trait.
    pub async fn next(&mut self) -> Option<Result<Message, AgentError>> {
        futures_lite::future::poll_fn(|cx| Pin::new(&mut *self).poll_next(cx)).await
    }

    async fn next_event(&mut self) -> Option<Event> {
        futures_lite::future::poll_fn(|cx| self.poll_event(cx)).await
    }

    fn poll_event(&mut self, cx: &mut Context<'_>) -> Poll<Option<Event>> {
        if self.ended {
            return Poll::Ready(None);
        }
        let polled = self.rx.as_mut().poll_next(cx);
        if let Poll::Ready(None | Some(Event::Final(_))) = &polled {
            self.ended = true;
        }
        polled
    }
}

impl Stream for Execution {
    type Item = Result<Message, AgentError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.get_mut().poll_event(cx).map(|event| {
            event.map(|event| match event {
                Event::Item(item) => item,
                Event::Final(error) => Err(error),
            })
        })
    }
}

/// An interactive session with the agent (`--stream-json-input`).
///
/// Send user messages with [`send`](Session::send) / [`send_text`](Session::send_text);
/// read the agent's messages from the session itself (a [`Stream`] like [`Execution`]).
/// The CLI answers each message in turn and exits once its input is closed
/// ([`close_input`](Session::close_input)) and it has answered everything;
/// [`finish`](Session::finish) closes the input, reads to the end and returns the
/// [`RunSummary`]. Dropping the session stops the CLI like dropping an [`Execution`].
///
/// ```no_run
/// # async_io::block_on(async {
/// use ampere_async_std::{Amp, AmpOptions, Message};
///
/// let mut session = Amp::new().session(AmpOptions::default());
/// session.send_text("Start analyzing the codebase").await?;
/// while let Some(message) = session.next().await {
///     if let Message::Result(result) = message? {
///         println!("first answer: {}", result.result);
///         break;
///     }
/// }
/// session.send_text("Now focus on the authentication module").await?;
/// let summary = session.finish().await?;
/// println!("last answer: {}", summary.result);
/// # Ok::<(), ampere_async_std::AgentError>(())
/// # });
/// ```
pub struct Session {
    execution: Execution,
    input: Sender<UserInputMessage>,
    summary: SummaryBuilder,
    failure: Option<AgentError>,
}

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Session")
            .field("execution", &self.execution)
            .field("input_closed", &self.input.is_closed())
            .finish()
    }
}

impl Session {
    /// Sends one user message to the agent (waits while the input queue is full).
    ///
    /// Fails when the input was closed or the CLI is no longer reading (it has exited).
    pub async fn send(&self, message: UserInputMessage) -> Result<(), AgentError> {
        self.input.send(message).await.map_err(|_| AgentError::Io {
            context: "sending a message to the Amp CLI".into(),
            kind: std::io::ErrorKind::BrokenPipe,
            message: "the session's input is closed (closed by the caller, or the CLI has exited)"
                .into(),
        })
    }

    /// Sends a plain text user message (see [`create_user_message`]).
    pub async fn send_text(&self, text: &str) -> Result<(), AgentError> {
        self.send(create_user_message(text)).await
    }

    /// Closes the CLI's input once the messages already sent have been written; the CLI
    /// then finishes its turns and exits.
    pub fn close_input(&self) {
        self.input.close();
    }

    /// Closes the input, reads every remaining message and returns the summary of the whole
    /// session (messages already read through the stream count too). Errors as
    /// [`Amp::run`].
    pub async fn finish(mut self) -> Result<RunSummary, AgentError> {
        self.close_input();
        while self.next().await.is_some() {}
        self.summary.finish_with(self.failure.map_or(Ok(()), Err))
    }

    /// The next message (or error) of the session; `None` once it has ended. The same as
    /// `StreamExt::next`, without importing a trait.
    pub async fn next(&mut self) -> Option<Result<Message, AgentError>> {
        futures_lite::future::poll_fn(|cx| Pin::new(&mut *self).poll_next(cx)).await
    }

    /// The CLI's process id, once it has been spawned.
    pub fn pid(&self) -> Option<u32> {
        self.execution.pid()
    }

    /// The private folder of the session, if it needed one.
    pub fn private_dir(&self) -> Option<&Path> {
        self.execution.private_dir()
    }

    /// Stops the session now (SIGTERM, then SIGKILL) and waits until it is cleaned up.
    pub async fn cancel(self) {
        self.input.close();
        self.execution.cancel().await;
    }
}

impl Stream for Session {
    type Item = Result<Message, AgentError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        this.execution.poll_event(cx).map(|event| {
            event.map(|event| match event {
                Event::Item(Ok(message)) => {
                    this.summary.observe(&message);
                    Ok(message)
                }
                Event::Item(Err(error)) => Err(error),
                Event::Final(error) => {
                    this.failure = Some(error.clone());
                    Err(error)
                }
            })
        })
    }
}

/// Starts one execution with the default client: `Amp::new().execute(prompt, options)`
/// (the seed's `execute()`).
///
/// ```no_run
/// # async_io::block_on(async {
/// use ampere_async_std::{execute, AmpOptions, Message};
///
/// let mut messages = execute("What files are in this directory?", AmpOptions::default());
/// while let Some(message) = messages.next().await {
///     if let Message::Result(result) = message? {
///         println!("Result: {}", result.result);
///     }
/// }
/// # Ok::<(), ampere_async_std::AgentError>(())
/// # });
/// ```
pub fn execute(prompt: impl Into<Prompt>, options: AmpOptions) -> Execution {
    Amp::new().execute(prompt, options)
}
