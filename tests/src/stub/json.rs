//! A tiny ordered JSON writer, so the stub prints fields in exactly the order the real CLI
//! does (`serde_json::Value` sorts object keys unless `preserve_order` is on, and turning
//! that feature on would leak into `ampere-core` through feature unification).

use serde_json::Value;

/// An ordered JSON value.
#[derive(Debug, Clone)]
pub enum J {
    /// Any plain JSON value (its own object keys are written in `serde_json`'s order).
    V(Value),
    /// An object whose keys are written in the given order.
    O(Vec<(String, J)>),
    /// An array of ordered values.
    A(Vec<J>),
}

impl J {
    /// Serializes to one compact JSON line (no trailing newline).
    pub fn to_line(&self) -> String {
        let mut out = String::new();
        self.write(&mut out);
        out
    }

    fn write(&self, out: &mut String) {
        match self {
            J::V(v) => out.push_str(&v.to_string()),
            J::O(fields) => {
                out.push('{');
                for (i, (k, v)) in fields.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    out.push_str(&Value::String(k.clone()).to_string());
                    out.push(':');
                    v.write(out);
                }
                out.push('}');
            }
            J::A(items) => {
                out.push('[');
                for (i, v) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    v.write(out);
                }
                out.push(']');
            }
        }
    }
}

/// An ordered object from `(key, value)` pairs.
pub fn obj<K: Into<String>>(fields: Vec<(K, J)>) -> J {
    J::O(fields.into_iter().map(|(k, v)| (k.into(), v)).collect())
}

/// A JSON string.
pub fn s(text: impl Into<String>) -> J {
    J::V(Value::String(text.into()))
}

/// A JSON number.
pub fn n(num: u64) -> J {
    J::V(Value::from(num))
}

/// JSON `null`.
pub fn null() -> J {
    J::V(Value::Null)
}

/// A JSON boolean.
pub fn b(v: bool) -> J {
    J::V(Value::Bool(v))
}
