//! HTTP errors on create and poll: which are retried (5xx) and which surface at once.

use super::*;

/// 5xx on create is retried after 1 s, then 2 s; then the action runs.
pub fn action_create_5xx_then_success<R: Runtime>(_s: &Suite) {
    let mock = ZampMock::start();
    mock.script(
        "stormy",
        ActionScript {
            create_5xx: 2,
            ..ActionScript::default()
        },
    );
    let got = R::action::<Value>(&cfg_of(&mock), ActionRequest::new("stormy", json!({})));
    assert_eq!(got, Ok(json!({"ok": true})), "[{}]", R::NAME);
    let c = creates(&mock);
    let statuses: Vec<u16> = c.iter().map(|r| r.status).collect();
    assert_eq!(statuses, [503, 503, 200], "[{}] creates", R::NAME);
    let gap1 = c[1].at.saturating_sub(c[0].at);
    let gap2 = c[2].at.saturating_sub(c[1].at);
    assert!(
        gap1 >= Duration::from_millis(950) && gap2 >= Duration::from_millis(1900),
        "[{}] create retry waits {gap1:?}, {gap2:?} (expected 1 s, 2 s)",
        R::NAME
    );
    assert_eq!(polls(&mock).len(), 1);
}

/// 5xx while polling is waited through with the same backoff.
pub fn action_poll_5xx_then_success<R: Runtime>(_s: &Suite) {
    let mock = ZampMock::start();
    mock.script(
        "flaky-poll",
        ActionScript {
            poll_5xx: 2,
            running_polls: 1,
            ..ActionScript::default()
        },
    );
    let got = R::action::<Value>(&cfg_of(&mock), ActionRequest::new("flaky-poll", json!({})));
    assert_eq!(got, Ok(json!({"ok": true})), "[{}]", R::NAME);
    let statuses: Vec<u16> = polls(&mock).iter().map(|r| r.status).collect();
    assert_eq!(statuses, [503, 503, 200, 200], "[{}] polls", R::NAME);
    assert_eq!(mock.count_creates("flaky-poll"), 1);
}

/// 429 on create: an HTTP error at once, exactly one create, no poll.
pub fn action_429_no_retry<R: Runtime>(_s: &Suite) {
    let mock = ZampMock::start();
    mock.script(
        "limited",
        ActionScript {
            create_status: Some(429),
            ..ActionScript::default()
        },
    );
    let got = R::action::<Value>(&cfg_of(&mock), ActionRequest::new("limited", json!({})));
    let body = expect_http::<R>(
        "429",
        got,
        429,
        &format!("HTTP 429 from {}/actions: rate limited", mock.base_url()),
    );
    assert_eq!(body.as_deref(), Some(r#"{"message":"rate limited"}"#));
    assert_eq!(
        mock.requests().len(),
        1,
        "[{}] exactly one request",
        R::NAME
    );
}

/// A wrong token: 401 at once; the token never shows in the error.
pub fn action_401<R: Runtime>(_s: &Suite) {
    let mock = ZampMock::start();
    let wrong = "wrong-token-5ec2e7";
    let cfg = ActionCfg::explicit(mock.base_url(), wrong);
    let got = R::action::<Value>(&cfg, ActionRequest::new("anything", json!({})));
    let text = format!("{got:?}");
    assert!(!text.contains(wrong), "[{}] token leaked: {text}", R::NAME);
    expect_http::<R>(
        "401",
        got,
        401,
        &format!("HTTP 401 from {}/actions: unauthorized", mock.base_url()),
    );
    assert_eq!(mock.requests().len(), 1);
}

/// A non-5xx HTTP error while polling surfaces at once.
pub fn action_poll_404_surfaces<R: Runtime>(_s: &Suite) {
    let mock = ZampMock::start();
    mock.script(
        "lost",
        ActionScript {
            poll_status: Some(404),
            ..ActionScript::default()
        },
    );
    let got = R::action::<Value>(&cfg_of(&mock), ActionRequest::new("lost", json!({})));
    let id = only_id::<R>(&mock, "lost");
    expect_http::<R>(
        "poll 404",
        got,
        404,
        &format!("HTTP 404 from {}/actions/{id}: not found", mock.base_url()),
    );
    assert_eq!(mock.count_polls(&id), 1, "[{}] no further poll", R::NAME);
}
