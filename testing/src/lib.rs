//! # ampere-testing: testing your agent code
//!
//! Code built on ampere (a review bot, a migration runner, a flow that calls Zamp actions)
//! needs tests that run in CI: no Amp account, no network, no time for a real agent. This
//! crate gives them three things, usable from `ampere-tokio`, `ampere-async-std` and
//! `ampere-blocking` alike:
//!
//! 1. **Record and replay.** Turn recording on with one line (`record_to(path)` on any
//!    runtime's `Amp` builder), run your code once against the real CLI, commit the file.
//!    In tests, [`Replay::open`] the file and point the same client at
//!    [`Replay::cli_path`]: your unchanged code gets the same messages, errors and
//!    `RunSummary`, through the same decoding, per-line errors, timeouts and
//!    run-to-completion rule as a real run (the replay is a real child process).
//! 2. **Transcripts in code.** [`Transcript`] scripts what the CLI prints (init, assistant
//!    text, thinking, tool use and result, success or error result, usage) for tests that
//!    need no recording at all.
//! 3. **A Zamp mock.** [`mock::ZampMock`] is a real HTTP server on `127.0.0.1` scripted per
//!    action name: results, failure statuses, `RUNNING` polls, 5xx / 429 / 401 answers,
//!    slow answers, with the requests it received for assertions.
//!
//! ## Recording
//!
//! ```no_run
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use ampere_blocking::{Amp, AmpOptions};
//! let amp = Amp::builder().record_to("tests/fixtures/review.jsonl").build();
//! let summary = amp.run("Review the diff in HEAD", AmpOptions::default())?;
//! # let _ = summary; Ok(()) }
//! ```
//!
//! The file (format: [`ampere_core::recording`], versioned JSON lines) holds the
//! invocation's argument list and options **with secrets removed** (environment values,
//! MCP server environments, headers and arguments, token-like keys, the system prompt's
//! text are never written), the prompt or user messages written to stdin, every stdout
//! and stderr line with its time, and the exit. The private folder's random path is
//! replaced by a placeholder. Each execution of the client overwrites the file.
//!
//! ## Replaying
//!
//! ```
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use ampere_blocking::{Amp, AmpOptions};
//! use ampere_testing::{Replay, Transcript};
//! # let dir = tempfile::tempdir()?;
//! # let path = dir.path().join("review.jsonl");
//! # std::fs::write(&path, Transcript::new().system_init().assistant_text("LGTM").result("LGTM").build().to_jsonl())?;
//! let replay = Replay::open(&path)?; // e.g. "tests/fixtures/review.jsonl"
//! let amp = Amp::builder().cli_path(replay.cli_path()).build();
//! let summary = amp.run("Review the diff in HEAD", AmpOptions::default())?;
//! assert_eq!(summary.result, "LGTM");
//! # Ok(()) }
//! ```
//!
//! The replay is a generated POSIX `sh` script in a temporary folder (removed when the
//! [`Replay`] is dropped) that writes the recorded bytes with `cat`, reads your stdin turn
//! by turn, and exits as recorded. It needs `/bin/sh`, `cat`, `cmp`, `cp`, `head` (and `sleep`
//! with fractional seconds for [`Pacing::Recorded`]), nothing else.
//!
//! **Stale recordings are reported.** Unless [`ReplayBuilder::check_invocation`] is off,
//! the script compares its arguments with the recorded ones (so a changed option such as
//! `mode` or `labels` shows) and each stdin write with the recorded one (the prompt, each
//! user message). On the first difference it prints one stderr line starting with
//! [`MISMATCH_PREFIX`] naming it (`argument 4: recorded '--mode', this run '--label'`, or
//! `the prompt differs: recorded '...', this run '...'`) and exits with
//! [`MISMATCH_EXIT_CODE`]: your run fails with a process error whose stderr holds that
//! line, and [`Replay::mismatch`] returns it. Options that only reach the CLI through the
//! private settings / MCP files (system prompt, permissions, MCP servers) are not compared.
//!
//! ## Faults
//!
//! ```
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use std::time::Duration;
//! use ampere_blocking::{AgentError, Amp, AmpOptions};
//! use ampere_testing::{Replay, Transcript};
//! let recording = Transcript::new().system_init().assistant_text("a").result("a").build();
//! // The CLI dies after the first line with exit code 2:
//! let replay = Replay::builder(recording.clone()).cut_at_line(1).crash_with(2).build()?;
//! let amp = Amp::builder().cli_path(replay.cli_path()).build();
//! let err = amp.run("go", AmpOptions::default()).unwrap_err();
//! assert!(matches!(err, AgentError::Process { exit_code: Some(2), .. }), "{err:?}");
//! // The CLI hangs: the idle timeout ends it.
//! let replay = Replay::builder(recording).cut_at_line(1).stall().build()?;
//! let amp = Amp::builder()
//!     .cli_path(replay.cli_path())
//!     .idle_timeout(Duration::from_millis(300))
//!     .kill_grace(Duration::from_millis(100))
//!     .build();
//! let err = amp.run("go", AmpOptions::default()).unwrap_err();
//! assert!(matches!(err, AgentError::Timeout { .. }), "{err:?}");
//! # Ok(()) }
//! ```
//!
//! [`ReplayBuilder::cut_at_line`] ends the output after N lines (with
//! [`partial_line`](ReplayBuilder::partial_line), half of the next line is written too),
//! [`crash_with`](ReplayBuilder::crash_with) / [`crash_with_signal`](ReplayBuilder::crash_with_signal)
//! replace the exit, [`stall`](ReplayBuilder::stall) hangs instead of exiting.
//!
//! ## The Zamp mock
//!
//! ```
//! use ampere_testing::mock::{ActionScript, Outcome, ZampMock};
//! let mock = ZampMock::start();
//! mock.script("deploy", ActionScript { running_polls: 2, ..ActionScript::default() });
//! mock.script("boom", ActionScript { outcome: Outcome::failed("kaput"), ..ActionScript::default() });
//! mock.script("flaky", ActionScript { create_statuses: vec![503, 429], ..ActionScript::default() });
//! // Point an ActionExecutor at mock.base_url() with mock.token(), run the code under test,
//! // then assert on mock.requests().
//! assert!(mock.base_url().starts_with("http://127.0.0.1:"));
//! ```
//!
//! See [`mock`] for every scripted behaviour. The server uses std threads only (no async
//! runtime), stops on drop, and serves well over a thousand concurrent actions.
#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod mock;
mod replay;
mod script;
mod transcript;

pub use ampere_core::recording::{
    self, Event, Header, Invocation, PromptShape, Recording, RecordingError,
};
pub use replay::{Pacing, Replay, ReplayBuilder, ReplayError, MISMATCH_EXIT_CODE, MISMATCH_PREFIX};
pub use transcript::{Transcript, DEFAULT_TOOLS};
