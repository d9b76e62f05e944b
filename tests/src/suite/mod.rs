//! The cross-runtime scenario suite: every agent and action scenario is written once, here,
//! and run against all three runtimes (`ampere-tokio`, `ampere-async-std`,
//! `ampere-blocking`), so a behaviour cannot differ between them.
//!
//! How it fits together:
//!
//! - [`Runtime`] is a synchronous façade over one runtime's public surface (DESIGN.md, "The
//!   public surface, the same in all three runtimes"). Each runtime implements it in its
//!   own test file (`tests/tests/suite_<rt>.rs`): the async runtimes wrap their futures in
//!   a `block_on`, the blocking runtime calls straight through.
//! - [`scenarios`] holds the scenarios, generic over the façade: `scenarios::echo_text::<R>`.
//!   They drive the real runtime against the test doubles (the `amp-stub` CLI stand-in and
//!   the [`ZampMock`](crate::mock::ZampMock) HTTP server) and assert *exact* expectations
//!   (message sequences, error variants and fields), so a divergence fails.
//! - [`runtime_suite!`](crate::runtime_suite) expands, in a test file, to one `#[test]` per
//!   scenario. Each test runs under a watchdog ([`run_scenario`]) so a runtime that hangs
//!   fails its test instead of the whole run.
//!
//! ```ignore
//! struct Blocking;
//! impl ampere_tests::suite::Runtime for Blocking { /* ... */ }
//! ampere_tests::runtime_suite!(Blocking);
//! ```
//!
//! What a scenario can observe about the child process comes from the stub's invocation
//! record (`AMP_STUB_RECORD`, passed through `AmpOptions::env`): its pid, argv, environment
//! and the private files it was given. No runtime-specific accessor (such as an
//! `Execution::pid`) is used; the one knob beyond DESIGN.md's builder list is `temp_dir`
//! ([`AmpCfg::temp_dir`]), which all three runtimes have.
//!
//! Scenarios that change this process's environment (which every test thread shares) hold
//! [`env_lock`]; so do the ones that depend on a variable another scenario changes.

pub mod scenarios;

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use ampere_core::action::{ActionError, ActionRequest};
use ampere_core::message::{Message, UserInputMessage};
use ampere_core::options::{AmpOptions, Visibility};
use ampere_core::run::{AgentError, RunSummary};
use ampere_core::threads::MultiplayerSetting;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// One item of an execution's stream: a message, a per-line decode error, or the final error.
pub type Item = Result<Message, AgentError>;

/// The builder knobs of `Amp::builder()`; `None` leaves the runtime's default.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AmpCfg {
    /// `cli_path(..)`: the CLI to run (normally the `amp-stub` binary). `None` makes the
    /// runtime search for the CLI the standard way.
    pub cli_path: Option<PathBuf>,
    /// `overall_timeout(..)`.
    pub overall_timeout: Option<Duration>,
    /// `idle_timeout(..)`.
    pub idle_timeout: Option<Duration>,
    /// `kill_grace(..)`.
    pub kill_grace: Option<Duration>,
    /// `max_line_len(..)`.
    pub max_line_len: Option<usize>,
    /// `stderr_tail_bytes(..)`.
    pub stderr_tail_bytes: Option<usize>,
    /// `temp_dir(..)`: where private folders are created (not in DESIGN.md's list, but all
    /// three runtimes have it); lets a scenario check that nothing is left behind even when
    /// it never learns the folder's name.
    pub temp_dir: Option<PathBuf>,
    /// `exit_drain_grace(..)`: how long to wait for stdout to close after the CLI exited.
    pub exit_drain_grace: Option<Duration>,
    /// `max_buffered_bytes(..)`: the backpressure bound on undelivered stdout bytes.
    pub max_buffered_bytes: Option<usize>,
}

/// The prompt of one execution, in a runtime-neutral form.
#[derive(Debug, Clone, PartialEq)]
pub enum PromptSpec {
    /// `Prompt::Text` (written to stdin, then stdin is closed).
    Text(String),
    /// A stream of user messages (`--stream-json-input`): `Prompt::stream` of these messages
    /// under the async runtimes, `Prompt::messages` under the blocking one. The input ends
    /// after the last one.
    Messages(Vec<UserInputMessage>),
}

impl From<&str> for PromptSpec {
    fn from(text: &str) -> Self {
        PromptSpec::Text(text.to_string())
    }
}

impl From<String> for PromptSpec {
    fn from(text: String) -> Self {
        PromptSpec::Text(text)
    }
}

/// Everything an execution yielded, read to its end.
#[derive(Debug)]
pub struct Collected {
    /// The items in the order the stream yielded them.
    pub items: Vec<Item>,
    /// Wall time from the `execute` call to the end of the stream.
    pub elapsed: Duration,
}

/// How an interactive session ends in [`Runtime::session`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionEnd {
    /// `session.finish()`: closes the input, drains, returns the summary.
    Finish,
    /// `session.close_input()`, then read the session's stream to its end.
    CloseAndDrain,
}

/// What an interactive session produced.
#[derive(Debug)]
pub struct SessionOutcome {
    /// The result of each `send_text`, one per turn (a turn is sent even after the stream
    /// ended, to observe what sending then does).
    pub sends: Vec<Result<(), AgentError>>,
    /// Every item read from the session's stream (for [`SessionEnd::Finish`], those read
    /// before `finish()`).
    pub items: Vec<Item>,
    /// The summary `finish()` returned (`None` with [`SessionEnd::CloseAndDrain`]).
    pub summary: Option<Result<RunSummary, AgentError>>,
}

/// Where an action executor points; `None` leaves the value to the environment
/// (`ZAMP_BASE_URL` / `ZAMP_AUTH_TOKEN`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ActionCfg {
    /// `ActionExecutor::builder().base_url(..)`.
    pub base_url: Option<String>,
    /// `ActionExecutor::builder().auth_token(..)`.
    pub auth_token: Option<String>,
}

impl ActionCfg {
    /// Explicit configuration pointing at a mock.
    pub fn explicit(base_url: &str, auth_token: &str) -> Self {
        ActionCfg {
            base_url: Some(base_url.to_string()),
            auth_token: Some(auth_token.to_string()),
        }
    }
}

/// A synchronous façade over one runtime's public surface. Every method builds what it
/// needs from the arguments (a fresh `Amp` from [`AmpCfg`], a fresh `ActionExecutor` from
/// [`ActionCfg`]) and blocks until the operation is over.
pub trait Runtime: 'static {
    /// The runtime's name, for messages.
    const NAME: &'static str;

    /// `Amp::execute(prompt, options)`, read to the end of the stream.
    fn execute(cfg: &AmpCfg, prompt: PromptSpec, options: AmpOptions) -> Collected;

    /// `Amp::execute`, read until `after` items have arrived (or the stream ended), then
    /// `while_alive` is called with them while the execution is still held, then the
    /// execution is dropped (not cancelled). Returns the items read.
    fn execute_then_drop(
        cfg: &AmpCfg,
        prompt: PromptSpec,
        options: AmpOptions,
        after: usize,
        while_alive: &mut dyn FnMut(&[Item]),
    ) -> Vec<Item>;

    /// Like [`execute_then_drop`](Self::execute_then_drop), but ends with
    /// `Execution::cancel()` (awaited), which must have terminated and reaped the child and
    /// removed the private folder when it returns.
    fn execute_then_cancel(
        cfg: &AmpCfg,
        prompt: PromptSpec,
        options: AmpOptions,
        after: usize,
        while_alive: &mut dyn FnMut(&[Item]),
    ) -> Vec<Item>;

    /// `Amp::execute`, read like [`execute`](Self::execute) except that after `pause_after`
    /// items the consumer pauses for `pause` (the runtime's own sleep: `tokio::time::sleep`,
    /// an async-io timer, `std::thread::sleep`) before reading on: a slow consumer.
    fn execute_paused(
        cfg: &AmpCfg,
        prompt: PromptSpec,
        options: AmpOptions,
        pause_after: usize,
        pause: Duration,
    ) -> Collected;

    /// `Amp::execute`, read to the end of the stream; after each item `each` is called with
    /// the number of items taken so far and the item, and the consumer then pauses for the
    /// duration it returns (the runtime's own sleep; zero = no pause): a consumer of any
    /// pace that can look at the world between items.
    fn execute_each(
        cfg: &AmpCfg,
        prompt: PromptSpec,
        options: AmpOptions,
        each: &mut dyn FnMut(usize, &Item) -> Duration,
    ) -> Collected;

    /// `Amp::execute`, read to the end of the stream, then asked for two more items (a
    /// finished stream must keep saying `None`, not panic or start over).
    fn execute_past_end(
        cfg: &AmpCfg,
        prompt: PromptSpec,
        options: AmpOptions,
    ) -> (Vec<Item>, Vec<Option<Item>>);

    /// The free function `execute(prompt, options)` (= `Amp::new().execute(..)`: the CLI is
    /// found the standard way), read to the end of the stream.
    fn execute_default(prompt: PromptSpec, options: AmpOptions) -> Collected;

    /// Several executions at once on one `Amp` (clones of it), on this runtime's own means
    /// of concurrency (tasks, or threads for the blocking runtime); each read to its end.
    /// Results in input order.
    fn execute_concurrently(cfg: &AmpCfg, runs: Vec<(PromptSpec, AmpOptions)>) -> Vec<Collected>;

    /// `Amp::run(prompt, options)`.
    fn run(cfg: &AmpCfg, prompt: PromptSpec, options: AmpOptions)
        -> Result<RunSummary, AgentError>;

    /// `Amp::session(options)`, driven interactively: for each turn, `send_text(turn)`, then
    /// (if the send succeeded and the stream has not ended) read the session's stream up to
    /// and including the next result message, or its end; then end it as `end` says.
    fn session(
        cfg: &AmpCfg,
        options: AmpOptions,
        turns: Vec<String>,
        end: SessionEnd,
    ) -> SessionOutcome;

    /// Like [`session`](Self::session) for the turns, then `while_alive` is called with the
    /// items read, then the session is dropped with its input still open.
    fn session_then_drop(
        cfg: &AmpCfg,
        options: AmpOptions,
        turns: Vec<String>,
        while_alive: &mut dyn FnMut(&[Item]),
    ) -> Vec<Item>;

    /// `Amp::session(options)`: `send_text(turn)`, then the session's stream read up to and
    /// including the next result message (or its end), calling `each` after every item as
    /// [`execute_each`](Self::execute_each) does; then `finish()`. Returns the items read and
    /// what `finish` returned.
    fn session_each(
        cfg: &AmpCfg,
        options: AmpOptions,
        turn: String,
        each: &mut dyn FnMut(usize, &Item) -> Duration,
    ) -> (Vec<Item>, Result<RunSummary, AgentError>);

    /// `Amp::thread_new(visibility)`.
    fn thread_new(cfg: &AmpCfg, visibility: Option<Visibility>) -> Result<String, AgentError>;

    /// `Amp::thread_markdown(id)`.
    fn thread_markdown(cfg: &AmpCfg, thread_id: &str) -> Result<String, AgentError>;

    /// `Amp::thread_multiplayer(id, setting)`.
    fn thread_multiplayer(
        cfg: &AmpCfg,
        thread_id: &str,
        setting: MultiplayerSetting,
    ) -> Result<String, AgentError>;

    /// `ActionExecutor::execute_request::<T>(request)` on a fresh executor.
    fn action<T: DeserializeOwned + Send + 'static>(
        cfg: &ActionCfg,
        request: ActionRequest,
    ) -> Result<T, ActionError>;

    /// The seed-shaped `ActionExecutor::execute::<Value>(action_name, params)`.
    fn action_by_name(
        cfg: &ActionCfg,
        action_name: &str,
        params: Value,
    ) -> Result<Value, ActionError>;

    /// The free function `execute_action(action_name, params)` (configured from the
    /// environment).
    fn execute_action(action_name: &str, params: Value) -> Result<Value, ActionError>;

    /// `format!("{:?}", executor)` of an executor built from `cfg` (the token must not show).
    fn action_executor_debug(cfg: &ActionCfg) -> String;

    /// Every request at once on ONE executor (clones of it), on one runtime; results in
    /// request order.
    fn actions_concurrently(
        cfg: &ActionCfg,
        requests: Vec<ActionRequest>,
    ) -> Vec<Result<Value, ActionError>>;
}

/// The context every scenario gets: where the test doubles are.
#[derive(Debug, Clone)]
pub struct Suite {
    /// The `amp-stub` binary (the macro passes `env!("CARGO_BIN_EXE_amp-stub")`).
    pub stub: PathBuf,
}

/// A safety net on every execution of the suite: no scenario legitimately runs this long.
pub const SAFETY_TIMEOUT: Duration = Duration::from_secs(90);

/// How long a scenario may run in all before its test fails as hung.
pub const SCENARIO_DEADLINE: Duration = Duration::from_secs(180);

/// How long "eventually gone" checks wait (a loaded machine can be slow).
pub const EVENTUALLY: Duration = Duration::from_secs(10);

impl Suite {
    /// A context for the stub at `stub`.
    pub fn new(stub: impl Into<PathBuf>) -> Self {
        Suite { stub: stub.into() }
    }

    /// Another binary of this package (`amp-flood`, `ampere-drop-exit`): cargo puts them all
    /// beside `amp-stub`.
    pub fn bin(&self, name: &str) -> PathBuf {
        self.stub.with_file_name(name)
    }

    /// The default agent configuration: the stub as CLI, a generous overall timeout as a
    /// safety net, everything else at the runtime's default.
    pub fn cfg(&self) -> AmpCfg {
        AmpCfg {
            cli_path: Some(self.stub.clone()),
            overall_timeout: Some(SAFETY_TIMEOUT),
            ..AmpCfg::default()
        }
    }
}

/// Runs one scenario under a watchdog: a scenario still running after
/// [`SCENARIO_DEADLINE`] fails (its thread is left behind); a panic inside it is re-raised.
pub fn run_scenario<R: Runtime>(name: &str, stub: &str, scenario: fn(&Suite)) {
    let suite = Suite::new(stub);
    let (tx, rx) = std::sync::mpsc::channel::<()>();
    let handle = std::thread::Builder::new()
        .name(format!("{}::{name}", R::NAME))
        .spawn(move || {
            scenario(&suite);
            let _ = tx.send(());
        })
        .expect("spawn the scenario thread");
    match rx.recv_timeout(SCENARIO_DEADLINE) {
        Ok(()) => {
            let _ = handle.join();
        }
        Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
            if let Err(panic) = handle.join() {
                std::panic::resume_unwind(panic);
            }
        }
        Err(std::sync::mpsc::RecvTimeoutError::Timeout) => panic!(
            "[{}] scenario {name} still running after {SCENARIO_DEADLINE:?}: the runtime hangs",
            R::NAME
        ),
    }
}

static ENV_LOCK: Mutex<()> = Mutex::new(());

/// Serializes the scenarios that change this process's environment (it is global to the
/// test binary). Hold the guard while the variables are changed and used.
pub fn env_lock() -> MutexGuard<'static, ()> {
    ENV_LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

/// Sets (or removes, with `None`) environment variables and puts the old values back on
/// drop. Use it only while holding [`env_lock`].
#[derive(Debug)]
pub struct EnvPatch {
    saved: Vec<(String, Option<std::ffi::OsString>)>,
}

impl EnvPatch {
    /// Applies `changes`.
    pub fn apply(changes: &[(&str, Option<&std::ffi::OsStr>)]) -> Self {
        let mut saved = Vec::new();
        for (key, value) in changes {
            saved.push((key.to_string(), std::env::var_os(key)));
            match value {
                Some(v) => std::env::set_var(key, v),
                None => std::env::remove_var(key),
            }
        }
        EnvPatch { saved }
    }
}

impl Drop for EnvPatch {
    fn drop(&mut self) {
        for (key, value) in self.saved.drain(..).rev() {
            match value {
                Some(v) => std::env::set_var(&key, v),
                None => std::env::remove_var(&key),
            }
        }
    }
}

/// Polls `done` every 20 ms until it is true or `within` has passed; returns its last value.
pub fn eventually(within: Duration, mut done: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + within;
    loop {
        if done() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Whether process `pid` still exists (a zombie counts: it has not been reaped).
pub fn process_exists(pid: u32) -> bool {
    Path::new(&format!("/proc/{pid}")).exists()
}

/// The stub's invocation record: what the child process saw (see the `amp-stub` docs).
#[derive(Debug, Clone)]
pub struct Record(pub Value);

impl Record {
    /// Reads the record at `path`; `None` if the stub never wrote it (nothing was spawned).
    pub fn load(path: &Path) -> Option<Record> {
        let text = std::fs::read_to_string(path).ok()?;
        serde_json::from_str(&text).ok().map(Record)
    }

    /// The child's pid.
    pub fn pid(&self) -> u32 {
        self.0["pid"].as_u64().expect("record has a pid") as u32
    }

    /// argv without the program name.
    pub fn args(&self) -> Vec<String> {
        self.0["args"]
            .as_array()
            .expect("record has args")
            .iter()
            .map(|a| a.as_str().unwrap_or_default().to_string())
            .collect()
    }

    /// One environment variable of the child.
    pub fn env(&self, key: &str) -> Option<String> {
        self.0["env"][key].as_str().map(str::to_string)
    }

    /// A string field.
    pub fn str(&self, key: &str) -> Option<String> {
        self.0[key].as_str().map(str::to_string)
    }

    /// The private folder the execution got: the folder of the `--settings-file` it was
    /// given (only when ampere generated one).
    pub fn private_dir(&self) -> Option<PathBuf> {
        self.str("settings_file")
            .map(PathBuf::from)
            .and_then(|p| p.parent().map(Path::to_path_buf))
    }
}

/// A per-scenario scratch folder with the stub's record file in it.
#[derive(Debug)]
pub struct Scratch {
    dir: tempfile::TempDir,
}

impl Scratch {
    /// A fresh scratch folder.
    pub fn new() -> Self {
        Scratch {
            dir: tempfile::Builder::new()
                .prefix("ampere-suite-")
                .tempdir()
                .expect("create a scratch folder"),
        }
    }

    /// The folder.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Where the stub writes its invocation record.
    pub fn record_path(&self) -> PathBuf {
        self.dir.path().join("record.json")
    }

    /// `options` with `AMP_STUB_RECORD` pointing at [`record_path`](Self::record_path).
    pub fn recorded(&self, options: AmpOptions) -> AmpOptions {
        options.env("AMP_STUB_RECORD", self.record_path().to_string_lossy())
    }

    /// The record, if the stub wrote one.
    pub fn record(&self) -> Option<Record> {
        Record::load(&self.record_path())
    }

    /// A folder for the execution's private folders ([`AmpCfg::temp_dir`]), created empty.
    pub fn temp_root(&self) -> PathBuf {
        let root = self.dir.path().join("tmp");
        std::fs::create_dir_all(&root).expect("create the temp root");
        root
    }

    /// What is left in [`temp_root`](Self::temp_root).
    pub fn temp_leftovers(&self) -> Vec<PathBuf> {
        std::fs::read_dir(self.dir.path().join("tmp"))
            .map(|entries| entries.filter_map(|e| e.ok().map(|e| e.path())).collect())
            .unwrap_or_default()
    }
}

impl Default for Scratch {
    fn default() -> Self {
        Self::new()
    }
}

/// A short tag for an item, to compare whole sequences: `system/init`, `user`,
/// `assistant`, `result`, `error_result`, `unknown:<type>`, `decode@<line>:<kind>`,
/// `process`, `timeout:<kind>`, `cancelled`, `validation:<field>`, `cli_not_found`, ...
pub fn tag(item: &Item) -> String {
    use ampere_core::decode::DecodeErrorKind;
    match item {
        Ok(Message::System(s)) => format!("system/{}", s.subtype),
        Ok(Message::User(_)) => "user".into(),
        Ok(Message::Assistant(_)) => "assistant".into(),
        Ok(Message::Result(_)) => "result".into(),
        Ok(Message::ErrorResult(_)) => "error_result".into(),
        Ok(Message::Unknown(u)) => format!("unknown:{}", u.message_type()),
        Ok(other) => format!("message:{}", other.message_type()),
        Err(AgentError::Decode(e)) => {
            let kind = match &e.kind {
                DecodeErrorKind::LineTooLong { .. } => "too_long",
                DecodeErrorKind::InvalidUtf8 => "utf8",
                DecodeErrorKind::InvalidJson(_) => "json",
                DecodeErrorKind::Shape(_) => "shape",
                _ => "other",
            };
            format!("decode@{}:{kind}", e.line)
        }
        Err(AgentError::Process { .. }) => "process".into(),
        Err(AgentError::Timeout { kind, .. }) => format!("timeout:{kind}"),
        Err(AgentError::Cancelled) => "cancelled".into(),
        Err(AgentError::Validation(v)) => format!("validation:{}", v.field),
        Err(AgentError::CliNotFound { .. }) => "cli_not_found".into(),
        Err(AgentError::Plan(_)) => "plan".into(),
        Err(AgentError::Io { .. }) => "io".into(),
        Err(AgentError::NoResult) => "no_result".into(),
        Err(AgentError::ErrorResult { .. }) => "error_result_error".into(),
        Err(other) => format!("error:{other}"),
    }
}

/// [`tag`] of every item.
pub fn tags(items: &[Item]) -> Vec<String> {
    items.iter().map(tag).collect()
}

/// Expands, in a test file, to one `#[test]` per scenario of the suite for the runtime
/// façade `$rt` (a type implementing [`suite::Runtime`](crate::suite::Runtime)), inside a
/// module `suite`. Each test runs `suite::scenarios::<name>::<$rt>` under
/// [`run_scenario`](crate::suite::run_scenario), with the `amp-stub` binary of this package.
///
/// `runtime_suite!(MyRt);` runs every scenario; `runtime_suite!(MyRt, only: [a, b]);` runs
/// the listed ones (for a runtime that cannot run the rest yet).
#[macro_export]
macro_rules! runtime_suite {
    ($rt:ty) => {
        $crate::runtime_suite!($rt, only: [
            // agent: messages
            echo_text,
            stream_ends_for_good,
            stream_input_turns,
            session_finish,
            session_close_input,
            run_summary_tools,
            run_summary_usage_adds_up,
            run_skips_garbage,
            run_process_error,
            run_idle_timeout,
            tool_calls_stream,
            thinking_blocks,
            thinking_off_by_default,
            unknown_types_pass_through,
            garbage_lines,
            crash_mid_stream,
            crash_partial_line,
            killed_by_signal,
            exit_nonzero_after_success,
            error_result,
            error_result_unknown_subtype,
            big_line_20mb,
            stderr_flood,
            stderr_tail_bounded,
            stderr_complete_at_exit,
            slow_drip,
            slow_drip_not_idle,
            max_line_len_small,
            // agent: timeouts, cancellation, cleanup
            idle_timeout_hang,
            overall_timeout,
            success_then_hang_is_ok,
            ignore_sigterm_kill_after_grace,
            drop_after_first_message,
            drop_ignoring_sigterm,
            default_kill_grace_5s,
            cancel_reaps_and_cleans,
            cancel_before_reading,
            cancel_after_end,
            // agent: invocation
            env_user_wins_and_sdk_version,
            env_sdk_version_user_given,
            secrets_not_on_command_line,
            argv_options,
            argv_continue_latest_and_title,
            argv_more_options,
            effort_unknown_to_cli,
            validation_bad_label,
            validation_title_with_continue,
            cli_not_found_explicit,
            cli_not_found_search,
            // thread commands
            thread_new,
            thread_new_public_is_unlisted,
            thread_markdown,
            thread_markdown_invalid_id,
            thread_multiplayer,
            thread_multiplayer_invalid_ttl,
            thread_command_fails,
            // more runs
            execute_free_function,
            concurrent_executions,
            exit_zero_without_result,
            empty_stream_input,
            big_prompt,
            session_send_after_exit,
            session_error_result,
            session_drop_midway,
            cwd_option,
            settings_file_base,
            mcp_config_path,
            drop_kills_process_group,
            exit_with_grandchild_holding_stdout,
            drop_before_reading,
            no_leftovers_on_early_errors,
            slow_consumer_no_idle_timeout,
            slow_consumer_no_overall_timeout,
            slow_consumer_backpressure,
            // lifecycle (issue 9): thread-command timeout, exit drain, exit after drop, memory
            thread_command_timeout_sigterm_first,
            thread_command_timeout_sigkill_after_grace,
            exit_drain_grace_kills_grandchild,
            exit_right_after_drop,
            backpressure_bounded,
            session_backpressure_bounded,
            // edges (moved in from the per-runtime test files)
            cli_never_reads_big_prompt,
            thread_new_reads_thread_url,
            drop_returns_before_the_grace,
            private_dir_gone_at_stream_end,
            // actions
            action_happy_path,
            action_by_name,
            action_create_5xx_then_success,
            action_poll_5xx_then_success,
            action_429_no_retry,
            action_401,
            action_poll_404_surfaces,
            action_failure_statuses,
            action_unexpected_status,
            action_non_json_create,
            action_non_json_poll,
            action_error_envelope,
            action_inline,
            action_inline_not_opted_in,
            action_inline_running,
            action_typed_result,
            action_validation_before_send,
            action_env_config,
            action_env_missing,
            action_concurrent_20,
            action_data_envelope,
            action_base_url_prefix,
            action_network_error,
            action_token_not_in_debug,
            action_create_body_options,
            action_redirect_not_followed,
            action_oversized_body,
            action_invalid_base_url,
            action_bad_name,
            action_user_agent,
            action_refused_same_text,
            action_shared_executor_reuses_connections,
        ]);
    };
    ($rt:ty, only: [$($name:ident),* $(,)?]) => {
        mod suite {
            #[allow(unused_imports)]
            use super::*;
            $(
                #[test]
                fn $name() {
                    $crate::suite::run_scenario::<$rt>(
                        stringify!($name),
                        env!("CARGO_BIN_EXE_amp-stub"),
                        $crate::suite::scenarios::$name::<$rt>,
                    );
                }
            )*
        }
    };
}

/// Defines `fn amp(&AmpCfg) -> $amp` and `fn executor(&ActionCfg) -> $executor` in a
/// runtime's suite file: the same mapping of the suite's knobs onto each runtime's builders
/// (the three runtimes have the same builder methods, but distinct types).
#[macro_export]
macro_rules! suite_builders {
    ($amp:ident, $executor:ident) => {
        fn amp(cfg: &$crate::suite::AmpCfg) -> $amp {
            let mut b = $amp::builder();
            if let Some(p) = &cfg.cli_path {
                b = b.cli_path(p.clone());
            }
            if let Some(d) = cfg.overall_timeout {
                b = b.overall_timeout(d);
            }
            if let Some(d) = cfg.idle_timeout {
                b = b.idle_timeout(d);
            }
            if let Some(d) = cfg.kill_grace {
                b = b.kill_grace(d);
            }
            if let Some(n) = cfg.max_line_len {
                b = b.max_line_len(n);
            }
            if let Some(n) = cfg.stderr_tail_bytes {
                b = b.stderr_tail_bytes(n);
            }
            if let Some(d) = &cfg.temp_dir {
                b = b.temp_dir(d.clone());
            }
            if let Some(d) = cfg.exit_drain_grace {
                b = b.exit_drain_grace(d);
            }
            if let Some(n) = cfg.max_buffered_bytes {
                b = b.max_buffered_bytes(n);
            }
            b.build()
        }

        fn executor(cfg: &$crate::suite::ActionCfg) -> $executor {
            let mut b = $executor::builder();
            if let Some(u) = &cfg.base_url {
                b = b.base_url(u.clone());
            }
            if let Some(t) = &cfg.auth_token {
                b = b.auth_token(t.clone());
            }
            b.build()
        }
    };
}
