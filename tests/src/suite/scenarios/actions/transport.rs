//! Transport: network errors, redirects not followed, oversized bodies.

use super::*;

/// Nothing listening: a network error at once (no retry of the create).
pub fn action_network_error<R: Runtime>(_s: &Suite) {
    // A port that was free a moment ago: bind, read it, release it.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port");
    let cfg = ActionCfg::explicit(&format!("http://127.0.0.1:{port}"), "token");
    let started = Instant::now();
    let got = R::action::<Value>(&cfg, ActionRequest::new("nowhere", json!({})));
    match got {
        Err(ActionError::Http {
            status: None,
            message,
            body: None,
        }) => assert!(
            message.starts_with("Network error: "),
            "[{}] {message}",
            R::NAME
        ),
        other => panic!("[{}] expected a network error, got {other:?}", R::NAME),
    }
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "[{}] a network error must surface at once, took {:?}",
        R::NAME,
        started.elapsed()
    );
}

/// A redirect answer is not followed: a clear HTTP error naming the status and the
/// location, and the token never reaches the other host.
pub fn action_redirect_not_followed<R: Runtime>(_s: &Suite) {
    let mock = ZampMock::start();
    let elsewhere = ZampMock::start();
    for (name, status) in [("moved-307", 307), ("moved-302", 302), ("moved-308", 308)] {
        let location = format!("{}/actions", elsewhere.base_url());
        mock.script(
            name,
            ActionScript {
                create_redirect: Some((status, location.clone())),
                ..ActionScript::default()
            },
        );
        let got = R::action::<Value>(&cfg_of(&mock), ActionRequest::new(name, json!({})));
        let body = expect_http::<R>(
            name,
            got,
            status,
            &format!(
                "HTTP {status} from {}/actions: redirect to {location} not followed",
                mock.base_url()
            ),
        );
        assert_eq!(body.as_deref(), Some(r#"{"message":"moved"}"#));
    }
    assert_eq!(
        mock.requests().len(),
        3,
        "[{}] one create each, no retry, no poll",
        R::NAME
    );
    assert!(
        elsewhere.requests().is_empty(),
        "[{}] the redirect was followed: {:?}",
        R::NAME,
        elsewhere.requests()
    );
}

/// A response body over the limit (64 MiB) is an error naming the limit, never a
/// truncated body.
pub fn action_oversized_body<R: Runtime>(_s: &Suite) {
    let mock = ZampMock::start();
    let limit = usize::try_from(MAX_RESPONSE_BODY).expect("the limit fits usize");
    mock.script(
        "huge",
        ActionScript {
            create_body_len: Some(limit + 1),
            ..ActionScript::default()
        },
    );
    mock.script(
        "just-fits",
        ActionScript {
            create_body_len: Some(limit),
            inline: true,
            ..ActionScript::default()
        },
    );
    let got = R::action::<Value>(&cfg_of(&mock), ActionRequest::new("huge", json!({})));
    expect_network::<R>(
        "oversized body",
        got,
        &format!(
            "Network error: the response from {}/actions is larger than the limit of 67108864 bytes",
            mock.base_url()
        ),
    );
    assert_eq!(mock.requests().len(), 1, "[{}] no retry", R::NAME);
    // Exactly at the limit: read in full (it then lacks a status: a decode error, not a
    // transport error).
    let got = R::action::<Value>(
        &cfg_of(&mock),
        ActionRequest::new("just-fits", json!({})).inline(),
    );
    expect_decode::<R>(got, &format!("{}/actions", mock.base_url()));
}

/// Connection refused and an unknown host read exactly the same in every runtime (core
/// writes the text).
pub fn action_refused_same_text<R: Runtime>(_s: &Suite) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port");
    let base = format!("http://127.0.0.1:{port}");
    let got = R::action::<Value>(
        &ActionCfg::explicit(&base, "token"),
        ActionRequest::new("nowhere", json!({})),
    );
    expect_network::<R>(
        "refused",
        got,
        &format!("Network error: connection refused ({base}/actions)"),
    );
    // A host that cannot resolve (`.invalid` never does) reads the same too.
    let base = "http://ampere-suite.invalid:9";
    let got = R::action::<Value>(
        &ActionCfg::explicit(base, "token"),
        ActionRequest::new("nowhere", json!({})),
    );
    expect_network::<R>(
        "dns",
        got,
        &format!("Network error: cannot resolve the host of {base}/actions"),
    );
}
