//! Small byte helpers shared by the dissectors: a bounds-checked reader for binary fields,
//! substring search, case-insensitive prefixes, XML attribute and JSON string look-ups, and a
//! base64 decoder for SASL PLAIN. None of them panics on any input.

/// Reads big-endian fields from a byte slice; every read checks bounds.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Reader<'a> {
    pub buf: &'a [u8],
    pub pos: usize,
}

impl<'a> Reader<'a> {
    pub fn new(buf: &'a [u8]) -> Self {
        Reader { buf, pos: 0 }
    }
    pub fn remaining(&self) -> usize {
        self.buf.len().saturating_sub(self.pos)
    }
    pub fn rest(&self) -> &'a [u8] {
        self.buf.get(self.pos..).unwrap_or(&[])
    }
    pub fn bytes(&mut self, n: usize) -> Option<&'a [u8]> {
        let end = self.pos.checked_add(n)?;
        let out = self.buf.get(self.pos..end)?;
        self.pos = end;
        Some(out)
    }
    pub fn u8(&mut self) -> Option<u8> {
        self.bytes(1).and_then(|b| b.first().copied())
    }
    pub fn u16(&mut self) -> Option<u16> {
        let b = self.bytes(2)?;
        Some(u16::from_be_bytes([*b.first()?, *b.get(1)?]))
    }
    pub fn u32(&mut self) -> Option<u32> {
        let b = self.bytes(4)?;
        Some(u32::from_be_bytes(b.try_into().ok()?))
    }
    pub fn u64(&mut self) -> Option<u64> {
        let b = self.bytes(8)?;
        Some(u64::from_be_bytes(b.try_into().ok()?))
    }
    pub fn skip(&mut self, n: usize) -> Option<()> {
        self.bytes(n).map(|_| ())
    }
    /// A u16-length-prefixed byte string.
    pub fn str16(&mut self) -> Option<&'a [u8]> {
        let n = self.u16()?;
        self.bytes(usize::from(n))
    }
    /// A u8-length-prefixed byte string.
    pub fn str8(&mut self) -> Option<&'a [u8]> {
        let n = self.u8()?;
        self.bytes(usize::from(n))
    }
}

/// Position of `needle` in `hay`.
pub(crate) fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() {
        return Some(0);
    }
    memchr::memmem::find(hay, needle)
}

/// Whether `hay` starts with `prefix`, ignoring ASCII case.
pub(crate) fn starts_with_ci(hay: &[u8], prefix: &[u8]) -> bool {
    hay.get(..prefix.len())
        .is_some_and(|h| h.eq_ignore_ascii_case(prefix))
}

/// Position of `needle` in `hay`, ignoring ASCII case (for short header names).
pub(crate) fn find_ci(hay: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() || hay.len() < needle.len() {
        return None;
    }
    (0..=hay.len() - needle.len()).find(|&i| starts_with_ci(hay.get(i..).unwrap_or(&[]), needle))
}

/// A topic, client id or similar name: valid UTF-8 with no control characters.
pub(crate) fn clean_name(bytes: &[u8]) -> Option<&str> {
    let s = std::str::from_utf8(bytes).ok()?;
    if s.chars().any(|c| c.is_control()) {
        return None;
    }
    Some(s)
}

/// Printable ASCII without spaces (identifiers such as Kafka client ids).
pub(crate) fn is_token(bytes: &[u8]) -> bool {
    !bytes.is_empty() && bytes.iter().all(|b| b.is_ascii_graphic())
}

/// The value of XML attribute `name` in a start tag (`name='v'` or `name="v"`, preceded by
/// whitespace).
pub(crate) fn xml_attr<'a>(tag: &'a [u8], name: &[u8]) -> Option<&'a [u8]> {
    let mut from = 0;
    while let Some(i) = tag.get(from..).and_then(|t| find(t, name)) {
        let at = from + i;
        from = at + 1;
        let before_ok = at > 0 && tag.get(at - 1).is_some_and(|b| b.is_ascii_whitespace());
        if !before_ok {
            continue;
        }
        let mut j = at + name.len();
        while tag.get(j).is_some_and(|b| b.is_ascii_whitespace()) {
            j += 1;
        }
        if tag.get(j) != Some(&b'=') {
            continue;
        }
        j += 1;
        while tag.get(j).is_some_and(|b| b.is_ascii_whitespace()) {
            j += 1;
        }
        let quote = *tag.get(j)?;
        if quote != b'\'' && quote != b'"' {
            continue;
        }
        let value = tag.get(j + 1..)?;
        let end = memchr::memchr(quote, value)?;
        return value.get(..end);
    }
    None
}

/// The string value of `"key":"value"` in a flat JSON object (no unescaping beyond stopping at
/// an unescaped quote).
pub(crate) fn json_str<'a>(json: &'a [u8], key: &str) -> Option<&'a [u8]> {
    let pattern = format!("\"{key}\"");
    let at = find(json, pattern.as_bytes())?;
    let mut j = at + pattern.len();
    while json
        .get(j)
        .is_some_and(|b| b.is_ascii_whitespace() || *b == b':')
    {
        j += 1;
    }
    if json.get(j) != Some(&b'"') {
        return None;
    }
    let value = json.get(j + 1..)?;
    let mut end = 0;
    while let Some(&b) = value.get(end) {
        match b {
            b'\\' => end += 2,
            b'"' => return value.get(..end),
            _ => end += 1,
        }
    }
    None
}

/// Decodes standard base64 (padding optional, whitespace ignored); `None` on other bytes.
pub(crate) fn base64_decode(input: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(input.len() / 4 * 3 + 3);
    let mut acc: u32 = 0;
    let mut bits = 0u32;
    for &c in input {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            b'=' => break,
            b' ' | b'\t' | b'\r' | b'\n' => continue,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

/// The authentication identity of a SASL PLAIN message (`authzid \0 authcid \0 password`).
pub(crate) fn sasl_plain_user(msg: &[u8]) -> Option<&str> {
    let mut parts = msg.split(|b| *b == 0);
    let authzid = parts.next()?;
    let authcid = parts.next()?;
    parts.next()?;
    let user = if authcid.is_empty() { authzid } else { authcid };
    clean_name(user).filter(|u| !u.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attributes_in_either_quote_style() {
        let tag = b"<stream:stream xmlns='jabber:client' to=\"example.org\" version='1.0'>";
        assert_eq!(xml_attr(tag, b"to"), Some(&b"example.org"[..]));
        assert_eq!(xml_attr(tag, b"version"), Some(&b"1.0"[..]));
        assert_eq!(xml_attr(tag, b"from"), None);
        // `xmlns:stream` must not be read as `stream`.
        assert_eq!(xml_attr(b"<a xmlns:to='x'>", b"to"), None);
    }

    #[test]
    fn base64_and_plain() {
        let raw = base64_decode(b"AGFsaWNlAHNlY3JldA==").unwrap_or_default();
        assert_eq!(raw, b"\0alice\0secret");
        assert_eq!(sasl_plain_user(&raw), Some("alice"));
        assert_eq!(base64_decode(b"!!"), None);
    }

    #[test]
    fn json_string_fields() {
        let j = br#"{"verbose":false,"name":"bot \"1\"","lang":"go"}"#;
        assert_eq!(json_str(j, "name"), Some(&br#"bot \"1\""#[..]));
        assert_eq!(json_str(j, "lang"), Some(&b"go"[..]));
        assert_eq!(json_str(j, "verbose"), None);
    }
}
