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

use ampere_core::options::Visibility;
use ampere_core::plan::{plan_execution, BaseSettings, EnvChange, StdinPlan};
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
#[path = "support/argv_cases.rs"]
mod argv_cases;

use argv_cases::*;

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
