//! [`MatchCondition`]: a condition on one argument of a tool call.

#[allow(unused_imports)]
use super::*;

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
