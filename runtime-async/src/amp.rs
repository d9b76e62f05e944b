//! The agent client: [`Amp`], its builder, run-to-completion and thread commands.

use std::sync::Arc;

use ampere_core::options::AmpOptions;
use ampere_core::plan::PromptKind;
use ampere_core::run::{AgentError, RunSummary, SummaryBuilder};
use ampere_core::threads::ThreadCommand;
use ampere_runtime_common::{
    prepare_execution, prepare_thread_command, AmpSettings, CliSettings, StderrSink,
};

use crate::contract::{AgentRun, RunMode, StdinSetup};
use crate::driver::start;
use crate::execution::{Execution, InputStream, IntoPrompt, Prompt};
use crate::runtime::Runtime;
use crate::session::Session;

/// Runs the Amp agent by driving the Amp CLI (`--execute --stream-json`) on runtime `R`.
///
/// Cheap to clone (the settings are shared). [`Amp::new`] finds the CLI the usual way
/// (`AMP_CLI_PATH`, `~/.amp`, `PATH`, npm packages) and uses no timeouts;
/// [`Amp::builder`] sets a CLI path, timeouts and limits. The CLI found is reused by later
/// executions while its file, the working folder and the search's environment are
/// unchanged (see `ampere_runtime_common::CliCache`).
#[derive(Debug, Clone, Default)]
pub struct Amp<R: Runtime> {
    runtime: R,
    inner: Arc<AmpSettings>,
}

/// Builds an [`Amp`] client. Every setting has a sensible default.
#[derive(Debug, Clone, Default)]
pub struct AmpBuilder<R: Runtime> {
    runtime: R,
    settings: AmpSettings,
}

impl<R: Runtime> AmpBuilder<R> {
    ampere_runtime_common::amp_builder_setters!(async);

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
        // Async callbacks run on this runtime: give their hosts a spawner made here.
        let with_spawner;
        let cli = if self.inner.cli.callbacks.needs_spawner() {
            with_spawner = CliSettings {
                callbacks: self.inner.cli.callbacks.with_spawner(runtime.spawner()),
                ..self.inner.cli.clone()
            };
            &with_spawner
        } else {
            &self.inner.cli
        };
        let prepared = match prepare_execution(options, kind, cli) {
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
            StderrSink::for_run(self.inner.stderr_sink.clone(), prepared.recorder),
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

    ampere_runtime_common::amp_thread_methods!(async, .await);

    /// Runs one thread command on the same driver (core's command mode: stdout collected,
    /// the overall timeout ends it with `SIGTERM`, the grace, then `SIGKILL` of the group).
    async fn command_stdout(&self, command: ThreadCommand) -> Result<Vec<u8>, AgentError> {
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
        let (shared, pid) = start(&runtime, std_command, run, false, None, None, None)?;
        let mut execution = Execution::new(runtime, shared, pid, None, Vec::new());
        std::future::poll_fn(|cx| execution.poll_outcome(cx)).await
    }
}
