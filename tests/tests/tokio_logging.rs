//! What `ampere-tokio` logs: the command line and working folder at debug level, never
//! environment values, the system prompt, permission rules or MCP secrets.

use ampere_tests::capture::Capture;
use ampere_tokio::{Amp, AmpOptions, McpConfigSource, Message};

#[test]
fn debug_logs_show_the_command_but_no_secrets() {
    let capture = Capture::default();
    let writer = capture.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    // Everything runs on this thread, so the thread-local subscriber sees it all.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let work = tempfile::tempdir().expect("tempdir");
    rt.block_on(async {
        let amp = Amp::builder()
            .cli_path(env!("CARGO_BIN_EXE_amp-stub"))
            .build();
        let options = AmpOptions::default()
            .env("SECRET_TOKEN", "env-secret-1234")
            .system_prompt("prompt-secret-5678")
            .mcp_config(McpConfigSource::Json(
                r#"{"db": {"command": "node", "env": {"PASSWORD": "mcp-secret-9012"}}}"#.into(),
            ))
            .cwd(work.path());
        let mut execution = amp.execute("hello", options);
        let mut ok = false;
        while let Some(item) = execution.next().await {
            ok |= matches!(item.expect("message"), Message::Result(_));
        }
        assert!(ok);
    });
    let logs = capture.text();
    assert!(
        logs.contains("--execute"),
        "the command line is logged:\n{logs}"
    );
    assert!(logs.contains("--settings-file"), "{logs}");
    assert!(
        logs.contains(&work.path().display().to_string()),
        "the working folder is logged:\n{logs}"
    );
    for secret in ["env-secret-1234", "prompt-secret-5678", "mcp-secret-9012"] {
        assert!(
            !logs.contains(secret),
            "{secret} leaked into the logs:\n{logs}"
        );
    }
}
