//! Fuzzes the stream-JSON decoder: arbitrary bytes pushed in arbitrary chunks with a small
//! line limit. Checks: no panic, the buffer stays within `max_line_len + chunk_len` after every
//! push, the items equal those of a one-shot push, and the decoder's SIMD path (simd-json)
//! agrees with serde_json on every line it takes.
#![no_main]

use ampere_core::decode::{DecodeError, Decoder, DecoderConfig};
use ampere_core::message::Message;
use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;

#[derive(Debug, Arbitrary)]
struct Input {
    /// Line limit, kept small so overlong lines are common.
    max_line_len: u8,
    /// Chunk sizes, cycled (0 is read as 1).
    chunks: Vec<u8>,
    /// Whether to poll after every push, or only at the end.
    drain_each_push: bool,
    /// The input, built from pieces so that real messages show up often.
    pieces: Vec<Piece>,
}

#[derive(Debug, Arbitrary)]
enum Piece {
    /// Arbitrary bytes.
    Raw(Vec<u8>),
    /// One of the known-good lines below (index modulo their number).
    Known(u8),
    /// A known-good line with one byte replaced.
    Mutated(u8, u16, u8),
    /// A line ending.
    Lf,
    /// A CRLF line ending.
    CrLf,
}

const KNOWN: &[&str] = &[
    r#"{"type":"system","subtype":"init","cwd":"/w","session_id":"T-1","tools":["Bash"],"mcp_servers":[{"name":"p","status":"connected"}]}"#,
    r#"{"type":"user","message":{"role":"user","content":[{"type":"text","text":"h\u00e9 ü \n"}]},"parent_tool_use_id":null,"session_id":"T-1"}"#,
    r#"{"type":"assistant","message":{"type":"message","role":"assistant","content":[{"type":"thinking","thinking":"t"},{"type":"tool_use","id":"t1","name":"Read","input":{"p":[1,2.5,null]}}],"stop_reason":"tool_use","usage":{"input_tokens":1,"output_tokens":null,"max_tokens":9,"service_tier":"s"}},"parent_tool_use_id":"x","session_id":"T-1"}"#,
    r#"{"type":"user","message":{"role":"user","content":[{"type":"tool_result","tool_use_id":"t1","content":[{"type":"text","text":"a"},{"type":"img"}],"is_error":true}]},"session_id":"T-1"}"#,
    r#"{"type":"result","subtype":"success","duration_ms":1,"is_error":false,"num_turns":1,"result":"ok","session_id":"T-1"}"#,
    r#"{"type":"result","subtype":"error_max_turns","is_error":true,"error":"e","duration_ms":1,"num_turns":1,"permission_denials":["Bash"]}"#,
    r#"{"session_id":"T-1","type":"novel","x":{"y":[true]}}"#,
];

impl Input {
    fn bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        for p in &self.pieces {
            match p {
                Piece::Raw(b) => out.extend_from_slice(b),
                Piece::Known(i) => {
                    out.extend_from_slice(KNOWN[usize::from(*i) % KNOWN.len()].as_bytes())
                }
                Piece::Mutated(i, at, byte) => {
                    let mut line = KNOWN[usize::from(*i) % KNOWN.len()].as_bytes().to_vec();
                    let at = usize::from(*at) % line.len();
                    line[at] = *byte;
                    out.extend_from_slice(&line);
                }
                Piece::Lf => out.push(b'\n'),
                Piece::CrLf => out.extend_from_slice(b"\r\n"),
            }
        }
        out
    }
}

type Item = Result<Message, DecodeError>;

fn drain(d: &mut Decoder, out: &mut Vec<Item>) {
    while let Some(item) = d.poll_message() {
        // Every decoded message must serialize back and decode to itself.
        if let Ok(m) = &item {
            let line = serde_json::to_vec(m).expect("a decoded message serializes");
            let back: Message =
                serde_json::from_slice(&line).expect("re-serialized message decodes");
            assert_eq!(&back, m);
        }
        out.push(item);
    }
}

/// The decoder's SIMD path (simd-json) must agree with serde_json on every line it takes:
/// such a line is UTF-8, serde_json decodes it too, to the same message.
fn check_simd_path(data: &[u8]) {
    for line in data.split(|&b| b == b'\n') {
        if let Some(simd) = ampere_core::decode::__decode_simd(line) {
            let text = std::str::from_utf8(line).expect("the SIMD path took a line that is not UTF-8");
            let slow: Message = serde_json::from_str(text).expect("serde path decodes a SIMD line");
            assert_eq!(simd, slow, "SIMD and serde paths differ on {text:?}");
        }
    }
}

fuzz_target!(|input: Input| {
    let config = DecoderConfig {
        // Small limits, or large enough for every known line.
        max_line_len: if input.max_line_len >= 128 {
            usize::from(input.max_line_len) * 4
        } else {
            usize::from(input.max_line_len) + 1
        },
    };
    let data = input.bytes();
    check_simd_path(&data);

    let mut whole = Vec::new();
    let mut d = Decoder::new(config);
    d.push(&data);
    assert!(d.buffered_len() <= config.max_line_len);
    d.push_eof();
    drain(&mut d, &mut whole);
    assert!(d.is_finished());

    let mut chunked = Vec::new();
    let mut d = Decoder::new(config);
    let mut pos = 0;
    let mut i = 0;
    while pos < data.len() {
        let n = input
            .chunks
            .get(i % input.chunks.len().max(1))
            .map_or(1, |&c| usize::from(c).max(1));
        let end = (pos + n).min(data.len());
        let before = d.buffered_len();
        d.push(&data[pos..end]);
        assert!(d.buffered_len() <= config.max_line_len + (end - pos));
        assert!(d.buffered_len() <= before.max(config.max_line_len) + (end - pos));
        if input.drain_each_push {
            drain(&mut d, &mut chunked);
        }
        pos = end;
        i += 1;
    }
    d.push_eof();
    drain(&mut d, &mut chunked);
    assert!(d.is_finished());
    assert_eq!(d.buffered_len(), 0);

    assert_eq!(chunked, whole);
});
