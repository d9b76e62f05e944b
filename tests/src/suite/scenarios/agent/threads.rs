//! Thread commands: `threads new`, `markdown`, `multiplayer`, and their failures.

use super::*;

/// `threads new` gives a fresh thread id.
pub fn thread_new<R: Runtime>(s: &Suite) {
    // `thread_command_fails` sets AMP_STUB_THREADS_FAIL for the whole process meanwhile.
    let _env = env_lock();
    let id = R::thread_new(&s.cfg(), None).unwrap_or_else(|e| panic!("[{}] {e:?}", R::NAME));
    assert!(stub::args::is_thread_id(&id), "[{}] {id:?}", R::NAME);
    let other = R::thread_new(&s.cfg(), Some(Visibility::Private)).expect("private");
    assert!(stub::args::is_thread_id(&other));
    assert_ne!(id, other);
}

/// `Visibility::Public` is sent as `unlisted` (the stub rejects `public` like the server).
pub fn thread_new_public_is_unlisted<R: Runtime>(s: &Suite) {
    // `thread_command_fails` sets AMP_STUB_THREADS_FAIL for the whole process meanwhile.
    let _env = env_lock();
    let id = R::thread_new(&s.cfg(), Some(Visibility::Public))
        .unwrap_or_else(|e| panic!("[{}] public must go out as unlisted: {e:?}", R::NAME));
    assert!(stub::args::is_thread_id(&id));
}

/// `threads markdown ID` gives the Markdown, trimmed.
pub fn thread_markdown<R: Runtime>(s: &Suite) {
    // `thread_command_fails` sets AMP_STUB_THREADS_FAIL for the whole process meanwhile.
    let _env = env_lock();
    let id = stub::new_thread_id();
    let md = R::thread_markdown(&s.cfg(), &id).unwrap_or_else(|e| panic!("[{}] {e:?}", R::NAME));
    assert_eq!(
        md,
        format!("# Thread {id}\n\n## User\n\nwhat is 2+2?\n\n## Assistant\n\n2 + 2 equals 4.")
    );
}

/// A thread command that fails: a process error with the exit code and the CLI's stderr.
pub fn thread_markdown_invalid_id<R: Runtime>(s: &Suite) {
    // `thread_command_fails` sets AMP_STUB_THREADS_FAIL for the whole process meanwhile.
    let _env = env_lock();
    match R::thread_markdown(&s.cfg(), "not-a-thread") {
        Err(AgentError::Process {
            exit_code,
            signal,
            stderr,
        }) => {
            assert_eq!(exit_code, Some(1));
            assert_eq!(signal, None);
            assert!(
                stderr.starts_with("Error: Invalid thread URL or ID: not-a-thread\n"),
                "[{}] {stderr:?}",
                R::NAME
            );
        }
        other => panic!("[{}] expected a process error, got {other:?}", R::NAME),
    }
}

/// `threads share multiplayer on|off|ttl`: the CLI's confirmation line.
pub fn thread_multiplayer<R: Runtime>(s: &Suite) {
    // `thread_command_fails` sets AMP_STUB_THREADS_FAIL for the whole process meanwhile.
    let _env = env_lock();
    let id = stub::new_thread_id();
    let cfg = s.cfg();
    let mp = |setting| {
        R::thread_multiplayer(&cfg, &id, setting)
            .unwrap_or_else(|e| panic!("[{}] {setting:?}: {e:?}", R::NAME))
    };
    assert_eq!(
        mp(MultiplayerSetting::On),
        format!("Multiplayer turned on for {id} for 1 week.")
    );
    assert_eq!(
        mp(MultiplayerSetting::Off),
        format!("Multiplayer turned off for {id}.")
    );
    assert_eq!(
        mp(MultiplayerSetting::Ttl(TtlDuration::hours(2))),
        format!("Multiplayer turned on for {id} for 120 minutes.")
    );
    assert_eq!(
        mp(MultiplayerSetting::Ttl(TtlDuration {
            days: 1,
            hours: 1,
            ..TtlDuration::default()
        })),
        format!("Multiplayer turned on for {id} for 1500 minutes.")
    );
}

/// A ttl outside 5 minutes .. 7 days is rejected before anything is spawned.
pub fn thread_multiplayer_invalid_ttl<R: Runtime>(s: &Suite) {
    let id = stub::new_thread_id();
    for ttl in [
        TtlDuration::minutes(4),
        TtlDuration::weeks(2),
        TtlDuration::default(),
    ] {
        match R::thread_multiplayer(&s.cfg(), &id, MultiplayerSetting::Ttl(ttl)) {
            Err(AgentError::Validation(v)) => assert_eq!(v.field, "ttl"),
            other => panic!(
                "[{}] ttl {ttl:?}: expected a validation error, got {other:?}",
                R::NAME
            ),
        }
    }
}

/// A thread command the CLI fails (offline): the process error carries its stderr.
pub fn thread_command_fails<R: Runtime>(s: &Suite) {
    let got = {
        let _env = env_lock();
        let _patch = EnvPatch::apply(&[("AMP_STUB_THREADS_FAIL", Some("1".as_ref()))]);
        R::thread_new(&s.cfg(), None)
    };
    assert_eq!(
        got,
        Err(AgentError::Process {
            exit_code: Some(1),
            signal: None,
            stderr: "Error: Cannot reach Amp servers. Are you offline?\n".into()
        }),
        "[{}]",
        R::NAME
    );
}
