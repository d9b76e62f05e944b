//! Message types: wire shapes, leniency, accessors, usage arithmetic, input messages (the
//! serialize-then-decode round trips over generated messages are in `decode_roundtrip.rs`).

use ampere_core::decode::{DecodeErrorKind, Decoder};
use ampere_core::message::{
    create_user_message, AssistantMessage, AssistantMessageDetails, ContentBlock,
    ErrorResultMessage, ErrorSubtype, McpServerState, McpServerStatus, Message, ResultMessage,
    StopReason, SystemMessage, ToolResultContent, UnknownMessage, Usage, UserInputMessage,
};
use serde_json::{json, Value};

fn decode(line: &str) -> Message {
    serde_json::from_str(line).unwrap_or_else(|e| panic!("{line}: {e}"))
}

/// Decodes bytes through the `Decoder`, expecting only messages.
fn decode_stream(bytes: &[u8]) -> Vec<Message> {
    let mut d = Decoder::default();
    d.push(bytes);
    d.push_eof();
    std::iter::from_fn(|| d.poll_message())
        .map(|r| r.unwrap_or_else(|e| panic!("{e}")))
        .collect()
}

#[test]
fn result_vs_error_result() {
    let ok = decode(
        r#"{"type":"result","subtype":"success","is_error":false,"result":"4","duration_ms":9,"num_turns":1,"session_id":"T-1","permission_denials":["Bash"]}"#,
    );
    assert!(ok.is_success_result());
    assert!(ok.is_result());
    assert_eq!(ok.result_text(), Some("4"));
    assert_eq!(ok.error_text(), None);
    let Message::Result(r) = &ok else { panic!() };
    assert_eq!(r.permission_denials, Some(vec![json!("Bash")]));

    let err = decode(
        r#"{"type":"result","subtype":"error_max_turns","is_error":true,"error":"too many turns","duration_ms":9,"num_turns":50,"usage":{"input_tokens":1,"output_tokens":2},"session_id":"T-1"}"#,
    );
    assert!(!err.is_success_result());
    assert!(err.is_result());
    assert_eq!(err.error_text(), Some("too many turns"));
    let Message::ErrorResult(e) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(e.subtype, ErrorSubtype::ErrorMaxTurns);
    assert_eq!(e.num_turns, 50);
    assert_eq!(err.usage().map(Usage::total_tokens), Some(3));

    // No is_error: the subtype decides.
    let m = decode(r#"{"type":"result","subtype":"error_during_execution","error":"boom"}"#);
    assert!(
        matches!(&m, Message::ErrorResult(e) if e.subtype == ErrorSubtype::ErrorDuringExecution && e.error == "boom")
    );
    let m = decode(r#"{"type":"result","subtype":"success","result":"r"}"#);
    assert!(m.is_success_result());
    // Unknown error subtype kept as text; error text read from `result` if `error` is absent.
    let m =
        decode(r#"{"type":"result","subtype":"error_quota","is_error":true,"result":"no quota"}"#);
    let Message::ErrorResult(e) = &m else {
        panic!("{m:?}")
    };
    assert_eq!(e.subtype, ErrorSubtype::Other("error_quota".into()));
    assert_eq!(e.error(), "no quota");
    assert_eq!(m.session_id(), None);
}

#[test]
fn system_message_leniency_and_statuses() {
    let m = decode(
        r#"{"type":"system","subtype":"init","mcp_servers":[{"name":"a","status":"awaiting-approval"},{"name":"b","status":"blocked-by-registry"},{"name":"c","status":"sleeping"}]}"#,
    );
    let Message::System(s) = &m else { panic!() };
    assert_eq!(s.session_id, "");
    assert_eq!(s.cwd, "");
    assert!(s.tools.is_empty());
    let states: Vec<_> = s.mcp_servers.iter().map(|m| m.status.clone()).collect();
    assert_eq!(
        states,
        [
            McpServerState::AwaitingApproval,
            McpServerState::BlockedByRegistry,
            McpServerState::Other("sleeping".into())
        ]
    );
    assert_eq!(states[2].to_string(), "sleeping");
    // Every known status round-trips through its text.
    for s in [
        "awaiting-approval",
        "authenticating",
        "connecting",
        "reconnecting",
        "connected",
        "denied",
        "failed",
        "blocked-by-registry",
    ] {
        let state = McpServerState::from(s);
        assert!(!matches!(state, McpServerState::Other(_)), "{s}");
        assert_eq!(state.as_str(), s);
        assert_eq!(serde_json::to_value(&state).unwrap(), json!(s));
    }
    // Unknown subtype is kept.
    let m = decode(r#"{"type":"system","subtype":"compact","session_id":"T-2"}"#);
    let Message::System(s) = &m else { panic!() };
    assert_eq!(s.subtype, "compact");
    assert!(!s.is_init());
    assert_eq!(m.session_id(), Some("T-2"));
}

#[test]
fn assistant_accessors_and_blocks() {
    let m = decode(
        r#"{"type":"assistant","message":{"type":"message","role":"assistant","id":"msg_1","model":"m","content":[
        {"type":"thinking","thinking":"hmm","signature":"sig"},
        {"type":"text","text":"Let me "},
        {"type":"tool_use","id":"t1","name":"Read","input":{"path":"a"}},
        {"type":"text","text":"look."},
        {"type":"tool_use","id":"t2","name":"Bash","input":{"cmd":"ls"}},
        {"type":"server_tool_use","id":"s1","extra":[1,2]}
    ],"stop_reason":"tool_use","stop_sequence":null,"usage":{"input_tokens":null,"output_tokens":5,"cache_creation_input_tokens":null,"brand_new":1}},"parent_tool_use_id":"toolu_p","session_id":"T-3","future":"x"}"#,
    );
    let Message::Assistant(a) = &m else { panic!() };
    assert_eq!(a.text(), "Let me look.");
    let uses: Vec<_> = a.tool_uses().map(|t| (t.id, t.name)).collect();
    assert_eq!(uses, [("t1", "Read"), ("t2", "Bash")]);
    assert_eq!(a.tool_uses().nth(1).unwrap().input["cmd"], "ls");
    assert_eq!(
        a.message.content[0],
        ContentBlock::Thinking {
            thinking: "hmm".into(),
            signature: Some("sig".into())
        }
    );
    let unknown = &a.message.content[5];
    assert_eq!(unknown.block_type(), "server_tool_use");
    assert_eq!(
        unknown,
        &ContentBlock::Unknown(json!({"type":"server_tool_use","id":"s1","extra":[1,2]}))
    );
    assert_eq!(a.message.id.as_deref(), Some("msg_1"));
    assert_eq!(a.message.stop_reason, Some(StopReason::ToolUse));
    assert_eq!(a.parent_tool_use_id.as_deref(), Some("toolu_p"));
    let u = m.usage().unwrap();
    assert_eq!((u.input_tokens, u.output_tokens), (0, 5));
    assert_eq!(u.cache_creation_input_tokens, 0);
    assert_eq!(u.service_tier, None);
    // Unknown stop reason.
    let m = decode(
        r#"{"type":"assistant","message":{"role":"assistant","content":[],"stop_reason":"model_context_window_exceeded"}}"#,
    );
    let Message::Assistant(a) = &m else { panic!() };
    assert_eq!(
        a.message.stop_reason,
        Some(StopReason::Other("model_context_window_exceeded".into()))
    );
}

#[test]
fn tool_result_content_forms() {
    let m = decode(
        r#"{"type":"user","message":{"role":"user","content":[
        {"type":"tool_result","tool_use_id":"t1","content":"plain","is_error":true},
        {"type":"tool_result","tool_use_id":"t2","content":[{"type":"text","text":"a"},{"type":"image","x":1},{"type":"text","text":"b"}]},
        {"type":"tool_result","tool_use_id":"t3"}
    ]},"parent_tool_use_id":null,"session_id":"T"}"#,
    );
    let Message::User(u) = &m else { panic!() };
    let blocks = u.content();
    let ContentBlock::ToolResult {
        content, is_error, ..
    } = &blocks[0]
    else {
        panic!()
    };
    assert_eq!(content, &ToolResultContent::Text("plain".into()));
    assert!(*is_error);
    let ContentBlock::ToolResult {
        content, is_error, ..
    } = &blocks[1]
    else {
        panic!()
    };
    assert!(!*is_error, "is_error defaults to false");
    assert!(matches!(content, ToolResultContent::Blocks(b) if b.len() == 3));
    assert_eq!(content.text(), "ab");
    let ContentBlock::ToolResult { content, .. } = &blocks[2] else {
        panic!()
    };
    assert_eq!(content, &ToolResultContent::Text(String::new()));
}

#[test]
fn serialization_is_the_wire_shape() {
    let m = Message::Result(ResultMessage {
        result: "4".into(),
        duration_ms: 10,
        num_turns: 1,
        session_id: "T-1".into(),
        ..ResultMessage::default()
    });
    assert_eq!(
        serde_json::to_string(&m).unwrap(),
        r#"{"type":"result","subtype":"success","is_error":false,"result":"4","duration_ms":10,"num_turns":1,"session_id":"T-1"}"#
    );
    let m = Message::ErrorResult(ErrorResultMessage {
        error: "x".into(),
        subtype: ErrorSubtype::ErrorMaxTurns,
        ..ErrorResultMessage::default()
    });
    assert_eq!(
        serde_json::to_value(&m).unwrap(),
        json!({"type":"result","subtype":"error_max_turns","is_error":true,"error":"x","duration_ms":0,"num_turns":0,"session_id":""})
    );
    let m = Message::Assistant(AssistantMessage {
        message: AssistantMessageDetails {
            content: vec![ContentBlock::text("hi")],
            stop_reason: Some(StopReason::EndTurn),
            ..AssistantMessageDetails::default()
        },
        parent_tool_use_id: None,
        session_id: "T".into(),
    });
    assert_eq!(
        serde_json::to_value(&m).unwrap(),
        json!({"type":"assistant","message":{"type":"message","role":"assistant","content":[{"type":"text","text":"hi"}],"stop_reason":"end_turn"},"parent_tool_use_id":null,"session_id":"T"})
    );
    let m = Message::System(SystemMessage {
        subtype: "init".into(),
        mcp_servers: vec![McpServerStatus {
            name: "a".into(),
            status: McpServerState::Other("new-state".into()),
        }],
        ..SystemMessage::default()
    });
    assert_eq!(
        serde_json::to_value(&m).unwrap(),
        json!({"type":"system","subtype":"init","cwd":"","session_id":"","tools":[],"mcp_servers":[{"name":"a","status":"new-state"}]})
    );
    let raw = json!({"type":"later","a":[1,{"b":null}]});
    let m = Message::Unknown(UnknownMessage { raw: raw.clone() });
    assert_eq!(serde_json::to_value(&m).unwrap(), raw);
    assert_eq!(m.message_type(), "later");
}

#[test]
fn usage_arithmetic() {
    let a = Usage {
        input_tokens: 1,
        output_tokens: 2,
        cache_creation_input_tokens: 3,
        cache_read_input_tokens: 4,
        service_tier: None,
        max_tokens: Some(100),
    };
    let b = Usage {
        input_tokens: 10,
        output_tokens: 20,
        cache_creation_input_tokens: 30,
        cache_read_input_tokens: 40,
        service_tier: Some("standard".into()),
        max_tokens: Some(50),
    };
    assert_eq!(a.total_tokens(), 10);
    let sum = a.clone() + b.clone();
    assert_eq!(
        sum,
        Usage {
            input_tokens: 11,
            output_tokens: 22,
            cache_creation_input_tokens: 33,
            cache_read_input_tokens: 44,
            service_tier: Some("standard".into()),
            max_tokens: Some(100),
        }
    );
    let mut acc = Usage::default();
    acc += a.clone();
    acc += &b;
    assert_eq!(acc, sum);
    assert_eq!([a.clone(), b.clone()].into_iter().sum::<Usage>(), sum);
    assert_eq!([&a, &b].into_iter().sum::<Usage>(), sum);
    assert_eq!(
        Vec::<Usage>::new().into_iter().sum::<Usage>(),
        Usage::default()
    );
    let huge = Usage {
        input_tokens: u64::MAX,
        ..Usage::default()
    };
    assert_eq!((huge.clone() + huge).input_tokens, u64::MAX);
    let u: Usage = serde_json::from_str(r#"{"input_tokens":null}"#).unwrap();
    assert_eq!(u, Usage::default());
    assert!(serde_json::from_str::<Usage>(r#"{"input_tokens":"7"}"#).is_err());
}

#[test]
fn user_input_message() {
    let m = create_user_message("line one\nline two \u{2028} \"q\"");
    let line = m.to_json_line();
    assert_eq!(line.last(), Some(&b'\n'));
    assert_eq!(line.iter().filter(|b| **b == b'\n').count(), 1);
    let v: Value = serde_json::from_slice(&line).unwrap();
    assert_eq!(
        v,
        json!({"type":"user","message":{"role":"user","content":[{"type":"text","text":"line one\nline two \u{2028} \"q\""}]}})
    );
    // The CLI echoes it as a user message: it decodes as one.
    let msgs = decode_stream(&line);
    let Message::User(u) = &msgs[0] else {
        panic!("{msgs:?}")
    };
    assert_eq!(u.message, m.message);
    let back: UserInputMessage = serde_json::from_slice(&line).unwrap();
    assert_eq!(back, m);

    let with_id = m.clone().with_request_id("req-1").unwrap();
    let v: Value = serde_json::from_slice(&with_id.to_json_line()).unwrap();
    assert_eq!(v["request_id"], "req-1");
    assert!(m.clone().with_request_id("").is_err());
    assert!(m.clone().with_request_id("é".repeat(256)).is_ok());
    let e = m.clone().with_request_id("x".repeat(257)).unwrap_err();
    assert_eq!(e.field, "request_id");
    assert!(e.to_string().contains("1..=256"), "{e}");

    let tool = UserInputMessage::new(vec![ContentBlock::ToolResult {
        tool_use_id: "t".into(),
        content: ToolResultContent::Text("out".into()),
        is_error: false,
    }]);
    let v: Value = serde_json::from_slice(&tool.to_json_line()).unwrap();
    assert_eq!(
        v["message"]["content"][0],
        json!({"type":"tool_result","tool_use_id":"t","content":"out","is_error":false})
    );
}

#[test]
fn shape_errors_name_the_problem() {
    let mut d = Decoder::default();
    d.push(b"{\"type\":\"result\",\"is_error\":false,\"result\":{\"a\":1}}\n");
    let e = d.poll_message().unwrap().unwrap_err();
    let DecodeErrorKind::Shape(msg) = &e.kind else {
        panic!("{e:?}")
    };
    assert!(msg.contains("invalid type"), "{msg}");
    assert!(e.to_string().starts_with("stream-JSON line 1: "), "{e}");
}
