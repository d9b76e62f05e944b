//! One tokio `ActionExecutor` used from two runtimes in turn (as two `#[tokio::test]`s
//! sharing `execute_action`'s executor do): the connections kept alive by the first, whose
//! runtime is gone, are not reused for the second's requests, creates included.

use ampere_tests::mock::ZampMock;
use serde_json::{json, Value};

#[test]
fn a_pooled_connection_of_a_dropped_runtime_is_not_an_error() {
    let mock = ZampMock::start();
    let executor = ampere_tokio::ActionExecutor::builder()
        .base_url(mock.base_url())
        .auth_token(mock.token())
        .build();
    for round in 0..3 {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let got: Value = rt
            .block_on(executor.execute("twice", json!({ "round": round })))
            .expect("the action of this runtime");
        assert_eq!(got, json!({"ok": true}), "round {round}");
    }
}
