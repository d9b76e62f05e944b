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
//! 7 days, positive integers) and prints one confirmation line. `AMP_STUB_THREADS_FAIL=1`
//! makes thread commands fail like the offline real CLI; `AMP_STUB_THREADS_NEW_URL=1` makes
//! `threads new` print `$AMP_URL/threads/<id>` (the real help says it prints the URL).
//! `threads continue` without an id continues `AMP_STUB_LAST_THREAD` (else a fresh id).

pub mod args;
pub mod json;
pub mod scenario;

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
        match self.inv.command.clone() {
            Command::Agent | Command::ThreadsContinue => self.execute(),
            Command::Threads | Command::ThreadsShare => Err(Fail::Cli(
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

    fn threads_fail() -> Result<(), Fail> {
        if std::env::var_os("AMP_STUB_THREADS_FAIL").is_some_and(|v| v == "1") {
            return Err(Fail::Cli(
                "Cannot reach Amp servers. Are you offline?".into(),
            ));
        }
        Ok(())
    }

    fn check_visibility(&self) -> Result<(), Fail> {
        if let Some(v) = &self.inv.visibility {
            if !["private", "unlisted", "workspace", "group"].contains(&v.as_str()) {
                // The real CLI only finds out on the server; the stub says it up front.
                return Err(Fail::Cli(format!(
                    "Invalid visibility \"{v}\". Valid values: private, unlisted, workspace, group"
                )));
            }
        }
        Ok(())
    }

    fn threads_new(&mut self) -> Result<i32, Fail> {
        self.check_visibility()?;
        Self::threads_fail()?;
        let id = new_thread_id();
        self.record
            .insert("session_id".into(), Value::String(id.clone()));
        if std::env::var_os("AMP_STUB_THREADS_NEW_URL").is_some_and(|v| v == "1") {
            // `amp threads new --help` says it prints the thread's URL.
            let base = std::env::var("AMP_URL").unwrap_or_else(|_| "https://ampcode.com".into());
            writeln!(
                std::io::stdout(),
                "{}/threads/{id}",
                base.trim_end_matches('/')
            )?;
        } else {
            writeln!(std::io::stdout(), "{id}")?;
        }
        Ok(0)
    }

    fn threads_markdown(&mut self) -> Result<i32, Fail> {
        let Some(id) = self.inv.positionals.first().cloned() else {
            return Err(Fail::Cli(
                "error: missing required argument 'thread'".into(),
            ));
        };
        if !args::is_valid_thread_ref(&id) {
            return Err(Fail::Cli(invalid_thread(&id)));
        }
        Self::threads_fail()?;
        let id = thread_id_of(&id);
        writeln!(
            std::io::stdout(),
            "# Thread {id}\n\n## User\n\nwhat is 2+2?\n\n## Assistant\n\n2 + 2 equals 4.\n"
        )?;
        Ok(0)
    }

    fn multiplayer(&mut self, action: MultiplayerAction) -> Result<i32, Fail> {
        let Some(id) = self.inv.positionals.first().cloned() else {
            return Err(Fail::Cli(
                "error: missing required argument 'thread'".into(),
            ));
        };
        let mut minutes = 0u64;
        if action == MultiplayerAction::Ttl {
            let parts = [
                ("minutes", self.inv.minutes.clone(), 1u64),
                ("hours", self.inv.hours.clone(), 60),
                ("days", self.inv.days.clone(), 60 * 24),
                ("weeks", self.inv.weeks.clone(), 60 * 24 * 7),
            ];
            if parts.iter().all(|p| p.1.is_none()) {
                return Err(Fail::Cli(
                    "Specify a duration with --minutes, --hours, --days, or --weeks.".into(),
                ));
            }
            for (name, value, unit) in parts {
                if let Some(v) = value {
                    let parsed = v
                        .parse::<u64>()
                        .ok()
                        .filter(|n| *n > 0 && v.bytes().all(|c| c.is_ascii_digit()));
                    let Some(count) = parsed else {
                        return Err(Fail::Cli(format!(
                            "Invalid --{name} value. Must be a positive integer."
                        )));
                    };
                    minutes = minutes.saturating_add(count.saturating_mul(unit));
                }
            }
            if !(5..=7 * 24 * 60).contains(&minutes) {
                return Err(Fail::Cli(
                    "Duration must be between 5 minutes and 7 days.".into(),
                ));
            }
        }
        if !args::is_valid_thread_ref(&id) {
            return Err(Fail::Cli(format!(
                "Failed to update thread: {}",
                invalid_thread(&id).lines().next().unwrap_or("")
            )));
        }
        Self::threads_fail()?;
        let id = thread_id_of(&id);
        let line = match action {
            MultiplayerAction::On => format!("Multiplayer turned on for {id} for 1 week."),
            MultiplayerAction::Off => format!("Multiplayer turned off for {id}."),
            MultiplayerAction::Ttl => {
                format!("Multiplayer turned on for {id} for {minutes} minutes.")
            }
        };
        writeln!(std::io::stdout(), "{line}")?;
        Ok(0)
    }

    /// Checks the flag combinations the real CLI checks before it connects.
    fn validate_execute(&mut self) -> Result<(), Fail> {
        let inv = &self.inv;
        if let Some(e) = &inv.executor {
            let ok = e == "local"
                || e == "orb"
                || e.strip_prefix("runner:").is_some_and(|id| !id.is_empty());
            if !ok {
                return Err(Fail::Cli(
                    "executor must be \"local\", \"orb\", or \"runner:<id>\"".into(),
                ));
            }
        }
        if inv.stream_json && !inv.execute {
            return Err(Fail::Cli(
                "The --stream-json flag requires --execute mode\n\nUse: amp --execute \"your message\" --stream-json".into(),
            ));
        }
        if inv.stream_json_input && !(inv.stream_json || inv.stream_json_thinking) {
            return Err(Fail::Cli(
                "The --stream-json-input flag requires --stream-json\n\nUse: amp --execute --stream-json --stream-json-input".into(),
            ));
        }
        if let Some(t) = &inv.title {
            let len = t.trim().chars().count();
            if !(1..=256).contains(&len) {
                return Err(Fail::Cli(
                    "The --title value must be between 1 and 256 characters.".into(),
                ));
            }
        }
        let runner = inv
            .executor
            .as_deref()
            .is_some_and(|e| e.starts_with("runner:"));
        if inv.runner_dir.is_some() && !(inv.execute && runner) {
            return Err(Fail::Cli(
                "--runner-dir requires --execute and --executor runner:<id>.".into(),
            ));
        }
        let orb = inv.orb_execute || inv.executor.as_deref() == Some("orb");
        if inv.project.is_some() && !orb {
            return Err(Fail::Cli(
                "The --project flag requires the orb executor\n\nUse: amp --executor orb --project namespace/name".into(),
            ));
        }
        self.check_visibility()?;
        // MCP configuration: inline JSON or a file path, as the real CLI reads it.
        if let Some(m) = self.inv.mcp_config.clone() {
            let text = if m.trim_start().starts_with('{') {
                m
            } else {
                std::fs::read_to_string(&m).map_err(|e| {
                    let why = if e.kind() == std::io::ErrorKind::NotFound {
                        "ENOENT: no such file or directory".to_string()
                    } else {
                        e.to_string()
                    };
                    Fail::Cli(format!(
                        "Failed to read --mcp-config file: {why}, open '{m}'"
                    ))
                })?
            };
            let parsed: Value = serde_json::from_str(&text).map_err(|e| {
                Fail::Cli(format!(
                    "Failed to parse --mcp-config as JSON: JSON Parse error: {e}"
                ))
            })?;
            // Either {NAME: SERVER} or {"mcpServers": {...}} / {"amp.mcpServers": {...}}.
            let servers = parsed
                .get("amp.mcpServers")
                .or_else(|| parsed.get("mcpServers"))
                .unwrap_or(&parsed);
            if let Some(map) = servers.as_object() {
                for (name, server) in map {
                    if server.get("disabled").and_then(Value::as_bool) != Some(true) {
                        self.mcp_servers.push(name.clone());
                    }
                }
            }
        }
        if self.inv.command == Command::ThreadsContinue {
            if let Some(id) = self.inv.positionals.first() {
                if !args::is_valid_thread_ref(id) {
                    return Err(Fail::Cli(invalid_thread(id)));
                }
            }
        }
        Ok(())
    }

    fn execute(&mut self) -> Result<i32, Fail> {
        self.validate_execute()?;
        self.session_id = match self.inv.positionals.first() {
            Some(id) if self.inv.command == Command::ThreadsContinue => thread_id_of(id),
            _ if self.inv.command == Command::ThreadsContinue => {
                std::env::var("AMP_STUB_LAST_THREAD")
                    .ok()
                    .filter(|t| args::is_thread_id(t))
                    .unwrap_or_else(new_thread_id)
            }
            _ => new_thread_id(),
        };
        self.record
            .insert("session_id".into(), Value::String(self.session_id.clone()));
        if let Ok(spec) = std::env::var("AMP_STUB_SCENARIO") {
            self.scenario = Scenario::parse(&spec).map_err(Fail::Cli)?;
            self.scenario_from_env = true;
            self.apply_scenario_setup()?;
        }
        self.write_record();
        if self.inv.stream_json_input {
            self.run_stream_input()
        } else {
            self.run_text()
        }
    }

    /// Things a scenario does before anything is read.
    fn apply_scenario_setup(&mut self) -> Result<(), Fail> {
        self.record.insert(
            "scenario".into(),
            Value::String(self.scenario.name.as_str().into()),
        );
        self.out.delay = self.scenario.delay();
        match self.scenario.name {
            StubScenario::IgnoreSigterm => {
                // SAFETY: setting a signal disposition to SIG_IGN has no preconditions.
                unsafe {
                    libc::signal(libc::SIGTERM, libc::SIG_IGN);
                }
            }
            StubScenario::SlowDrip => {
                self.out.drip = Some(Duration::from_micros(
                    self.scenario.num("byte_delay_us", 500),
                ));
            }
            StubScenario::Crash => {
                self.out.crash_after = Some(self.scenario.num("after", 3));
                self.crash_scenario = Some(self.scenario.clone());
            }
            StubScenario::StderrFlood => {
                let total = self
                    .scenario
                    .num("mb", 10)
                    .saturating_mul(1 << 20)
                    .min(1 << 30);
                let mut chunks = Vec::new();
                let mut written = 0u64;
                let mut i = 0u64;
                while written < total {
                    let mut chunk = Vec::with_capacity(64 * 1024);
                    while chunk.len() < 64 * 1024 && written + (chunk.len() as u64) < total {
                        chunk.extend_from_slice(
                            format!("amp-stub stderr flood line {i:010} ........................................\n").as_bytes(),
                        );
                        i += 1;
                    }
                    written += chunk.len() as u64;
                    chunks.push(chunk);
                }
                let half = chunks.len() / 2;
                let later = chunks.split_off(half);
                let mut err = std::io::stderr();
                for c in &chunks {
                    err.write_all(c)?;
                }
                // The other half is written while stdout is being written.
                self.stderr_thread = Some(std::thread::spawn(move || {
                    let mut err = std::io::stderr();
                    for c in later {
                        if err.write_all(&c).is_err() {
                            break;
                        }
                    }
                }));
            }
            _ => {}
        }
        Ok(())
    }

    /// Adopts a directive found in the prompt (it wins over the environment).
    fn adopt_directive(&mut self, text: &str) -> Result<String, Fail> {
        match Scenario::find_directive(text) {
            Some((spec, rest)) => {
                self.scenario = Scenario::parse(&spec).map_err(Fail::Cli)?;
                self.apply_scenario_setup()?;
                self.write_record();
                Ok(rest)
            }
            None => {
                if !self.scenario_from_env {
                    self.apply_scenario_setup()?;
                }
                Ok(text.trim().to_string())
            }
        }
    }

    // ----- emitting -----

    fn emit(&mut self, j: J) -> Result<(), Fail> {
        let mut line = j.to_line();
        line.push('\n');
        self.emit_bytes(line.as_bytes())
    }

    fn emit_bytes(&mut self, bytes: &[u8]) -> Result<(), Fail> {
        if self.out.crash_after == Some(self.out.lines) {
            self.crash()?;
        }
        if self.inv.stream_json || self.inv.stream_json_thinking {
            self.out.raw(bytes)?;
        }
        self.out.lines += 1;
        if !self.out.delay.is_zero() {
            std::thread::sleep(self.out.delay);
        }
        Ok(())
    }

    fn crash(&mut self) -> Result<(), Fail> {
        let sc = self.crash_scenario.clone().unwrap_or_default();
        if sc.num("partial", 0) == 1 {
            self.out
                .raw(b"{\"type\":\"assistant\",\"message\":{\"type\":\"mess")?;
        }
        let _ = self.out.flush();
        self.record.insert("crashed".into(), Value::Bool(true));
        self.write_record();
        let _ = writeln!(
            std::io::stderr(),
            "amp-stub: simulated crash after {} lines",
            self.out.lines
        );
        if let Some(sig) = sc.text("signal") {
            let num = signal_number(sig);
            // SAFETY: resetting a disposition and signalling ourselves have no preconditions.
            unsafe {
                libc::signal(num, libc::SIG_DFL);
                libc::kill(libc::getpid(), num);
            }
            std::thread::sleep(Duration::from_secs(5));
        }
        std::process::exit(sc.num("code", 2) as i32);
    }

    fn init(&mut self) -> Result<(), Fail> {
        if self.init_done {
            return Ok(());
        }
        self.init_done = true;
        let cwd = std::env::current_dir()
            .map(|d| d.to_string_lossy().into_owned())
            .unwrap_or_default();
        let mut servers: Vec<J> = self
            .mcp_servers
            .iter()
            .map(|name| obj(vec![("name", s(name.clone())), ("status", s("connected"))]))
            .collect();
        if self.scenario.name == StubScenario::UnknownTypes {
            servers.push(obj(vec![
                ("name", s("future-server")),
                ("status", s("hibernating")),
            ]));
        }
        let sid = self.session_id.clone();
        self.emit(obj(vec![
            ("type", s("system")),
            ("subtype", s("init")),
            ("cwd", s(cwd)),
            ("session_id", s(sid)),
            ("tools", J::A(TOOLS.iter().map(|t| s(*t)).collect())),
            ("mcp_servers", J::A(servers)),
        ]))
    }

    fn user(&mut self, content: J, parent: Option<&str>) -> Result<(), Fail> {
        let sid = self.session_id.clone();
        self.emit(obj(vec![
            ("type", s("user")),
            (
                "message",
                obj(vec![("role", s("user")), ("content", content)]),
            ),
            ("parent_tool_use_id", parent.map(s).unwrap_or_else(null)),
            ("session_id", s(sid)),
        ]))
    }

    fn usage_for(&mut self, out_tokens: u64) -> J {
        let k = self.usage[0] / 1000 + 1;
        let u = [12_000 + 37 * k, 300 + k, 11_000 + k, out_tokens];
        for (acc, v) in self.usage.iter_mut().zip(u) {
            *acc += v;
        }
        obj(vec![
            ("input_tokens", n(u[0])),
            ("cache_creation_input_tokens", n(u[1])),
            ("cache_read_input_tokens", n(u[2])),
            ("output_tokens", n(u[3])),
            ("max_tokens", n(968_000)),
            ("service_tier", s("standard")),
        ])
    }

    fn assistant(&mut self, mut content: Vec<J>, stop: &str) -> Result<(), Fail> {
        if self.inv.stream_json_thinking
            && self.scenario.name != StubScenario::Thinking
            && stop == "end_turn"
        {
            content.insert(0, thinking_block("Let me think about how to answer this."));
        }
        let usage = self.usage_for(8 + content.len() as u64);
        let sid = self.session_id.clone();
        self.emit(obj(vec![
            ("type", s("assistant")),
            (
                "message",
                obj(vec![
                    ("type", s("message")),
                    ("role", s("assistant")),
                    ("content", J::A(content)),
                    ("stop_reason", s(stop)),
                    ("usage", usage),
                ]),
            ),
            ("parent_tool_use_id", null()),
            ("session_id", s(sid)),
        ]))
    }

    fn success(&mut self, text: &str) -> Result<(), Fail> {
        let sid = self.session_id.clone();
        let ms = self.start.elapsed().as_millis() as u64;
        let mut fields = vec![
            ("type", s("result")),
            ("subtype", s("success")),
            ("duration_ms", n(ms)),
            ("is_error", b(false)),
            ("num_turns", n(self.num_turns)),
            ("result", s(text)),
            ("session_id", s(sid)),
            (
                "usage",
                obj(vec![
                    ("input_tokens", n(self.usage[0])),
                    ("cache_creation_input_tokens", n(self.usage[1])),
                    ("cache_read_input_tokens", n(self.usage[2])),
                    ("output_tokens", n(self.usage[3])),
                ]),
            ),
        ];
        if self.scenario.name == StubScenario::UnknownTypes {
            fields.push(("permission_denials", J::A(vec![])));
            fields.push(("future_field", obj(vec![("nested", b(true))])));
        }
        self.emit(obj(fields))?;
        if !(self.inv.stream_json || self.inv.stream_json_thinking) {
            writeln!(std::io::stdout(), "{text}")?;
        }
        Ok(())
    }

    fn error_result(&mut self, subtype: &str, error: &str) -> Result<(), Fail> {
        let sid = self.session_id.clone();
        let ms = self.start.elapsed().as_millis() as u64;
        self.emit(obj(vec![
            ("type", s("result")),
            ("subtype", s(subtype)),
            ("duration_ms", n(ms)),
            ("is_error", b(true)),
            ("num_turns", n(self.num_turns)),
            ("error", s(error)),
            ("session_id", s(sid)),
        ]))?;
        if !(self.inv.stream_json || self.inv.stream_json_thinking) {
            writeln!(std::io::stderr(), "Error: {error}")?;
        }
        Ok(())
    }

    fn hang(&mut self) -> ! {
        let _ = self.out.flush();
        self.write_record();
        loop {
            std::thread::sleep(Duration::from_secs(3600));
        }
    }

    // ----- the two input modes -----

    fn run_text(&mut self) -> Result<i32, Fail> {
        let mut stdin = Vec::new();
        // A closed or unreadable stdin is treated as empty, like the real CLI.
        let _ = std::io::stdin().read_to_end(&mut stdin);
        self.record.insert(
            "stdin".into(),
            Value::String(String::from_utf8_lossy(&stdin).into_owned()),
        );
        self.record
            .insert("stdin_bytes".into(), Value::from(stdin.len()));
        self.record.insert("stdin_eof".into(), Value::Bool(true));
        self.write_record();
        let piped = String::from_utf8_lossy(&stdin)
            .trim_end_matches(['\n', '\r'])
            .to_string();
        let prompt = match (&self.inv.execute_message, piped.is_empty()) {
            (Some(m), true) => m.clone(),
            (Some(m), false) => format!("{m}\n\n{piped}"),
            (None, _) => piped,
        };
        if prompt.trim().is_empty() {
            return Err(Fail::Cli("User message must be provided through stdin or as argument when using execute mode\n\nEither pass a message as an argument: amp --execute \"your message\"\nOr pipe via stdin: echo \"your message\" | amp --execute".into()));
        }
        let text = self.adopt_directive(&prompt)?;
        self.early_scenarios()?;
        self.init()?;
        self.user(J::A(vec![text_block(&prompt)]), None)?;
        self.turn(&text)
    }

    fn run_stream_input(&mut self) -> Result<i32, Fail> {
        let stdin = std::io::stdin();
        let mut reader = stdin.lock();
        let mut line_no = 0u64;
        let mut total = 0usize;
        let mut code = 0;
        let mut first = true;
        loop {
            let mut buf = Vec::new();
            let read = reader.read_until(b'\n', &mut buf).unwrap_or(0);
            if read == 0 {
                break;
            }
            line_no += 1;
            total += read;
            let text = String::from_utf8_lossy(&buf).into_owned();
            self.record.insert("stdin_bytes".into(), Value::from(total));
            if let Some(Value::String(all)) = self.record.get_mut("stdin") {
                all.push_str(&text);
            }
            if let Some(Value::Array(lines)) = self.record.get_mut("stdin_lines") {
                lines.push(Value::String(
                    text.trim_end_matches(['\n', '\r']).to_string(),
                ));
            }
            self.write_record();
            if buf.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            let parsed = parse_input_line(&buf);
            let (content, message_text) = match parsed {
                Ok(v) => v,
                Err(why) => {
                    if first {
                        let _ = self.adopt_directive("");
                    }
                    self.init()?;
                    self.error_result(
                        "error_during_execution",
                        &format!("Invalid JSON input on line {line_no}: {why}"),
                    )?;
                    return Ok(1);
                }
            };
            let text = if first {
                self.adopt_directive(&message_text)?
            } else {
                strip_directive(&message_text)
            };
            if first {
                self.early_scenarios()?;
                self.init()?;
            }
            first = false;
            self.user(type_first(&content), None)?;
            code = self.turn(&text)?;
            if code != 0 {
                return Ok(code);
            }
        }
        self.record.insert("stdin_eof".into(), Value::Bool(true));
        self.write_record();
        if first {
            // No message at all: the real CLI has nothing to do.
            return Ok(0);
        }
        Ok(code)
    }

    /// Scenarios that act before the user echo.
    fn early_scenarios(&mut self) -> Result<(), Fail> {
        match self.scenario.name {
            StubScenario::Hang | StubScenario::IgnoreSigterm => {
                self.init()?;
                self.hang();
            }
            StubScenario::Crash if self.scenario.num("after", 3) == 0 => self.crash(),
            _ => Ok(()),
        }
    }

    /// One turn of the current scenario (after the user echo). Returns the exit code.
    fn turn(&mut self, text: &str) -> Result<i32, Fail> {
        let sc = self.scenario.clone();
        self.num_turns += 1;
        match sc.name {
            StubScenario::Tools | StubScenario::Crash => {
                let count = if sc.name == StubScenario::Crash {
                    sc.num("after", 3) + 2
                } else {
                    sc.num("count", 2)
                };
                self.tools_turn(count)?;
                if sc.name == StubScenario::Crash {
                    self.crash()?;
                }
                let done = format!("Done: ran {count} tools.");
                self.assistant(vec![text_block(&done)], "end_turn")?;
                self.success(&done)?;
            }
            StubScenario::Thinking => {
                let mut content = Vec::new();
                if self.inv.stream_json_thinking {
                    for i in 0..sc.num("blocks", 2) {
                        content.push(thinking_block(&format!(
                            "Thinking step {}: the user said {text:?}.",
                            i + 1
                        )));
                    }
                }
                content.push(text_block(text));
                self.assistant(content, "end_turn")?;
                self.success(text)?;
            }
            StubScenario::Multi if !self.inv.stream_json_input => {
                let turns = sc.num("turns", 3).max(1);
                self.num_turns += turns - 1;
                for i in 1..=turns {
                    self.assistant(vec![text_block(&format!("turn {i}: {text}"))], "end_turn")?;
                }
                self.success(&format!("turn {turns}: {text}"))?;
            }
            StubScenario::ErrorResult => {
                self.assistant(vec![text_block("Working on it...")], "end_turn")?;
                let subtype = sc
                    .text("subtype")
                    .unwrap_or("error_during_execution")
                    .to_string();
                let message = sc
                    .text("message")
                    .unwrap_or("amp-stub: simulated error during execution")
                    .to_string();
                self.error_result(&subtype, &message)?;
                return Ok(sc.num("code", 1) as i32);
            }
            StubScenario::Garbage => {
                self.emit_bytes(b"this is not json\n")?;
                self.emit_bytes(b"   \n")?;
                self.assistant(vec![text_block("first part")], "end_turn")?;
                self.emit_bytes(b"\xff\xfe invalid utf-8 \xc3\x28\n")?;
                self.emit_bytes(b"{\"type\":\"assistant\",\"message\":\n")?;
                self.emit_bytes(b"[1,2,3]\n")?;
                self.emit_bytes(b"\x1b[31mWARN colored log line\x1b[0m\n")?;
                self.emit_bytes(b"{\"no_type\":true}\n")?;
                self.assistant(vec![text_block(text)], "end_turn")?;
                self.emit_bytes(b"null\n")?;
                self.success(text)?;
            }
            StubScenario::BigLine => {
                let bytes = sc
                    .params
                    .get("bytes")
                    .and_then(|v| v.parse().ok())
                    .unwrap_or_else(|| (sc.num("mb", 20) as usize).saturating_mul(1 << 20))
                    .min(1 << 30);
                let tid = "toolu_stub_bigline".to_string();
                self.assistant(
                    vec![tool_use(
                        &tid,
                        "Read",
                        serde_json::json!({"path": "/big/file.txt"}),
                    )],
                    "tool_use",
                )?;
                let content = big_line_content(bytes);
                let sum = fnv1a64(content.as_bytes());
                self.user(
                    J::A(vec![obj(vec![
                        ("type", s("tool_result")),
                        ("tool_use_id", s(tid)),
                        ("content", s(content)),
                        ("is_error", b(false)),
                    ])]),
                    None,
                )?;
                let summary = format!("big-line bytes={bytes} fnv1a64={sum:016x}");
                self.assistant(vec![text_block(&summary)], "end_turn")?;
                self.success(&summary)?;
            }
            StubScenario::EchoEnv => {
                let report = self.env_report();
                self.assistant(vec![text_block(&report)], "end_turn")?;
                self.success(&report)?;
            }
            StubScenario::UnknownTypes => {
                let sid = self.session_id.clone();
                self.emit(obj(vec![
                    ("type", s("telemetry")),
                    ("event", s("tick")),
                    ("session_id", s(sid.clone())),
                ]))?;
                self.emit(obj(vec![
                    ("type", s("system")),
                    ("subtype", s("compaction")),
                    ("tokens_before", n(120_000)),
                    ("session_id", s(sid.clone())),
                ]))?;
                let usage = self.usage_for(21);
                self.emit(obj(vec![
                    ("type", s("assistant")),
                    (
                        "message",
                        obj(vec![
                            ("type", s("message")),
                            ("role", s("assistant")),
                            ("id", s("msg_stub_future")),
                            ("model", s("claude-future")),
                            (
                                "content",
                                J::A(vec![
                                    obj(vec![
                                        ("type", s("image")),
                                        (
                                            "source",
                                            obj(vec![
                                                ("type", s("base64")),
                                                ("media_type", s("image/png")),
                                                ("data", s("iVBORw0KGgo=")),
                                            ]),
                                        ),
                                    ]),
                                    obj(vec![
                                        ("type", s("redacted_thinking")),
                                        ("data", s("c2VjcmV0")),
                                    ]),
                                    obj(vec![
                                        ("type", s("text")),
                                        ("text", s(text)),
                                        ("citations", J::A(vec![])),
                                    ]),
                                ]),
                            ),
                            ("stop_reason", s("pause_turn")),
                            ("stop_sequence", null()),
                            ("usage", usage),
                            ("future_field", obj(vec![("x", n(1))])),
                        ]),
                    ),
                    ("parent_tool_use_id", null()),
                    ("session_id", s(sid.clone())),
                    ("future_top_level", b(true)),
                ]))?;
                self.assistant(vec![text_block(text)], "end_turn")?;
                self.success(text)?;
            }
            StubScenario::ExitAfterSuccess => {
                self.assistant(vec![text_block(text)], "end_turn")?;
                self.success(text)?;
                return Ok(sc.num("code", 3) as i32);
            }
            _ => {
                self.assistant(vec![text_block(text)], "end_turn")?;
                self.success(text)?;
            }
        }
        Ok(0)
    }

    fn tools_turn(&mut self, count: u64) -> Result<(), Fail> {
        const NAMES: [&str; 3] = ["Bash", "Read", "Grep"];
        for k in 0..count {
            let name = NAMES[(k % 3) as usize];
            let id = format!("toolu_stub_{k:04}");
            let input = match name {
                "Bash" => serde_json::json!({"cmd": "cargo test", "cwd": "/home/user/project"}),
                "Read" => {
                    serde_json::json!({"path": "/home/user/project/src/lib.rs", "read_range": [1, 200]})
                }
                _ => serde_json::json!({"pattern": "fn main", "path": "src"}),
            };
            self.assistant(
                vec![
                    text_block(&format!("Running tool {}.", k + 1)),
                    tool_use(&id, name, input),
                ],
                "tool_use",
            )?;
            let output = format!(
                "output of {name} #{}: ok \"quoted\" \\ üñíçødé 日本語\n",
                k + 1
            );
            let content = if k % 2 == 0 {
                s(output)
            } else {
                J::A(vec![text_block(&output)])
            };
            self.user(
                J::A(vec![obj(vec![
                    ("type", s("tool_result")),
                    ("tool_use_id", s(id)),
                    ("content", content),
                    ("is_error", b(false)),
                ])]),
                None,
            )?;
        }
        Ok(())
    }

    fn env_report(&self) -> String {
        let vars: Option<Vec<String>> = self
            .scenario
            .text("vars")
            .map(|v| v.split(',').map(str::to_string).collect());
        let env: Map<String, Value> = std::env::vars_os()
            .map(|(k, v)| {
                (
                    k.to_string_lossy().into_owned(),
                    v.to_string_lossy().into_owned(),
                )
            })
            .filter(|(k, _)| match &vars {
                Some(list) => list.contains(k),
                None => k.starts_with("AMP"),
            })
            .map(|(k, v)| (k, Value::String(v)))
            .collect();
        let mut report = Map::new();
        report.insert(
            "args".into(),
            self.record.get("args").cloned().unwrap_or(Value::Null),
        );
        report.insert("env".into(), Value::Object(env));
        for key in [
            "cwd",
            "settings_file",
            "settings",
            "mcp_config",
            "mcp_config_content",
            "stdin",
        ] {
            report.insert(
                key.into(),
                self.record.get(key).cloned().unwrap_or(Value::Null),
            );
        }
        Value::Object(report).to_string()
    }
}

fn text_block(text: &str) -> J {
    obj(vec![("type", s("text")), ("text", s(text))])
}

fn thinking_block(text: &str) -> J {
    obj(vec![
        ("type", s("thinking")),
        ("thinking", s(text)),
        ("signature", s("c3R1Yi1zaWduYXR1cmU=")),
    ])
}

fn tool_use(id: &str, name: &str, input: Value) -> J {
    obj(vec![
        ("type", s("tool_use")),
        ("id", s(id)),
        ("name", s(name)),
        ("input", J::V(input)),
    ])
}

/// Writes a value with every object's `type` key first (as the real CLI prints blocks).
fn type_first(v: &Value) -> J {
    match v {
        Value::Object(map) => {
            let mut fields: Vec<(String, J)> = Vec::new();
            if let Some(t) = map.get("type") {
                fields.push(("type".into(), J::V(t.clone())));
            }
            for (k, v) in map.iter().filter(|(k, _)| k.as_str() != "type") {
                fields.push((k.clone(), type_first(v)));
            }
            J::O(fields)
        }
        Value::Array(items) => J::A(items.iter().map(type_first).collect()),
        other => J::V(other.clone()),
    }
}

fn strip_directive(text: &str) -> String {
    match Scenario::find_directive(text) {
        Some((_, rest)) => rest,
        None => text.trim().to_string(),
    }
}

fn invalid_thread(id: &str) -> String {
    format!(
        "Invalid thread URL or ID: {id}\n\nProvide a valid thread URL (e.g., https://ampcode.com/threads/T-12345678-0000-0000-0000-000000000000) or ID (e.g., T-12345678-0000-0000-0000-000000000000)"
    )
}

fn thread_id_of(reference: &str) -> String {
    match reference.rfind("/threads/") {
        Some(pos) => reference[pos + "/threads/".len()..].to_string(),
        None => reference.to_string(),
    }
}

fn signal_number(name: &str) -> i32 {
    if let Ok(n) = name.parse::<i32>() {
        return n;
    }
    match name.trim_start_matches("SIG").to_ascii_uppercase().as_str() {
        "KILL" => libc::SIGKILL,
        "TERM" => libc::SIGTERM,
        "SEGV" => libc::SIGSEGV,
        "ABRT" => libc::SIGABRT,
        "INT" => libc::SIGINT,
        "HUP" => libc::SIGHUP,
        "QUIT" => libc::SIGQUIT,
        "BUS" => libc::SIGBUS,
        _ => libc::SIGKILL,
    }
}

/// Parses one `--stream-json-input` line: `{"type":"user","message":{"role":"user",
/// "content":[...] | "text"}}`. Returns the content as given and its text.
fn parse_input_line(line: &[u8]) -> Result<(Value, String), String> {
    let text = std::str::from_utf8(line).map_err(|_| "input is not valid UTF-8".to_string())?;
    let v: Value = serde_json::from_str(text.trim()).map_err(|e| e.to_string())?;
    if v.get("type").and_then(Value::as_str) != Some("user") {
        return Err("expected a message with \"type\": \"user\"".into());
    }
    let message = v.get("message").ok_or("missing \"message\"")?;
    if message.get("role").and_then(Value::as_str) != Some("user") {
        return Err("expected \"message.role\": \"user\"".into());
    }
    let content = message
        .get("content")
        .ok_or("missing \"message.content\"")?;
    let text = match content {
        Value::String(t) => t.clone(),
        Value::Array(blocks) => blocks
            .iter()
            .filter(|b| b.get("type").and_then(Value::as_str) == Some("text"))
            .filter_map(|b| b.get("text").and_then(Value::as_str))
            .collect::<Vec<_>>()
            .join("\n"),
        _ => return Err("\"message.content\" must be a string or an array".into()),
    };
    let content = match content {
        Value::String(t) => serde_json::json!([{"type": "text", "text": t}]),
        other => other.clone(),
    };
    Ok((content, text))
}
