//! Decoding the fixtures (real CLI output, `tests/fixtures/`) and generated transcripts
//! (`ampere-transcript`).
#![allow(clippy::disallowed_methods, clippy::disallowed_types)]

use std::path::PathBuf;

use ampere_core::decode::{Decoder, DecoderConfig};
use ampere_core::message::{
    ContentBlock, McpServerState, Message, StopReason, ToolResultContent, Usage,
};
use ampere_transcript::{generate, Options};

/// A fixture under `core/tests/fixtures/` (real CLI output).
fn fixture(name: &str) -> Vec<u8> {
    let path = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures")).join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

fn decode_all(bytes: &[u8], config: DecoderConfig, chunk: usize) -> Vec<Message> {
    let mut d = Decoder::new(config);
    let mut out = Vec::new();
    for c in bytes.chunks(chunk.max(1)) {
        d.push(c);
        while let Some(item) = d.poll_message() {
            out.push(item.unwrap_or_else(|e| panic!("unexpected decode error: {e}")));
        }
    }
    d.push_eof();
    while let Some(item) = d.poll_message() {
        out.push(item.unwrap_or_else(|e| panic!("unexpected decode error: {e}")));
    }
    assert!(d.is_finished());
    out
}

#[test]
fn fixture_2plus2_decodes_to_typed_messages() {
    let bytes = fixture("stream-json-2plus2.jsonl");
    let msgs = decode_all(&bytes, DecoderConfig::default(), bytes.len());
    assert_eq!(msgs.len(), 4);
    let sid = "T-2775dc92-90ed-4f85-8b73-8f9766029e83";
    for m in &msgs {
        assert_eq!(m.session_id(), Some(sid));
    }

    let Message::System(sys) = &msgs[0] else {
        panic!("first message should be system: {:?}", msgs[0])
    };
    assert!(sys.is_init());
    assert_eq!(sys.cwd, "/Users/mrnugget/work/amp");
    assert_eq!(sys.tools, ["oracle", "..."]);
    assert!(sys.mcp_servers.is_empty());

    let Message::User(user) = &msgs[1] else {
        panic!("second message should be user: {:?}", msgs[1])
    };
    assert_eq!(user.text(), "what is 2+2?");
    assert_eq!(user.parent_tool_use_id, None);

    let Message::Assistant(a) = &msgs[2] else {
        panic!("third message should be assistant: {:?}", msgs[2])
    };
    assert_eq!(a.text(), "2 + 2 equals 4.");
    assert_eq!(a.message.stop_reason, Some(StopReason::EndTurn));
    assert_eq!(a.tool_uses().count(), 0);
    assert_eq!(
        msgs[2].usage(),
        Some(&Usage {
            input_tokens: 12783,
            output_tokens: 8,
            cache_creation_input_tokens: 367,
            cache_read_input_tokens: 12416,
            service_tier: Some("standard".into()),
            max_tokens: Some(224000),
        })
    );

    assert!(msgs[3].is_success_result());
    let Message::Result(r) = &msgs[3] else {
        panic!("last message should be a result: {:?}", msgs[3])
    };
    assert_eq!(r.result(), "2 + 2 equals 4.");
    assert_eq!(r.duration_ms, 2906);
    assert_eq!(r.num_turns, 1);
    assert_eq!(r.subtype, "success");
}

#[test]
fn fixture_hello_cut_before_result() {
    let bytes = fixture("stream-json-hello.jsonl");
    let msgs = decode_all(&bytes, DecoderConfig::default(), 7);
    assert_eq!(msgs.len(), 3);
    assert!(!msgs.iter().any(Message::is_result));
    let Message::System(sys) = &msgs[0] else {
        panic!("expected system: {:?}", msgs[0])
    };
    assert_eq!(sys.tools.len(), 23);
    assert!(sys.tools.iter().any(|t| t == "tb__devflow_engine"));
    let Message::User(u) = &msgs[1] else {
        panic!("expected user: {:?}", msgs[1])
    };
    // The fixture holds a literal backslash before the quote.
    assert_eq!(u.text(), "Say \\'Hello from sandbox-agent test\\'");
    assert_eq!(msgs[2].usage().map(Usage::total_tokens), Some(17266 + 36));
}

#[test]
fn fixtures_reserialize_to_the_same_json() {
    for name in ["stream-json-2plus2.jsonl", "stream-json-hello.jsonl"] {
        let bytes = fixture(name);
        let msgs = decode_all(&bytes, DecoderConfig::default(), 64);
        let lines: Vec<&[u8]> = bytes
            .split(|b| *b == b'\n')
            .filter(|l| !l.is_empty())
            .collect();
        assert_eq!(lines.len(), msgs.len());
        for (line, msg) in lines.iter().zip(&msgs) {
            let original: serde_json::Value = serde_json::from_slice(line).unwrap();
            let again = serde_json::to_value(msg).unwrap();
            assert_eq!(again, original, "{name}: re-serialized message differs");
        }
    }
}

#[test]
fn fixtures_snapshot() {
    for name in ["stream-json-2plus2.jsonl", "stream-json-hello.jsonl"] {
        let bytes = fixture(name);
        let msgs = decode_all(&bytes, DecoderConfig::default(), bytes.len());
        insta::assert_debug_snapshot!(name, msgs);
    }
}

/// Checks the shape of a generated transcript: system, user, then (assistant, user
/// tool_result) per turn, then a final assistant and a success result.
fn check_generated(msgs: &[Message], turns: usize, thinking: bool) {
    assert_eq!(msgs.len(), 2 + 2 * turns + 2);
    let Message::System(sys) = &msgs[0] else {
        panic!("expected system first")
    };
    assert_eq!(sys.mcp_servers.len(), 1);
    assert_eq!(sys.mcp_servers[0].status, McpServerState::Connected);
    let sid = sys.session_id.clone();
    let mut total = Usage::default();
    for t in 0..turns {
        let Message::Assistant(a) = &msgs[2 + 2 * t] else {
            panic!("turn {t}: expected assistant, got {:?}", msgs[2 + 2 * t])
        };
        assert_eq!(a.message.stop_reason, Some(StopReason::ToolUse));
        assert_eq!(a.message.model.as_deref(), Some("claude-x"));
        assert_eq!(
            matches!(a.message.content[0], ContentBlock::Thinking { .. }),
            thinking
        );
        let uses: Vec<_> = a.tool_uses().collect();
        assert_eq!(uses.len(), 1);
        assert!(uses[0].input.is_object());
        total += a.message.usage.clone().expect("usage on every turn");
        let Message::User(u) = &msgs[3 + 2 * t] else {
            panic!("turn {t}: expected user")
        };
        let ContentBlock::ToolResult {
            tool_use_id,
            content: ToolResultContent::Text(body),
            ..
        } = &u.message.content[0]
        else {
            panic!("turn {t}: expected a text tool result")
        };
        assert_eq!(tool_use_id, uses[0].id);
        assert!(!body.is_empty());
        assert_eq!(u.parent_tool_use_id, a.parent_tool_use_id);
    }
    for m in msgs {
        assert_eq!(m.session_id(), Some(sid.as_str()));
    }
    let Message::Result(r) = &msgs[msgs.len() - 1] else {
        panic!("expected a result last")
    };
    assert_eq!(r.num_turns, turns as u64 + 1);
    let run = r.usage.as_ref().expect("run usage");
    assert_eq!(run.input_tokens, total.input_tokens);
    assert_eq!(run.output_tokens, total.output_tokens);
}

#[test]
fn generated_transcript_decodes_with_any_chunk_size() {
    let bytes = generate(&Options::new(30).thinking(true).big_every(10));
    let whole = decode_all(&bytes, DecoderConfig::default(), bytes.len());
    check_generated(&whole, 30, true);
    // The ~1 MB tool results really are there.
    let big = whole
        .iter()
        .filter(|m| {
            serde_json::to_vec(m)
                .map(|v| v.len() > 900_000)
                .unwrap_or(false)
        })
        .count();
    assert_eq!(big, 3);
    for chunk in [1 << 16, 4093, 1000, 17] {
        assert_eq!(
            decode_all(&bytes, DecoderConfig::default(), chunk),
            whole,
            "chunk size {chunk}"
        );
    }
}

#[test]
fn generated_transcript_without_thinking() {
    let bytes = generate(&Options::new(12).seed(7));
    let msgs = decode_all(&bytes, DecoderConfig::default(), 3000);
    check_generated(&msgs, 12, false);
}

#[test]
fn generated_transcript_with_small_limit_skips_only_the_big_lines() {
    let bytes = generate(&Options::new(9).big_every(3));
    let limit = 100_000;
    let mut d = Decoder::new(DecoderConfig {
        max_line_len: limit,
    });
    let mut ok = 0;
    let mut errs = Vec::new();
    for c in bytes.chunks(8192) {
        d.push(c);
        assert!(d.buffered_len() <= limit);
        while let Some(item) = d.poll_message() {
            match item {
                Ok(_) => ok += 1,
                Err(e) => errs.push(e),
            }
        }
    }
    d.push_eof();
    while let Some(item) = d.poll_message() {
        match item {
            Ok(_) => ok += 1,
            Err(e) => errs.push(e),
        }
    }
    // Turns 2, 5 and 8 carry ~1 MB tool results: lines 2 + 2*t + 2 (1-based).
    let lines: Vec<u64> = errs.iter().map(|e| e.line).collect();
    assert_eq!(lines, [8, 14, 20]);
    for e in &errs {
        assert_eq!(
            e.kind,
            ampere_core::decode::DecodeErrorKind::LineTooLong { limit }
        );
        assert!(e.excerpt.starts_with("{\"type\":\"user\""));
    }
    assert_eq!(ok, 2 + 2 * 9 + 2 - 3);
    assert_eq!(d.lines_seen(), 2 + 2 * 9 + 2);
}

#[test]
fn generated_transcript_reserializes_to_the_same_json() {
    let bytes = generate(&Options::new(20).thinking(true).seed(3));
    let msgs = decode_all(&bytes, DecoderConfig::default(), bytes.len());
    let lines: Vec<&[u8]> = bytes
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .collect();
    assert_eq!(lines.len(), msgs.len());
    for (i, (line, msg)) in lines.iter().zip(&msgs).enumerate() {
        let original: serde_json::Value = serde_json::from_slice(line).unwrap();
        let mut again = serde_json::to_value(msg).unwrap();
        // The generator omits cache counts on its last two lines; we write them as 0.
        let ptr = if again.pointer("/usage").is_some() {
            "/usage"
        } else {
            "/message/usage"
        };
        if let Some(u) = again.pointer_mut(ptr) {
            let orig_u = original
                .pointer("/usage")
                .or(original.pointer("/message/usage"))
                .unwrap();
            if let (Some(u), Some(ou)) = (u.as_object_mut(), orig_u.as_object()) {
                u.retain(|k, v| ou.contains_key(k) || v != &serde_json::json!(0));
            }
        }
        assert_eq!(again, original, "line {}", i + 1);
    }
}
