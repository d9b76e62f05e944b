//! MCP configuration: the JSON of the seed's examples (snapshots), round trips, sources and
//! secret redaction.

use ampere_core::mcp::{McpConfig, McpConfigSource, McpOAuth, McpServer};
use proptest::prelude::*;

fn seed_stdio() -> McpConfig {
    McpConfig::new()
        .server(
            "playwright",
            McpServer::stdio("npx")
                .args(["-y", "@playwright/mcp@latest", "--headless"])
                .env("NODE_ENV", "production"),
        )
        .server(
            "database",
            McpServer::stdio("node")
                .arg("./custom-mcp-server.js")
                .env("DB_CONNECTION_STRING", "postgres://user:secret@db/app"),
        )
}

fn seed_mixed() -> McpConfig {
    McpConfig::new()
        .server(
            "playwright",
            McpServer::stdio("npx").args(["-y", "@playwright/mcp"]),
        )
        .server("remote", McpServer::http("https://api.example.com/mcp"))
}

fn full_http() -> McpConfig {
    McpConfig::new().server(
        "linear",
        McpServer::http("https://mcp.linear.app/sse")
            .header("Authorization", "Bearer t0ken")
            .transport("sse")
            .oauth(
                McpOAuth::new(
                    "client",
                    "https://a.example/auth",
                    "https://a.example/token",
                )
                .client_secret("s3cret")
                .scope("read")
                .scope("write")
                .redirect_url("http://localhost:8765/cb"),
            )
            .disabled(true),
    )
}

fn json(c: &McpConfig) -> serde_json::Value {
    serde_json::to_value(c).unwrap_or_default()
}

#[test]
fn seed_examples_snapshot() {
    insta::assert_json_snapshot!("mcp_seed_stdio", json(&seed_stdio()));
    insta::assert_json_snapshot!("mcp_seed_mixed", json(&seed_mixed()));
    insta::assert_json_snapshot!("mcp_full_http", json(&full_http()));
}

#[test]
fn exact_bytes_and_defaults_omitted() {
    let bytes = McpConfigSource::from(seed_mixed()).inline_bytes();
    assert_eq!(
        bytes.map(|b| b.map(|b| String::from_utf8_lossy(&b).into_owned())),
        Ok(Some(
            r#"{"playwright":{"command":"npx","args":["-y","@playwright/mcp"]},"remote":{"url":"https://api.example.com/mcp"}}"#
                .to_owned()
        ))
    );
    let text = r#"{"a":{"command":"x","args":[],"env":{},"disabled":false},"b":{"url":"u","headers":{},"oauth":{"clientId":"c","authUrl":"a","tokenUrl":"t","scopes":[]}}}"#;
    let parsed = McpConfig::from_json(text);
    let back = parsed.map(|c| serde_json::to_string(&c).unwrap_or_default());
    assert_eq!(
        back,
        Ok(r#"{"a":{"command":"x"},"b":{"url":"u","oauth":{"clientId":"c","authUrl":"a","tokenUrl":"t"}}}"#.to_owned())
    );
}

#[test]
fn both_or_neither_kind_is_a_clear_error() {
    let both = McpConfig::from_json(r#"{"s":{"command":"x","url":"y"}}"#);
    assert!(both.is_err_and(|e| e.to_string().contains("not both")));
    let neither = McpConfig::from_json(r#"{"s":{"args":["x"]}}"#);
    assert!(neither.is_err_and(|e| e.to_string().contains("needs `command`")));
    let json = McpConfigSource::from(r#"{"s":{"command":"x","url":"y"}}"#).inline_bytes();
    assert!(json.is_err_and(|e| e.field == "mcp_config.s"));
    let not_object = McpConfigSource::from("{").inline_bytes();
    assert!(not_object.is_err());
    let disabled_stdio =
        McpConfigSource::from(McpConfig::new().server("s", McpServer::stdio("x").disabled(true)))
            .inline_bytes();
    assert!(disabled_stdio.is_err_and(|e| e.field == "mcp_config.s.disabled"));
    let empty_cmd =
        McpConfigSource::from(McpConfig::new().server("s", McpServer::stdio(""))).inline_bytes();
    assert!(empty_cmd.is_err_and(|e| e.field == "mcp_config.s.command"));
}

#[test]
fn sources() {
    let json = McpConfigSource::from(" {\"s\":{\"url\":\"u\",\"future\":1}} ");
    assert!(json.is_inline());
    assert_eq!(
        json.inline_bytes(),
        Ok(Some(br#"{"s":{"url":"u","future":1}}"#.to_vec()))
    );
    let path = McpConfigSource::from("/etc/amp/mcp.json");
    assert!(!path.is_inline());
    assert_eq!(path.inline_bytes(), Ok(None));
    assert!(McpConfigSource::from(McpConfig::new()).is_inline());
}

#[test]
fn debug_never_shows_secrets() {
    let d = format!("{:?} {:?}", seed_stdio(), full_http());
    for secret in ["postgres://", "t0ken", "s3cret", "production"] {
        assert!(!d.contains(secret), "{secret} leaked: {d}");
    }
    assert!(d.contains("DB_CONNECTION_STRING") && d.contains("Authorization"));
    let src = format!(
        "{:?}",
        McpConfigSource::from(r#"{"s":{"url":"u","headers":{"k":"SECRET"}}}"#)
    );
    assert!(!src.contains("SECRET"), "{src}");
}

fn map() -> impl Strategy<Value = std::collections::BTreeMap<String, String>> {
    prop::collection::btree_map("[A-Z_]{1,6}", ".{0,8}", 0..3)
}

fn server() -> impl Strategy<Value = McpServer> {
    let stdio = (
        ".{1,8}",
        prop::collection::vec(".{0,6}", 0..3),
        map(),
        Just(false), // the CLI refuses `disabled` on stdio servers
    )
        .prop_map(|(c, args, env, disabled)| {
            let mut s = McpServer::stdio(c).args(args).disabled(disabled);
            s.env = env;
            McpServer::from(s)
        });
    let oauth = (
        ".{1,6}",
        prop::option::of(".{0,6}"),
        ".{1,6}",
        ".{1,6}",
        prop::collection::vec("[a-z]{1,5}", 0..3),
        prop::option::of(".{0,6}"),
    )
        .prop_map(|(id, secret, auth, token, scopes, redirect)| McpOAuth {
            client_id: id,
            client_secret: secret,
            auth_url: auth,
            token_url: token,
            scopes,
            redirect_url: redirect,
        });
    let http = (
        ".{1,8}",
        map(),
        prop::option::of("[a-z]{1,4}"),
        prop::option::of(oauth),
        any::<bool>(),
    )
        .prop_map(|(url, headers, transport, oauth, disabled)| {
            let mut h = McpServer::http(url).disabled(disabled);
            h.headers = headers;
            h.transport = transport;
            h.oauth = oauth;
            McpServer::from(h)
        });
    prop_oneof![stdio, http]
}

/// No `null`, no empty list or object below the top level, no `false`.
fn no_defaults(v: &serde_json::Value) -> bool {
    use serde_json::Value;
    let ok = |v: &Value| match v {
        Value::Null | Value::Bool(false) => false,
        Value::Array(a) if a.is_empty() => false,
        Value::Object(o) if o.is_empty() => false,
        other => no_defaults(other),
    };
    match v {
        Value::Array(a) => a.iter().all(ok),
        Value::Object(o) => o.values().all(ok),
        _ => true,
    }
}

proptest! {
    #[test]
    fn config_round_trips(servers in prop::collection::btree_map("[a-z]{1,6}", server(), 0..4)) {
        let config = McpConfig { servers };
        let bytes = McpConfigSource::from(config.clone()).inline_bytes();
        let bytes = bytes.map_err(|e| TestCaseError::fail(e.to_string()))?.unwrap_or_default();
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let value: serde_json::Value = serde_json::from_slice(&bytes).unwrap_or_default();
        prop_assert!(no_defaults(&value), "{}", text);
        prop_assert_eq!(McpConfig::from_json(&text), Ok(config.clone()));
        // as JSON text, the same bytes are accepted and passed through
        prop_assert_eq!(McpConfigSource::Json(text.clone()).inline_bytes(), Ok(Some(bytes)));
    }
}
