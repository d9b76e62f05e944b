//! What is specific to `ampere-blocking` (everything else is the shared suite,
//! `suite_blocking.rs`): its loop's clock (timeouts while nobody calls `next`), std channels
//! as prompts, a panicking consumer thread, session send after close and cancel, Send bounds.

use std::path::Path;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use ampere_blocking::{
    create_user_message, AgentError, Amp, AmpOptions, Message, Prompt, TimeoutKind,
};

const STUB: &str = env!("CARGO_BIN_EXE_amp-stub");
/// Generous bound for anything that should happen "soon" on a loaded 2-core machine.
const SOON: Duration = Duration::from_secs(20);

fn amp() -> Amp {
    Amp::builder()
        .cli_path(STUB)
        .kill_grace(Duration::from_millis(500))
        .build()
}

/// A scratch folder for private folders (so a test can check it is left empty) plus a
/// base settings file, so the options below need a generated settings overlay.
struct Scratch {
    dir: tempfile::TempDir,
}

impl Scratch {
    fn new() -> Scratch {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir(dir.path().join("private")).expect("mkdir");
        std::fs::write(dir.path().join("base.json"), "{}").expect("write base settings");
        Scratch { dir }
    }

    /// Options that make the run write a private settings file.
    fn options(&self) -> AmpOptions {
        AmpOptions {
            settings_file: Some(self.dir.path().join("base.json")),
            system_prompt: Some("be terse".into()),
            ..AmpOptions::default()
        }
    }
}

fn process_gone(pid: u32) -> bool {
    !Path::new(&format!("/proc/{pid}")).exists()
}

/// Waits until `/proc/<pid>` is gone (the child exited *and* was reaped).
fn assert_gone_soon(pid: u32) {
    let start = Instant::now();
    while !process_gone(pid) {
        assert!(
            start.elapsed() < SOON,
            "process {pid} still exists after {SOON:?}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn assert_removed_soon(path: &Path) {
    let start = Instant::now();
    while path.exists() {
        assert!(start.elapsed() < SOON, "{} still exists", path.display());
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn collect(
    iter: impl Iterator<Item = Result<Message, AgentError>>,
) -> (Vec<Message>, Vec<AgentError>) {
    let mut messages = Vec::new();
    let mut errors = Vec::new();
    for item in iter {
        match item {
            Ok(m) => messages.push(m),
            Err(e) => errors.push(e),
        }
    }
    (messages, errors)
}

#[test]
fn multi_turn_through_a_channel() {
    let (tx, rx) = mpsc::channel();
    tx.send(create_user_message("[[scenario:echo]] first turn"))
        .expect("send");
    let mut execution = amp().execute(Prompt::messages(rx), AmpOptions::default());
    let mut results = Vec::new();
    for item in execution.by_ref() {
        let message = item.expect("message");
        if let Some(text) = message.result_text() {
            results.push(text.to_string());
            if results.len() == 1 {
                // The next turn is sent only after the first one finished.
                tx.send(create_user_message("second turn")).expect("send");
            } else {
                break;
            }
        }
    }
    assert_eq!(results, ["first turn", "second turn"]);
    drop(tx);
    let (_, errors) = collect(execution);
    assert!(errors.is_empty(), "{errors:?}");
}

#[test]
fn session_send_after_close_fails() {
    let mut session = amp().session(AmpOptions::default());
    session.close_input();
    assert!(!session.is_input_open());
    let err = session.send_text("late").expect_err("closed");
    assert!(matches!(
        err,
        AgentError::Io {
            kind: std::io::ErrorKind::BrokenPipe,
            ..
        }
    ));
    // No message at all: the CLI exits without a result.
    assert!(matches!(session.finish(), Err(AgentError::NoResult)));
}

#[test]
fn session_cancel_tears_down() {
    let mut session = amp().session(AmpOptions::default());
    let pid = session.pid().expect("pid");
    session.send_text("[[scenario:hang]] x").expect("send");
    session.next().expect("init").expect("ok");
    session.cancel();
    assert!(process_gone(pid));
}

#[test]
fn a_panicking_consumer_still_stops_the_cli() {
    let (tx, rx) = mpsc::channel();
    let consumer = std::thread::spawn(move || {
        let mut execution = amp().execute("[[scenario:hang]] x", AmpOptions::default());
        let _ = tx.send(execution.pid());
        let _ = execution.next();
        panic!("the consumer fails while holding the execution");
    });
    let pid = rx.recv().expect("pid sent").expect("spawned");
    assert!(consumer.join().is_err(), "the consumer panicked");
    assert_gone_soon(pid);
}

#[test]
fn timeouts_fire_while_nobody_calls_next() {
    // The loop's IO thread ends a hung CLI at its idle timeout even though the consumer
    // is not in `next`; the private folder goes with it.
    let scratch = Scratch::new();
    let amp = Amp::builder()
        .cli_path(STUB)
        .temp_dir(scratch.dir.path().join("private"))
        .idle_timeout(Duration::from_millis(300))
        .build();
    let execution = amp.execute("[[scenario:hang]] x", scratch.options());
    let pid = execution.pid().expect("pid");
    let private = execution.private_dir().expect("private").to_path_buf();
    assert_gone_soon(pid);
    assert_removed_soon(&private);
    assert!(!execution.is_finished(), "its items wait for the consumer");
    let (messages, errors) = collect(execution);
    assert!(
        matches!(messages.first(), Some(Message::System(_))),
        "{messages:?}"
    );
    assert!(
        matches!(
            errors.last(),
            Some(AgentError::Timeout {
                kind: TimeoutKind::Idle,
                ..
            })
        ),
        "{errors:?}"
    );
}

#[test]
fn handles_can_move_between_threads() {
    fn send<T: Send>() {}
    fn send_sync<T: Send + Sync>() {}
    send::<ampere_blocking::Execution>();
    send::<ampere_blocking::Session>();
    send::<Prompt>();
    send_sync::<Amp>();
    send_sync::<ampere_blocking::ActionExecutor>();
}
