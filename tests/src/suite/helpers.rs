//! The context every scenario gets and the helpers scenarios share: the watchdog, the
//! environment lock and patches, polling, the stub's record, scratch directories, tags.

use super::*;

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
