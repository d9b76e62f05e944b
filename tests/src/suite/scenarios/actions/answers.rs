//! What the answers say: terminal failure and unknown statuses, bodies that are not JSON,
//! error and `data` envelopes.

use super::*;

/// Each terminal failure status is an action-failed error with id, status and error text
/// (`unknown error` when the platform gave none).
pub fn action_failure_statuses<R: Runtime>(_s: &Suite) {
    let mock = ZampMock::start();
    let cases = [
        (
            "f-failed",
            Outcome::failed("kaput one"),
            "FAILED",
            "kaput one",
        ),
        (
            "f-canceled",
            Outcome::canceled("kaput two"),
            "CANCELED",
            "kaput two",
        ),
        (
            "f-terminated",
            Outcome::terminated("kaput three"),
            "TERMINATED",
            "kaput three",
        ),
        (
            "f-timed-out",
            Outcome::timed_out("kaput four"),
            "TIMED_OUT",
            "kaput four",
        ),
        (
            "f-silent",
            Outcome::Failed {
                status: "FAILED".into(),
                error: None,
            },
            "FAILED",
            "unknown error",
        ),
    ];
    for (name, outcome, status, error) in cases {
        mock.script(
            name,
            ActionScript {
                running_polls: 1,
                outcome,
                ..ActionScript::default()
            },
        );
        let got = R::action::<Value>(&cfg_of(&mock), ActionRequest::new(name, json!({})));
        let id = only_id::<R>(&mock, name);
        let expected = ActionError::Failed {
            action_id: id.clone(),
            status: status.into(),
            error: error.into(),
        };
        assert_eq!(got.as_ref(), Err(&expected), "[{}] {name}", R::NAME);
        assert_eq!(
            got.unwrap_err().to_string(),
            format!("Action {id} {status}: {error}")
        );
    }
}

/// A status the SDK does not know is an unexpected-status error.
pub fn action_unexpected_status<R: Runtime>(_s: &Suite) {
    let mock = ZampMock::start();
    mock.script(
        "paused",
        ActionScript {
            outcome: Outcome::Status("PAUSED".into()),
            ..ActionScript::default()
        },
    );
    let got = R::action::<Value>(&cfg_of(&mock), ActionRequest::new("paused", json!({})));
    let id = only_id::<R>(&mock, "paused");
    assert_eq!(
        got,
        Err(ActionError::UnexpectedStatus {
            action_id: id,
            status: "PAUSED".into()
        }),
        "[{}]",
        R::NAME
    );
}

/// A create answer that is not JSON: a decode error naming the URL.
pub fn action_non_json_create<R: Runtime>(_s: &Suite) {
    let mock = ZampMock::start();
    mock.script(
        "html",
        ActionScript {
            create_non_json: true,
            ..ActionScript::default()
        },
    );
    let got = R::action::<Value>(&cfg_of(&mock), ActionRequest::new("html", json!({})));
    expect_decode::<R>(got, &format!("{}/actions", mock.base_url()));
    assert_eq!(mock.requests().len(), 1);
}

/// A poll answer that is not JSON: a decode error naming the poll URL.
pub fn action_non_json_poll<R: Runtime>(_s: &Suite) {
    let mock = ZampMock::start();
    mock.script(
        "html-poll",
        ActionScript {
            poll_non_json: true,
            ..ActionScript::default()
        },
    );
    let got = R::action::<Value>(&cfg_of(&mock), ActionRequest::new("html-poll", json!({})));
    let id = only_id::<R>(&mock, "html-poll");
    expect_decode::<R>(got, &format!("{}/actions/{id}", mock.base_url()));
}

/// A 2xx answer carrying an `error` object is an HTTP error with its message.
pub fn action_error_envelope<R: Runtime>(_s: &Suite) {
    let mock = ZampMock::start();
    mock.script(
        "enveloped",
        ActionScript {
            create_envelope: Envelope::Error(json!({"message": "quota exceeded"})),
            ..ActionScript::default()
        },
    );
    let got = R::action::<Value>(&cfg_of(&mock), ActionRequest::new("enveloped", json!({})));
    expect_http::<R>("error envelope", got, 200, "quota exceeded");
    assert_eq!(mock.requests().len(), 1);
}

/// A `data` envelope on the create answer hides the `id`: a decode error naming the URL.
pub fn action_data_envelope<R: Runtime>(_s: &Suite) {
    let mock = ZampMock::start();
    mock.script(
        "wrapped",
        ActionScript {
            create_envelope: Envelope::Data,
            ..ActionScript::default()
        },
    );
    let got = R::action::<Value>(&cfg_of(&mock), ActionRequest::new("wrapped", json!({})));
    expect_decode::<R>(got, &format!("{}/actions", mock.base_url()));
    assert_eq!(mock.requests().len(), 1);
}
