//! The recording format round trips: any recording written by `to_jsonl` parses back to
//! itself, whatever bytes (UTF-8 or not) its events carry.

use ampere_core::recording::{Event, Header, Invocation, PromptShape, Recording};
use proptest::prelude::*;
use serde_json::json;

fn event() -> impl Strategy<Value = Event> {
    let bytes = prop_oneof![
        "\\PC{0,40}\n?".prop_map(String::into_bytes),
        proptest::collection::vec(any::<u8>(), 0..40),
    ];
    (0u64..10_000_000, 0u8..6, bytes, any::<i32>()).prop_map(|(t, kind, bytes, n)| match kind {
        0 | 1 => Event::stdout(t, &bytes),
        2 => Event::stderr(t, &bytes),
        3 => Event::stdin(t, &bytes),
        4 => Event::StdinClosed { t_us: t },
        _ if n % 2 == 0 => Event::Exit {
            t_us: t,
            code: Some(n),
            signal: None,
        },
        _ => Event::Exit {
            t_us: t,
            code: None,
            signal: Some(n.rem_euclid(64)),
        },
    })
}

fn recording() -> impl Strategy<Value = Recording> {
    (
        proptest::collection::vec("\\PC{0,20}", 0..8),
        any::<bool>(),
        "\\PC{0,20}",
        any::<i64>(),
        proptest::collection::vec(event(), 0..30),
    )
        .prop_map(|(args, stream, mode, n, events)| {
            let prompt = if stream {
                PromptShape::Stream
            } else {
                PromptShape::Text
            };
            let options = json!({ "mode": mode, "max_turns": n, "labels": [mode] });
            Recording::new(
                Header::new("0.1.0", Invocation::new(args, prompt, options)),
                events,
            )
        })
}

proptest! {
    #[test]
    fn a_recording_parses_back_to_itself(rec in recording()) {
        let text = rec.to_jsonl();
        prop_assert_eq!(text.lines().count(), rec.events.len() + 1);
        let back = Recording::parse(text.as_bytes());
        prop_assert_eq!(back.as_ref(), Ok(&rec), "{}", text);
    }

    #[test]
    fn event_bytes_survive_the_round_trip(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
        let rec = Recording::new(
            Header::new("0.1.0", Invocation::scripted(PromptShape::Text)),
            vec![Event::stdout(1, &bytes)],
        );
        let back = Recording::parse(rec.to_jsonl().as_bytes()).map(|r| r.stdout());
        prop_assert_eq!(back, Ok(bytes));
    }
}
