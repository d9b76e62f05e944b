//! The permission bridge end to end: core's machine, runtime-common's host, the generated
//! delegate scripts run by `sh`, and the pinned real Amp CLI running them through
//! `amp permissions test` (offline).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use ampere_core::callbacks::permission_bridge::{delegate_rules_json, script_name, Decision};
use ampere_core::permission::PermissionContext;
use ampere_runtime_common::{PermissionHandler, PermissionHost};
use ampere_tests::real_cli::{offline_command, private_dir, real_cli_or_skip, scratch_home};
use serde_json::{json, Value};

/// Allows `ls` and `git status`; rejects the rest with a reason; sleeps when asked.
fn handler() -> PermissionHandler {
    Arc::new(|request| {
        let cmd = request
            .input
            .get("cmd")
            .and_then(Value::as_str)
            .unwrap_or("");
        if let Some(ms) = cmd
            .strip_prefix("sleep ")
            .and_then(|s| s.parse::<u64>().ok())
        {
            std::thread::sleep(Duration::from_millis(ms));
        }
        if cmd == "panic" {
            panic!("handler exploded");
        }
        match cmd {
            "ls" | "git status" => Decision::Allow,
            other => Decision::Reject(format!(
                "{} in {:?}: {other} is not allowed",
                request.tool, request.context
            )),
        }
    })
}

fn run_script(dir: &Path, context: PermissionContext, tool: &str, input: &Value) -> (i32, String) {
    let mut child = Command::new("sh")
        .arg(dir.join(script_name(context)))
        .env("AGENT", "amp")
        .env("AGENT_TOOL_NAME", tool)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn sh");
    let mut stdin = child.stdin.take().expect("stdin");
    stdin
        .write_all(input.to_string().as_bytes())
        .expect("write");
    drop(stdin);
    let out = child.wait_with_output().expect("wait");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn concurrent_calls_each_get_their_own_answer() {
    let (_root, dir) = private_dir().expect("private dir");
    let host = PermissionHost::start(&dir, Duration::from_secs(20), handler()).expect("host");
    let threads: Vec<_> = (0..200)
        .map(|i| {
            let dir = dir.clone();
            std::thread::spawn(move || {
                let allowed = i % 3 == 0;
                let cmd = if allowed {
                    "ls".to_string()
                } else {
                    format!("rm {i}")
                };
                let context = if i % 2 == 0 {
                    PermissionContext::Thread
                } else {
                    PermissionContext::Subagent
                };
                let (code, stderr) = run_script(&dir, context, "Bash", &json!({"cmd": cmd}));
                (i, allowed, context, code, stderr)
            })
        })
        .collect();
    for t in threads {
        let (i, allowed, context, code, stderr) = t.join().expect("join");
        if allowed {
            assert_eq!(code, 0, "call {i}: {stderr}");
        } else {
            assert_eq!(code, 2, "call {i}");
            assert_eq!(
                stderr.trim(),
                format!("Bash in {context:?}: rm {i} is not allowed"),
                "call {i}: its own answer"
            );
        }
    }
    host.stop();
    let left: Vec<_> = std::fs::read_dir(&dir)
        .expect("ls")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("req-") || n.starts_with("ans-"))
        .collect();
    assert!(
        left.is_empty(),
        "the scripts clean up after themselves: {left:?}"
    );
}

#[test]
fn a_panicking_or_slow_handler_is_a_rejection_that_says_why() {
    let (_root, dir) = private_dir().expect("private dir");
    let host = PermissionHost::start(&dir, Duration::from_millis(300), handler()).expect("host");
    let (code, stderr) = run_script(
        &dir,
        PermissionContext::Thread,
        "Bash",
        &json!({"cmd": "panic"}),
    );
    assert_eq!(
        (code, stderr.trim()),
        (2, "the permission handler panicked: handler exploded")
    );
    let (code, stderr) = run_script(
        &dir,
        PermissionContext::Thread,
        "Bash",
        &json!({"cmd": "sleep 2000"}),
    );
    assert_eq!(
        (code, stderr.trim()),
        (2, "the permission handler did not answer within 0.300s")
    );
    host.stop();
}

#[test]
fn calls_pending_when_the_execution_ends_are_rejected() {
    let (_root, dir) = private_dir().expect("private dir");
    let host = PermissionHost::start(&dir, Duration::from_secs(30), handler()).expect("host");
    let d = dir.clone();
    let call = std::thread::spawn(move || {
        run_script(
            &d,
            PermissionContext::Thread,
            "Bash",
            &json!({"cmd": "sleep 3000"}),
        )
    });
    std::thread::sleep(Duration::from_millis(500));
    host.stop();
    let (code, stderr) = call.join().expect("join");
    assert_eq!((code, stderr.trim()), (2, "the Amp execution has ended"));
}

/// `amp permissions test` (the real CLI, offline) runs ampere's generated delegate rules and
/// scripts and reports the handler's decision, in both contexts, allow and reject with its
/// message.
#[test]
fn the_real_cli_runs_the_bridge_and_reports_the_handlers_decision() {
    let Some(bin) =
        real_cli_or_skip("the_real_cli_runs_the_bridge_and_reports_the_handlers_decision")
    else {
        return;
    };
    let (_root, dir) = private_dir().expect("private dir");
    let host = PermissionHost::start(&dir, Duration::from_secs(20), handler()).expect("host");
    let settings = dir.join("settings.json");
    std::fs::write(
        &settings,
        json!({"amp.permissions": delegate_rules_json(&dir)}).to_string(),
    )
    .expect("settings");
    let home = scratch_home().expect("home");
    for (context, cmd, action, error) in [
        ("thread", "ls", "allow", None),
        ("subagent", "git status", "allow", None),
        (
            "thread",
            "rm -rf /",
            "reject",
            Some("Bash in Thread: rm -rf / is not allowed\n"),
        ),
        (
            "subagent",
            "curl x",
            "reject",
            Some("Bash in Subagent: curl x is not allowed\n"),
        ),
    ] {
        let out = offline_command(&bin, home.path())
            .args([
                "permissions",
                "test",
                "Bash",
                "--json",
                "--context",
                context,
                "--cmd",
                cmd,
            ])
            .arg("--settings-file")
            .arg(&settings)
            .output()
            .expect("run the CLI");
        let json: Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
        assert_eq!(json["action"], action, "{context} {cmd}: {json}");
        assert_eq!(json["matchedEntry"]["action"], "delegate");
        assert_eq!(json["matchedEntry"]["context"], context);
        assert_eq!(json.get("error").and_then(Value::as_str), error, "{json}");
    }
    host.stop();
}

/// The settings file ampere generates for an execution with a permission handler (the
/// public API's plan, carried out by `prepare_execution`): its path from the command's
/// `--settings-file`, and the prepared execution holding the host.
fn generated_settings(
    root: &Path,
    options: &ampere_core::options::AmpOptions,
) -> (ampere_runtime_common::Prepared, PathBuf) {
    let mut callbacks = ampere_runtime_common::Callbacks::default();
    let decide = handler();
    callbacks.set_permission_handler(
        move |request: &ampere_core::callbacks::permission_bridge::PermissionRequest| {
            decide(request.clone())
        },
    );
    let settings = ampere_runtime_common::CliSettings {
        cli_path: Some("/bin/true".into()),
        temp_root: Some(root.to_path_buf()),
        callbacks,
        ..Default::default()
    };
    let prepared = ampere_runtime_common::prepare_execution(
        options,
        ampere_core::plan::PromptKind::Text("go".into()),
        &settings,
    )
    .expect("prepare");
    let args: Vec<_> = prepared.command.get_args().collect();
    let i = args
        .iter()
        .position(|a| *a == "--settings-file")
        .expect("a generated settings file");
    let path = PathBuf::from(args[i + 1]);
    (prepared, path)
}

/// `amp permissions test` with the settings ampere *generates* (the user's rules first, the
/// delegate rules after): the user's rule decides what it matches, the handler the rest, in
/// both contexts, allow and reject with its message; after the execution's end the bridge's
/// files are gone.
#[test]
fn the_real_cli_runs_the_generated_settings() {
    let Some(bin) = real_cli_or_skip("the_real_cli_runs_the_generated_settings") else {
        return;
    };
    let root = tempfile::tempdir().expect("tempdir");
    let user_rule: ampere_core::permission::Permission = serde_json::from_value(
        json!({"tool": "Bash", "action": "reject", "matches": {"cmd": "sudo *"}, "message": "no sudo (user rule)"}),
    )
    .expect("rule");
    let options = ampere_core::options::AmpOptions::new().permissions([user_rule]);
    let (prepared, settings) = generated_settings(root.path(), &options);
    let home = scratch_home().expect("home");
    for (context, cmd, action, matched, error) in [
        ("thread", "ls", "allow", "delegate", None),
        ("subagent", "git status", "allow", "delegate", None),
        (
            "thread",
            "rm -rf /",
            "reject",
            "delegate",
            Some("Bash in Thread: rm -rf / is not allowed\n"),
        ),
        (
            "subagent",
            "curl x",
            "reject",
            "delegate",
            Some("Bash in Subagent: curl x is not allowed\n"),
        ),
        ("thread", "sudo ls", "reject", "reject", None),
    ] {
        let out = offline_command(&bin, home.path())
            .args([
                "permissions",
                "test",
                "Bash",
                "--json",
                "--context",
                context,
            ])
            .args(["--cmd", cmd])
            .arg("--settings-file")
            .arg(&settings)
            .output()
            .expect("run the CLI");
        let json: Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
        assert_eq!(json["action"], action, "{context} {cmd}: {json}");
        assert_eq!(json["matchedEntry"]["action"], matched, "{json}");
        if matched == "delegate" {
            assert_eq!(json["matchedEntry"]["context"], context);
            assert_eq!(json.get("error").and_then(Value::as_str), error, "{json}");
        }
    }
    let dir = prepared
        .private_dir
        .as_ref()
        .expect("dir")
        .path()
        .to_path_buf();
    assert!(dir.join("permission-thread").exists());
    drop(prepared);
    assert!(!dir.exists(), "the private folder goes with the execution");
    assert_eq!(std::fs::read_dir(root.path()).expect("ls").count(), 0);
}
