//! Fuzzes the in-process MCP server: arbitrary bytes from the relay, in arbitrary chunks,
//! interleaved with call results and cancellations. Checks: no panic; every written line is
//! one JSON-RPC 2.0 object ending in `\n`; each call is answered at most once; a cancelled
//! call is never answered.
#![no_main]

use std::collections::HashSet;

use ampere_core::callbacks::mcp_server::{McpOutput, McpServer, ToolResult, ToolSpec};
use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;

#[derive(Debug, Arbitrary)]
enum Step {
    Bytes(Vec<u8>),
    Known(u8),
    Answer(u8),
    Eof,
}

const KNOWN: &[&str] = &[
    r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25"}}"#,
    r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#,
    r#"{"jsonrpc":"2.0","id":2,"method":"tools/list"}"#,
    r#"{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"add","arguments":{"a":1}}}"#,
    r#"{"jsonrpc":"2.0","id":"x","method":"tools/call","params":{"name":"add"}}"#,
    r#"{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":3}}"#,
    r#"{"jsonrpc":"2.0","id":4,"method":"ping"}"#,
    r#"[{"jsonrpc":"2.0","id":5,"method":"ping"},{"jsonrpc":"2.0","id":6,"method":"nope"}]"#,
];

fuzz_target!(|steps: Vec<Step>| {
    let mut server = McpServer::new(
        "f",
        "0",
        vec![ToolSpec {
            name: "add".into(),
            description: "d".into(),
            input_schema: serde_json::json!({"type": "object"}),
        }],
    );
    let mut open = Vec::new();
    let mut answered = HashSet::new();
    let mut cancelled = HashSet::new();
    for step in steps {
        match step {
            Step::Bytes(b) => server.handle_bytes(&b),
            Step::Known(i) => {
                let mut line = KNOWN[usize::from(i) % KNOWN.len()].as_bytes().to_vec();
                line.push(b'\n');
                server.handle_bytes(&line);
            }
            Step::Answer(i) => {
                if !open.is_empty() {
                    let id = open.remove(usize::from(i) % open.len());
                    assert!(answered.insert(id), "answered twice");
                    server.handle_call_result(id, ToolResult::text("r"));
                }
            }
            Step::Eof => server.handle_eof(),
        }
        while let Some(out) = server.poll_output() {
            match out {
                McpOutput::Write(line) => {
                    assert_eq!(line.last(), Some(&b'\n'));
                    let v: serde_json::Value =
                        serde_json::from_slice(&line).expect("a JSON line");
                    assert_eq!(v["jsonrpc"], "2.0");
                }
                McpOutput::Call { id, .. } => open.push(id),
                McpOutput::Cancel(id) => {
                    open.retain(|o| *o != id);
                    cancelled.insert(id);
                }
            }
        }
    }
    assert!(server.calls_in_flight() <= open.len());
});
