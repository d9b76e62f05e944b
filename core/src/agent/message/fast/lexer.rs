//! The lexical half of the fast path: scanning and unescaping strings a word at a time,
//! numbers, literals, skipping values, and walking objects and arrays.

#[allow(unused_imports)]
use super::*;

/// What each one-character escape stands for (0: not one).
const UNESCAPE: [u8; 256] = {
    let mut t = [0u8; 256];
    t[b'"' as usize] = b'"';
    t[b'\\' as usize] = b'\\';
    t[b'/' as usize] = b'/';
    t[b'b' as usize] = 0x08;
    t[b'f' as usize] = 0x0c;
    t[b'n' as usize] = b'\n';
    t[b'r' as usize] = b'\r';
    t[b't' as usize] = b'\t';
    t
};

/// The first allocation of an unescaped string, at most.
const START_CAPACITY: usize = 8192;

const ONES: u64 = u64::MAX / 255;

/// The high bit of each byte of `c` that may be `"`, `\\` or a control character; the
/// lowest one set is exact (Mycroft's zero-byte test, as serde_json does it).
#[inline]
fn special(c: u64) -> u64 {
    let ctrl = c.wrapping_sub(ONES * 0x20) & !c;
    let q = c ^ (ONES * u64::from(b'"'));
    let q = q.wrapping_sub(ONES) & !q;
    let bs = c ^ (ONES * u64::from(b'\\'));
    let bs = bs.wrapping_sub(ONES) & !bs;
    (ctrl | q | bs) & (ONES << 7)
}

/// The index of the first `"`, `\` or control character at or after `i` (or the end).
#[inline]
fn scan(b: &[u8], mut i: usize) -> usize {
    while let Some(chunk) = b.get(i..i + 8) {
        let Ok(arr) = <[u8; 8]>::try_from(chunk) else {
            break;
        };
        let m = special(u64::from_le_bytes(arr));
        if m != 0 {
            return i + (m.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    while i < b.len() && !matches!(b[i], b'"' | b'\\' | 0..=0x1f) {
        i += 1;
    }
    i
}

fn hex4(b: &[u8], i: usize) -> Option<u32> {
    let digits = b.get(i..i + 4)?;
    let mut v = 0u32;
    for &d in digits {
        v = v * 16 + char::from(d).to_digit(16)?;
    }
    Some(v)
}

impl<'a> Parser<'a> {
    #[inline]
    pub(super) fn ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.b.get(self.i) {
            self.i += 1;
        }
    }

    #[inline]
    pub(super) fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    #[inline]
    pub(super) fn eat(&mut self, c: u8) -> Option<()> {
        (self.peek()? == c).then(|| self.i += 1)
    }

    pub(super) fn colon(&mut self) -> Option<()> {
        self.ws();
        self.eat(b':')?;
        self.ws();
        Some(())
    }

    pub(super) fn enter(&mut self) -> Option<()> {
        self.depth += 1;
        (self.depth <= MAX_DEPTH).then_some(())
    }

    pub(super) fn literal(&mut self, word: &[u8]) -> Option<()> {
        (self.b.get(self.i..self.i + word.len())? == word).then(|| self.i += word.len())
    }

    /// Whether the next value is `null` (consumed if so).
    pub(super) fn null(&mut self) -> bool {
        self.peek() == Some(b'n') && self.literal(b"null").is_some()
    }

    /// The members of an object. `open` is false right after the `{` (and its whitespace),
    /// true after a first member was read by the caller. `f` reads each member's value.
    pub(super) fn members(
        &mut self,
        mut open: bool,
        mut f: impl FnMut(&mut Self, Cow<'a, str>) -> Option<()>,
    ) -> Option<()> {
        loop {
            self.ws();
            if open {
                match self.peek()? {
                    b',' => {
                        self.i += 1;
                        self.ws();
                    }
                    b'}' => break,
                    _ => return None,
                }
            } else if self.peek()? == b'}' {
                break;
            }
            open = true;
            let key = self.string()?;
            self.colon()?;
            f(self, key)?;
        }
        self.i += 1;
        self.depth -= 1;
        Some(())
    }

    /// An object: `{` then its members.
    pub(super) fn object(
        &mut self,
        f: impl FnMut(&mut Self, Cow<'a, str>) -> Option<()>,
    ) -> Option<()> {
        self.eat(b'{')?;
        self.enter()?;
        self.ws();
        self.members(false, f)
    }

    /// The elements of an array.
    pub(super) fn array(&mut self, mut f: impl FnMut(&mut Self) -> Option<()>) -> Option<()> {
        self.eat(b'[')?;
        self.enter()?;
        self.ws();
        if self.peek()? != b']' {
            loop {
                f(self)?;
                self.ws();
                match self.peek()? {
                    b',' => {
                        self.i += 1;
                        self.ws();
                    }
                    b']' => break,
                    _ => return None,
                }
            }
        }
        self.i += 1;
        self.depth -= 1;
        Some(())
    }

    /// A string, borrowed when it has no escape.
    pub(super) fn string(&mut self) -> Option<Cow<'a, str>> {
        self.eat(b'"')?;
        let (b, s) = (self.b, self.s);
        let start = self.i;
        let mut stop = scan(b, start);
        match b.get(stop)? {
            b'"' => {
                self.i = stop + 1;
                return Some(Cow::Borrowed(s.get(start..stop)?));
            }
            b'\\' => {}
            _ => return None,
        }
        // Room for the rest of a typical string at once (it never exceeds the line); the
        // excess is given back at the end.
        let room = (b.len() - start).min(START_CAPACITY);
        let mut out = String::with_capacity(room.max((stop - start) * 2 + 32));
        out.push_str(s.get(start..stop)?);
        loop {
            // At a backslash.
            let mut i = stop + 1;
            let e = *b.get(i)?;
            // A table, not a jump: which escape comes next is not predictable.
            let simple = UNESCAPE[usize::from(e)];
            if simple != 0 {
                out.push(char::from(simple));
            } else {
                if e != b'u' {
                    return None;
                }
                let hi = hex4(b, i + 1)?;
                i += 4;
                let c = match hi {
                    0xD800..=0xDBFF => {
                        if b.get(i + 1..i + 3)? != b"\\u" {
                            return None;
                        }
                        let lo = hex4(b, i + 3)?;
                        if !(0xDC00..=0xDFFF).contains(&lo) {
                            return None;
                        }
                        i += 6;
                        0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)
                    }
                    0xDC00..=0xDFFF => return None,
                    c => c,
                };
                out.push(char::from_u32(c)?);
            }
            i += 1;
            stop = scan(b, i);
            out.push_str(s.get(i..stop)?);
            match b.get(stop)? {
                b'"' => {
                    self.i = stop + 1;
                    if out.capacity() <= START_CAPACITY && out.capacity() > 2 * out.len() + 64 {
                        out.shrink_to_fit();
                    }
                    return Some(Cow::Owned(out));
                }
                b'\\' => {}
                _ => return None,
            }
        }
    }

    pub(super) fn owned(&mut self) -> Option<String> {
        self.string().map(Cow::into_owned)
    }

    /// `null` or a string (an `Option<String>` field).
    pub(super) fn opt_string(&mut self) -> Option<Option<String>> {
        if self.null() {
            return Some(None);
        }
        self.owned().map(Some)
    }

    /// A non-negative integer that fits in a `u64`, or `null` as 0.
    pub(super) fn u64_or_null(&mut self) -> Option<u64> {
        if self.null() {
            return Some(0);
        }
        self.u64()
    }

    pub(super) fn u64(&mut self) -> Option<u64> {
        let b = self.b;
        let start = self.i;
        let mut v: u64 = 0;
        while let Some(&d @ b'0'..=b'9') = b.get(self.i) {
            v = v.checked_mul(10)?.checked_add(u64::from(d - b'0'))?;
            self.i += 1;
        }
        let n = self.i - start;
        if n == 0 || (n > 1 && b[start] == b'0') {
            return None;
        }
        // A fraction or an exponent makes it a float: the serde path says what is wrong.
        match b.get(self.i) {
            Some(b'.' | b'e' | b'E') => None,
            _ => Some(v),
        }
    }

    /// Skips any JSON value, checking it as serde_json's `IgnoredAny` does.
    pub(super) fn skip(&mut self) -> Option<()> {
        match self.peek()? {
            b'"' => self.skip_string(),
            b'{' => self.object(|p, _| p.skip()),
            b'[' => self.array(Self::skip),
            b't' => self.literal(b"true"),
            b'f' => self.literal(b"false"),
            b'n' => self.literal(b"null"),
            b'-' | b'0'..=b'9' => self.skip_number(),
            _ => None,
        }
    }

    fn skip_string(&mut self) -> Option<()> {
        self.eat(b'"')?;
        let b = self.b;
        loop {
            let stop = scan(b, self.i);
            match *b.get(stop)? {
                b'"' => {
                    self.i = stop + 1;
                    return Some(());
                }
                b'\\' => match *b.get(stop + 1)? {
                    b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => self.i = stop + 2,
                    b'u' => {
                        hex4(b, stop + 2)?;
                        self.i = stop + 6;
                    }
                    _ => return None,
                },
                _ => return None,
            }
        }
    }

    fn digits(&mut self) -> usize {
        let start = self.i;
        while let Some(b'0'..=b'9') = self.peek() {
            self.i += 1;
        }
        self.i - start
    }

    fn skip_number(&mut self) -> Option<()> {
        if self.peek() == Some(b'-') {
            self.i += 1;
        }
        match self.peek()? {
            b'0' => self.i += 1,
            b'1'..=b'9' => {
                self.digits();
            }
            _ => return None,
        }
        if self.peek() == Some(b'.') {
            self.i += 1;
            (self.digits() > 0).then_some(())?;
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.i += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.i += 1;
            }
            (self.digits() > 0).then_some(())?;
        }
        Some(())
    }

    /// A `serde_json::Value`, parsed by serde_json from the same bytes.
    pub(super) fn value(&mut self) -> Option<Value> {
        let rest = self.s.get(self.i..)?;
        let mut stream = serde_json::Deserializer::from_str(rest).into_iter::<Value>();
        let v = stream.next()?.ok()?;
        self.i += stream.byte_offset();
        (self.depth + depth_of(&v) <= MAX_DEPTH).then_some(v)
    }
}

/// Nesting depth of a value (a scalar is 0).
fn depth_of(v: &Value) -> usize {
    match v {
        Value::Array(a) => 1 + a.iter().map(depth_of).max().unwrap_or(0),
        Value::Object(o) => 1 + o.values().map(depth_of).max().unwrap_or(0),
        _ => 0,
    }
}
