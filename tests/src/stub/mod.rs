//! `amp-stub`: a stand-in for the Amp CLI that speaks the real protocol.
//!
//! It accepts the real CLI's flags (same parser rules and error text as
//! `@ampcode/cli@0.0.1790142911-g7618fb`, see [`args`]), reads the prompt from stdin (text, or
//! JSON lines with `--stream-json-input`) and prints realistic stream JSON whose shape is
//! chosen by a scenario (see [`scenario`] and the crate README of the doubles below).
//!
//! Scenario selection: a `[[scenario:NAME key=value ...]]` directive in the prompt (or in the
//! first streamed user message) wins over the environment variable `AMP_STUB_SCENARIO`
//! (`NAME key=value ...`); the default is `echo`. Every scenario accepts `delay_ms=N` (pause
//! after each stdout message).
//! The names are [`scenario::StubScenario`]; tests build directives with it
//! (`StubScenario::Crash.param("after", 3).directive("go")`) instead of writing them out.
//!
//! | scenario | what it does | parameters |
//! |---|---|---|
//! | `echo` | replies with the prompt text (directive removed) | |
//! | `tools` | N tool calls (`tool_use`) each answered by a `tool_result` (string and block-list forms alternate), then a final text | `count` (2) |
//! | `thinking` | thinking blocks (only with `--stream-json-thinking`, as the real CLI) + text | `blocks` (2) |
//! | `multi` | N assistant messages in one execution (text mode); with `--stream-json-input` every input line is a turn in every scenario | `turns` (3) |
//! | `error-result` | error result (`is_error: true`), exit 1 | `subtype` (error_during_execution), `message`, `code` (1) |
//! | `crash` | prints `after` stdout lines then exits with `code` or kills itself with `signal` (name or number); no result | `after` (3), `code` (2), `signal`, `partial` (1 = leave a half line) |
//! | `garbage` | interleaves non-JSON, invalid UTF-8, truncated JSON, arrays, objects without `type` among the valid lines | |
//! | `big-line` | one `tool_result` line whose content is [`big_line_content`]`(bytes)`; the result text is `big-line bytes=N fnv1a64=HEX` | `mb` (20) or `bytes` |
//! | `slow-drip` | writes every stdout byte separately with a pause | `byte_delay_us` (500) |
//! | `hang` | prints init (and the user echo) then sleeps forever, stdout left open | |
//! | `exit-after-success` | success result then exit `code` | `code` (3) |
//! | `stderr-flood` | writes `mb` MiB to stderr, half before stdout, half from a thread while stdout is written | `mb` (10) |
//! | `ignore-sigterm` | ignores SIGTERM (`SIG_IGN`), prints init, hangs | |
//! | `echo-env` | result text is a JSON object describing the invocation (see below) | `vars` (comma list; default every `AMP*` variable) |
//! | `unknown-types` | unknown message types, system subtypes, content blocks, stop reasons, MCP statuses and extra fields, then success | |
//! | `delegate` | `Bash` calls decided by the settings' permission rules; `delegate` programs run as the CLI runs them (stdin, `AGENT`, `AGENT_TOOL_NAME`, exit 0 / 2); result `allowed=A rejected=R` (see `callbacks`) | `cmds` (`ls,rm+-rf+/`), `parallel`, `context` |
//! | `mcp-tools` | starts the `--mcp-config` stdio servers, initializes, lists and calls a tool; result: a JSON report (see `callbacks`) | `call`, `args` (JSON), `calls` (1), `malformed` |
//!
//! Invocation record: when `AMP_STUB_RECORD` names a file, a JSON object is written there
//! (atomically, rewritten as the run progresses): `args` (argv without the program name),
//! `argv0`, `cwd`, `env` (the whole environment), `pid`, `command`, `stdin` (lossy UTF-8),
//! `stdin_bytes`, `stdin_lines` (stream input lines, lossy), `stdin_eof`, `settings_file`,
//! `settings` (its text or null), `settings_mode` / `settings_dir_mode` (octal text, e.g.
//! `"600"`), `mcp_config` (the argument), `mcp_config_content` (file text or inline JSON),
//! `mcp_config_mode`, `scenario`, `session_id`, `error` (the `Error:` text if it failed),
//! `exit_code` (when it exits normally).
//!
//! Threads: `threads new` prints a fresh `T-<uuid>`; `threads markdown ID` prints Markdown;
//! `threads share multiplayer on|off|ttl ID` validates like the real CLI (ttl: 5 minutes to
//! 7 days, positive integers) and prints one confirmation line. `threads list --json`
//! (`--limit` 1..=500, `--offset`; at most 3 threads), `search --json`, `context`, `export`
//! print JSON in the real CLI's shapes; `usage`, `visibility [V]`, `label`, `rename`,
//! `archive [--unarchive]`, `delete`, `share --visibility V` print the real confirmation
//! lines; thread ids are checked like the real CLI. `AMP_STUB_THREADS_FAIL=1`
//! makes thread commands fail like the offline real CLI; `AMP_STUB_THREADS_NEW_URL=1` makes
//! `threads new` print `$AMP_URL/threads/<id>` (the real help says it prints the URL).
//! `threads continue` without an id continues `AMP_STUB_LAST_THREAD` (else a fresh id).
//!
//! The code: [`args`] parses the command line, `input` reads the prompt and sets the scenario
//! up, `turns` plays one turn of each scenario, `emit` writes the stream JSON, `threads` the
//! thread commands; this file holds the run and its invocation record.

pub mod args;
mod callbacks;
mod emit;
mod input;
pub mod json;
pub mod scenario;
mod suggest;
mod threads;
mod turns;

use std::ffi::OsString;
use std::io::{BufRead, Read, Write};
use std::time::{Duration, Instant};

use serde_json::{Map, Value};

use self::args::{Command, Invocation, MultiplayerAction};
use self::json::{b, n, null, obj, s, J};
use self::scenario::{Scenario, StubScenario};

/// The version the stub reports (the real CLI's pinned version, marked as the stub).
pub const STUB_VERSION: &str = "0.0.1790142911-g7618fb (amp-stub)";

/// Environment variable that turns any binary calling [`maybe_run_as_stub`] into the stub.
pub const ACT_AS_ENV: &str = "AMPERE_ACT_AS";

/// The tools listed in `system/init` (as printed by the real CLI).
pub const TOOLS: &[&str] = &[
    "Bash",
    "create_file",
    "edit_file",
    "find_thread",
    "finder",
    "glob",
    "Grep",
    "handoff",
    "librarian",
    "look_at",
    "mermaid",
    "oracle",
    "painter",
    "Read",
    "read_mcp_resource",
    "read_thread",
    "read_web_page",
    "skill",
    "Task",
    "task_list",
    "undo_edit",
    "web_search",
];

/// If `AMPERE_ACT_AS=amp-stub` is set, runs the stub with this process's arguments and exits;
/// otherwise returns. Call it first thing in `main` to let a binary re-exec itself as the CLI.
pub fn maybe_run_as_stub() {
    if std::env::var_os(ACT_AS_ENV).is_some_and(|v| v == "amp-stub") {
        let code = main_with(std::env::args_os().skip(1).collect());
        std::process::exit(code);
    }
}

/// The content of the big `tool_result` of the `big-line` scenario: `len` bytes of ASCII
/// text (with quotes, backslashes and newlines, so it needs JSON escapes), deterministic.
pub fn big_line_content(len: usize) -> String {
    let mut out = String::with_capacity(len + 80);
    let mut i = 0u64;
    while out.len() < len {
        out.push_str(&format!(
            "line {i:08}: the \"quick\" brown fox \\ jumps over\tthe lazy dog\n"
        ));
        i += 1;
    }
    out.truncate(len);
    out
}

/// 64-bit FNV-1a of `bytes` (the checksum the `big-line` scenario reports).
pub fn fnv1a64(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &c in bytes {
        h ^= u64::from(c);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// A fresh thread id `T-xxxxxxxx-xxxx-7xxx-xxxx-xxxxxxxxxxxx` (lowercase hex).
pub fn new_thread_id() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0);
    let mut x =
        nanos ^ (u64::from(std::process::id()) << 32) ^ COUNTER.fetch_add(1, Ordering::Relaxed);
    let mut next = || {
        x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = x;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    };
    let a = next();
    let c = next();
    format!(
        "T-{:08x}-{:04x}-7{:03x}-{:04x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0xfff,
        (c >> 48) & 0xffff,
        c & 0xffff_ffff_ffff
    )
}

/// Runs the stub with `args` (argv without the program name) and returns the exit code.
///
/// Some scenarios end the process themselves (`crash` exits or raises a signal, `hang` and
/// `ignore-sigterm` never return), so call this from a process of its own.
pub fn main_with(args: Vec<OsString>) -> i32 {
    let mut stub = Stub::new(args);
    let code = stub.run();
    if let Some(t) = stub.stderr_thread.take() {
        let _ = t.join();
    }
    stub.record.insert("exit_code".into(), Value::from(code));
    stub.write_record();
    let _ = stub.out.flush();
    code
}

/// Failure that ends the run: either a CLI-style `Error:` message or a write failure.
enum Fail {
    /// `Error: {0}` on stderr, exit 1.
    Cli(String),
    /// Stdout/stderr could not be written (e.g. the reader went away): exit 1 quietly.
    Io,
}

impl From<std::io::Error> for Fail {
    fn from(_: std::io::Error) -> Self {
        Fail::Io
    }
}

/// Stdout writer that flushes every message (and can drip bytes one at a time).
struct Out {
    w: std::io::Stdout,
    lines: u64,
    delay: Duration,
    drip: Option<Duration>,
    /// `crash`: after this many lines, run the crash action.
    crash_after: Option<u64>,
}

impl Out {
    fn flush(&mut self) -> std::io::Result<()> {
        self.w.flush()
    }

    fn raw(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        let mut lock = self.w.lock();
        if let Some(d) = self.drip {
            for byte in bytes {
                lock.write_all(std::slice::from_ref(byte))?;
                lock.flush()?;
                std::thread::sleep(d);
            }
        } else {
            lock.write_all(bytes)?;
        }
        lock.flush()
    }
}

struct Stub {
    args: Vec<OsString>,
    inv: Invocation,
    record: Map<String, Value>,
    out: Out,
    start: Instant,
    session_id: String,
    scenario: Scenario,
    scenario_from_env: bool,
    mcp_servers: Vec<String>,
    init_done: bool,
    num_turns: u64,
    usage: [u64; 4],
    crash_scenario: Option<Scenario>,
    stderr_thread: Option<std::thread::JoinHandle<()>>,
}

impl Stub {
    fn new(args: Vec<OsString>) -> Stub {
        let mut record = Map::new();
        record.insert(
            "args".into(),
            Value::Array(
                args.iter()
                    .map(|a| Value::String(a.to_string_lossy().into()))
                    .collect(),
            ),
        );
        record.insert(
            "argv0".into(),
            Value::String(
                std::env::args_os()
                    .next()
                    .map(|a| a.to_string_lossy().into_owned())
                    .unwrap_or_default(),
            ),
        );
        record.insert(
            "cwd".into(),
            std::env::current_dir()
                .map(|d| Value::String(d.to_string_lossy().into()))
                .unwrap_or(Value::Null),
        );
        let env: Map<String, Value> = std::env::vars_os()
            .map(|(k, v)| {
                (
                    k.to_string_lossy().into_owned(),
                    Value::String(v.to_string_lossy().into_owned()),
                )
            })
            .collect();
        record.insert("env".into(), Value::Object(env));
        record.insert("pid".into(), Value::from(std::process::id()));
        record.insert("stdin".into(), Value::String(String::new()));
        record.insert("stdin_bytes".into(), Value::from(0));
        record.insert("stdin_lines".into(), Value::Array(Vec::new()));
        record.insert("stdin_eof".into(), Value::Bool(false));
        Stub {
            args,
            inv: Invocation::default(),
            record,
            out: Out {
                w: std::io::stdout(),
                lines: 0,
                delay: Duration::ZERO,
                drip: None,
                crash_after: None,
            },
            start: Instant::now(),
            session_id: String::new(),
            scenario: Scenario::default(),
            scenario_from_env: false,
            mcp_servers: Vec::new(),
            init_done: false,
            num_turns: 0,
            usage: [0; 4],
            crash_scenario: None,
            stderr_thread: None,
        }
    }

    fn write_record(&self) {
        let Some(path) = std::env::var_os("AMP_STUB_RECORD") else {
            return;
        };
        let path = std::path::PathBuf::from(path);
        let tmp = path.with_extension(format!("tmp{}", std::process::id()));
        let text = Value::Object(self.record.clone()).to_string();
        if std::fs::write(&tmp, text).is_ok() {
            let _ = std::fs::rename(&tmp, &path);
        }
    }

    fn run(&mut self) -> i32 {
        match self.run_inner() {
            Ok(code) => code,
            Err(Fail::Cli(msg)) => {
                self.record
                    .insert("error".into(), Value::String(msg.clone()));
                let _ = writeln!(std::io::stderr(), "Error: {msg}");
                1
            }
            Err(Fail::Io) => 1,
        }
    }

    fn run_inner(&mut self) -> Result<i32, Fail> {
        let inv = args::parse(&self.args).map_err(|e| Fail::Cli(e.0))?;
        self.inv = inv;
        self.record.insert(
            "command".into(),
            Value::String(format!("{:?}", self.inv.command)),
        );
        self.record_files();
        self.write_record();
        if self.inv.help {
            writeln!(
                std::io::stdout(),
                "Amp CLI (amp-stub)\n\nUsage: amp [options] [command]\n\nSee `amp --help` of the real CLI."
            )?;
            return Ok(0);
        }
        if self.inv.version || self.inv.command == Command::Version {
            writeln!(std::io::stdout(), "{STUB_VERSION}")?;
            return Ok(0);
        }
        let orb_size = self.inv.other.iter().any(|(name, _)| name == "orb-size");
        let orb = self.inv.orb_execute || self.inv.executor.as_deref() == Some("orb");
        if orb_size && !orb && self.inv.command == Command::Agent {
            return Err(Fail::Cli(
                "The --orb-size flag requires the orb executor\n\nUse: amp --executor orb --orb-size a1.small"
                    .into(),
            ));
        }
        match self.inv.command.clone() {
            Command::Agent | Command::ThreadsContinue => self.execute(),
            Command::ThreadsOther(name) => self.threads_other(name),
            Command::Threads => self.threads_other("list"),
            Command::ThreadsShare
                if self
                    .inv
                    .positionals
                    .first()
                    .is_some_and(|p| p != "multiplayer") =>
            {
                self.threads_share()
            }
            Command::ThreadsShare => Err(Fail::Cli(
                "Cannot reach Amp servers. Are you offline?".into(),
            )),
            Command::ThreadsNew => self.threads_new(),
            Command::ThreadsMarkdown => self.threads_markdown(),
            Command::Multiplayer(action) => self.multiplayer(action),
            Command::Version => Ok(0),
            Command::Unsupported(name) => {
                let _ = writeln!(
                    std::io::stderr(),
                    "amp-stub: command '{name}' is not implemented by the stub"
                );
                Ok(2)
            }
        }
    }

    /// Records the settings file and MCP config as they are now (the SDK deletes them later).
    fn record_files(&mut self) {
        let mode = |p: &std::path::Path| -> Value {
            use std::os::unix::fs::PermissionsExt;
            std::fs::metadata(p)
                .map(|m| Value::String(format!("{:o}", m.permissions().mode() & 0o7777)))
                .unwrap_or(Value::Null)
        };
        let settings = self.inv.settings_file.clone();
        self.record.insert(
            "settings_file".into(),
            settings.clone().map(Value::String).unwrap_or(Value::Null),
        );
        if let Some(p) = settings {
            let path = std::path::Path::new(&p);
            self.record.insert(
                "settings".into(),
                std::fs::read_to_string(path)
                    .map(Value::String)
                    .unwrap_or(Value::Null),
            );
            self.record.insert("settings_mode".into(), mode(path));
            self.record.insert(
                "settings_dir_mode".into(),
                path.parent().map(mode).unwrap_or(Value::Null),
            );
        } else {
            self.record.insert("settings".into(), Value::Null);
        }
        let mcp = self.inv.mcp_config.clone();
        self.record.insert(
            "mcp_config".into(),
            mcp.clone().map(Value::String).unwrap_or(Value::Null),
        );
        match mcp {
            Some(m) if !m.trim_start().starts_with('{') => {
                let path = std::path::Path::new(&m);
                self.record.insert(
                    "mcp_config_content".into(),
                    std::fs::read_to_string(path)
                        .map(Value::String)
                        .unwrap_or(Value::Null),
                );
                self.record.insert("mcp_config_mode".into(), mode(path));
            }
            Some(m) => {
                self.record
                    .insert("mcp_config_content".into(), Value::String(m));
            }
            None => {
                self.record.insert("mcp_config_content".into(), Value::Null);
            }
        }
    }
}
