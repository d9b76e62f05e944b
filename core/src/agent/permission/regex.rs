//! A small regular-expression engine with the semantics the Amp CLI uses for `/regex/`
//! conditions: JavaScript `new RegExp(body, "m").test(value)`.
//!
//! That is: a search anywhere in the value (not a full match), multiline anchors (`^` and `$`
//! also match at line breaks), no case folding, `.` matches anything but a line terminator,
//! and, because the CLI sets no `u` flag, matching works on UTF-16 code units (an emoji is
//! two "characters"). The engine is a Pike VM: linear in the input, no recursion while
//! matching, never panics.
//!
//! Supported: literals and escapes (`\n \r \t \v \f \0 \xHH \uHHHH`, identity escapes),
//! `.`, classes `[...]` / `[^...]` with ranges and `\d \D \w \W \s \S`, anchors `^ $ \b \B`,
//! groups `( )` and `(?: )`, alternation, and quantifiers `* + ? {n} {n,} {n,m}` (greedy or
//! lazy). Lookarounds, backreferences, named groups, octal escapes and `\c` are reported as
//! [`RegexError::Unsupported`]; patterns JavaScript itself refuses (unbalanced parentheses,
//! nothing to repeat, ...) are [`RegexError::Invalid`].

use std::fmt;

/// Why a pattern cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RegexError {
    /// JavaScript refuses the pattern too (the CLI then stops with "Invalid regex pattern").
    Invalid(String),
    /// Valid JavaScript this engine does not implement; the answer is unknown.
    Unsupported(String),
}

impl fmt::Display for RegexError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Invalid(m) => write!(f, "invalid regular expression: {m}"),
            Self::Unsupported(m) => write!(f, "unsupported regular expression syntax: {m}"),
        }
    }
}

impl std::error::Error for RegexError {}

/// Largest compiled program (counted repetition is expanded), to bound memory.
const MAX_PROGRAM: usize = 20_000;
/// Largest `{n,m}` count accepted.
const MAX_COUNT: u32 = 1000;
/// Deepest group nesting accepted.
const MAX_DEPTH: usize = 64;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Pred {
    Unit(u16),
    Any,
    Class {
        ranges: Vec<(u16, u16)>,
        negated: bool,
    },
}

impl Pred {
    fn test(&self, c: u16) -> bool {
        match self {
            Self::Unit(u) => *u == c,
            Self::Any => !is_line_terminator(c),
            Self::Class { ranges, negated } => {
                ranges.iter().any(|&(lo, hi)| lo <= c && c <= hi) != *negated
            }
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Assertion {
    LineStart,
    LineEnd,
    WordBoundary,
    NotWordBoundary,
}

#[derive(Debug, Clone)]
enum Node {
    Empty,
    Pred(Pred),
    Assert(Assertion),
    Concat(Vec<Node>),
    Alt(Vec<Node>),
    Repeat(Box<Node>, u32, Option<u32>),
}

#[derive(Debug, Clone)]
enum Inst {
    Pred(Pred),
    Assert(Assertion),
    Split(usize, usize),
    Jmp(usize),
    Match,
}

/// A compiled pattern.
#[derive(Debug, Clone)]
pub struct Regex {
    prog: Vec<Inst>,
}

fn is_line_terminator(c: u16) -> bool {
    matches!(c, 0x0a | 0x0d | 0x2028 | 0x2029)
}

fn is_word(c: u16) -> bool {
    matches!(c, 0x30..=0x39 | 0x41..=0x5a | 0x61..=0x7a | 0x5f)
}

const DIGIT: &[(u16, u16)] = &[(0x30, 0x39)];
const WORD: &[(u16, u16)] = &[(0x30, 0x39), (0x41, 0x5a), (0x5f, 0x5f), (0x61, 0x7a)];
const SPACE: &[(u16, u16)] = &[
    (0x09, 0x0d),
    (0x20, 0x20),
    (0xa0, 0xa0),
    (0x1680, 0x1680),
    (0x2000, 0x200a),
    (0x2028, 0x2029),
    (0x202f, 0x202f),
    (0x205f, 0x205f),
    (0x3000, 0x3000),
    (0xfeff, 0xfeff),
];

/// The complement of sorted, non-overlapping ranges over the UTF-16 unit space.
fn complement(ranges: &[(u16, u16)]) -> Vec<(u16, u16)> {
    let mut out = Vec::new();
    let mut next: u32 = 0;
    for &(lo, hi) in ranges {
        if u32::from(lo) > next {
            out.push((next as u16, lo - 1));
        }
        next = u32::from(hi) + 1;
    }
    if next <= 0xffff {
        out.push((next as u16, 0xffff));
    }
    out
}

struct Parser {
    p: Vec<u16>,
    i: usize,
    depth: usize,
}

fn invalid<T>(m: impl Into<String>) -> Result<T, RegexError> {
    Err(RegexError::Invalid(m.into()))
}

fn unsupported<T>(m: impl Into<String>) -> Result<T, RegexError> {
    Err(RegexError::Unsupported(m.into()))
}

impl Parser {
    fn peek(&self) -> Option<u16> {
        self.p.get(self.i).copied()
    }

    fn peek_at(&self, k: usize) -> Option<u16> {
        self.p.get(self.i + k).copied()
    }

    fn alt(&mut self) -> Result<Node, RegexError> {
        let mut branches = vec![self.concat()?];
        while self.peek() == Some(u16::from(b'|')) {
            self.i += 1;
            branches.push(self.concat()?);
        }
        Ok(if branches.len() == 1 {
            branches.pop().unwrap_or(Node::Empty)
        } else {
            Node::Alt(branches)
        })
    }

    fn concat(&mut self) -> Result<Node, RegexError> {
        let mut items = Vec::new();
        while let Some(c) = self.peek() {
            if c == u16::from(b'|') || c == u16::from(b')') {
                break;
            }
            let atom = self.atom()?;
            let quantifiable = !matches!(atom, Node::Assert(_));
            let atom = self.quantifier(atom, quantifiable)?;
            items.push(atom);
        }
        Ok(Node::Concat(items))
    }

    /// Reads `{n}`, `{n,}` or `{n,m}` at the cursor without consuming it; `None` when the
    /// text is not a quantifier (JavaScript then reads `{` literally).
    fn braces(&self) -> Option<(u32, Option<u32>, usize)> {
        let mut j = self.i + 1;
        let num = |j: &mut usize| -> Option<u32> {
            let start = *j;
            let mut v: u32 = 0;
            while let Some(&d) = self.p.get(*j) {
                if !(0x30..=0x39).contains(&d) {
                    break;
                }
                v = v.saturating_mul(10).saturating_add(u32::from(d - 0x30));
                *j += 1;
            }
            (*j > start).then_some(v)
        };
        let min = num(&mut j)?;
        let max = if self.p.get(j) == Some(&u16::from(b',')) {
            j += 1;
            if self.p.get(j) == Some(&u16::from(b'}')) {
                None
            } else {
                Some(num(&mut j)?)
            }
        } else {
            Some(min)
        };
        (self.p.get(j) == Some(&u16::from(b'}'))).then_some((min, max, j + 1 - self.i))
    }

    fn quantifier(&mut self, atom: Node, quantifiable: bool) -> Result<Node, RegexError> {
        let (min, max, len) = match self.peek() {
            Some(0x2a) => (0, None, 1),
            Some(0x2b) => (1, None, 1),
            Some(0x3f) => (0, Some(1), 1),
            Some(0x7b) => match self.braces() {
                Some(q) => q,
                None => return Ok(atom),
            },
            _ => return Ok(atom),
        };
        if !quantifiable {
            return unsupported("a quantifier after an assertion");
        }
        if max.is_some_and(|m| m < min) {
            return invalid("numbers out of order in {} quantifier");
        }
        self.i += len;
        if self.peek() == Some(u16::from(b'?')) {
            self.i += 1; // lazy: the same for a yes/no test
        }
        if matches!(self.peek(), Some(0x2a | 0x2b | 0x3f))
            || (self.peek() == Some(0x7b) && self.braces().is_some())
        {
            return invalid("nothing to repeat");
        }
        Ok(Node::Repeat(Box::new(atom), min, max))
    }

    fn atom(&mut self) -> Result<Node, RegexError> {
        let Some(c) = self.peek() else {
            return Ok(Node::Empty);
        };
        self.i += 1;
        match c {
            0x5e => Ok(Node::Assert(Assertion::LineStart)),
            0x24 => Ok(Node::Assert(Assertion::LineEnd)),
            0x2e => Ok(Node::Pred(Pred::Any)),
            0x2a | 0x2b | 0x3f => invalid("nothing to repeat"),
            0x7b => {
                self.i -= 1;
                if self.braces().is_some() {
                    return invalid("nothing to repeat");
                }
                self.i += 1;
                Ok(Node::Pred(Pred::Unit(c)))
            }
            0x28 => {
                if self.peek() == Some(u16::from(b'?')) {
                    if self.peek_at(1) == Some(u16::from(b':')) {
                        self.i += 2;
                    } else {
                        return unsupported("lookaround or named group `(?`");
                    }
                }
                self.depth += 1;
                if self.depth > MAX_DEPTH {
                    return unsupported("groups nested too deeply");
                }
                let inner = self.alt()?;
                self.depth -= 1;
                if self.peek() != Some(u16::from(b')')) {
                    return invalid("unterminated group");
                }
                self.i += 1;
                Ok(inner)
            }
            0x29 => invalid("unmatched ')'"),
            0x5b => self.class(),
            0x5c => self.escape(false).map(|e| match e {
                Escaped::Node(n) => n,
                Escaped::Unit(u) => Node::Pred(Pred::Unit(u)),
                Escaped::Set(ranges, negated) => Node::Pred(Pred::Class { ranges, negated }),
            }),
            _ => Ok(Node::Pred(Pred::Unit(c))),
        }
    }

    fn hex(&mut self, n: usize) -> Option<u16> {
        let mut v: u32 = 0;
        for k in 0..n {
            let d = self.peek_at(k)?;
            let digit = char::from_u32(u32::from(d))?.to_digit(16)?;
            v = v * 16 + digit;
        }
        self.i += n;
        u16::try_from(v).ok()
    }

    fn escape(&mut self, in_class: bool) -> Result<Escaped, RegexError> {
        let Some(c) = self.peek() else {
            return invalid("\\ at end of pattern");
        };
        self.i += 1;
        let b = u8::try_from(c).unwrap_or(0);
        Ok(match b {
            b'd' => Escaped::Set(DIGIT.to_vec(), false),
            b'D' => Escaped::Set(DIGIT.to_vec(), true),
            b'w' => Escaped::Set(WORD.to_vec(), false),
            b'W' => Escaped::Set(WORD.to_vec(), true),
            b's' => Escaped::Set(SPACE.to_vec(), false),
            b'S' => Escaped::Set(SPACE.to_vec(), true),
            b'b' if in_class => Escaped::Unit(0x08),
            b'b' => Escaped::Node(Node::Assert(Assertion::WordBoundary)),
            b'B' if !in_class => Escaped::Node(Node::Assert(Assertion::NotWordBoundary)),
            b'n' => Escaped::Unit(0x0a),
            b'r' => Escaped::Unit(0x0d),
            b't' => Escaped::Unit(0x09),
            b'v' => Escaped::Unit(0x0b),
            b'f' => Escaped::Unit(0x0c),
            b'0' if !matches!(self.peek(), Some(0x30..=0x39)) => Escaped::Unit(0),
            b'0'..=b'9' => return unsupported("backreference or octal escape"),
            b'x' => match self.hex(2) {
                Some(u) => Escaped::Unit(u),
                None => Escaped::Unit(c),
            },
            b'u' => match self.hex(4) {
                Some(u) => Escaped::Unit(u),
                None if self.peek() == Some(u16::from(b'{')) => {
                    return unsupported("\\u{...} escape")
                }
                None => Escaped::Unit(c),
            },
            b'c' | b'k' | b'B' => return unsupported("\\c, \\k or \\B in a class"),
            _ => Escaped::Unit(c),
        })
    }

    fn class(&mut self) -> Result<Node, RegexError> {
        let negated = self.peek() == Some(u16::from(b'^'));
        if negated {
            self.i += 1;
        }
        let mut ranges: Vec<(u16, u16)> = Vec::new();
        loop {
            let Some(c) = self.peek() else {
                return invalid("unterminated character class");
            };
            self.i += 1;
            if c == u16::from(b']') {
                break;
            }
            let lo = if c == u16::from(b'\\') {
                match self.escape(true)? {
                    Escaped::Unit(u) => u,
                    Escaped::Set(set, neg) => {
                        if self.peek() == Some(u16::from(b'-'))
                            && self.peek_at(1).is_some_and(|n| n != u16::from(b']'))
                        {
                            return unsupported("a range next to a class escape");
                        }
                        ranges.extend(if neg { complement(&set) } else { set });
                        continue;
                    }
                    Escaped::Node(_) => return unsupported("escape in class"),
                }
            } else {
                c
            };
            if self.peek() == Some(u16::from(b'-'))
                && self.peek_at(1).is_some_and(|n| n != u16::from(b']'))
            {
                self.i += 1;
                let Some(h) = self.peek() else {
                    return invalid("unterminated character class");
                };
                self.i += 1;
                let hi = if h == u16::from(b'\\') {
                    match self.escape(true)? {
                        Escaped::Unit(u) => u,
                        _ => return unsupported("a range next to a class escape"),
                    }
                } else {
                    h
                };
                if hi < lo {
                    return invalid("range out of order in character class");
                }
                ranges.push((lo, hi));
            } else {
                ranges.push((lo, lo));
            }
        }
        Ok(Node::Pred(Pred::Class { ranges, negated }))
    }
}

enum Escaped {
    Unit(u16),
    Set(Vec<(u16, u16)>, bool),
    Node(Node),
}

struct Compiler {
    prog: Vec<Inst>,
}

impl Compiler {
    fn push(&mut self, i: Inst) -> Result<usize, RegexError> {
        if self.prog.len() >= MAX_PROGRAM {
            return unsupported("pattern too large once repetitions are expanded");
        }
        self.prog.push(i);
        Ok(self.prog.len() - 1)
    }

    fn patch(&mut self, at: usize, inst: Inst) {
        if let Some(slot) = self.prog.get_mut(at) {
            *slot = inst;
        }
    }

    fn node(&mut self, n: &Node) -> Result<(), RegexError> {
        match n {
            Node::Empty => Ok(()),
            Node::Pred(p) => self.push(Inst::Pred(p.clone())).map(drop),
            Node::Assert(a) => self.push(Inst::Assert(*a)).map(drop),
            Node::Concat(items) => items.iter().try_for_each(|i| self.node(i)),
            Node::Alt(branches) => {
                let mut jumps = Vec::new();
                for (k, b) in branches.iter().enumerate() {
                    if k + 1 < branches.len() {
                        let split = self.push(Inst::Jmp(0))?;
                        self.node(b)?;
                        jumps.push(self.push(Inst::Jmp(0))?);
                        let next = self.prog.len();
                        self.patch(split, Inst::Split(split + 1, next));
                    } else {
                        self.node(b)?;
                    }
                }
                let end = self.prog.len();
                for j in jumps {
                    self.patch(j, Inst::Jmp(end));
                }
                Ok(())
            }
            Node::Repeat(inner, min, max) => {
                if *min > MAX_COUNT || max.is_some_and(|m| m > MAX_COUNT) {
                    return unsupported("a repetition count above 1000");
                }
                for _ in 0..*min {
                    self.node(inner)?;
                }
                match max {
                    None => {
                        let split = self.push(Inst::Jmp(0))?;
                        self.node(inner)?;
                        self.push(Inst::Jmp(split))?;
                        let end = self.prog.len();
                        self.patch(split, Inst::Split(split + 1, end));
                    }
                    Some(max) => {
                        let mut splits = Vec::new();
                        for _ in *min..*max {
                            splits.push(self.push(Inst::Jmp(0))?);
                            self.node(inner)?;
                        }
                        let end = self.prog.len();
                        for s in splits {
                            self.patch(s, Inst::Split(s + 1, end));
                        }
                    }
                }
                Ok(())
            }
        }
    }
}

impl Regex {
    /// Compiles a JavaScript regular-expression body (the text between the slashes).
    pub fn new(pattern: &str) -> Result<Self, RegexError> {
        let mut parser = Parser {
            p: pattern.encode_utf16().collect(),
            i: 0,
            depth: 0,
        };
        let ast = parser.alt()?;
        if parser.i < parser.p.len() {
            return invalid("unmatched ')'");
        }
        let mut c = Compiler { prog: Vec::new() };
        c.node(&ast)?;
        c.push(Inst::Match)?;
        Ok(Self { prog: c.prog })
    }

    /// Whether the pattern matches anywhere in `text` (JavaScript `RegExp.test` with the
    /// `m` flag).
    pub fn is_match(&self, text: &str) -> bool {
        let units: Vec<u16> = text.encode_utf16().collect();
        let n = self.prog.len();
        let mut clist: Vec<usize> = Vec::with_capacity(n);
        let mut nlist: Vec<usize> = Vec::with_capacity(n);
        let mut seen = vec![usize::MAX; n];
        let mut stack: Vec<usize> = Vec::new();
        for pos in 0..=units.len() {
            // a new thread starts at every position (search, not full match)
            if self.add(0, pos, &units, &mut clist, &mut seen, &mut stack) {
                return true;
            }
            let Some(&c) = units.get(pos) else { break };
            nlist.clear();
            let stamp = pos + 1;
            for &pc in &clist {
                if let Some(Inst::Pred(p)) = self.prog.get(pc) {
                    if p.test(c)
                        && self.add_at(pc + 1, stamp, &units, &mut nlist, &mut seen, &mut stack)
                    {
                        return true;
                    }
                }
            }
            std::mem::swap(&mut clist, &mut nlist);
        }
        false
    }

    fn add(
        &self,
        pc: usize,
        pos: usize,
        units: &[u16],
        list: &mut Vec<usize>,
        seen: &mut [usize],
        stack: &mut Vec<usize>,
    ) -> bool {
        self.add_at(pc, pos, units, list, seen, stack)
    }

    /// Follows the empty transitions from `pc` at position `pos`, adding the threads that wait
    /// for a character to `list`; true when `Match` is reached.
    fn add_at(
        &self,
        pc: usize,
        pos: usize,
        units: &[u16],
        list: &mut Vec<usize>,
        seen: &mut [usize],
        stack: &mut Vec<usize>,
    ) -> bool {
        stack.clear();
        stack.push(pc);
        while let Some(pc) = stack.pop() {
            let Some(mark) = seen.get_mut(pc) else {
                continue;
            };
            if *mark == pos {
                continue;
            }
            *mark = pos;
            match self.prog.get(pc) {
                Some(Inst::Match) => return true,
                Some(Inst::Pred(_)) => list.push(pc),
                Some(Inst::Jmp(t)) => stack.push(*t),
                Some(Inst::Split(a, b)) => {
                    stack.push(*b);
                    stack.push(*a);
                }
                Some(Inst::Assert(a)) if assertion_holds(*a, units, pos) => stack.push(pc + 1),
                Some(Inst::Assert(_)) | None => {}
            }
        }
        false
    }
}

fn assertion_holds(a: Assertion, units: &[u16], pos: usize) -> bool {
    let prev = pos.checked_sub(1).and_then(|p| units.get(p)).copied();
    let next = units.get(pos).copied();
    match a {
        Assertion::LineStart => prev.is_none_or(is_line_terminator),
        Assertion::LineEnd => next.is_none_or(is_line_terminator),
        Assertion::WordBoundary => prev.is_some_and(is_word) != next.is_some_and(is_word),
        Assertion::NotWordBoundary => prev.is_some_and(is_word) == next.is_some_and(is_word),
    }
}

/// Escapes text so that it matches itself inside a pattern, as the CLI does when it turns
/// a `*` glob into a regular expression (`.+?^${}()|[]\` are escaped).
pub fn escape_like_cli(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if ".+?^${}()|[]\\".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
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
}
