//! The cases of `conformance_permissions.rs`: rule sets, tool calls and what the real CLI
//! answers for them (shared through `#[path]`, so this is not a test target of its own).

use ampere_core::permission::{MatchCondition, Permission, PermissionContext};

pub struct Case {
    pub name: &'static str,
    pub rules: Vec<Permission>,
    pub tool: &'static str,
    pub args: Vec<(&'static str, &'static str)>,
    /// `None`: `amp permissions test` without `--context`.
    pub context: Option<PermissionContext>,
    /// The action the CLI reports (`None` = null), after running a delegate program.
    pub action: Option<&'static str>,
    /// Index of the user rule expected to match; `None` = no user rule.
    pub rule: Option<usize>,
}

fn case(
    name: &'static str,
    rules: Vec<Permission>,
    tool: &'static str,
    args: &[(&'static str, &'static str)],
    action: Option<&'static str>,
    rule: Option<usize>,
) -> Case {
    Case {
        name,
        rules,
        tool,
        args: args.to_vec(),
        context: Some(PermissionContext::Thread),
        action,
        rule,
    }
}

pub fn ok(b: ampere_core::permission::PermissionBuilder) -> Permission {
    match b.build() {
        Ok(p) => p,
        Err(e) => panic!("test rule is invalid: {e}"),
    }
}

fn x(cond: impl Into<MatchCondition>) -> Vec<Permission> {
    vec![ok(Permission::allow("X").matching("a", cond))]
}

pub fn cases(script: &str) -> Vec<Case> {
    use PermissionContext::{Subagent, Thread};
    let sub = |mut c: Case| {
        c.context = Some(Subagent);
        c
    };
    // No `--context`: only rules without a context match.
    let bare = |mut c: Case| {
        c.context = None;
        c
    };
    let d = |code: u8| ok(Permission::delegate("D", format!("{script}{code}")));
    vec![
        // globs
        case(
            "glob star",
            x("a*c"),
            "X",
            &[("a", "abc")],
            Some("allow"),
            Some(0),
        ),
        case(
            "glob star crosses slash",
            x("a*c"),
            "X",
            &[("a", "a/b/c")],
            Some("allow"),
            Some(0),
        ),
        case(
            "glob anchored start",
            x("a*"),
            "X",
            &[("a", "xa")],
            None,
            None,
        ),
        case(
            "glob anchored end",
            x("*c"),
            "X",
            &[("a", "abcx")],
            None,
            None,
        ),
        case(
            "glob question literal",
            x("a?c"),
            "X",
            &[("a", "abc")],
            None,
            None,
        ),
        case(
            "glob question itself",
            x("a?c"),
            "X",
            &[("a", "a?c")],
            Some("allow"),
            Some(0),
        ),
        case(
            "glob double star",
            x("a**c"),
            "X",
            &[("a", "a/b/c")],
            Some("allow"),
            Some(0),
        ),
        case(
            "glob case sensitive",
            x("ABC"),
            "X",
            &[("a", "abc")],
            None,
            None,
        ),
        case(
            "glob dot literal",
            x("a.c*"),
            "X",
            &[("a", "abcx")],
            None,
            None,
        ),
        case(
            "glob brackets literal",
            x("[a-c]*"),
            "X",
            &[("a", "b")],
            None,
            None,
        ),
        case(
            "glob star no newline",
            x("a*c"),
            "X",
            &[("a", "a\nc")],
            None,
            None,
        ),
        case(
            "glob star multiline",
            x("a*"),
            "X",
            &[("a", "\na")],
            Some("allow"),
            Some(0),
        ),
        case(
            "exact no newline",
            x("ab"),
            "X",
            &[("a", "ab\n")],
            None,
            None,
        ),
        case(
            "lone star",
            x("*"),
            "X",
            &[("a", "a\nb")],
            Some("allow"),
            Some(0),
        ),
        case("missing arg", x("*"), "X", &[("b", "x")], None, None),
        case(
            "backslash literal",
            x("a\\*c"),
            "X",
            &[("a", "a\\bc")],
            Some("allow"),
            Some(0),
        ),
        // regexes
        case(
            "regex search",
            x("/b/"),
            "X",
            &[("a", "abc")],
            Some("allow"),
            Some(0),
        ),
        case("regex anchor", x("/^b/"), "X", &[("a", "abc")], None, None),
        case(
            "regex multiline",
            x("/^b$/"),
            "X",
            &[("a", "a\nb")],
            Some("allow"),
            Some(0),
        ),
        case(
            "regex flags are text",
            x("/B/i"),
            "X",
            &[("a", "aBc")],
            None,
            None,
        ),
        case(
            "regex alternation",
            x(MatchCondition::regex("^git (status|log|diff)$")),
            "X",
            &[("a", "git log")],
            Some("allow"),
            Some(0),
        ),
        case(
            "regex alternation miss",
            x(MatchCondition::regex("^git (status|log|diff)$")),
            "X",
            &[("a", "git push")],
            None,
            None,
        ),
        case(
            "regex utf16 dot",
            x("/^.$/"),
            "X",
            &[("a", "😀")],
            None,
            None,
        ),
        case(
            "regex classes",
            x("/^\\w+\\s\\d{2,3}$/"),
            "X",
            &[("a", "ab_1 123")],
            Some("allow"),
            Some(0),
        ),
        case(
            "regex word boundary",
            x("/\\bfoo\\b/"),
            "X",
            &[("a", "afoob")],
            None,
            None,
        ),
        case(
            "regex negated class",
            x("/^[^a-c]+$/"),
            "X",
            &[("a", "xyz")],
            Some("allow"),
            Some(0),
        ),
        case(
            "two slashes literal",
            x("//"),
            "X",
            &[("a", "//")],
            Some("allow"),
            Some(0),
        ),
        // lists, scalars, objects
        case(
            "list any of",
            x(vec!["x", "a*"]),
            "X",
            &[("a", "ab")],
            Some("allow"),
            Some(0),
        ),
        case(
            "list with number",
            x(vec![MatchCondition::regex("^a"), 1.into()]),
            "X",
            &[("a", "ab")],
            Some("allow"),
            Some(0),
        ),
        case("number vs string", x(1), "X", &[("a", "1")], None, None),
        case(
            "string one",
            x("1"),
            "X",
            &[("a", "1")],
            Some("allow"),
            Some(0),
        ),
        case("bool vs string", x(true), "X", &[("a", "true")], None, None),
        case(
            "null vs missing",
            x(MatchCondition::Null),
            "X",
            &[],
            None,
            None,
        ),
        case(
            "object vs string",
            x(MatchCondition::Object(
                [("b".to_owned(), "c".into())].into(),
            )),
            "X",
            &[("a", "{\"b\":\"c\"}")],
            None,
            None,
        ),
        // tools, order, contexts
        case(
            "tool case insensitive",
            vec![ok(Permission::reject("bash"))],
            "Bash",
            &[("cmd", "x")],
            Some("reject"),
            Some(0),
        ),
        case(
            "tool glob",
            vec![ok(Permission::ask("mcp__*"))],
            "mcp__pw__click",
            &[],
            Some("ask"),
            Some(0),
        ),
        case(
            "tool glob braces",
            vec![ok(Permission::ask("{Read,Grep}"))],
            "Grep",
            &[],
            Some("ask"),
            Some(0),
        ),
        case(
            "first match wins",
            vec![ok(Permission::reject("X")), ok(Permission::allow("X"))],
            "X",
            &[],
            Some("reject"),
            Some(0),
        ),
        case(
            "skip non matching",
            vec![
                ok(Permission::reject("X").matching("a", "no")),
                ok(Permission::allow("X")),
            ],
            "X",
            &[("a", "yes")],
            Some("allow"),
            Some(1),
        ),
        case(
            "all keys must match",
            vec![ok(Permission::allow("X")
                .matching("a", "1")
                .matching("b", "2"))],
            "X",
            &[("a", "1"), ("b", "3")],
            None,
            None,
        ),
        case(
            "dotted key",
            vec![ok(Permission::allow("X").matching("a.b", "1"))],
            "X",
            &[("a.b", "1")],
            None,
            None,
        ),
        case(
            "context thread rule in thread",
            vec![ok(Permission::reject("X").in_context(Thread))],
            "X",
            &[],
            Some("reject"),
            Some(0),
        ),
        sub(case(
            "context thread rule in subagent",
            vec![ok(Permission::reject("X").in_context(Thread))],
            "X",
            &[],
            None,
            None,
        )),
        case(
            "one-character tool pattern is literal",
            vec![
                ok(Permission::reject("?")),
                ok(Permission::reject("[")),
                ok(Permission::ask("X")),
            ],
            "X",
            &[],
            Some("ask"),
            Some(2),
        ),
        bare(case(
            "no context: one-character tool pattern",
            vec![ok(Permission::allow("?")), ok(Permission::ask("*"))],
            "Y",
            &[],
            Some("ask"),
            Some(1),
        )),
        bare(case(
            "no context: a thread rule does not match",
            vec![ok(Permission::reject("X").in_context(Thread))],
            "X",
            &[],
            None,
            None,
        )),
        bare(case(
            "no context: a subagent rule does not match",
            vec![ok(Permission::reject("X").in_context(Subagent))],
            "X",
            &[],
            None,
            None,
        )),
        bare(case(
            "no context: the first context-free rule matches",
            vec![
                ok(Permission::reject("X").in_context(Thread)),
                ok(Permission::reject("X").in_context(Subagent)),
                ok(Permission::ask("X")),
                ok(Permission::allow("X")),
            ],
            "X",
            &[],
            Some("ask"),
            Some(2),
        )),
        bare(case(
            "no context: matches still apply",
            vec![
                ok(Permission::allow("Bash")
                    .matching("cmd", "ls *")
                    .in_context(Thread)),
                ok(Permission::reject("Bash").matching("cmd", "ls *")),
            ],
            "Bash",
            &[("cmd", "ls -la")],
            Some("reject"),
            Some(1),
        )),
        bare(case(
            "no context: context-free rule after a non-matching one",
            vec![
                ok(Permission::allow("X").matching("a", "1")),
                ok(Permission::reject("X").in_context(Subagent)),
                ok(Permission::ask("X").matching("a", "2")),
            ],
            "X",
            &[("a", "2")],
            Some("ask"),
            Some(2),
        )),
        sub(case(
            "context subagent rule",
            vec![
                ok(Permission::reject("X").in_context(Subagent)),
                ok(Permission::ask("X")),
            ],
            "X",
            &[],
            Some("reject"),
            Some(0),
        )),
        case(
            "reject with message",
            vec![ok(Permission::reject("X").with_message("use Y"))],
            "X",
            &[],
            Some("reject"),
            Some(0),
        ),
        case(
            "invalid regex abandons user rules",
            vec![
                ok(Permission::allow("X").matching("a", "/a(/")),
                ok(Permission::allow("X")),
            ],
            "X",
            &[("a", "a(")],
            None,
            None,
        ),
        case("unknown tool no rule", vec![], "my_tool", &[], None, None),
        case(
            "bash falls to built-in",
            vec![ok(Permission::allow("Read"))],
            "Bash",
            &[("cmd", "ls")],
            Some("allow"),
            None,
        ),
        // delegation: the program's exit code decides
        case(
            "delegate exit 0",
            vec![d(0)],
            "D",
            &[("a", "1")],
            Some("allow"),
            Some(0),
        ),
        case(
            "delegate exit 1",
            vec![d(1)],
            "D",
            &[],
            Some("ask"),
            Some(0),
        ),
        case(
            "delegate exit 2",
            vec![d(2)],
            "D",
            &[],
            Some("reject"),
            Some(0),
        ),
    ]
}
