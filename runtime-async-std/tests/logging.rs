//! The `tracing` events of an execution name the command line and working folder, and never
//! environment values, prompts or settings contents.
//!
//! A test binary of its own: it installs a process-wide subscriber (the events are emitted
//! on the execution's driver thread).

use std::fmt::Write as _;
use std::os::unix::fs::PermissionsExt;
use std::sync::{Arc, Mutex};

use ampere_async_std::{Amp, AmpOptions};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Metadata, Subscriber};

#[derive(Clone, Default)]
struct Recorder(Arc<Mutex<Vec<String>>>);

struct Line<'a>(&'a mut String);

impl Visit for Line<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        let _ = write!(self.0, " {}={:?}", field.name(), value);
    }
}

impl Subscriber for Recorder {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, _: &Attributes<'_>) -> Id {
        Id::from_u64(1)
    }
    fn record(&self, _: &Id, _: &Record<'_>) {}
    fn record_follows_from(&self, _: &Id, _: &Id) {}
    fn event(&self, event: &Event<'_>) {
        let mut line = format!("{} {}", event.metadata().level(), event.metadata().target());
        event.record(&mut Line(&mut line));
        if let Ok(mut lines) = self.0.lock() {
            lines.push(line);
        }
    }
    fn enter(&self, _: &Id) {}
    fn exit(&self, _: &Id) {}
}

#[test]
fn the_spawn_is_logged_without_secrets() {
    let recorder = Recorder::default();
    if tracing::subscriber::set_global_default(recorder.clone()).is_err() {
        panic!("another subscriber was installed");
    }
    let dir = match tempfile::tempdir() {
        Ok(d) => d,
        Err(e) => panic!("tempdir: {e}"),
    };
    // A stand-in CLI: reads its prompt, prints one success result.
    let cli = dir.path().join("fake-amp");
    let script = r#"#!/bin/sh
cat > /dev/null
echo '{"type":"result","subtype":"success","is_error":false,"result":"ok","duration_ms":1,"num_turns":1,"session_id":"T-1"}'
"#;
    if let Err(e) = std::fs::write(&cli, script)
        .and_then(|()| std::fs::set_permissions(&cli, std::fs::Permissions::from_mode(0o755)))
    {
        panic!("write the fake CLI: {e}");
    }
    let amp = Amp::builder().cli_path(&cli).temp_dir(dir.path()).build();
    let options = AmpOptions::new()
        .cwd(dir.path())
        .env("SECRET_TOKEN", "hunter2-env-value")
        .system_prompt("classified-system-prompt");
    let mut outcome = None;
    for _ in 0..5 {
        let result = async_std::task::block_on(amp.run("the-secret-prompt-text", options.clone()));
        // "Text file busy" right after writing the script: try again.
        let busy = matches!(&result, Err(ampere_async_std::AgentError::Io { .. }));
        outcome = Some(result);
        if !busy {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    match outcome {
        Some(Ok(summary)) => assert_eq!(summary.result, "ok"),
        other => panic!("the run failed: {other:?}"),
    }
    let lines = recorder.0.lock().map(|l| l.clone()).unwrap_or_default();
    let all = lines.join("\n");
    let spawn = lines
        .iter()
        .find(|l| l.contains("--execute"))
        .unwrap_or_else(|| panic!("no event names the command line:\n{all}"));
    assert!(spawn.starts_with("DEBUG ampere"), "{spawn}");
    assert!(spawn.contains("fake-amp"), "{spawn}");
    assert!(spawn.contains("--settings-file"), "{spawn}");
    assert!(
        spawn.contains(&dir.path().display().to_string()),
        "the working folder is named: {spawn}"
    );
    for secret in [
        "hunter2-env-value",
        "classified-system-prompt",
        "the-secret-prompt-text",
    ] {
        assert!(
            !all.contains(secret),
            "{secret} leaked into the logs:\n{all}"
        );
    }
}
