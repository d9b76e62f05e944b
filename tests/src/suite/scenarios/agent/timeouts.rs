//! Timeouts: idle and overall, SIGTERM then SIGKILL after the grace period, a CLI that hangs
//! after its result.

use super::*;

/// A CLI that hangs with stdout open: the idle timeout ends it with a `Timeout` error, the
/// child is reaped and the private folder removed.
pub fn idle_timeout_hang<R: Runtime>(s: &Suite) {
    let scratch = Scratch::new();
    let cfg = AmpCfg {
        idle_timeout: Some(Duration::from_secs(1)),
        kill_grace: Some(Duration::from_secs(2)),
        ..cfg_in(s, &scratch)
    };
    let c = R::execute(
        &cfg,
        directive(StubScenario::Hang, "wait"),
        with_private_dir(&scratch),
    );
    assert_tags::<R>("idle timeout", &c.items, &["system/init", "timeout:idle"]);
    assert_eq!(
        c.items[1].as_ref().unwrap_err(),
        &AgentError::Timeout {
            kind: TimeoutKind::Idle,
            after: Duration::from_secs(1)
        }
    );
    assert!(
        c.elapsed >= Duration::from_secs(1) && c.elapsed < Duration::from_secs(8),
        "[{}] elapsed {:?}",
        R::NAME,
        c.elapsed
    );
    let rec = record_of::<R>(&scratch);
    let dir = private_dir_of::<R>(&rec);
    assert_reaped::<R>(&rec);
    assert_eventually_gone::<R>(&rec, Some(&dir));
    assert_no_leftovers::<R>(&scratch, true);
}

/// The overall timeout ends a run that keeps printing.
pub fn overall_timeout<R: Runtime>(s: &Suite) {
    let scratch = Scratch::new();
    let cfg = AmpCfg {
        overall_timeout: Some(Duration::from_millis(1500)),
        kill_grace: Some(Duration::from_secs(2)),
        ..cfg_in(s, &scratch)
    };
    let c = R::execute(
        &cfg,
        directive(
            StubScenario::Multi
                .param("turns", 200)
                .param("delay_ms", 50),
            "tick",
        ),
        with_private_dir(&scratch),
    );
    let (last, before) = c.items.split_last().expect("items");
    assert_eq!(
        last.as_ref().err(),
        Some(&AgentError::Timeout {
            kind: TimeoutKind::Overall,
            after: Duration::from_millis(1500)
        }),
        "[{}] last item",
        R::NAME
    );
    assert!(before.iter().all(Result::is_ok), "[{}] {before:?}", R::NAME);
    assert!(before.len() >= 2 && results(before).is_empty());
    assert!(
        c.elapsed >= Duration::from_millis(1500) && c.elapsed < Duration::from_secs(8),
        "[{}] elapsed {:?}",
        R::NAME,
        c.elapsed
    );
    let rec = record_of::<R>(&scratch);
    let dir = private_dir_of::<R>(&rec);
    assert_reaped::<R>(&rec);
    assert_eventually_gone::<R>(&rec, Some(&dir));
    assert_no_leftovers::<R>(&scratch, true);
}

/// A CLI that ignores SIGTERM is killed with SIGKILL after the (short) grace.
pub fn ignore_sigterm_kill_after_grace<R: Runtime>(s: &Suite) {
    let scratch = Scratch::new();
    let cfg = AmpCfg {
        idle_timeout: Some(Duration::from_millis(500)),
        kill_grace: Some(Duration::from_secs(1)),
        ..s.cfg()
    };
    let c = R::execute(
        &cfg,
        directive(StubScenario::IgnoreSigterm, "stubborn"),
        scratch.recorded(AmpOptions::new()),
    );
    assert_tags::<R>("ignore sigterm", &c.items, &["system/init", "timeout:idle"]);
    // idle 0.5 s + grace 1 s; the default grace (5 s) would take over 5.5 s.
    assert!(
        c.elapsed >= Duration::from_millis(1500) && c.elapsed < Duration::from_millis(5000),
        "[{}] elapsed {:?}",
        R::NAME,
        c.elapsed
    );
    assert_reaped::<R>(&record_of::<R>(&scratch));
}

/// The default grace between SIGTERM and SIGKILL is 5 s: a dropped CLI that ignores SIGTERM
/// lives on for about that long, then is killed.
pub fn default_kill_grace_5s<R: Runtime>(s: &Suite) {
    let scratch = Scratch::new();
    let cfg = AmpCfg {
        kill_grace: None,
        ..s.cfg()
    };
    let mut pid = None;
    R::execute_then_drop(
        &cfg,
        directive(StubScenario::IgnoreSigterm, "stubborn"),
        scratch.recorded(AmpOptions::new()),
        1,
        &mut |_| pid = Some(record_of::<R>(&scratch).pid()),
    );
    let dropped = std::time::Instant::now();
    let pid = pid.expect("inspected while alive");
    assert!(
        eventually(Duration::from_secs(15), || !process_exists(pid)),
        "[{}] child {pid} still alive 15 s after the drop",
        R::NAME
    );
    let lived = dropped.elapsed();
    assert!(
        lived >= Duration::from_millis(4500),
        "[{}] killed {lived:?} after the drop, before the 5 s grace",
        R::NAME
    );
}

/// A CLI that hangs after its success result (here: the stub, then a `sleep` holding
/// stdout open): the idle timeout ends it, and that is not an error since the answer was
/// already delivered.
pub fn success_then_hang_is_ok<R: Runtime>(s: &Suite) {
    use std::os::unix::fs::PermissionsExt;
    let scratch = Scratch::new();
    let script = scratch.path().join("amp-then-hang");
    let sleep = ["/bin/sleep", "/usr/bin/sleep"]
        .into_iter()
        .find(|p| std::path::Path::new(p).exists())
        .expect("a sleep binary");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\n'{}' \"$@\"\nexec {sleep} 60\n",
            s.stub.display()
        ),
    )
    .expect("write the wrapper");
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let cfg = AmpCfg {
        cli_path: Some(script),
        idle_timeout: Some(Duration::from_secs(1)),
        kill_grace: Some(Duration::from_secs(2)),
        ..s.cfg()
    };
    let items = retry_text_busy(|| {
        R::execute(
            &cfg,
            "answer, then hang".into(),
            scratch.recorded(AmpOptions::new()),
        )
        .items
    });
    assert_tags::<R>(
        "success then hang",
        &items,
        &["system/init", "user", "assistant", "result"],
    );
    assert_eq!(
        R::run(&cfg, "answer, then hang".into(), AmpOptions::new())
            .map(|summary| summary.result)
            .map_err(|e| tag(&Err(e))),
        Ok("answer, then hang".to_string()),
        "[{}] run",
        R::NAME
    );
}
