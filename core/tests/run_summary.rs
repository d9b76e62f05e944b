//! `SummaryBuilder`: run-to-completion summaries built from real-shaped transcripts.

use ampere_core::decode::Decoder;
use ampere_core::message::{Message, Usage};
use ampere_core::run::{AgentError, SummaryBuilder};

fn decode_all(text: &str) -> Vec<Message> {
    let mut d = Decoder::default();
    d.push(text.as_bytes());
    d.push_eof();
    let mut out = Vec::new();
    while let Some(item) = d.poll_message() {
        out.push(item.expect("valid line"));
    }
    out
}

const TOOLS_RUN: &str = concat!(
    r#"{"type":"system","subtype":"init","cwd":"/w","session_id":"T-9","tools":["Bash"],"mcp_servers":[]}"#,
    "\n",
    r#"{"type":"assistant","message":{"type":"message","role":"assistant","content":[{"type":"text","text":"let me look"},{"type":"tool_use","id":"tu1","name":"Bash","input":{"cmd":"ls"}}],"stop_reason":"tool_use","usage":{"input_tokens":10,"output_tokens":2,"cache_creation_input_tokens":null,"cache_read_input_tokens":5}},"parent_tool_use_id":null,"session_id":"T-9"}"#,
    "\n",
    r#"{"type":"user","message":{"role":"user","content":[{"type":"tool_result","tool_use_id":"tu1","content":"a.rs\nb.rs","is_error":false}]},"parent_tool_use_id":null,"session_id":"T-9"}"#,
    "\n",
    r#"{"type":"assistant","message":{"type":"message","role":"assistant","content":[{"type":"tool_use","id":"tu2","name":"Read","input":{"path":"x"}}],"stop_reason":"tool_use","usage":{"input_tokens":20,"output_tokens":3}},"parent_tool_use_id":"tu0","session_id":"T-9"}"#,
    "\n",
    r#"{"type":"user","message":{"role":"user","content":[{"type":"tool_result","tool_use_id":"tu2","content":[{"type":"text","text":"no such file"}],"is_error":true}]},"parent_tool_use_id":"tu0","session_id":"T-9"}"#,
    "\n",
    r#"{"type":"assistant","message":{"type":"message","role":"assistant","content":[{"type":"text","text":"two files"}],"stop_reason":"end_turn","usage":{"input_tokens":30,"output_tokens":4}},"parent_tool_use_id":null,"session_id":"T-9"}"#,
    "\n",
    r#"{"type":"result","subtype":"success","duration_ms":1234,"is_error":false,"num_turns":3,"result":"two files","session_id":"T-9","permission_denials":["Bash rm"]}"#,
    "\n",
);

#[test]
fn summary_pairs_tool_calls_with_results_and_sums_usage() {
    let mut b = SummaryBuilder::new();
    for m in decode_all(TOOLS_RUN) {
        b.observe(&m);
    }
    let s = b.finish().expect("success");
    assert_eq!(s.session_id.as_deref(), Some("T-9"));
    assert_eq!(s.result, "two files");
    assert_eq!(s.num_turns, 3);
    assert_eq!(s.duration_ms, 1234);
    assert_eq!(s.message_count, 7);
    assert_eq!(s.permission_denials.len(), 1);
    // No usage on the result: the assistant sum is used, and it adds up.
    assert_eq!(s.usage.input_tokens, 60);
    assert_eq!(s.usage.output_tokens, 9);
    assert_eq!(s.usage.cache_read_input_tokens, 5);
    assert_eq!(s.usage.cache_creation_input_tokens, 0);
    assert_eq!(s.usage, s.assistant_usage);
    assert_eq!(s.tool_calls.len(), 2);
    assert_eq!(s.tool_calls[0].name, "Bash");
    assert_eq!(s.tool_calls[0].input["cmd"], "ls");
    assert_eq!(s.tool_calls[0].result.as_deref(), Some("a.rs\nb.rs"));
    assert!(!s.tool_calls[0].is_error);
    assert_eq!(s.tool_calls[1].parent_tool_use_id.as_deref(), Some("tu0"));
    assert_eq!(s.tool_calls[1].result.as_deref(), Some("no such file"));
    assert!(s.tool_calls[1].is_error);
}

#[test]
fn result_usage_wins_when_present() {
    let text = TOOLS_RUN.replace(
        r#""permission_denials":["Bash rm"]"#,
        r#""usage":{"input_tokens":1000,"output_tokens":7}"#,
    );
    let mut b = SummaryBuilder::new();
    for m in decode_all(&text) {
        b.observe(&m);
    }
    let s = b.finish().expect("success");
    assert_eq!(s.usage.input_tokens, 1000);
    assert_eq!(s.assistant_usage.input_tokens, 60);
    assert_eq!(
        s.assistant_usage,
        decode_all(&text)
            .iter()
            .filter_map(|m| match m {
                Message::Assistant(a) => a.message.usage.clone(),
                _ => None,
            })
            .sum::<Usage>()
    );
}

#[test]
fn error_result_and_missing_result_are_errors() {
    let err = r#"{"type":"result","subtype":"error_max_turns","duration_ms":1,"is_error":true,"num_turns":9,"error":"too many turns","session_id":"T"}"#;
    let mut b = SummaryBuilder::new();
    for m in decode_all(err) {
        b.observe(&m);
    }
    match b.finish() {
        Err(AgentError::ErrorResult { subtype, error }) => {
            assert_eq!(subtype, "error_max_turns");
            assert_eq!(error, "too many turns");
        }
        other => panic!("unexpected {other:?}"),
    }
    let mut b = SummaryBuilder::new();
    for m in decode_all(
        TOOLS_RUN
            .lines()
            .take(3)
            .collect::<Vec<_>>()
            .join("\n")
            .as_str(),
    ) {
        b.observe(&m);
    }
    assert!(matches!(b.finish(), Err(AgentError::NoResult)));
}

#[test]
fn finish_with_prefers_the_agents_error_result_over_the_exit_error() {
    let process = AgentError::Process {
        exit_code: Some(1),
        signal: None,
        stderr: String::new(),
    };
    let err = r#"{"type":"result","subtype":"error_during_execution","duration_ms":1,"is_error":true,"num_turns":1,"error":"boom","session_id":"T"}"#;
    let mut b = SummaryBuilder::new();
    for m in decode_all(err) {
        b.observe(&m);
    }
    assert!(matches!(
        b.finish_with(Err(process.clone())),
        Err(AgentError::ErrorResult { ref error, .. }) if error == "boom"
    ));
    // Without an error result, the final error is the answer.
    let mut b = SummaryBuilder::new();
    for m in decode_all(
        TOOLS_RUN
            .lines()
            .take(2)
            .collect::<Vec<_>>()
            .join("\n")
            .as_str(),
    ) {
        b.observe(&m);
    }
    assert_eq!(b.finish_with(Err(process.clone())), Err(process));
    // A success result with a clean end is a summary.
    let mut b = SummaryBuilder::new();
    for m in decode_all(TOOLS_RUN) {
        b.observe(&m);
    }
    assert_eq!(b.finish_with(Ok(())).expect("summary").result, "two files");
}
