//! The wire details: configuration, validation, durations, response classification.
#![allow(clippy::disallowed_methods)]

#[path = "action_harness.rs"]
mod harness;

use std::time::{Duration, Instant};

use ampere_core::action::{
    classify, decode_result, iso8601_duration, total_seconds, ActionCall, ActionConfig,
    ActionCredentials, ActionError, ActionRequest, HttpResponse, Output, RetryPolicy,
};
use ampere_core::ValidationError;
use serde_json::json;

fn env_with<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
    move |name| {
        pairs
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| (*v).to_owned())
    }
}

#[test]
fn config_explicit_wins_over_env() {
    let env = env_with(&[
        ("ZAMP_BASE_URL", "https://env"),
        ("ZAMP_AUTH_TOKEN", "envtok"),
    ]);
    let c = ActionConfig::resolve(Some("https://explicit/"), Some("t1"), &env).unwrap();
    assert_eq!(c.base_url(), "https://explicit/");
    assert_eq!(c.url("actions"), "https://explicit/actions");
    let c = ActionConfig::resolve(None, None, &env).unwrap();
    assert_eq!(c.base_url(), "https://env");
    // Empty explicit values count as not given (the reference SDK's `or`).
    let c = ActionConfig::resolve(Some(""), Some(""), &env).unwrap();
    assert_eq!(c.base_url(), "https://env");
}

#[test]
fn config_missing_names_the_variable() {
    let none = env_with(&[]);
    assert_eq!(
        ActionConfig::resolve(None, Some("t"), &none),
        Err(ActionError::missing_config("ZAMP_BASE_URL"))
    );
    assert_eq!(
        ActionConfig::resolve(Some("https://x"), None, &none),
        Err(ActionError::missing_config("ZAMP_AUTH_TOKEN"))
    );
    let empty = env_with(&[("ZAMP_BASE_URL", ""), ("ZAMP_AUTH_TOKEN", "t")]);
    let err = ActionConfig::resolve(None, None, &empty).unwrap_err();
    assert_eq!(
        err.to_string(),
        "ZAMP_BASE_URL is not set and no explicit value was given"
    );
}

#[test]
fn url_join() {
    for base in [
        "https://api.zamp.ai",
        "https://api.zamp.ai/",
        "https://api.zamp.ai///",
    ] {
        let c = ActionConfig::new(base, "t").unwrap();
        assert_eq!(c.url("/actions"), "https://api.zamp.ai/actions");
        assert_eq!(c.url("//actions/1"), "https://api.zamp.ai/actions/1");
        assert_eq!(c.url("actions"), "https://api.zamp.ai/actions");
    }
    let c = ActionConfig::new("https://h/api/v1/", "t").unwrap();
    assert_eq!(c.url("/actions"), "https://h/api/v1/actions");
}

#[test]
fn config_debug_redacts() {
    let c = ActionConfig::new("https://h", "very-secret-token").unwrap();
    let debug = format!("{c:?}");
    assert!(!debug.contains("very-secret-token"));
    assert!(debug.contains("<redacted>"));
    assert!(debug.contains("https://h"));
}

#[test]
fn call_debug_redacts_the_token_it_keeps_for_every_request() {
    let c = ActionConfig::new("https://h", "tok-SECRET-123").unwrap();
    let mut call = ActionCall::new(ActionRequest::new("a", json!({})), c, Instant::now()).unwrap();
    let Output::Send(sent) = call.poll_output() else {
        panic!("the create goes out first");
    };
    let auth = sent.headers.iter().find(|(n, _)| n == "Authorization");
    assert_eq!(auth.map(|(_, v)| v.as_str()), Some("Bearer tok-SECRET-123"));
    let debug = format!("{call:?}");
    assert!(!debug.contains("SECRET"), "{debug}");
    assert!(debug.contains("<redacted>"), "{debug}");
}

#[test]
fn iso8601_like_pydantic() {
    let cases: &[(Duration, &str)] = &[
        (Duration::ZERO, "PT0S"),
        (Duration::from_nanos(999), "PT0S"),
        (Duration::from_micros(1), "PT0.000001S"),
        (Duration::from_micros(10), "PT0.00001S"),
        (Duration::from_millis(5), "PT0.005S"),
        (Duration::from_millis(100), "PT0.1S"),
        (Duration::from_millis(1500), "PT1.5S"),
        (Duration::from_secs(1), "PT1S"),
        (Duration::from_secs(30), "PT30S"),
        (Duration::from_secs(59), "PT59S"),
        (Duration::from_secs(60), "PT1M"),
        (Duration::from_secs(61), "PT1M1S"),
        (Duration::from_secs(15 * 60), "PT15M"),
        (Duration::from_secs(3600), "PT1H"),
        (Duration::from_secs(3601), "PT1H1S"),
        (Duration::from_millis(5_400_005), "PT1H30M0.005S"),
        (Duration::from_secs(86_399), "PT23H59M59S"),
        (Duration::from_secs(86_400), "P1D"),
        (Duration::from_secs(86_401), "P1DT1S"),
        (Duration::from_secs(26 * 3600), "P1DT2H"),
        (Duration::from_secs(364 * 86_400), "P364D"),
        (Duration::from_secs(365 * 86_400), "P1Y"),
        (Duration::from_secs(400 * 86_400), "P1Y35D"),
        (Duration::from_secs(730 * 86_400 + 90), "P2YT1M30S"),
        (
            Duration::new(86_400 + 3723, 456_789_000),
            "P1DT1H2M3.456789S",
        ),
        (Duration::new(7, 120_000_999), "PT7.12S"),
        (Duration::new(7, 120_001_000), "PT7.120001S"),
        (
            Duration::new(999_999_999 * 86_400 + 86_399, 999_999_000),
            "P2739726Y9DT23H59M59.999999S",
        ),
    ];
    for (d, expected) in cases {
        assert_eq!(iso8601_duration(*d), *expected, "{d:?}");
        assert_eq!(
            harness::parse_iso8601_micros(expected),
            Some(d.as_micros()),
            "{expected}"
        );
    }
    // Never panics at the extreme.
    let max = iso8601_duration(Duration::MAX);
    assert_eq!(
        harness::parse_iso8601_micros(&max),
        Some(Duration::MAX.as_micros())
    );
}

#[test]
fn total_seconds_like_python() {
    assert_eq!(total_seconds(Duration::from_secs(60)), 60.0);
    assert_eq!(total_seconds(Duration::from_millis(1500)), 1.5);
    assert_eq!(total_seconds(Duration::from_micros(1)), 0.000_001);
    assert_eq!(total_seconds(Duration::from_nanos(1)), 0.0);
    assert!(total_seconds(Duration::MAX).is_finite());
}

#[test]
fn retry_policy_default_is_the_seeds() {
    let p = RetryPolicy::default();
    assert_eq!(p.initial_interval, Duration::from_secs(30));
    assert_eq!(p.maximum_attempts, 11);
    assert_eq!(p.maximum_interval, Duration::from_secs(900));
    assert_eq!(p.backoff_coefficient, 1.5);
    assert_eq!(p.validate(), Ok(()));
}

fn invalid(policy: RetryPolicy) -> ValidationError {
    policy.validate().unwrap_err()
}

#[test]
fn retry_policy_validation() {
    let d = RetryPolicy::default();
    for c in [0.0, 0.999, -1.0, f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
        let e = invalid(RetryPolicy {
            backoff_coefficient: c,
            ..d
        });
        assert_eq!(e.field, "retry_policy.backoff_coefficient", "{c}");
    }
    for c in [1.0, 1.0000001, 2.0, f64::MAX] {
        assert_eq!(
            RetryPolicy {
                backoff_coefficient: c,
                ..d
            }
            .validate(),
            Ok(())
        );
    }
    let e = invalid(RetryPolicy {
        initial_interval: Duration::ZERO,
        ..d
    });
    assert_eq!(e.field, "retry_policy.initial_interval");
    assert_eq!(
        e.to_string(),
        "invalid retry_policy.initial_interval: must be positive (at least 1 microsecond)"
    );
    let e = invalid(RetryPolicy {
        initial_interval: Duration::from_nanos(999),
        ..d
    });
    assert_eq!(e.field, "retry_policy.initial_interval");
    let e = invalid(RetryPolicy {
        maximum_interval: Duration::ZERO,
        initial_interval: Duration::ZERO,
        ..d
    });
    assert_eq!(e.field, "retry_policy.initial_interval");
    let e = invalid(RetryPolicy {
        maximum_interval: Duration::from_secs(10),
        ..d
    });
    assert_eq!(e.field, "retry_policy.maximum_interval");
    assert!(e.rule.contains(">= initial_interval"), "{e}");
    let e = invalid(RetryPolicy {
        maximum_interval: Duration::MAX,
        ..d
    });
    assert_eq!(e.field, "retry_policy.maximum_interval");
    // Equal intervals, zero (= unlimited) and huge attempt counts are fine.
    for p in [
        RetryPolicy {
            initial_interval: Duration::from_secs(5),
            maximum_interval: Duration::from_secs(5),
            ..d
        },
        RetryPolicy {
            maximum_attempts: 0,
            ..d
        },
        RetryPolicy {
            maximum_attempts: u32::MAX,
            ..d
        },
    ] {
        assert_eq!(p.validate(), Ok(()));
    }
}

#[test]
fn call_validates_before_sending() {
    let now = Instant::now();
    let config = ActionConfig::new("https://h", "t").unwrap();
    let bad = ActionRequest::new("a", json!({})).retry_policy(RetryPolicy {
        backoff_coefficient: 0.5,
        ..RetryPolicy::default()
    });
    assert!(matches!(
        ActionCall::new(bad, config.clone(), now),
        Err(ActionError::Validation(_))
    ));
    for stc in [Duration::ZERO, Duration::from_nanos(1), Duration::MAX] {
        let bad = ActionRequest::new("a", json!({})).start_to_close_timeout(stc);
        let err = ActionCall::new(bad, config.clone(), now).unwrap_err();
        assert!(
            matches!(&err, ActionError::Validation(v) if v.field == "start_to_close_timeout"),
            "{err}"
        );
    }
}

#[test]
fn classification() {
    let url = "https://h/actions";
    let ok = |body: &str| classify(url, &HttpResponse::new(200, body));
    assert_eq!(ok(r#"{"id":"a"}"#), Ok(json!({"id": "a"})));
    assert_eq!(ok(r#"{"data":[1],"x":2}"#), Ok(json!({"payload": [1]})));
    assert_eq!(ok(r#"{"data":null}"#), Ok(json!({"payload": null})));
    assert_eq!(
        ok(r#"{"data":{"id":"a"},"error":null}"#),
        Ok(json!({"payload": {"id": "a"}}))
    );
    assert_eq!(ok("[1,2]"), Ok(json!([1, 2])));
    assert_eq!(ok("null"), Ok(json!(null)));
    assert!(matches!(
        ok(r#"{"data":1,"error":{"message":"m"}}"#),
        Err(ActionError::Http { status: Some(200), message, .. }) if message == "m"
    ));
    assert!(matches!(
        ok(r#"{"error":{"message":5}}"#),
        Err(ActionError::Http { message, .. }) if message == "5"
    ));
    assert!(matches!(ok("{"), Err(ActionError::Decode { .. })));
    let err = classify(url, &HttpResponse::new(500, r#"{"message":"down"}"#)).unwrap_err();
    assert_eq!(err.to_string(), "HTTP 500 from https://h/actions: down");
    assert!(err.is_server_error());
    let err = classify(url, &HttpResponse::new(418, vec![0xff, 0xfe])).unwrap_err();
    assert_eq!(err.to_string(), "HTTP 418 from https://h/actions");
    assert!(!err.is_server_error());
}

#[test]
fn typed_results() {
    #[derive(serde::Deserialize, Debug, PartialEq)]
    struct Out {
        n: u32,
    }
    assert_eq!(decode_result::<Out>(json!({"n": 3})), Ok(Out { n: 3 }));
    assert_eq!(decode_result::<Option<Out>>(json!(null)), Ok(None));
    let err = decode_result::<Out>(json!({"n": "x"})).unwrap_err();
    match &err {
        ActionError::ResultType { message, raw } => {
            assert!(message.contains("invalid type"), "{message}");
            assert_eq!(raw, &json!({"n": "x"}));
        }
        other => panic!("{other:?}"),
    }
    assert!(err
        .to_string()
        .starts_with("the action result does not fit"));
}

#[test]
fn serialized_params_become_json_or_a_validation_error_naming_params() {
    use ampere_core::action::{ActionError, ActionRequest};
    use std::collections::BTreeMap;
    #[derive(serde::Serialize)]
    struct Invoice {
        invoice_id: &'static str,
    }
    let req = ActionRequest::serialized(
        "send_invoice",
        Invoice {
            invoice_id: "inv_123",
        },
    )
    .expect("serializable");
    assert_eq!(req.params, serde_json::json!({"invoice_id": "inv_123"}));
    // JSON object keys must be strings: a map keyed by tuples cannot be sent.
    let mut bad = BTreeMap::new();
    bad.insert((1, 2), "x");
    match ActionRequest::serialized("a", bad) {
        Err(ActionError::Validation(v)) => {
            assert_eq!(v.field, "params");
            assert!(
                v.rule.contains("cannot be serialized as JSON"),
                "{}",
                v.rule
            );
        }
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn an_unusable_base_url_is_a_config_error_naming_it() {
    let env = env_with(&[("ZAMP_BASE_URL", "localhost:8080")]);
    for (explicit, text) in [
        (Some("api.zamp.ai"), "invalid base URL \"api.zamp.ai\" (ZAMP_BASE_URL): it has no scheme (expected http:// or https://)"),
        (Some("ftp://files.zamp.ai"), "invalid base URL \"ftp://files.zamp.ai\" (ZAMP_BASE_URL): the scheme must be http or https (got \"ftp\")"),
        (Some("http://"), "invalid base URL \"http://\" (ZAMP_BASE_URL): it has no host"),
        (Some("http://a b"), "invalid base URL \"http://a b\" (ZAMP_BASE_URL): it contains spaces or control characters"),
        (Some("http://user:pw@host"), "invalid base URL \"http://***@host\" (ZAMP_BASE_URL): it must not hold credentials (user:password@)"),
        (None, "invalid base URL \"localhost:8080\" (ZAMP_BASE_URL): it has no scheme (expected http:// or https://)"),
    ] {
        let err = ActionConfig::resolve(explicit, Some("t"), &env).expect_err(text);
        assert_eq!(err.to_string(), text);
        assert!(matches!(&err, ActionError::Config { variable, .. } if variable == "ZAMP_BASE_URL"));
    }
    for ok in [
        "http://127.0.0.1:8080",
        "https://api.zamp.ai/api/v1/",
        "http://[::1]:9",
        // `@` after the host is part of the path, not credentials.
        "http://a/@",
        "https://registry.test/@scope/api",
    ] {
        assert!(ActionConfig::new(ok, "t").is_ok(), "{ok}");
    }
    assert_eq!(
        ActionConfig::new("https://registry.test/@scope/", "t")
            .unwrap()
            .url("/actions"),
        "https://registry.test/@scope/actions"
    );
}

#[test]
fn credentials_resolve_and_redact() {
    let env = env_with(&[
        ("ZAMP_BASE_URL", "https://env"),
        ("ZAMP_AUTH_TOKEN", "env-token"),
    ]);
    let given = ActionCredentials::default().auth_token("very-secret-token");
    assert!(given.has_auth_token());
    assert_eq!(given.explicit_base_url(), None);
    let debug = format!("{given:?}");
    assert!(!debug.contains("very-secret-token"), "{debug}");
    assert!(debug.contains("<redacted>"));
    let config = given.resolve(&env).unwrap();
    assert_eq!(config.base_url(), "https://env");
    let config = ActionCredentials::default()
        .base_url("http://explicit")
        .resolve(&env)
        .unwrap();
    assert_eq!(config.base_url(), "http://explicit");
    assert_eq!(
        ActionCredentials::default().resolve(&|_| None),
        Err(ActionError::missing_config("ZAMP_BASE_URL"))
    );
}
