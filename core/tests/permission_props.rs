//! Property tests: permission rules round-trip through JSON, invalid rules are refused, and
//! the evaluator, regex engine and tool globs never panic.

use std::collections::BTreeMap;

use ampere_core::permission::{
    evaluate, glob::tool_glob_matches, regex::Regex, MatchCondition, Permission, PermissionAction,
    PermissionContext, PermissionOptions, ToolCall,
};
use proptest::prelude::*;
use serde_json::Value;

fn condition() -> impl Strategy<Value = MatchCondition> {
    let leaf = prop_oneof![
        "[a-z*/^$.()|]{0,8}".prop_map(MatchCondition::Text),
        any::<bool>().prop_map(MatchCondition::Bool),
        any::<i64>().prop_map(MatchCondition::from),
        // dyadic fractions: serde_json (without `float_roundtrip`) may be 1 ulp off otherwise
        (-1_000_000i64..1_000_000).prop_map(|n| MatchCondition::from(n as f64 / 8.0)),
        Just(MatchCondition::Null),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 1..4).prop_map(MatchCondition::List),
            prop::collection::btree_map("[a-z.0-9]{1,4}", inner, 0..3)
                .prop_map(MatchCondition::Object),
        ]
    })
}

fn action() -> impl Strategy<Value = PermissionAction> {
    prop_oneof![
        Just(PermissionAction::Allow),
        Just(PermissionAction::Reject),
        Just(PermissionAction::Ask),
        Just(PermissionAction::Delegate),
    ]
}

fn context() -> impl Strategy<Value = Option<PermissionContext>> {
    prop_oneof![
        Just(None),
        Just(Some(PermissionContext::Thread)),
        Just(Some(PermissionContext::Subagent)),
    ]
}

fn valid_rule() -> impl Strategy<Value = Permission> {
    (
        "[A-Za-z_*?{},\\[\\]]{1,10}",
        action(),
        prop::option::of(prop::collection::btree_map("[a-z]{1,5}", condition(), 0..3)),
        context(),
        "[a-z/ ]{1,10}",
        prop::option::of(".{0,10}"),
    )
        .prop_filter_map(
            "valid combination",
            |(tool, action, matches, context, to, msg)| {
                let options = PermissionOptions {
                    matches,
                    context,
                    to: (action == PermissionAction::Delegate).then_some(to),
                    message: if action == PermissionAction::Reject {
                        msg
                    } else {
                        None
                    },
                };
                Permission::new(tool, action, options).ok()
            },
        )
}

proptest! {
    #[test]
    fn rules_round_trip(rules in prop::collection::vec(valid_rule(), 0..5)) {
        let text = serde_json::to_string(&rules).unwrap_or_default();
        prop_assert!(!text.contains("\"context\":null") && !text.contains("\"to\":null"));
        let back: Vec<Permission> = serde_json::from_str(&text).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(&back, &rules);
        let values: Vec<Value> = rules.iter().map(Permission::to_value).collect();
        prop_assert_eq!(serde_json::to_value(&rules).unwrap_or_default(), Value::Array(values));
    }

    #[test]
    fn invalid_combinations_are_refused(
        action in action(),
        to in prop::option::of("[a-z]{0,4}"),
        message in prop::option::of("[a-z]{0,4}"),
        empty_tool in any::<bool>(),
    ) {
        let tool = if empty_tool { "" } else { "Bash" };
        let options = PermissionOptions { matches: None, context: None, to: to.clone(), message: message.clone() };
        let valid = !empty_tool
            && match action {
                PermissionAction::Delegate => to.as_deref().is_some_and(|t| !t.is_empty()),
                _ => to.is_none(),
            }
            && (message.is_none() || action == PermissionAction::Reject);
        let built = Permission::new(tool, action, options);
        prop_assert_eq!(built.is_ok(), valid, "{:?}", built);
        // the same rule as JSON is refused the same way
        let mut obj = serde_json::Map::new();
        obj.insert("tool".into(), tool.into());
        obj.insert("action".into(), action.as_str().into());
        if let Some(t) = to { obj.insert("to".into(), t.into()); }
        if let Some(m) = message { obj.insert("message".into(), m.into()); }
        let parsed: Result<Permission, _> = serde_json::from_value(Value::Object(obj));
        prop_assert_eq!(parsed.is_ok(), valid);
    }

    #[test]
    fn evaluator_never_panics(
        rules in prop::collection::vec(valid_rule(), 0..5),
        tool in "[A-Za-z_*]{0,8}",
        args in prop::collection::btree_map("[a-z.0-9]{1,4}", any::<String>(), 0..4),
        subagent in any::<bool>(),
    ) {
        let mut call = ToolCall::new(tool);
        if subagent { call = call.in_context(PermissionContext::Subagent); }
        for (k, v) in args { call = call.arg(k, v); }
        let e = evaluate(&rules, &call);
        if let Some(i) = e.matched_index() { prop_assert!(i < rules.len()); }
    }

    #[test]
    fn regex_never_panics(pattern in "[a-c()\\[\\]{}|*+?^$.\\\\dwsb0-9,:=!<-]{0,16}", text in ".{0,16}") {
        if let Ok(re) = Regex::new(&pattern) {
            let _ = re.is_match(&text);
        }
    }

    #[test]
    fn tool_glob_never_panics(pattern in "[a-c*?{},!\\[\\]\\\\/-]{0,12}", name in "[a-c/]{0,8}") {
        let _ = tool_glob_matches(&pattern, &name);
    }
}

#[test]
fn empty_list_condition_is_refused() {
    let e = Permission::allow("X")
        .matching("a", Vec::<MatchCondition>::new())
        .build()
        .err();
    assert_eq!(e.map(|e| e.field), Some("permission.matches.a".to_owned()));
}

#[test]
fn nested_object_and_dotted_paths() {
    let mut env = BTreeMap::new();
    env.insert("NODE_ENV".to_owned(), MatchCondition::from("production"));
    let rules = match Permission::allow("X").matching("env", env).build() {
        Ok(r) => vec![r],
        Err(e) => panic!("{e}"),
    };
    let call = ToolCall::new("x").arg("env", serde_json::json!({"NODE_ENV": "production", "X": 1}));
    assert_eq!(evaluate(&rules, &call).matched_index(), Some(0));
    let call = ToolCall::new("X").arg("env", "production");
    assert_eq!(evaluate(&rules, &call).matched_index(), None);
    let rules = match Permission::allow("X").matching("a.1", 2).build() {
        Ok(r) => vec![r],
        Err(e) => panic!("{e}"),
    };
    let call = ToolCall::new("X").arg("a", serde_json::json!([1, 2.0]));
    assert_eq!(evaluate(&rules, &call).matched_index(), Some(0));
}

#[test]
fn shell_aliases_share_rules() {
    let rules = match Permission::allow("Bash").matching("cmd", "git *").build() {
        Ok(r) => vec![r],
        Err(e) => panic!("{e}"),
    };
    let call = ToolCall::new("shell_command").arg("command", "git status");
    assert_eq!(evaluate(&rules, &call).matched_index(), Some(0));
}
