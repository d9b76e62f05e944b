//! Scenarios moved here from the per-runtime test files (which now keep only what is
//! specific to a runtime): a CLI that never reads its prompt, a thread URL, a drop that does
//! not wait for the kill grace, the private folder gone when the stream ends.

use std::path::Path;
use std::time::{Duration, Instant};

use ampere_core::options::{AmpOptions, Effort};
use ampere_core::run::AgentError;

use crate::suite::{
    eventually, process_exists, tags, AmpCfg, Item, PromptSpec, Runtime, Scratch, Suite, EVENTUALLY,
};

/// The pinned CLI does not know `--effort`: it fails at once without reading stdin, so
/// writing a 4 MiB prompt meets a closed pipe. The error is the CLI's (a process error with
/// its stderr), not the pipe's.
pub fn cli_never_reads_big_prompt<R: Runtime>(s: &Suite) {
    let prompt = PromptSpec::Text("x".repeat(4 << 20));
    let c = R::execute(&s.cfg(), prompt, AmpOptions::new().effort(Effort::High));
    assert_eq!(tags(&c.items), ["process"], "[{}] {:?}", R::NAME, c.items);
    match &c.items[0] {
        Err(AgentError::Process {
            exit_code, stderr, ..
        }) => {
            assert_eq!(*exit_code, Some(1), "[{}]", R::NAME);
            assert!(stderr.contains("unknown option"), "[{}] {stderr}", R::NAME);
        }
        other => panic!("[{}] {other:?}", R::NAME),
    }
}

/// `thread_new` reads the id out of a thread URL (the real help says it prints the URL).
pub fn thread_new_reads_thread_url<R: Runtime>(s: &Suite) {
    use std::os::unix::fs::PermissionsExt;
    let scratch = Scratch::new();
    let script = scratch.path().join("amp");
    std::fs::write(
        &script,
        "#!/bin/sh\necho 'https://ampcode.com/threads/T-0123abcd-1111-7222-8333-444455556666'\n",
    )
    .expect("write");
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let cfg = AmpCfg {
        cli_path: Some(script),
        ..s.cfg()
    };
    let mut got = R::thread_new(&cfg, None);
    // ETXTBSY: another thread's fork may hold the fresh script open for a moment.
    if matches!(&got, Err(AgentError::Io { kind, .. }) if format!("{kind:?}") == "ExecutableFileBusy")
    {
        std::thread::sleep(Duration::from_millis(100));
        got = R::thread_new(&cfg, None);
    }
    assert_eq!(
        got,
        Ok("T-0123abcd-1111-7222-8333-444455556666".to_string()),
        "[{}]",
        R::NAME
    );
}

/// Dropping an execution whose CLI ignores SIGTERM returns at once (the grace runs in the
/// background): the CLI lives on during the grace and is gone after it.
pub fn drop_returns_before_the_grace<R: Runtime>(s: &Suite) {
    let scratch = Scratch::new();
    let grace = Duration::from_secs(3);
    let cfg = AmpCfg {
        kill_grace: Some(grace),
        ..s.cfg()
    };
    let mut before_drop: Option<(Instant, u32)> = None;
    let items: Vec<Item> = R::execute_then_drop(
        &cfg,
        PromptSpec::Text("[[scenario:ignore-sigterm]] x".into()),
        scratch.recorded(AmpOptions::new()),
        1,
        &mut |_| {
            let pid = scratch.record().map(|r| r.pid()).unwrap_or_default();
            before_drop = Some((Instant::now(), pid));
        },
    );
    let dropped = Instant::now();
    assert_eq!(tags(&items), ["system/init"], "[{}]", R::NAME);
    let (start, pid) = before_drop.expect("inspected while alive");
    assert!(pid != 0, "[{}] the stub wrote its pid", R::NAME);
    assert!(
        dropped - start < Duration::from_millis(1500),
        "[{}] drop returned after {:?}",
        R::NAME,
        dropped - start
    );
    assert!(
        process_exists(pid),
        "[{}] SIGTERM is ignored: the CLI lives on during the grace",
        R::NAME
    );
    assert!(
        eventually(grace + EVENTUALLY, || !process_exists(pid)),
        "[{}] the CLI {pid} survived the grace",
        R::NAME
    );
    assert!(
        start.elapsed() >= grace - Duration::from_millis(100),
        "[{}] killed only after the grace",
        R::NAME
    );
}

/// When the stream ends, the private folder is already gone (no wait needed).
pub fn private_dir_gone_at_stream_end<R: Runtime>(s: &Suite) {
    let scratch = Scratch::new();
    let cfg = AmpCfg {
        temp_dir: Some(scratch.temp_root()),
        ..s.cfg()
    };
    let options = scratch.recorded(AmpOptions::new().system_prompt("a private folder"));
    let c = R::execute(&cfg, "hello".into(), options);
    assert_eq!(
        tags(&c.items),
        ["system/init", "user", "assistant", "result"],
        "[{}]",
        R::NAME
    );
    let dir = scratch
        .record()
        .and_then(|r| r.private_dir())
        .expect("a --settings-file was passed");
    assert!(
        !Path::new(&dir).exists() && scratch.temp_leftovers().is_empty(),
        "[{}] left behind at the end of the stream: {:?}",
        R::NAME,
        scratch.temp_leftovers()
    );
}
