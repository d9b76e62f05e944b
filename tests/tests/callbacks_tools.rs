//! In-process tools end to end: core's MCP server machine, runtime-common's host and relay
//! script, driven by a scripted MCP client through the relay, and by the pinned real Amp
//! CLI's `amp mcp doctor` (offline).

use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::Arc;

use ampere_core::callbacks::mcp_server::{ToolResult, ToolSpec};
use ampere_runtime_common::{relay_server_json, HostedTool, ToolHost};
use ampere_tests::real_cli::{offline_command, private_dir, real_cli_or_skip, scratch_home};
use serde_json::{json, Value};

fn add_tool() -> HostedTool {
    HostedTool {
        spec: ToolSpec {
            name: "add".into(),
            description: "Adds a and b".into(),
            input_schema: json!({"type":"object","properties":{"a":{"type":"number"},"b":{"type":"number"}},"required":["a","b"]}),
        },
        handler: Arc::new(
            |args: Value| match (args["a"].as_f64(), args["b"].as_f64()) {
                (Some(a), Some(b)) => ToolResult::json(json!({"sum": a + b})),
                _ => ToolResult::error("a and b must be numbers"),
            },
        ),
    }
}

#[test]
fn a_client_through_the_relay_lists_and_calls_the_tools() {
    let (_root, dir) = private_dir().expect("private dir");
    let _host = ToolHost::start(&dir, "ampere", vec![add_tool()]).expect("host");
    let server = relay_server_json(&dir);
    let mut relay = Command::new(server["command"].as_str().expect("command"))
        .args(
            server["args"]
                .as_array()
                .expect("args")
                .iter()
                .filter_map(Value::as_str),
        )
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("relay");
    let mut to = relay.stdin.take().expect("stdin");
    let mut from = BufReader::new(relay.stdout.take().expect("stdout"));
    let mut ask = |v: Value| -> Value {
        writeln!(to, "{v}").expect("write");
        to.flush().expect("flush");
        let mut line = String::new();
        from.read_line(&mut line).expect("read");
        serde_json::from_str(&line).expect("json")
    };
    let init = ask(
        json!({"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"0"}}}),
    );
    assert_eq!(init["result"]["protocolVersion"], "2025-11-25");
    let list = ask(json!({"jsonrpc":"2.0","id":2,"method":"tools/list"}));
    assert_eq!(list["result"]["tools"][0]["name"], "add");
    let sum = ask(
        json!({"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"add","arguments":{"a":2,"b":3}}}),
    );
    assert_eq!(sum["result"]["structuredContent"], json!({"sum": 5.0}));
    let bad = ask(
        json!({"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"add","arguments":{"a":"x"}}}),
    );
    assert_eq!(
        bad["result"]["isError"], true,
        "a tool error reaches the agent as an error result"
    );
    let garbage = {
        writeln!(to, "{{oops").expect("write");
        let mut line = String::new();
        from.read_line(&mut line).expect("read");
        serde_json::from_str::<Value>(&line).expect("json")
    };
    assert_eq!(
        garbage["error"]["code"], -32700,
        "a malformed message gets a JSON-RPC error"
    );
    drop(to);
    let status = relay.wait().expect("wait");
    assert!(status.success() || status.code().is_none(), "{status:?}");
}

/// `amp mcp doctor` (the real CLI, offline) starts ampere's relay from the generated MCP
/// configuration and reports the in-process server connected with exactly its tools, next to
/// a user's own server entry.
#[test]
fn the_real_cli_connects_to_the_in_process_server() {
    let Some(bin) = real_cli_or_skip("the_real_cli_connects_to_the_in_process_server") else {
        return;
    };
    let (_root, dir) = private_dir().expect("private dir");
    let mut echo = add_tool();
    echo.spec.name = "echo".into();
    let _host = ToolHost::start(&dir, "ampere", vec![add_tool(), echo]).expect("host");
    let config = json!({"ampere": relay_server_json(&dir)});
    let home = scratch_home().expect("home");
    let out = offline_command(&bin, home.path())
        .args(["mcp", "doctor", "--mcp-config"])
        .arg(config.to_string())
        .output()
        .expect("run the CLI");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains("ampere (--mcp-config flag): connected (2 tools: add, echo)"),
        "{text}"
    );
}

#[derive(serde::Deserialize, schemars::JsonSchema)]
struct EchoInput {
    /// What to say back.
    text: String,
}

/// `amp mcp doctor` with the MCP configuration ampere *generates* (the public API's plan
/// carried out by `prepare_execution`): the user's server beside the in-process one, which is
/// connected with exactly the registered tools.
#[test]
fn the_real_cli_connects_through_the_generated_config() {
    let Some(bin) = real_cli_or_skip("the_real_cli_connects_through_the_generated_config") else {
        return;
    };
    let root = tempfile::tempdir().expect("tempdir");
    let mut callbacks = ampere_runtime_common::Callbacks::default();
    callbacks.add_tool(ampere_runtime_common::Tool::typed(
        "echo",
        "Says the text back",
        |input: EchoInput| ToolResult::text(input.text),
    ));
    callbacks.add_tool(ampere_runtime_common::Tool::new(
        "add",
        "Adds a and b",
        add_tool().spec.input_schema,
        |args: Value| (add_tool().handler)(args),
    ));
    let settings = ampere_runtime_common::CliSettings {
        cli_path: Some("/bin/true".into()),
        temp_root: Some(root.path().to_path_buf()),
        callbacks,
        ..Default::default()
    };
    let user = ampere_core::mcp::McpConfig::new()
        .server("mine", ampere_core::mcp::McpServer::stdio("/bin/false"));
    let options = ampere_core::options::AmpOptions::new().mcp_config(user);
    let prepared = ampere_runtime_common::prepare_execution(
        &options,
        ampere_core::plan::PromptKind::Text("go".into()),
        &settings,
    )
    .expect("prepare");
    let args: Vec<_> = prepared.command.get_args().collect();
    let i = args
        .iter()
        .position(|a| *a == "--mcp-config")
        .expect("a generated MCP configuration");
    let config = PathBuf::from(args[i + 1]);
    let home = scratch_home().expect("home");
    let out = offline_command(&bin, home.path())
        .args(["mcp", "doctor", "--mcp-config"])
        .arg(&config)
        .output()
        .expect("run the CLI");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains("ampere (--mcp-config flag): connected (2 tools: add, echo)")
            || text.contains("ampere (--mcp-config flag): connected (2 tools: echo, add)"),
        "{text}"
    );
    assert!(
        text.contains("mine"),
        "the user's server is configured too: {text}"
    );
    let dir = prepared
        .private_dir
        .as_ref()
        .expect("dir")
        .path()
        .to_path_buf();
    drop(prepared);
    assert!(!dir.exists());
}
