//! What is specific to `ampere-tokio` (everything else is the shared suite,
//! `suite_tokio.rs`): tokio's clock (paused time), runtime shutdown, use outside a runtime,
//! aborted and panicking tasks, tokio channels as prompts, `Stream` combinators, Send bounds.
//!
//! Waits are generous (the suite must pass on a loaded 2-core machine); only the tests that
//! are about timeouts use short ones.

use std::path::Path;
use std::time::{Duration, Instant};

use ampere_tokio::{
    create_user_message, AgentError, Amp, AmpOptions, Execution, Message, Prompt, TimeoutKind,
};
use serde_json::Value;

const STUB: &str = env!("CARGO_BIN_EXE_amp-stub");
/// How long a test waits for something that should happen "at once".
const PATIENCE: Duration = Duration::from_secs(30);

struct Fixture {
    amp: Amp,
    _temp: tempfile::TempDir,
}

fn fixture() -> Fixture {
    fixture_with(|b| b)
}

fn fixture_with(f: impl FnOnce(ampere_tokio::AmpBuilder) -> ampere_tokio::AmpBuilder) -> Fixture {
    let temp = tempfile::tempdir().expect("tempdir");
    let amp = f(Amp::builder().cli_path(STUB).temp_dir(temp.path())).build();
    Fixture { amp, _temp: temp }
}

/// Options that need a private folder (the settings overlay).
fn private_options() -> AmpOptions {
    AmpOptions {
        system_prompt: Some("You are a careful test agent.".into()),
        ..AmpOptions::default()
    }
}

/// Everything an execution yielded: messages, per-line errors, and the final error.
#[derive(Debug, Default)]
struct Collected {
    messages: Vec<Message>,
    line_errors: Vec<AgentError>,
    end: Option<AgentError>,
    /// Order of events: 'm' message, 'd' decode error, 'E' final error.
    order: String,
}

async fn collect(execution: Execution) -> Collected {
    collect_within(execution, Some(Duration::from_secs(120))).await
}

async fn collect_within(mut execution: Execution, patience: Option<Duration>) -> Collected {
    let mut c = Collected::default();
    let deadline = patience.map(|p| tokio::time::Instant::now() + p);
    loop {
        let item = match deadline {
            Some(deadline) => tokio::time::timeout_at(deadline, execution.next())
                .await
                .expect("the execution ended in time"),
            None => execution.next().await,
        };
        let Some(item) = item else { break };
        assert!(c.end.is_none(), "nothing may follow the final error");
        match item {
            Ok(m) => {
                c.order.push('m');
                c.messages.push(m);
            }
            Err(e @ AgentError::Decode(_)) => {
                c.order.push('d');
                c.line_errors.push(e);
            }
            Err(e) => {
                c.order.push('E');
                c.end = Some(e);
            }
        }
    }
    c
}

/// Whether any process is still in process group `pgid` (or the process itself exists).
fn group_alive(pgid: u32) -> bool {
    if Path::new(&format!("/proc/{pgid}")).exists() {
        return true;
    }
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return false;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name.to_str().and_then(|s| s.parse::<u32>().ok()) else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        // Fields after the `(comm)`: state ppid pgrp ...
        if let Some(rest) = stat.rsplit_once(')').map(|(_, r)| r) {
            let fields: Vec<&str> = rest.split_whitespace().collect();
            if fields.get(2).and_then(|p| p.parse::<u32>().ok()) == Some(pgid) {
                return true;
            }
        }
    }
    false
}

async fn eventually(what: &str, mut cond: impl FnMut() -> bool) {
    let start = Instant::now();
    while !cond() {
        assert!(start.elapsed() < PATIENCE, "timed out waiting for: {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Reads messages until the first one matching `pred` (panics on the end or an error).
async fn until(execution: &mut Execution, mut pred: impl FnMut(&Message) -> bool) -> Vec<Message> {
    let mut seen = Vec::new();
    loop {
        let item = tokio::time::timeout(PATIENCE, execution.next())
            .await
            .expect("a message in time")
            .expect("the stream is still open")
            .expect("a message, not an error");
        let hit = pred(&item);
        seen.push(item);
        if hit {
            return seen;
        }
    }
}

fn is_init(m: &Message) -> bool {
    matches!(m, Message::System(s) if s.is_init())
}

// ---------------------------------------------------------------------------------------
// Happy paths
// ---------------------------------------------------------------------------------------

// ---------------------------------------------------------------------------------------
// Nothing is lost
// ---------------------------------------------------------------------------------------

// ---------------------------------------------------------------------------------------
// Timeouts, cancellation, cleanup
// ---------------------------------------------------------------------------------------

/// With the clock paused, an hour-long idle timeout passes in no (real) time: the driver
/// takes `now` from tokio's clock.
#[tokio::test(start_paused = true)]
async fn timeouts_follow_tokios_clock() {
    let fx = fixture_with(|b| b.idle_timeout(Duration::from_secs(3600)));
    let started = Instant::now();
    let execution = fx.amp.execute("[[scenario:hang]] x", AmpOptions::default());
    let pid = execution.pid().expect("spawned");
    // No collect deadline: it would be virtual too, and tokio jumps to it while the child
    // dies in real time.
    let c = collect_within(execution, None).await;
    assert!(
        matches!(
            c.end,
            Some(AgentError::Timeout {
                kind: TimeoutKind::Idle,
                ..
            })
        ),
        "{:?}",
        c.end
    );
    assert!(started.elapsed() < Duration::from_secs(60));
    assert!(!group_alive(pid));
}

#[tokio::test]
async fn aborting_the_consumer_task_kills_the_group() {
    let fx = fixture();
    let (pid_tx, pid_rx) = tokio::sync::oneshot::channel();
    let amp = fx.amp.clone();
    let consumer = tokio::spawn(async move {
        let mut execution = amp.execute("[[scenario:hang]] x", private_options());
        let _ = pid_tx.send((
            execution.pid().expect("spawned"),
            execution.private_dir().map(Path::to_path_buf),
        ));
        while execution.next().await.is_some() {}
    });
    let (pid, dir) = pid_rx.await.expect("pid");
    let dir = dir.expect("private dir");
    eventually("the CLI runs", || group_alive(pid)).await;
    consumer.abort();
    assert!(consumer.await.is_err_and(|e| e.is_cancelled()));
    eventually("process group gone", || !group_alive(pid)).await;
    eventually("private dir removed", || !dir.exists()).await;
}

#[tokio::test]
async fn a_panicking_consumer_kills_the_group() {
    let fx = fixture();
    let (pid_tx, pid_rx) = tokio::sync::oneshot::channel();
    let amp = fx.amp.clone();
    let consumer = tokio::spawn(async move {
        let mut execution = amp.execute("[[scenario:hang]] x", AmpOptions::default());
        let _ = pid_tx.send(execution.pid().expect("spawned"));
        let _ = execution.next().await;
        panic!("consumer bug");
    });
    let pid = pid_rx.await.expect("pid");
    assert!(consumer.await.is_err_and(|e| e.is_panic()));
    eventually("process group gone", || !group_alive(pid)).await;
}

#[test]
fn runtime_shutdown_kills_the_group() {
    // The driver task is dropped with its runtime: the last-resort guard kills the group.
    let temp = tempfile::tempdir().expect("tempdir");
    let amp = Amp::builder().cli_path(STUB).temp_dir(temp.path()).build();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let (pid, dir, execution) = rt.block_on(async {
        let mut execution = amp.execute("[[scenario:hang]] x", private_options());
        until(&mut execution, is_init).await;
        let pid = execution.pid().expect("spawned");
        let dir = execution.private_dir().expect("dir").to_path_buf();
        (pid, dir, execution)
    });
    drop(rt);
    drop(execution);
    let start = Instant::now();
    while group_alive(pid) || dir.exists() {
        assert!(
            start.elapsed() < PATIENCE,
            "group or dir left after runtime shutdown"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

// ---------------------------------------------------------------------------------------
// Secrets, environment, files
// ---------------------------------------------------------------------------------------

// ---------------------------------------------------------------------------------------
// Multi-turn input, sessions, threads
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn prompt_stream_from_any_stream() {
    let fx = fixture();
    let messages = futures_util::stream::iter(vec![
        create_user_message("one"),
        create_user_message("two"),
        create_user_message("three"),
    ]);
    let c = collect(
        fx.amp
            .execute(Prompt::stream(messages), AmpOptions::default()),
    )
    .await;
    assert!(c.end.is_none(), "{:?}", c.end);
    let results: Vec<&str> = c
        .messages
        .iter()
        .filter_map(|m| match m {
            Message::Result(r) => Some(r.result.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(results, ["one", "two", "three"]);
}

#[tokio::test]
async fn session_send_after_close_fails() {
    let fx = fixture();
    let mut session = fx.amp.session(AmpOptions::default());
    session.close_input();
    let err = session.send_text("late").await.expect_err("closed");
    assert!(
        matches!(
            err,
            AgentError::Io {
                kind: std::io::ErrorKind::BrokenPipe,
                ..
            }
        ),
        "{err:?}"
    );
    let summary = session.finish().await;
    assert!(matches!(summary, Err(AgentError::NoResult)), "{summary:?}");
}

// ---------------------------------------------------------------------------------------
// Framing and flow control
// ---------------------------------------------------------------------------------------

#[test]
fn public_types_are_thread_safe() {
    fn send_sync<T: Send + Sync>() {}
    fn send_unpin<T: Send + Unpin>() {}
    fn spawnable<F: std::future::Future + Send + 'static>(_: F) {}
    send_sync::<Amp>();
    send_sync::<ampere_tokio::ActionExecutor>();
    send_unpin::<Execution>();
    send_unpin::<ampere_tokio::Session>();
    send_sync::<AgentError>();
    let amp = Amp::new();
    spawnable({
        let amp = amp.clone();
        async move { amp.run("x", AmpOptions::default()).await }
    });
    spawnable(async move {
        let s = amp.session(AmpOptions::default());
        s.send_text("x").await?;
        s.finish().await
    });
    spawnable(async move {
        ampere_tokio::ActionExecutor::new()
            .execute::<Value>("a", serde_json::json!({}))
            .await
    });
}

#[tokio::test]
async fn plan_warnings_are_exposed() {
    let fx = fixture();
    let options = AmpOptions::default()
        .executor(ampere_tokio::Executor::orb())
        .dangerously_allow_all(true);
    let execution = fx.amp.execute("hello", options);
    assert!(
        execution
            .warnings()
            .iter()
            .any(|w| w.contains("dangerously_allow_all")),
        "{:?}",
        execution.warnings()
    );
    let c = collect(execution).await;
    assert!(c.end.is_none(), "{:?}", c.end);
}

#[tokio::test]
async fn is_finished_after_the_last_item() {
    let fx = fixture();
    let mut execution = fx.amp.execute("done?", AmpOptions::default());
    assert!(!execution.is_finished());
    while execution.next().await.is_some() {}
    assert!(execution.is_finished());
    assert!(execution.next().await.is_none(), "stays ended");
}

#[test]
fn outside_a_runtime_the_stream_says_so() {
    let amp = Amp::builder().cli_path(STUB).build();
    let mut execution = amp.execute("x", AmpOptions::default());
    assert_eq!(execution.pid(), None, "nothing spawned");
    let first = futures_lite::future::block_on(execution.next());
    match first {
        Some(Err(AgentError::Io { message, .. })) => {
            assert!(message.contains("Tokio runtime"), "{message}")
        }
        other => panic!("expected an Io error, got {other:?}"),
    }
    assert!(futures_lite::future::block_on(execution.next()).is_none());
}

#[tokio::test]
async fn execution_works_with_stream_combinators() {
    use futures_util::StreamExt;
    let fx = fixture();
    let items: Vec<Result<Message, AgentError>> = fx
        .amp
        .execute("[[scenario:tools count=2]] x", AmpOptions::default())
        .collect()
        .await;
    assert!(items.iter().all(Result::is_ok));
    assert!(items
        .last()
        .is_some_and(|m| m.as_ref().is_ok_and(Message::is_success_result)));
    let texts: Vec<String> = fx
        .amp
        .execute("filter me", AmpOptions::default())
        .filter_map(|m| async move {
            match m {
                Ok(Message::Result(r)) => Some(r.result),
                _ => None,
            }
        })
        .collect()
        .await;
    assert_eq!(texts, ["filter me"]);
}
