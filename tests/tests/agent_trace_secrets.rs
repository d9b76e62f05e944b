//! No secret at any log level (issue 12, item 7), for the agent: with every target at TRACE,
//! an execution under each runtime whose options hold an environment secret, an MCP server
//! secret and a system prompt (written to the generated settings file) logs none of them.

use ampere_core::mcp::{McpConfig, McpServer};
use ampere_core::options::AmpOptions;
use ampere_tests::capture::Capture;

const ENV_SECRET: &str = "env-secret-value-91c2";
const MCP_SECRET: &str = "mcp-secret-token-5d7e";
const PROMPT_SECRET: &str = "settings-secret-system-prompt-3b8a";

fn options() -> AmpOptions {
    let mcp = McpConfig::default().server(
        "private",
        McpServer::stdio("/bin/true").env("API_TOKEN", MCP_SECRET),
    );
    AmpOptions::new()
        .env("MY_SECRET", ENV_SECRET)
        .mcp_config(mcp)
        .system_prompt(PROMPT_SECRET)
}

#[test]
fn trace_logs_of_every_runtime_hold_no_agent_secret() {
    let capture = Capture::default();
    let writer = capture.clone();
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .try_init()
        .expect("the only subscriber of this test binary");
    let stub = env!("CARGO_BIN_EXE_amp-stub");

    let blocking = ampere_blocking::Amp::builder().cli_path(stub).build();
    let summary = blocking.run("hello", options()).expect("blocking run");
    assert_eq!(summary.result, "hello");

    let async_std = ampere_async_std::Amp::builder().cli_path(stub).build();
    let summary =
        futures_lite::future::block_on(async_std.run("hello", options())).expect("async-std run");
    assert_eq!(summary.result, "hello");

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let tokio = ampere_tokio::Amp::builder().cli_path(stub).build();
    let summary = rt
        .block_on(tokio.run("hello", options()))
        .expect("tokio run");
    assert_eq!(summary.result, "hello");

    let logs = capture.text();
    assert!(
        logs.contains("spawning the Amp CLI"),
        "ampere logged: {logs}"
    );
    for secret in [ENV_SECRET, MCP_SECRET, PROMPT_SECRET] {
        assert!(!logs.contains(secret), "{secret} is in the logs");
        let hex: String = secret.bytes().take(8).map(|b| format!("{b:02x}")).collect();
        let compact: String = logs.chars().filter(|c| c.is_ascii_hexdigit()).collect();
        assert!(
            !compact.contains(&hex),
            "{secret}'s bytes are in a hex dump"
        );
    }
}
