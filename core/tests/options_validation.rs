//! Every validation rule of the options and the plan: the error names the field.

use std::path::Path;

use ampere_core::options::{AmpOptions, ContinueThread, Effort, Executor, Mode, Visibility};
use ampere_core::plan::{plan_execution, BaseSettings, PlanError, PromptKind};

fn plan_err(options: &AmpOptions, prompt: PromptKind) -> PlanError {
    match plan_execution(options, &prompt, &BaseSettings::None, Path::new("/p")) {
        Ok(p) => panic!("expected an error, got {p:?}"),
        Err(e) => e,
    }
}

fn field_of(options: AmpOptions) -> String {
    let e = plan_err(&options, PromptKind::Text("hi".into()));
    assert!(
        e.to_string().contains(e.field()),
        "{e} does not name {}",
        e.field()
    );
    e.field().to_string()
}

fn ok(options: AmpOptions) {
    if let Err(e) = plan_execution(
        &options,
        &PromptKind::Text("x".into()),
        &BaseSettings::None,
        Path::new("/p"),
    ) {
        panic!("unexpected error: {e}");
    }
}

#[test]
fn labels_at_most_twenty() {
    ok(AmpOptions::new().labels((0..20).map(|i| format!("l{i}"))));
    assert_eq!(
        field_of(AmpOptions::new().labels((0..21).map(|i| format!("l{i}")))),
        "labels"
    );
}

#[test]
fn label_length() {
    ok(AmpOptions::new().labels(["a".repeat(32)]));
    assert_eq!(
        field_of(AmpOptions::new().labels(["a".repeat(33)])),
        "labels[0]"
    );
    assert_eq!(field_of(AmpOptions::new().labels(["ok", ""])), "labels[1]");
}

#[test]
fn label_charset() {
    ok(AmpOptions::new().labels(["A-1", "9", "x--y-"]));
    for bad in ["-a", "a_b", "a b", "é", "a.b", "a/b"] {
        let e = plan_err(
            &AmpOptions::new().labels([bad]),
            PromptKind::Text("x".into()),
        );
        assert_eq!(e.field(), "labels[0]", "{bad}");
        assert!(e.to_string().contains("^[a-zA-Z0-9][a-zA-Z0-9-]*$"), "{e}");
    }
}

#[test]
fn title_rules() {
    ok(AmpOptions::new().title("t"));
    ok(AmpOptions::new().title(format!("  {}  ", "x".repeat(256))));
    assert_eq!(field_of(AmpOptions::new().title("   ")), "title");
    assert_eq!(field_of(AmpOptions::new().title("x".repeat(257))), "title");
    let e = plan_err(
        &AmpOptions::new().title("t").continue_thread(true),
        PromptKind::Text("x".into()),
    );
    assert_eq!(e.field(), "title");
    assert!(e.to_string().contains("continue"), "{e}");
}

#[test]
fn continue_thread_id_rules() {
    ok(AmpOptions::new().continue_thread("T-1"));
    assert_eq!(
        field_of(AmpOptions::new().continue_thread("")),
        "continue_thread"
    );
    assert_eq!(
        field_of(AmpOptions::new().continue_thread("--help")),
        "continue_thread"
    );
    assert_eq!(
        field_of(AmpOptions::new().continue_thread("T 1")),
        "continue_thread"
    );
}

#[test]
fn executor_rules() {
    ok(AmpOptions::new().executor(Executor::orb_project("p")));
    assert_eq!(
        field_of(AmpOptions::new().executor(Executor::orb_project(""))),
        "executor.project"
    );
    assert_eq!(
        field_of(AmpOptions::new().executor(Executor::runner(""))),
        "executor.id"
    );
    assert_eq!(
        field_of(AmpOptions::new().executor(Executor::runner("a b"))),
        "executor.id"
    );
    assert_eq!(
        field_of(AmpOptions::new().executor(Executor::runner_in("r", ""))),
        "executor.dir"
    );
}

#[test]
fn project_needs_orb_and_runner_fields_need_runner_in_config() {
    // In configuration the executor is one value, so a project without orb or a runner
    // directory without runner cannot be written down; the shapes that try are rejected.
    for bad in [
        r#"{"executor": {"local": {"project": "p"}}}"#,
        r#"{"executor": {"orb": {"id": "r"}}}"#,
        r#"{"executor": {"runner": {"dir": "d"}}}"#,
        r#"{"executor": {"orb": {"dir": "d"}}}"#,
    ] {
        assert!(serde_json::from_str::<AmpOptions>(bad).is_err(), "{bad}");
    }
}

#[test]
fn streaming_input_refused_with_remote_executor() {
    for ex in [Executor::orb(), Executor::runner("r")] {
        let e = plan_err(&AmpOptions::new().executor(ex), PromptKind::Stream);
        assert_eq!(e.field(), "prompt");
        assert!(e.to_string().contains("remote executor"), "{e}");
    }
}

#[test]
fn local_only_options_with_remote_executor_warn() {
    let o = AmpOptions::new()
        .executor(Executor::runner("r"))
        .dangerously_allow_all(true)
        .enabled_tools(["Bash"]);
    let plan = match plan_execution(
        &o,
        &PromptKind::Text("x".into()),
        &BaseSettings::None,
        Path::new("/p"),
    ) {
        Ok(p) => p,
        Err(e) => panic!("{e}"),
    };
    assert_eq!(plan.warnings.len(), 2, "{:?}", plan.warnings);
    assert!(plan.warnings[0].contains("enabled_tools"));
    assert!(plan.warnings[1].contains("dangerously_allow_all"));
    assert!(!plan.args.iter().any(|a| a == "--dangerously-allow-all"));
}

#[test]
fn mode_rules() {
    ok(AmpOptions::new().mode(Mode::new("plugin-x")));
    assert_eq!(field_of(AmpOptions::new().mode(Mode::new(""))), "mode");
    assert_eq!(field_of(AmpOptions::new().mode(Mode::new("--x"))), "mode");
}

#[test]
fn env_rules() {
    assert_eq!(field_of(AmpOptions::new().env("", "v")), "env[\"\"]");
    assert_eq!(field_of(AmpOptions::new().env("A=B", "v")), "env[\"A=B\"]");
    assert_eq!(field_of(AmpOptions::new().env("A", "v\0")), "env[\"A\"]");
}

#[test]
fn empty_paths_and_tools() {
    assert_eq!(field_of(AmpOptions::new().cwd("")), "cwd");
    assert_eq!(
        field_of(AmpOptions::new().settings_file("")),
        "settings_file"
    );
    assert_eq!(field_of(AmpOptions::new().log_file("")), "log_file");
    assert_eq!(field_of(AmpOptions::new().toolbox("")), "toolbox");
    assert_eq!(field_of(AmpOptions::new().skills("")), "skills");
    assert_eq!(
        field_of(AmpOptions::new().enabled_tools(["Bash", " "])),
        "enabled_tools[1]"
    );
    assert_eq!(field_of(AmpOptions::new().mcp_config("")), "mcp_config");
}

#[test]
fn settings_errors_name_the_path() {
    let o = AmpOptions::new()
        .system_prompt("x")
        .settings_file("/s.json");
    for (contents, needle) in [
        (
            Err("No such file or directory".to_string()),
            "cannot read settings file /s.json",
        ),
        (Ok("[1]".to_string()), "top level must be a JSON object"),
        (Ok("{\n\"a\": }".to_string()), "line 2"),
    ] {
        let base = BaseSettings::Explicit {
            path: "/s.json".into(),
            contents,
        };
        let e = match plan_execution(&o, &PromptKind::Text("x".into()), &base, Path::new("/p")) {
            Ok(p) => panic!("expected error, got {p:?}"),
            Err(e) => e,
        };
        let s = e.to_string();
        assert!(s.contains("/s.json") && s.contains(needle), "{s}");
        assert_eq!(e.field(), "settings_file");
    }
}

#[test]
fn broken_discovered_settings_warn_and_start_empty() {
    let o = AmpOptions::new().system_prompt("x");
    let base = BaseSettings::Discovered {
        path: "/h/.config/amp/settings.json".into(),
        contents: "{oops".into(),
    };
    let plan = match plan_execution(&o, &PromptKind::Text("x".into()), &base, Path::new("/p")) {
        Ok(p) => p,
        Err(e) => panic!("{e}"),
    };
    assert!(
        plan.warnings[0].contains("settings.json"),
        "{:?}",
        plan.warnings
    );
    assert_eq!(
        plan.files[0].contents,
        b"{\n  \"amp.systemPrompt\": \"x\"\n}\n"
    );
}

#[test]
fn serde_rejects_typos_naming_the_field() {
    let e = match serde_json::from_str::<AmpOptions>(r#"{"modee": "rush"}"#) {
        Ok(_) => panic!("typo accepted"),
        Err(e) => e.to_string(),
    };
    assert!(e.contains("modee"), "{e}");
}

#[test]
fn serde_reads_seed_shapes() {
    let o: AmpOptions = match serde_json::from_str(
        r#"{"cwd": "./p", "mode": "rush", "effort": "xhigh", "dangerously_allow_all": true,
            "visibility": "public", "log_level": "debug", "continue_thread": true,
            "labels": ["sdk"], "env": {"A": "1"}, "executor": {"runner": {"id": "r", "dir": "/d"}}}"#,
    ) {
        Ok(o) => o,
        Err(e) => panic!("{e}"),
    };
    assert_eq!(o.mode, Some(Mode::RUSH));
    assert_eq!(o.effort, Some(Effort::Xhigh));
    assert_eq!(o.visibility, Some(Visibility::Public));
    assert_eq!(o.continue_thread, Some(ContinueThread::Latest));
    assert_eq!(o.executor, Executor::runner_in("r", "/d"));
    let o: AmpOptions =
        match serde_json::from_str(r#"{"continue_thread": "T-1", "executor": "local"}"#) {
            Ok(o) => o,
            Err(e) => panic!("{e}"),
        };
    assert_eq!(o.continue_thread, Some(ContinueThread::Id("T-1".into())));
    let o: AmpOptions =
        match serde_json::from_str(r#"{"continue_thread": false, "executor": {"orb": {}}}"#) {
            Ok(o) => o,
            Err(e) => panic!("{e}"),
        };
    assert_eq!(o.continue_thread, None);
    assert_eq!(o.executor, Executor::orb());
    // Round trip.
    let again = match serde_json::to_string(&o).map(|s| serde_json::from_str::<AmpOptions>(&s)) {
        Ok(Ok(a)) => a,
        other => panic!("{other:?}"),
    };
    assert_eq!(again.executor, Executor::orb());
    assert!(serde_json::from_str::<AmpOptions>(r#"{"effort": "extreme"}"#).is_err());
}

#[test]
fn struct_update_syntax_works() {
    let o = AmpOptions {
        mode: Some(Mode::LARGE),
        labels: Some(vec!["x".into()]),
        ..Default::default()
    };
    ok(o);
}

#[test]
fn enum_values() {
    assert_eq!(Visibility::Public.cli_value(), "unlisted");
    assert_eq!(Visibility::Group.cli_value(), "group");
    assert_eq!(Effort::ALL.len(), 7);
    assert_eq!(Mode::ULTRA.as_str(), "ultra");
    assert!("nope".parse::<Effort>().is_err());
    assert_eq!("max".parse::<Effort>().ok(), Some(Effort::Max));
}

#[test]
fn explicit_settings_file_must_be_read_by_the_runtime() {
    let o = AmpOptions::new()
        .system_prompt("x")
        .settings_file("/s.json");
    let e = plan_err(&o, PromptKind::Text("x".into()));
    assert_eq!(e.field(), "settings_file");
    assert!(
        e.to_string().contains("/s.json") && e.to_string().contains("not read"),
        "{e}"
    );
}

#[test]
fn debug_never_prints_env_values_or_file_contents() {
    let o = AmpOptions::new()
        .env("API_TOKEN", "hunter2")
        .system_prompt("top-secret-prompt")
        .mcp_config(r#"{"s":{"command":"x","env":{"K":"mcp-secret"}}}"#);
    let plan = match plan_execution(
        &o,
        &PromptKind::Text("private prompt".into()),
        &BaseSettings::None,
        Path::new("/p"),
    ) {
        Ok(p) => p,
        Err(e) => panic!("{e}"),
    };
    let debug = format!("{plan:?}");
    for secret in [
        "hunter2",
        "top-secret-prompt",
        "mcp-secret",
        "private prompt",
    ] {
        assert!(!debug.contains(secret), "{secret} in {debug}");
    }
    assert!(debug.contains("API_TOKEN"));
}

#[test]
fn continue_thread_builder_accepts_seed_shapes() {
    assert_eq!(
        AmpOptions::new().continue_thread(true).continue_thread,
        Some(ContinueThread::Latest)
    );
    assert_eq!(
        AmpOptions::new()
            .continue_thread(true)
            .continue_thread(false)
            .continue_thread,
        None
    );
    assert_eq!(
        AmpOptions::new().continue_thread("T-1").continue_thread,
        Some(ContinueThread::Id("T-1".into()))
    );
    assert_eq!(
        AmpOptions::new()
            .continue_thread(String::from("T-2"))
            .continue_thread,
        Some(ContinueThread::Id("T-2".into()))
    );
    assert_eq!(
        AmpOptions::new().continue_thread(None).continue_thread,
        None
    );
}

#[test]
fn options_debug_hides_env_values_and_system_prompt() {
    let o = AmpOptions::new()
        .env("TOKEN", "hunter2")
        .system_prompt("secret prompt");
    let d = format!("{o:?}");
    assert!(
        d.contains("TOKEN") && !d.contains("hunter2") && !d.contains("secret prompt"),
        "{d}"
    );
}

#[test]
fn bad_prompts_and_titles_are_named_before_anything_is_planned() {
    use ampere_core::plan::{plan_execution, BaseSettings, PromptKind};
    let dir = std::path::Path::new("/tmp/ampere-plan");
    let plan = |options: &AmpOptions, prompt: &str| {
        plan_execution(
            options,
            &PromptKind::Text(prompt.into()),
            &BaseSettings::None,
            dir,
        )
    };
    let err = plan(&AmpOptions::default(), "  \n").expect_err("empty prompt");
    assert_eq!(err.to_string(), "invalid prompt: must not be empty");
    let err = plan(&AmpOptions::default(), "a\0b").expect_err("NUL");
    assert_eq!(
        err.to_string(),
        "invalid prompt: must not contain NUL (found at byte 1)"
    );
    assert!(
        plan(&AmpOptions::default(), "two\nlines").is_ok(),
        "a prompt may span lines"
    );
    let titled = AmpOptions::new().title("a\nb");
    let err = plan(&titled, "x").expect_err("newline in the title");
    assert!(
        err.to_string()
            .starts_with("invalid title: must be one line"),
        "{err}"
    );
    let titled = AmpOptions::new().title("a\0b");
    assert_eq!(
        plan(&titled, "x").expect_err("NUL").to_string(),
        "invalid title: must not contain NUL"
    );
}
