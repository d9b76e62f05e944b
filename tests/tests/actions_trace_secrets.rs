//! No secret at any log level (issue 12, item 7), for actions: with every target at TRACE
//! (the `log` crate's records included, as `tracing-subscriber` forwards them), an action
//! run under each runtime logs neither the token nor the `Authorization` header.

use ampere_tests::capture::Capture;
use ampere_tests::mock::{ActionScript, ZampMock};
use serde_json::{json, Value};

#[test]
fn trace_logs_of_every_runtime_hold_no_token() {
    let capture = Capture::default();
    let writer = capture.clone();
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .try_init()
        .expect("the only subscriber of this test binary");
    let token = "zamp-trace-secret-7f3a91";
    let mock = ZampMock::start_with(ampere_tests::mock::MockConfig {
        token: Some(token.into()),
        ..Default::default()
    })
    .expect("mock");
    mock.set_default(ActionScript {
        running_polls: 1,
        ..ActionScript::default()
    });

    let blocking = ampere_blocking::ActionExecutor::builder()
        .base_url(mock.base_url())
        .auth_token(token)
        .build();
    let got: Value = blocking.execute("blocking", json!({})).expect("blocking");
    assert_eq!(got, json!({"ok": true}));

    let async_std = ampere_async_std::ActionExecutor::builder()
        .base_url(mock.base_url())
        .auth_token(token)
        .build();
    let got: Value = futures_lite::future::block_on(async_std.execute("async-std", json!({})))
        .expect("async-std");
    assert_eq!(got, json!({"ok": true}));

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let tokio = ampere_tokio::ActionExecutor::builder()
        .base_url(mock.base_url())
        .auth_token(token)
        .build();
    let got: Value = rt
        .block_on(tokio.execute("tokio", json!({})))
        .expect("tokio");
    assert_eq!(got, json!({"ok": true}));

    assert_eq!(mock.requests().len(), 9, "create and two polls each");
    assert!(mock.requests().iter().all(|r| r.authorized));
    let logs = capture.text();
    assert!(logs.contains("zamp request"), "ampere logged: {logs}");
    // Plain `http://` goes out on ampere's own HTTP/1.1 codec in every runtime (no client
    // library logs it); `https://` goes through ureq / reqwest, whose TRACE records would be
    // captured here too (ureq never sees the token: `runtime-common/src/ureq_http.rs`).
    assert!(!logs.contains(token), "the token is in the logs");
    // Nor in the hex dumps some clients write at TRACE: the token's bytes in hex.
    let hex: String = token.bytes().take(8).map(|b| format!("{b:02x}")).collect();
    let compact: String = logs.chars().filter(|c| c.is_ascii_hexdigit()).collect();
    assert!(
        !compact.contains(&hex),
        "the token's bytes are in a hex dump"
    );
}
