//! Scripts the Zamp mock and runs actions against it (ampere-blocking; the mock works the
//! same from tokio and async-std tests).
//!
//! ```sh
//! cargo run -p ampere-testing --example zamp_mock
//! ```

use ampere_blocking::{ActionError, ActionExecutor};
use ampere_testing::mock::{ActionScript, Outcome, ZampMock};
use serde_json::{json, Value};

fn main() {
    let mock = ZampMock::start();
    mock.script(
        "deploy",
        ActionScript {
            running_polls: 2,
            outcome: Outcome::Completed(Some(json!({"url": "https://example.com/v42"}))),
            ..ActionScript::default()
        },
    );
    mock.script(
        "rollback",
        ActionScript {
            outcome: Outcome::failed("no previous release"),
            ..ActionScript::default()
        },
    );
    mock.script(
        "audit",
        ActionScript {
            create_statuses: vec![401],
            ..ActionScript::default()
        },
    );

    let exec = ActionExecutor::builder()
        .base_url(mock.base_url())
        .auth_token(mock.token())
        .build();
    let deployed: Value = exec
        .execute("deploy", json!({"version": 42}))
        .unwrap_or_default();
    println!("deploy -> {deployed}");
    match exec.execute::<Value>("rollback", json!({})) {
        Err(ActionError::Failed { status, error, .. }) => println!("rollback -> {status}: {error}"),
        other => println!("rollback -> unexpected {other:?}"),
    }
    match exec.execute::<Value>("audit", json!({})) {
        Err(error) => println!("audit -> HTTP {:?}: {error}", error.http_status()),
        Ok(value) => println!("audit -> unexpected {value}"),
    }
    let polls = mock.requests().iter().filter(|r| r.method == "GET").count();
    println!(
        "the mock saw {} requests ({polls} polls)",
        mock.requests().len()
    );
}
