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

mod callbacks;
mod helpers;
mod macros;
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

pub use callbacks::*;
pub use helpers::*;

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
    /// `max_turns(..)`: the turns guard.
    pub max_turns: Option<u64>,
    /// `max_tokens(..)`: the tokens guard.
    pub max_tokens: Option<u64>,
    /// `on_stderr(..)`: collect the live stderr lines here.
    pub on_stderr: Option<StderrLines>,
    /// `permission_handler(..)`: decides the calls the permission rules leave open.
    pub permission_handler: Option<SuiteHandler>,
    /// `permission_deadline(..)`.
    pub permission_deadline: Option<Duration>,
    /// `tool(..)`, once per tool.
    pub tools: SuiteTools,
}

/// Live stderr lines collected by an `on_stderr` callback (equal when they are the same
/// collector).
#[derive(Debug, Clone, Default)]
pub struct StderrLines(std::sync::Arc<std::sync::Mutex<Vec<(std::time::Instant, String)>>>);

impl StderrLines {
    fn lines(&self) -> std::sync::MutexGuard<'_, Vec<(std::time::Instant, String)>> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Adds one line (the callback), with the instant it came.
    pub fn push(&self, line: &str) {
        let now = std::time::Instant::now();
        self.lines().push((now, line.to_string()));
    }

    /// When the first line so far came.
    pub fn first_at(&self) -> Option<std::time::Instant> {
        self.lines().first().map(|(at, _)| *at)
    }

    /// The lines so far.
    pub fn take(&self) -> Vec<String> {
        let lines = std::mem::take(&mut *self.lines());
        lines.into_iter().map(|(_, line)| line).collect()
    }
}

impl PartialEq for StderrLines {
    fn eq(&self, other: &Self) -> bool {
        std::sync::Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Eq for StderrLines {}

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

    /// `Amp::thread_query(&query)`: one typed thread request.
    fn thread_query<Q: ampere_core::threads::ThreadQuery>(
        cfg: &AmpCfg,
        query: &Q,
    ) -> Result<Q::Output, AgentError>;

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
