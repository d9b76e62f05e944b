//! Configuration and validation before anything is sent: explicit and environment
//! configuration, bad base URLs, names, policies; the token kept out of `Debug`.

use super::*;

/// An invalid retry policy or timeout is rejected before anything is sent.
pub fn action_validation_before_send<R: Runtime>(_s: &Suite) {
    let mock = ZampMock::start();
    let bad_policy = ActionRequest::new("v", json!({})).retry_policy(RetryPolicy {
        backoff_coefficient: 0.5,
        ..RetryPolicy::default()
    });
    match R::action::<Value>(&cfg_of(&mock), bad_policy) {
        Err(ActionError::Validation(v)) => assert_eq!(v.field, "retry_policy.backoff_coefficient"),
        other => panic!("[{}] expected a validation error, got {other:?}", R::NAME),
    }
    let zero = ActionRequest::new("v", json!({})).start_to_close_timeout(Duration::ZERO);
    match R::action::<Value>(&cfg_of(&mock), zero) {
        Err(ActionError::Validation(v)) => assert_eq!(v.field, "start_to_close_timeout"),
        other => panic!("[{}] expected a validation error, got {other:?}", R::NAME),
    }
    assert!(
        mock.requests().is_empty(),
        "[{}] nothing may be sent",
        R::NAME
    );
}

/// Configuration from `ZAMP_BASE_URL` / `ZAMP_AUTH_TOKEN` (executor and free function);
/// an explicit value wins over the environment.
pub fn action_env_config<R: Runtime>(_s: &Suite) {
    let mock = ZampMock::start();
    let _env = env_lock();
    {
        let _patch = EnvPatch::apply(&[
            ("ZAMP_BASE_URL", Some(mock.base_url().as_ref())),
            ("ZAMP_AUTH_TOKEN", Some(mock.token().as_ref())),
        ]);
        let got = R::action::<Value>(&ActionCfg::default(), ActionRequest::new("env", json!({})));
        assert_eq!(
            got,
            Ok(json!({"ok": true})),
            "[{}] executor from env",
            R::NAME
        );
        let got = R::execute_action("env-free", json!({"k": 1}));
        assert_eq!(
            got,
            Ok(json!({"ok": true})),
            "[{}] execute_action from env",
            R::NAME
        );
    }
    {
        let _patch = EnvPatch::apply(&[
            ("ZAMP_BASE_URL", Some("http://127.0.0.1:9".as_ref())),
            ("ZAMP_AUTH_TOKEN", Some("env-token-not-used".as_ref())),
        ]);
        let got = R::action::<Value>(&cfg_of(&mock), ActionRequest::new("explicit", json!({})));
        assert_eq!(got, Ok(json!({"ok": true})), "[{}] explicit wins", R::NAME);
    }
    assert_eq!(mock.count_creates("env"), 1);
    assert_eq!(mock.count_creates("env-free"), 1);
    assert_eq!(mock.count_creates("explicit"), 1);
}

/// A missing `ZAMP_BASE_URL` / `ZAMP_AUTH_TOKEN` is a configuration error naming the
/// variable, before any request.
pub fn action_env_missing<R: Runtime>(_s: &Suite) {
    let mock = ZampMock::start();
    let _env = env_lock();
    let _patch = EnvPatch::apply(&[("ZAMP_BASE_URL", None), ("ZAMP_AUTH_TOKEN", None)]);
    let config = ActionError::missing_config;
    let got = R::action::<Value>(&ActionCfg::default(), ActionRequest::new("x", json!({})));
    assert_eq!(got, Err(config("ZAMP_BASE_URL")), "[{}]", R::NAME);
    let got = R::execute_action("x", json!({}));
    assert_eq!(
        got,
        Err(config("ZAMP_BASE_URL")),
        "[{}] free function",
        R::NAME
    );
    let no_token = ActionCfg {
        base_url: Some(mock.base_url().to_string()),
        auth_token: None,
    };
    let got = R::action::<Value>(&no_token, ActionRequest::new("x", json!({})));
    assert_eq!(got, Err(config("ZAMP_AUTH_TOKEN")), "[{}]", R::NAME);
    assert!(mock.requests().is_empty());
}

/// The token never shows in an executor's `Debug`.
pub fn action_token_not_in_debug<R: Runtime>(_s: &Suite) {
    let token = "very-secret-token-0d15ea5e";
    let text = R::action_executor_debug(&ActionCfg::explicit("http://127.0.0.1:9", token));
    assert!(
        !text.contains(token),
        "[{}] token in Debug: {text}",
        R::NAME
    );
}

/// A base URL that does not parse or has no http/https scheme: a configuration error
/// naming it, before anything is sent (explicit and from the environment).
pub fn action_invalid_base_url<R: Runtime>(_s: &Suite) {
    let mock = ZampMock::start();
    let no_scheme = mock
        .base_url()
        .strip_prefix("http://")
        .expect("the mock is http")
        .to_string();
    let cases = [
        (
            no_scheme.clone(),
            format!("invalid base URL \"{no_scheme}\" (ZAMP_BASE_URL): it has no scheme (expected http:// or https://)"),
        ),
        (
            "ftp://127.0.0.1:9".to_string(),
            "invalid base URL \"ftp://127.0.0.1:9\" (ZAMP_BASE_URL): the scheme must be http or https (got \"ftp\")".to_string(),
        ),
        (
            "http://".to_string(),
            "invalid base URL \"http://\" (ZAMP_BASE_URL): it has no host".to_string(),
        ),
        (
            "http://exa mple.com".to_string(),
            "invalid base URL \"http://exa mple.com\" (ZAMP_BASE_URL): it contains spaces or control characters".to_string(),
        ),
    ];
    for (url, message) in &cases {
        let cfg = ActionCfg::explicit(url, mock.token());
        let got = R::action::<Value>(&cfg, ActionRequest::new("x", json!({})));
        assert_eq!(
            got,
            Err(ActionError::Config {
                variable: "ZAMP_BASE_URL".into(),
                message: message.clone(),
            }),
            "[{}] {url}",
            R::NAME
        );
    }
    {
        let _env = env_lock();
        let _patch = EnvPatch::apply(&[
            ("ZAMP_BASE_URL", Some(no_scheme.as_ref())),
            ("ZAMP_AUTH_TOKEN", Some(mock.token().as_ref())),
        ]);
        let got = R::execute_action("x", json!({}));
        assert_eq!(
            got.map_err(|e| e.to_string()),
            Err(cases[0].1.clone()),
            "[{}] free function",
            R::NAME
        );
    }
    assert!(
        mock.requests().is_empty(),
        "[{}] nothing may be sent",
        R::NAME
    );
}

/// An action name that is empty or holds a control character is rejected before anything
/// is sent.
pub fn action_bad_name<R: Runtime>(_s: &Suite) {
    let mock = ZampMock::start();
    for name in ["", "  ", "send\ninvoice", "nul\0byte", "tab\tname"] {
        let got = R::action::<Value>(&cfg_of(&mock), ActionRequest::new(name, json!({})));
        match got {
            Err(ActionError::Validation(v)) => assert_eq!(v.field, "action_name", "[{}]", R::NAME),
            other => panic!(
                "[{}] {name:?}: expected a validation error, got {other:?}",
                R::NAME
            ),
        }
        match R::action_by_name(&cfg_of(&mock), name, json!({})) {
            Err(ActionError::Validation(v)) => assert_eq!(v.field, "action_name"),
            other => panic!("[{}] {name:?} by name: got {other:?}", R::NAME),
        }
    }
    assert!(
        mock.requests().is_empty(),
        "[{}] nothing may be sent",
        R::NAME
    );
}
