//! The pattern parser of [`Regex`](super::Regex).

#[allow(unused_imports)]
use super::*;

impl Parser {
    pub(super) fn peek(&self) -> Option<u16> {
        self.p.get(self.i).copied()
    }

    pub(super) fn peek_at(&self, k: usize) -> Option<u16> {
        self.p.get(self.i + k).copied()
    }

    pub(super) fn alt(&mut self) -> Result<Node, RegexError> {
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

    pub(super) fn concat(&mut self) -> Result<Node, RegexError> {
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
    pub(super) fn braces(&self) -> Option<(u32, Option<u32>, usize)> {
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

    pub(super) fn quantifier(
        &mut self,
        atom: Node,
        quantifiable: bool,
    ) -> Result<Node, RegexError> {
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

    pub(super) fn atom(&mut self) -> Result<Node, RegexError> {
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

    pub(super) fn hex(&mut self, n: usize) -> Option<u16> {
        let mut v: u32 = 0;
        for k in 0..n {
            let d = self.peek_at(k)?;
            let digit = char::from_u32(u32::from(d))?.to_digit(16)?;
            v = v * 16 + digit;
        }
        self.i += n;
        u16::try_from(v).ok()
    }

    pub(super) fn escape(&mut self, in_class: bool) -> Result<Escaped, RegexError> {
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

    pub(super) fn class(&mut self) -> Result<Node, RegexError> {
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
