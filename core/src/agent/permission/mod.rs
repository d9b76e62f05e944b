//! Tool permission rules (`amp.permissions`) and a local evaluator for them.
//!
//! A [`Permission`] is one rule of the CLI's `amp.permissions` array: which tool it is about
//! (a glob), what to do ([`PermissionAction`]), optional conditions on the tool call's
//! arguments ([`MatchCondition`]), and optionally the context it applies in
//! ([`PermissionContext`]). Order matters: the first rule that matches wins.
//!
//! A `Permission` is always valid: the tool is non-empty, `to` is present exactly for
//! [`PermissionAction::Delegate`], and `message` is only present for
//! [`PermissionAction::Reject`]. Build one with the short constructors and
//! [`PermissionBuilder::build`], with [`Permission::new`] / [`create_permission`], or by
//! deserializing JSON (which is validated the same way).
//!
//! ```
//! use ampere_core::permission::{MatchCondition, Permission, PermissionContext};
//!
//! # fn main() -> Result<(), ampere_core::ValidationError> {
//! let rules = vec![
//!     Permission::allow("Bash").matching("cmd", "git *").build()?,
//!     Permission::allow("Bash")
//!         .matching("cmd", MatchCondition::regex("^npm (test|run build)$"))
//!         .build()?,
//!     Permission::reject("Bash")
//!         .in_context(PermissionContext::Subagent)
//!         .with_message("subagents may not run shell commands")
//!         .build()?,
//!     Permission::delegate("mcp__playwright__*", "/usr/local/bin/browse-policy").build()?,
//! ];
//! let json = serde_json::to_string(&rules).unwrap_or_default();
//! assert!(json.starts_with(r#"[{"tool":"Bash","action":"allow","matches":{"cmd":"git *"}}"#));
//! # Ok(())
//! # }
//! ```
//!
//! The local evaluator, [`evaluate`], answers which user rule the CLI would pick for one tool
//! call, as `amp permissions test` does (see its documentation for the semantics, which were
//! established against the real CLI).

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

use crate::error::ValidationError;

mod eval;
pub mod glob;
pub mod regex;

pub use eval::{evaluate, EvalError, Evaluation, Fallback, Source, ToolCall};

/// What the CLI does with a tool call that a rule matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PermissionAction {
    /// Run the tool without asking.
    Allow,
    /// Refuse the tool call (optionally with a message that lets the conversation go on).
    Reject,
    /// Ask the user first.
    Ask,
    /// Let an external program decide (exit code 0 allow, 1 ask, 2 or more reject).
    Delegate,
}

impl PermissionAction {
    /// The action's name in the CLI's JSON (`"allow"`, `"reject"`, `"ask"`, `"delegate"`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Allow => "allow",
            Self::Reject => "reject",
            Self::Ask => "ask",
            Self::Delegate => "delegate",
        }
    }
}

impl fmt::Display for PermissionAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for PermissionAction {
    type Err = ValidationError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "allow" => Ok(Self::Allow),
            "reject" => Ok(Self::Reject),
            "ask" => Ok(Self::Ask),
            "delegate" => Ok(Self::Delegate),
            other => Err(ValidationError::new(
                "permission.action",
                format!("must be one of allow, reject, ask, delegate (got {other:?})"),
            )),
        }
    }
}

/// Where a tool call happens: in the main thread or in a subagent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PermissionContext {
    /// The main thread (the conversation with the user).
    Thread,
    /// A subagent started by the main thread.
    Subagent,
}

impl PermissionContext {
    /// The context's name in the CLI's JSON and flags (`"thread"`, `"subagent"`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Thread => "thread",
            Self::Subagent => "subagent",
        }
    }
}

impl fmt::Display for PermissionContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A condition on one argument of a tool call (a value of a rule's `matches` object).
///
/// Serializes to plain JSON: a string, a list, a bool, a number, `null` or an object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MatchCondition {
    /// A glob (`*` matches any run of characters) or, written `/.../`, a regular expression.
    Text(String),
    /// Any of these conditions.
    List(Vec<MatchCondition>),
    /// The argument is this boolean.
    Bool(bool),
    /// The argument is this number.
    Number(serde_json::Number),
    /// The argument is `null`.
    Null,
    /// The argument is an object whose keys match these conditions, key by key.
    Object(BTreeMap<String, MatchCondition>),
}

impl MatchCondition {
    /// A regular-expression condition: `pattern` wrapped in slashes (`/pattern/`).
    pub fn regex(pattern: impl AsRef<str>) -> Self {
        Self::Text(format!("/{}/", pattern.as_ref()))
    }

    /// A glob condition (the text as given; `*` matches any run of characters).
    pub fn glob(pattern: impl Into<String>) -> Self {
        Self::Text(pattern.into())
    }

    /// This condition as a JSON value, exactly as the CLI reads it.
    pub fn to_value(&self) -> Value {
        match self {
            Self::Text(s) => Value::String(s.clone()),
            Self::List(items) => Value::Array(items.iter().map(Self::to_value).collect()),
            Self::Bool(b) => Value::Bool(*b),
            Self::Number(n) => Value::Number(n.clone()),
            Self::Null => Value::Null,
            Self::Object(map) => {
                Value::Object(map.iter().map(|(k, v)| (k.clone(), v.to_value())).collect())
            }
        }
    }

    /// A condition from a JSON value (every JSON value is a condition).
    pub fn from_value(value: Value) -> Self {
        match value {
            Value::String(s) => Self::Text(s),
            Value::Array(items) => Self::List(items.into_iter().map(Self::from_value).collect()),
            Value::Bool(b) => Self::Bool(b),
            Value::Number(n) => Self::Number(n),
            Value::Null => Self::Null,
            Value::Object(map) => Self::Object(
                map.into_iter()
                    .map(|(k, v)| (k, Self::from_value(v)))
                    .collect(),
            ),
        }
    }
}

impl Serialize for MatchCondition {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Text(s) => serializer.serialize_str(s),
            Self::List(items) => items.serialize(serializer),
            Self::Bool(b) => serializer.serialize_bool(*b),
            Self::Number(n) => n.serialize(serializer),
            Self::Null => serializer.serialize_unit(),
            Self::Object(map) => map.serialize(serializer),
        }
    }
}

impl<'de> Deserialize<'de> for MatchCondition {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Value::deserialize(deserializer).map(Self::from_value)
    }
}

impl From<&str> for MatchCondition {
    fn from(s: &str) -> Self {
        Self::Text(s.to_owned())
    }
}

impl From<String> for MatchCondition {
    fn from(s: String) -> Self {
        Self::Text(s)
    }
}

impl From<&String> for MatchCondition {
    fn from(s: &String) -> Self {
        Self::Text(s.clone())
    }
}

impl From<bool> for MatchCondition {
    fn from(b: bool) -> Self {
        Self::Bool(b)
    }
}

impl From<serde_json::Number> for MatchCondition {
    fn from(n: serde_json::Number) -> Self {
        Self::Number(n)
    }
}

macro_rules! int_condition {
    ($($t:ty),*) => {$(
        impl From<$t> for MatchCondition {
            fn from(n: $t) -> Self {
                Self::Number(serde_json::Number::from(n))
            }
        }
    )*};
}
int_condition!(i8, i16, i32, i64, isize, u8, u16, u32, u64, usize);

impl From<f64> for MatchCondition {
    /// A finite float becomes a number; NaN and infinities (which JSON cannot hold) become
    /// [`MatchCondition::Null`], as `serde_json` writes them.
    fn from(n: f64) -> Self {
        serde_json::Number::from_f64(n).map_or(Self::Null, Self::Number)
    }
}

impl From<f32> for MatchCondition {
    /// See the `f64` conversion.
    fn from(n: f32) -> Self {
        Self::from(f64::from(n))
    }
}

impl From<()> for MatchCondition {
    fn from((): ()) -> Self {
        Self::Null
    }
}

impl<T: Into<MatchCondition>> From<Vec<T>> for MatchCondition {
    fn from(items: Vec<T>) -> Self {
        Self::List(items.into_iter().map(Into::into).collect())
    }
}

impl<T: Into<MatchCondition>> From<Option<T>> for MatchCondition {
    /// `None` is [`MatchCondition::Null`].
    fn from(v: Option<T>) -> Self {
        v.map_or(Self::Null, Into::into)
    }
}

impl<K: Into<String>, V: Into<MatchCondition>> From<BTreeMap<K, V>> for MatchCondition {
    fn from(map: BTreeMap<K, V>) -> Self {
        Self::Object(map.into_iter().map(|(k, v)| (k.into(), v.into())).collect())
    }
}

impl From<Value> for MatchCondition {
    fn from(v: Value) -> Self {
        Self::from_value(v)
    }
}

impl From<MatchCondition> for Value {
    fn from(c: MatchCondition) -> Self {
        c.to_value()
    }
}

/// One permission rule, always valid (see the [module documentation](self)).
///
/// Serializes to the CLI's JSON with absent keys omitted (never `null`), in the order
/// `tool`, `action`, `matches`, `context`, `to`, `message`. Deserializing validates.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "PermissionOptionsWire")]
pub struct Permission {
    tool: String,
    action: PermissionAction,
    #[serde(skip_serializing_if = "Option::is_none")]
    matches: Option<BTreeMap<String, MatchCondition>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    context: Option<PermissionContext>,
    #[serde(skip_serializing_if = "Option::is_none")]
    to: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<String>,
}

/// The optional parts of a rule, for [`Permission::new`] and [`create_permission`]
/// (the seed SDK's `options` dictionary).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PermissionOptions {
    /// Conditions on the tool call's arguments, all of which must match.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub matches: Option<BTreeMap<String, MatchCondition>>,
    /// Only apply the rule in this context.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<PermissionContext>,
    /// The program to delegate to (required with, and only allowed with, `delegate`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    /// The rejection message (only allowed with `reject`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// The wire shape read before validation.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PermissionOptionsWire {
    tool: String,
    action: PermissionAction,
    #[serde(default)]
    matches: Option<BTreeMap<String, MatchCondition>>,
    #[serde(default)]
    context: Option<PermissionContext>,
    #[serde(default)]
    to: Option<String>,
    #[serde(default)]
    message: Option<String>,
}

impl TryFrom<PermissionOptionsWire> for Permission {
    type Error = ValidationError;

    fn try_from(w: PermissionOptionsWire) -> Result<Self, Self::Error> {
        Permission::new(
            w.tool,
            w.action,
            PermissionOptions {
                matches: w.matches,
                context: w.context,
                to: w.to,
                message: w.message,
            },
        )
    }
}

/// Builds a rule like the seed SDK's `create_permission(tool, action, options)`, validating it.
///
/// Same as [`Permission::new`].
pub fn create_permission(
    tool: impl Into<String>,
    action: PermissionAction,
    options: PermissionOptions,
) -> Result<Permission, ValidationError> {
    Permission::new(tool, action, options)
}

impl Permission {
    /// A validated rule from its parts.
    ///
    /// Errors (field `permission.tool`, `permission.to`, `permission.message` or
    /// `permission.matches.KEY`) when the tool is empty, when `delegate` has no (or an empty)
    /// `to`, when `to` is given with another action, when `message` is given with an action
    /// other than `reject`, or when a list condition is empty (the CLI refuses the whole
    /// configuration then).
    pub fn new(
        tool: impl Into<String>,
        action: PermissionAction,
        options: PermissionOptions,
    ) -> Result<Self, ValidationError> {
        let tool = tool.into();
        let PermissionOptions {
            matches,
            context,
            to,
            message,
        } = options;
        if tool.is_empty() {
            return Err(ValidationError::new(
                "permission.tool",
                format!("must not be empty (rule with action {action:?})"),
            ));
        }
        match (&to, action) {
            (None, PermissionAction::Delegate) => {
                return Err(ValidationError::new(
                    "permission.to",
                    format!(
                        "is required when action is \"delegate\" (rule for tool {tool:?})"
                    ),
                ))
            }
            (Some(to), PermissionAction::Delegate) if to.is_empty() => {
                return Err(ValidationError::new(
                    "permission.to",
                    format!("must not be empty (rule for tool {tool:?})"),
                ))
            }
            (Some(_), a) if a != PermissionAction::Delegate => {
                return Err(ValidationError::new(
                    "permission.to",
                    format!(
                        "is only allowed when action is \"delegate\", not {:?} (rule for tool {tool:?})",
                        a.as_str()
                    ),
                ))
            }
            _ => {}
        }
        if message.is_some() && action != PermissionAction::Reject {
            return Err(ValidationError::new(
                "permission.message",
                format!(
                    "is only allowed when action is \"reject\", not {:?} (rule for tool {tool:?})",
                    action.as_str()
                ),
            ));
        }
        if let Some(m) = &matches {
            for (key, cond) in m {
                if let Some(path) = empty_list_path(cond, key) {
                    return Err(ValidationError::new(
                        format!("permission.matches.{path}"),
                        format!("a list condition must not be empty (rule for tool {tool:?})"),
                    ));
                }
            }
        }
        Ok(Self {
            tool,
            action,
            matches,
            context,
            to,
            message,
        })
    }

    /// A rule that allows `tool` (finish with [`PermissionBuilder::build`]).
    pub fn allow(tool: impl Into<String>) -> PermissionBuilder {
        PermissionBuilder::new(tool, PermissionAction::Allow)
    }

    /// A rule that rejects `tool` (finish with [`PermissionBuilder::build`]).
    pub fn reject(tool: impl Into<String>) -> PermissionBuilder {
        PermissionBuilder::new(tool, PermissionAction::Reject)
    }

    /// A rule that asks before running `tool` (finish with [`PermissionBuilder::build`]).
    pub fn ask(tool: impl Into<String>) -> PermissionBuilder {
        PermissionBuilder::new(tool, PermissionAction::Ask)
    }

    /// A rule that lets the program `to` decide about `tool` (finish with
    /// [`PermissionBuilder::build`]). `to` is one executable (a name looked up on `PATH` or an
    /// absolute path) run without arguments.
    pub fn delegate(tool: impl Into<String>, to: impl Into<String>) -> PermissionBuilder {
        let mut b = PermissionBuilder::new(tool, PermissionAction::Delegate);
        b.options.to = Some(to.into());
        b
    }

    /// The tool-name glob.
    pub fn tool(&self) -> &str {
        &self.tool
    }

    /// The action.
    pub fn action(&self) -> PermissionAction {
        self.action
    }

    /// The argument conditions, if any.
    pub fn matches(&self) -> Option<&BTreeMap<String, MatchCondition>> {
        self.matches.as_ref()
    }

    /// The context the rule is restricted to, if any.
    pub fn context(&self) -> Option<PermissionContext> {
        self.context
    }

    /// The program delegated to (present exactly for `delegate`).
    pub fn to(&self) -> Option<&str> {
        self.to.as_deref()
    }

    /// The rejection message (only for `reject`).
    pub fn message(&self) -> Option<&str> {
        self.message.as_deref()
    }

    /// The rule as a JSON value, exactly as written into `amp.permissions`.
    pub fn to_value(&self) -> Value {
        let mut map = serde_json::Map::new();
        map.insert("tool".into(), Value::String(self.tool.clone()));
        map.insert("action".into(), Value::String(self.action.as_str().into()));
        if let Some(m) = &self.matches {
            map.insert(
                "matches".into(),
                Value::Object(m.iter().map(|(k, v)| (k.clone(), v.to_value())).collect()),
            );
        }
        if let Some(c) = self.context {
            map.insert("context".into(), Value::String(c.as_str().into()));
        }
        if let Some(to) = &self.to {
            map.insert("to".into(), Value::String(to.clone()));
        }
        if let Some(msg) = &self.message {
            map.insert("message".into(), Value::String(msg.clone()));
        }
        Value::Object(map)
    }

    /// The parts of this rule, to change and validate again with [`PermissionBuilder::build`].
    pub fn into_builder(self) -> PermissionBuilder {
        PermissionBuilder {
            tool: self.tool,
            action: self.action,
            options: PermissionOptions {
                matches: self.matches,
                context: self.context,
                to: self.to,
                message: self.message,
            },
        }
    }
}

/// The path of the first empty list inside `cond` (the CLI refuses `[]` conditions).
fn empty_list_path(cond: &MatchCondition, path: &str) -> Option<String> {
    match cond {
        MatchCondition::List(items) if items.is_empty() => Some(path.to_owned()),
        MatchCondition::List(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, c)| empty_list_path(c, &format!("{path}[{i}]"))),
        MatchCondition::Object(map) => map
            .iter()
            .find_map(|(k, c)| empty_list_path(c, &format!("{path}.{k}"))),
        _ => None,
    }
}

/// A rule being put together; [`build`](Self::build) validates it into a [`Permission`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use = "call .build() to get a Permission"]
pub struct PermissionBuilder {
    tool: String,
    action: PermissionAction,
    options: PermissionOptions,
}

impl PermissionBuilder {
    /// A rule for `tool` with `action` and nothing else yet.
    pub fn new(tool: impl Into<String>, action: PermissionAction) -> Self {
        Self {
            tool: tool.into(),
            action,
            options: PermissionOptions::default(),
        }
    }

    /// Adds (or replaces) the condition on argument `key`.
    pub fn matching(
        mut self,
        key: impl Into<String>,
        condition: impl Into<MatchCondition>,
    ) -> Self {
        self.options
            .matches
            .get_or_insert_with(BTreeMap::new)
            .insert(key.into(), condition.into());
        self
    }

    /// Restricts the rule to one context.
    pub fn in_context(mut self, context: PermissionContext) -> Self {
        self.options.context = Some(context);
        self
    }

    /// Sets the rejection message (only valid for `reject`; checked by [`build`](Self::build)).
    pub fn with_message(mut self, message: impl Into<String>) -> Self {
        self.options.message = Some(message.into());
        self
    }

    /// Sets the program to delegate to (only valid for `delegate`; checked by
    /// [`build`](Self::build)).
    pub fn to(mut self, program: impl Into<String>) -> Self {
        self.options.to = Some(program.into());
        self
    }

    /// Validates the rule (see [`Permission::new`]).
    pub fn build(self) -> Result<Permission, ValidationError> {
        Permission::new(self.tool, self.action, self.options)
    }
}

impl TryFrom<PermissionBuilder> for Permission {
    type Error = ValidationError;

    fn try_from(b: PermissionBuilder) -> Result<Self, Self::Error> {
        b.build()
    }
}

#[cfg(test)]
mod tests {
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
        let r: Result<Permission, _> =
            serde_json::from_str(r#"{"tool":"Bash","action":"delegate"}"#);
        assert!(r
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default()
            .contains("invalid permission.to"));
    }
}
