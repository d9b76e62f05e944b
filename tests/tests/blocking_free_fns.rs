//! The free functions (`execute`, `run`, `execute_action`) find their configuration in
//! the environment. One test per binary: it sets process environment variables.

use ampere_blocking::{execute, execute_action, run, ActionError, ActionExecutor, AmpOptions};
use ampere_tests::mock::ZampMock;
use serde_json::{json, Value};

#[test]
fn free_functions_take_their_configuration_from_the_environment() {
    // Agent: AMP_CLI_PATH names the CLI.
    std::env::set_var("AMP_CLI_PATH", env!("CARGO_BIN_EXE_amp-stub"));
    let texts: Vec<String> = execute("from the environment", AmpOptions::default())
        .filter_map(|m| m.ok()?.result_text().map(str::to_string))
        .collect();
    assert_eq!(texts, ["from the environment"]);
    assert_eq!(
        run("run too", AmpOptions::default()).expect("run").result,
        "run too"
    );

    // Actions: nothing configured is a configuration error naming the variable, raised
    // before any request.
    std::env::remove_var("ZAMP_BASE_URL");
    std::env::remove_var("ZAMP_AUTH_TOKEN");
    let err = execute_action("x", json!({})).expect_err("no config");
    assert_eq!(err, ActionError::missing_config("ZAMP_BASE_URL"));
    let mock = ZampMock::start();
    std::env::set_var("ZAMP_BASE_URL", mock.base_url());
    let err = execute_action("x", json!({})).expect_err("no token");
    assert_eq!(err, ActionError::missing_config("ZAMP_AUTH_TOKEN"));
    std::env::set_var("ZAMP_AUTH_TOKEN", mock.token());
    let value = execute_action("x", json!({"a": 1})).expect("action");
    assert_eq!(value, json!({"ok": true}));
    // An explicit value wins over the environment.
    let err = ActionExecutor::builder()
        .auth_token("explicit-wrong-token")
        .build()
        .execute::<Value>("x", json!({}))
        .expect_err("explicit token used");
    assert_eq!(err.http_status(), Some(401));
}
