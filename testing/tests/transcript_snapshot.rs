//! The transcript builder's output, pinned: the recording file a scripted transcript writes,
//! in the real CLI's shapes, and what the SDK decodes from it.

use ampere_blocking::{Amp, AmpOptions, Message};
use ampere_testing::{Recording, Replay, Transcript};
use serde_json::json;

fn review() -> Recording {
    Transcript::new()
        .session_id("T-snapshot")
        .cwd("/work/repo")
        .usage(120, 30)
        .system_init()
        .thinking("Look at the diff first.")
        .tool_use("toolu_1", "Bash", json!({"cmd": "git diff HEAD~1"}))
        .tool_result("toolu_1", "+fn main() {}", false)
        .assistant_text("The change adds an empty main.")
        .result("The change adds an empty main.")
        .build()
}

#[test]
fn a_scripted_transcript_writes_the_documented_file() {
    let recording = review();
    insta::assert_snapshot!("scripted_review", recording.to_jsonl());
    assert_eq!(
        Recording::parse(recording.to_jsonl().as_bytes()),
        Ok(recording)
    );
}

#[test]
fn an_error_result_transcript_writes_the_documented_file() {
    let recording = Transcript::new()
        .session_id("T-err")
        .cwd("/w")
        .system_init()
        .assistant_text("Trying.")
        .error_result("error_max_turns", "max turns reached")
        .build();
    insta::assert_snapshot!("scripted_error", recording.to_jsonl());
}

#[test]
fn the_sdk_decodes_every_scripted_message() {
    let replay = Replay::builder(review()).build().expect("replay");
    let amp = Amp::builder().cli_path(replay.cli_path()).build();
    let mut execution = amp.execute("review", AmpOptions::default());
    let mut kinds = Vec::new();
    for message in execution.by_ref() {
        let message = message.expect("message");
        kinds.push(match message {
            Message::System(_) => "system",
            Message::Assistant(_) => "assistant",
            Message::User(_) => "user",
            Message::Result(_) => "result",
            _ => "other",
        });
    }
    assert_eq!(
        kinds,
        // The thinking block is the first block of the tool-use message.
        ["system", "assistant", "user", "assistant", "result"]
    );
}
