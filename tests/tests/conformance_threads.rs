//! Conformance of the typed thread requests (`ampere_core::threads`) with the real, pinned
//! Amp CLI.
//!
//! Every request's argv is run by the real CLI offline (scratch `HOME`, `AMP_API_KEY=x`,
//! `AMP_URL=http://127.0.0.1:9`): it must get as far as failing to connect, never fail on
//! parsing (a commander usage error, `Invalid thread URL or ID`, a bad `--limit`, ...). And
//! for what ampere rejects before spawning because the CLI would reject it offline, the CLI
//! is shown to reject the same argv (so the validation is no stricter than it claims).

use std::ffi::OsString;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use ampere_core::options::Visibility;
use ampere_core::threads::*;
use ampere_tests::real_cli::{ensure_real_cli, offline_command, scratch_home};

const ID: &str = "T-7f395a45-7fae-4983-8de0-d02e61d4183b";
const PER_RUN_TIMEOUT: Duration = Duration::from_secs(40);

/// What the CLI says when the argv was fine and only the server was missing.
const OFFLINE_MARKERS: &[&str] = &[
    "Cannot reach Amp servers",
    "Unable to connect",
    "Couldn't connect",
    "ECONNREFUSED",
];

/// Runs `amp <args>` offline; gives (exit success, stdout + stderr).
fn run(bin: &Path, args: &[OsString]) -> (bool, String) {
    let home = match scratch_home() {
        Ok(h) => h,
        Err(e) => panic!("scratch home: {e}"),
    };
    let out_path = home.path().join("out.txt");
    let out = match std::fs::File::create(&out_path) {
        Ok(f) => f,
        Err(e) => panic!("{e}"),
    };
    let err = match out.try_clone() {
        Ok(f) => f,
        Err(e) => panic!("{e}"),
    };
    let mut cmd = offline_command(bin, home.path());
    cmd.args(args)
        .current_dir(home.path())
        .stdin(Stdio::null())
        .stdout(Stdio::from(out))
        .stderr(Stdio::from(err));
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => panic!("spawn {}: {e}", bin.display()),
    };
    let deadline = Instant::now() + PER_RUN_TIMEOUT;
    let status = loop {
        match child.try_wait() {
            Ok(Some(s)) => break s,
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(25)),
            Ok(None) => {
                let _ = child.kill();
                let _ = child.wait();
                return (false, format!("timed out after {PER_RUN_TIMEOUT:?}"));
            }
            Err(e) => panic!("wait: {e}"),
        }
    };
    (
        status.success(),
        std::fs::read_to_string(&out_path).unwrap_or_default(),
    )
}

fn is_offline(text: &str) -> bool {
    OFFLINE_MARKERS.iter().any(|m| text.contains(m))
}

fn show(args: &[OsString]) -> String {
    args.iter()
        .map(|a| a.to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Every typed request, with every flag it can send.
fn requests() -> Vec<ThreadCommand> {
    let id = || ID.to_string();
    let url = format!("https://ampcode.com/threads/{ID}");
    vec![
        NewThread::default().command(),
        NewThread {
            visibility: Some(Visibility::Workspace),
        }
        .command(),
        ListThreads::new().command(),
        ListThreads::new()
            .limit(500)
            .offset(7)
            .include_archived(true)
            .command(),
        ListThreads::new().limit(1).offset(0).command(),
        SearchThreads::new("auth file:src/a.ts repo:amp").command(),
        SearchThreads::new("-starts-with-a-dash")
            .limit(5)
            .offset(10)
            .command(),
        ThreadUsage {
            thread_id: id(),
            details: false,
            range: None,
        }
        .command(),
        ThreadUsage {
            thread_id: url.clone(),
            details: true,
            range: Some(UsageRange::new(
                "2026-01-01T00:00:00Z",
                "2026-02-01T00:00:00.000Z",
            )),
        }
        .command(),
        AnalyzeContext { thread_id: id() }.command(),
        RepoDefaultVisibility::default().command(),
        RepoDefaultVisibility {
            set: Some(RepoVisibility::Private),
        }
        .command(),
        RepoDefaultVisibility {
            set: Some(RepoVisibility::Workspace),
        }
        .command(),
        RepoDefaultVisibility {
            set: Some(RepoVisibility::Group),
        }
        .command(),
        LabelThread {
            thread_id: id(),
            labels: vec!["sdk".into(), "a-1".into(), "Z9".into()],
        }
        .command(),
        RenameThread {
            thread_id: id(),
            name: "New name".into(),
        }
        .command(),
        RenameThread {
            thread_id: url.clone(),
            name: "-a name with a leading dash ✓".into(),
        }
        .command(),
        ArchiveThread {
            thread_id: id(),
            unarchive: false,
        }
        .command(),
        ArchiveThread {
            thread_id: id(),
            unarchive: true,
        }
        .command(),
        DeleteThread { thread_id: id() }.command(),
        ExportThread { thread_id: url }.command(),
        ThreadMarkdown { thread_id: id() }.command(),
        ShareThread {
            thread_id: id(),
            visibility: Visibility::Public,
        }
        .command(),
        ShareThread {
            thread_id: id(),
            visibility: Visibility::Group,
        }
        .command(),
        SetMultiplayer {
            thread_id: id(),
            setting: MultiplayerSetting::Ttl(TtlDuration {
                minutes: 30,
                hours: 1,
                ..TtlDuration::default()
            }),
        }
        .command(),
    ]
}

#[test]
fn real_cli_parses_every_thread_request() {
    let bin = match ensure_real_cli() {
        Ok(b) => b,
        Err(e) => {
            eprintln!("SKIP conformance_threads: the real Amp CLI is not available: {e}");
            return;
        }
    };
    let commands = requests();
    let results: Vec<(String, bool, String)> = std::thread::scope(|s| {
        let handles: Vec<_> = commands
            .chunks(commands.len().div_ceil(4))
            .map(|chunk| {
                let bin = &bin;
                s.spawn(move || {
                    chunk
                        .iter()
                        .map(|cmd| {
                            let args = match cmd.args() {
                                Ok(a) => a,
                                Err(e) => panic!("{cmd:?}: {e}"),
                            };
                            let (ok, text) = run(bin, &args);
                            (show(&args), ok, text)
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| match h.join() {
                Ok(v) => v,
                Err(_) => panic!("a runner thread panicked"),
            })
            .collect()
    });
    let mut failures = Vec::new();
    for (argv, ok, text) in &results {
        if !ok && is_offline(text) {
            eprintln!("ok       amp {argv}");
        } else {
            failures.push(format!("amp {argv}\n  -> {}", text.trim()));
        }
    }
    assert_eq!(results.len(), commands.len());
    assert!(
        failures.is_empty(),
        "thread requests the CLI did not parse:\n{}",
        failures.join("\n")
    );
}

/// What ampere rejects before spawning, the CLI rejects offline too (not a connection
/// error): a thread id that is not `T-<uuid>`, `--limit 0` / `--limit 501` on list, a
/// usage range with only one end.
#[test]
fn real_cli_rejects_what_ampere_rejects() {
    let bin = match ensure_real_cli() {
        Ok(b) => b,
        Err(e) => {
            eprintln!("SKIP conformance_threads: the real Amp CLI is not available: {e}");
            return;
        }
    };
    let os = |v: &[&str]| v.iter().map(OsString::from).collect::<Vec<_>>();
    let cases: Vec<(Vec<OsString>, ThreadCommand)> = vec![
        (
            os(&["threads", "export", "T-abc"]),
            ExportThread {
                thread_id: "T-abc".into(),
            }
            .command(),
        ),
        (
            os(&[
                "threads",
                "delete",
                "T-7F395A45-7FAE-4983-8DE0-D02E61D4183B",
            ]),
            DeleteThread {
                thread_id: "T-7F395A45-7FAE-4983-8DE0-D02E61D4183B".into(),
            }
            .command(),
        ),
        (
            os(&["threads", "list", "--json", "--limit", "0"]),
            ListThreads::new().limit(0).command(),
        ),
        (
            os(&["threads", "list", "--json", "--limit", "501"]),
            ListThreads::new().limit(501).command(),
        ),
        (
            os(&["threads", "usage", "--start", "2026-01-01T00:00:00Z", ID]),
            ThreadUsage {
                thread_id: ID.into(),
                details: false,
                range: Some(UsageRange::new("2026-01-01T00:00:00Z", "")),
            }
            .command(),
        ),
    ];
    let mut failures = Vec::new();
    for (raw, cmd) in &cases {
        if let Ok(args) = cmd.args() {
            failures.push(format!("ampere accepted {cmd:?} as {}", show(&args)));
        }
        let (ok, text) = run(&bin, raw);
        if ok || is_offline(&text) {
            failures.push(format!(
                "the CLI did not reject amp {} offline: {}",
                show(raw),
                text.trim()
            ));
        } else {
            eprintln!(
                "rejected amp {}: {}",
                show(raw),
                text.lines().next().unwrap_or("")
            );
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
