//! Conformance of ampere's permission rules (serialization and the local evaluator) with the
//! real, pinned Amp CLI: `amp permissions test ... --json` and `amp permissions list`.

use std::path::{Path, PathBuf};

use ampere_core::permission::{
    evaluate, Evaluation, MatchCondition, Permission, PermissionAction, PermissionContext, ToolCall,
};
use ampere_tests::real_cli::{offline_command, scratch_home};
use serde_json::{json, Value};

#[path = "support/permission_cases.rs"]
mod cases;

use cases::{cases, ok, Case};

struct Outcome {
    json: Value,
}

fn run_test(bin: &Path, home: &Path, settings: &Path, c: &Case) -> Outcome {
    let mut cmd = offline_command(bin, home);
    cmd.arg("permissions")
        .arg("test")
        .arg(c.tool)
        .arg("--settings-file")
        .arg(settings)
        .arg("--json");
    if let Some(context) = c.context {
        cmd.arg("--context").arg(context.as_str());
    }
    for (k, v) in &c.args {
        cmd.arg(format!("--{k}")).arg(v);
    }
    let out = match cmd.output() {
        Ok(o) => o,
        Err(e) => panic!("{}: cannot run the CLI: {e}", c.name),
    };
    let text = String::from_utf8_lossy(&out.stdout);
    let json = match serde_json::from_str(&text) {
        Ok(v) => v,
        Err(e) => panic!(
            "{}: CLI output is not JSON ({e}): {text} / {}",
            c.name,
            String::from_utf8_lossy(&out.stderr)
        ),
    };
    Outcome { json }
}

fn write_settings(dir: &Path, name: &str, rules: &[Permission]) -> PathBuf {
    let path = dir.join(format!("{name}.json"));
    let settings = json!({"amp.permissions": rules, "amp.dangerouslyAllowAll": false});
    let bytes = serde_json::to_vec_pretty(&settings).unwrap_or_default();
    if let Err(e) = std::fs::write(&path, bytes) {
        panic!("cannot write {}: {e}", path.display());
    }
    path
}

fn check(bin: &Path, dir: &Path, i: usize, c: &Case) -> Result<(), String> {
    let home = scratch_home().map_err(|e| format!("{}: scratch home: {e}", c.name))?;
    let home = home.path();
    let settings = write_settings(dir, &format!("case{i}"), &c.rules);
    let out = run_test(bin, home, &settings, c).json;
    let action = out.get("action").and_then(Value::as_str);
    let source = out.get("source").and_then(Value::as_str);
    let entry = out.get("matchedEntry");
    let mut problems = Vec::new();
    if action != c.action {
        problems.push(format!("CLI action {action:?}, expected {:?}", c.action));
    }
    match c.rule {
        Some(idx) => {
            if source != Some("user") {
                problems.push(format!("CLI source {source:?}, expected user"));
            }
            let want = c.rules.get(idx).map(Permission::to_value);
            if entry != want.as_ref() {
                problems.push(format!("CLI matchedEntry {entry:?}, expected {want:?}"));
            }
        }
        None => {
            if source == Some("user") {
                problems.push(format!("CLI matched a user rule: {entry:?}"));
            }
        }
    }
    if c.action == Some("reject") {
        if let Some(msg) = c
            .rule
            .and_then(|i| c.rules.get(i))
            .and_then(Permission::message)
        {
            if out.get("error").and_then(Value::as_str) != Some(msg) {
                problems.push(format!(
                    "CLI error {:?}, expected {msg:?}",
                    out.get("error")
                ));
            }
        }
    }
    // the local evaluator must agree on which user rule matches
    let mut call = match c.context {
        Some(context) => ToolCall::new(c.tool).in_context(context),
        None => ToolCall::new(c.tool).without_context(),
    };
    for (k, v) in &c.args {
        call = call.arg(*k, *v);
    }
    let local = evaluate(&c.rules, &call);
    match (&local, c.rule) {
        (Evaluation::Matched { index, action, .. }, Some(idx)) => {
            if *index != idx {
                problems.push(format!("local matched rule {index}, expected {idx}"));
            }
            let local_action = if *action == PermissionAction::Delegate {
                None
            } else {
                Some(action.as_str())
            };
            if local_action.is_some() && local_action != c.action {
                problems.push(format!("local action {local_action:?}, CLI {action:?}"));
            }
        }
        (Evaluation::NoUserRule(_), None) => {}
        (
            Evaluation::Error {
                error: ampere_core::permission::EvalError::Cli(_),
                ..
            },
            None,
        ) => {}
        (other, _) => problems.push(format!("local evaluator said {other:?}")),
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(format!("{}: {}", c.name, problems.join("; ")))
    }
}

#[test]
fn permissions_agree_with_real_cli() {
    let Some(bin) = ampere_tests::real_cli::real_cli_or_skip(
        "conformance_permissions::permissions_agree_with_real_cli",
    ) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    // delegate programs: exit with the code in their name
    let script_prefix = dir.path().join("delegate-exit-");
    for code in 0..=2u8 {
        let path = dir.path().join(format!("delegate-exit-{code}"));
        let body =
            format!("#!/bin/sh\ncat >/dev/null\necho 'delegate says {code}' >&2\nexit {code}\n");
        std::fs::write(&path, body).unwrap_or_else(|e| panic!("write script: {e}"));
        let mut perms = std::fs::metadata(&path)
            .unwrap_or_else(|e| panic!("stat script: {e}"))
            .permissions();
        std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o755);
        std::fs::set_permissions(&path, perms).unwrap_or_else(|e| panic!("chmod: {e}"));
    }
    let cases = cases(&script_prefix.to_string_lossy());
    // one worker per core; every case gets a fresh HOME (a shared one slows the CLI down)
    let threads = 2;
    let failures: Vec<String> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let (bin, dir, cases) = (&bin, dir.path(), &cases);
                s.spawn(move || {
                    cases
                        .iter()
                        .enumerate()
                        .filter(|(i, _)| i % threads == t)
                        .filter_map(|(i, c)| check(bin, dir, i, c).err())
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| {
                h.join()
                    .unwrap_or_else(|_| vec!["a worker panicked".into()])
            })
            .collect()
    });
    assert!(
        failures.is_empty(),
        "{} case(s) disagree:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn permissions_list_reflects_rules() {
    let Some(bin) = ampere_tests::real_cli::real_cli_or_skip(
        "conformance_permissions::permissions_list_reflects_rules",
    ) else {
        return;
    };
    let home = scratch_home().unwrap_or_else(|e| panic!("scratch home: {e}"));
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let rules = seed_rules();
    let settings = write_settings(dir.path(), "list", &rules);
    let out = offline_command(&bin, home.path())
        .args(["permissions", "list", "--json", "--settings-file"])
        .arg(&settings)
        .output()
        .unwrap_or_else(|e| panic!("cannot run the CLI: {e}"));
    let listed: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&out.stdout)));
    let ours: Vec<Value> = rules.iter().map(Permission::to_value).collect();
    assert_eq!(listed, Value::Array(ours));
    let plain = offline_command(&bin, home.path())
        .args(["permissions", "list", "--settings-file"])
        .arg(&settings)
        .output()
        .unwrap_or_else(|e| panic!("cannot run the CLI: {e}"));
    let text = String::from_utf8_lossy(&plain.stdout);
    assert_eq!(text.lines().count(), rules.len(), "{text}");
    assert!(text.contains("allow Bash --cmd 'git *'"), "{text}");
}

/// The seed document's `create_permission` examples.
fn seed_rules() -> Vec<Permission> {
    vec![
        ok(Permission::allow("Bash")),
        ok(Permission::allow("Bash").matching("cmd", "git *")),
        ok(Permission::ask("Read").matching("path", "/etc/*")),
        ok(Permission::delegate("mcp__playwright__*", "node browse.js")),
        ok(Permission::reject("Bash").in_context(PermissionContext::Subagent)),
        ok(Permission::allow("Bash")
            .matching("cmd", vec!["npm install", "npm test", "npm run build"])),
        ok(Permission::allow("Bash")
            .matching("cmd", MatchCondition::regex("^git (status|log|diff)$"))),
        ok(Permission::allow("X").matching(
            "env",
            MatchCondition::Object([("NODE_ENV".to_owned(), "production".into())].into()),
        )),
    ]
}

#[test]
fn seed_settings_snapshot() {
    let settings = json!({"amp.permissions": seed_rules(), "amp.dangerouslyAllowAll": false});
    insta::assert_json_snapshot!("seed_permission_settings", settings);
}

/// The real CLI accepts the MCP configuration ampere writes (`amp --mcp-config F mcp list`
/// lists every server; it refuses unknown keys, so this also checks the key names).
#[test]
fn mcp_config_accepted_by_real_cli() {
    use ampere_core::mcp::{McpConfig, McpConfigSource, McpOAuth, McpServer};
    let Some(bin) = ampere_tests::real_cli::real_cli_or_skip(
        "conformance_permissions::mcp_config_accepted_by_real_cli",
    ) else {
        return;
    };
    let home = scratch_home().unwrap_or_else(|e| panic!("scratch home: {e}"));
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let config = McpConfig::new()
        .server(
            "local",
            McpServer::stdio("true").args(["-y", "x"]).env("K", "v"),
        )
        .server(
            "remote",
            McpServer::http("http://127.0.0.1:9/mcp")
                .header("Authorization", "Bearer x")
                .transport("sse")
                .oauth(
                    McpOAuth::new("c", "http://127.0.0.1:9/a", "http://127.0.0.1:9/t")
                        .client_secret("s")
                        .scope("read")
                        .redirect_url("http://127.0.0.1:9/cb"),
                )
                .disabled(true),
        );
    let bytes = McpConfigSource::from(config)
        .inline_bytes()
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or_default();
    let path = dir.path().join("mcp.json");
    std::fs::write(&path, bytes).unwrap_or_else(|e| panic!("write: {e}"));
    let out = offline_command(&bin, home.path())
        .arg("--mcp-config")
        .arg(&path)
        .args(["mcp", "list"])
        .output()
        .unwrap_or_else(|e| panic!("cannot run the CLI: {e}"));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!text.contains("Invalid MCP server configuration"), "{text}");
    assert!(text.contains("local") && text.contains("remote"), "{text}");
}
