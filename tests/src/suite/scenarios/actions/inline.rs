//! Inline execution: the result in the create answer, nothing polled.

use super::*;

/// Inline execution: the result comes in the create answer; nothing is polled.
pub fn action_inline<R: Runtime>(_s: &Suite) {
    let mock = ZampMock::start();
    mock.script(
        "inline",
        ActionScript {
            inline: true,
            outcome: Outcome::Completed(Some(json!({"inline": true}))),
            ..ActionScript::default()
        },
    );
    let request = ActionRequest::new("inline", json!({"q": 1}))
        .inline()
        .start_to_close_timeout(Duration::from_secs(5));
    let got = R::action::<Value>(&cfg_of(&mock), request);
    assert_eq!(got, Ok(json!({"inline": true})), "[{}]", R::NAME);
    let all = mock.requests();
    assert_eq!(all.len(), 1, "[{}] no poll: {all:?}", R::NAME);
    let body = all[0].body.clone().expect("JSON body");
    assert_eq!(body["execution_mode"], "INLINE");
    assert_eq!(body["start_to_close_timeout_seconds"], json!(5.0));
}

/// Inline execution of an action that is not opted in: the 422 surfaces, no retry.
pub fn action_inline_not_opted_in<R: Runtime>(_s: &Suite) {
    let mock = ZampMock::start();
    let got = R::action::<Value>(
        &cfg_of(&mock),
        ActionRequest::new("not-inline", json!({})).inline(),
    );
    expect_http::<R>(
        "422",
        got,
        422,
        &format!(
            "HTTP 422 from {}/actions: action not-inline is not opted in to inline execution",
            mock.base_url()
        ),
    );
    assert_eq!(mock.requests().len(), 1);
}

/// Inline execution answered `RUNNING`: an unexpected-status error, nothing polled.
pub fn action_inline_running<R: Runtime>(_s: &Suite) {
    let mock = ZampMock::start();
    mock.script(
        "inline-running",
        ActionScript {
            inline: true,
            inline_running: true,
            ..ActionScript::default()
        },
    );
    let got = R::action::<Value>(
        &cfg_of(&mock),
        ActionRequest::new("inline-running", json!({})).inline(),
    );
    let id = only_id::<R>(&mock, "inline-running");
    assert_eq!(
        got,
        Err(ActionError::UnexpectedStatus {
            action_id: id,
            status: "RUNNING".into()
        }),
        "[{}]",
        R::NAME
    );
    assert_eq!(mock.requests().len(), 1);
}
