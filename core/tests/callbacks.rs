//! The callback machines: the in-process MCP server and the permission bridge.
#![allow(clippy::disallowed_methods)] // one base Instant for virtual time

use std::time::{Duration, Instant};

use ampere_core::callbacks::mcp_server::{McpOutput, McpServer, ToolResult, ToolSpec};
use ampere_core::callbacks::permission_bridge::{
    delegate_rules_json, delegate_script, BridgeOutput, Decision, PermissionBridge,
};
use ampere_core::permission::PermissionContext;
use ampere_core::run::IoFailure;
use serde_json::{json, Value};

fn server() -> McpServer {
    McpServer::new(
        "ampere",
        "0.1.0",
        vec![ToolSpec {
            name: "add".into(),
            description: "Adds two numbers".into(),
            input_schema: json!({"type": "object", "properties": {"a": {"type": "number"}}}),
        }],
    )
}

/// Every output, with written lines parsed.
fn drain(s: &mut McpServer) -> (Vec<Value>, Vec<McpOutput>) {
    let (mut lines, mut other) = (Vec::new(), Vec::new());
    while let Some(out) = s.poll_output() {
        match out {
            McpOutput::Write(bytes) => {
                assert_eq!(bytes.last(), Some(&b'\n'));
                lines.push(serde_json::from_slice(&bytes).expect("a JSON line"));
            }
            o => other.push(o),
        }
    }
    (lines, other)
}

fn send(s: &mut McpServer, v: Value) {
    let mut line = v.to_string().into_bytes();
    line.push(b'\n');
    s.handle_bytes(&line);
}

#[test]
fn an_mcp_session_initializes_lists_and_calls_tools_in_flight() {
    let mut s = server();
    send(
        &mut s,
        json!({"jsonrpc":"2.0","id":0,"method":"tools/list"}),
    );
    let (lines, _) = drain(&mut s);
    assert_eq!(lines[0]["error"]["code"], -32002, "before initialize");
    send(
        &mut s,
        json!({"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"amp","version":"x"}}}),
    );
    send(
        &mut s,
        json!({"jsonrpc":"2.0","method":"notifications/initialized"}),
    );
    let (lines, _) = drain(&mut s);
    assert_eq!(lines.len(), 1, "a notification gets no answer");
    assert_eq!(lines[0]["id"], 1);
    assert_eq!(lines[0]["result"]["protocolVersion"], "2025-11-25");
    assert_eq!(lines[0]["result"]["serverInfo"]["name"], "ampere");
    send(
        &mut s,
        json!({"jsonrpc":"2.0","id":"l","method":"tools/list"}),
    );
    let (lines, _) = drain(&mut s);
    assert_eq!(lines[0]["result"]["tools"][0]["name"], "add");
    assert_eq!(
        lines[0]["result"]["tools"][0]["inputSchema"]["type"],
        "object"
    );
    // Two calls in flight, answered out of order: each answer carries its own id.
    send(
        &mut s,
        json!({"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"add","arguments":{"a":1}}}),
    );
    send(
        &mut s,
        json!({"jsonrpc":"2.0","id":8,"method":"tools/call","params":{"name":"add","arguments":{"a":2}}}),
    );
    let (_, calls) = drain(&mut s);
    let ids: Vec<_> = calls
        .iter()
        .map(|c| match c {
            McpOutput::Call { id, arguments, .. } => (*id, arguments["a"].clone()),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(s.calls_in_flight(), 2);
    s.handle_call_result(ids[1].0, ToolResult::text("2"));
    s.handle_call_result(ids[0].0, ToolResult::error("boom"));
    let (lines, _) = drain(&mut s);
    assert_eq!(lines[0]["id"], 8);
    assert_eq!(lines[0]["result"]["content"][0]["text"], "2");
    assert_eq!(lines[1]["id"], 7);
    assert_eq!(
        lines[1]["result"]["isError"], true,
        "a tool error is a result, not a protocol error"
    );
    send(&mut s, json!({"jsonrpc":"2.0","id":9,"method":"ping"}));
    assert_eq!(drain(&mut s).0[0]["result"], json!({}));
}

#[test]
fn versions_are_negotiated_and_bad_messages_get_json_rpc_errors() {
    let mut s = server();
    send(
        &mut s,
        json!({"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"1999-01-01"}}),
    );
    assert_eq!(
        drain(&mut s).0[0]["result"]["protocolVersion"],
        "2025-11-25",
        "our newest"
    );
    let mut old = server();
    send(
        &mut old,
        json!({"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2024-11-05"}}),
    );
    assert_eq!(
        drain(&mut old).0[0]["result"]["protocolVersion"],
        "2024-11-05"
    );
    s.handle_bytes(b"{not json\n");
    send(&mut s, json!([1, 2]));
    send(
        &mut s,
        json!({"jsonrpc":"2.0","id":2,"method":"resources/list"}),
    );
    send(
        &mut s,
        json!({"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"nope"}}),
    );
    send(
        &mut s,
        json!({"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"add","arguments":[1]}}),
    );
    send(
        &mut s,
        json!({"jsonrpc":"2.0","id":{"x":1},"method":"ping"}),
    );
    let codes: Vec<_> = drain(&mut s)
        .0
        .iter()
        .map(|l| (l["id"].clone(), l["error"]["code"].clone()))
        .collect();
    assert_eq!(
        codes,
        vec![
            (Value::Null, json!(-32700)),
            (Value::Null, json!(-32600)),
            (Value::Null, json!(-32600)),
            (json!(2), json!(-32601)),
            (json!(3), json!(-32602)),
            (json!(4), json!(-32602)),
            (Value::Null, json!(-32600)),
        ]
    );
    // Still serving.
    send(&mut s, json!({"jsonrpc":"2.0","id":5,"method":"ping"}));
    assert_eq!(drain(&mut s).0[0]["id"], 5);
}

#[test]
fn a_cancelled_call_is_not_answered() {
    let mut s = server();
    send(
        &mut s,
        json!({"jsonrpc":"2.0","id":1,"method":"initialize","params":{}}),
    );
    send(
        &mut s,
        json!({"jsonrpc":"2.0","id":"c1","method":"tools/call","params":{"name":"add"}}),
    );
    let (_, calls) = drain(&mut s);
    let McpOutput::Call { id, arguments, .. } = &calls[0] else {
        panic!("{calls:?}")
    };
    assert_eq!(
        arguments,
        &json!({}),
        "missing arguments are an empty object"
    );
    send(
        &mut s,
        json!({"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":"c1","reason":"user"}}),
    );
    assert_eq!(drain(&mut s).1, vec![McpOutput::Cancel(*id)]);
    s.handle_call_result(*id, ToolResult::text("late"));
    assert!(drain(&mut s).0.is_empty(), "no answer for a cancelled call");
}

#[test]
fn requests_split_anywhere_give_the_same_answers() {
    let input = b"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{}}\r\n\n{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"ping\"}";
    let mut whole = server();
    whole.handle_bytes(input);
    whole.handle_eof();
    let expected = drain(&mut whole).0;
    assert_eq!(expected.len(), 2);
    for cut in 0..input.len() {
        let mut s = server();
        s.handle_bytes(&input[..cut]);
        s.handle_bytes(&input[cut..]);
        s.handle_eof();
        assert_eq!(drain(&mut s).0, expected, "cut at {cut}");
    }
}

#[test]
fn the_bridge_decides_each_call_on_its_own_and_rejects_late_or_pending_ones() {
    let t0 = Instant::now();
    let mut b = PermissionBridge::new(Duration::from_secs(10));
    b.handle_notifications(b"101\n10", t0);
    b.handle_notifications(b"2\nnoise\n", t0);
    let mut reads = Vec::new();
    while let Some(o) = b.poll_output() {
        match o {
            BridgeOutput::ReadRequest(id) => reads.push(id),
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(reads, vec![101, 102]);
    b.handle_request_file(101, Ok(b"thread\nBash\n{\"cmd\":\"ls\"}\n".to_vec()));
    b.handle_request_file(102, Ok(b"subagent\nRead\n{\"path\":\n\"x\"}".to_vec()));
    let decide: Vec<_> = std::iter::from_fn(|| b.poll_output()).collect();
    assert!(
        matches!(&decide[0], BridgeOutput::Decide { id: 101, request } if request.tool == "Bash" && request.input == json!({"cmd":"ls"}) && request.context == PermissionContext::Thread)
    );
    assert!(
        matches!(&decide[1], BridgeOutput::Decide { id: 102, request } if request.context == PermissionContext::Subagent && request.input == json!({"path":"x"}))
    );
    b.handle_decision(102, Decision::Reject("not that file".into()));
    b.handle_decision(101, Decision::Allow);
    b.handle_decision(101, Decision::Reject("twice".into()));
    let answers: Vec<_> = std::iter::from_fn(|| b.poll_output()).collect();
    assert_eq!(
        answers,
        vec![
            BridgeOutput::Answer {
                id: 102,
                bytes: b"reject\nnot that file\n".to_vec(),
                allowed: false
            },
            BridgeOutput::Answer {
                id: 101,
                bytes: b"allow\n".to_vec(),
                allowed: true
            },
        ],
        "each answer reaches its own call, once"
    );
    // A late handler and a run that ends.
    b.handle_notifications(b"200\n201\n", t0);
    b.handle_request_file(200, Ok(b"thread\nBash\n{}".to_vec()));
    b.handle_request_file(
        201,
        Err(IoFailure::new(std::io::ErrorKind::NotFound, "gone")),
    );
    let _: Vec<_> = std::iter::from_fn(|| b.poll_output()).collect();
    assert_eq!(b.poll_timeout(), Some(t0 + Duration::from_secs(10)));
    b.handle_timeout(t0 + Duration::from_secs(10));
    assert_eq!(
        b.poll_output(),
        Some(BridgeOutput::Answer {
            id: 200,
            bytes: b"reject\nthe permission handler did not answer within 10.000s\n".to_vec(),
            allowed: false
        })
    );
    b.handle_notifications(b"300\n", t0);
    let _ = b.poll_output();
    b.finish();
    assert_eq!(
        b.poll_output(),
        Some(BridgeOutput::Answer {
            id: 300,
            bytes: b"reject\nthe Amp execution has ended\n".to_vec(),
            allowed: false
        })
    );
    assert_eq!(b.pending(), 0);
}

#[test]
fn a_malformed_request_is_rejected_with_the_reason() {
    let t0 = Instant::now();
    let mut b = PermissionBridge::new(Duration::from_secs(1));
    b.handle_notifications(b"5\n", t0);
    let _ = b.poll_output();
    b.handle_request_file(5, Ok(b"thread\nBash\n{nope".to_vec()));
    match b.poll_output() {
        Some(BridgeOutput::Answer {
            id: 5,
            bytes,
            allowed: false,
        }) => {
            let text = String::from_utf8(bytes).expect("utf8");
            assert!(
                text.starts_with("reject\nmalformed permission request: arguments are not JSON"),
                "{text}"
            );
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn the_script_and_rules_point_into_the_private_folder() {
    let dir = std::path::Path::new("/tmp/ampere-1/it's");
    let script = delegate_script(dir, PermissionContext::Subagent);
    assert!(script.starts_with("#!/bin/sh\n"));
    assert!(script.contains(r"d='/tmp/ampere-1/it'\''s'"), "{script}");
    assert!(script.contains("'subagent'"));
    let rules = delegate_rules_json(dir);
    assert_eq!(rules[0]["action"], "delegate");
    assert_eq!(rules[0]["context"], "thread");
    assert_eq!(rules[1]["to"], "/tmp/ampere-1/it's/permission-subagent");
}
