//! The recording format: round trip (proptest), refusals naming the line, and a snapshot of
//! a scripted transcript's file.

use ampere_testing::{
    Event, Header, Invocation, PromptShape, Recording, RecordingError, Transcript,
};
use proptest::prelude::*;
use serde_json::json;

fn event() -> impl Strategy<Value = Event> {
    let bytes = proptest::collection::vec(any::<u8>(), 0..40);
    prop_oneof![
        (any::<u32>(), bytes.clone()).prop_map(|(t, b)| Event::stdout(u64::from(t), &b)),
        (any::<u32>(), bytes.clone()).prop_map(|(t, b)| Event::stderr(u64::from(t), &b)),
        (any::<u32>(), bytes).prop_map(|(t, b)| Event::stdin(u64::from(t), &b)),
        any::<u32>().prop_map(|t| Event::StdinClosed { t_us: u64::from(t) }),
        (any::<u32>(), any::<i32>()).prop_map(|(t, c)| Event::Exit {
            t_us: u64::from(t),
            code: Some(c),
            signal: None
        }),
        (any::<u32>(), 1..64i32).prop_map(|(t, s)| Event::Exit {
            t_us: u64::from(t),
            code: None,
            signal: Some(s)
        }),
    ]
}

proptest! {
    #[test]
    fn a_recording_survives_a_round_trip(
        args in proptest::collection::vec(".*", 0..6),
        stream in any::<bool>(),
        mut events in proptest::collection::vec(event(), 0..30),
    ) {
        // Times never go backwards in a recording.
        let mut times: Vec<u64> = events.iter().map(Event::t_us).collect();
        times.sort_unstable();
        for (event, t) in events.iter_mut().zip(times) {
            match event {
                Event::Stdout { t_us, .. } | Event::Stderr { t_us, .. } | Event::Stdin { t_us, .. }
                | Event::StdinClosed { t_us } | Event::Exit { t_us, .. } => *t_us = t,
                _ => {}
            }
        }
        let shape = if stream { PromptShape::Stream } else { PromptShape::Text };
        let header = Header::new("0.1.0", Invocation::new(args, shape, json!({"labels": ["x"]})));
        let recording = Recording::new(header, events);
        let text = recording.to_jsonl();
        prop_assert_eq!(text.lines().count(), recording.events.len() + 1);
        let parsed = Recording::parse(text.as_bytes()).expect("parses");
        prop_assert_eq!(&parsed, &recording);
        for (a, b) in parsed.events.iter().zip(&recording.events) {
            if let (Event::Stdout { chunk: x, .. }, Event::Stdout { chunk: y, .. }) = (a, b) {
                prop_assert_eq!(x.bytes(), y.bytes());
            }
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic_the_parser(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        let _ = Recording::parse(&bytes);
    }
}

const HEADER: &str = r#"{"event":"header","format":"ampere-recording","version":1,"ampere_version":"0.1.0","invocation":{"args":[],"prompt":"text","options":{}}}"#;

#[test]
fn bad_files_are_refused_with_the_line_and_the_reason() {
    let err = |text: &str| Recording::parse(text.as_bytes()).expect_err("refused");
    assert_eq!(err(""), RecordingError::Empty);
    assert!(matches!(
        err(r#"{"event":"stdout","t_us":1,"text":"x"}"#),
        RecordingError::Line { line: 1, .. }
    ));
    let newer = HEADER.replace(r#""version":1"#, r#""version":2"#);
    assert_eq!(err(&newer), RecordingError::Version { found: 2 });
    assert!(err(&newer).to_string().contains("version 2"));
    let other = HEADER.replace("ampere-recording", "something-else");
    assert!(matches!(err(&other), RecordingError::NotARecording { .. }));
    let e = err(&format!(
        "{HEADER}\n{{\"event\":\"stdout\",\"t_us\":1,\"hex\":\"zz\"}}\n"
    ));
    assert!(matches!(e, RecordingError::Line { line: 2, .. }), "{e}");
    let e = err(&format!("{HEADER}\n{{\"event\":\"exit\",\"t_us\":1}}\n"));
    assert!(
        e.to_string().contains("line 2") && e.to_string().contains("code"),
        "{e}"
    );
    let e = err(&format!(
        "{HEADER}\n{{\"event\":\"stdin_closed\",\"t_us\":9}}\n{{\"event\":\"stdin_closed\",\"t_us\":3}}\n"
    ));
    assert!(
        e.to_string().contains("line 3") && e.to_string().contains("earlier"),
        "{e}"
    );
    let e = err(&format!("{HEADER}\nnot json\n"));
    assert!(e.to_string().contains("line 2: not JSON"), "{e}");
}

#[test]
fn unknown_event_kinds_are_skipped_and_counted() {
    let text = format!("{HEADER}\n{{\"event\":\"telemetry\",\"t_us\":1}}\n{{\"event\":\"exit\",\"t_us\":2,\"code\":0}}\n");
    let recording = Recording::parse(text.as_bytes()).expect("parses");
    assert_eq!(recording.skipped, 1);
    assert_eq!(recording.exit(), Some((Some(0), None)));
}

#[test]
fn a_scripted_transcript_file() {
    let recording = Transcript::new()
        .system_init()
        .thinking("Look at the failing test first.")
        .tool_use("toolu_01", "Bash", json!({"cmd": "cargo test"}))
        .tool_result("toolu_01", "test result: FAILED. 1 failed", false)
        .usage(20, 5)
        .assistant_text("The test `parses` fails; fixed.")
        .stderr("warning: slow network")
        .result("Fixed the failing test.")
        .build();
    insta::assert_snapshot!(recording.to_jsonl());
    let again = Recording::parse(recording.to_jsonl().as_bytes()).expect("parses");
    assert_eq!(again, recording);
    // Every stdout line decodes as a known message of the CLI's.
    let stdout = recording.stdout();
    let mut kinds = Vec::new();
    for line in stdout.split(|b| *b == b'\n').filter(|l| !l.is_empty()) {
        let value: serde_json::Value = serde_json::from_slice(line).expect("JSON");
        let message: ampere_core::message::Message =
            serde_json::from_value(value.clone()).expect("a message");
        kinds.push(value["type"].as_str().unwrap_or_default().to_string());
        assert!(
            !matches!(message, ampere_core::message::Message::Unknown(_)),
            "{value}"
        );
    }
    assert_eq!(
        kinds,
        ["system", "assistant", "user", "assistant", "result"]
    );
}

#[test]
fn a_scripted_error_result_exits_1() {
    let recording = Transcript::new()
        .system_init()
        .error_result("error_max_turns", "too many turns")
        .build();
    assert_eq!(recording.exit(), Some((Some(1), None)));
    let text = recording.to_jsonl();
    assert!(
        text.contains(r#"\"is_error\":true,\"num_turns\":0,\"error\":\"too many turns\""#),
        "{text}"
    );
}
