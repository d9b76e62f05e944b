//! Fuzzes the stream-JSON decoder: arbitrary bytes pushed in arbitrary chunks with a small
//! line limit. Checks: no panic, the buffer stays within `max_line_len + chunk_len` after every
//! push, and the items equal those of a one-shot push.
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
    data: Vec<u8>,
}

type Item = Result<Message, DecodeError>;

fn drain(d: &mut Decoder, out: &mut Vec<Item>) {
    while let Some(item) = d.poll_message() {
        // Every decoded message must serialize back and decode to itself.
        if let Ok(m) = &item {
            let line = serde_json::to_vec(m).expect("a decoded message serializes");
            let back: Message = serde_json::from_slice(&line).expect("re-serialized message decodes");
            assert_eq!(&back, m);
        }
        out.push(item);
    }
}

fuzz_target!(|input: Input| {
    let config = DecoderConfig {
        max_line_len: usize::from(input.max_line_len) + 1,
    };

    let mut whole = Vec::new();
    let mut d = Decoder::new(config);
    d.push(&input.data);
    assert!(d.buffered_len() <= config.max_line_len);
    d.push_eof();
    drain(&mut d, &mut whole);
    assert!(d.is_finished());

    let mut chunked = Vec::new();
    let mut d = Decoder::new(config);
    let mut pos = 0;
    let mut i = 0;
    while pos < input.data.len() {
        let n = input
            .chunks
            .get(i % input.chunks.len().max(1))
            .map_or(1, |&c| usize::from(c).max(1));
        let end = (pos + n).min(input.data.len());
        let before = d.buffered_len();
        d.push(&input.data[pos..end]);
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
