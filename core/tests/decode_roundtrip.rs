//! Serialize-then-decode round trips over generated messages: every message kind, unknown
//! types and blocks, any chunking of a transcript, user input messages.

use ampere_core::decode::Decoder;
use ampere_core::message::{
    AssistantMessage, AssistantMessageDetails, ContentBlock, ErrorResultMessage, ErrorSubtype,
    McpServerState, McpServerStatus, Message, ResultMessage, StopReason, SystemMessage,
    ToolResultContent, UnknownMessage, Usage, UserInputMessage, UserMessage, UserMessageDetails,
};
use proptest::prelude::*;
use serde_json::Value;

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z0-9_ -]{0,12}",
        "(?s).{0,16}",
        Just("line\nbreak \u{2028} \"q\" \\ \t".to_owned()),
    ]
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        text().prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(text(), inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn raw_object(tag: impl Strategy<Value = String>) -> impl Strategy<Value = Value> {
    (
        tag,
        prop::collection::btree_map("[a-z_]{1,8}", json_value(), 0..4),
    )
        .prop_map(|(tag, fields)| {
            let mut obj: serde_json::Map<String, Value> = fields.into_iter().collect();
            obj.insert("type".into(), Value::String(tag));
            Value::Object(obj)
        })
}

fn unknown_tag(known: &'static [&'static str]) -> impl Strategy<Value = String> {
    "[a-z_]{1,12}".prop_filter("not a known type", move |t| !known.contains(&t.as_str()))
}

fn usage() -> impl Strategy<Value = Usage> {
    (
        any::<u64>(),
        any::<u64>(),
        any::<u64>(),
        any::<u64>(),
        prop::option::of(text()),
        prop::option::of(any::<u64>()),
    )
        .prop_map(|(i, o, cc, cr, tier, max)| Usage {
            input_tokens: i,
            output_tokens: o,
            cache_creation_input_tokens: cc,
            cache_read_input_tokens: cr,
            service_tier: tier,
            max_tokens: max,
        })
}

fn block() -> impl Strategy<Value = ContentBlock> {
    let leaf = prop_oneof![
        text().prop_map(|text| ContentBlock::Text { text }),
        (text(), text(), json_value()).prop_map(|(id, name, input)| ContentBlock::ToolUse {
            id,
            name,
            input
        }),
        (text(), prop::option::of(text())).prop_map(|(thinking, signature)| {
            ContentBlock::Thinking {
                thinking,
                signature,
            }
        }),
        (text(), text(), any::<bool>()).prop_map(|(id, t, is_error)| ContentBlock::ToolResult {
            tool_use_id: id,
            content: ToolResultContent::Text(t),
            is_error
        }),
        raw_object(unknown_tag(&[
            "text",
            "tool_use",
            "tool_result",
            "thinking"
        ]))
        .prop_map(ContentBlock::Unknown),
    ];
    leaf.prop_recursive(2, 12, 3, |inner| {
        (text(), prop::collection::vec(inner, 0..3), any::<bool>()).prop_map(
            |(id, blocks, is_error)| ContentBlock::ToolResult {
                tool_use_id: id,
                content: ToolResultContent::Blocks(blocks),
                is_error,
            },
        )
    })
}

fn blocks() -> impl Strategy<Value = Vec<ContentBlock>> {
    prop::collection::vec(block(), 0..4)
}

fn open_text(known: &'static [&'static str]) -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(known).prop_map(str::to_owned),
        "[a-z_-]{0,10}"
    ]
}

fn message() -> impl Strategy<Value = Message> {
    let system = (
        text(),
        text(),
        text(),
        prop::collection::vec(text(), 0..4),
        prop::collection::vec(
            (
                text(),
                open_text(&["connected", "failed", "awaiting-approval"]),
            ),
            0..3,
        ),
    )
        .prop_map(|(subtype, cwd, session_id, tools, servers)| {
            Message::System(SystemMessage {
                subtype,
                cwd,
                session_id,
                tools,
                mcp_servers: servers
                    .into_iter()
                    .map(|(name, s)| McpServerStatus {
                        name,
                        status: McpServerState::from(s),
                    })
                    .collect(),
            })
        });
    let assistant = (
        (
            prop::option::of(text()),
            prop::option::of(text()),
            text(),
            blocks(),
        ),
        (
            prop::option::of(open_text(&["end_turn", "tool_use", "max_tokens"])),
            prop::option::of(text()),
            prop::option::of(usage()),
        ),
        prop::option::of(text()),
        text(),
    )
        .prop_map(
            |((id, model, role, content), (stop, seq, usage), parent, sid)| {
                Message::Assistant(AssistantMessage {
                    message: AssistantMessageDetails {
                        id,
                        model,
                        role,
                        content,
                        stop_reason: stop.map(StopReason::from),
                        stop_sequence: seq,
                        usage,
                    },
                    parent_tool_use_id: parent,
                    session_id: sid,
                })
            },
        );
    let user = (text(), blocks(), prop::option::of(text()), text()).prop_map(
        |(role, content, parent, sid)| {
            Message::User(UserMessage {
                message: UserMessageDetails { role, content },
                parent_tool_use_id: parent,
                session_id: sid,
            })
        },
    );
    let denials = || prop::option::of(prop::collection::vec(json_value(), 0..3));
    let result = (
        text(),
        text(),
        any::<u64>(),
        any::<u64>(),
        prop::option::of(usage()),
        denials(),
        text(),
    )
        .prop_map(|(subtype, result, d, n, usage, denials, sid)| {
            Message::Result(ResultMessage {
                subtype,
                result,
                duration_ms: d,
                num_turns: n,
                usage,
                permission_denials: denials,
                session_id: sid,
            })
        });
    let error_result = (
        open_text(&["error_during_execution", "error_max_turns"]),
        text(),
        any::<u64>(),
        any::<u64>(),
        prop::option::of(usage()),
        denials(),
        text(),
    )
        .prop_map(|(subtype, error, d, n, usage, denials, sid)| {
            Message::ErrorResult(ErrorResultMessage {
                subtype: ErrorSubtype::from(subtype),
                error,
                duration_ms: d,
                num_turns: n,
                usage,
                permission_denials: denials,
                session_id: sid,
            })
        });
    let unknown = raw_object(unknown_tag(&["system", "assistant", "user", "result"]))
        .prop_map(|raw| Message::Unknown(UnknownMessage { raw }));
    prop_oneof![system, assistant, user, result, error_result, unknown]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn serialize_then_decode_gives_the_same_message(m in message()) {
        // Compact serialization is one line: `type` first (fast path).
        let line = serde_json::to_vec(&m).unwrap();
        prop_assert!(!line.contains(&b'\n'));
        let back: Message = serde_json::from_slice(&line).unwrap();
        prop_assert_eq!(&back, &m);
        // Through a Value the keys come out sorted, so `type` is usually not first
        // (slow path): same message.
        let sorted = serde_json::to_vec(&serde_json::to_value(&m).unwrap()).unwrap();
        let back: Message = serde_json::from_slice(&sorted).unwrap();
        prop_assert_eq!(&back, &m);
    }

    #[test]
    fn a_serialized_transcript_decodes_back_under_any_chunking(
        msgs in prop::collection::vec(message(), 0..8),
        chunk in 1usize..97,
    ) {
        let mut bytes = Vec::new();
        for m in &msgs {
            serde_json::to_writer(&mut bytes, m).unwrap();
            bytes.push(b'\n');
        }
        let mut d = Decoder::default();
        let mut out = Vec::new();
        for c in bytes.chunks(chunk) {
            d.push(c);
            while let Some(item) = d.poll_message() {
                out.push(item.unwrap());
            }
        }
        d.push_eof();
        while let Some(item) = d.poll_message() {
            out.push(item.unwrap());
        }
        prop_assert_eq!(out, msgs);
    }

    #[test]
    fn user_input_messages_round_trip(content in blocks(), id in prop::option::of("[a-zA-Z0-9-]{1,40}")) {
        let mut m = UserInputMessage::new(content);
        if let Some(id) = id {
            m = m.with_request_id(id).unwrap();
        }
        let line = m.to_json_line();
        prop_assert_eq!(line.iter().filter(|b| **b == b'\n').count(), 1);
        prop_assert_eq!(line.last(), Some(&b'\n'));
        let back: UserInputMessage = serde_json::from_slice(&line).unwrap();
        prop_assert_eq!(back, m);
    }
}
