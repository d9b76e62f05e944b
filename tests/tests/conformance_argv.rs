//! Conformance of the planned argv with the real, pinned Amp CLI.
//!
//! For a matrix of options (every option, every seed example) and a seeded random sample of
//! valid option combinations, the plan is carried out for real: its files are written into
//! a temporary private folder, the real CLI runs offline (scratch `HOME`, `AMP_API_KEY=x`,
//! `AMP_URL=http://127.0.0.1:9`) with the planned argv, environment and stdin, and it must
//! get as far as failing to connect, never to a usage error (`unknown option`, ...).
//!
//! Flags the pinned CLI does not know yet are listed in [`KNOWN_UNSUPPORTED`]: a case using
//! one must still be rejected with `unknown option '<flag>'` (so the table stays honest),
//! and is run again without the flag, which must then pass.

use std::collections::BTreeSet;
use std::ffi::OsString;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ampere_core::mcp::{McpConfig, McpServer};
use ampere_core::options::{
    AmpOptions, ContinueThread, Effort, Executor, LogLevel, Mode, OrbSize, ThreadFeature,
    Visibility,
};
use ampere_core::permission::Permission;
use ampere_core::plan::{plan_execution, BaseSettings, EnvChange, PromptKind, StdinPlan};
use ampere_tests::real_cli::{offline_command, scratch_home};

/// Flags the pinned CLI rejects as unknown, with why we still send them.
const KNOWN_UNSUPPORTED: &[(&str, &str)] = &[(
    "--effort",
    "added to the contract after 0.0.1790142911; only sent when `effort` is set",
)];

/// Output that means the CLI accepted the argv and only failed for lack of a server (or, for
/// `threads continue` without an id, for lack of a previous thread in the scratch HOME).
const OFFLINE_MARKERS: &[&str] = &[
    "Couldn't connect",
    "Cannot reach Amp servers",
    "Unable to connect",
    "No previously used thread found",
];

const PER_RUN_TIMEOUT: Duration = Duration::from_secs(40);
const THREAD_ID: &str = "T-7f395a45-7fae-4983-8de0-d02e61d4183b";

fn perm(v: serde_json::Value) -> Permission {
    match serde_json::from_value(v) {
        Ok(p) => p,
        Err(e) => panic!("test permission does not deserialize: {e}"),
    }
}

fn seed_permissions() -> Vec<Permission> {
    vec![
        perm(serde_json::json!({"tool": "Bash", "action": "allow", "matches": {"cmd": "ls *"}})),
        perm(
            serde_json::json!({"tool": "Bash", "action": "allow", "matches": {"cmd": "npm test"}}),
        ),
        perm(serde_json::json!({"tool": "Read", "action": "ask", "matches": {"path": "/etc/*"}})),
    ]
}

const SEED_MCP: &str = r#"{"playwright":{"command":"npx","args":["-y","@playwright/mcp@latest","--headless"],"env":{"NODE_ENV":"production"}}}"#;

/// One case: options built against a real scratch folder (for files the user names).
struct Case {
    name: String,
    options: AmpOptions,
    stream: bool,
}

fn case(name: &str, options: AmpOptions) -> Case {
    Case {
        name: name.to_string(),
        options,
        stream: false,
    }
}

/// The matrix. `user` is a folder holding a real user settings file and MCP file.
fn matrix(user: &Path) -> Vec<Case> {
    let settings = user.join("settings.json");
    let mcp = user.join("mcp.json").to_string_lossy().into_owned();
    let mut v = vec![
        case("default", AmpOptions::default()),
        case(
            "seed_allow_all",
            AmpOptions::new().dangerously_allow_all(true),
        ),
        case(
            "seed_continue_latest",
            AmpOptions::new().continue_thread(true),
        ),
        case(
            "seed_continue_id",
            AmpOptions::new().continue_thread(THREAD_ID),
        ),
        case("seed_cwd", AmpOptions::new().cwd(user)),
        case(
            "seed_debug_logging",
            AmpOptions::new()
                .log_level(LogLevel::Debug)
                .log_file(user.join("amp-debug.log")),
        ),
        case("seed_mode_rush", AmpOptions::new().mode(Mode::RUSH)),
        case("mode_smart", AmpOptions::new().mode(Mode::SMART)),
        case("mode_ultra", AmpOptions::new().mode(Mode::ULTRA)),
        case("seed_labels", AmpOptions::new().labels(["sdk", "summary"])),
        case(
            "seed_visibility_private",
            AmpOptions::new().visibility(Visibility::Private),
        ),
        case(
            "visibility_public",
            AmpOptions::new().visibility(Visibility::Public),
        ),
        case(
            "visibility_workspace",
            AmpOptions::new().visibility(Visibility::Workspace),
        ),
        case(
            "visibility_group",
            AmpOptions::new().visibility(Visibility::Group),
        ),
        case(
            "seed_permissions",
            AmpOptions::new().permissions(seed_permissions()),
        ),
        case(
            "seed_mcp_inline",
            AmpOptions::new()
                .mcp_config(SEED_MCP)
                .dangerously_allow_all(true),
        ),
        case(
            "mcp_typed",
            AmpOptions::new().mcp_config(
                McpConfig::new()
                    .server(
                        "pw",
                        McpServer::stdio("npx").args(["-y", "@playwright/mcp"]),
                    )
                    .server("remote", McpServer::http("https://api.example.com/mcp")),
            ),
        ),
        case("mcp_path", AmpOptions::new().mcp_config(mcp.as_str())),
        case(
            "seed_settings_file",
            AmpOptions::new()
                .settings_file(&settings)
                .log_level(LogLevel::Debug),
        ),
        case(
            "settings_file_with_overlay",
            AmpOptions::new()
                .settings_file(&settings)
                .permissions(seed_permissions())
                .system_prompt("Be brief."),
        ),
        case("seed_toolbox", AmpOptions::new().toolbox(user)),
        case("seed_skills", AmpOptions::new().skills(user)),
        case("effort_high", AmpOptions::new().effort(Effort::High)),
        case(
            "thinking_title_archive",
            AmpOptions::new()
                .thinking(true)
                .title("Fix the build")
                .archive(false),
        ),
        case(
            "no_archive",
            AmpOptions::new().no_archive_after_execute(true),
        ),
        case(
            "orb_project_with_local_only",
            AmpOptions::new()
                .executor(Executor::orb_project("my-project"))
                .permissions(seed_permissions())
                .dangerously_allow_all(true),
        ),
        case("orb_plain", AmpOptions::new().executor(Executor::orb())),
        case("fast", AmpOptions::new().fast(true)),
        case(
            "feature_plaid",
            AmpOptions::new().feature(ThreadFeature::Plaid),
        ),
        case("feature_pro", AmpOptions::new().feature(ThreadFeature::Pro)),
        case(
            "fast_and_feature_fast",
            AmpOptions::new().fast(true).feature(ThreadFeature::Fast),
        ),
        case(
            "disabled_tools",
            AmpOptions::new().disabled_tools(["Bash", "mcp__*", "*"]),
        ),
        case(
            "orb_size_each",
            AmpOptions::new()
                .executor(Executor::orb_project("my-project"))
                .orb_size(OrbSize::X3large),
        ),
        case(
            "runner_with_dir",
            AmpOptions::new().executor(Executor::runner_in("runner-1", "/srv/repo")),
        ),
        case(
            "tools_and_prompt",
            AmpOptions::new()
                .enabled_tools(["Read", "mcp__*"])
                .system_prompt("You are terse.")
                .dangerously_allow_all(false),
        ),
        case(
            "env_and_toolbox",
            AmpOptions::new().env("FOO", "bar").toolbox(user),
        ),
        case(
            "everything_local",
            AmpOptions {
                cwd: Some(user.to_path_buf()),
                mode: Some(Mode::DEEP),
                effort: Some(Effort::Max),
                dangerously_allow_all: Some(true),
                archive: Some(false),
                no_archive_after_execute: true,
                visibility: Some(Visibility::Workspace),
                settings_file: Some(settings.clone()),
                log_level: Some(LogLevel::Audit),
                log_file: Some(user.join("amp.log")),
                env: [("A".to_string(), "1".to_string())].into_iter().collect(),
                continue_thread: Some(ContinueThread::Id(THREAD_ID.into())),
                mcp_config: Some(SEED_MCP.into()),
                toolbox: Some(user.to_path_buf()),
                skills: Some(user.to_path_buf()),
                enabled_tools: Some(vec!["Bash".into()]),
                system_prompt: Some("Prompt".into()),
                permissions: Some(seed_permissions()),
                labels: Some(vec!["a".into(), "b-2".into()]),
                thinking: true,
                executor: Executor::Local,
                title: None,
                fast: true,
                feature: Some(ThreadFeature::Pro),
                orb_size: None,
                disabled_tools: Some(vec!["mcp__github__*".into(), "Task".into()]),
            },
        ),
    ];
    v.push(Case {
        name: "seed_stream_input".into(),
        options: AmpOptions::default(),
        stream: true,
    });
    v.push(Case {
        name: "stream_thinking_labels".into(),
        options: AmpOptions::new().thinking(true).labels(["x"]),
        stream: true,
    });
    v
}

/// A small deterministic PRNG (xorshift64*), so the random sample is the same every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn coin(&mut self) -> bool {
        self.below(2) == 0
    }
    fn pick<T: Clone>(&mut self, items: &[T]) -> T {
        items[self.below(items.len() as u64) as usize].clone()
    }
}

/// `n` random valid option combinations (seeded).
fn random_cases(user: &Path, n: usize) -> Vec<Case> {
    let mut rng = Rng(0x5EED_A3BE_2E00_0001);
    let modes = [
        Mode::SMART,
        Mode::RUSH,
        Mode::LARGE,
        Mode::DEEP,
        Mode::LOW,
        Mode::HIGH,
    ];
    let mut out = Vec::new();
    while out.len() < n {
        let mut o = AmpOptions::new();
        if rng.coin() {
            o = o.mode(rng.pick(&modes));
        }
        if rng.below(6) == 0 {
            o = o.effort(rng.pick(Effort::ALL));
        }
        if rng.coin() {
            o = o.dangerously_allow_all(rng.coin());
        }
        if rng.below(3) == 0 {
            o = o.archive(rng.coin());
        }
        o.no_archive_after_execute = rng.below(4) == 0;
        if rng.coin() {
            o = o.visibility(rng.pick(Visibility::ALL));
        }
        if rng.below(3) == 0 {
            o = o.log_level(rng.pick(LogLevel::ALL));
        }
        if rng.below(4) == 0 {
            o = o.log_file(user.join("log.txt"));
        }
        match rng.below(4) {
            0 => o = o.continue_thread(true),
            1 => o = o.continue_thread(THREAD_ID),
            _ => {}
        }
        if rng.below(3) == 0 {
            o = o.mcp_config(SEED_MCP);
        }
        if rng.below(4) == 0 {
            o = o.permissions(seed_permissions());
        }
        if rng.below(4) == 0 {
            o = o.skills(user).enabled_tools(["Bash"]);
        }
        if rng.below(4) == 0 {
            o = o.system_prompt("sys");
        }
        if rng.below(3) == 0 {
            let k = rng.below(4) as usize;
            o = o.labels((0..k).map(|i| format!("l{i}-{}", rng.below(100))));
        }
        o.thinking = rng.coin();
        match rng.below(5) {
            0 => o = o.executor(Executor::orb()),
            1 => o = o.executor(Executor::orb_project("p1")),
            2 => o = o.executor(Executor::runner_in("r1", "/srv")),
            _ => {}
        }
        if o.continue_thread.is_none() && rng.coin() {
            o = o.title(format!("Title {}", rng.below(1000)));
        }
        if matches!(o.executor, Executor::Orb { .. }) && rng.coin() {
            o = o.orb_size(rng.pick(OrbSize::ALL));
        }
        o.fast = rng.below(4) == 0;
        if rng.below(4) == 0 {
            o = o.feature(rng.pick(ThreadFeature::ALL));
        }
        if rng.below(5) == 0 {
            o = o.disabled_tools(["Bash", "mcp__*"]);
        }
        let stream = !o.executor.is_remote() && rng.below(4) == 0;
        let name = format!("random_{:02}", out.len());
        let valid = plan_execution(
            &o,
            &prompt(stream),
            &BaseSettings::None,
            Path::new("/tmp/x"),
        )
        .is_ok();
        if valid {
            out.push(Case {
                name,
                options: o,
                stream,
            });
        }
    }
    out
}

fn prompt(stream: bool) -> PromptKind {
    if stream {
        PromptKind::Stream
    } else {
        PromptKind::Text("What files are in this directory?".into())
    }
}

#[derive(Debug)]
enum Outcome {
    /// Got as far as the network: argv accepted.
    Offline,
    /// `unknown option '<flag>'`.
    Unknown(String),
    /// Anything else (usage error, crash, timeout), with what the CLI said.
    Other(#[allow(dead_code)] String),
}

struct Job {
    name: String,
    args: Vec<OsString>,
    case_dir: PathBuf,
    env: Vec<EnvChange>,
    cwd: Option<PathBuf>,
    stdin: StdinPlan,
}

/// Plans the case with a real private folder, writes the files, and returns the job.
fn prepare(c: &Case, root: &Path) -> Job {
    let case_dir = root.join(&c.name);
    let private = case_dir.join("private");
    if let Err(e) = std::fs::create_dir_all(&private) {
        panic!("{}: cannot create {}: {e}", c.name, private.display());
    }
    let base = match (
        &c.options.settings_file,
        ampere_core::settings::needs_overlay(&c.options),
    ) {
        (Some(p), true) => BaseSettings::Explicit {
            path: p.clone(),
            contents: std::fs::read_to_string(p).map_err(|e| e.to_string()),
        },
        _ => BaseSettings::None,
    };
    let plan = match plan_execution(&c.options, &prompt(c.stream), &base, &private) {
        Ok(p) => p,
        Err(e) => panic!("{}: plan failed: {e}", c.name),
    };
    for f in &plan.files {
        if let Err(e) = std::fs::write(&f.path, &f.contents) {
            panic!("{}: cannot write {}: {e}", c.name, f.path.display());
        }
    }
    Job {
        name: c.name.clone(),
        args: plan.args,
        case_dir,
        env: plan.env,
        cwd: plan.cwd,
        stdin: plan.stdin,
    }
}

fn run(bin: &Path, job: &Job, args: &[OsString]) -> Outcome {
    let home = match scratch_home() {
        Ok(h) => h,
        Err(e) => return Outcome::Other(format!("scratch home: {e}")),
    };
    let mut cmd = offline_command(bin, home.path());
    cmd.args(args);
    for change in &job.env {
        match change {
            EnvChange::Set(k, v) | EnvChange::SetIfAbsent(k, v) => {
                cmd.env(k, v);
            }
        }
    }
    cmd.current_dir(job.cwd.as_deref().unwrap_or(&job.case_dir));
    let out_path = job.case_dir.join(format!("out-{}.txt", args.len()));
    let (stdout, stderr) = match (
        std::fs::File::create(&out_path),
        std::fs::File::create(job.case_dir.join(format!("err-{}.txt", args.len()))),
    ) {
        (Ok(o), Ok(e)) => (o, e),
        _ => return Outcome::Other("cannot create output files".into()),
    };
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::from(stdout))
        .stderr(Stdio::from(stderr));
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => return Outcome::Other(format!("spawn: {e}")),
    };
    if let Some(mut stdin) = child.stdin.take() {
        let bytes: Vec<u8> = match &job.stdin {
            StdinPlan::Text(b) => b.clone(),
            StdinPlan::Stream => {
                b"{\"type\":\"user\",\"message\":{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"hi\"}]}}\n"
                    .to_vec()
            }
        };
        // The CLI may exit before reading stdin (usage errors): a broken pipe is fine.
        let _ = stdin.write_all(&bytes);
    }
    let deadline = Instant::now() + PER_RUN_TIMEOUT;
    let status = loop {
        match child.try_wait() {
            Ok(Some(s)) => break s,
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(25)),
            Ok(None) => {
                let _ = child.kill();
                let _ = child.wait();
                return Outcome::Other(format!("timed out after {PER_RUN_TIMEOUT:?}"));
            }
            Err(e) => return Outcome::Other(format!("wait: {e}")),
        }
    };
    let text = format!(
        "{}{}",
        std::fs::read_to_string(&out_path).unwrap_or_default(),
        std::fs::read_to_string(job.case_dir.join(format!("err-{}.txt", args.len())))
            .unwrap_or_default()
    );
    if let Some(i) = text.find("unknown option '") {
        let rest = &text[i + "unknown option '".len()..];
        let flag = rest.split('\'').next().unwrap_or("").to_string();
        return Outcome::Unknown(flag);
    }
    if OFFLINE_MARKERS.iter().any(|m| text.contains(m)) {
        return Outcome::Offline;
    }
    Outcome::Other(format!(
        "exit {status}: {}",
        text.chars().take(600).collect::<String>()
    ))
}

/// (case name, argv, outcome, and for argv with known-unsupported flags: the flags removed
/// and the outcome without them).
type RunResult = (
    String,
    Vec<OsString>,
    Outcome,
    Option<(Vec<String>, Outcome)>,
);

/// The args without known-unsupported flags (and their values).
fn without_unsupported(args: &[OsString]) -> (Vec<OsString>, Vec<String>) {
    let mut out = Vec::new();
    let mut removed = Vec::new();
    let mut skip_value = false;
    for a in args {
        if skip_value {
            skip_value = false;
            continue;
        }
        let s = a.to_string_lossy();
        if KNOWN_UNSUPPORTED.iter().any(|(f, _)| *f == s) {
            removed.push(s.into_owned());
            skip_value = true;
            continue;
        }
        out.push(a.clone());
    }
    (out, removed)
}

#[test]
fn real_cli_accepts_planned_argv() {
    let started = Instant::now();
    let Some(bin) =
        ampere_tests::real_cli::real_cli_or_skip("conformance_argv::real_cli_accepts_planned_argv")
    else {
        return;
    };
    let root = match tempfile::Builder::new().prefix("ampere-conf-").tempdir() {
        Ok(d) => d,
        Err(e) => panic!("tempdir: {e}"),
    };
    let user = root.path().join("user");
    if let Err(e) = std::fs::create_dir_all(&user)
        .and_then(|_| {
            std::fs::write(
                user.join("settings.json"),
                "{\n  // user settings (JSONC)\n  \"amp.notifications.enabled\": false,\n}\n",
            )
        })
        .and_then(|_| std::fs::write(user.join("mcp.json"), SEED_MCP))
    {
        panic!("user files: {e}");
    }

    let mut cases = matrix(&user);
    cases.extend(random_cases(&user, 30));
    let jobs: Vec<Job> = cases.iter().map(|c| prepare(c, root.path())).collect();
    let total = jobs.len();
    let queue = Arc::new(Mutex::new(jobs));
    let results: Arc<Mutex<Vec<RunResult>>> = Arc::new(Mutex::new(Vec::new()));
    // The CLI spends most of a run waiting (about 0.8 s of CPU in 3-4 s of wall time before
    // it reports the refused connection), so two runs per core keep 2 cores busy.
    let parallel = std::thread::available_parallelism()
        .map(|n| n.get() * 2)
        .unwrap_or(4)
        .clamp(2, 8);
    let workers: Vec<_> = (0..parallel)
        .map(|_| {
            let queue = Arc::clone(&queue);
            let results = Arc::clone(&results);
            let bin = bin.clone();
            std::thread::spawn(move || loop {
                let job = match queue.lock() {
                    Ok(mut q) => q.pop(),
                    Err(_) => None,
                };
                let Some(job) = job else { break };
                let first = run(&bin, &job, &job.args);
                let (stripped, removed) = without_unsupported(&job.args);
                let second = if removed.is_empty() {
                    None
                } else {
                    Some((removed, run(&bin, &job, &stripped)))
                };
                if let Ok(mut r) = results.lock() {
                    r.push((job.name.clone(), job.args.clone(), first, second));
                }
            })
        })
        .collect();
    for w in workers {
        let _ = w.join();
    }
    let mut results = match Arc::try_unwrap(results).map(|m| m.into_inner()) {
        Ok(Ok(r)) => r,
        _ => panic!("worker results unavailable"),
    };
    results.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(results.len(), total, "a worker died");

    let mut failures = Vec::new();
    let mut rejected_seen: BTreeSet<String> = BTreeSet::new();
    for (name, args, first, second) in &results {
        let argv = args
            .iter()
            .map(|a| a.to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join(" ");
        match (first, second) {
            (Outcome::Offline, None) => eprintln!("ok       {name}: amp {argv}"),
            (Outcome::Unknown(flag), Some((removed, again))) if removed.contains(flag) => {
                rejected_seen.insert(flag.clone());
                match again {
                    Outcome::Offline => eprintln!(
                        "ok*      {name}: pinned CLI rejects {flag} (known unsupported; users see: {}); accepted without {removed:?}",
                        ampere_core::plan::unsupported_option_hint(&format!("unknown option '{flag}'"))
                            .unwrap_or_default()
                    ),
                    other => failures.push(format!(
                        "{name}: without {removed:?} still fails: {other:?}\n  amp {argv}"
                    )),
                }
            }
            (Outcome::Offline, Some((removed, _))) => failures.push(format!(
                "{name}: the pinned CLI now accepts {removed:?}: remove it from KNOWN_UNSUPPORTED\n  amp {argv}"
            )),
            (other, _) => failures.push(format!("{name}: {other:?}\n  amp {argv}")),
        }
    }
    for (flag, why) in KNOWN_UNSUPPORTED {
        eprintln!("known unsupported by the pinned CLI: {flag} ({why})");
        if !rejected_seen.contains(*flag) {
            failures.push(format!(
                "KNOWN_UNSUPPORTED lists {flag} but no case showed the pinned CLI rejecting it"
            ));
        }
    }
    eprintln!(
        "conformance: {} cases ({} matrix + 30 random) in {:.1?}",
        results.len(),
        results.len() - 30,
        started.elapsed()
    );
    assert!(
        failures.is_empty(),
        "conformance failures:\n{}",
        failures.join("\n")
    );
}

/// Thread commands: the real CLI accepts the argv and only fails for lack of a server.
#[test]
fn real_cli_accepts_thread_command_argv() {
    use ampere_core::threads::{MultiplayerSetting, ThreadCommand, TtlDuration};
    let Some(bin) = ampere_tests::real_cli::real_cli_or_skip(
        "conformance_argv::real_cli_accepts_thread_command_argv",
    ) else {
        return;
    };
    let mp = |setting| ThreadCommand::Multiplayer {
        thread_id: THREAD_ID.into(),
        setting,
    };
    let commands = [
        ThreadCommand::New { visibility: None },
        ThreadCommand::New {
            visibility: Some(Visibility::Public),
        },
        ThreadCommand::Markdown {
            thread_id: THREAD_ID.into(),
        },
        mp(MultiplayerSetting::On),
        mp(MultiplayerSetting::Off),
        mp(MultiplayerSetting::Ttl(TtlDuration {
            minutes: 30,
            hours: 1,
            days: 0,
            weeks: 0,
        })),
    ];
    let root = match tempfile::Builder::new()
        .prefix("ampere-conf-threads-")
        .tempdir()
    {
        Ok(d) => d,
        Err(e) => panic!("tempdir: {e}"),
    };
    let mut failures = Vec::new();
    for (i, cmd) in commands.iter().enumerate() {
        let args = match cmd.args() {
            Ok(a) => a,
            Err(e) => panic!("{cmd:?}: {e}"),
        };
        let case_dir = root.path().join(format!("t{i}"));
        if let Err(e) = std::fs::create_dir_all(&case_dir) {
            panic!("{e}");
        }
        let job = Job {
            name: format!("thread-{i}"),
            args: args.clone(),
            case_dir,
            env: Vec::new(),
            cwd: None,
            stdin: StdinPlan::Text(Vec::new()),
        };
        let argv = args
            .iter()
            .map(|a| a.to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join(" ");
        match run(&bin, &job, &args) {
            Outcome::Offline => eprintln!("ok       {}: amp {argv}", job.name),
            other => failures.push(format!("{}: {other:?}\n  amp {argv}", job.name)),
        }
    }
    assert!(
        failures.is_empty(),
        "thread command failures:\n{}",
        failures.join("\n")
    );
}
