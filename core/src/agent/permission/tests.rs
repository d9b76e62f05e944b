//! Unit tests.

use super::*;

#[test]
fn builder_serializes_in_cli_order() {
    let p = Permission::reject("Bash")
        .matching("cmd", vec!["rm *", "/^sudo /"])
        .in_context(PermissionContext::Subagent)
        .with_message("no")
        .build();
    let json = p.map(|p| serde_json::to_string(&p).unwrap_or_default());
    assert_eq!(
        json,
        Ok(r#"{"tool":"Bash","action":"reject","matches":{"cmd":["rm *","/^sudo /"]},"context":"subagent","message":"no"}"#.to_owned())
    );
}

#[test]
fn invalid_rules_are_refused() {
    let e = Permission::allow("").build().err();
    assert_eq!(e.map(|e| e.field), Some("permission.tool".to_owned()));
    let e = Permission::allow("Bash").to("x").build().err();
    assert_eq!(e.map(|e| e.field), Some("permission.to".to_owned()));
    let e = Permission::ask("Bash").with_message("m").build().err();
    assert_eq!(e.map(|e| e.field), Some("permission.message".to_owned()));
    let e = PermissionBuilder::new("Bash", PermissionAction::Delegate)
        .build()
        .err();
    assert_eq!(e.map(|e| e.field), Some("permission.to".to_owned()));
    let r: Result<Permission, _> = serde_json::from_str(r#"{"tool":"Bash","action":"delegate"}"#);
    assert!(r
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default()
        .contains("invalid permission.to"));
}

#[test]
fn a_call_without_context_matches_only_context_free_rules() {
    let rules = [
        Permission::reject("X")
            .in_context(PermissionContext::Thread)
            .build(),
        Permission::reject("X")
            .in_context(PermissionContext::Subagent)
            .build(),
        Permission::ask("X").build(),
    ]
    .into_iter()
    .collect::<Result<Vec<_>, _>>();
    let Ok(rules) = rules else {
        panic!("test rules are valid");
    };
    let index = |call: &ToolCall| match evaluate(&rules, call) {
        Evaluation::Matched { index, .. } => Some(index),
        _ => None,
    };
    assert_eq!(index(&ToolCall::new("X")), Some(0));
    assert_eq!(
        index(&ToolCall::new("X").in_context(PermissionContext::Subagent)),
        Some(1)
    );
    assert_eq!(index(&ToolCall::new("X").without_context()), Some(2));
    let only_contextual = &rules[..2];
    assert!(matches!(
        evaluate(only_contextual, &ToolCall::new("X").without_context()),
        Evaluation::NoUserRule(_)
    ));
}

#[test]
fn a_one_character_tool_pattern_is_literal_like_the_cli() {
    let Ok(rules) = [Permission::allow("?").build(), Permission::ask("*").build()]
        .into_iter()
        .collect::<Result<Vec<_>, _>>()
    else {
        panic!("test rules are valid");
    };
    let index = |tool: &str| match evaluate(&rules, &ToolCall::new(tool)) {
        Evaluation::Matched { index, .. } => Some(index),
        _ => None,
    };
    assert_eq!(
        index("X"),
        Some(1),
        "`?` does not match the one-letter tool X"
    );
    assert_eq!(index("?"), Some(0));
    assert_eq!(index("Bash"), Some(1));
}
