//! The permission bridge, sans-IO: the Amp CLI's `delegate` permission rules answered by a
//! handler in the caller's process.
//!
//! How it fits together (nothing beyond a POSIX `sh` and `mkfifo` on the user's machine):
//!
//! - The private folder holds a FIFO, [`REQUEST_FIFO`], that the runtime keeps open for
//!   reading, and one generated delegate script per context ([`delegate_script`]), named by
//!   [`script_name`]. The generated settings add a `delegate` rule for each context after the
//!   user's own rules ([`delegate_rules_json`]), so the user's rules decide first and the
//!   handler decides whatever they leave open.
//! - For each matching tool call the CLI runs the script with the tool's arguments on stdin.
//!   The script (pid `P`) writes `req-P` (context line, tool line, the arguments), creates the
//!   FIFO `ans-P`, writes the line `P` to the request FIFO (one short line: atomic), then waits
//!   for its answer on `ans-P`: `allow`, or `reject` and a message. It exits 0 or 2 (with the
//!   message on stderr), as the CLI's delegate contract asks.
//! - The runtime feeds the request FIFO's bytes to [`PermissionBridge::handle_notifications`],
//!   reads each `req-P` it is asked to ([`BridgeOutput::ReadRequest`]), runs the handler for
//!   each [`BridgeOutput::Decide`] (concurrently: each call is decided on its own) and writes
//!   each [`BridgeOutput::Answer`] to `ans-P`. A handler that misses the deadline, or a run
//!   that ends with calls pending ([`PermissionBridge::finish`]), gets a rejection naming why.

use std::collections::{BTreeMap, VecDeque};
use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::permission::PermissionContext;
use crate::run::IoFailure;

/// The name of the request FIFO in the private folder.
pub const REQUEST_FIFO: &str = "permission-requests";

/// The longest line on the request FIFO (a decimal pid).
const MAX_NOTIFICATION: usize = 32;

/// The file name of the delegate script for `context`.
pub fn script_name(context: PermissionContext) -> String {
    format!("permission-{}", context_word(context))
}

/// The file name of the request file of call `id`.
pub fn request_file(id: u64) -> String {
    format!("req-{id}")
}

/// The file name of the answer FIFO of call `id`.
pub fn answer_fifo(id: u64) -> String {
    format!("ans-{id}")
}

fn context_word(context: PermissionContext) -> &'static str {
    match context {
        PermissionContext::Thread => "thread",
        PermissionContext::Subagent => "subagent",
    }
}

/// Quotes `text` for a POSIX shell (single quotes; a `'` becomes `'\''`).
pub fn shell_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

/// The delegate script for `context`, for a private folder at `dir`.
pub fn delegate_script(dir: &Path, context: PermissionContext) -> String {
    let dir = shell_quote(&dir.to_string_lossy());
    let word = context_word(context);
    format!(
        r#"#!/bin/sh
# ampere permission bridge ({word}), generated: asks the SDK's handler about one tool call.
d={dir}
id=$$
umask 077
fail() {{ rm -f "$d/req-$id" "$d/ans-$id"; printf 'ampere permission bridge: %s\n' "$1" >&2; exit 2; }}
{{ printf '%s\n%s\n' '{word}' "$AGENT_TOOL_NAME"; cat; }} > "$d/req-$id.tmp" || fail "cannot write the request"
mv "$d/req-$id.tmp" "$d/req-$id" || fail "cannot write the request"
mkfifo "$d/ans-$id" || fail "cannot create the answer pipe"
printf '%s\n' "$id" > "$d/{fifo}" || fail "the SDK is not listening"
{{ IFS= read -r verdict; message=$(cat); }} < "$d/ans-$id"
rm -f "$d/req-$id" "$d/ans-$id"
case "$verdict" in
  allow) exit 0 ;;
  *) printf '%s\n' "${{message:-rejected by the permission handler}}" >&2; exit 2 ;;
esac
"#,
        fifo = REQUEST_FIFO
    )
}

/// The delegate rules (one per context) that hand every tool call the user's own rules leave
/// open to the bridge, as the CLI's permission JSON.
pub fn delegate_rules_json(dir: &Path) -> Vec<Value> {
    [PermissionContext::Thread, PermissionContext::Subagent]
        .into_iter()
        .map(|context| {
            json!({
                "tool": "*",
                "action": "delegate",
                "to": dir.join(script_name(context)).to_string_lossy(),
                "context": context_word(context),
            })
        })
        .collect()
}

/// One tool call to decide.
#[derive(Debug, Clone, PartialEq)]
pub struct PermissionRequest {
    /// The tool's name.
    pub tool: String,
    /// Its arguments.
    pub input: Value,
    /// Where the call was made (main thread or a subagent).
    pub context: PermissionContext,
}

/// A handler's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Run the tool.
    Allow,
    /// Do not run it; the agent is told this message.
    Reject(String),
}

/// What the runtime must do next.
#[derive(Debug, Clone, PartialEq)]
pub enum BridgeOutput {
    /// Read the private folder's [`request_file`]`(id)` and feed it to
    /// [`PermissionBridge::handle_request_file`].
    ReadRequest(u64),
    /// Ask the handler; report with [`PermissionBridge::handle_decision`].
    Decide {
        /// The call.
        id: u64,
        /// What to decide.
        request: PermissionRequest,
    },
    /// Write these bytes to [`answer_fifo`]`(id)` (open it for writing, write, close).
    Answer {
        /// The call.
        id: u64,
        /// `allow\n`, or `reject\n` and the message.
        bytes: Vec<u8>,
        /// Whether the call was allowed (for logs and the caller's record).
        allowed: bool,
    },
}

/// The bridge of one execution. See the [module docs](self).
#[derive(Debug)]
pub struct PermissionBridge {
    deadline: Duration,
    partial: Vec<u8>,
    discarding: bool,
    /// Calls waiting for their request file or their decision, with their deadline.
    pending: BTreeMap<u64, Option<Instant>>,
    outputs: VecDeque<BridgeOutput>,
    finished: bool,
}

impl PermissionBridge {
    /// A bridge whose handler must answer within `deadline`.
    pub fn new(deadline: Duration) -> Self {
        Self {
            deadline,
            partial: Vec::new(),
            discarding: false,
            pending: BTreeMap::new(),
            outputs: VecDeque::new(),
            finished: false,
        }
    }

    /// Bytes read from the request FIFO.
    pub fn handle_notifications(&mut self, mut bytes: &[u8], now: Instant) {
        while !bytes.is_empty() {
            let (chunk, rest, complete) = match memchr::memchr(b'\n', bytes) {
                Some(i) => (&bytes[..i], &bytes[i + 1..], true),
                None => (bytes, &[][..], false),
            };
            bytes = rest;
            if !self.discarding {
                if self.partial.len() + chunk.len() > MAX_NOTIFICATION {
                    self.partial.clear();
                    self.discarding = true;
                } else {
                    self.partial.extend_from_slice(chunk);
                }
            }
            if complete {
                let line = std::mem::take(&mut self.partial);
                if !std::mem::take(&mut self.discarding) {
                    self.notification(&line, now);
                }
            }
        }
    }

    fn notification(&mut self, line: &[u8], now: Instant) {
        // Anything but a pid is noise (nobody waits for it): skip it.
        let Some(id) = std::str::from_utf8(line)
            .ok()
            .and_then(|s| s.trim().parse::<u64>().ok())
        else {
            return;
        };
        if self.finished {
            self.outputs
                .push_back(reject(id, "the Amp execution has ended"));
            return;
        }
        if self.pending.contains_key(&id) {
            return;
        }
        self.pending.insert(id, now.checked_add(self.deadline));
        self.outputs.push_back(BridgeOutput::ReadRequest(id));
    }

    /// The contents of the request file of call `id` (or why it could not be read).
    pub fn handle_request_file(&mut self, id: u64, contents: Result<Vec<u8>, IoFailure>) {
        if !self.pending.contains_key(&id) {
            return;
        }
        let parsed = contents
            .map_err(|e| format!("cannot read the request: {}", e.message))
            .and_then(|bytes| parse_request(&bytes));
        match parsed {
            Ok(request) => self.outputs.push_back(BridgeOutput::Decide { id, request }),
            Err(why) => {
                self.pending.remove(&id);
                self.outputs
                    .push_back(reject(id, &format!("malformed permission request: {why}")));
            }
        }
    }

    /// The handler's answer for call `id` (ignored once the call was answered).
    pub fn handle_decision(&mut self, id: u64, decision: Decision) {
        if self.pending.remove(&id).is_none() {
            return;
        }
        self.outputs.push_back(match decision {
            Decision::Allow => BridgeOutput::Answer {
                id,
                bytes: b"allow\n".to_vec(),
                allowed: true,
            },
            Decision::Reject(message) => reject(id, &message),
        });
    }

    /// A deadline from [`poll_timeout`](Self::poll_timeout) may have passed: calls whose
    /// handler is late are rejected.
    pub fn handle_timeout(&mut self, now: Instant) {
        let late: Vec<u64> = self
            .pending
            .iter()
            .filter(|(_, d)| d.is_some_and(|d| d <= now))
            .map(|(id, _)| *id)
            .collect();
        for id in late {
            self.pending.remove(&id);
            let secs = self.deadline.as_secs_f64();
            self.outputs.push_back(reject(
                id,
                &format!("the permission handler did not answer within {secs:.3}s"),
            ));
        }
    }

    /// When [`handle_timeout`](Self::handle_timeout) is due next.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.pending.values().flatten().min().copied()
    }

    /// The execution ended: every pending call is rejected, later ones too.
    pub fn finish(&mut self) {
        self.finished = true;
        for id in std::mem::take(&mut self.pending).into_keys() {
            self.outputs
                .push_back(reject(id, "the Amp execution has ended"));
        }
    }

    /// Calls waiting for a decision.
    pub fn pending(&self) -> usize {
        self.pending.len()
    }

    /// The next thing to do.
    pub fn poll_output(&mut self) -> Option<BridgeOutput> {
        self.outputs.pop_front()
    }
}

fn reject(id: u64, message: &str) -> BridgeOutput {
    // One line of verdict, then the message (its own lines kept).
    let mut bytes = b"reject\n".to_vec();
    bytes.extend_from_slice(message.as_bytes());
    bytes.push(b'\n');
    BridgeOutput::Answer {
        id,
        bytes,
        allowed: false,
    }
}

/// `context\ntool\n<arguments JSON>`.
fn parse_request(bytes: &[u8]) -> Result<PermissionRequest, String> {
    let mut parts = bytes.splitn(3, |&b| b == b'\n');
    let context = match parts.next() {
        Some(b"thread") => PermissionContext::Thread,
        Some(b"subagent") => PermissionContext::Subagent,
        _ => return Err("unknown context".into()),
    };
    let tool = parts
        .next()
        .and_then(|t| std::str::from_utf8(t).ok())
        .filter(|t| !t.is_empty())
        .ok_or("no tool name")?
        .to_string();
    let rest = parts.next().unwrap_or_default();
    let input = if rest.iter().all(u8::is_ascii_whitespace) {
        Value::Object(serde_json::Map::new())
    } else {
        serde_json::from_slice(rest).map_err(|e| format!("arguments are not JSON: {e}"))?
    };
    Ok(PermissionRequest {
        tool,
        input,
        context,
    })
}
