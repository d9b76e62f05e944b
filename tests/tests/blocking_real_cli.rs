//! `ampere-blocking` driving the real, pinned Amp CLI offline (no account, no network):
//! with valid arguments it can only fail to connect, which it must report as a process
//! error with the CLI's own words, leaving nothing behind.

use std::time::Duration;

use ampere_blocking::{create_user_message, AgentError, Amp, AmpOptions, Prompt};

fn offline_options(home: &std::path::Path) -> AmpOptions {
    AmpOptions::new()
        .env("HOME", home.to_string_lossy())
        .env("XDG_CONFIG_HOME", home.join(".config").to_string_lossy())
        .env("XDG_CACHE_HOME", home.join(".cache").to_string_lossy())
        .env("AMP_API_KEY", "x")
        .env("AMP_URL", "http://127.0.0.1:9")
        .env("NO_COLOR", "1")
}

fn expect_connect_failure(items: Vec<Result<ampere_blocking::Message, AgentError>>) {
    let last = items.last().expect("at least the final error");
    match last {
        Err(AgentError::Process {
            exit_code, stderr, ..
        }) => {
            assert_eq!(*exit_code, Some(1), "{stderr}");
            assert!(
                stderr.contains("Couldn't connect") || stderr.contains("connect"),
                "{stderr}"
            );
        }
        other => panic!("expected a process error, got {other:?}"),
    }
}

#[test]
fn the_real_cli_offline_fails_cleanly() {
    let Some(bin) = ampere_tests::real_cli::real_cli_or_skip(
        "blocking_real_cli::the_real_cli_offline_fails_cleanly",
    ) else {
        return;
    };
    let home = ampere_tests::real_cli::scratch_home().expect("scratch home");
    let private_root = tempfile::tempdir().expect("tempdir");
    let amp = Amp::builder()
        .cli_path(&bin)
        .temp_dir(private_root.path())
        .overall_timeout(Duration::from_secs(120))
        .build();

    // A text prompt, with a generated settings overlay (a private folder).
    let options = offline_options(home.path())
        .system_prompt("be terse")
        .settings_file(home.path().join("base.json"));
    std::fs::write(home.path().join("base.json"), "{}").expect("write");
    let execution = amp.execute("what is 2+2?", options);
    let pid = execution.pid().expect("spawned");
    assert!(execution.private_dir().is_some());
    expect_connect_failure(execution.collect());
    assert!(!std::path::Path::new(&format!("/proc/{pid}")).exists());
    assert_eq!(
        std::fs::read_dir(private_root.path()).expect("ls").count(),
        0,
        "private folder removed"
    );

    // Streamed input.
    let prompt = Prompt::messages(vec![create_user_message("what is 2+2?")]);
    expect_connect_failure(amp.execute(prompt, offline_options(home.path())).collect());

    // An option this CLI build does not know is its error, said clearly.
    let options = offline_options(home.path()).effort(ampere_blocking::Effort::High);
    let items: Vec<_> = amp.execute("x", options).collect();
    match items.last() {
        Some(Err(AgentError::Process { stderr, .. })) => {
            assert!(stderr.contains("unknown option"), "{stderr}")
        }
        other => panic!("{other:?}"),
    }
}
