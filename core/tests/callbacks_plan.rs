//! How a permission handler and in-process tools enter the plan: the generated settings
//! (delegate rules after the user's own) and the one `--mcp-config` (user servers and the
//! in-process server), snapshotted; the combinations that cannot work are errors naming both
//! sides.

use std::path::{Path, PathBuf};

use ampere_core::callbacks::mcp_server::ToolSpec;
use ampere_core::callbacks::wiring::{
    CallbackPlan, DelegateScripts, InProcessTools, IN_PROCESS_SERVER,
};
use ampere_core::mcp::{McpConfig, McpServer};
use ampere_core::options::{AmpOptions, Executor};
use ampere_core::permission::Permission;
use ampere_core::plan::{
    base_settings_sources_with, plan_execution, plan_execution_with, BaseSettings,
    BaseSettingsSource, InvocationPlan, PlanError, PromptKind,
};
use serde_json::{json, Value};

const DIR: &str = "/tmp/ampere-test-dir";

fn prompt() -> PromptKind {
    PromptKind::Text("go".into())
}

fn handler() -> CallbackPlan {
    CallbackPlan {
        delegates: Some(DelegateScripts::in_dir(Path::new(DIR))),
        tools: None,
    }
}

fn tool(name: &str) -> ToolSpec {
    ToolSpec {
        name: name.into(),
        description: format!("the {name} tool"),
        input_schema: json!({"type": "object", "properties": {"a": {"type": "integer"}}}),
    }
}

fn tools(specs: Vec<ToolSpec>) -> CallbackPlan {
    CallbackPlan {
        delegates: None,
        tools: Some(InProcessTools {
            relay: McpServer::stdio("/bin/sh").arg(format!("{DIR}/mcp-relay")),
            tools: specs,
        }),
    }
}

fn plan(options: &AmpOptions, base: &BaseSettings, callbacks: &CallbackPlan) -> InvocationPlan {
    plan_execution_with(options, &prompt(), base, Path::new(DIR), callbacks).expect("plan")
}

fn file(plan: &InvocationPlan, name: &str) -> Value {
    let path = PathBuf::from(DIR).join(name);
    let f = plan
        .files
        .iter()
        .find(|f| f.path == path)
        .unwrap_or_else(|| panic!("no planned {name}: {:?}", plan.files));
    serde_json::from_slice(&f.contents).expect("planned file is JSON")
}

fn arg_after(plan: &InvocationPlan, flag: &str) -> Option<String> {
    let i = plan.args.iter().position(|a| a == flag)?;
    plan.args
        .get(i + 1)
        .map(|a| a.to_string_lossy().into_owned())
}

fn rule(v: Value) -> Permission {
    serde_json::from_value(v).expect("rule")
}

#[test]
fn delegate_rules_come_after_the_users_rules_from_options() {
    let options = AmpOptions::new().permissions([
        rule(json!({"tool": "Bash", "action": "allow", "matches": {"cmd": "ls *"}})),
        rule(json!({"tool": "edit_file", "action": "reject", "message": "read only"})),
    ]);
    let plan = plan(&options, &BaseSettings::None, &handler());
    assert_eq!(
        arg_after(&plan, "--settings-file").as_deref(),
        Some("/tmp/ampere-test-dir/settings.json")
    );
    let settings = file(&plan, "settings.json");
    insta::assert_json_snapshot!("handler_after_option_rules", settings);
    let rules = settings["amp.permissions"].as_array().expect("rules");
    assert_eq!(rules.len(), 4);
    assert_eq!(rules[0]["tool"], "Bash");
    assert_eq!(rules[2]["action"], "delegate");
    assert_eq!(rules[2]["context"], "thread");
    assert_eq!(rules[3]["context"], "subagent");
    assert_eq!(settings["amp.dangerouslyAllowAll"], false);
}

#[test]
fn delegate_rules_come_after_the_rules_of_the_base_settings_file() {
    let base = BaseSettings::Explicit {
        path: "/home/u/settings.json".into(),
        contents: Ok(r#"{"amp.permissions": [{"tool": "Read", "action": "allow"}], "amp.dangerouslyAllowAll": true, "amp.x": 1}"#.into()),
    };
    let options = AmpOptions::new().settings_file("/home/u/settings.json");
    let plan = plan(&options, &base, &handler());
    let settings = file(&plan, "settings.json");
    insta::assert_json_snapshot!("handler_after_base_rules", settings);
    assert_eq!(
        settings["amp.x"], 1,
        "the rest of the user's settings is kept"
    );
    assert_eq!(settings["amp.permissions"][0]["tool"], "Read");
    assert_eq!(settings["amp.dangerouslyAllowAll"], false);
}

#[test]
fn a_handler_makes_the_runtime_read_the_base_settings() {
    let env = |_: &str| None;
    let home = Path::new("/home/u");
    let options = AmpOptions::new();
    assert_eq!(
        base_settings_sources_with(&env, Some(home), &options, &CallbackPlan::default()),
        BaseSettingsSource::NotNeeded
    );
    assert!(matches!(
        base_settings_sources_with(&env, Some(home), &options, &handler()),
        BaseSettingsSource::Discover(ref paths) if paths.len() == 2
    ));
}

#[test]
fn user_servers_and_the_in_process_server_share_one_config() {
    let user = McpConfig::new().server(
        "playwright",
        McpServer::stdio("npx").args(["-y", "@playwright/mcp"]),
    );
    let options = AmpOptions::new().mcp_config(user);
    let plan = plan(&options, &BaseSettings::None, &tools(vec![tool("add")]));
    assert_eq!(
        arg_after(&plan, "--mcp-config").as_deref(),
        Some("/tmp/ampere-test-dir/mcp-config.json")
    );
    let config = file(&plan, "mcp-config.json");
    insta::assert_json_snapshot!("tools_with_user_servers", config);
    assert_eq!(config[IN_PROCESS_SERVER]["command"], "/bin/sh");
    assert_eq!(config["playwright"]["command"], "npx");
    // Tools alone need no settings file.
    assert!(arg_after(&plan, "--settings-file").is_none());
}

#[test]
fn json_text_servers_are_kept_as_given_beside_the_in_process_server() {
    let options =
        AmpOptions::new().mcp_config(r#"{"db": {"command": "node", "extra": {"kept": true}}}"#);
    let plan = plan(&options, &BaseSettings::None, &tools(vec![tool("add")]));
    let config = file(&plan, "mcp-config.json");
    assert_eq!(config["db"]["extra"]["kept"], true);
    assert!(config[IN_PROCESS_SERVER].is_object());
}

#[test]
fn both_callbacks_together() {
    let mut callbacks = tools(vec![tool("add"), tool("echo")]);
    callbacks.delegates = handler().delegates;
    let plan = plan(&AmpOptions::new(), &BaseSettings::None, &callbacks);
    assert!(arg_after(&plan, "--settings-file").is_some());
    assert!(arg_after(&plan, "--mcp-config").is_some());
    let settings = file(&plan, "settings.json");
    assert_eq!(
        settings["amp.permissions"].as_array().map(Vec::len),
        Some(2)
    );
}

#[test]
fn no_callbacks_is_exactly_the_plain_plan() {
    let options = AmpOptions::new()
        .permissions([rule(json!({"tool": "Read", "action": "allow"}))])
        .mcp_config(McpConfig::new().server("x", McpServer::stdio("x")));
    let dir = Path::new(DIR);
    let plain = plan_execution(&options, &prompt(), &BaseSettings::None, dir).expect("plan");
    let with = plan(&options, &BaseSettings::None, &CallbackPlan::default());
    assert_eq!(plain, with);
}

fn err(options: AmpOptions, callbacks: &CallbackPlan) -> (String, String) {
    match plan_execution_with(
        &options,
        &prompt(),
        &BaseSettings::None,
        Path::new(DIR),
        callbacks,
    ) {
        Err(PlanError::Validation(v)) => (v.field.clone(), v.to_string()),
        other => panic!("expected a validation error, got {other:?}"),
    }
}

#[test]
fn a_handler_with_dangerously_allow_all_names_both() {
    let (field, text) = err(AmpOptions::new().dangerously_allow_all(true), &handler());
    assert_eq!(field, "permission_handler");
    assert!(text.contains("dangerously_allow_all"), "{text}");
    // `false` is fine.
    let plan = plan(
        &AmpOptions::new().dangerously_allow_all(false),
        &BaseSettings::None,
        &handler(),
    );
    assert_eq!(
        file(&plan, "settings.json")["amp.dangerouslyAllowAll"],
        false
    );
}

#[test]
fn callbacks_need_the_local_executor() {
    let remote = || AmpOptions::new().executor(Executor::Orb { project: None });
    assert_eq!(err(remote(), &handler()).0, "permission_handler");
    assert_eq!(err(remote(), &tools(vec![tool("add")])).0, "tools");
}

#[test]
fn a_user_server_named_like_the_in_process_server_is_named() {
    let user = McpConfig::new().server(IN_PROCESS_SERVER, McpServer::stdio("x"));
    let (field, text) = err(
        AmpOptions::new().mcp_config(user),
        &tools(vec![tool("add")]),
    );
    assert_eq!(field, "mcp_config.ampere");
    assert!(text.contains("rename"), "{text}");
}

#[test]
fn a_config_path_cannot_be_merged() {
    let (field, text) = err(
        AmpOptions::new().mcp_config("/etc/mcp.json"),
        &tools(vec![tool("add")]),
    );
    assert_eq!(field, "mcp_config");
    assert!(
        text.contains("/etc/mcp.json") && text.contains("inline"),
        "{text}"
    );
}

#[test]
fn bad_tools_are_named() {
    let cases: Vec<(Vec<ToolSpec>, &str)> = vec![
        (vec![], "tools"),
        (vec![tool("")], "tools[0].name"),
        (vec![tool("has space")], "tools.has space.name"),
        (vec![tool("add"), tool("add")], "tools.add.name"),
        (
            vec![ToolSpec {
                description: " ".into(),
                ..tool("add")
            }],
            "tools.add.description",
        ),
        (
            vec![ToolSpec {
                input_schema: json!({"type": "string"}),
                ..tool("add")
            }],
            "tools.add.input_schema",
        ),
        (
            vec![ToolSpec {
                input_schema: json!([]),
                ..tool("add")
            }],
            "tools.add.input_schema",
        ),
        (vec![tool(&"x".repeat(65))], "tools[0].name"),
    ];
    for (specs, field) in cases {
        assert_eq!(err(AmpOptions::new(), &tools(specs)).0, field);
    }
}

#[test]
fn rules_that_are_not_an_array_cannot_be_extended() {
    let base = BaseSettings::Explicit {
        path: "/s.json".into(),
        contents: Ok(r#"{"amp.permissions": {"tool": "x"}}"#.into()),
    };
    let options = AmpOptions::new().settings_file("/s.json");
    match plan_execution_with(&options, &prompt(), &base, Path::new(DIR), &handler()) {
        Err(PlanError::Validation(v)) => assert_eq!(v.field, "permissions"),
        other => panic!("{other:?}"),
    }
}
