//! The free functions configured from the environment only (`AMP_CLI_PATH`,
//! `ZAMP_BASE_URL`, `ZAMP_AUTH_TOKEN`). One test in its own binary: it sets process
//! environment variables before any other thread reads them.

use ampere_tests::mock::{ActionScript, Outcome, ZampMock};
use ampere_tokio::{
    execute, execute_action, run, ActionError, ActionExecutor, AmpOptions, Message,
};
use serde_json::{json, Value};

#[test]
fn free_functions_read_their_configuration_from_the_environment() {
    let mock = ZampMock::start();
    mock.script(
        "send_invoice",
        ActionScript {
            running_polls: 1,
            outcome: Outcome::Completed(Some(json!({"sent": true}))),
            ..ActionScript::default()
        },
    );
    // Before the runtime (and any other thread) exists.
    std::env::set_var("AMP_CLI_PATH", env!("CARGO_BIN_EXE_amp-stub"));
    std::env::set_var("ZAMP_BASE_URL", mock.base_url());
    std::env::set_var("ZAMP_AUTH_TOKEN", mock.token());

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        // Agent: found through AMP_CLI_PATH.
        let mut execution = execute("from the environment", AmpOptions::default());
        let mut result = None;
        while let Some(item) = execution.next().await {
            if let Message::Result(r) = item.expect("message") {
                result = Some(r.result);
            }
        }
        assert_eq!(result.as_deref(), Some("from the environment"));
        let summary = run("again", AmpOptions::default()).await.expect("run");
        assert_eq!(summary.result, "again");

        // Actions: configured from ZAMP_BASE_URL / ZAMP_AUTH_TOKEN.
        let value = execute_action("send_invoice", json!({"invoice_id": "inv_1"}))
            .await
            .expect("action");
        assert_eq!(value, json!({"sent": true}));
        let typed: Value = ActionExecutor::new()
            .execute("send_invoice", json!({}))
            .await
            .expect("action");
        assert_eq!(typed, json!({"sent": true}));
        // An explicit value wins over the environment.
        let err = ActionExecutor::builder()
            .auth_token("explicit-wrong-token")
            .build()
            .execute::<Value>("send_invoice", json!({}))
            .await
            .expect_err("explicit token wins, and is wrong");
        assert!(
            matches!(
                err,
                ActionError::Http {
                    status: Some(401),
                    ..
                }
            ),
            "{err:?}"
        );
    });
    // Two accepted creates and the rejected (401) one.
    assert_eq!(mock.count_creates("send_invoice"), 3);
}
