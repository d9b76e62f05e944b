//! Frames arbitrary bytes as an HTTP/1.1 answer through `ResponseReader`'s own buffer
//! (`spare` / `filled`), cut into arbitrary reads, and once whole (`next` on every byte).
//! Asserts: no panic; every read gets room; how the bytes were cut changes nothing (the
//! same answer, or the same kind of error); a body never exceeds the limit.
#![no_main]

use ampere_core::action::HttpResponse;
use ampere_runtime_common::{Failed, ResponseReader};
use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
struct Input {
    limit: u16,
    cuts: Vec<u16>,
    bytes: Vec<u8>,
}

type Framed = Result<Option<(HttpResponse, bool)>, (Failed, String)>;

fn key(
    r: Result<Option<(HttpResponse, bool)>, (Failed, ampere_core::action::TransportError)>,
) -> Framed {
    r.map_err(|(early, e)| (early, format!("{:?}", e.kind)))
}

fuzz_target!(|input: Input| {
    let limit = u64::from(input.limit);
    let whole = key(ResponseReader::new(limit).next(&input.bytes, true));

    let mut reader = ResponseReader::new(limit);
    let mut rest = &input.bytes[..];
    let mut cuts = input.cuts.iter().map(|&c| usize::from(c).max(1)).cycle();
    let mut fed = 0usize;
    let cut = loop {
        let room = reader.spare();
        assert!(
            !room.is_empty(),
            "a read with no room would read as the end"
        );
        let n = room
            .len()
            .min(rest.len())
            .min(cuts.next().unwrap_or(usize::MAX));
        room[..n].copy_from_slice(&rest[..n]);
        rest = &rest[n..];
        fed += n;
        match key(reader.filled(n)) {
            Ok(None) if n == 0 => break Ok(None),
            Ok(None) => {}
            done => break done,
        }
    };
    if let Ok(Some((response, _))) = &cut {
        assert!(response.body.len() as u64 <= limit, "over the limit");
    }
    // Fed all, then the end: the same as framing every byte at once. A whole answer or an
    // error found before the end is found the same way in every byte.
    match (&cut, &whole) {
        (Ok(Some((a, ka))), Ok(Some((b, kb)))) => {
            assert_eq!(
                (a.status, &a.headers, &a.body, ka),
                (b.status, &b.headers, &b.body, kb)
            );
        }
        (Err(a), Err(b)) => assert_eq!(a, b),
        (a, b) => panic!("cut into reads: {a:?}; whole: {b:?} (fed {fed})"),
    }
});
