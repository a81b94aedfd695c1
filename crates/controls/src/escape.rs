//! Escaping of observed strings into Suricata rule text: `content` strings (printable bytes
//! literal, the rule language's special characters and everything else as `|hex|`) and PCRE
//! literals (every non-alphanumeric byte as `\xHH`), and message text reduced to safe characters.
//! Observed values come from the wire and may hold anything; nothing they contain may end an
//! option, a rule or a regular expression early.

/// Bytes written as hex in `content`: the ones the rule parser treats specially (`;`, `"`, `\`,
/// `|`) and those suricata-check recommends hex for (`:`, space, quotes, braces, `/`, `` ` ``,
/// `$`, parentheses), plus every byte that is not printable ASCII.
fn content_hex(b: u8) -> bool {
    !(0x21..=0x7e).contains(&b) || b":; \"'{|\\/`$()".contains(&b)
}

/// `s` as the value of a `content` option (without the quotes).
pub fn content(s: &[u8]) -> String {
    let mut out = String::new();
    let mut in_hex = false;
    for &b in s {
        if content_hex(b) {
            out.push(if in_hex { ' ' } else { '|' });
            out.push_str(&format!("{b:02x}"));
            in_hex = true;
        } else {
            if in_hex {
                out.push('|');
                in_hex = false;
            }
            out.push(b as char);
        }
    }
    if in_hex {
        out.push('|');
    }
    out
}

/// `s` as a literal inside a PCRE: alphanumerics as they are, every other byte as `\xHH`.
pub fn pcre(s: &[u8]) -> String {
    let mut out = String::new();
    for &b in s {
        if b.is_ascii_alphanumeric() {
            out.push(b as char);
        } else {
            out.push_str(&format!("\\x{b:02x}"));
        }
    }
    out
}

/// Text safe inside `msg` and metadata: letters, digits, `.`, `_`, `-`, `@` kept, anything else
/// replaced by `_`, cut to `max` characters.
pub fn word(s: &str, max: usize) -> String {
    s.chars()
        .take(max)
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@') {
                c
            } else {
                '_'
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_keeps_printables_and_hexes_the_rest() {
        assert_eq!(content(b"c2/cmd"), "c2|2f|cmd");
        assert_eq!(content(b"a;b\"c|d\\"), "a|3b|b|22|c|7c|d|5c|");
        assert_eq!(content(b"x: y"), "x|3a 20|y");
        assert_eq!(content(&[0xff, 0x00, b'A']), "|ff 00|A");
        assert_eq!(content("é".as_bytes()), "|c3 a9|");
    }

    #[test]
    fn pcre_literals_cannot_break_out() {
        assert_eq!(pcre(b"a.b/c"), "a\\x2eb\\x2fc");
        assert_eq!(pcre(b"\";)"), "\\x22\\x3b\\x29");
    }

    #[test]
    fn words_are_safe_in_msg() {
        assert_eq!(word("C:\\a b\";", 64), "C__a_b__");
        assert_eq!(word("abcdef", 3), "abc");
    }
}
