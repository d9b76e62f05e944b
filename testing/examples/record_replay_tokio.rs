//! Records a run of ampere's stand-in CLI (`amp-stub`) and replays it, with ampere-tokio.
//!
//! ```sh
//! cargo build -p ampere-tests --bin amp-stub
//! cargo run -p ampere-testing --example record_replay_tokio [path/to/amp-stub]
//! ```

use std::path::PathBuf;

use ampere_testing::Replay;
use ampere_tokio::{Amp, AmpOptions};

/// The stand-in: the first argument, `AMP_STUB`, or `amp-stub` next to the examples folder.
fn stand_in() -> Result<PathBuf, String> {
    let given = std::env::args_os()
        .nth(1)
        .or_else(|| std::env::var_os("AMP_STUB"));
    let path = match given {
        Some(path) => PathBuf::from(path),
        None => std::env::current_exe()
            .map_err(|e| e.to_string())?
            .parent()
            .and_then(|examples| examples.parent())
            .map(|dir| dir.join("amp-stub"))
            .ok_or("cannot find the target folder")?,
    };
    if path.is_file() {
        Ok(path)
    } else {
        Err(format!(
            "no stand-in CLI at {}: run `cargo build -p ampere-tests --bin amp-stub` or pass its path",
            path.display()
        ))
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let stub = stand_in()?;
    let dir = tempfile::tempdir()?;
    let fixture = dir.path().join("review.jsonl");
    let prompt = "[[scenario:tools count=2]] review the diff";

    // Once, against the CLI: recording on with one line.
    let amp = Amp::builder().cli_path(&stub).record_to(&fixture).build();
    let recorded = amp.run(prompt, AmpOptions::default()).await?;
    println!(
        "recorded {} ({} tool calls)",
        fixture.display(),
        recorded.tool_calls.len()
    );

    // In a test: the same code against the replay, no CLI needed.
    let replay = Replay::open(&fixture)?;
    let amp = Amp::builder().cli_path(replay.cli_path()).build();
    let replayed = amp.run(prompt, AmpOptions::default()).await?;
    assert_eq!(replayed, recorded);
    println!("replayed: the same summary: {:?}", replayed.result);

    // A changed prompt is reported, not silently replayed.
    let stale = amp.run("review everything", AmpOptions::default()).await;
    println!("changed prompt: {}", replay.mismatch().unwrap_or_default());
    assert!(stale.is_err());
    Ok(())
}
