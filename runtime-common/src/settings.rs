//! [`AmpSettings`]: what every runtime's `Amp` client is configured with, and the builder
//! setters, written once ([`amp_builder_setters!`](crate::amp_builder_setters)).

use std::fmt;

use ampere_core::run::RunConfig;

use crate::prepare::CliSettings;
use crate::shared::StderrSink;

/// Everything an `Amp` client is configured with.
#[derive(Clone, Default)]
pub struct AmpSettings {
    /// Where the CLI is and where private folders go.
    pub cli: CliSettings,
    /// Limits, timeouts and guards of each execution.
    pub run: RunConfig,
    /// Live stderr: called with each line of the CLI's stderr.
    pub stderr_sink: Option<StderrSink>,
}

impl fmt::Debug for AmpSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AmpSettings")
            .field("cli", &self.cli)
            .field("run", &self.run)
            .field("stderr_sink", &self.stderr_sink.is_some())
            .finish()
    }
}

/// The longest live stderr line handed to an `on_stderr` callback (longer lines are cut).
pub const LIVE_STDERR_LINE: usize = 16 * 1024;

/// Expands, inside the `impl` of a builder with a field `settings: AmpSettings`, to every
/// builder setter of an `Amp` client, so the three runtimes have the same ones with the same
/// docs: `amp_builder_setters!(sync)` for the blocking runtime (a plain permission
/// handler), `amp_builder_setters!(async)` for the async ones (an async handler).
#[macro_export]
macro_rules! amp_builder_setters {
    (sync) => {
        $crate::amp_builder_setters!(@common);

        /// Decides, in this process, every tool call the permission rules leave open: `handler`
        /// gets the tool's name, its input and the context (main thread or subagent) and
        /// returns a `Decision` (or a `Result<Decision, E>`; an error
        /// rejects the call). It runs on a thread of its own for each call, so calls are
        /// decided concurrently and each answer reaches its own call.
        ///
        #[doc = $crate::callbacks_doc!()]
        #[must_use]
        pub fn permission_handler<F, O>(mut self, handler: F) -> Self
        where
            F: Fn(&$crate::reexports::PermissionRequest) -> O + Send + Sync + 'static,
            O: $crate::IntoDecision,
        {
            self.settings.cli.callbacks.set_permission_handler(handler);
            self
        }
    };
    (async) => {
        $crate::amp_builder_setters!(@common);

        /// Decides, in this process, every tool call the permission rules leave open: `handler`
        /// gets the tool's name, its input and the context (main thread or subagent) and its
        /// future returns a `Decision` (or a `Result<Decision, E>`; an
        /// error rejects the call). Each call's future runs as a task on the runtime that
        /// started the execution, so calls are decided concurrently and each answer reaches
        /// its own call.
        ///
        #[doc = $crate::callbacks_doc!()]
        #[must_use]
        pub fn permission_handler<F, Fut, O>(mut self, handler: F) -> Self
        where
            F: Fn($crate::reexports::PermissionRequest) -> Fut + Send + Sync + 'static,
            Fut: ::std::future::Future<Output = O> + Send + 'static,
            O: $crate::IntoDecision,
        {
            self.settings.cli.callbacks.set_async_permission_handler(handler);
            self
        }
    };
    (@common) => {
        /// How long the permission handler has to decide one call; a call still undecided
        /// then is rejected (`the permission handler did not answer within …s`) and a
        /// `tracing` warning is logged. Default: 60 s.
        #[must_use]
        pub fn permission_deadline(mut self, deadline: ::std::time::Duration) -> Self {
            self.settings.cli.callbacks.set_deadline(deadline);
            self
        }

        /// Registers a custom tool, run in this process (see `Tool`). Every
        /// registered tool is served to the CLI as the in-process MCP server `ampere`,
        /// beside the MCP servers of `AmpOptions::mcp_config` in one `--mcp-config` (a user
        /// server named `ampere`, or a configuration given as a path, is a configuration
        /// error). Tool names are checked before anything is spawned (1 to 64 letters,
        /// digits, `_`, `-`; unique; a description; an object input schema). A handler that
        /// returns an error or panics gives the agent a tool error result.
        #[must_use]
        pub fn tool(mut self, tool: $crate::Tool) -> Self {
            self.settings.cli.callbacks.add_tool(tool);
            self
        }

        /// Runs this CLI (a native binary, or a `.js` file run with `node`) instead of
        /// searching for one (`AMP_CLI_PATH`, `~/.amp`, `PATH`, npm packages). It is
        /// checked once, then with one `stat` per execution (see
        /// `ampere_runtime_common::CliCache`).
        #[must_use]
        pub fn cli_path(mut self, path: impl Into<::std::path::PathBuf>) -> Self {
            self.settings.cli.cli_path = Some(path.into());
            self
        }

        /// Creates the private folders (generated settings and MCP files) in this folder
        /// instead of the system's temporary folder.
        #[must_use]
        pub fn temp_dir(mut self, dir: impl Into<::std::path::PathBuf>) -> Self {
            self.settings.cli.temp_root = Some(dir.into());
            self
        }

        /// Ends an execution (`SIGTERM`, then `SIGKILL`) that has run this long; it then
        /// fails with a timeout error unless a success result already arrived. Also bounds
        /// each thread command. Default: none.
        #[must_use]
        pub fn overall_timeout(mut self, timeout: ::std::time::Duration) -> Self {
            self.settings.run.overall_timeout = Some(timeout);
            self
        }

        /// Ends an execution whose stdout has been silent this long while ampere was
        /// reading it: a slow consumer (reading paused by `max_buffered_bytes`) never trips
        /// it. Default: none.
        #[must_use]
        pub fn idle_timeout(mut self, timeout: ::std::time::Duration) -> Self {
            self.settings.run.idle_timeout = Some(timeout);
            self
        }

        /// Time between `SIGTERM` and `SIGKILL` when an execution is ended early.
        /// Default: 5 s.
        #[must_use]
        pub fn kill_grace(mut self, grace: ::std::time::Duration) -> Self {
            self.settings.run.kill_grace = grace;
            self
        }

        /// The longest stdout line accepted, in bytes; a longer one is a per-line decode
        /// error and the stream goes on. Default: 64 MiB.
        #[must_use]
        pub fn max_line_len(mut self, bytes: usize) -> Self {
            self.settings.run.decoder = $crate::reexport::DecoderConfig {
                max_line_len: bytes,
            };
            self
        }

        /// How many trailing bytes of the CLI's stderr a process error keeps.
        /// Default: 64 KiB.
        #[must_use]
        pub fn stderr_tail_bytes(mut self, bytes: usize) -> Self {
            self.settings.run.stderr_tail_bytes = bytes;
            self
        }

        /// After the CLI has exited, how long to wait for its stdout and stderr to close (a
        /// grandchild may hold them open) before finishing anyway and killing what is left
        /// of its process group. Default: 2 s.
        #[must_use]
        pub fn exit_drain_grace(mut self, grace: ::std::time::Duration) -> Self {
            self.settings.run.exit_drain_grace = grace;
            self
        }

        /// How many bytes of the CLI's output may wait for the consumer (read but not yet
        /// taken) before ampere stops reading stdout, so that the pipe makes the CLI wait.
        /// One line of any size can always complete. Default: 4 MiB. (The pipe itself holds
        /// up to 1 MiB more, in the kernel: ampere grows it for throughput, see
        /// `ampere_runtime_common::STDOUT_PIPE_SIZE`.)
        #[must_use]
        pub fn max_buffered_bytes(mut self, bytes: usize) -> Self {
            self.settings.run.max_buffered_bytes = bytes;
            self
        }

        /// Run guard: ends an execution once the main thread has produced more than `turns`
        /// assistant messages; the run then fails with a guard error naming the limit and
        /// the value observed, after every message received was delivered. Default: none.
        #[must_use]
        pub fn max_turns(mut self, turns: u64) -> Self {
            self.settings.run.max_turns = Some(turns);
            self
        }

        /// Run guard: ends an execution once the assistant messages' usage adds up to more
        /// than `tokens` tokens (counted as they arrive). Default: none.
        #[must_use]
        pub fn max_tokens(mut self, tokens: u64) -> Self {
            self.settings.run.max_tokens = Some(tokens);
            self
        }

        /// Records every execution of this client to `path` (created or truncated when the
        /// execution starts) in the documented recording format
        /// (`ampere_core::recording`): the invocation's shape with secrets removed, the
        /// stdin writes, every stdout and stderr line with its time, and the exit. Replay
        /// it with `ampere-testing`. A path that cannot be created fails the execution
        /// before anything is spawned.
        #[must_use]
        pub fn record_to(mut self, path: impl Into<::std::path::PathBuf>) -> Self {
            self.settings.cli.record_to = Some(path.into());
            self
        }

        /// Live stderr: calls `sink` with each line of the CLI's stderr as it comes (lines of
        /// at most 16 KiB; longer ones are cut and end with `…`), in addition to the tail
        /// kept for process errors. It runs on ampere's driver: keep it quick, and do not
        /// call back into the execution from it.
        #[must_use]
        pub fn on_stderr(mut self, sink: impl Fn(&str) + Send + Sync + 'static) -> Self {
            self.settings.run.stderr_lines = Some($crate::LIVE_STDERR_LINE);
            self.settings.stderr_sink = Some($crate::StderrSink::live(::std::sync::Arc::new(sink)));
            self
        }
    };
}

/// The shared part of the `permission_handler` docs.
#[doc(hidden)]
#[macro_export]
macro_rules! callbacks_doc {
    () => {
        "**With the user's own rules**: the CLI evaluates the permission rules in order, the
first match wins. The user's rules (`AmpOptions::permissions`, else the settings file's
`amp.permissions`) come first; ampere appends one `delegate` rule per context (`thread`,
`subagent`) matching every tool, so the handler decides whatever the user's rules leave open.
The generated settings turn `amp.dangerouslyAllowAll` off; `dangerously_allow_all(true)`
with a handler is a configuration error before anything is spawned, as is a remote executor.

**Failures**: a handler that panics, returns an error, or misses the
[`permission_deadline`](Self::permission_deadline) rejects the call with a message saying so
(`the permission handler panicked: …`, `the permission handler failed: …`, `the permission
handler did not answer within …s`), which the agent sees as the tool's error result, and a
`tracing` event at WARN under the target `ampere` names the tool (never the handler's
answer). When the execution ends (or is dropped), calls still pending are rejected (`the Amp
execution has ended`) and the bridge's files go with the private folder.

The bridge needs only a POSIX `sh` on the machine: generated delegate scripts in the
execution's private (0700) folder talk to this process through FIFOs there."
    };
}

/// Expands, inside `impl Amp`, to the thread commands every runtime has, written once:
/// `amp_thread_methods!(async, .await)` for the async runtimes, `amp_thread_methods!(,)`
/// for blocking. The `impl` must have `fn command_stdout(&self, ThreadCommand) ->
/// Result<Vec<u8>, AgentError>` (async or not): the command run on the run machine's
/// command mode (its timeout, `SIGTERM`, grace, `SIGKILL`), its raw stdout on success.
#[macro_export]
macro_rules! amp_thread_methods {
    ($($async:ident)?, $($await:tt)*) => {
        /// Runs one typed thread request and parses what the CLI printed: `ListThreads`,
        /// `SearchThreads`, `RenameThread`, `ArchiveThread`, `DeleteThread`, `LabelThread`,
        /// `ShareThread`, `ThreadUsage`, `ExportThread`, ... (see the `threads` module).
        /// Its input is validated before anything is spawned.
        pub $($async)? fn thread_query<Q: $crate::reexport::ThreadQuery>(
            &self,
            query: &Q,
        ) -> Result<Q::Output, $crate::reexports::AgentError> {
            let stdout = self.command_stdout(query.command())$($await)*;
            $crate::reexport::finish_query(query, stdout)
        }

        /// Creates a new, empty thread (`threads new`) and returns its id.
        pub $($async)? fn thread_new(
            &self,
            visibility: Option<$crate::reexports::Visibility>,
        ) -> Result<String, $crate::reexports::AgentError> {
            self.thread_text($crate::reexport::ThreadCommand::New { visibility })$($await)*
        }

        /// The thread `thread_id` rendered as Markdown (`threads markdown`).
        pub $($async)? fn thread_markdown(
            &self,
            thread_id: &str,
        ) -> Result<String, $crate::reexports::AgentError> {
            let thread_id = thread_id.to_string();
            self.thread_text($crate::reexport::ThreadCommand::Markdown { thread_id })$($await)*
        }

        /// Turns multiplayer on or off for a thread, or on for a duration (`threads share
        /// multiplayer`); returns the CLI's confirmation.
        pub $($async)? fn thread_multiplayer(
            &self,
            thread_id: &str,
            setting: $crate::reexports::MultiplayerSetting,
        ) -> Result<String, $crate::reexports::AgentError> {
            let thread_id = thread_id.to_string();
            let command = $crate::reexport::ThreadCommand::Multiplayer { thread_id, setting };
            self.thread_text(command)$($await)*
        }

        $($async)? fn thread_text(
            &self,
            command: $crate::reexport::ThreadCommand,
        ) -> Result<String, $crate::reexports::AgentError> {
            let stdout = self.command_stdout(command.clone())$($await)*?;
            Ok(command.parse_output(&stdout))
        }
    };
}

/// Implements `From<&str>`, `From<String>` and `From<&String>` for a prompt type with a
/// `Text(String)` variant (every runtime's `Prompt`).
#[macro_export]
macro_rules! text_prompt_from {
    ($prompt:ty) => {
        impl From<&str> for $prompt {
            fn from(text: &str) -> Self {
                Self::Text(text.to_string())
            }
        }
        impl From<String> for $prompt {
            fn from(text: String) -> Self {
                Self::Text(text)
            }
        }
        impl From<&String> for $prompt {
            fn from(text: &String) -> Self {
                Self::Text(text.clone())
            }
        }
    };
}
