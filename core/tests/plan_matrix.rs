//! Snapshots of the invocation plan (argv, environment, private files, stdin, warnings)
//! for a matrix of options covering every option and every example of the seed SDK.

use std::path::{Path, PathBuf};

use ampere_core::mcp::{McpConfig, McpConfigSource, McpServer};
use ampere_core::options::{
    AmpOptions, ContinueThread, Effort, Executor, LogLevel, Mode, OrbSize, ThreadFeature,
    Visibility,
};
use ampere_core::permission::Permission;
use ampere_core::plan::{
    plan_execution, BaseSettings, EnvChange, InvocationPlan, PromptKind, StdinPlan,
};
use serde_json::json;

const PRIVATE: &str = "/private/tmp/ampere-XXXX";

fn perm(v: serde_json::Value) -> Permission {
    match serde_json::from_value(v) {
        Ok(p) => p,
        Err(e) => panic!("test permission does not deserialize: {e}"),
    }
}

fn seed_permissions() -> Vec<Permission> {
    vec![
        perm(json!({"tool": "Bash", "action": "allow", "matches": {"cmd": "ls *"}})),
        perm(json!({"tool": "Bash", "action": "allow", "matches": {"cmd": "npm test"}})),
        perm(json!({"tool": "Read", "action": "ask", "matches": {"path": "/etc/*"}})),
    ]
}

const SEED_MCP: &str = r#"{"playwright":{"command":"npx","args":["-y","@playwright/mcp@latest","--headless"],"env":{"NODE_ENV":"production"}},"database":{"command":"node","args":["./custom-mcp-server.js"],"env":{"DB_CONNECTION_STRING":"postgres://secret@db/prod"}}}"#;

/// The option matrix: (name, options, prompt, base settings).
pub fn matrix() -> Vec<(&'static str, AmpOptions, PromptKind, BaseSettings)> {
    let text = || PromptKind::Text("What files are in this directory?".to_string());
    let none = || BaseSettings::None;
    vec![
        ("default", AmpOptions::default(), text(), none()),
        ("seed_allow_all", AmpOptions::new().dangerously_allow_all(true), text(), none()),
        ("seed_continue_latest", AmpOptions::new().continue_thread(true), text(), none()),
        (
            "seed_continue_id",
            AmpOptions::new().continue_thread("T-abc123-def456"),
            text(),
            none(),
        ),
        ("seed_cwd", AmpOptions::new().cwd("./my-project"), text(), none()),
        (
            "seed_debug_logging",
            AmpOptions::new().log_level(LogLevel::Debug).log_file("./amp-debug.log"),
            text(),
            none(),
        ),
        ("seed_mode_rush", AmpOptions::new().mode(Mode::RUSH), text(), none()),
        ("seed_labels", AmpOptions::new().labels(["sdk", "summary"]), text(), none()),
        (
            "seed_visibility_private",
            AmpOptions::new().visibility(Visibility::Private),
            text(),
            none(),
        ),
        (
            "visibility_public_is_unlisted",
            AmpOptions::new().visibility(Visibility::Public),
            text(),
            none(),
        ),
        (
            "seed_permissions",
            AmpOptions::new().permissions(seed_permissions()),
            text(),
            none(),
        ),
        (
            "seed_mcp_inline",
            AmpOptions::new().mcp_config(SEED_MCP).dangerously_allow_all(true),
            text(),
            none(),
        ),
        ("seed_stream_input", AmpOptions::default(), PromptKind::Stream, none()),
        (
            "seed_settings_file",
            AmpOptions::new().settings_file("./settings.json").log_level(LogLevel::Debug),
            text(),
            none(),
        ),
        (
            "seed_toolbox",
            AmpOptions::new().toolbox("/usr/repository-path/toolbox"),
            text(),
            none(),
        ),
        ("seed_skills", AmpOptions::new().skills("./my-skills"), text(), none()),
        (
            "seed_settings_with_permissions",
            AmpOptions::new()
                .settings_file("./settings.json")
                .permissions([perm(json!({"tool": "Bash", "action": "allow", "matches": {"cmd": "git *"}})), perm(json!({"tool": "Read", "action": "allow"}))]),
            text(),
            BaseSettings::Explicit {
                path: PathBuf::from("./settings.json"),
                contents: Ok(r#"{
	"amp.mcpServers": {
		"playwright": {
			"command": "npx",
			"args": ["-y", "@playwright/mcp@latest", "--headless", "--isolated"]
		}
	},
	"amp.commands.allowlist": ["npx", "node", "npm"],
	"amp.tools.disable": ["mermaid", "mcp__playwright__browser_resize"]
}"#
                .to_string()),
            },
        ),
        (
            "effort_thinking_title_archive",
            AmpOptions::new()
                .effort(Effort::High)
                .thinking(true)
                .title("  Fix the build  ")
                .archive(false),
            text(),
            none(),
        ),
        ("no_archive_flag", AmpOptions::new().no_archive_after_execute(true), text(), none()),
        ("archive_true_is_default", AmpOptions::new().archive(true), text(), none()),
        (
            "orb_with_local_only_options",
            AmpOptions::new()
                .executor(Executor::orb_project("my-project"))
                .permissions(seed_permissions())
                .enabled_tools(["Bash"])
                .skills("./skills")
                .mcp_config(SEED_MCP)
                .dangerously_allow_all(true)
                .system_prompt("Be brief."),
            text(),
            none(),
        ),
        ("orb_plain", AmpOptions::new().executor(Executor::orb()), text(), none()),
        (
            "runner_with_dir",
            AmpOptions::new().executor(Executor::runner_in("runner-1", "/srv/repo")),
            text(),
            none(),
        ),
        ("runner_no_dir", AmpOptions::new().executor(Executor::runner("r2")), text(), none()),
        (
            "tools_and_system_prompt_over_discovered_jsonc",
            AmpOptions::new().enabled_tools(["Read", "mcp__*"]).system_prompt("You are terse."),
            text(),
            BaseSettings::Discovered {
                path: PathBuf::from("/home/u/.config/amp/settings.jsonc"),
                contents: "{\n  // my settings\n  \"amp.notifications.enabled\": false,\n  \"amp.tools.enable\": [\"old\"],\n}\n".to_string(),
            },
        ),
        (
            "permissions_with_explicit_allow_all_false",
            AmpOptions::new()
                .permissions([perm(json!({"tool": "*", "action": "reject", "message": "no"}))])
                .dangerously_allow_all(false),
            text(),
            none(),
        ),
        ("allow_all_false_only", AmpOptions::new().dangerously_allow_all(false), text(), none()),
        (
            "env_overrides",
            AmpOptions::new()
                .env("FOO", "bar")
                .env("AMP_SDK_VERSION", "custom/1")
                .toolbox("/tb"),
            text(),
            none(),
        ),
        (
            "mcp_typed_config",
            AmpOptions::new().mcp_config(
                McpConfig::new()
                    .server("pw", McpServer::stdio("npx").args(["-y", "@playwright/mcp"]))
                    .server(
                        "remote",
                        McpServer::http("https://api.example.com/mcp")
                            .header("Authorization", "Bearer secret-token"),
                    ),
            ),
            text(),
            none(),
        ),
        ("mcp_path", AmpOptions::new().mcp_config("./mcp.json"), text(), none()),
        (
            "fast_feature_and_disabled_tools",
            AmpOptions::new()
                .fast(true)
                .feature(ThreadFeature::Plaid)
                .disabled_tools(["mcp__github__*", "Bash"]),
            text(),
            none(),
        ),
        (
            "orb_with_size",
            AmpOptions::new()
                .executor(Executor::orb_project("team/app"))
                .orb_size(OrbSize::Large),
            text(),
            none(),
        ),
        (
            "plugin_mode_and_thinking_stream",
            AmpOptions::new().mode(Mode::new("my-plugin")).thinking(true),
            PromptKind::Stream,
            none(),
        ),
        (
            "everything_local",
            AmpOptions {
                cwd: Some("/work/repo".into()),
                mode: Some(Mode::DEEP),
                effort: Some(Effort::Max),
                dangerously_allow_all: Some(true),
                archive: Some(false),
                no_archive_after_execute: true,
                visibility: Some(Visibility::Workspace),
                settings_file: Some("/etc/amp/settings.json".into()),
                log_level: Some(LogLevel::Audit),
                log_file: Some("/tmp/amp.log".into()),
                env: [("A".to_string(), "1".to_string())].into_iter().collect(),
                continue_thread: Some(ContinueThread::Id("T-7f395a45-7fae-4983-8de0-d02e61d4183b".into())),
                mcp_config: Some(McpConfigSource::from(SEED_MCP)),
                toolbox: Some("/tb".into()),
                skills: Some("/skills".into()),
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
            PromptKind::Stream,
            BaseSettings::Explicit {
                path: "/etc/amp/settings.json".into(),
                contents: Ok("{\"amp.x\": 1}".into()),
            },
        ),
    ]
}

fn render(plan: &InvocationPlan) -> String {
    let mut s = String::new();
    s.push_str("args:\n");
    for a in &plan.args {
        s.push_str(&format!("  {}\n", a.to_string_lossy()));
    }
    s.push_str("env:\n");
    for e in &plan.env {
        match e {
            EnvChange::Set(k, v) => s.push_str(&format!("  set {k}={v}\n")),
            EnvChange::SetIfAbsent(k, v) => s.push_str(&format!("  set-if-absent {k}={v}\n")),
        }
    }
    s.push_str(&format!(
        "cwd: {}\n",
        plan.cwd
            .as_deref()
            .map_or("(inherit)".to_string(), |p| p.display().to_string())
    ));
    match &plan.stdin {
        StdinPlan::Text(b) => {
            s.push_str(&format!("stdin: text {:?}\n", String::from_utf8_lossy(b)))
        }
        StdinPlan::Stream => s.push_str("stdin: stream\n"),
    }
    for w in &plan.warnings {
        s.push_str(&format!("warning: {w}\n"));
    }
    for f in &plan.files {
        assert!(
            f.path.starts_with(PRIVATE),
            "file outside private dir: {:?}",
            f.path
        );
        assert_eq!(f.mode, 0o600);
        s.push_str(&format!(
            "file {} ({:o}):\n{}\n",
            f.path.display(),
            f.mode,
            String::from_utf8_lossy(&f.contents)
        ));
    }
    s
}

#[test]
fn matrix_snapshots() {
    for (name, options, prompt, base) in matrix() {
        let plan = match plan_execution(&options, &prompt, &base, Path::new(PRIVATE)) {
            Ok(p) => p,
            Err(e) => panic!("{name}: {e}"),
        };
        // Secrets never on the command line.
        for a in &plan.args {
            assert!(
                !a.to_string_lossy().contains("secret"),
                "{name}: secret in argv"
            );
        }
        // The debug form of a plan never prints file contents.
        let debug = format!("{plan:?}");
        assert!(!debug.contains("postgres://"), "{name}: secret in Debug");
        insta::assert_snapshot!(name, render(&plan));
    }
}
