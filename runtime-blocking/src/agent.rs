//! The Amp agent client: [`Amp`], its builder, run-to-completion and thread commands.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use ampere_core::decode::DecoderConfig;
use ampere_core::options::{AmpOptions, Visibility};
use ampere_core::plan::PromptKind;
use ampere_core::run::SummaryBuilder;
use ampere_core::run::{AgentError, AgentRun, RunConfig, RunMode, RunSummary, StdinSetup};
use ampere_core::threads::{MultiplayerSetting, ThreadCommand};
use ampere_runtime_common::{prepare_thread_command, CliSettings};

use crate::execution::{Execution, Prompt};
use crate::session::Session;

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
    inner: Arc<Settings>,
}

#[derive(Debug, Clone, Default)]
pub(crate) struct Settings {
    pub(crate) cli: CliSettings,
    pub(crate) run: RunConfig,
}

/// Builds an [`Amp`] client. Every setting is optional.
#[derive(Debug, Clone, Default)]
pub struct AmpBuilder {
    settings: Settings,
}

/// Builder setters: `name(value)` stores `expr` in the settings.
macro_rules! setters {
    ($($(#[$doc:meta])* $name:ident($v:ident: $t:ty) $($field:ident).+ = $e:expr;)*) => {
        $($(#[$doc])* pub fn $name(mut self, $v: $t) -> Self { self.settings.$($field).+ = $e; self })*
    };
}

impl AmpBuilder {
    setters! {
        /// Run this CLI instead of searching for one (`AMP_CLI_PATH`, `~/.amp/...`, `PATH`,
        /// npm packages). A `.js` file runs with `node`.
        cli_path(path: impl Into<PathBuf>) cli.cli_path = Some(path.into());
        /// Create the private folders (generated settings / MCP files) under this folder
        /// instead of the system temporary folder.
        temp_dir(dir: impl Into<PathBuf>) cli.temp_root = Some(dir.into());
        /// End an execution (with [`AgentError::Timeout`]) when it has lasted this long; a
        /// thread command is ended after this long too. Default: no limit.
        overall_timeout(timeout: Duration) run.overall_timeout = Some(timeout);
        /// End an execution (with [`AgentError::Timeout`]) when its stdout has been silent
        /// this long while ampere was reading it (a slow consumer does not count). Default:
        /// no limit.
        idle_timeout(timeout: Duration) run.idle_timeout = Some(timeout);
        /// Time between `SIGTERM` and `SIGKILL` when an execution is ended early.
        /// Default: 5 s.
        kill_grace(grace: Duration) run.kill_grace = grace;
        /// The longest stdout line accepted, in bytes; a longer one is a per-line
        /// [`AgentError::Decode`] and the stream goes on. Default: 64 MiB.
        max_line_len(bytes: usize) run.decoder = DecoderConfig { max_line_len: bytes };
        /// How many trailing bytes of the CLI's stderr a process error keeps.
        /// Default: 64 KiB.
        stderr_tail_bytes(bytes: usize) run.stderr_tail_bytes = bytes;
        /// After the CLI has exited, how long to wait for its stdout to close (a grandchild
        /// may hold it open) before finishing anyway. Default: 2 s.
        exit_drain_grace(grace: Duration) run.exit_drain_grace = grace;
        /// How many bytes of the CLI's output may wait for the consumer (decoded messages
        /// not yet taken and the line being read) before ampere stops reading stdout, so
        /// that the pipe makes the CLI wait. One line of any size can always complete.
        /// Default: 4 MiB.
        max_buffered_bytes(bytes: usize) run.max_buffered_bytes = bytes;
    }

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
        let mut summary = SummaryBuilder::new();
        for item in self.execute(prompt, options) {
            match item {
                Ok(message) => summary.observe(&message),
                Err(AgentError::Decode(error)) => {
                    tracing::warn!(target: "ampere", %error, "skipping an undecodable line of the Amp CLI");
                }
                Err(error) => return summary.finish_with(Err(error)),
            }
        }
        summary.finish()
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

    /// Creates a new empty thread (`threads new`) and returns its id.
    pub fn thread_new(&self, visibility: Option<Visibility>) -> Result<String, AgentError> {
        self.thread_command(&ThreadCommand::New { visibility })
    }

    /// Returns a thread rendered as Markdown (`threads markdown ID`).
    pub fn thread_markdown(&self, thread_id: &str) -> Result<String, AgentError> {
        self.thread_command(&ThreadCommand::Markdown {
            thread_id: thread_id.to_string(),
        })
    }

    /// Turns multiplayer off, on, or on for a while (`threads share multiplayer ...`) and
    /// returns the CLI's confirmation.
    pub fn thread_multiplayer(
        &self,
        thread_id: &str,
        setting: MultiplayerSetting,
    ) -> Result<String, AgentError> {
        self.thread_command(&ThreadCommand::Multiplayer {
            thread_id: thread_id.to_string(),
            setting,
        })
    }

    /// Runs one thread command to completion: its trimmed stdout, or the process error.
    /// With an overall timeout, a command still running after it is ended like an
    /// execution (`SIGTERM` to its process group, `SIGKILL` after the grace period) and
    /// the result is [`AgentError::Timeout`].
    fn thread_command(&self, command: &ThreadCommand) -> Result<String, AgentError> {
        let mut cmd = prepare_thread_command(command, &self.inner.cli, None)?;
        let program = cmd.get_program().to_string_lossy().into_owned();
        let child = cmd
            .spawn()
            .map_err(|e| AgentError::io(format!("spawning {program}"), &e))?;
        let (config, mode) = (self.inner.run.clone(), RunMode::Command(command.clone()));
        let run = AgentRun::new(config, mode, StdinSetup::Closed, Instant::now());
        // This thread fires the deadlines while it waits: no clock thread.
        let shared = crate::driver::start(child, run, None, false)?;
        let outcome = shared.wait_finished().rs.run_mut().take_command_outcome();
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
