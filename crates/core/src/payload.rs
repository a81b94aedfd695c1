//! Payload bytes: what a message payload looks like, judged from its bytes alone — its Shannon
//! entropy and its [`payload_traits`] (a Fernet token, one base64/base32/hex body, a long quoted
//! base64 string). The data model (`app::AppInfo::add_message`) records both per message so the
//! analytics can judge payloads after the bytes are gone; the payload scorer
//! (`behaviour::payloads`) turns the same detectors into explained signals.
//!
//! A leaf: pure functions on bytes, importing nothing from the crate. Only the first
//! [`MAX_PAYLOAD_SCAN`] bytes of a payload are examined, so the cost per message is fixed.

/// Bytes of a payload that are examined (the start of longer payloads: the opening 16 KiB of an
/// encrypted or encoded body look like the rest, and the cap keeps the cost per message fixed).
pub const MAX_PAYLOAD_SCAN: usize = 16 * 1024;

/// Shannon entropy in bits per symbol of a byte string (0 for an empty one).
pub fn byte_entropy(bytes: &[u8]) -> f64 {
    if bytes.is_empty() {
        return 0.0;
    }
    let mut counts = [0u64; 256];
    for &b in bytes {
        counts[usize::from(b)] += 1;
    }
    let n = bytes.len() as f64;
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = c as f64 / n;
            -p * p.log2()
        })
        .sum()
}

/// Shannon entropy of `data` in bits per byte (0 for empty input), as kept per message.
pub fn shannon_entropy(data: &[u8]) -> f32 {
    byte_entropy(data) as f32
}

/// Both hex letters (or any letters) and digits occur: decimal serials and timestamps, or words,
/// are not taken for hex of random bytes.
pub(crate) fn mixes_hex_letters_and_digits(s: &str) -> bool {
    s.bytes().any(|c| c.is_ascii_digit()) && s.bytes().any(|c| c.is_ascii_alphabetic())
}

fn is_b64_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'+' | b'/' | b'-' | b'_')
}

/// What a payload's bytes look like, kept per message (one byte) so the analytics can judge
/// payloads after the bytes are gone.
pub mod payload_traits {
    /// A Fernet token (`gAAAAA…`) somewhere in the payload.
    pub const FERNET: u8 = 1;
    /// The payload is one base64, base32 or hex body.
    pub const ENCODED: u8 = 2;
    /// The payload carries a long quoted base64 string (JSON with an encoded field).
    pub const EMBEDDED_BASE64: u8 = 4;
}

/// The [`payload_traits`] of a payload (its first [`MAX_PAYLOAD_SCAN`] bytes).
pub fn payload_traits(payload: &[u8]) -> u8 {
    let body = payload.get(..MAX_PAYLOAD_SCAN).unwrap_or(payload);
    let mut t = 0;
    if find_fernet(body).is_some() {
        t |= payload_traits::FERNET;
    }
    if encoded_body(body).is_some() {
        t |= payload_traits::ENCODED;
    } else if longest_quoted_base64(body).is_some() {
        t |= payload_traits::EMBEDDED_BASE64;
    }
    t
}

/// Byte offset of the first Fernet token (`gAAAAA` followed by at least 60 base64 characters).
pub(crate) fn find_fernet(body: &[u8]) -> Option<usize> {
    const PREFIX: &[u8] = b"gAAAAA";
    let mut start = 0;
    while let Some(rest) = body.get(start..) {
        let pos = rest.windows(PREFIX.len()).position(|w| w == PREFIX)?;
        let at = start + pos;
        let run = body.get(at..).map_or(0, |tail| {
            tail.iter()
                .take_while(|&&c| is_b64_byte(c) || c == b'=')
                .count()
        });
        // A Fernet token is at least 57 bytes (73 base64 characters) before any plaintext.
        if run >= 60 {
            return Some(at);
        }
        start = at + 1;
    }
    None
}

/// `Some("base64" | "base32" | "hex")` when the trimmed body is one encoded string of at least 24
/// characters.
pub(crate) fn encoded_body(body: &[u8]) -> Option<&'static str> {
    let text = std::str::from_utf8(body).ok()?.trim();
    // Encodings of data mix many symbols (hex of random bytes ≈ 4 bits/char, base64 ≈ 6): a
    // run of one letter or a short word repeated is not an encoded body.
    if text.len() < 24 || byte_entropy(text.as_bytes()) < 3.0 {
        return None;
    }
    if text.len() % 2 == 0
        && text.bytes().all(|c| c.is_ascii_hexdigit())
        && mixes_hex_letters_and_digits(text)
    {
        return Some("hex");
    }
    let unpadded = text.trim_end_matches('=');
    if text.len() - unpadded.len() > 6 || !unpadded.bytes().all(is_b64_byte) {
        return None;
    }
    if unpadded
        .bytes()
        .all(|c| c.is_ascii_uppercase() || (b'2'..=b'7').contains(&c))
    {
        return Some("base32");
    }
    let upper = unpadded.bytes().filter(|c| c.is_ascii_uppercase()).count();
    let lower = unpadded.bytes().filter(|c| c.is_ascii_lowercase()).count();
    let digits = unpadded.bytes().filter(|c| c.is_ascii_digit()).count();
    // Base64 of binary data mixes all three classes; prose without spaces does not.
    if upper * 10 >= unpadded.len() && lower * 10 >= unpadded.len() && digits > 0 {
        return Some("base64");
    }
    None
}

/// Length of the longest `"…"` string of at least 40 base64 characters (mixed case and digits).
pub(crate) fn longest_quoted_base64(body: &[u8]) -> Option<usize> {
    let mut best = 0usize;
    for part in body.split(|&c| c == b'"') {
        if part.len() >= 40 && part.len() > best {
            let inner = part
                .iter()
                .rposition(|&c| c != b'=')
                .map_or(part, |p| part.get(..=p).unwrap_or(part));
            if inner.iter().all(|&c| is_b64_byte(c))
                && inner.iter().any(u8::is_ascii_uppercase)
                && inner.iter().any(u8::is_ascii_lowercase)
                && inner.iter().any(u8::is_ascii_digit)
            {
                best = part.len();
            }
        }
    }
    (best > 0).then_some(best)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entropy_of_known_strings() {
        assert_eq!(byte_entropy(b""), 0.0);
        assert_eq!(byte_entropy(b"aaaa"), 0.0);
        assert!((byte_entropy(b"abab") - 1.0).abs() < 1e-12);
        let all: Vec<u8> = (0..=255u8).collect();
        assert!((byte_entropy(&all) - 8.0).abs() < 1e-12);
    }

    #[test]
    fn entropy_bounds() {
        assert_eq!(shannon_entropy(b""), 0.0);
        assert_eq!(shannon_entropy(b"aaaa"), 0.0);
        let all: Vec<u8> = (0..=255).collect();
        assert!((shannon_entropy(&all) - 8.0).abs() < 1e-6);
    }
}
