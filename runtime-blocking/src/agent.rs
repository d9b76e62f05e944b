//! The Amp agent client: [`Amp`], its builder, run-to-completion and thread commands.

use std::{sync::Arc, time::Instant};

use ampere_core::options::AmpOptions;
use ampere_core::plan::PromptKind;
use ampere_core::run::{AgentError, AgentRun, RunMode, RunSummary, StdinSetup};
use ampere_core::threads::ThreadCommand;
use ampere_runtime_common::{prepare_thread_command, AmpSettings, RunLog};

use crate::{execution::Execution, execution::Prompt, session::Session};

/// The Amp agent client. Cheap to clone (clones share their settings).
///
/// ```no_run
/// use std::time::Duration;
/// use ampere_blocking::{Amp, AmpOptions};
///
/// let amp = Amp::builder()
///     .cli_path("/usr/local/bin/amp")
///     .overall_timeout(Duration::from_secs(600))
///     .build();
/// let summary = amp.run("Summarize this repo", AmpOptions::default())?;
/// println!("{}", summary.result);
/// # Ok::<(), ampere_blocking::AgentError>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct Amp {
    inner: Arc<AmpSettings>,
}

/// Builds an [`Amp`] client. Every setting is optional.
#[derive(Debug, Clone, Default)]
pub struct AmpBuilder {
    settings: AmpSettings,
}

impl AmpBuilder {
    ampere_runtime_common::amp_builder_setters!(sync);

    /// The client.
    pub fn build(self) -> Amp {
        Amp {
            inner: Arc::new(self.settings),
        }
    }
}

impl Amp {
    /// A client with the default settings (the CLI is searched for at each execution).
    pub fn new() -> Self {
        Self::default()
    }

    /// A builder for a client with explicit settings.
    pub fn builder() -> AmpBuilder {
        AmpBuilder::default()
    }

    /// Starts one execution and returns its messages as an [`Iterator`].
    ///
    /// The CLI is spawned at once; nothing blocks until the iterator is advanced. An
    /// invalid option or a missing CLI is the iterator's only item (an error).
    ///
    /// ```no_run
    /// use ampere_blocking::{Amp, AmpOptions, Message};
    ///
    /// let amp = Amp::new();
    /// for message in amp.execute("Run tests", AmpOptions::default()) {
    ///     match message? {
    ///         Message::System(system) => println!("Available tools: {:?}", system.tools),
    ///         Message::Assistant(_) => println!("Assistant is working..."),
    ///         Message::Result(result) => println!("Done: {}", result.result),
    ///         _ => {}
    ///     }
    /// }
    /// # Ok::<(), ampere_blocking::AgentError>(())
    /// ```
    pub fn execute(&self, prompt: impl Into<Prompt>, options: AmpOptions) -> Execution {
        let (kind, messages) = match prompt.into() {
            Prompt::Text(text) => (PromptKind::Text(text), None),
            Prompt::Messages(messages) => (PromptKind::Stream, Some(messages)),
        };
        Execution::start(kind, messages, &options, &self.inner).unwrap_or_else(Execution::failed)
    }

    /// Runs one execution to completion and sums it up.
    ///
    /// Per-line decode errors are skipped (logged at `warn`). An error result from the
    /// agent is [`AgentError::ErrorResult`]; a run without a result message is
    /// [`AgentError::NoResult`]; otherwise the run's own error (process failure,
    /// timeout, ...).
    ///
    /// ```no_run
    /// use ampere_blocking::{Amp, AmpOptions};
    ///
    /// let options = AmpOptions { dangerously_allow_all: Some(true), ..AmpOptions::default() };
    /// let summary = Amp::new().run("List all Rust files in this project", options)?;
    /// println!("Found files: {} ({} turns)", summary.result, summary.num_turns);
    /// # Ok::<(), ampere_blocking::AgentError>(())
    /// ```
    pub fn run(
        &self,
        prompt: impl Into<Prompt>,
        options: AmpOptions,
    ) -> Result<RunSummary, AgentError> {
        let mut log = RunLog::default();
        for item in self.execute(prompt, options) {
            log.observe(&item, true);
        }
        log.finish()
    }

    /// Starts an interactive session (`--stream-json-input`): send user messages with
    /// [`Session::send`] / [`Session::send_text`] as the conversation goes, read the
    /// messages by iterating the session, and end it with [`Session::finish`].
    ///
    /// ```no_run
    /// use ampere_blocking::{Amp, AmpOptions, Message};
    ///
    /// let mut session = Amp::new().session(AmpOptions::default());
    /// session.send_text("Start analyzing the codebase")?;
    /// for message in session.by_ref() {
    ///     if let Message::Result(_) = message? {
    ///         break;
    ///     }
    /// }
    /// session.send_text("Now focus on the authentication module")?;
    /// let summary = session.finish()?;
    /// println!("{}", summary.result);
    /// # Ok::<(), ampere_blocking::AgentError>(())
    /// ```
    pub fn session(&self, options: AmpOptions) -> Session {
        let execution = Execution::start(PromptKind::Stream, None, &options, &self.inner);
        Session::new(execution.unwrap_or_else(Execution::failed))
    }

    ampere_runtime_common::amp_thread_methods!(,);

    /// Runs one thread command to completion: its trimmed stdout, or the process error.
    /// With an overall timeout, a command still running after it is ended like an
    /// execution (`SIGTERM` to its process group, `SIGKILL` after the grace period) and
    /// the result is [`AgentError::Timeout`].
    fn command_stdout(&self, command: ThreadCommand) -> Result<Vec<u8>, AgentError> {
        let mut cmd = prepare_thread_command(&command, &self.inner.cli, None)?;
        let program = cmd.get_program().to_string_lossy().into_owned();
        let child = cmd
            .spawn()
            .map_err(|e| AgentError::io(format!("spawning {program}"), &e))?;
        let (config, mode) = (self.inner.run.clone(), RunMode::Command(command.clone()));
        let run = AgentRun::new(config, mode, StdinSetup::Closed, Instant::now());
        let shared = crate::driver::start(child, run, None, None)?;
        let outcome = shared.wait_finished().rs.run_mut().take_command_stdout();
        outcome.unwrap_or(Err(AgentError::NoResult)) // core gives one once finished
    }
}

/// Starts one execution with the default client: `Amp::new().execute(prompt, options)`
/// (the seed's `execute()`).
///
/// ```no_run
/// use ampere_blocking::{execute, AmpOptions, Message};
///
/// for message in execute("What files are in this directory?", AmpOptions::default()) {
///     if let Message::Result(result) = message? {
///         println!("Result: {}", result.result);
///         break;
///     }
/// }
/// # Ok::<(), ampere_blocking::AgentError>(())
/// ```
pub fn execute(prompt: impl Into<Prompt>, options: AmpOptions) -> Execution {
    Amp::new().execute(prompt, options)
}

/// Runs one execution to completion with the default client:
/// `Amp::new().run(prompt, options)`.
pub fn run(prompt: impl Into<Prompt>, options: AmpOptions) -> Result<RunSummary, AgentError> {
    Amp::new().run(prompt, options)
}
