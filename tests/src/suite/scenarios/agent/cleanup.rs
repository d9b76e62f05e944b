//! Cancellation and cleanup: drop and `cancel` at every point, the process group, nothing
//! left behind (no process, no private folder).

use super::*;

/// Dropping the execution after its first message terminates the child and removes the
/// private folder.
pub fn drop_after_first_message<R: Runtime>(s: &Suite) {
    let scratch = Scratch::new();
    let mut seen: Option<(Record, PathBuf)> = None;
    let items = R::execute_then_drop(
        &cfg_in(s, &scratch),
        directive(StubScenario::Hang, "drop me"),
        with_private_dir(&scratch),
        1,
        &mut |_items| {
            let rec = record_of::<R>(&scratch);
            let dir = private_dir_of::<R>(&rec);
            assert!(
                process_exists(rec.pid()),
                "[{}] child alive before drop",
                R::NAME
            );
            assert!(
                dir.is_dir(),
                "[{}] private folder exists before drop",
                R::NAME
            );
            seen = Some((rec, dir));
        },
    );
    assert_tags::<R>("drop", &items, &["system/init"]);
    let (rec, dir) = seen.expect("inspected while alive");
    assert_eventually_gone::<R>(&rec, Some(&dir));
    assert_no_leftovers::<R>(&scratch, true);
}

/// Dropping an execution whose CLI ignores SIGTERM: SIGKILL after the grace, then gone.
pub fn drop_ignoring_sigterm<R: Runtime>(s: &Suite) {
    let scratch = Scratch::new();
    let cfg = AmpCfg {
        kill_grace: Some(Duration::from_secs(1)),
        ..cfg_in(s, &scratch)
    };
    let mut seen: Option<(Record, PathBuf)> = None;
    R::execute_then_drop(
        &cfg,
        directive(StubScenario::IgnoreSigterm, "drop me"),
        with_private_dir(&scratch),
        1,
        &mut |_| {
            let rec = record_of::<R>(&scratch);
            let dir = private_dir_of::<R>(&rec);
            seen = Some((rec, dir));
        },
    );
    let (rec, dir) = seen.expect("inspected while alive");
    assert_eventually_gone::<R>(&rec, Some(&dir));
    assert_no_leftovers::<R>(&scratch, true);
}

/// `cancel()` returns only once the child is reaped and the private folder removed.
pub fn cancel_reaps_and_cleans<R: Runtime>(s: &Suite) {
    let scratch = Scratch::new();
    let mut seen: Option<(Record, PathBuf)> = None;
    let items = R::execute_then_cancel(
        &cfg_in(s, &scratch),
        directive(StubScenario::Hang, "cancel me"),
        with_private_dir(&scratch),
        1,
        &mut |_| {
            let rec = record_of::<R>(&scratch);
            let dir = private_dir_of::<R>(&rec);
            seen = Some((rec, dir));
        },
    );
    assert_tags::<R>("cancel", &items, &["system/init"]);
    let (rec, dir) = seen.expect("inspected while alive");
    assert!(
        !process_exists(rec.pid()),
        "[{}] child {} not reaped when cancel() returned",
        R::NAME,
        rec.pid()
    );
    assert!(
        !dir.exists(),
        "[{}] private folder not removed when cancel() returned",
        R::NAME
    );
    assert_no_leftovers::<R>(&scratch, false);
}

/// A CLI wrapper script that starts a grandchild (`sleep`, holding stdout open, its pid
/// written to `grandchild.pid`) and then becomes the stub.
fn wrapper_with_grandchild(s: &Suite, scratch: &Scratch, sleep_secs: u32) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let script = scratch.path().join("amp-wrapper");
    let pid_file = scratch.path().join("grandchild.pid");
    // An absolute `sleep`: another scenario may have PATH pointed at an empty folder.
    let sleep = ["/bin/sleep", "/usr/bin/sleep"]
        .into_iter()
        .find(|p| std::path::Path::new(p).exists())
        .expect("a sleep binary");
    let text = format!(
        "#!/bin/sh\n{sleep} {sleep_secs} &\necho $! > '{}'\nexec '{}' \"$@\"\n",
        pid_file.display(),
        s.stub.display()
    );
    std::fs::write(&script, text).expect("write the wrapper");
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    script
}

fn grandchild_pid(scratch: &Scratch) -> Option<u32> {
    std::fs::read_to_string(scratch.path().join("grandchild.pid"))
        .ok()
        .and_then(|t| t.trim().parse().ok())
}

/// Dropping the execution signals the whole process group: a grandchild of the CLI is
/// terminated too.
pub fn drop_kills_process_group<R: Runtime>(s: &Suite) {
    let scratch = Scratch::new();
    let cfg = AmpCfg {
        cli_path: Some(wrapper_with_grandchild(s, &scratch, 60)),
        kill_grace: Some(Duration::from_secs(1)),
        ..s.cfg()
    };
    let mut seen: Option<(Record, u32)> = None;
    let items = retry_text_busy(|| {
        R::execute_then_drop(
            &cfg,
            directive(StubScenario::Hang, "family"),
            scratch.recorded(AmpOptions::new()),
            1,
            &mut |_| {
                let rec = record_of::<R>(&scratch);
                let grandchild = grandchild_pid(&scratch).expect("grandchild pid written");
                assert!(process_exists(grandchild));
                seen = Some((rec, grandchild));
            },
        )
    });
    assert_tags::<R>("group", &items, &["system/init"]);
    let (rec, grandchild) = seen.expect("inspected while alive");
    assert_eventually_gone::<R>(&rec, None);
    let gone = eventually(EVENTUALLY, || !process_exists(grandchild));
    if !gone {
        // SAFETY: kill(2) has no memory-safety preconditions; this only cleans up.
        unsafe {
            libc::kill(grandchild as i32, libc::SIGKILL);
        }
    }
    assert!(
        gone,
        "[{}] grandchild {grandchild} survived the drop (only the child was signalled?)",
        R::NAME
    );
}

/// The CLI exits but a grandchild keeps stdout open: the run still ends shortly after the
/// exit (the exit drain grace), with every message and no error.
pub fn exit_with_grandchild_holding_stdout<R: Runtime>(s: &Suite) {
    let scratch = Scratch::new();
    let cfg = AmpCfg {
        cli_path: Some(wrapper_with_grandchild(s, &scratch, 30)),
        ..s.cfg()
    };
    let mut elapsed = Duration::ZERO;
    let items = retry_text_busy(|| {
        let c = R::execute(
            &cfg,
            "orphaned pipe".into(),
            scratch.recorded(AmpOptions::new()),
        );
        elapsed = c.elapsed;
        c.items
    });
    if let Some(pid) = grandchild_pid(&scratch) {
        // SAFETY: kill(2) has no memory-safety preconditions; this only cleans up.
        unsafe {
            libc::kill(pid as i32, libc::SIGKILL);
        }
    }
    assert_tags::<R>(
        "grandchild holds stdout",
        &items,
        &["system/init", "user", "assistant", "result"],
    );
    assert!(
        elapsed < Duration::from_secs(15),
        "[{}] the run waited {elapsed:?} for a stdout held open by a grandchild",
        R::NAME
    );
    assert_reaped::<R>(&record_of::<R>(&scratch));
}

/// Dropping the execution before reading anything: whatever was started is stopped and
/// nothing is left in the temp folder.
pub fn drop_before_reading<R: Runtime>(s: &Suite) {
    let scratch = Scratch::new();
    let items = R::execute_then_drop(
        &cfg_in(s, &scratch),
        directive(StubScenario::Hang, "never read"),
        with_private_dir(&scratch),
        0,
        &mut |_| {},
    );
    assert!(items.is_empty());
    // If the child was spawned at all, it goes away.
    if let Some(rec) = scratch.record() {
        assert_eventually_gone::<R>(&rec, None);
    }
    assert_no_leftovers::<R>(&scratch, true);
}

/// The private files are removed when the execution fails before or at the spawn: CLI not
/// found (after the files were written), a bad base settings file, a validation error.
pub fn no_leftovers_on_early_errors<R: Runtime>(s: &Suite) {
    let scratch = Scratch::new();
    let secretive = || {
        AmpOptions::new()
            .system_prompt("secret system prompt")
            .mcp_config(McpConfig::new().server("db", McpServer::stdio("db").env("K", "v")))
    };
    let missing = AmpCfg {
        cli_path: Some(scratch.path().join("no-such-amp")),
        ..cfg_in(s, &scratch)
    };
    let c = R::execute(&missing, "x".into(), secretive());
    assert_eq!(tags(&c.items), ["cli_not_found"], "[{}]", R::NAME);
    assert_no_leftovers::<R>(&scratch, false);

    let bad = scratch.path().join("bad-settings.json");
    std::fs::write(&bad, "not json").expect("write");
    let c = R::execute(
        &cfg_in(s, &scratch),
        "x".into(),
        secretive().settings_file(&bad),
    );
    assert_eq!(tags(&c.items), ["plan"], "[{}]", R::NAME);
    assert_no_leftovers::<R>(&scratch, false);

    let c = R::execute(
        &cfg_in(s, &scratch),
        "x".into(),
        secretive().labels(["-bad"]),
    );
    assert_eq!(tags(&c.items), ["validation:labels[0]"], "[{}]", R::NAME);
    assert_no_leftovers::<R>(&scratch, false);

    assert_eq!(
        R::run(&missing, "x".into(), secretive())
            .err()
            .map(|e| tag(&Err(e))),
        Some("cli_not_found".to_string())
    );
    assert_no_leftovers::<R>(&scratch, false);
}

/// `cancel()` before anything was read: when it returns, whatever was started is gone and
/// nothing is left in the temp folder.
pub fn cancel_before_reading<R: Runtime>(s: &Suite) {
    let scratch = Scratch::new();
    let items = R::execute_then_cancel(
        &cfg_in(s, &scratch),
        directive(StubScenario::Hang, "never read"),
        with_private_dir(&scratch),
        0,
        &mut |_| {},
    );
    assert!(items.is_empty());
    if let Some(rec) = scratch.record() {
        assert!(
            !process_exists(rec.pid()),
            "[{}] child {} not reaped when cancel() returned",
            R::NAME,
            rec.pid()
        );
    }
    assert_no_leftovers::<R>(&scratch, false);
}

/// `cancel()` of an execution whose stream already ended is a quick no-op.
pub fn cancel_after_end<R: Runtime>(s: &Suite) {
    let scratch = Scratch::new();
    let started = std::time::Instant::now();
    let items = R::execute_then_cancel(
        &cfg_in(s, &scratch),
        "over already".into(),
        with_private_dir(&scratch),
        100,
        &mut |_| {},
    );
    assert_tags::<R>(
        "cancel after end",
        &items,
        &["system/init", "user", "assistant", "result"],
    );
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "[{}] cancel() of a finished execution took {:?}",
        R::NAME,
        started.elapsed()
    );
    assert_reaped::<R>(&record_of::<R>(&scratch));
    assert_no_leftovers::<R>(&scratch, false);
}
