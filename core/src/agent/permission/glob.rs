//! Tool-name globs, as the CLI matches a rule's `tool` against a tool's name.
//!
//! The CLI lower-cases both sides, treats a lone `*` as "every tool" and a name without
//! `* ? [ {` as an exact name, and hands anything else to a picomatch-style glob (with
//! dotfiles allowed). This module implements the subset that tool names need: `*` (any run
//! of characters except `/`), `**` (any run), `?` (one character except `/`), `[...]` /
//! `[!...]` / `[^...]` classes with ranges, `{a,b}` alternatives and `\` escapes. Extglobs
//! (`+(..)`, `@(..)`, `!(..)`), negation (`!pattern`) and `{1..3}` ranges are reported as
//! unsupported rather than guessed. Matching is a dynamic program: no recursion on the text,
//! no exponential blow-up, no panics.

#[derive(Debug, Clone, PartialEq, Eq)]
enum Tok {
    Lit(char),
    Star,
    DoubleStar,
    One,
    Class(Vec<(char, char)>, bool),
}

/// Largest number of brace alternatives expanded.
const MAX_ALTERNATIVES: usize = 256;

/// Whether the (already lower-cased) tool glob `pattern` matches `name`.
///
/// `Err` names the syntax that is not implemented.
pub fn tool_glob_matches(pattern: &str, name: &str) -> Result<bool, String> {
    if pattern.starts_with('!') {
        return Err("negated globs (`!pattern`) are not supported".into());
    }
    let chars: Vec<char> = pattern.chars().collect();
    for w in chars.windows(2) {
        if matches!(w, ['+' | '@' | '!' | '*' | '?', '(']) {
            return Err("extglobs are not supported".into());
        }
    }
    let name: Vec<char> = name.chars().collect();
    for alt in expand_braces(&chars)? {
        if matches_tokens(&tokenize(&alt)?, &name) {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Expands the first `{a,b}` group (recursively); no group: the pattern itself.
fn expand_braces(p: &[char]) -> Result<Vec<Vec<char>>, String> {
    let mut depth = 0usize;
    let mut open = None;
    let mut commas = Vec::new();
    let mut i = 0;
    while i < p.len() {
        match p[i] {
            '\\' => i += 1,
            '{' => {
                if depth == 0 {
                    open = Some(i);
                    commas.clear();
                }
                depth += 1;
            }
            ',' if depth == 1 => commas.push(i),
            '}' if depth > 0 => {
                depth -= 1;
                if depth == 0 {
                    let Some(o) = open else { break };
                    let inner: String = p[o + 1..i].iter().collect();
                    if commas.is_empty() {
                        if inner.contains("..") {
                            return Err("brace ranges ({a..b}) are not supported".into());
                        }
                        // `{x}` without a comma is literal in picomatch
                        return Err("braces without a comma are not supported".into());
                    }
                    let mut bounds = vec![o];
                    bounds.extend(commas.iter().copied());
                    bounds.push(i);
                    let mut out = Vec::new();
                    for w in bounds.windows(2) {
                        let mut alt: Vec<char> = p[..o].to_vec();
                        alt.extend_from_slice(&p[w[0] + 1..w[1]]);
                        alt.extend_from_slice(&p[i + 1..]);
                        out.extend(expand_braces(&alt)?);
                        if out.len() > MAX_ALTERNATIVES {
                            return Err("too many brace alternatives".into());
                        }
                    }
                    return Ok(out);
                }
            }
            _ => {}
        }
        i += 1;
    }
    if depth > 0 {
        return Err("unbalanced `{`".into());
    }
    Ok(vec![p.to_vec()])
}

fn tokenize(p: &[char]) -> Result<Vec<Tok>, String> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < p.len() {
        let c = p[i];
        i += 1;
        match c {
            '\\' => match p.get(i) {
                Some(&e) => {
                    out.push(Tok::Lit(e));
                    i += 1;
                }
                None => return Err("trailing `\\`".into()),
            },
            '*' => {
                if p.get(i) == Some(&'*') {
                    while p.get(i) == Some(&'*') {
                        i += 1;
                    }
                    out.push(Tok::DoubleStar);
                } else {
                    out.push(Tok::Star);
                }
            }
            '?' => out.push(Tok::One),
            '[' => {
                let negated = matches!(p.get(i), Some('!' | '^'));
                if negated {
                    i += 1;
                }
                let mut ranges = Vec::new();
                let mut first = true;
                loop {
                    let Some(&c) = p.get(i) else {
                        return Err("unterminated `[` class".into());
                    };
                    i += 1;
                    if c == ']' && !first {
                        break;
                    }
                    if c == '[' && p.get(i) == Some(&':') {
                        return Err("POSIX classes are not supported".into());
                    }
                    first = false;
                    let lo = if c == '\\' {
                        let Some(&e) = p.get(i) else {
                            return Err("unterminated `[` class".into());
                        };
                        i += 1;
                        e
                    } else {
                        c
                    };
                    if p.get(i) == Some(&'-') && p.get(i + 1).is_some_and(|&n| n != ']') {
                        let hi = p.get(i + 1).copied().unwrap_or(lo);
                        i += 2;
                        ranges.push((lo, hi));
                    } else {
                        ranges.push((lo, lo));
                    }
                }
                out.push(Tok::Class(ranges, negated));
            }
            _ => out.push(Tok::Lit(c)),
        }
    }
    Ok(out)
}

fn matches_tokens(toks: &[Tok], name: &[char]) -> bool {
    // reach[j] = the first `i` tokens can match the first `j` characters
    let mut reach = vec![false; name.len() + 1];
    reach[0] = true;
    for tok in toks {
        let mut next = vec![false; name.len() + 1];
        match tok {
            Tok::Star | Tok::DoubleStar => {
                let mut on = false;
                for j in 0..=name.len() {
                    if reach[j] {
                        on = true;
                    }
                    if on {
                        next[j] = true;
                    }
                    if *tok == Tok::Star && name.get(j) == Some(&'/') {
                        on = false;
                    }
                }
            }
            single => {
                for j in 0..name.len() {
                    if reach[j] {
                        let c = name[j];
                        let ok = match single {
                            Tok::Lit(l) => *l == c,
                            Tok::One => c != '/',
                            Tok::Class(ranges, neg) => {
                                c != '/'
                                    && ranges.iter().any(|&(lo, hi)| lo <= c && c <= hi) != *neg
                            }
                            Tok::Star | Tok::DoubleStar => false,
                        };
                        if ok {
                            next[j + 1] = true;
                        }
                    }
                }
            }
        }
        reach = next;
    }
    reach[name.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tool_globs() {
        assert_eq!(
            tool_glob_matches("mcp__*", "mcp__playwright__click"),
            Ok(true)
        );
        assert_eq!(tool_glob_matches("ba?h", "bash"), Ok(true));
        assert_eq!(tool_glob_matches("{bash,read}", "read"), Ok(true));
        assert_eq!(tool_glob_matches("[a-c]ash", "bash"), Ok(true));
        assert_eq!(tool_glob_matches("[!a-c]ash", "bash"), Ok(false));
        assert_eq!(tool_glob_matches("a*", "a/b"), Ok(false));
        assert_eq!(tool_glob_matches("a**", "a/b"), Ok(true));
        assert!(tool_glob_matches("!bash", "bash").is_err());
    }
}
