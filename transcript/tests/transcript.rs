//! The generator's contract: deterministic from its options, every line a message ampere's
//! decoder reads, the size options honoured, and the bytes of the Python original.

use std::process::Command;

use ampere_core::decode::{Decoder, DecoderConfig};
use ampere_core::message::{ContentBlock, Message, ToolResultContent};
use ampere_transcript::{generate, write_to, Lines, Options, BIG_RESULT_SIZE};

fn lines(bytes: &[u8]) -> Vec<&[u8]> {
    assert_eq!(bytes.last(), Some(&b'\n'), "every line ends with a newline");
    bytes[..bytes.len() - 1].split(|b| *b == b'\n').collect()
}

fn decode(bytes: &[u8]) -> Vec<Message> {
    let mut d = Decoder::new(DecoderConfig {
        max_line_len: 8 << 20,
    });
    let mut out = Vec::new();
    d.push(bytes);
    d.push_eof();
    while let Some(item) = d.poll_message() {
        out.push(item.unwrap_or_else(|e| panic!("line {}: {e}", e.line)));
    }
    assert!(d.is_finished());
    out
}

/// FNV-1a, 64 bits.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

#[test]
fn the_same_options_give_the_same_bytes() {
    let opts = Options::new(25).seed(42).thinking(true).big_every(12);
    let a = generate(&opts);
    assert_eq!(a, generate(&opts));
    let mut streamed = Vec::new();
    write_to(&opts, &mut streamed).unwrap();
    assert_eq!(streamed, a);
    let joined: String = Lines::new(&opts).map(|l| l + "\n").collect();
    assert_eq!(joined.as_bytes(), a);
}

#[test]
fn another_seed_gives_another_transcript_of_the_same_shape() {
    let a = generate(&Options::new(10).seed(1));
    let b = generate(&Options::new(10).seed(2));
    assert_ne!(a, b);
    assert_eq!(lines(&a).len(), lines(&b).len());
    let (ma, mb) = (decode(&a), decode(&b));
    assert_ne!(ma[0].session_id(), mb[0].session_id());
    for (x, y) in ma.iter().zip(&mb) {
        assert_eq!(
            std::mem::discriminant(x),
            std::mem::discriminant(y),
            "same message kinds in the same order"
        );
    }
}

/// `python3 gen_transcript.py --turns 40 --thinking --big-every 20 --seed 11` (the generator
/// this crate ports) printed exactly these bytes: 2,595,477 of them with this FNV-1a hash.
#[test]
fn matches_the_python_original_byte_for_byte() {
    let bytes = generate(&Options::new(40).thinking(true).big_every(20).seed(11));
    assert_eq!(bytes.len(), 2_595_477);
    assert_eq!(fnv1a(&bytes), 0xffe7_477f_261f_3e9f);
}

#[test]
fn every_line_decodes_and_is_the_documented_shape() {
    for opts in [
        Options::default(),
        Options::new(0),
        Options::new(30).thinking(true).big_every(10).seed(5),
        Options::new(7).seed(u64::MAX),
    ] {
        let bytes = generate(&opts);
        let msgs = decode(&bytes);
        let turns = opts.turns as usize;
        assert_eq!(msgs.len() as u64, opts.line_count(), "{opts:?}");
        assert_eq!(lines(&bytes).len(), msgs.len());
        let Message::System(sys) = &msgs[0] else {
            panic!("system first: {:?}", msgs[0])
        };
        assert!(sys.is_init());
        assert_eq!(sys.tools, ampere_transcript::TOOLS);
        let sid = sys.session_id.clone();
        assert!(msgs.iter().all(|m| m.session_id() == Some(sid.as_str())));
        assert_eq!(
            msgs[1].clone_user_text(),
            Some("Fix the failing tests".into())
        );
        let (mut total_in, mut total_out) = (0, 0);
        for t in 0..turns {
            let Message::Assistant(a) = &msgs[2 + 2 * t] else {
                panic!("turn {t}: assistant expected")
            };
            assert_eq!(
                matches!(a.message.content[0], ContentBlock::Thinking { .. }),
                opts.thinking
            );
            let usage = a.message.usage.clone().expect("usage");
            total_in += usage.input_tokens;
            total_out += usage.output_tokens;
            let uses: Vec<_> = a.tool_uses().collect();
            assert_eq!(uses.len(), 1);
            let Message::User(u) = &msgs[3 + 2 * t] else {
                panic!("turn {t}: tool result expected")
            };
            let ContentBlock::ToolResult { tool_use_id, .. } = &u.message.content[0] else {
                panic!("turn {t}: tool result expected")
            };
            assert_eq!(tool_use_id, uses[0].id);
            assert_eq!(u.parent_tool_use_id, a.parent_tool_use_id);
        }
        assert!(msgs[msgs.len() - 2].is_assistant_text("All tests pass now."));
        let Message::Result(r) = &msgs[msgs.len() - 1] else {
            panic!("result last")
        };
        assert!(msgs[msgs.len() - 1].is_success_result());
        assert_eq!(r.num_turns, opts.turns + 1);
        let usage = r.usage.as_ref().expect("run usage");
        assert_eq!(
            (usage.input_tokens, usage.output_tokens),
            (total_in, total_out)
        );
    }
}

/// The characters of each turn's tool result.
fn result_sizes(msgs: &[Message]) -> Vec<usize> {
    msgs.iter()
        .filter_map(|m| match m {
            Message::User(u) => match u.message.content.first() {
                Some(ContentBlock::ToolResult {
                    content: ToolResultContent::Text(body),
                    ..
                }) => Some(body.chars().count()),
                _ => None,
            },
            _ => None,
        })
        .collect()
}

#[test]
fn big_every_makes_every_kth_tool_result_a_megabyte() {
    let bytes = generate(&Options::new(9).big_every(3).seed(4));
    let msgs = decode(&bytes);
    let sizes = result_sizes(&msgs);
    assert_eq!(sizes.len(), 9);
    for (t, size) in sizes.iter().enumerate() {
        // Lines 1-2 are the init and the prompt; turn t's tool result is line 4 + 2t.
        let line_len = lines(&bytes)[3 + 2 * t].len();
        if t % 3 == 2 {
            assert!(
                (BIG_RESULT_SIZE * 9 / 10..=BIG_RESULT_SIZE).contains(size),
                "turn {t}: {size}"
            );
            assert!(
                (1_000_000..1_200_000).contains(&line_len),
                "turn {t}: {line_len} bytes"
            );
        } else {
            assert!(line_len < 40_000, "turn {t}: {line_len} bytes");
            assert!((1..=20_000).contains(size), "turn {t}: {size}");
        }
    }
    // Without big_every no result exceeds 20,000 characters.
    let msgs = decode(&generate(&Options::new(60).seed(4)));
    assert!(result_sizes(&msgs).iter().all(|s| *s <= 20_000));
}

#[test]
fn size_grows_with_turns() {
    let small = generate(&Options::new(10)).len();
    let large = generate(&Options::new(100)).len();
    // About 8 KB of tool result per turn on average.
    assert!(large > 5 * small, "{small} -> {large}");
    assert!((400_000..2_000_000).contains(&large), "{large}");
}

#[test]
fn the_binary_writes_the_library_output() {
    let out = Command::new(env!("CARGO_BIN_EXE_gen-transcript"))
        .args([
            "--turns",
            "6",
            "--thinking",
            "--seed",
            "9",
            "--big-every",
            "4",
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(
        out.stdout,
        generate(&Options::new(6).thinking(true).seed(9).big_every(4))
    );
    let help = Command::new(env!("CARGO_BIN_EXE_gen-transcript"))
        .arg("--help")
        .output()
        .unwrap();
    assert!(help.status.success());
    assert!(String::from_utf8_lossy(&help.stdout).contains("--big-every"));
    let bad = Command::new(env!("CARGO_BIN_EXE_gen-transcript"))
        .arg("--turns=x")
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
    assert!(bad.stdout.is_empty());
}

trait MessageExt {
    fn clone_user_text(&self) -> Option<String>;
    fn is_assistant_text(&self, text: &str) -> bool;
}

impl MessageExt for Message {
    fn clone_user_text(&self) -> Option<String> {
        match self {
            Message::User(u) => Some(u.text()),
            _ => None,
        }
    }

    fn is_assistant_text(&self, text: &str) -> bool {
        matches!(self, Message::Assistant(a) if a.text() == text)
    }
}
