//! Unit tests.

use super::*;

#[test]
fn classify_strings() {
    assert!(matches!(
        McpConfigSource::from("  {\"a\":{\"url\":\"u\"}}"),
        McpConfigSource::Json(_)
    ));
    assert!(matches!(
        McpConfigSource::from("./mcp.json"),
        McpConfigSource::Path(_)
    ));
}

#[test]
fn both_or_neither_is_an_error() {
    let both: Result<McpConfig, _> = serde_json::from_str(r#"{"a":{"command":"x","url":"y"}}"#);
    assert!(both.is_err());
    let neither: Result<McpConfig, _> = serde_json::from_str(r#"{"a":{"args":[]}}"#);
    assert!(neither.is_err());
}

#[test]
fn debug_redacts_secrets() {
    let s = McpServer::http("https://x")
        .header("Authorization", "Bearer SECRET1")
        .oauth(McpOAuth::new("id", "https://a", "https://t").client_secret("SECRET2"));
    let d = format!("{s:?}");
    assert!(!d.contains("SECRET"), "{d}");
    assert!(d.contains("Authorization"));
    let s = McpServer::stdio("node").env("TOKEN", "SECRET3");
    let d = format!("{s:?}");
    assert!(!d.contains("SECRET"), "{d}");
}
