//! `ampere-tokio` driving the real, pinned Amp CLI offline (no account, no network): with
//! valid arguments it can only fail to connect, which must come out as a process error in
//! the CLI's own words, with nothing left behind.

use std::path::Path;
use std::time::Duration;

use ampere_tokio::{create_user_message, AgentError, Amp, AmpOptions, Execution, Message};

fn offline_options(home: &Path) -> AmpOptions {
    AmpOptions::new()
        .env("HOME", home.to_string_lossy())
        .env("XDG_CONFIG_HOME", home.join(".config").to_string_lossy())
        .env("XDG_CACHE_HOME", home.join(".cache").to_string_lossy())
        .env("AMP_API_KEY", "x")
        .env("AMP_URL", "http://127.0.0.1:9")
        .env("NO_COLOR", "1")
}

async fn items(mut execution: Execution) -> Vec<Result<Message, AgentError>> {
    let mut out = Vec::new();
    while let Some(item) = execution.next().await {
        out.push(item);
    }
    out
}

fn expect_connect_failure(items: &[Result<Message, AgentError>]) {
    match items.last() {
        Some(Err(AgentError::Process {
            exit_code, stderr, ..
        })) => {
            assert_eq!(*exit_code, Some(1), "{stderr}");
            assert!(stderr.contains("connect"), "{stderr}");
        }
        other => panic!("expected a process error, got {other:?}"),
    }
}

#[tokio::test]
async fn the_real_cli_offline_fails_cleanly() {
    let Some(bin) = ampere_tests::real_cli::real_cli_or_skip(
        "tokio_real_cli::the_real_cli_offline_fails_cleanly",
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

    // A text prompt with a generated settings overlay (a private folder).
    std::fs::write(home.path().join("base.json"), "{}").expect("write");
    let options = offline_options(home.path())
        .system_prompt("be terse")
        .settings_file(home.path().join("base.json"));
    let execution = amp.execute("what is 2+2?", options);
    let pid = execution.pid().expect("spawned");
    assert!(execution.private_dir().is_some());
    expect_connect_failure(&items(execution).await);
    assert!(!Path::new(&format!("/proc/{pid}")).exists());
    assert_eq!(
        std::fs::read_dir(private_root.path()).expect("ls").count(),
        0,
        "private folder removed"
    );

    // Streamed input.
    let (tx, rx) = tokio::sync::mpsc::channel(1);
    tx.send(create_user_message("what is 2+2?"))
        .await
        .expect("send");
    drop(tx);
    expect_connect_failure(&items(amp.execute(rx, offline_options(home.path()))).await);

    // An option this CLI build does not know is its error, said clearly.
    let options = offline_options(home.path()).effort(ampere_tokio::Effort::High);
    match items(amp.execute("x", options)).await.last() {
        Some(Err(AgentError::Process { stderr, .. })) => {
            assert!(stderr.contains("unknown option"), "{stderr}")
        }
        other => panic!("{other:?}"),
    }
}
