//! The agent client: [`Amp`], its builder, run-to-completion and thread commands.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use ampere_core::decode::DecoderConfig;
use ampere_core::options::{AmpOptions, Visibility};
use ampere_core::plan::PromptKind;
use ampere_core::run::{AgentError, RunConfig, RunSummary, SummaryBuilder};
use ampere_core::threads::{MultiplayerSetting, ThreadCommand};
use ampere_runtime_common::{prepare_execution, prepare_thread_command, CliSettings};

use crate::contract::{AgentRun, RunMode, StdinSetup};
use crate::driver::start;
use crate::execution::{Execution, InputStream, IntoPrompt, Prompt};
use crate::runtime::Runtime;
use crate::session::Session;

/// Runs the Amp agent by driving the Amp CLI (`--execute --stream-json`) on runtime `R`.
///
/// Cheap to clone (the settings are shared). [`Amp::new`] finds the CLI the usual way
/// (`AMP_CLI_PATH`, `~/.amp`, `PATH`, npm packages) and uses no timeouts;
/// [`Amp::builder`] sets a CLI path, timeouts and limits.
#[derive(Debug, Clone, Default)]
pub struct Amp<R: Runtime> {
    runtime: R,
    inner: Arc<Settings>,
}

#[derive(Debug, Clone, Default)]
struct Settings {
    cli: CliSettings,
    run: RunConfig,
}

/// Builds an [`Amp`] client. Every setting has a sensible default.
#[derive(Debug, Clone, Default)]
pub struct AmpBuilder<R: Runtime> {
    runtime: R,
    settings: Settings,
}

impl<R: Runtime> AmpBuilder<R> {
    /// Runs this CLI (a native binary, or a `.js` file run with `node`) instead of searching
    /// for one.
    #[must_use]
    pub fn cli_path(mut self, path: impl Into<PathBuf>) -> Self {
        self.settings.cli.cli_path = Some(path.into());
        self
    }

    /// Ends an execution (`SIGTERM`, then `SIGKILL`) that has run this long; it then fails
    /// with [`AgentError::Timeout`] unless a success result already arrived. Also bounds
    /// each thread command. Default: none.
    #[must_use]
    pub fn overall_timeout(mut self, timeout: Duration) -> Self {
        self.settings.run.overall_timeout = Some(timeout);
        self
    }

    /// Ends an execution whose stdout has been silent this long. Default: none.
    ///
    /// It measures the CLI's own silence while ampere reads: a slow consumer (reading
    /// paused by `max_buffered_bytes`) never trips it.
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

    /// How many bytes of the CLI's output may wait undelivered (read but not yet taken by
    /// the consumer) before ampere stops reading stdout until the consumer catches up. One
    /// line of any length can always complete. Default: 4 MiB.
    #[must_use]
    pub fn max_buffered_bytes(mut self, bytes: usize) -> Self {
        self.settings.run.max_buffered_bytes = bytes;
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
    pub fn build(self) -> Amp<R> {
        Amp {
            runtime: self.runtime,
            inner: Arc::new(self.settings),
        }
    }
}

impl<R: Runtime> Amp<R> {
    /// A client with default settings.
    pub fn new() -> Amp<R> {
        Amp::default()
    }

    /// A builder for a client with a CLI path, timeouts or limits.
    pub fn builder() -> AmpBuilder<R> {
        AmpBuilder::default()
    }

    /// Starts one execution and returns its message stream.
    ///
    /// Options are validated first: an invalid option (or a CLI that cannot be found, or a
    /// runtime that cannot be used from here) yields a single error and nothing is spawned.
    pub fn execute(&self, prompt: impl IntoPrompt<R>, options: AmpOptions) -> Execution<R> {
        match prompt.into_prompt() {
            Prompt::Text(text) => self.launch(PromptKind::Text(text), None, &options),
            Prompt::Stream(stream) => self.launch(PromptKind::Stream, Some(stream), &options),
        }
    }

    fn launch(
        &self,
        kind: PromptKind,
        input: Option<InputStream>,
        options: &AmpOptions,
    ) -> Execution<R> {
        let runtime = self.runtime.clone();
        if let Err(error) = runtime.usable() {
            return Execution::failed(runtime, AgentError::io("starting the Amp CLI", &error));
        }
        let prepared = match prepare_execution(options, kind, &self.inner.cli) {
            Ok(prepared) => prepared,
            Err(error) => return Execution::failed(runtime, error),
        };
        let stdin = StdinSetup::from(prepared.stdin);
        let run = AgentRun::new(
            self.inner.run.clone(),
            RunMode::Stream,
            stdin,
            runtime.now(),
        );
        let dir = prepared
            .private_dir
            .as_ref()
            .map(|d| d.path().to_path_buf());
        match start(
            &runtime,
            prepared.command,
            run,
            true,
            prepared.private_dir,
            input,
        ) {
            Ok((shared, pid)) => Execution::new(runtime, shared, pid, dir, prepared.warnings),
            Err(error) => Execution::failed(runtime, error),
        }
    }

    /// Runs one execution to completion and sums it up.
    ///
    /// Errors: [`AgentError::ErrorResult`] when the agent ended with an error result, the
    /// final error of the execution (process failure, timeout, ...), or
    /// [`AgentError::NoResult`] when the CLI ended without a result. Lines that could not be
    /// decoded are skipped (and logged with `tracing`).
    pub async fn run(
        &self,
        prompt: impl IntoPrompt<R>,
        options: AmpOptions,
    ) -> Result<RunSummary, AgentError> {
        let mut execution = self.execute(prompt, options);
        let mut summary = SummaryBuilder::new();
        let mut end = None;
        while let Some(item) = execution.next().await {
            match item {
                Ok(message) => summary.observe(&message),
                Err(error @ AgentError::Decode(_)) => {
                    tracing::warn!(target: "ampere", %error, "skipping a line of the Amp CLI's output");
                }
                Err(error) => end = Some(error),
            }
        }
        summary.finish_with(end.map_or(Ok(()), Err))
    }

    /// Starts an interactive session (`--stream-json-input`): send user messages with
    /// [`Session::send`], read the agent's messages from the session (a `Stream`), and
    /// [`Session::finish`] to close the input and get the [`RunSummary`].
    pub fn session(&self, options: AmpOptions) -> Session<R> {
        // Messages come from `Session::send`, straight into the run's state.
        Session::new(self.launch(PromptKind::Stream, None, &options))
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

    /// Runs one thread command on the same driver (core's command mode: stdout collected,
    /// the overall timeout ends it with `SIGTERM`, the grace, then `SIGKILL` of the group).
    async fn thread_command(&self, command: ThreadCommand) -> Result<String, AgentError> {
        let runtime = self.runtime.clone();
        runtime
            .usable()
            .map_err(|e| AgentError::io("running an Amp thread command", &e))?;
        let std_command = prepare_thread_command(&command, &self.inner.cli, None)?;
        let mode = RunMode::Command(command);
        let run = AgentRun::new(
            self.inner.run.clone(),
            mode,
            StdinSetup::Closed,
            runtime.now(),
        );
        let (shared, pid) = start(&runtime, std_command, run, false, None, None)?;
        let mut execution = Execution::new(runtime, shared, pid, None, Vec::new());
        std::future::poll_fn(|cx| execution.poll_outcome(cx)).await
    }
}
