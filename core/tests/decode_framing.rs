//! Framing behaviour of the stream-JSON `Decoder`: chunking, line endings, limits, errors.

use ampere_core::decode::{DecodeError, DecodeErrorKind, Decoder, DecoderConfig};
use ampere_core::message::{ContentBlock, Message, ToolResultContent};
use proptest::prelude::*;

type Item = Result<Message, DecodeError>;

/// Pushes `bytes` split at the given chunk sizes (cycled), draining after every push, and
/// checks the memory bound after every push.
fn run(bytes: &[u8], chunks: &[usize], config: DecoderConfig) -> (Vec<Item>, Decoder) {
    let mut d = Decoder::new(config);
    let mut out = Vec::new();
    let mut pos = 0;
    let mut i = 0;
    while pos < bytes.len() {
        let n = chunks
            .get(i % chunks.len().max(1))
            .copied()
            .unwrap_or(1)
            .max(1);
        let end = (pos + n).min(bytes.len());
        d.push(&bytes[pos..end]);
        assert!(
            d.buffered_len() <= config.max_line_len,
            "buffered {} > limit {}",
            d.buffered_len(),
            config.max_line_len
        );
        while let Some(item) = d.poll_message() {
            out.push(item);
        }
        pos = end;
        i += 1;
    }
    d.push_eof();
    while let Some(item) = d.poll_message() {
        out.push(item);
    }
    assert!(d.is_finished());
    (out, d)
}

fn one_shot(bytes: &[u8], config: DecoderConfig) -> Vec<Item> {
    run(bytes, &[bytes.len().max(1)], config).0
}

fn ok(items: &[Item]) -> Vec<&Message> {
    items.iter().filter_map(|i| i.as_ref().ok()).collect()
}

fn errors(items: &[Item]) -> Vec<&DecodeError> {
    items.iter().filter_map(|i| i.as_ref().err()).collect()
}

const SYSTEM: &str = r#"{"type":"system","subtype":"init","cwd":"/tmp/ü","session_id":"T-1","tools":["Bash"],"mcp_servers":[{"name":"pw","status":"connected"}]}"#;
const USER: &str = r#"{"type":"user","message":{"role":"user","content":[{"type":"text","text":"日本語 ünï \u2028 ok"}]},"parent_tool_use_id":null,"session_id":"T-1"}"#;
const ASSISTANT: &str = r#"{"type":"assistant","message":{"type":"message","role":"assistant","content":[{"type":"text","text":"é"},{"type":"tool_use","id":"tu1","name":"Read","input":{"path":"a"}}],"stop_reason":"tool_use"},"parent_tool_use_id":null,"session_id":"T-1"}"#;
const RESULT: &str = r#"{"type":"result","subtype":"success","is_error":false,"result":"done ✓","duration_ms":5,"num_turns":2,"session_id":"T-1"}"#;

fn transcript(ending: &str) -> Vec<u8> {
    [SYSTEM, USER, ASSISTANT, RESULT]
        .iter()
        .flat_map(|l| [l.as_bytes(), ending.as_bytes()].concat())
        .collect()
}

#[test]
fn every_chunking_gives_the_same_items() {
    let bytes = transcript("\n");
    let whole = one_shot(&bytes, DecoderConfig::default());
    assert_eq!(ok(&whole).len(), 4);
    assert!(errors(&whole).is_empty());
    for size in 1..=bytes.len().min(64) {
        let (items, _) = run(&bytes, &[size], DecoderConfig::default());
        assert_eq!(items, whole, "chunk size {size}");
    }
}

#[test]
fn crlf_endings_are_stripped_even_when_split_between_cr_and_lf() {
    let lf = one_shot(&transcript("\n"), DecoderConfig::default());
    let bytes = transcript("\r\n");
    let crlf = one_shot(&bytes, DecoderConfig::default());
    assert_eq!(crlf, lf);
    // Split right between every \r and its \n.
    let mut cuts = Vec::new();
    let mut last = 0;
    for (i, w) in bytes.windows(2).enumerate() {
        if w == b"\r\n" {
            cuts.push(i + 1 - last);
            last = i + 1;
        }
    }
    let (items, _) = run(&bytes, &cuts, DecoderConfig::default());
    assert_eq!(items, lf);
}

#[test]
fn a_lone_cr_does_not_end_a_line() {
    let bytes = format!("{SYSTEM}\r{RESULT}\n");
    let items = one_shot(bytes.as_bytes(), DecoderConfig::default());
    assert_eq!(items.len(), 1);
    let e = items[0].as_ref().unwrap_err();
    assert_eq!(e.line, 1);
    assert!(matches!(e.kind, DecodeErrorKind::InvalidJson(_)), "{e}");
}

#[test]
fn unicode_line_separators_do_not_split_lines() {
    let line = "{\"type\":\"user\",\"message\":{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"a\u{2028}b\u{2029}c\u{85}d\"}]},\"session_id\":\"T\"}\n";
    let items = one_shot(line.as_bytes(), DecoderConfig::default());
    assert_eq!(items.len(), 1);
    let Ok(Message::User(u)) = &items[0] else {
        panic!("expected a user message: {:?}", items[0])
    };
    assert_eq!(u.text(), "a\u{2028}b\u{2029}c\u{85}d");
}

#[test]
fn blank_lines_are_skipped_but_counted() {
    let bytes = format!("\n   \n\t\r\n\r\n{SYSTEM}\n \n{{bad\n{RESULT}\n\n");
    let (items, d) = run(bytes.as_bytes(), &[3], DecoderConfig::default());
    assert_eq!(items.len(), 3);
    assert!(matches!(items[0], Ok(Message::System(_))));
    let e = items[1].as_ref().unwrap_err();
    assert_eq!(e.line, 7);
    assert!(matches!(e.kind, DecodeErrorKind::InvalidJson(_)));
    assert_eq!(e.excerpt, "{bad");
    assert!(matches!(items[2], Ok(Message::Result(_))));
    assert_eq!(d.lines_seen(), 9);
}

#[test]
fn last_line_without_newline_is_decoded_at_eof_only() {
    let mut d = Decoder::default();
    d.push(SYSTEM.as_bytes());
    assert!(d.poll_message().is_none());
    assert_eq!(d.buffered_len(), SYSTEM.len());
    assert!(!d.is_finished());
    d.push_eof();
    assert!(!d.is_finished(), "an item is still waiting");
    assert!(matches!(d.poll_message(), Some(Ok(Message::System(_)))));
    assert!(d.poll_message().is_none());
    assert!(d.is_finished());
    assert_eq!(d.buffered_len(), 0);
    // Input after EOF is ignored.
    d.push(format!("{RESULT}\n").as_bytes());
    assert!(d.poll_message().is_none());
    assert_eq!(d.lines_seen(), 1);
}

#[test]
fn last_line_with_cr_only_at_eof() {
    let bytes = format!("{SYSTEM}\n{RESULT}\r");
    let items = one_shot(bytes.as_bytes(), DecoderConfig::default());
    assert_eq!(ok(&items).len(), 2);
}

#[test]
fn overlong_line_is_one_error_and_neighbours_survive() {
    let limit = 200;
    let long = format!(
        r#"{{"type":"user","message":{{"role":"user","content":"{}"}}}}"#,
        "x".repeat(500)
    );
    let bytes = format!("{SYSTEM}\n{long}\n{RESULT}\n");
    assert!(SYSTEM.len() <= limit && RESULT.len() <= limit);
    let config = DecoderConfig {
        max_line_len: limit,
    };
    let whole = one_shot(bytes.as_bytes(), config);
    assert_eq!(whole.len(), 3);
    assert!(matches!(whole[0], Ok(Message::System(_))));
    let e = whole[1].as_ref().unwrap_err();
    assert_eq!(e.line, 2);
    assert_eq!(e.kind, DecodeErrorKind::LineTooLong { limit });
    assert!(e.excerpt.starts_with(r#"{"type":"user""#));
    let text = e.to_string();
    assert!(text.contains("line 2"), "{text}");
    assert!(text.contains("limit of 200 bytes"), "{text}");
    assert!(matches!(whole[2], Ok(Message::Result(_))));
    for size in [1, 2, 7, 64, 199, 200, 201, 333] {
        let (items, _) = run(bytes.as_bytes(), &[size], config);
        assert_eq!(items, whole, "chunk size {size}");
    }
}

#[test]
fn overlong_bytes_are_dropped_as_they_arrive() {
    let config = DecoderConfig { max_line_len: 16 };
    let mut d = Decoder::new(config);
    d.push(b"{\"type\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
    assert_eq!(d.buffered_len(), 0, "an overlong line is not buffered");
    let e = d.poll_message().unwrap().unwrap_err();
    assert_eq!(e.kind, DecodeErrorKind::LineTooLong { limit: 16 });
    assert_eq!(e.line, 1);
    for _ in 0..1000 {
        d.push(&[b'z'; 4096]);
        assert_eq!(d.buffered_len(), 0);
        assert!(d.poll_message().is_none(), "only one error per line");
    }
    d.push(b"zz\n{\"type\":\"x\"}\n{\"type\"");
    assert_eq!(d.buffered_len(), 7);
    let Some(Ok(Message::Unknown(u))) = d.poll_message() else {
        panic!("the line after the overlong one decodes")
    };
    assert_eq!(u.message_type(), "x");
    assert_eq!(d.lines_seen(), 2);
    d.push(b":\"y\"}");
    d.push_eof();
    assert!(matches!(d.poll_message(), Some(Ok(Message::Unknown(_)))));
    assert_eq!(d.lines_seen(), 3);
}

#[test]
fn overlong_partial_line_at_eof_reports_once() {
    let config = DecoderConfig { max_line_len: 8 };
    let (items, d) = run(b"{\"type\":\"a\"}", &[5], config);
    assert_eq!(items.len(), 1);
    assert_eq!(items[0].as_ref().unwrap_err().line, 1);
    assert_eq!(d.lines_seen(), 1);
}

#[test]
fn limit_is_inclusive() {
    let line = r#"{"type":"x"}"#;
    let config = DecoderConfig {
        max_line_len: line.len(),
    };
    let items = one_shot(format!("{line}\n{line}").as_bytes(), config);
    assert_eq!(ok(&items).len(), 2);
    // The `\r` of a CRLF counts towards the limit (it is part of the line's bytes).
    let items = one_shot(format!("{line}\r\n").as_bytes(), config);
    assert!(matches!(
        items[0].as_ref().unwrap_err().kind,
        DecodeErrorKind::LineTooLong { .. }
    ));
    let items = one_shot(format!("{line} \n").as_bytes(), config);
    assert_eq!(errors(&items).len(), 1);
}

#[test]
fn invalid_utf8_is_reported_with_line_and_excerpt() {
    let mut bytes = format!("{SYSTEM}\n").into_bytes();
    bytes.extend_from_slice(b"{\"type\":\"user\",\"x\":\"\xff\xfe\"}\n");
    bytes.extend_from_slice(format!("{RESULT}\n").as_bytes());
    let items = one_shot(&bytes, DecoderConfig::default());
    assert_eq!(items.len(), 3);
    let e = items[1].as_ref().unwrap_err();
    assert_eq!(e.line, 2);
    assert_eq!(e.kind, DecodeErrorKind::InvalidUtf8);
    assert_eq!(e.excerpt, "{\"type\":\"user\",\"x\":\"\u{fffd}\u{fffd}\"}");
    assert!(matches!(items[2], Ok(Message::Result(_))));
}

#[test]
fn invalid_utf8_in_an_ignored_field_is_still_an_error() {
    let bytes =
        b"{\"type\":\"result\",\"is_error\":false,\"result\":\"r\",\"junk\":\"\xc3\x28\"}\n";
    let items = one_shot(bytes, DecoderConfig::default());
    assert_eq!(
        items[0].as_ref().unwrap_err().kind,
        DecodeErrorKind::InvalidUtf8
    );
}

#[test]
fn split_inside_a_multibyte_character() {
    let bytes = transcript("\n");
    // Cut inside every multi-byte character.
    let mut cuts = Vec::new();
    let mut last = 0;
    for (i, b) in bytes.iter().enumerate() {
        if (0x80..0xc0).contains(b) {
            cuts.push(i - last);
            last = i;
        }
    }
    cuts.push(bytes.len());
    let (items, _) = run(&bytes, &cuts, DecoderConfig::default());
    assert_eq!(items, one_shot(&bytes, DecoderConfig::default()));
    assert_eq!(ok(&items).len(), 4);
}

#[test]
fn json_and_shape_errors_are_classified() {
    type Check = fn(&DecodeErrorKind) -> bool;
    let cases: &[(&str, Check)] = &[
        ("{", |k| matches!(k, DecodeErrorKind::InvalidJson(_))),
        ("nope", |k| matches!(k, DecodeErrorKind::InvalidJson(_))),
        (r#"{"type":"x"} trailing"#, |k| {
            matches!(k, DecodeErrorKind::InvalidJson(_))
        }),
        ("42", |k| matches!(k, DecodeErrorKind::Shape(_))),
        ("[]", |k| matches!(k, DecodeErrorKind::Shape(_))),
        ("{}", |k| matches!(k, DecodeErrorKind::Shape(_))),
        (
            r#"{"session_id":"T"}"#,
            |k| matches!(k, DecodeErrorKind::Shape(m) if m.contains("type")),
        ),
        (r#"{"type":7}"#, |k| matches!(k, DecodeErrorKind::Shape(_))),
        (r#"{"type":"result","is_error":false,"result":5}"#, |k| {
            matches!(k, DecodeErrorKind::Shape(_))
        }),
        (
            r#"{"type":"result","subtype":"success","is_error":false}"#,
            |k| matches!(k, DecodeErrorKind::Shape(m) if m.contains("result")),
        ),
        (r#"{"type":"assistant","message":"hi"}"#, |k| {
            matches!(k, DecodeErrorKind::Shape(_))
        }),
        (
            r#"{"type":"assistant"}"#,
            |k| matches!(k, DecodeErrorKind::Shape(m) if m.contains("message")),
        ),
        (
            r#"{"type":"user","message":{"content":[{"type":"text"}]}}"#,
            |k| matches!(k, DecodeErrorKind::Shape(m) if m.contains("text")),
        ),
        (r#"{"type":"system","tools":"Bash"}"#, |k| {
            matches!(k, DecodeErrorKind::Shape(_))
        }),
        (
            r#"{"type":"result","is_error":false,"result":"x","duration_ms":-1}"#,
            |k| matches!(k, DecodeErrorKind::Shape(_)),
        ),
    ];
    for (line, check) in cases {
        let bytes = format!("{SYSTEM}\n{line}\n{RESULT}\n");
        let items = one_shot(bytes.as_bytes(), DecoderConfig::default());
        assert_eq!(items.len(), 3, "{line}");
        let e = items[1].as_ref().unwrap_err();
        assert_eq!(e.line, 2, "{line}");
        assert!(check(&e.kind), "{line}: {:?}", e.kind);
        assert_eq!(&e.excerpt, line);
        assert!(items[0].is_ok() && items[2].is_ok(), "{line}");
    }
}

#[test]
fn long_bad_line_excerpt_is_short() {
    let line = format!("{{\"type\":\"user\",\"message\":{}", "é".repeat(10_000));
    let items = one_shot(line.as_bytes(), DecoderConfig::default());
    let e = items[0].as_ref().unwrap_err();
    assert!(e.excerpt.chars().count() <= 120);
    assert!(e.excerpt.starts_with("{\"type\":\"user\""));
    assert!(e.to_string().len() < 600);
}

#[test]
fn unknown_types_never_end_the_stream() {
    let bytes = format!(
        "{SYSTEM}\n{}\n{}\n{RESULT}\n",
        r#"{"type":"progress","pct":5,"session_id":"T-1"}"#,
        r#"{"type":"assistant","message":{"role":"assistant","content":[{"type":"image","source":{"data":"x"}}],"stop_reason":"brand_new"},"session_id":"T-1"}"#,
    );
    let items = one_shot(bytes.as_bytes(), DecoderConfig::default());
    assert!(errors(&items).is_empty(), "{items:?}");
    assert_eq!(items.len(), 4);
    let Ok(Message::Unknown(u)) = &items[1] else {
        panic!("expected unknown")
    };
    assert_eq!(u.message_type(), "progress");
    assert_eq!(u.raw["pct"], 5);
    assert_eq!(items[1].as_ref().unwrap().session_id(), Some("T-1"));
}

fn pool_line(i: usize) -> String {
    match i % 10 {
        0 => SYSTEM.to_owned(),
        1 => USER.to_owned(),
        2 => ASSISTANT.to_owned(),
        3 => RESULT.to_owned(),
        4 => String::new(),
        5 => "  \t".to_owned(),
        6 => "{not json".to_owned(),
        7 => r#"{"type":"result","is_error":false,"result":[]}"#.to_owned(),
        8 => r#"{"type":"new_kind","n":1}"#.to_owned(),
        _ => "\u{2028}{\"type\":\"x\"}".to_owned(),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn any_chunking_matches_one_push(
        picks in prop::collection::vec((0usize..10, any::<bool>()), 0..24),
        chunks in prop::collection::vec(1usize..80, 1..16),
        final_newline in any::<bool>(),
        small_limit in 8usize..200,
    ) {
        let mut bytes = Vec::new();
        for (k, (p, crlf)) in picks.iter().enumerate() {
            bytes.extend_from_slice(pool_line(*p).as_bytes());
            if k + 1 < picks.len() || final_newline {
                bytes.extend_from_slice(if *crlf { b"\r\n" } else { b"\n" });
            }
        }
        let whole = one_shot(&bytes, DecoderConfig::default());
        let (items, d) = run(&bytes, &chunks, DecoderConfig::default());
        prop_assert_eq!(&items, &whole);
        let expected_lines = bytes.iter().filter(|b| **b == b'\n').count()
            + usize::from(!bytes.is_empty() && !bytes.ends_with(b"\n"));
        prop_assert_eq!(d.lines_seen(), expected_lines as u64);

        // The same with a limit small enough to cut some lines (the excerpts must match too).
        let config = DecoderConfig { max_line_len: small_limit };
        let whole = one_shot(&bytes, config);
        let (items, d) = run(&bytes, &chunks, config);
        prop_assert_eq!(&items, &whole);
        prop_assert_eq!(d.lines_seen(), expected_lines as u64);
    }

    #[test]
    fn bad_lines_are_reported_at_their_line_and_leave_neighbours_alone(
        kinds in prop::collection::vec(0usize..6, 1..40),
        chunk in 1usize..50,
    ) {
        let good = [SYSTEM, USER, ASSISTANT, RESULT];
        let mut bytes = Vec::new();
        let mut expect_ok = Vec::new();
        let mut expect_err = Vec::new();
        for (i, k) in kinds.iter().enumerate() {
            let line_no = i as u64 + 1;
            match k {
                0..=3 => {
                    bytes.extend_from_slice(good[*k].as_bytes());
                    expect_ok.push(serde_json::from_str::<Message>(good[*k]).unwrap());
                }
                4 => {
                    bytes.extend_from_slice(b"{\"type\":\"user\",\xff}");
                    expect_err.push((line_no, DecodeErrorKind::InvalidUtf8));
                }
                _ => {
                    bytes.extend_from_slice(b"{\"type\":\"result\",\"is_error\":false,\"result\":1}");
                    expect_err.push((line_no, DecodeErrorKind::Shape(String::new())));
                }
            }
            bytes.push(b'\n');
        }
        let (items, _) = run(&bytes, &[chunk], DecoderConfig::default());
        let got_ok: Vec<Message> = ok(&items).into_iter().cloned().collect();
        prop_assert_eq!(got_ok, expect_ok);
        let got_err: Vec<(u64, bool)> = errors(&items)
            .iter()
            .map(|e| (e.line, e.kind == DecodeErrorKind::InvalidUtf8))
            .collect();
        let want_err: Vec<(u64, bool)> = expect_err
            .iter()
            .map(|(l, k)| (*l, *k == DecodeErrorKind::InvalidUtf8))
            .collect();
        prop_assert_eq!(got_err, want_err);
    }

    #[test]
    fn overlong_lines_with_small_limits(
        lens in prop::collection::vec(0usize..300, 1..20),
        limit in 14usize..200,
        chunks in prop::collection::vec(1usize..120, 1..8),
    ) {
        // Each line is a valid unknown message of total length 14 + len.
        let mut bytes = Vec::new();
        let mut expected = Vec::new();
        for (i, len) in lens.iter().enumerate() {
            let line = format!(r#"{{"type":"p{}"}}"#, "a".repeat(*len));
            if line.len() > limit {
                expected.push(Err(i as u64 + 1));
            } else {
                expected.push(Ok(format!("p{}", "a".repeat(*len))));
            }
            bytes.extend_from_slice(line.as_bytes());
            bytes.push(b'\n');
        }
        let config = DecoderConfig { max_line_len: limit };
        let (items, d) = run(&bytes, &chunks, config);
        let got: Vec<Result<String, u64>> = items
            .iter()
            .map(|i| match i {
                Ok(Message::Unknown(u)) => Ok(u.message_type().to_owned()),
                Ok(other) => Ok(format!("unexpected {other:?}")),
                Err(e) => {
                    assert_eq!(&e.kind, &DecodeErrorKind::LineTooLong { limit });
                    Err(e.line)
                }
            })
            .collect();
        prop_assert_eq!(got, expected);
        prop_assert_eq!(d.lines_seen(), lens.len() as u64);
    }

    #[test]
    fn buffer_stays_bounded_without_draining(
        data in prop::collection::vec(prop_oneof![Just(b'\n'), Just(b'a'), any::<u8>()], 0..2000),
        limit in 1usize..64,
        chunk in 1usize..300,
    ) {
        let mut d = Decoder::new(DecoderConfig { max_line_len: limit });
        for c in data.chunks(chunk) {
            d.push(c);
            prop_assert!(d.buffered_len() <= limit);
        }
        d.push_eof();
        prop_assert_eq!(d.buffered_len(), 0);
    }
}

#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    fn nested(depth: usize) -> String {
        let mut inner = r#"{"type":"text","text":"x"}"#.to_owned();
        for i in 0..depth {
            inner = format!(r#"{{"type":"tool_result","tool_use_id":"t{i}","content":[{inner}]}}"#);
        }
        format!(r#"{{"type":"user","message":{{"role":"user","content":[{inner}]}}}}"#)
    }
    let ok_line = nested(30);
    let deep_line = nested(5_000);
    let bytes = format!("{ok_line}\n{deep_line}\n{RESULT}\n");
    let items = one_shot(bytes.as_bytes(), DecoderConfig::default());
    assert_eq!(items.len(), 3);
    assert!(matches!(items[0], Ok(Message::User(_))));
    let e = items[1].as_ref().unwrap_err();
    assert_eq!(e.line, 2);
    assert!(matches!(items[2], Ok(Message::Result(_))));
    // The same with `type` last at every level (the buffered path), as deep as serde_json
    // allows.
    let mut inner = r#"{"text":"x","type":"text"}"#.to_owned();
    for _ in 0..60 {
        inner = format!(r#"{{"content":[{inner}],"tool_use_id":"t","type":"tool_result"}}"#);
    }
    let line = format!(r#"{{"message":{{"content":[{inner}]}},"type":"user"}}"#);
    let items = one_shot(line.as_bytes(), DecoderConfig::default());
    let Ok(Message::User(u)) = &items[0] else {
        panic!("{:?}", items[0])
    };
    let mut block = &u.message.content[0];
    for _ in 0..60 {
        let ContentBlock::ToolResult {
            content: ToolResultContent::Blocks(b),
            ..
        } = block
        else {
            panic!("expected nested tool results")
        };
        block = &b[0];
    }
    assert_eq!(block.as_text(), Some("x"));
    // Deep unknown JSON inside a known message is refused the same way.
    let deep_value = format!(
        r#"{{"type":"progress","x":{}1{}}}"#,
        "[".repeat(10_000),
        "]".repeat(10_000)
    );
    let items = one_shot(deep_value.as_bytes(), DecoderConfig::default());
    assert!(items[0].is_err());
}
