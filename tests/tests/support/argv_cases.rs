//! The cases of `conformance_argv.rs`: the option matrix (every option, every seed example)
//! and a seeded random sample of valid combinations (shared through `#[path]`, so this is
//! not a test target of its own).

use std::path::Path;

use ampere_core::mcp::{McpConfig, McpServer};
use ampere_core::options::{
    AmpOptions, ContinueThread, Effort, Executor, LogLevel, Mode, OrbSize, ThreadFeature,
    Visibility,
};
use ampere_core::permission::Permission;
use ampere_core::plan::{plan_execution, BaseSettings, PromptKind};

pub const THREAD_ID: &str = "T-7f395a45-7fae-4983-8de0-d02e61d4183b";

pub fn perm(v: serde_json::Value) -> Permission {
    match serde_json::from_value(v) {
        Ok(p) => p,
        Err(e) => panic!("test permission does not deserialize: {e}"),
    }
}

pub fn seed_permissions() -> Vec<Permission> {
    vec![
        perm(serde_json::json!({"tool": "Bash", "action": "allow", "matches": {"cmd": "ls *"}})),
        perm(
            serde_json::json!({"tool": "Bash", "action": "allow", "matches": {"cmd": "npm test"}}),
        ),
        perm(serde_json::json!({"tool": "Read", "action": "ask", "matches": {"path": "/etc/*"}})),
    ]
}

pub const SEED_MCP: &str = r#"{"playwright":{"command":"npx","args":["-y","@playwright/mcp@latest","--headless"],"env":{"NODE_ENV":"production"}}}"#;

/// One case: options built against a real scratch folder (for files the user names).
pub struct Case {
    pub name: String,
    pub options: AmpOptions,
    pub stream: bool,
}

pub fn case(name: &str, options: AmpOptions) -> Case {
    Case {
        name: name.to_string(),
        options,
        stream: false,
    }
}

/// The matrix. `user` is a folder holding a real user settings file and MCP file.
pub fn matrix(user: &Path) -> Vec<Case> {
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
pub struct Rng(u64);

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
pub fn random_cases(user: &Path, n: usize) -> Vec<Case> {
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

pub fn prompt(stream: bool) -> PromptKind {
    if stream {
        PromptKind::Stream
    } else {
        PromptKind::Text("What files are in this directory?".into())
    }
}
