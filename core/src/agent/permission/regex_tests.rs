//! Unit tests.

use super::*;

fn m(p: &str, t: &str) -> bool {
    Regex::new(p).map(|r| r.is_match(t)).unwrap_or(false)
}

#[test]
fn js_semantics() {
    assert!(m("b", "abc"));
    assert!(!m("^b", "abc"));
    assert!(m("^b$", "a\nb"));
    assert!(m("a$", "a\nb"));
    assert!(!m("a.c", "a\nc"));
    assert!(m("^.$", "é"));
    assert!(!m("^.$", "😀"));
    assert!(m("^\\d+$", "123"));
    assert!(m("\\bfoo\\b", "a foo b"));
    assert!(!m("\\bfoo\\b", "afoob"));
    assert!(m("^a{2,3}$", "aaa"));
    assert!(!m("^a{2,3}$", "aaaa"));
    assert!(m("^git (status|log|diff)$", "git log"));
    assert!(!m("^git (status|log|diff)$", "git push"));
    assert!(m("[^a-c]", "abcd"));
    assert!(!m("^[^a-c]+$", "abc"));
    assert!(m("x{", "x{"));
    assert!(m("(a*)*b", "aaab"));
    assert!(m("", ""));
}

#[test]
fn errors() {
    assert!(matches!(Regex::new("a("), Err(RegexError::Invalid(_))));
    assert!(matches!(Regex::new("a)"), Err(RegexError::Invalid(_))));
    assert!(matches!(Regex::new("*a"), Err(RegexError::Invalid(_))));
    assert!(matches!(Regex::new("a**"), Err(RegexError::Invalid(_))));
    assert!(matches!(Regex::new("[z-a]"), Err(RegexError::Invalid(_))));
    assert!(matches!(
        Regex::new("(?=a)"),
        Err(RegexError::Unsupported(_))
    ));
    assert!(matches!(
        Regex::new("(a)\\1"),
        Err(RegexError::Unsupported(_))
    ));
    assert!(matches!(
        Regex::new("(?:){4294967295}"),
        Err(RegexError::Unsupported(_))
    ));
}
