//! Settings parsing (JSON and JSONC) and the overlay.

use ampere_core::options::AmpOptions;
use ampere_core::settings::{needs_overlay, overlay, parse_settings, to_file_bytes, SettingsError};
use proptest::prelude::*;
use serde_json::{json, Map, Value};

fn parse_ok(text: &str) -> Map<String, Value> {
    match parse_settings(text) {
        Ok(m) => m,
        Err(e) => panic!("{text:?}: {e}"),
    }
}

#[test]
fn plain_json() {
    assert_eq!(
        Value::Object(parse_ok(r#"{"a": [1, {"b": null}]}"#)),
        json!({"a": [1, {"b": null}]})
    );
    assert!(parse_ok("{}").is_empty());
    assert!(parse_ok("\u{feff}{}").is_empty());
}

#[test]
fn comments_and_trailing_commas() {
    let m = parse_ok(
        "// top\n{\n  /* block\n over lines */ \"a\": 1, // one\n  \"b\": [1, 2, /* c */ ],\n  \"c\": {\"d\": true,},\n}\n// end",
    );
    assert_eq!(
        Value::Object(m),
        json!({"a": 1, "b": [1, 2], "c": {"d": true}})
    );
}

#[test]
fn strings_containing_comment_markers_untouched() {
    let m = parse_ok(r#"{"url": "https://x.dev//a", "g": "/* not */", "e": "\\", "q": "\"//\"",}"#);
    assert_eq!(m["url"], "https://x.dev//a");
    assert_eq!(m["g"], "/* not */");
    assert_eq!(m["e"], "\\");
    assert_eq!(m["q"], "\"//\"");
}

#[test]
fn errors_name_line_and_column() {
    match parse_settings("{\n  \"a\": 1,\n  \"b\" 2\n}") {
        Err(SettingsError::Syntax {
            line,
            column,
            message,
        }) => {
            assert_eq!((line, column), (3, 7), "{message}");
        }
        other => panic!("{other:?}"),
    }
    match parse_settings("{\n  /* never closed\n") {
        Err(
            e @ SettingsError::Syntax {
                line: 2, column: 3, ..
            },
        ) => {
            assert!(e.to_string().contains("line 2, column 3"), "{e}");
        }
        other => panic!("{other:?}"),
    }
    for bad in ["", "{", "{,}", "[,]", "{\"a\":1,,}", "{\"a\": 1} x"] {
        assert!(
            matches!(parse_settings(bad), Err(SettingsError::Syntax { .. })),
            "{bad:?}"
        );
    }
}

#[test]
fn top_level_must_be_object() {
    for (text, found) in [
        ("[]", "an array"),
        ("1", "a number"),
        ("\"s\"", "a string"),
        ("null", "null"),
        ("true // x", "a boolean"),
    ] {
        match parse_settings(text) {
            Err(e @ SettingsError::NotAnObject { .. }) => {
                assert!(e.to_string().contains(found), "{e}")
            }
            other => panic!("{text}: {other:?}"),
        }
    }
}

#[test]
fn overlay_steps() {
    let base =
        parse_ok(r#"{"amp.keep": 1, "amp.dangerouslyAllowAll": true, "amp.systemPrompt": "old"}"#);
    assert!(!needs_overlay(&AmpOptions::new()));
    assert!(needs_overlay(
        &AmpOptions::new().dangerously_allow_all(false)
    ));
    // An explicit dangerously_allow_all is written as given.
    let m = overlay(
        base.clone(),
        &AmpOptions::new().dangerously_allow_all(false),
    )
    .unwrap_or_default();
    assert_eq!(m["amp.dangerouslyAllowAll"], false);
    assert_eq!(m["amp.keep"], 1);
    let m = overlay(
        base.clone(),
        &AmpOptions::new()
            .skills("/s")
            .enabled_tools(["A", "b*"])
            .system_prompt("new"),
    )
    .unwrap_or_default();
    assert_eq!(m["amp.skills.path"], "/s");
    assert_eq!(m["amp.tools.enable"], json!(["A", "b*"]));
    assert_eq!(m["amp.systemPrompt"], "new");
    assert_eq!(
        m["amp.dangerouslyAllowAll"], true,
        "untouched without rules"
    );
    let bytes = to_file_bytes(&m);
    assert_eq!(bytes.last(), Some(&b'\n'));
    assert_eq!(parse_ok(&String::from_utf8_lossy(&bytes)), m);
}

fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        "[ -~]{0,12}".prop_map(Value::String),
        prop_oneof![Just("//"), Just("/*"), Just("*/"), Just("\\\""), Just(",}")]
            .prop_map(|s| Value::String(s.to_string())),
        any::<String>().prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::btree_map("[a-z./]{0,8}", inner, 0..5)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn arb_settings() -> impl Strategy<Value = Map<String, Value>> {
    prop::collection::btree_map("amp\\.[a-zA-Z.]{0,10}|[ -~]{0,6}", arb_json(), 0..6)
        .prop_map(|m| m.into_iter().collect())
}

/// Turns JSON into JSONC: comments between tokens and trailing commas.
fn jsonc(v: &Value, out: &mut String) {
    match v {
        Value::Array(items) => {
            out.push_str("[ /* a */\n");
            for it in items {
                jsonc(it, out);
                out.push_str(", // item\n");
            }
            out.push(']');
        }
        Value::Object(m) => {
            out.push_str("{ // o\n");
            for (k, it) in m {
                out.push_str(&Value::String(k.clone()).to_string());
                out.push_str(" /* k */ : ");
                jsonc(it, out);
                out.push_str(",\n");
            }
            out.push('}');
        }
        other => out.push_str(&other.to_string()),
    }
}

proptest! {
    #[test]
    fn parse_serialize_lossless(m in arb_settings()) {
        let compact = serde_json::to_string(&m).unwrap_or_default();
        prop_assert_eq!(parse_settings(&compact).ok(), Some(m.clone()));
        prop_assert_eq!(parse_settings(&String::from_utf8_lossy(&to_file_bytes(&m))).ok(), Some(m.clone()));
        let mut c = String::new();
        jsonc(&Value::Object(m.clone()), &mut c);
        prop_assert_eq!(parse_settings(&c).ok(), Some(m));
    }

    #[test]
    fn arbitrary_text_never_panics(s in any::<String>()) {
        if let Ok(m) = parse_settings(&s) {
            let again = serde_json::to_string(&m).unwrap_or_default();
            prop_assert_eq!(parse_settings(&again).ok(), Some(m));
        }
    }
}

/// Found by the settings fuzz target: a long number literal must survive a rewrite of the
/// user's settings exactly (serde_json's default float parser can be 1 ulp off).
#[test]
fn long_number_literals_round_trip_exactly() {
    use ampere_core::settings::{parse_settings, to_file_bytes};
    let text = r#"{"AV5+":	222222222222222222222222222222222222222222222222221}"#;
    let map = parse_settings(text).expect("parses");
    let compact = serde_json::to_string(&map).expect("serializes");
    assert_eq!(parse_settings(&compact).ok(), Some(map.clone()));
    let pretty = to_file_bytes(&map);
    assert_eq!(
        parse_settings(&String::from_utf8_lossy(&pretty)).ok(),
        Some(map)
    );
}
