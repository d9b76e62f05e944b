//! Recorded pacing: a replay with `Pacing::Recorded` keeps the recording's gaps, so the
//! code under test sees the same timing (its idle timeout fires on a gap longer than it),
//! while `Pacing::Instant` writes everything at once.

use std::time::{Duration, Instant};

use ampere_blocking::{AgentError, Amp, AmpOptions, Message, TimeoutKind};
use ampere_testing::{Pacing, Recording, Replay, Transcript};

/// An agent that thinks for `gap` between its first answer and its result.
fn slow_agent(gap: Duration) -> Recording {
    Transcript::new()
        .session_id("T-pacing")
        .cwd("/w")
        .system_init()
        .assistant_text("Looking.")
        .pause(gap)
        .result("Done.")
        .build()
}

fn run(replay: &Replay, idle: Duration) -> Vec<Result<Message, AgentError>> {
    let amp = Amp::builder()
        .cli_path(replay.cli_path())
        .idle_timeout(idle)
        .kill_grace(Duration::from_millis(200))
        .build();
    amp.execute("go", AmpOptions::default()).collect()
}

#[test]
fn recorded_pacing_keeps_the_gaps_and_trips_a_shorter_idle_timeout() {
    let recording = slow_agent(Duration::from_millis(1500));
    let replay = Replay::builder(recording)
        .pacing(Pacing::Recorded)
        .build()
        .expect("replay");
    let items = run(&replay, Duration::from_millis(400));
    let last = items.last().expect("at least the error");
    assert!(
        matches!(
            last,
            Err(AgentError::Timeout {
                kind: TimeoutKind::Idle,
                ..
            })
        ),
        "the recorded 1.5 s gap trips a 400 ms idle timeout: {items:?}"
    );
    assert!(
        items.iter().any(|i| matches!(i, Ok(Message::Assistant(_)))),
        "what came before the gap was delivered first: {items:?}"
    );
    assert!(
        !items.iter().any(|i| matches!(i, Ok(Message::Result(_)))),
        "the result came after the gap and the timeout: {items:?}"
    );
}

#[test]
fn recorded_pacing_takes_about_the_recorded_time_and_instant_does_not() {
    let gap = Duration::from_millis(800);
    let paced = Replay::builder(slow_agent(gap))
        .pacing(Pacing::Recorded)
        .build()
        .expect("replay");
    let instant = Replay::builder(slow_agent(gap)).build().expect("replay");

    let started = Instant::now();
    let items = run(&paced, Duration::from_secs(30));
    let paced_took = started.elapsed();
    assert!(
        matches!(items.last(), Some(Ok(Message::Result(_)))),
        "{items:?}"
    );
    assert!(
        paced_took >= gap,
        "the recorded gap was kept: {paced_took:?} < {gap:?}"
    );

    let started = Instant::now();
    let items = run(&instant, Duration::from_millis(400));
    let instant_took = started.elapsed();
    assert!(
        matches!(items.last(), Some(Ok(Message::Result(_)))),
        "instant pacing writes everything at once, so a short idle timeout never fires: {items:?}"
    );
    assert!(
        instant_took < gap,
        "instant pacing skips the gap: {instant_took:?}"
    );
}
