//! Conformance of ampere's permission rules (serialization and the local evaluator) with the
//! real, pinned Amp CLI: `amp permissions test ... --json` and `amp permissions list`.

use std::path::{Path, PathBuf};

use ampere_core::permission::{
    evaluate, Evaluation, MatchCondition, Permission, PermissionAction, PermissionContext, ToolCall,
};
use ampere_tests::real_cli::{offline_command, scratch_home};
use serde_json::{json, Value};

struct Case {
    name: &'static str,
    rules: Vec<Permission>,
    tool: &'static str,
    args: Vec<(&'static str, &'static str)>,
    /// `None`: `amp permissions test` without `--context`.
    context: Option<PermissionContext>,
    /// The action the CLI reports (`None` = null), after running a delegate program.
    action: Option<&'static str>,
    /// Index of the user rule expected to match; `None` = no user rule.
    rule: Option<usize>,
}

fn case(
    name: &'static str,
    rules: Vec<Permission>,
    tool: &'static str,
    args: &[(&'static str, &'static str)],
    action: Option<&'static str>,
    rule: Option<usize>,
) -> Case {
    Case {
        name,
        rules,
        tool,
        args: args.to_vec(),
        context: Some(PermissionContext::Thread),
        action,
        rule,
    }
}

fn ok(b: ampere_core::permission::PermissionBuilder) -> Permission {
    match b.build() {
        Ok(p) => p,
        Err(e) => panic!("test rule is invalid: {e}"),
    }
}

fn x(cond: impl Into<MatchCondition>) -> Vec<Permission> {
    vec![ok(Permission::allow("X").matching("a", cond))]
}

fn cases(script: &str) -> Vec<Case> {
    use PermissionContext::{Subagent, Thread};
    let sub = |mut c: Case| {
        c.context = Some(Subagent);
        c
    };
    // No `--context`: only rules without a context match.
    let bare = |mut c: Case| {
        c.context = None;
        c
    };
    let d = |code: u8| ok(Permission::delegate("D", format!("{script}{code}")));
    vec![
        // globs
        case(
            "glob star",
            x("a*c"),
            "X",
            &[("a", "abc")],
            Some("allow"),
            Some(0),
        ),
        case(
            "glob star crosses slash",
            x("a*c"),
            "X",
            &[("a", "a/b/c")],
            Some("allow"),
            Some(0),
        ),
        case(
            "glob anchored start",
            x("a*"),
            "X",
            &[("a", "xa")],
            None,
            None,
        ),
        case(
            "glob anchored end",
            x("*c"),
            "X",
            &[("a", "abcx")],
            None,
            None,
        ),
        case(
            "glob question literal",
            x("a?c"),
            "X",
            &[("a", "abc")],
            None,
            None,
        ),
        case(
            "glob question itself",
            x("a?c"),
            "X",
            &[("a", "a?c")],
            Some("allow"),
            Some(0),
        ),
        case(
            "glob double star",
            x("a**c"),
            "X",
            &[("a", "a/b/c")],
            Some("allow"),
            Some(0),
        ),
        case(
            "glob case sensitive",
            x("ABC"),
            "X",
            &[("a", "abc")],
            None,
            None,
        ),
        case(
            "glob dot literal",
            x("a.c*"),
            "X",
            &[("a", "abcx")],
            None,
            None,
        ),
        case(
            "glob brackets literal",
            x("[a-c]*"),
            "X",
            &[("a", "b")],
            None,
            None,
        ),
        case(
            "glob star no newline",
            x("a*c"),
            "X",
            &[("a", "a\nc")],
            None,
            None,
        ),
        case(
            "glob star multiline",
            x("a*"),
            "X",
            &[("a", "\na")],
            Some("allow"),
            Some(0),
        ),
        case(
            "exact no newline",
            x("ab"),
            "X",
            &[("a", "ab\n")],
            None,
            None,
        ),
        case(
            "lone star",
            x("*"),
            "X",
            &[("a", "a\nb")],
            Some("allow"),
            Some(0),
        ),
        case("missing arg", x("*"), "X", &[("b", "x")], None, None),
        case(
            "backslash literal",
            x("a\\*c"),
            "X",
            &[("a", "a\\bc")],
            Some("allow"),
            Some(0),
        ),
        // regexes
        case(
            "regex search",
            x("/b/"),
            "X",
            &[("a", "abc")],
            Some("allow"),
            Some(0),
        ),
        case("regex anchor", x("/^b/"), "X", &[("a", "abc")], None, None),
        case(
            "regex multiline",
            x("/^b$/"),
            "X",
            &[("a", "a\nb")],
            Some("allow"),
            Some(0),
        ),
        case(
            "regex flags are text",
            x("/B/i"),
            "X",
            &[("a", "aBc")],
            None,
            None,
        ),
        case(
            "regex alternation",
            x(MatchCondition::regex("^git (status|log|diff)$")),
            "X",
            &[("a", "git log")],
            Some("allow"),
            Some(0),
        ),
        case(
            "regex alternation miss",
            x(MatchCondition::regex("^git (status|log|diff)$")),
            "X",
            &[("a", "git push")],
            None,
            None,
        ),
        case(
            "regex utf16 dot",
            x("/^.$/"),
            "X",
            &[("a", "😀")],
            None,
            None,
        ),
        case(
            "regex classes",
            x("/^\\w+\\s\\d{2,3}$/"),
            "X",
            &[("a", "ab_1 123")],
            Some("allow"),
            Some(0),
        ),
        case(
            "regex word boundary",
            x("/\\bfoo\\b/"),
            "X",
            &[("a", "afoob")],
            None,
            None,
        ),
        case(
            "regex negated class",
            x("/^[^a-c]+$/"),
            "X",
            &[("a", "xyz")],
            Some("allow"),
            Some(0),
        ),
        case(
            "two slashes literal",
            x("//"),
            "X",
            &[("a", "//")],
            Some("allow"),
            Some(0),
        ),
        // lists, scalars, objects
        case(
            "list any of",
            x(vec!["x", "a*"]),
            "X",
            &[("a", "ab")],
            Some("allow"),
            Some(0),
        ),
        case(
            "list with number",
            x(vec![MatchCondition::regex("^a"), 1.into()]),
            "X",
            &[("a", "ab")],
            Some("allow"),
            Some(0),
        ),
        case("number vs string", x(1), "X", &[("a", "1")], None, None),
        case(
            "string one",
            x("1"),
            "X",
            &[("a", "1")],
            Some("allow"),
            Some(0),
        ),
        case("bool vs string", x(true), "X", &[("a", "true")], None, None),
        case(
            "null vs missing",
            x(MatchCondition::Null),
            "X",
            &[],
            None,
            None,
        ),
        case(
            "object vs string",
            x(MatchCondition::Object(
                [("b".to_owned(), "c".into())].into(),
            )),
            "X",
            &[("a", "{\"b\":\"c\"}")],
            None,
            None,
        ),
        // tools, order, contexts
        case(
            "tool case insensitive",
            vec![ok(Permission::reject("bash"))],
            "Bash",
            &[("cmd", "x")],
            Some("reject"),
            Some(0),
        ),
        case(
            "tool glob",
            vec![ok(Permission::ask("mcp__*"))],
            "mcp__pw__click",
            &[],
            Some("ask"),
            Some(0),
        ),
        case(
            "tool glob braces",
            vec![ok(Permission::ask("{Read,Grep}"))],
            "Grep",
            &[],
            Some("ask"),
            Some(0),
        ),
        case(
            "first match wins",
            vec![ok(Permission::reject("X")), ok(Permission::allow("X"))],
            "X",
            &[],
            Some("reject"),
            Some(0),
        ),
        case(
            "skip non matching",
            vec![
                ok(Permission::reject("X").matching("a", "no")),
                ok(Permission::allow("X")),
            ],
            "X",
            &[("a", "yes")],
            Some("allow"),
            Some(1),
        ),
        case(
            "all keys must match",
            vec![ok(Permission::allow("X")
                .matching("a", "1")
                .matching("b", "2"))],
            "X",
            &[("a", "1"), ("b", "3")],
            None,
            None,
        ),
        case(
            "dotted key",
            vec![ok(Permission::allow("X").matching("a.b", "1"))],
            "X",
            &[("a.b", "1")],
            None,
            None,
        ),
        case(
            "context thread rule in thread",
            vec![ok(Permission::reject("X").in_context(Thread))],
            "X",
            &[],
            Some("reject"),
            Some(0),
        ),
        sub(case(
            "context thread rule in subagent",
            vec![ok(Permission::reject("X").in_context(Thread))],
            "X",
            &[],
            None,
            None,
        )),
        case(
            "one-character tool pattern is literal",
            vec![
                ok(Permission::reject("?")),
                ok(Permission::reject("[")),
                ok(Permission::ask("X")),
            ],
            "X",
            &[],
            Some("ask"),
            Some(2),
        ),
        bare(case(
            "no context: one-character tool pattern",
            vec![ok(Permission::allow("?")), ok(Permission::ask("*"))],
            "Y",
            &[],
            Some("ask"),
            Some(1),
        )),
        bare(case(
            "no context: a thread rule does not match",
            vec![ok(Permission::reject("X").in_context(Thread))],
            "X",
            &[],
            None,
            None,
        )),
        bare(case(
            "no context: a subagent rule does not match",
            vec![ok(Permission::reject("X").in_context(Subagent))],
            "X",
            &[],
            None,
            None,
        )),
        bare(case(
            "no context: the first context-free rule matches",
            vec![
                ok(Permission::reject("X").in_context(Thread)),
                ok(Permission::reject("X").in_context(Subagent)),
                ok(Permission::ask("X")),
                ok(Permission::allow("X")),
            ],
            "X",
            &[],
            Some("ask"),
            Some(2),
        )),
        bare(case(
            "no context: matches still apply",
            vec![
                ok(Permission::allow("Bash")
                    .matching("cmd", "ls *")
                    .in_context(Thread)),
                ok(Permission::reject("Bash").matching("cmd", "ls *")),
            ],
            "Bash",
            &[("cmd", "ls -la")],
            Some("reject"),
            Some(1),
        )),
        bare(case(
            "no context: context-free rule after a non-matching one",
            vec![
                ok(Permission::allow("X").matching("a", "1")),
                ok(Permission::reject("X").in_context(Subagent)),
                ok(Permission::ask("X").matching("a", "2")),
            ],
            "X",
            &[("a", "2")],
            Some("ask"),
            Some(2),
        )),
        sub(case(
            "context subagent rule",
            vec![
                ok(Permission::reject("X").in_context(Subagent)),
                ok(Permission::ask("X")),
            ],
            "X",
            &[],
            Some("reject"),
            Some(0),
        )),
        case(
            "reject with message",
            vec![ok(Permission::reject("X").with_message("use Y"))],
            "X",
            &[],
            Some("reject"),
            Some(0),
        ),
        case(
            "invalid regex abandons user rules",
            vec![
                ok(Permission::allow("X").matching("a", "/a(/")),
                ok(Permission::allow("X")),
            ],
            "X",
            &[("a", "a(")],
            None,
            None,
        ),
        case("unknown tool no rule", vec![], "my_tool", &[], None, None),
        case(
            "bash falls to built-in",
            vec![ok(Permission::allow("Read"))],
            "Bash",
            &[("cmd", "ls")],
            Some("allow"),
            None,
        ),
        // delegation: the program's exit code decides
        case(
            "delegate exit 0",
            vec![d(0)],
            "D",
            &[("a", "1")],
            Some("allow"),
            Some(0),
        ),
        case(
            "delegate exit 1",
            vec![d(1)],
            "D",
            &[],
            Some("ask"),
            Some(0),
        ),
        case(
            "delegate exit 2",
            vec![d(2)],
            "D",
            &[],
            Some("reject"),
            Some(0),
        ),
    ]
}

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
