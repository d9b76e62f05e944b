//! Errors shared by the option, plan, permission, MCP and thread-command builders.

use std::fmt;

/// A value given to ampere broke one of the rules of the Amp CLI contract.
///
/// Raised before anything is spawned or sent; it names the offending field and the rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidationError {
    /// The field (or path of fields, such as `permissions[2].to`) that is wrong.
    pub field: String,
    /// The rule it broke, in words.
    pub rule: String,
}

impl ValidationError {
    /// A validation error for `field` that broke `rule`.
    pub fn new(field: impl Into<String>, rule: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            rule: rule.into(),
        }
    }
}

impl fmt::Display for ValidationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid {}: {}", self.field, self.rule)
    }
}

impl std::error::Error for ValidationError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_field_and_rule() {
        let e = ValidationError::new("labels[0]", "must match ^[a-zA-Z0-9][a-zA-Z0-9-]*$");
        assert_eq!(
            e.to_string(),
            "invalid labels[0]: must match ^[a-zA-Z0-9][a-zA-Z0-9-]*$"
        );
    }
}
