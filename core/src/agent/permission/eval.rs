//! The local evaluator: which user rule the CLI picks for one tool call.

use serde_json::{Map, Value};

use super::regex::{escape_like_cli, Regex, RegexError};
use super::{MatchCondition, Permission, PermissionAction, PermissionContext};

/// One tool call to evaluate: the tool's name, its arguments and where it happens.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolCall {
    /// The tool's name (such as `Bash` or `mcp__playwright__browser_click`).
    pub tool: String,
    /// The call's arguments (a JSON object).
    pub args: Map<String, Value>,
    /// Main thread or subagent; `None` = no context (like `amp permissions test` without
    /// `--context`): then only rules without a `context` apply.
    pub context: Option<PermissionContext>,
}

impl ToolCall {
    /// A call of `tool` without arguments in the main thread.
    pub fn new(tool: impl Into<String>) -> Self {
        Self {
            tool: tool.into(),
            args: Map::new(),
            context: Some(PermissionContext::Thread),
        }
    }

    /// Adds an argument.
    #[must_use]
    pub fn arg(mut self, key: impl Into<String>, value: impl Into<Value>) -> Self {
        self.args.insert(key.into(), value.into());
        self
    }

    /// Sets the context.
    #[must_use]
    pub fn in_context(mut self, context: PermissionContext) -> Self {
        self.context = Some(context);
        self
    }

    /// Removes the context: only rules without a `context` apply (what
    /// `amp permissions test` does without `--context`).
    #[must_use]
    pub fn without_context(mut self) -> Self {
        self.context = None;
        self
    }
}

/// Who decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// One of the given (user) rules.
    User,
    /// No user rule matched: the CLI goes on to its built-in rules (see [`Fallback`]).
    Default,
}

/// What the CLI does when no user rule matches (documentation of the real CLI's behaviour;
/// ampere does not replicate the built-in rules).
///
/// The CLI then evaluates its built-in rules the same way (for `Bash` they allow read-only
/// commands such as `ls *` or `git --version`, ask for `rm -rf`-like commands, and end with a
/// catch-all `ask`; `Read` is allowed). When no built-in rule matches either (any tool the
/// built-in list does not name, such as `my_tool` or an MCP tool), `amp permissions test`
/// reports `"action": null` in both contexts; the agent then treats the call as having no
/// matching entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fallback {
    /// Built-in rules next, then no entry.
    BuiltInRules,
}

/// Why ampere cannot evaluate a rule, or why the CLI would stop with an error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EvalError {
    /// The CLI itself fails on this rule (`Invalid regex pattern: /.../`): it abandons the
    /// user rules there and goes on with its built-in rules, as if no user rule matched.
    Cli(String),
    /// ampere cannot tell (syntax its glob or regex engine does not implement).
    Unsupported(String),
}

/// The result of [`evaluate`].
#[derive(Debug, Clone, PartialEq)]
pub enum Evaluation<'a> {
    /// User rule `index` (position in the given slice) matched first.
    Matched {
        /// Position of the rule in the slice.
        index: usize,
        /// The rule.
        rule: &'a Permission,
        /// Its action (for `delegate`, the CLI then runs the program, which decides).
        action: PermissionAction,
    },
    /// No user rule matched (see [`Fallback`]).
    NoUserRule(Fallback),
    /// Evaluation stopped at rule `index`: the CLI errors there, or ampere cannot tell.
    Error {
        /// Position of the rule in the slice.
        index: usize,
        /// The rule.
        rule: &'a Permission,
        /// What went wrong.
        error: EvalError,
    },
}

impl<'a> Evaluation<'a> {
    /// The action of the matched user rule.
    pub fn action(&self) -> Option<PermissionAction> {
        match self {
            Self::Matched { action, .. } => Some(*action),
            _ => None,
        }
    }

    /// The index of the matched user rule.
    pub fn matched_index(&self) -> Option<usize> {
        match self {
            Self::Matched { index, .. } => Some(*index),
            _ => None,
        }
    }

    /// The matched user rule.
    pub fn matched(&self) -> Option<&'a Permission> {
        match self {
            Self::Matched { rule, .. } => Some(rule),
            _ => None,
        }
    }

    /// Who decided ([`Source::User`] for a match, else [`Source::Default`]).
    pub fn source(&self) -> Source {
        match self {
            Self::Matched { .. } => Source::User,
            _ => Source::Default,
        }
    }
}

/// The shell tools the CLI treats as one: a rule for any of them also applies to the others
/// (with `cmd`/`cwd` renamed to `command`/`workdir` for the latter two).
const SHELL_TOOLS: [&str; 3] = ["Bash", "shell_command", "async_shell_command"];

/// Which user rule the CLI picks for `call`, as `amp permissions test` answers it.
///
/// Semantics (read off the real CLI and checked against it):
/// - rules are tried in order; the first whose tool, context and every `matches` key match
///   wins. A rule without `context` applies in both contexts (and to a call without one); a
///   rule with a `context` never matches a call without one.
/// - tool names match case-insensitively: `*` alone matches every tool, a name without
///   `* ? [ {` must be equal, otherwise it is a glob (`*` within a name, `?`, `[...]`,
///   `{a,b}`).
/// - a rule for `Bash`, `shell_command` or `async_shell_command` also applies to the other
///   two (keys `cmd`/`cwd` of `Bash` are `command`/`workdir` of the others).
/// - a `matches` key containing `.` is a path into nested arguments (`a.b`, `list.0`).
/// - a text condition only matches a string argument: `/.../` (at least 3 characters) is a
///   JavaScript regex searched anywhere with the multiline flag; `*` matches anything; text
///   without `*` must be equal; otherwise `*` matches any run of characters except line
///   breaks, anchored at line starts/ends (multiline), case-sensitive, `?` and `[` literal.
/// - a list matches when any element does (string elements as text conditions, others by
///   equality; nested lists or objects inside a list never match).
/// - bool, number and null must be equal (a string argument `"1"` does not match `1`; the
///   `permissions test` command passes every argument as a string); a missing argument
///   matches nothing.
/// - an object condition needs an object argument (an array counts), each key matched the
///   same way; `{}` matches any object.
/// - an invalid regex stops the evaluation when it is reached ([`Evaluation::Error`] with
///   [`EvalError::Cli`]; the CLI then skips the remaining user rules and uses its built-in
///   ones). Keys are tried in JavaScript object order, which decides whether a bad regex is
///   reached.
/// - syntax ampere's engines do not implement gives [`EvalError::Unsupported`], never a
///   guess.
pub fn evaluate<'a>(rules: &'a [Permission], call: &ToolCall) -> Evaluation<'a> {
    for (index, rule) in rules.iter().enumerate() {
        match rule_matches(rule, call) {
            Ok(false) => {}
            Ok(true) => {
                return Evaluation::Matched {
                    index,
                    rule,
                    action: rule.action(),
                }
            }
            Err(error) => return Evaluation::Error { index, rule, error },
        }
    }
    Evaluation::NoUserRule(Fallback::BuiltInRules)
}

fn rule_matches(rule: &Permission, call: &ToolCall) -> Result<bool, EvalError> {
    let direct = tool_matches(rule.tool(), &call.tool)?;
    let alias =
        !direct && SHELL_TOOLS.contains(&rule.tool()) && SHELL_TOOLS.contains(&call.tool.as_str());
    if !direct && !alias {
        return Ok(false);
    }
    // A rule with a context applies only to calls in that context; a call without one
    // (`amp permissions test` without `--context`) is matched by context-free rules only.
    if rule.context().is_some_and(|c| Some(c) != call.context) {
        return Ok(false);
    }
    let Some(matches) = rule.matches() else {
        return Ok(true);
    };
    for (key, cond) in js_key_order(matches) {
        let key = if alias {
            rename_for(&call.tool, key)
        } else {
            key
        };
        let value = lookup(&call.args, key);
        if !cond_matches(value, cond)? {
            return Ok(false);
        }
    }
    Ok(true)
}

fn rename_for<'k>(tool: &str, key: &'k str) -> &'k str {
    match (tool == "Bash", key) {
        (true, "command") => "cmd",
        (true, "workdir") => "cwd",
        (false, "cmd") => "command",
        (false, "cwd") => "workdir",
        _ => key,
    }
}

/// JavaScript object key order: array-index keys ascending first, then the others in
/// insertion order (the serialized order, which is sorted).
fn js_key_order<V>(map: &std::collections::BTreeMap<String, V>) -> Vec<(&str, &V)> {
    let index = |k: &str| -> Option<u32> {
        let n: u32 = k.parse().ok()?;
        (n.to_string() == k && n != u32::MAX).then_some(n)
    };
    let mut idx: Vec<(u32, &str, &V)> = map
        .iter()
        .filter_map(|(k, v)| index(k).map(|n| (n, k.as_str(), v)))
        .collect();
    idx.sort_by_key(|(n, _, _)| *n);
    let mut out: Vec<(&str, &V)> = idx.into_iter().map(|(_, k, v)| (k, v)).collect();
    out.extend(
        map.iter()
            .filter(|(k, _)| index(k).is_none())
            .map(|(k, v)| (k.as_str(), v)),
    );
    out
}

/// The CLI's argument lookup: plain key, or a dotted path through objects and arrays.
fn lookup<'v>(args: &'v Map<String, Value>, key: &str) -> Option<&'v Value> {
    if !key.contains('.') {
        return args.get(key);
    }
    let mut parts = key.split('.');
    let first = parts.next()?;
    let mut cur = args.get(first)?;
    for part in parts {
        cur = step(cur, part)?;
    }
    Some(cur)
}

fn step<'v>(v: &'v Value, part: &str) -> Option<&'v Value> {
    match v {
        Value::Array(items) => items.get(js_parse_int(part)?),
        Value::Object(map) => map.get(part),
        _ => None,
    }
}

/// `parseInt(s, 10)` for an array index: leading whitespace, optional sign, digits.
fn js_parse_int(s: &str) -> Option<usize> {
    let t = s.trim_start();
    let (neg, t) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let digits: &str = &t[..t.bytes().take_while(u8::is_ascii_digit).count()];
    if digits.is_empty() {
        return None;
    }
    let n: usize = digits.parse().ok()?;
    if neg && n != 0 {
        return None;
    }
    Some(n)
}

fn cond_matches(value: Option<&Value>, cond: &MatchCondition) -> Result<bool, EvalError> {
    match cond {
        MatchCondition::Text(p) => match value {
            Some(Value::String(s)) => text_matches(s, p),
            _ => Ok(false),
        },
        MatchCondition::List(items) => {
            for item in items {
                let hit = match item {
                    MatchCondition::Text(p) => match value {
                        Some(Value::String(s)) => text_matches(s, p)?,
                        _ => false,
                    },
                    MatchCondition::List(_) | MatchCondition::Object(_) => false,
                    other => scalar_eq(value, other),
                };
                if hit {
                    return Ok(true);
                }
            }
            Ok(false)
        }
        MatchCondition::Object(fields) => {
            let Some(v @ (Value::Object(_) | Value::Array(_))) = value else {
                return Ok(false);
            };
            if fields.is_empty() {
                return Ok(true);
            }
            for (key, c) in js_key_order(fields) {
                let inner = key.split('.').try_fold(v, |cur, part| step(cur, part));
                if !cond_matches(inner, c)? {
                    return Ok(false);
                }
            }
            Ok(true)
        }
        other => Ok(scalar_eq(value, other)),
    }
}

/// JavaScript `===` between an argument and a bool/number/null condition.
fn scalar_eq(value: Option<&Value>, cond: &MatchCondition) -> bool {
    match (value, cond) {
        (Some(Value::Bool(a)), MatchCondition::Bool(b)) => a == b,
        (Some(Value::Null), MatchCondition::Null) => true,
        (Some(Value::Number(a)), MatchCondition::Number(b)) => match (a.as_f64(), b.as_f64()) {
            (Some(x), Some(y)) => x == y,
            _ => false,
        },
        _ => false,
    }
}

/// The CLI's text condition (`v4`).
pub(crate) fn text_matches(value: &str, pattern: &str) -> Result<bool, EvalError> {
    let len16 = pattern.encode_utf16().count();
    if len16 >= 3 && pattern.starts_with('/') && pattern.ends_with('/') {
        let body = &pattern[1..pattern.len() - 1];
        return match Regex::new(body) {
            Ok(re) => Ok(re.is_match(value)),
            Err(RegexError::Invalid(_)) => {
                Err(EvalError::Cli(format!("Invalid regex pattern: {pattern}")))
            }
            Err(RegexError::Unsupported(m)) => Err(EvalError::Unsupported(format!(
                "regex condition {pattern}: {m}"
            ))),
        };
    }
    if pattern == "*" {
        return Ok(true);
    }
    if !pattern.contains('*') {
        return Ok(value == pattern);
    }
    let body = pattern
        .split('*')
        .map(escape_like_cli)
        .collect::<Vec<_>>()
        .join(".*");
    match Regex::new(&format!("^{body}$")) {
        Ok(re) => Ok(re.is_match(value)),
        Err(e) => Err(EvalError::Unsupported(format!("glob {pattern}: {e}"))),
    }
}

/// The CLI's tool-name match (case-insensitive; globs with `* ? [ {`).
fn tool_matches(pattern: &str, tool: &str) -> Result<bool, EvalError> {
    if pattern.is_empty() {
        return Ok(false);
    }
    let p = pattern.to_lowercase();
    let t = tool.to_lowercase();
    // The CLI reads a one-character pattern (JS length 1) literally: `*` matches every tool,
    // anything else (`?`, `[`) only a tool of that very name.
    if p.encode_utf16().count() == 1 {
        return Ok(p == "*" || p == t);
    }
    if p == t {
        return Ok(true);
    }
    if !p.contains(['*', '?', '[', '{']) {
        return Ok(false);
    }
    super::glob::tool_glob_matches(&p, &t)
        .map_err(|m| EvalError::Unsupported(format!("tool glob {pattern}: {m}")))
}
