//! amp-stub scenarios about the process: hanging, signals, exits, stderr, the environment
//! and argv the SDK passed, records, thread commands, and odd argv.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Stdio};
use std::time::Duration;

use serde_json::Value;

#[path = "support/stub_run.rs"]
mod stub_run;

use stub_run::*;

fn spawn_reading_first_line(scenario: &str) -> (Child, String) {
    let mut cmd = stub();
    cmd.args(["-x", "--stream-json"])
        .env("AMP_STUB_SCENARIO", scenario)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    let mut child = cmd.spawn().unwrap();
    child.stdin.take().unwrap().write_all(b"hello\n").unwrap();
    let mut reader = BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    reader.read_line(&mut first).unwrap();
    // Keep stdout open (the reader is leaked into a thread that holds it).
    std::thread::spawn(move || {
        let mut sink = String::new();
        let _ = reader.read_line(&mut sink);
    });
    (child, first)
}

#[test]
fn hang_prints_init_and_never_exits() {
    let (mut child, first) = spawn_reading_first_line("hang");
    assert_eq!(
        serde_json::from_str::<Value>(&first).unwrap()["subtype"],
        "init"
    );
    std::thread::sleep(Duration::from_millis(300));
    assert!(child.try_wait().unwrap().is_none());
    child.kill().unwrap();
    child.wait().unwrap();
}

#[test]
fn ignore_sigterm_survives_sigterm() {
    use std::os::unix::process::ExitStatusExt;
    let (mut child, first) = spawn_reading_first_line("ignore-sigterm");
    assert_eq!(
        serde_json::from_str::<Value>(&first).unwrap()["type"],
        "system"
    );
    // SAFETY: signalling our own child by pid.
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    std::thread::sleep(Duration::from_millis(300));
    assert!(
        child.try_wait().unwrap().is_none(),
        "SIGTERM should be ignored"
    );
    child.kill().unwrap();
    assert_eq!(child.wait().unwrap().signal(), Some(9));
}

#[test]
fn exit_after_success() {
    let out = run(
        &["-x", "--stream-json"],
        "[[scenario:exit-after-success]] ok",
    );
    assert_eq!(out.status.code(), Some(3));
    assert_eq!(lines(&out).last().unwrap()["subtype"], "success");
}

#[test]
fn stderr_flood_needs_both_pipes_drained() {
    let out = run(
        &["-x", "--stream-json"],
        "[[scenario:stderr-flood mb=4]] ok",
    );
    assert_eq!(out.status.code(), Some(0));
    assert!(out.stderr.len() >= 4 << 20, "{}", out.stderr.len());
    assert_eq!(lines(&out).last().unwrap()["result"], "ok");
    // Default size, selected through the environment.
    let mut cmd = stub();
    cmd.args(["-x", "--stream-json"])
        .env("AMP_STUB_SCENARIO", "stderr-flood");
    let out = run_with(cmd, b"ok\n");
    assert!(out.stderr.len() >= 10 << 20);
}

#[test]
fn echo_env_reports_what_the_sdk_passed() {
    let dir = tempfile::tempdir().unwrap();
    let settings = dir.path().join("settings.json");
    std::fs::write(&settings, r#"{"amp.dangerouslyAllowAll":false}"#).unwrap();
    let mut cmd = stub();
    cmd.args(["-x", "--stream-json", "--settings-file"])
        .arg(&settings)
        .env("AMP_SDK_VERSION", "ampere/0.1.0")
        .env("AMP_TOOLBOX", "/tools")
        .env("UNRELATED", "x");
    let out = run_with(cmd, b"[[scenario:echo-env]] report\n");
    let msgs = lines(&out);
    let report: Value =
        serde_json::from_str(msgs.last().unwrap()["result"].as_str().unwrap()).unwrap();
    assert_eq!(report["env"]["AMP_SDK_VERSION"], "ampere/0.1.0");
    assert_eq!(report["env"]["AMP_TOOLBOX"], "/tools");
    assert!(report["env"].get("UNRELATED").is_none());
    assert_eq!(report["args"][3], settings.to_string_lossy().as_ref());
    assert_eq!(report["settings"], r#"{"amp.dangerouslyAllowAll":false}"#);
    let out = run(
        &["-x", "--stream-json"],
        "[[scenario:echo-env vars=PATH]] r",
    );
    let report: Value =
        serde_json::from_str(lines(&out).last().unwrap()["result"].as_str().unwrap()).unwrap();
    assert_eq!(report["env"].as_object().unwrap().len(), 1);
}

#[test]
fn unknown_types_are_valid_json_with_unknown_things() {
    let out = run(&["-x", "--stream-json"], "[[scenario:unknown-types]] hi");
    assert_eq!(out.status.code(), Some(0));
    let msgs = lines(&out);
    let t = types(&msgs);
    assert!(t.contains(&"telemetry".to_string()));
    let text = String::from_utf8_lossy(&out.stdout);
    for needle in [
        "\"compaction\"",
        "\"redacted_thinking\"",
        "\"image\"",
        "\"pause_turn\"",
        "\"hibernating\"",
    ] {
        assert!(text.contains(needle), "{needle}");
    }
    assert_eq!(msgs.last().unwrap()["subtype"], "success");
}

#[test]
fn directive_wins_over_environment_and_unknown_scenarios_fail() {
    let mut cmd = stub();
    cmd.args(["-x", "--stream-json"])
        .env("AMP_STUB_SCENARIO", "error-result");
    let out = run_with(cmd, b"[[scenario:echo]] fine\n");
    assert_eq!(out.status.code(), Some(0));
    let mut cmd = stub();
    cmd.args(["-x", "--stream-json"])
        .env("AMP_STUB_SCENARIO", "error-result");
    assert_eq!(run_with(cmd, b"fine\n").status.code(), Some(1));
    let out = run(&["-x", "--stream-json"], "[[scenario:nope]] x");
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown scenario"));
}

#[test]
fn record_file_describes_the_invocation() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let private = dir.path().join("private");
    std::fs::create_dir(&private).unwrap();
    std::fs::set_permissions(&private, std::fs::Permissions::from_mode(0o700)).unwrap();
    let settings = private.join("settings.json");
    std::fs::write(&settings, "{}").unwrap();
    std::fs::set_permissions(&settings, std::fs::Permissions::from_mode(0o600)).unwrap();
    let mcp = private.join("mcp.json");
    std::fs::write(&mcp, r#"{"zeta":{"command":"z"},"alpha":{"url":"http://x"},"off":{"command":"o","disabled":true}}"#)
        .unwrap();
    let record = dir.path().join("record.json");
    let mut cmd = stub();
    cmd.args(["-x", "--stream-json", "--settings-file"])
        .arg(&settings)
        .arg("--mcp-config")
        .arg(&mcp)
        .args(["--label", "one", "--label", "two"])
        .current_dir(dir.path())
        .env("AMP_STUB_RECORD", &record)
        .env("MY_VAR", "mine");
    let out = run_with(cmd, b"the prompt\n");
    assert_eq!(out.status.code(), Some(0));
    let msgs = lines(&out);
    let servers: Vec<&str> = msgs[0]["mcp_servers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(servers, ["alpha", "zeta"]);
    assert!(msgs[0]["mcp_servers"]
        .as_array()
        .unwrap()
        .iter()
        .all(|s| s["status"] == "connected"));
    let rec: Value = serde_json::from_slice(&std::fs::read(&record).unwrap()).unwrap();
    assert_eq!(rec["args"][0], "-x");
    assert_eq!(rec["args"].as_array().unwrap().len(), 10);
    assert_eq!(rec["stdin"], "the prompt\n");
    assert_eq!(rec["stdin_bytes"], 11);
    assert_eq!(rec["stdin_eof"], true);
    assert_eq!(rec["settings"], "{}");
    assert_eq!(rec["settings_mode"], "600");
    assert_eq!(rec["settings_dir_mode"], "700");
    assert!(rec["mcp_config_content"].as_str().unwrap().contains("zeta"));
    assert_eq!(rec["env"]["MY_VAR"], "mine");
    assert_eq!(rec["exit_code"], 0);
    assert_eq!(rec["session_id"], msgs[0]["session_id"]);
    assert_eq!(
        std::fs::canonicalize(rec["cwd"].as_str().unwrap()).unwrap(),
        std::fs::canonicalize(dir.path()).unwrap()
    );
}

#[test]
fn inline_mcp_config_names_servers() {
    let msgs = lines(&run(
        &[
            "-x",
            "--stream-json",
            "--mcp-config",
            r#"{"pw":{"command":"npx","args":["x"]}}"#,
        ],
        "hi",
    ));
    assert_eq!(msgs[0]["mcp_servers"][0]["name"], "pw");
}

#[test]
fn threads_commands() {
    let out = run(&["threads", "new", "--visibility", "workspace"], "");
    assert_eq!(out.status.code(), Some(0));
    let id = String::from_utf8(out.stdout).unwrap();
    assert!(ampere_tests::stub::args::is_thread_id(id.trim()), "{id}");
    let id = id.trim();

    let out = run(&["threads", "markdown", id], "");
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).starts_with(&format!("# Thread {id}")));

    for (args, want) in [
        (vec!["on"], "Multiplayer turned on"),
        (vec!["off"], "Multiplayer turned off"),
        (vec!["ttl", "--hours", "2"], "for 120 minutes"),
    ] {
        let mut full = vec!["threads", "share", "multiplayer"];
        full.push(args[0]);
        full.push(id);
        full.extend(&args[1..]);
        let out = run(&full, "");
        assert_eq!(out.status.code(), Some(0), "{full:?}");
        assert!(
            String::from_utf8_lossy(&out.stdout).contains(want),
            "{full:?}"
        );
    }

    // Continuing a thread runs on that thread's id.
    let msgs = lines(&run(
        &["threads", "continue", id, "-x", "--stream-json"],
        "again",
    ));
    assert!(msgs.iter().all(|m| m["session_id"] == id));

    let mut cmd = stub();
    cmd.args(["threads", "new"])
        .env("AMP_STUB_THREADS_NEW_URL", "1")
        .env("AMP_URL", "http://127.0.0.1:9/");
    let url = String::from_utf8(run_with(cmd, b"").stdout).unwrap();
    assert!(url.starts_with("http://127.0.0.1:9/threads/T-"), "{url}");
    let msgs = lines(&run(
        &["threads", "continue", url.trim(), "-x", "--stream-json"],
        "again",
    ));
    assert_eq!(
        msgs[0]["session_id"],
        url.trim().rsplit('/').next().unwrap()
    );

    let mut cmd = stub();
    cmd.args(["threads", "new"])
        .env("AMP_STUB_THREADS_FAIL", "1");
    let out = run_with(cmd, b"");
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "Error: Cannot reach Amp servers. Are you offline?\n"
    );
}

#[test]
fn every_scenario_speaks_stream_json() {
    use ampere_tests::stub::scenario::StubScenario;
    for name in StubScenario::ALL {
        if matches!(
            name,
            StubScenario::Hang
                | StubScenario::IgnoreSigterm
                | StubScenario::Garbage
                | StubScenario::Crash
                | StubScenario::SlowDrip
        ) {
            continue;
        }
        let prompt = match name {
            StubScenario::BigLine => name.param("bytes", 100_000).directive("x"),
            StubScenario::StderrFlood => name.param("mb", 1).directive("x"),
            _ => name.directive("x"),
        };
        let out = run(&["-x", "--stream-json"], &prompt);
        let msgs = lines(&out);
        assert_eq!(msgs[0]["type"], "system", "{name}");
        assert_eq!(msgs[1]["type"], "user", "{name}");
        let last = msgs.last().unwrap();
        assert_eq!(last["type"], "result", "{name}");
        assert_eq!(
            last["is_error"],
            name == StubScenario::ErrorResult,
            "{name}"
        );
    }
}

#[test]
fn parsing_never_panics_on_odd_argv() {
    for args in [
        vec!["-"],
        vec!["--"],
        vec!["--", "threads"],
        vec!["-x", "-"],
        vec!["-mx"],
        vec!["-l"],
        vec!["--=x"],
        vec!["threads", "share"],
        vec!["threads", "share", "multiplayer"],
        vec![
            "t",
            "s",
            "multiplayer",
            "ttl",
            "T-x",
            "--weeks",
            "99999999999999999999",
        ],
        vec!["-V"],
        vec!["version"],
        vec!["--help"],
        vec!["mcp", "list"],
    ] {
        let out = run(&args, "");
        let code = out.status.code();
        assert!(
            code.is_some() && code != Some(101),
            "{args:?}: {code:?} {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
