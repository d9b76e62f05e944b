//! The invocation: environment, secrets kept off the command line, argv for every option,
//! validation, finding the CLI, cwd, settings and MCP files.

use super::*;

/// The user's `env` wins over the inherited environment, `AMP_SDK_VERSION` is set, and
/// `toolbox` sets `AMP_TOOLBOX`; other variables are inherited.
pub fn env_user_wins_and_sdk_version<R: Runtime>(s: &Suite) {
    let _env = env_lock();
    let scratch = Scratch::new();
    if std::env::var_os("AMP_SDK_VERSION").is_some() {
        panic!("AMP_SDK_VERSION is set in the test environment; unset it to run the suite");
    }
    let home = scratch.path().join("home-from-options");
    let toolbox = scratch.path().join("toolbox");
    let options = scratch.recorded(
        AmpOptions::new()
            .env("HOME", home.to_string_lossy())
            .env("AMPERE_SUITE_VAR", "from options")
            .toolbox(&toolbox),
    );
    let c = R::execute(&s.cfg(), directive(StubScenario::EchoEnv, "env"), options);
    assert_tags::<R>(
        "env",
        &c.items,
        &["system/init", "user", "assistant", "result"],
    );
    let rec = record_of::<R>(&scratch);
    assert_eq!(
        rec.env("HOME").as_deref(),
        home.to_str(),
        "[{}] user env wins",
        R::NAME
    );
    assert_eq!(rec.env("AMPERE_SUITE_VAR").as_deref(), Some("from options"));
    assert_eq!(
        rec.env("AMP_SDK_VERSION").as_deref(),
        Some(ampere_core::plan::SDK_VERSION),
        "[{}] AMP_SDK_VERSION",
        R::NAME
    );
    assert_eq!(rec.env("AMP_TOOLBOX").as_deref(), toolbox.to_str());
    let path = std::env::var("PATH").ok();
    assert_eq!(rec.env("PATH"), path, "[{}] PATH inherited", R::NAME);
    // The echo-env report tells the same story as the record.
    let report: Value = serde_json::from_str(&results(&c.items)[0].result).expect("report");
    assert_eq!(report["env"]["AMP_TOOLBOX"].as_str(), toolbox.to_str());
}

/// An `AMP_SDK_VERSION` given in `env` is kept.
pub fn env_sdk_version_user_given<R: Runtime>(s: &Suite) {
    let scratch = Scratch::new();
    let options = scratch.recorded(AmpOptions::new().env("AMP_SDK_VERSION", "my-app/9.9"));
    let c = R::execute(&s.cfg(), "hi".into(), options);
    assert_tags::<R>(
        "env",
        &c.items,
        &["system/init", "user", "assistant", "result"],
    );
    assert_eq!(
        record_of::<R>(&scratch).env("AMP_SDK_VERSION").as_deref(),
        Some("my-app/9.9")
    );
}

/// Secrets (inline MCP env values, the system prompt, permission rules) never appear on the
/// command line (`/proc/<pid>/cmdline`) and live only in 0600 files in a 0700 folder, which
/// is removed afterwards.
pub fn secrets_not_on_command_line<R: Runtime>(s: &Suite) {
    use std::os::unix::fs::PermissionsExt;
    let scratch = Scratch::new();
    let sys = "sys-secret-7f3a9c";
    let mcp = "mcp-secret-91bc2d";
    let perm = "perm-secret-c0de42";
    let rule = create_permission(
        "Bash",
        PermissionAction::Reject,
        PermissionOptions {
            message: Some(format!("denied: {perm}")),
            ..PermissionOptions::default()
        },
    )
    .expect("valid rule");
    let options = scratch.recorded(
        AmpOptions::new()
            .system_prompt(format!("You are careful. {sys}"))
            .mcp_config(
                McpConfig::new()
                    .server("db", McpServer::stdio("db-server").env("DB_PASSWORD", mcp)),
            )
            .permissions([rule]),
    );
    let mut seen: Option<(Record, PathBuf)> = None;
    R::execute_then_drop(
        &cfg_in(s, &scratch),
        directive(StubScenario::Hang, "keep it secret"),
        options,
        1,
        &mut |_| {
            let rec = record_of::<R>(&scratch);
            let pid = rec.pid();
            let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).expect("read cmdline");
            let cmdline = String::from_utf8_lossy(&cmdline).into_owned();
            for secret in [sys, mcp, perm] {
                assert!(
                    !cmdline.contains(secret),
                    "[{}] secret {secret} on the command line: {cmdline:?}",
                    R::NAME
                );
            }
            let dir = private_dir_of::<R>(&rec);
            let dir_mode = std::fs::metadata(&dir).expect("dir").permissions().mode() & 0o7777;
            assert_eq!(dir_mode, 0o700, "[{}] private folder mode", R::NAME);
            let mut found = String::new();
            for entry in std::fs::read_dir(&dir).expect("list private folder") {
                let path = entry.expect("entry").path();
                let mode = std::fs::metadata(&path).expect("file").permissions().mode() & 0o7777;
                assert_eq!(mode, 0o600, "[{}] mode of {}", R::NAME, path.display());
                found.push_str(&std::fs::read_to_string(&path).expect("read private file"));
            }
            for secret in [sys, mcp, perm] {
                assert!(
                    found.contains(secret),
                    "[{}] {secret} not in the private files",
                    R::NAME
                );
            }
            let args = rec.args();
            let settings = rec.str("settings_file").expect("settings file");
            let mcp_path = rec.str("mcp_config").expect("mcp config");
            assert!(args
                .windows(2)
                .any(|w| w[0] == "--settings-file" && w[1] == settings));
            assert!(args
                .windows(2)
                .any(|w| w[0] == "--mcp-config" && w[1] == mcp_path));
            assert_eq!(PathBuf::from(&mcp_path).parent(), Some(dir.as_path()));
            assert_eq!(rec.str("settings_mode").as_deref(), Some("600"));
            assert_eq!(rec.str("mcp_config_mode").as_deref(), Some("600"));
            let settings_json: Value =
                serde_json::from_str(&rec.str("settings").expect("settings text")).expect("JSON");
            assert_eq!(
                settings_json["amp.systemPrompt"],
                format!("You are careful. {sys}")
            );
            assert_eq!(settings_json["amp.dangerouslyAllowAll"], json!(false));
            assert_eq!(
                settings_json["amp.permissions"],
                json!([{"tool": "Bash", "action": "reject", "message": format!("denied: {perm}")}])
            );
            seen = Some((rec, dir));
        },
    );
    let (rec, dir) = seen.expect("inspected while alive");
    assert_eventually_gone::<R>(&rec, Some(&dir));
    assert_no_leftovers::<R>(&scratch, true);
}

/// Options become argv in the contract's order: continue by id first, visibility `public`
/// sent as `unlisted`, mode, labels.
pub fn argv_options<R: Runtime>(s: &Suite) {
    let scratch = Scratch::new();
    let thread = stub::new_thread_id();
    let options = scratch.recorded(
        AmpOptions::new()
            .labels(["alpha", "b-2"])
            .visibility(Visibility::Public)
            .mode(Mode::RUSH)
            .continue_thread(ContinueThread::Id(thread.clone())),
    );
    let c = R::execute(&s.cfg(), "continue please".into(), options);
    assert_tags::<R>(
        "argv",
        &c.items,
        &["system/init", "user", "assistant", "result"],
    );
    assert_eq!(
        record_of::<R>(&scratch).args(),
        [
            "threads",
            "continue",
            thread.as_str(),
            "--execute",
            "--stream-json",
            "--visibility",
            "unlisted",
            "--mode",
            "rush",
            "--label",
            "alpha",
            "--label",
            "b-2",
        ],
        "[{}] argv",
        R::NAME
    );
    assert_eq!(assert_one_session::<R>(&c.items), thread);
}

/// Continue the latest thread (`threads continue` without id); a title and
/// `no_archive_after_execute` on a new thread.
pub fn argv_continue_latest_and_title<R: Runtime>(s: &Suite) {
    let scratch = Scratch::new();
    let c = R::execute(
        &s.cfg(),
        "latest".into(),
        scratch.recorded(AmpOptions::new().continue_thread(ContinueThread::Latest)),
    );
    assert_tags::<R>(
        "latest",
        &c.items,
        &["system/init", "user", "assistant", "result"],
    );
    assert_eq!(
        record_of::<R>(&scratch).args(),
        ["threads", "continue", "--execute", "--stream-json"]
    );

    let scratch = Scratch::new();
    let c = R::execute(
        &s.cfg(),
        "titled".into(),
        scratch.recorded(
            AmpOptions::new()
                .title("My  title")
                .no_archive_after_execute(true),
        ),
    );
    assert_tags::<R>(
        "title",
        &c.items,
        &["system/init", "user", "assistant", "result"],
    );
    assert_eq!(
        record_of::<R>(&scratch).args(),
        [
            "--execute",
            "--stream-json",
            "--no-archive-after-execute",
            "--title",
            "My  title"
        ]
    );
}

fn assert_validation<R: Runtime>(what: &str, item: &Item, field: &str) {
    match item {
        Err(AgentError::Validation(v)) => assert_eq!(v.field, field, "[{}] {what}", R::NAME),
        other => panic!(
            "[{}] {what}: expected a validation error, got {other:?}",
            R::NAME
        ),
    }
}

/// A bad label is rejected before anything is spawned, naming the field.
pub fn validation_bad_label<R: Runtime>(s: &Suite) {
    let scratch = Scratch::new();
    let options = scratch.recorded(AmpOptions::new().labels(["good", "bad label"]));
    let c = R::execute(&s.cfg(), "x".into(), options.clone());
    assert_eq!(c.items.len(), 1, "[{}] {:?}", R::NAME, c.items);
    assert_validation::<R>("execute", &c.items[0], "labels[1]");
    assert_validation::<R>(
        "run",
        &R::run(&s.cfg(), "x".into(), options).map(|_| unreachable!()),
        "labels[1]",
    );
    assert!(
        scratch.record().is_none(),
        "[{}] something was spawned",
        R::NAME
    );
}

/// A title together with continue is rejected before anything is spawned.
pub fn validation_title_with_continue<R: Runtime>(s: &Suite) {
    let scratch = Scratch::new();
    let options = scratch.recorded(
        AmpOptions::new()
            .title("A title")
            .continue_thread(ContinueThread::Latest),
    );
    let c = R::execute(&s.cfg(), "x".into(), options);
    assert_eq!(c.items.len(), 1, "[{}] {:?}", R::NAME, c.items);
    assert_validation::<R>("execute", &c.items[0], "title");
    assert!(
        scratch.record().is_none(),
        "[{}] something was spawned",
        R::NAME
    );
}

/// A configured CLI path that does not exist: `CliNotFound` naming it, from every entry
/// point.
pub fn cli_not_found_explicit<R: Runtime>(s: &Suite) {
    let scratch = Scratch::new();
    let missing = scratch.path().join("no-such-amp");
    let cfg = AmpCfg {
        cli_path: Some(missing.clone()),
        ..s.cfg()
    };
    let check = |what: &str, err: &AgentError| match err {
        AgentError::CliNotFound { message, searched } => {
            assert_eq!(searched, &vec![missing.clone()], "[{}] {what}", R::NAME);
            assert!(
                message.contains(&missing.display().to_string()),
                "{message}"
            );
        }
        other => panic!("[{}] {what}: expected CliNotFound, got {other:?}", R::NAME),
    };
    let c = R::execute(&cfg, "x".into(), AmpOptions::new());
    assert_eq!(c.items.len(), 1, "[{}] {:?}", R::NAME, c.items);
    check("execute", c.items[0].as_ref().unwrap_err());
    check(
        "run",
        &R::run(&cfg, "x".into(), AmpOptions::new()).unwrap_err(),
    );
    check("thread_new", &R::thread_new(&cfg, None).unwrap_err());
}

/// No CLI anywhere (empty `HOME` and `PATH`, no `AMP_CLI_PATH`): `CliNotFound` whose message
/// says how to install it.
pub fn cli_not_found_search<R: Runtime>(s: &Suite) {
    let scratch = Scratch::new();
    let home = scratch.path().join("home");
    let bin = scratch.path().join("bin");
    std::fs::create_dir_all(&home).expect("mkdir");
    std::fs::create_dir_all(&bin).expect("mkdir");
    let cfg = AmpCfg {
        cli_path: None,
        ..s.cfg()
    };
    let c = {
        let _env = env_lock();
        let _patch = EnvPatch::apply(&[
            ("HOME", Some(home.as_os_str())),
            ("PATH", Some(bin.as_os_str())),
            ("AMP_CLI_PATH", None),
            ("AMP_HOME", None),
            ("XDG_CONFIG_HOME", None),
        ]);
        R::execute(&cfg, "x".into(), AmpOptions::new().cwd(scratch.path()))
    };
    assert_eq!(c.items.len(), 1, "[{}] {:?}", R::NAME, c.items);
    match &c.items[0] {
        Err(AgentError::CliNotFound { message, searched }) => {
            assert!(message.contains("npm install -g @ampcode/cli"), "{message}");
            assert!(message.contains("AMP_CLI_PATH"), "{message}");
            assert!(!searched.is_empty());
            assert!(
                searched.iter().any(|p| p.starts_with(&home)),
                "{searched:?}"
            );
        }
        other => panic!("[{}] expected CliNotFound, got {other:?}", R::NAME),
    }
}

/// The working folder option: the CLI runs there (and says so in its init message).
pub fn cwd_option<R: Runtime>(s: &Suite) {
    let scratch = Scratch::new();
    let work = scratch.path().join("work dir");
    std::fs::create_dir_all(&work).expect("mkdir");
    let work = work.canonicalize().expect("canonical");
    let c = R::execute(
        &s.cfg(),
        "where am I".into(),
        scratch.recorded(AmpOptions::new().cwd(&work)),
    );
    assert_tags::<R>(
        "cwd",
        &c.items,
        &["system/init", "user", "assistant", "result"],
    );
    let Ok(Message::System(init)) = &c.items[0] else {
        unreachable!()
    };
    assert_eq!(Some(init.cwd.as_str()), work.to_str());
    assert_eq!(
        record_of::<R>(&scratch).str("cwd").as_deref(),
        work.to_str()
    );
}

/// The user's settings file is the base of the generated one; an invalid one is a `Plan`
/// error before anything is spawned.
pub fn settings_file_base<R: Runtime>(s: &Suite) {
    let scratch = Scratch::new();
    let base = scratch.path().join("user-settings.json");
    std::fs::write(
        &base,
        r#"{"custom.key": 1, "amp.notifications.enabled": false}"#,
    )
    .expect("write settings");
    let options = scratch.recorded(
        AmpOptions::new()
            .settings_file(&base)
            .enabled_tools(["Read*", "Grep"]),
    );
    let c = R::execute(&s.cfg(), "settings".into(), options);
    assert_tags::<R>(
        "settings",
        &c.items,
        &["system/init", "user", "assistant", "result"],
    );
    let rec = record_of::<R>(&scratch);
    let generated: Value =
        serde_json::from_str(&rec.str("settings").expect("settings text")).expect("JSON");
    assert_eq!(generated["custom.key"], json!(1));
    assert_eq!(generated["amp.notifications.enabled"], json!(false));
    assert_eq!(generated["amp.tools.enable"], json!(["Read*", "Grep"]));
    assert_ne!(rec.str("settings_file").as_deref(), base.to_str());
    assert_eq!(
        std::fs::read_to_string(&base).expect("read"),
        r#"{"custom.key": 1, "amp.notifications.enabled": false}"#,
        "[{}] the user's file is left alone",
        R::NAME
    );

    let scratch = Scratch::new();
    let bad = scratch.path().join("bad.json");
    std::fs::write(&bad, "[1, 2").expect("write");
    let options = scratch.recorded(AmpOptions::new().settings_file(&bad).system_prompt("x"));
    let c = R::execute(&s.cfg(), "x".into(), options);
    assert_eq!(c.items.len(), 1, "[{}] {:?}", R::NAME, c.items);
    match &c.items[0] {
        Err(AgentError::Plan(message)) => {
            assert!(message.contains("bad.json"), "[{}] {message}", R::NAME)
        }
        other => panic!("[{}] expected a Plan error, got {other:?}", R::NAME),
    }
    assert!(
        scratch.record().is_none(),
        "[{}] something was spawned",
        R::NAME
    );
}

/// An MCP configuration given as a path is passed as is (no private file).
pub fn mcp_config_path<R: Runtime>(s: &Suite) {
    let scratch = Scratch::new();
    let path = scratch.path().join("mcp.json");
    std::fs::write(&path, r#"{"files": {"command": "mcp-files"}}"#).expect("write");
    let c = R::execute(
        &s.cfg(),
        "mcp".into(),
        scratch.recorded(AmpOptions::new().mcp_config(path.to_string_lossy().into_owned())),
    );
    assert_tags::<R>(
        "mcp path",
        &c.items,
        &["system/init", "user", "assistant", "result"],
    );
    let Ok(Message::System(init)) = &c.items[0] else {
        unreachable!()
    };
    let names: Vec<&str> = init.mcp_servers.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(names, ["files"]);
    assert_eq!(
        record_of::<R>(&scratch).args(),
        [
            "--execute",
            "--stream-json",
            "--mcp-config",
            path.to_str().expect("utf-8")
        ]
    );
}

/// More options in the contract's order: allow-all, keep unarchived, visibility, the
/// generated settings file, log level and file, title (unicode kept intact).
pub fn argv_more_options<R: Runtime>(s: &Suite) {
    let scratch = Scratch::new();
    let log = scratch.path().join("amp.log");
    let options = scratch.recorded(
        AmpOptions::new()
            .dangerously_allow_all(true)
            .archive(false)
            .visibility(Visibility::Workspace)
            .log_level(LogLevel::Debug)
            .log_file(&log)
            .title("Tëst 日本 title"),
    );
    let c = R::execute(&s.cfg(), "options".into(), options);
    assert_tags::<R>(
        "options",
        &c.items,
        &["system/init", "user", "assistant", "result"],
    );
    let rec = record_of::<R>(&scratch);
    let settings = rec.str("settings_file").expect("a generated settings file");
    assert_eq!(
        rec.args(),
        [
            "--execute",
            "--stream-json",
            "--dangerously-allow-all",
            "--no-archive-after-execute",
            "--visibility",
            "workspace",
            "--settings-file",
            settings.as_str(),
            "--log-level",
            "debug",
            "--log-file",
            log.to_str().expect("utf-8"),
            "--title",
            "Tëst 日本 title",
        ],
        "[{}] argv",
        R::NAME
    );
    let generated: Value =
        serde_json::from_str(&rec.str("settings").expect("settings")).expect("JSON");
    assert_eq!(generated["amp.dangerouslyAllowAll"], json!(true));
}

/// `effort` is passed as `--effort`, which the pinned CLI does not know: a clear process
/// error with the CLI's message.
pub fn effort_unknown_to_cli<R: Runtime>(s: &Suite) {
    let c = R::execute(&s.cfg(), "x".into(), AmpOptions::new().effort(Effort::High));
    assert_tags::<R>("effort", &c.items, &["process"]);
    let (code, _, stderr) = expect_process(&c.items[0]);
    assert_eq!(code, Some(1));
    assert!(
        stderr.contains("unknown option '--effort'"),
        "[{}] {stderr:?}",
        R::NAME
    );
}
