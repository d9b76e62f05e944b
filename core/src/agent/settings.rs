//! Amp settings files: parsing JSON / JSONC, and the settings overlay an execution writes.
//!
//! Settings keys are flat dotted keys at the top level of one JSON object
//! (`{"amp.permissions": [...], "amp.tools.enable": [...]}`), as the real CLI reads them
//! (a nested `{"amp": {"permissions": ...}}` is ignored by the CLI). The CLI accepts
//! comments and trailing commas in any settings file, so [`parse_settings`] does too.

use serde_json::{Map, Value};

use crate::error::ValidationError;
use crate::options::AmpOptions;

/// Settings key of the permission rules.
pub const KEY_PERMISSIONS: &str = "amp.permissions";
/// Settings key that turns permission prompts off (and rules with it).
pub const KEY_DANGEROUSLY_ALLOW_ALL: &str = "amp.dangerouslyAllowAll";
/// Settings key of the custom skills folder.
pub const KEY_SKILLS_PATH: &str = "amp.skills.path";
/// Settings key of the enabled tool name patterns.
pub const KEY_TOOLS_ENABLE: &str = "amp.tools.enable";
/// Settings key of the disabled tool name patterns.
pub const KEY_TOOLS_DISABLE: &str = "amp.tools.disable";
/// Settings key of the custom system prompt.
pub const KEY_SYSTEM_PROMPT: &str = "amp.systemPrompt";

/// A settings text that could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SettingsError {
    /// Not valid JSON / JSONC.
    #[error("syntax error at line {line}, column {column}: {message}")]
    Syntax {
        /// 1-based line of the error.
        line: usize,
        /// 1-based column of the error.
        column: usize,
        /// What is wrong.
        message: String,
    },
    /// Valid JSON whose top level is not an object.
    #[error("the top level must be a JSON object, found {found}")]
    NotAnObject {
        /// The kind of value found (`array`, `string`, ...).
        found: &'static str,
    },
}

/// Parses a settings file (JSON, or JSONC with `//` and `/* */` comments and trailing
/// commas). The top level must be an object.
pub fn parse_settings(text: &str) -> Result<Map<String, Value>, SettingsError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let cleaned = strip_jsonc(text)?;
    let value: Value = serde_json::from_str(&cleaned).map_err(|e| SettingsError::Syntax {
        line: e.line(),
        column: e.column(),
        message: strip_position(&e),
    })?;
    match value {
        Value::Object(map) => Ok(map),
        other => Err(SettingsError::NotAnObject {
            found: kind_name(&other),
        }),
    }
}

fn strip_position(e: &serde_json::Error) -> String {
    let s = e.to_string();
    match s.rfind(" at line ") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}

fn kind_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Replaces comments and trailing commas with spaces (newlines kept), so that byte offsets,
/// lines and columns of the result are those of the input.
fn strip_jsonc(text: &str) -> Result<String, SettingsError> {
    let bytes = text.as_bytes();
    let mut out: Vec<u8> = bytes.to_vec();
    let mut i = 0;
    // Position in `out` of the last comma seen outside strings whose trailing-ness is not
    // decided yet (only whitespace and comments since).
    let mut pending_comma: Option<usize> = None;
    // The last byte outside strings, comments and whitespace (a leading `[,` or `,,` is
    // left for the JSON parser to reject).
    let mut last_significant: u8 = 0;
    while i < bytes.len() {
        let b = bytes[i];
        let prev_significant = last_significant;
        if !matches!(b, b' ' | b'\t' | b'\n' | b'\r' | b'/') {
            last_significant = b;
        }
        match b {
            b'"' => {
                pending_comma = None;
                i += 1;
                while i < bytes.len() {
                    match bytes[i] {
                        b'\\' => i += 2,
                        b'"' => break,
                        _ => i += 1,
                    }
                }
                i += 1;
            }
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    if bytes[i] != b'\r' {
                        out[i] = b' ';
                    }
                    i += 1;
                }
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                let start = i;
                out[i] = b' ';
                out[i + 1] = b' ';
                i += 2;
                loop {
                    if i >= bytes.len() {
                        let (line, column) = line_col(text, start);
                        return Err(SettingsError::Syntax {
                            line,
                            column,
                            message: "unterminated block comment".to_string(),
                        });
                    }
                    if bytes[i] == b'*' && bytes.get(i + 1) == Some(&b'/') {
                        out[i] = b' ';
                        out[i + 1] = b' ';
                        i += 2;
                        break;
                    }
                    if bytes[i] != b'\n' && bytes[i] != b'\r' {
                        out[i] = b' ';
                    }
                    i += 1;
                }
            }
            b',' => {
                pending_comma = match prev_significant {
                    b'[' | b'{' | b',' | 0 => None,
                    _ => Some(i),
                };
                i += 1;
            }
            b'}' | b']' => {
                if let Some(c) = pending_comma.take() {
                    out[c] = b' ';
                }
                i += 1;
            }
            b' ' | b'\t' | b'\n' | b'\r' => i += 1,
            _ => {
                pending_comma = None;
                i += 1;
            }
        }
    }
    // Only ASCII bytes outside strings were replaced by ASCII spaces, and multi-byte
    // characters inside comments were replaced byte by byte: the result is valid UTF-8.
    String::from_utf8(out).map_err(|e| SettingsError::Syntax {
        line: 1,
        column: 1,
        message: format!("invalid UTF-8: {e}"),
    })
}

fn line_col(text: &str, byte: usize) -> (usize, usize) {
    let before = &text.as_bytes()[..byte.min(text.len())];
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let line_start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |p| p + 1);
    (line, byte - line_start + 1)
}

/// `true` when an execution with these options needs a generated settings file: any of
/// permissions, skills, enabled_tools, disabled_tools, system_prompt, or an explicit dangerously_allow_all
/// (local-only options are ignored with a remote executor).
pub fn needs_overlay(options: &AmpOptions) -> bool {
    let local = !options.executor.is_remote();
    options.system_prompt.is_some()
        || (local
            && (options.permissions.is_some()
                || options.skills.is_some()
                || options.enabled_tools.is_some()
                || options.disabled_tools.is_some()
                || options.dangerously_allow_all.is_some()))
}

/// Applies the options to a base settings object (the user's settings, or `{}`):
/// `amp.permissions`, `amp.dangerouslyAllowAll`, `amp.skills.path`, `amp.tools.enable`,
/// `amp.tools.disable` and
/// `amp.systemPrompt`. Local-only options are skipped with a remote executor.
pub fn overlay(
    mut base: Map<String, Value>,
    options: &AmpOptions,
) -> Result<Map<String, Value>, ValidationError> {
    let local = !options.executor.is_remote();
    if local {
        if let Some(rules) = &options.permissions {
            let value = serde_json::to_value(rules)
                .map_err(|e| ValidationError::new("permissions", e.to_string()))?;
            base.insert(KEY_PERMISSIONS.to_string(), value);
            if options.dangerously_allow_all.is_none() {
                base.insert(KEY_DANGEROUSLY_ALLOW_ALL.to_string(), Value::Bool(false));
            }
        }
        if let Some(allow) = options.dangerously_allow_all {
            base.insert(KEY_DANGEROUSLY_ALLOW_ALL.to_string(), Value::Bool(allow));
        }
        if let Some(skills) = &options.skills {
            let s = skills
                .to_str()
                .ok_or_else(|| ValidationError::new("skills", "must be valid UTF-8"))?;
            base.insert(KEY_SKILLS_PATH.to_string(), Value::String(s.to_string()));
        }
        if let Some(tools) = &options.enabled_tools {
            base.insert(
                KEY_TOOLS_ENABLE.to_string(),
                Value::Array(tools.iter().cloned().map(Value::String).collect()),
            );
        }
        if let Some(tools) = &options.disabled_tools {
            base.insert(
                KEY_TOOLS_DISABLE.to_string(),
                Value::Array(tools.iter().cloned().map(Value::String).collect()),
            );
        }
    }
    if let Some(prompt) = &options.system_prompt {
        base.insert(KEY_SYSTEM_PROMPT.to_string(), Value::String(prompt.clone()));
    }
    Ok(base)
}

/// Serializes a settings object the way it is written to the private settings file
/// (pretty JSON, trailing newline).
pub fn to_file_bytes(settings: &Map<String, Value>) -> Vec<u8> {
    // Serializing a `Map<String, Value>` cannot fail (all keys are strings).
    let mut out = serde_json::to_vec_pretty(settings).unwrap_or_else(|_| b"{}".to_vec());
    out.push(b'\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_with_slashes_are_untouched() {
        let m = parse_settings(
            r#"{"a": "http://x//y /* no */", // c
        "b": 1,}"#,
        )
        .unwrap();
        assert_eq!(m["a"], "http://x//y /* no */");
        assert_eq!(m["b"], 1);
    }

    #[test]
    fn escaped_quote_in_string() {
        let m = parse_settings(r#"{"a": "q\"//x", "b": [1,2,],}"#).unwrap();
        assert_eq!(m["a"], "q\"//x");
    }

    #[test]
    fn errors_name_line_and_column() {
        let e = parse_settings("{\n  \"a\": 1\n  \"b\": 2\n}").unwrap_err();
        match e {
            SettingsError::Syntax { line, .. } => assert_eq!(line, 3),
            other => panic!("{other:?}"),
        }
    }
}
