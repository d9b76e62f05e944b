//! Agent scenarios: the Amp CLI (played by `amp-stub`) driven through a runtime.
//!
//! The stub's scenario is chosen with a `[[scenario:NAME key=value]]` directive in the
//! prompt, built from [`StubScenario`]; `AMP_STUB_RECORD` (set through `AmpOptions::env`)
//! makes it write what it saw.
//!
//! One file per topic (`messages`, `sessions`, `failures`, `volume`, `timeouts`, `cleanup`,
//! `invocation`, `threads`), every scenario re-exported here; the helpers they share are
//! below.

use std::path::PathBuf;
use std::time::Duration;

use ampere_core::decode::DecodeErrorKind;
use ampere_core::mcp::{McpConfig, McpServer};
use ampere_core::message::{
    create_user_message, AssistantMessage, ContentBlock, McpServerState, Message, StopReason,
    ToolResultContent, Usage, UserMessage,
};
use ampere_core::options::{AmpOptions, ContinueThread, Effort, LogLevel, Mode, Visibility};
use ampere_core::permission::{create_permission, PermissionAction, PermissionOptions};
use ampere_core::run::{AgentError, RunSummary, TimeoutKind};
use ampere_core::threads::{MultiplayerSetting, TtlDuration};
use serde_json::{json, Value};

use crate::stub::scenario::{Scenario, StubScenario};
use crate::stub::{self, big_line_content, fnv1a64};
use crate::suite::{
    env_lock, eventually, process_exists, tag, tags, AmpCfg, EnvPatch, Item, PromptSpec, Record,
    Runtime, Scratch, SessionEnd, Suite, EVENTUALLY,
};

mod cleanup;
mod failures;
mod invocation;
mod messages;
mod sessions;
mod threads;
mod timeouts;
mod volume;

pub use cleanup::*;
pub use failures::*;
pub use invocation::*;
pub use messages::*;
pub use sessions::*;
pub use threads::*;
pub use timeouts::*;
pub use volume::*;

// ---------------------------------------------------------------------------------------------
// helpers
// ---------------------------------------------------------------------------------------------

/// A text prompt selecting a stub scenario.
fn directive(scenario: impl Into<Scenario>, text: &str) -> PromptSpec {
    PromptSpec::Text(scenario.into().directive(text))
}

fn ok_messages(items: &[Item]) -> Vec<&Message> {
    items.iter().filter_map(|i| i.as_ref().ok()).collect()
}

fn assistants(items: &[Item]) -> Vec<&AssistantMessage> {
    items
        .iter()
        .filter_map(|i| match i {
            Ok(Message::Assistant(a)) => Some(a),
            _ => None,
        })
        .collect()
}

fn users(items: &[Item]) -> Vec<&UserMessage> {
    items
        .iter()
        .filter_map(|i| match i {
            Ok(Message::User(u)) => Some(u),
            _ => None,
        })
        .collect()
}

fn results(items: &[Item]) -> Vec<&ampere_core::message::ResultMessage> {
    items
        .iter()
        .filter_map(|i| match i {
            Ok(Message::Result(r)) => Some(r),
            _ => None,
        })
        .collect()
}

fn assert_tags<R: Runtime>(what: &str, items: &[Item], expected: &[&str]) {
    let got = tags(items);
    assert_eq!(
        got,
        expected,
        "[{}] {what}: item sequence differs; items: {items:#?}",
        R::NAME
    );
}

/// Every message of a run carries the same session id (the init's).
fn assert_one_session<R: Runtime>(items: &[Item]) -> String {
    let ids: Vec<&str> = ok_messages(items)
        .iter()
        .filter_map(|m| m.session_id())
        .collect();
    let first = ids.first().copied().unwrap_or_default().to_string();
    assert!(
        stub::args::is_thread_id(&first),
        "[{}] session id {first:?} is not a thread id",
        R::NAME
    );
    assert!(
        ids.iter().all(|id| *id == first),
        "[{}] session ids differ: {ids:?}",
        R::NAME
    );
    first
}

/// The counters of a usage (`service_tier` / `max_tokens` left out).
fn counts(u: &Usage) -> [u64; 4] {
    [
        u.input_tokens,
        u.output_tokens,
        u.cache_creation_input_tokens,
        u.cache_read_input_tokens,
    ]
}

fn sum_assistant_usage(items: &[Item]) -> [u64; 4] {
    let mut sum = [0u64; 4];
    for a in assistants(items) {
        if let Some(u) = &a.message.usage {
            for (s, v) in sum.iter_mut().zip(counts(u)) {
                *s += v;
            }
        }
    }
    sum
}

fn record_of<R: Runtime>(scratch: &Scratch) -> Record {
    scratch
        .record()
        .unwrap_or_else(|| panic!("[{}] the stub wrote no invocation record", R::NAME))
}

/// After the stream ended, the child has been reaped (its exit was reported).
fn assert_reaped<R: Runtime>(record: &Record) {
    let pid = record.pid();
    assert!(
        !process_exists(pid),
        "[{}] child {pid} still exists (not reaped) after the stream ended",
        R::NAME
    );
}

/// The child and the private folder disappear within [`EVENTUALLY`].
fn assert_eventually_gone<R: Runtime>(record: &Record, dir: Option<&PathBuf>) {
    let pid = record.pid();
    assert!(
        eventually(EVENTUALLY, || !process_exists(pid)),
        "[{}] child {pid} still exists {EVENTUALLY:?} later (not killed or not reaped)",
        R::NAME
    );
    if let Some(dir) = dir {
        assert!(
            eventually(EVENTUALLY, || !dir.exists()),
            "[{}] private folder {} still exists {EVENTUALLY:?} later",
            R::NAME,
            dir.display()
        );
    }
}

/// The suite's configuration with private folders created in the scratch folder.
fn cfg_in(s: &Suite, scratch: &Scratch) -> AmpCfg {
    AmpCfg {
        temp_dir: Some(scratch.temp_root()),
        ..s.cfg()
    }
}

/// Nothing is left in the scratch temp root (within [`EVENTUALLY`] if `wait`).
fn assert_no_leftovers<R: Runtime>(scratch: &Scratch, wait: bool) {
    let clean = if wait {
        eventually(EVENTUALLY, || scratch.temp_leftovers().is_empty())
    } else {
        scratch.temp_leftovers().is_empty()
    };
    assert!(
        clean,
        "[{}] left behind in the temp folder: {:?}",
        R::NAME,
        scratch.temp_leftovers()
    );
}

/// Options that make ampere generate a settings file (so the execution has a private
/// folder), recorded.
fn with_private_dir(scratch: &Scratch) -> AmpOptions {
    scratch.recorded(AmpOptions::new().system_prompt("You are the suite's test agent."))
}

fn private_dir_of<R: Runtime>(record: &Record) -> PathBuf {
    record.private_dir().unwrap_or_else(|| {
        panic!(
            "[{}] no --settings-file was passed: {:?}",
            R::NAME,
            record.0
        )
    })
}

fn expect_process(item: &Item) -> (Option<i32>, Option<String>, String) {
    match item {
        Err(AgentError::Process {
            exit_code,
            signal,
            stderr,
        }) => (*exit_code, signal.clone(), stderr.clone()),
        other => panic!("expected a process error, got {other:?}"),
    }
}

/// Runs `f`, once more if the spawn failed with ETXTBSY (a script written by this
/// multi-threaded process can be briefly held open by another thread's fork).
fn retry_text_busy(mut f: impl FnMut() -> Vec<Item>) -> Vec<Item> {
    let items = f();
    // `ErrorKind::ExecutableFileBusy` is newer than the MSRV: compare by name.
    let busy = matches!(
        items.first(),
        Some(Err(AgentError::Io { kind, .. })) if format!("{kind:?}") == "ExecutableFileBusy"
    );
    if busy {
        std::thread::sleep(Duration::from_millis(100));
        return f();
    }
    items
}
