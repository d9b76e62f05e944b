//! The agent client: [`Amp`], its builder, run-to-completion and thread commands.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use ampere_core::decode::DecoderConfig;
use ampere_core::options::{AmpOptions, Visibility};
use ampere_core::run::{command_outcome, AgentError, RunConfig, RunSummary, SummaryBuilder};
use ampere_core::threads::{MultiplayerSetting, ThreadCommand};
use ampere_runtime_common::{exit_info, prepare_thread_command, CliSettings};
use tokio::sync::mpsc;

use crate::execution::{self, Event, Execution, Prompt, ReceiverStream};
use crate::session::Session;

/// Runs the Amp agent by driving the Amp CLI (`--execute --stream-json`).
///
/// Cheap to clone (the settings are shared). [`Amp::new`] finds the CLI the usual way
/// (`AMP_CLI_PATH`, `~/.amp`, `PATH`, npm packages) and uses no timeouts;
/// [`Amp::builder`] sets a CLI path, timeouts and limits.
///
/// ```no_run
/// use std::time::Duration;
/// use ampere_tokio::{Amp, AmpOptions};
///
/// # async fn demo() -> Result<(), ampere_tokio::AgentError> {
/// let amp = Amp::builder()
///     .overall_timeout(Duration::from_secs(600))
///     .idle_timeout(Duration::from_secs(120))
///     .build();
/// let summary = amp.run("Summarize this repository", AmpOptions::default()).await?;
/// println!("{} ({} turns, {} tokens)", summary.result, summary.num_turns, summary.usage.total_tokens());
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone, Default)]
pub struct Amp {
    inner: Arc<Settings>,
}

#[derive(Debug, Clone, Default)]
struct Settings {
    cli: CliSettings,
    run: RunConfig,
}

/// Builds an [`Amp`] client. Every setting has a sensible default.
#[derive(Debug, Clone, Default)]
pub struct AmpBuilder {
    settings: Settings,
}

impl AmpBuilder {
    /// Runs this CLI (a native binary, or a `.js` file run with `node`) instead of searching
    /// for one.
    #[must_use]
    pub fn cli_path(mut self, path: impl Into<PathBuf>) -> Self {
        self.settings.cli.cli_path = Some(path.into());
        self
    }

    /// Ends an execution (`SIGTERM`, then `SIGKILL`) that has run this long; it then fails
    /// with [`AgentError::Timeout`] unless a success result already arrived. Default: none.
    #[must_use]
    pub fn overall_timeout(mut self, timeout: Duration) -> Self {
        self.settings.run.overall_timeout = Some(timeout);
        self
    }

    /// Ends an execution whose stdout has been silent this long. Default: none.
    ///
    /// It measures the CLI's own silence: output is read as it comes, however slowly the
    /// messages are consumed.
    #[must_use]
    pub fn idle_timeout(mut self, timeout: Duration) -> Self {
        self.settings.run.idle_timeout = Some(timeout);
        self
    }

    /// Time between `SIGTERM` and `SIGKILL` when an execution is ended early. Default: 5 s.
    #[must_use]
    pub fn kill_grace(mut self, grace: Duration) -> Self {
        self.settings.run.kill_grace = grace;
        self
    }

    /// The longest stdout line accepted, in bytes; longer lines are reported as a decode
    /// error and skipped. Default: 64 MiB.
    #[must_use]
    pub fn max_line_len(mut self, bytes: usize) -> Self {
        self.settings.run.decoder = DecoderConfig {
            max_line_len: bytes,
        };
        self
    }

    /// How many trailing bytes of the CLI's stderr a process error keeps. Default: 64 KiB.
    #[must_use]
    pub fn stderr_tail_bytes(mut self, bytes: usize) -> Self {
        self.settings.run.stderr_tail_bytes = bytes;
        self
    }

    /// After the CLI has exited, how long to wait for its stdout and stderr to close (a
    /// grandchild may hold them open) before finishing anyway. Default: 2 s.
    #[must_use]
    pub fn exit_drain_grace(mut self, grace: Duration) -> Self {
        self.settings.run.exit_drain_grace = grace;
        self
    }

    /// Creates the private folders (generated settings and MCP files) in this folder
    /// instead of the system's temporary folder.
    #[must_use]
    pub fn temp_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.settings.cli.temp_root = Some(dir.into());
        self
    }

    /// The client.
    pub fn build(self) -> Amp {
        Amp {
            inner: Arc::new(self.settings),
        }
    }
}

impl Amp {
    /// A client with default settings.
    pub fn new() -> Amp {
        Amp::default()
    }

    /// A builder for a client with a CLI path, timeouts or limits.
    pub fn builder() -> AmpBuilder {
        AmpBuilder::default()
    }

    /// Starts one execution and returns its message stream.
    ///
    /// Options are validated first: an invalid option (or a CLI that cannot be found)
    /// yields a single error and nothing is spawned. Must be called from within a Tokio
    /// runtime (otherwise the stream yields an error).
    pub fn execute(&self, prompt: impl Into<Prompt>, options: AmpOptions) -> Execution {
        execution::start(
            &self.inner.cli,
            self.inner.run.clone(),
            prompt.into(),
            &options,
        )
    }

    /// Runs one execution to completion and sums it up.
    ///
    /// Errors: [`AgentError::ErrorResult`] when the agent ended with an error result, the
    /// final error of the execution (process failure, timeout, ...), or
    /// [`AgentError::NoResult`] when the CLI ended without a result. Lines that could not be
    /// decoded are skipped (and logged with `tracing`).
    pub async fn run(
        &self,
        prompt: impl Into<Prompt>,
        options: AmpOptions,
    ) -> Result<RunSummary, AgentError> {
        let mut execution = self.execute(prompt, options);
        let mut summary = SummaryBuilder::new();
        let mut end = None;
        while let Some(event) = std::future::poll_fn(|cx| execution.poll_event(cx)).await {
            match event {
                Event::Item(Ok(message)) => summary.observe(&message),
                Event::Item(Err(error)) => {
                    tracing::warn!(target: "ampere", %error, "skipping a line of the Amp CLI's output");
                }
                Event::End(error) => end = Some(error),
            }
        }
        summary.finish_with(end.map_or(Ok(()), Err))
    }

    /// Starts an interactive session (`--stream-json-input`): send user messages with
    /// [`Session::send`], read the agent's messages from the session (a `Stream`), and
    /// [`Session::finish`] to close the input and get the [`RunSummary`].
    pub fn session(&self, options: AmpOptions) -> Session {
        let (tx, rx) = mpsc::channel(crate::session::INPUT_CAPACITY);
        let execution = self.execute(Prompt::stream(ReceiverStream(rx)), options);
        Session::new(execution, tx)
    }

    /// Creates a new, empty thread (`threads new`) and returns its id.
    pub async fn thread_new(&self, visibility: Option<Visibility>) -> Result<String, AgentError> {
        self.thread_command(ThreadCommand::New { visibility }).await
    }

    /// The thread `thread_id` rendered as Markdown (`threads markdown`).
    pub async fn thread_markdown(&self, thread_id: &str) -> Result<String, AgentError> {
        self.thread_command(ThreadCommand::Markdown {
            thread_id: thread_id.to_string(),
        })
        .await
    }

    /// Turns multiplayer on or off for a thread, or on for a duration
    /// (`threads share multiplayer`); returns the CLI's confirmation.
    pub async fn thread_multiplayer(
        &self,
        thread_id: &str,
        setting: MultiplayerSetting,
    ) -> Result<String, AgentError> {
        self.thread_command(ThreadCommand::Multiplayer {
            thread_id: thread_id.to_string(),
            setting,
        })
        .await
    }

    async fn thread_command(&self, thread_command: ThreadCommand) -> Result<String, AgentError> {
        let std_command = prepare_thread_command(&thread_command, &self.inner.cli, None)?;
        let mut command = tokio::process::Command::from(std_command);
        command.kill_on_drop(true);
        let output = command.output();
        let output = match self.inner.run.overall_timeout {
            Some(after) => match tokio::time::timeout(after, output).await {
                Ok(output) => output,
                Err(_) => {
                    return Err(AgentError::Timeout {
                        kind: ampere_core::run::TimeoutKind::Overall,
                        after,
                    })
                }
            },
            None => output.await,
        }
        .map_err(|e| AgentError::io("running an Amp thread command", &e))?;
        command_outcome(
            &thread_command,
            exit_info(output.status),
            &output.stdout,
            &output.stderr,
            self.inner.run.stderr_tail_bytes,
        )
    }
}

/// Starts one execution with a default [`Amp`] client (the seed's `execute()`).
///
/// ```no_run
/// use ampere_tokio::{execute, AmpOptions, Message};
///
/// # async fn demo() -> Result<(), ampere_tokio::AgentError> {
/// let mut execution = execute("What files are in this directory?", AmpOptions::default());
/// while let Some(message) = execution.next().await {
///     if let Message::Result(result) = message? {
///         println!("Result: {}", result.result);
///         break;
///     }
/// }
/// # Ok(())
/// # }
/// ```
pub fn execute(prompt: impl Into<Prompt>, options: AmpOptions) -> Execution {
    Amp::new().execute(prompt, options)
}

/// Runs one execution to completion with a default [`Amp`] client; see [`Amp::run`].
pub async fn run(prompt: impl Into<Prompt>, options: AmpOptions) -> Result<RunSummary, AgentError> {
    Amp::new().run(prompt, options).await
}
